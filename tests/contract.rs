//! CONTRACT.md, enforced on every binary in `bin/`: a plugin added later is
//! covered without editing this file. Binaries whose cargo feature is off in
//! this build are skipped with a note.

mod support;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::{built_plugins as plugins, text};

fn run(path: &PathBuf, args: &[&str]) -> Output {
    Command::new(path)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("plugin runs")
}

/// `NAME STATE - ...` with NAME in capitals.
fn assert_status_line(name: &str, out: &Output, state: &str) {
    let stdout = text(&out.stdout);
    let first = stdout.lines().next().unwrap_or("");
    let (service, rest) = first.split_once(' ').unwrap_or(("", ""));
    assert!(
        !service.is_empty()
            && service
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
        "{name}: service name in {first:?}"
    );
    assert!(
        rest.starts_with(&format!("{state} - ")),
        "{name}: expected {state}: {first:?}"
    );
}

#[test]
fn help_and_version_go_to_stdout_and_exit_3() {
    for (name, path) in plugins() {
        for flag in ["--help", "-h", "--version", "-V"] {
            let out = run(&path, &[flag]);
            assert_eq!(out.status.code(), Some(3), "{name} {flag}");
            assert!(!out.stdout.is_empty(), "{name} {flag}: nothing on stdout");
            assert!(
                out.stderr.is_empty(),
                "{name} {flag}: stderr {:?}",
                text(&out.stderr)
            );
        }
        let help = text(&run(&path, &["--help"]).stdout);
        for option in ["--timeout", "--verbose", "--help", "--version"] {
            assert!(help.contains(option), "{name} --help lacks {option}");
        }
        assert!(
            text(&run(&path, &["--version"]).stdout).starts_with(&name),
            "{name} --version"
        );
    }
}

#[test]
fn usage_errors_are_unknown_on_stdout() {
    for (name, path) in plugins() {
        for args in [
            &["--no-such-option"][..],
            &["--timeout", "soon"],
            &["-t", "0"],
        ] {
            let out = run(&path, args);
            assert_eq!(out.status.code(), Some(3), "{name} {args:?}");
            assert_status_line(&name, &out, "UNKNOWN");
        }
    }
}

/// The threshold options a help text lists: `--warning` and `--critical`, and
/// per-metric ones such as `--warning-bytes <RANGE>`.
fn range_options(help: &str) -> Vec<String> {
    let words: Vec<&str> = help.split_whitespace().collect();
    let mut found: Vec<String> = Vec::new();
    for pair in words.windows(2) {
        let option = pair[0].trim_end_matches(',');
        let thresholdish = option.starts_with("--warning") || option.starts_with("--critical");
        let exact = option == "--warning" || option == "--critical";
        if thresholdish && (exact || pair[1] == "<RANGE>") && !found.iter().any(|f| f == option) {
            found.push(option.to_string());
        }
    }
    found
}

#[test]
fn bad_ranges_are_unknown_and_name_the_text() {
    for (name, path) in plugins() {
        let help = text(&run(&path, &["--help"]).stdout);
        for option in range_options(&help) {
            let option = option.as_str();
            let out = run(&path, &[option, "10:5x"]);
            assert_eq!(out.status.code(), Some(3), "{name} {option}");
            assert_status_line(&name, &out, "UNKNOWN");
            assert!(
                text(&out.stdout).contains("10:5x"),
                "{name}: {}",
                text(&out.stdout)
            );
        }
    }
}

#[test]
fn a_panic_is_unknown_with_exit_3() {
    for (name, path) in plugins() {
        let out = Command::new(&path)
            .env("OPSCHECK_PANIC_FOR_TEST", "1")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{name}");
        assert_status_line(&name, &out, "UNKNOWN");
        assert!(text(&out.stdout).contains("internal error"), "{name}");
    }
}

/// The watchdog fires in every binary within the timeout, with the given state.
/// (The hook arms it with the variable's value, whatever options the plugin requires;
/// `-t` parsing itself is the shared `CommonArgs`, tested with a blocked input below.)
#[test]
fn timeout_fires_in_every_binary() {
    for (name, path) in plugins() {
        for (timeout, state, code) in [("1", "UNKNOWN", 3), ("1:critical", "CRITICAL", 2)] {
            let started = Instant::now();
            let out = Command::new(&path)
                .env("OPSCHECK_HANG_FOR_TEST", timeout)
                .stdin(Stdio::null())
                .output()
                .unwrap();
            let took = started.elapsed();
            assert!(took < Duration::from_secs(2), "{name}: took {took:?}");
            assert_eq!(out.status.code(), Some(code), "{name}");
            assert_status_line(&name, &out, state);
            assert!(
                text(&out.stdout).contains("timed out after 1 s"),
                "{name}: {}",
                text(&out.stdout)
            );
        }
    }
}

/// Plugins that read captured output: `--input -` on a stdin that never ends.
#[test]
fn timeout_fires_on_a_blocked_input() {
    for (name, path) in plugins() {
        let help = text(&run(&path, &["--help"]).stdout);
        if !help.contains("--input") {
            continue;
        }
        let started = Instant::now();
        let mut child = Command::new(&path)
            .args(["-t", "1", "--input", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        // Keep stdin open and silent until the plugin gives up.
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"").unwrap();
        let out = child.wait_with_output().unwrap();
        drop(stdin);
        assert!(started.elapsed() < Duration::from_secs(2), "{name}");
        assert_eq!(out.status.code(), Some(3), "{name}");
        assert!(
            text(&out.stdout).contains("timed out after 1 s (while reading standard input)"),
            "{name}"
        );
    }
}

#[test]
fn json_output_has_the_same_state_as_the_exit_code() {
    for (name, path) in plugins() {
        // Whatever the plugin finds on this machine with its defaults, the JSON must
        // agree with the exit code. A plugin with required options fails to parse
        // them before it knows the format: that must be a plain UNKNOWN usage error.
        let out = run(&path, &["--output-format", "json", "-t", "3"]);
        match serde_json::from_slice::<serde_json::Value>(&out.stdout) {
            Ok(doc) => assert_eq!(
                doc["exit_code"].as_i64(),
                out.status.code().map(i64::from),
                "{name}"
            ),
            Err(_) => {
                assert_eq!(out.status.code(), Some(3), "{name}: {}", text(&out.stdout));
                assert_status_line(&name, &out, "UNKNOWN");
            }
        }
    }
}
