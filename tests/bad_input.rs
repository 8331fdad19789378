//! The bad-input matrix: every plugin in `bin/` that reads a captured output
//! (`--input`) is fed hostile input, as a new user or a broken vendor tool
//! would feed it, and must keep CONTRACT.md's promises: exit 0–3, line one
//! `NAME STATE - …` with the state of the exit code, never OK for input it did
//! not understand, back within `-t` + 1 s, nothing on stderr (no panic
//! message), and a peak RSS under [`RSS_LIMIT_KB`].
//!
//! Data-driven like the contract test: a plugin added later is covered without
//! editing this file. Its valid fixture is found among its recorded examples
//! (`examples/FIRSTWORD*/`, the README's convention): the first file, in name
//! order, that the plugin judges (any state but UNKNOWN). Fixture-based cases
//! (invalid UTF-8 inside, cuts, numbers out of range, CRLF, BOM) run on it.

mod support;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{built_plugins, repo, text};

/// The plugins' peak resident memory must stay under this, whatever the input
/// (inputs are read with a 16 MiB bound; a parser may hold a few copies).
const RSS_LIMIT_KB: i64 = 128 * 1024;
/// The `-t` every case runs with.
const TIMEOUT_S: u64 = 5;

struct Answer {
    code: i32,
    stdout: String,
    stderr: String,
    elapsed: Duration,
    max_rss_kb: i64,
}

/// Runs `plugin` on `input` and waits for it with wait4(2), for its rusage.
/// `state_dir` is passed to the plugins that keep state.
fn run(plugin: &Path, input: &Path, state_dir: Option<&Path>) -> Answer {
    let started = Instant::now();
    let mut command = Command::new(plugin);
    command.arg("--input").arg(input);
    if let Some(dir) = state_dir {
        command.arg("--state-dir").arg(dir);
    }
    let child = command
        .args(["-t", &TIMEOUT_S.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("plugin starts");
    run_child(child, started)
}

fn run_child(mut child: std::process::Child, started: Instant) -> Answer {
    use std::io::Read;
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: waiting for a child this process spawned and has not reaped.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4 failed");
    let code = std::process::ExitStatus::from_raw(status)
        .code()
        .unwrap_or(-1);
    Answer {
        code,
        stdout: text(&out_reader.join().unwrap()),
        stderr: text(&err_reader.join().unwrap()),
        elapsed: started.elapsed(),
        max_rss_kb: usage.ru_maxrss,
    }
}

/// How a plugin is driven: does it take `--input`, and `--state-dir`? Read from its own help.
fn options_of(plugin: &Path) -> (bool, bool) {
    let help = Command::new(plugin).arg("--help").output().unwrap();
    let help = text(&help.stdout);
    (help.contains("--input"), help.contains("--state-dir"))
}

/// The recorded examples of `name`: files in `examples/FIRSTWORD*/`, sorted.
fn examples_of(name: &str) -> Vec<PathBuf> {
    let stem = name.trim_start_matches("check_");
    let first = stem.split('_').next().unwrap();
    let mut files = Vec::new();
    for dir in std::fs::read_dir(repo().join("examples")).unwrap() {
        let dir = dir.unwrap().path();
        let dir_name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if !dir.is_dir() || !dir_name.starts_with(first) {
            continue;
        }
        for file in walk(&dir) {
            let ext = file.extension().map(|e| e.to_string_lossy().into_owned());
            if !matches!(ext.as_deref(), Some("py" | "sh" | "md")) {
                files.push(file);
            }
        }
    }
    files.sort();
    files
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// A case: its name, the bytes, and whether OK would be a lie.
struct Case {
    name: String,
    bytes: Vec<u8>,
    must_not_be_ok: bool,
}

fn garbage_cases() -> Vec<Case> {
    let mut random = vec![0u8; 1 << 20];
    // A fixed xorshift stream: the same "random" megabyte on every run.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for b in random.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    let mut long_line = vec![b'a'; 16 << 20];
    long_line.push(b'\n');
    let case = |name: &str, bytes: Vec<u8>| Case {
        name: name.to_string(),
        bytes,
        must_not_be_ok: true,
    };
    vec![
        case("empty", Vec::new()),
        case("whitespace only", b" \n\t\n   \r\n\n".to_vec()),
        case("1 MiB of random bytes", random),
        case("NUL bytes", vec![0u8; 4096]),
        case("a 16 MiB line", long_line),
        case(
            "numbers past u64 and f64",
            b"18446744073709551616 1e400 -1 -9223372036854775809\nvalue 1e400\ncount=-5\n".to_vec(),
        ),
    ]
}

/// Variants of a valid fixture. Only the contract is asserted for them: a cut
/// can leave a smaller document that is complete and healthy.
fn fixture_cases(fixture: &[u8]) -> Vec<Case> {
    let case = |name: String, bytes: Vec<u8>| Case {
        name,
        bytes,
        must_not_be_ok: false,
    };
    let mut cases = Vec::new();
    let middle = fixture.len() / 2;
    let mut invalid = fixture.to_vec();
    invalid.splice(middle..middle, [0xff, 0xfe, 0xc3, 0x28, 0x00, 0x1b]);
    cases.push(case("invalid UTF-8 inside the fixture".into(), invalid));
    for i in 1..=50 {
        let at = fixture.len() * i / 51;
        cases.push(case(format!("cut at byte {at}"), fixture[..at].to_vec()));
    }
    let replace_numbers = |with: &str| -> Vec<u8> {
        let source = String::from_utf8_lossy(fixture);
        let mut out = String::new();
        let mut in_number = false;
        for c in source.chars() {
            if c.is_ascii_digit() {
                if !in_number {
                    out.push_str(with);
                }
                in_number = true;
            } else {
                in_number = false;
                out.push(c);
            }
        }
        out.into_bytes()
    };
    for with in [
        "18446744073709551616",
        "1e400",
        "-5",
        "99999999999999999999999",
    ] {
        cases.push(case(
            format!("every number replaced by {with}"),
            replace_numbers(with),
        ));
    }
    let crlf: Vec<u8> = String::from_utf8_lossy(fixture)
        .replace('\n', "\r\n")
        .into_bytes();
    cases.push(case("CRLF line ends".into(), crlf));
    let mut bom = vec![0xef, 0xbb, 0xbf];
    bom.extend_from_slice(fixture);
    cases.push(case("a BOM".into(), bom));
    cases
}

/// Checks one answer against the contract; returns the breaches found.
fn judge(name: &str, case: &Case, answer: &Answer) -> Vec<String> {
    let mut breaches = Vec::new();
    let mut breach = |what: String| breaches.push(format!("{name} on {}: {what}", case.name));
    let first = answer.stdout.lines().next().unwrap_or("");
    let words = ["OK", "WARNING", "CRITICAL", "UNKNOWN"];
    if !(0..=3).contains(&answer.code) {
        breach(format!("exit {} (stdout {first:?})", answer.code));
    } else {
        let word = words[answer.code as usize];
        let well_formed = first.split_once(' ').is_some_and(|(service, rest)| {
            !service.is_empty()
                && service
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                && rest.starts_with(&format!("{word} - "))
        });
        if !well_formed {
            breach(format!("line one is not 'NAME {word} - …': {first:?}"));
        }
    }
    if case.must_not_be_ok && answer.code == 0 {
        breach(format!("OK for input it cannot have understood: {first:?}"));
    }
    if first.chars().any(|c| c.is_control() && c != '\t') {
        breach(format!("control characters in line one: {first:?}"));
    }
    if !answer.stderr.is_empty() {
        breach(format!("stderr: {:?}", answer.stderr.lines().next()));
    }
    if answer.elapsed > Duration::from_secs(TIMEOUT_S + 1) {
        breach(format!("took {:?} with -t {TIMEOUT_S}", answer.elapsed));
    }
    if answer.max_rss_kb > RSS_LIMIT_KB {
        breach(format!(
            "peak RSS {} KiB over the {RSS_LIMIT_KB} KiB limit",
            answer.max_rss_kb
        ));
    }
    breaches
}

#[test]
fn every_plugin_that_reads_input_survives_hostile_input() {
    let work = tempfile::tempdir().unwrap();
    let plugins: Vec<(String, PathBuf, bool)> = built_plugins()
        .into_iter()
        .filter_map(|(name, path)| match options_of(&path) {
            (true, keeps_state) => Some((name, path, keeps_state)),
            (false, _) => None,
        })
        .collect();
    assert!(!plugins.is_empty(), "no plugin takes --input");
    let garbage = garbage_cases();
    let mut breaches = Vec::new();
    let mut covered = Vec::new();
    for (index, (name, path, keeps_state)) in plugins.iter().enumerate() {
        let state_dir = work.path().join(format!("state-{index}"));
        let judged = |file: &Path| {
            let answer = run(path, file, keeps_state.then_some(state_dir.as_path()));
            (answer.code != 3).then_some(answer.code)
        };
        let fixture = examples_of(name).into_iter().find(|f| judged(f).is_some());
        let mut cases: Vec<Case> = Vec::new();
        match &fixture {
            Some(f) => cases.extend(fixture_cases(&std::fs::read(f).unwrap())),
            None => eprintln!(
                "note: {name}: no recorded example under examples/ that it judges; \
                 only the garbage cases ran"
            ),
        }
        covered.push(format!(
            "{name}: {} cases{}",
            garbage.len() + cases.len(),
            fixture
                .as_ref()
                .map(|f| format!(" (fixture {})", f.strip_prefix(repo()).unwrap().display()))
                .unwrap_or_default()
        ));
        let all: Vec<&Case> = garbage.iter().chain(cases.iter()).collect();
        // Two workers: the machine has two cores, and each case is a process.
        let found: Vec<Vec<String>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..2)
                .map(|worker| {
                    let all = &all;
                    let work = work.path();
                    scope.spawn(move || {
                        let mut found = Vec::new();
                        for (i, case) in all.iter().enumerate().filter(|(i, _)| i % 2 == worker) {
                            let input = work.join(format!("input-{index}-{i}"));
                            std::fs::write(&input, &case.bytes).unwrap();
                            // A fresh state directory per case: a first run each time.
                            let state = work.join(format!("state-{index}-{i}"));
                            let answer = run(path, &input, keeps_state.then_some(state.as_path()));
                            found.extend(judge(name, case, &answer));
                            let _ = std::fs::remove_file(&input);
                        }
                        found
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        breaches.extend(found.into_iter().flatten());
    }
    eprintln!("bad-input matrix:\n  {}", covered.join("\n  "));
    assert!(
        breaches.is_empty(),
        "{} contract breaches:\n{}",
        breaches.len(),
        breaches.join("\n")
    );
}

#[test]
fn the_matrix_notices_a_plugin_that_breaks_the_contract() {
    // The judge itself: a made-up answer of each kind must be caught.
    let garbage = Case {
        name: "empty".into(),
        bytes: Vec::new(),
        must_not_be_ok: true,
    };
    let answer = |code: i32, stdout: &str, stderr: &str| Answer {
        code,
        stdout: stdout.into(),
        stderr: stderr.into(),
        elapsed: Duration::from_millis(5),
        max_rss_kb: 1000,
    };
    assert!(judge("p", &garbage, &answer(3, "P UNKNOWN - no data\n", "")).is_empty());
    assert_eq!(
        judge("p", &garbage, &answer(0, "P OK - 0 items\n", "")).len(),
        1
    );
    assert_eq!(judge("p", &garbage, &answer(101, "", "")).len(), 1);
    assert_eq!(
        judge(
            "p",
            &garbage,
            &answer(3, "P UNKNOWN - x\n", "thread panicked")
        )
        .len(),
        1
    );
    assert_eq!(
        judge("p", &garbage, &answer(2, "P UNKNOWN - x\n", "")).len(),
        1
    );
    assert_eq!(
        judge("p", &garbage, &answer(3, "P UNKNOWN - a\u{1b}[31m\n", "")).len(),
        1
    );
}
