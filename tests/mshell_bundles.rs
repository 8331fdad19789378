//! check_mshell_bundles through a stand-in `mshell` (no net.Console SOP can run
//! here: COMPONENTS.md) printing the recorded outputs of examples/mshell/, and
//! misbehaving as a stopped or hung management server would.

#[path = "support/mshell.rs"]
mod mshell;

use assert_cmd::Command;
use mshell::{example, gone, StandIn};
use std::time::{Duration, Instant};

fn plugin(standin: &StandIn) -> Command {
    let mut cmd = Command::cargo_bin("check_mshell_bundles").unwrap();
    cmd.env("PATH", standin.path_var())
        .env_remove("MSHELL_MODE");
    cmd
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_seeds_list_through_the_default_command() {
    let standin = StandIn::new();
    let out = plugin(&standin)
        .env("MSHELL_PS", example("mshell/ps-healthy.txt"))
        .args(["--bundles", "47"])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.starts_with("MSHELL_BUNDLES OK - all 47 bundles Active (start level 4) | bundles=47;;;0 bundles_active=47;;;0 bundles_resolved=0;;;0 bundles_installed=0;;;0 bundles_starting=0;;;0 bundles_stopping=0;;;0 bundles_other=0;;;0 bundles_fragments=0;;;0\n"),
        "{text}"
    );
    // JSON carries the same verdict.
    let out = plugin(&standin)
        .env("MSHELL_PS", example("mshell/ps-bundles-down.txt"))
        .args(["--output-format", "json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["exit_code"], 2);
    let texts: Vec<&str> = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["state"] == "CRITICAL")
        .map(|i| i["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "#24 Escaux netConsoleController (2.0.0) is Installed, not Active (its imports did not resolve)",
            "#28 Escaux Db (2.0.3) is Resolved, not Active"
        ]
    );
}

#[test]
fn shipped_examples() {
    for (file, args, code, start) in [
        ("ps-healthy.txt", vec!["--bundles", "47"], 0, "MSHELL_BUNDLES OK - all 47 bundles Active"),
        ("ps-healthy.txt", vec!["--bundles", "48"], 2, "MSHELL_BUNDLES CRITICAL - 47 bundles listed, 48 expected: 1 missing"),
        ("ps-bundles-down.txt", vec![], 2, "MSHELL_BUNDLES CRITICAL - 2 of 47 not Active: #24 Escaux netConsoleController Installed"),
        ("ps-starting.txt", vec![], 1, "MSHELL_BUNDLES WARNING - 1 of 47 not Active: #41 Escaux netConsoleFSMSIPServer Starting"),
        ("lb-gogo-fragment.txt", vec![], 0, "MSHELL_BUNDLES OK - 6 bundles Active, 1 fragment Resolved (start level 4)"),
        ("ps-not-running.txt", vec![], 2, "MSHELL_BUNDLES CRITICAL - the Application Management Server does not answer: telnet: Unable to connect"),
        ("ps-garbled.txt", vec![], 3, "MSHELL_BUNDLES UNKNOWN - cannot parse the bundle list: line 31 not understood: '[ 30] [Act'"),
    ] {
        let out = Command::cargo_bin("check_mshell_bundles")
            .unwrap()
            .arg("--input")
            .arg(example(&format!("mshell/{file}")))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{file}: {}", stdout(&out));
        assert!(stdout(&out).starts_with(start), "{file}: {}", stdout(&out));
    }
}

#[test]
fn a_stopped_management_server_is_critical() {
    let standin = StandIn::new();
    let out = plugin(&standin)
        .env("MSHELL_MODE", "down")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert_eq!(
        stdout(&out),
        "MSHELL_BUNDLES CRITICAL - cannot read the bundle list: command 'mshell ps' failed (exit status 1): telnet: Unable to connect to remote host: Connection refused\n"
    );
    // The same refusal printed on stdout with exit status 0.
    let out = plugin(&standin)
        .env("MSHELL_MODE", "down0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stdout(&out).contains("does not answer: telnet: Unable to connect"));
}

#[test]
fn empty_garbled_and_missing_mshell_are_unknown() {
    let standin = StandIn::new();
    let out = plugin(&standin)
        .env("MSHELL_MODE", "empty")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stdout(&out),
        "MSHELL_BUNDLES UNKNOWN - cannot read the bundle list: command 'mshell ps' printed nothing\n"
    );
    // Another mshell subcommand's output is not a bundle list.
    let out = plugin(&standin)
        .env("MSHELL_PS", example("netconsole/ncctl-primary.txt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    assert!(stdout(&out).contains("cannot parse the bundle list"));
    // Control bytes in the output are not copied into the status line.
    let tmp = tempfile::tempdir().unwrap();
    let garbled = tmp.path().join("garbled");
    std::fs::write(
        &garbled,
        b"START LEVEL 4\nID State Level Name\n\x1b[2J\x07[ 0] zz\n",
    )
    .unwrap();
    let out = plugin(&standin)
        .env("MSHELL_PS", &garbled)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let first = stdout(&out).lines().next().unwrap().to_string();
    assert!(
        !first.contains('\x1b') && !first.contains('\x07'),
        "{first:?}"
    );
    assert!(
        first.contains(r"line 3 not understood: '\x1b[2J\x07[ 0] zz'"),
        "{first}"
    );
    // No mshell on this host at all.
    let out = Command::cargo_bin("check_mshell_bundles")
        .unwrap()
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stdout(&out).contains("cannot run 'mshell'"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn command_option_and_usage_errors() {
    let standin = StandIn::new();
    let command = format!("{} ps", standin.script().display());
    let out = Command::cargo_bin("check_mshell_bundles")
        .unwrap()
        .env("MSHELL_PS", example("mshell/ps-starting.txt"))
        .args(["--command", &command])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    for bad in [
        vec!["--fragment", ""],
        vec!["--bundles", "-1"],
        vec!["--command", ""],
    ] {
        let out = plugin(&standin).args(&bad).output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{bad:?}: {}", stdout(&out));
    }
}

/// A management server whose shell accepts and never answers: the plugin gives
/// up at its deadline (-t minus a fifth), kills mshell, and says so itself.
#[test]
fn a_hung_mshell_is_critical_before_the_watchdog() {
    let standin = StandIn::new();
    let pidfile = standin.dir.path().join("pid");
    let started = Instant::now();
    let out = plugin(&standin)
        .env("MSHELL_MODE", "hang")
        .env("MSHELL_PIDFILE", &pidfile)
        .args(["-t", "2"])
        .output()
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    // The time left when mshell started: 1.6 s of work less the start-up.
    let text = stdout(&out);
    assert!(
        text.starts_with("MSHELL_BUNDLES CRITICAL - cannot read the bundle list: no answer from 'mshell ps' within 1."),
        "{text}"
    );
    assert!(text.ends_with(" s\n"), "{text}");
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(gone(pid), "mshell {pid} still running");
}
