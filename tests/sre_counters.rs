//! check_sre_counters on real files: the recorded lines of examples/sre/
//! (the SRE guide §2.8) written to a temporary directory with their epochs
//! moved to now, and mtimes the test sets (`touch -d`).

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

const SEED_EPOCH: &str = "1718879940";
const SILENT_EPOCH: &str = "1718878860";

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The example `name` with its epochs moved by `shift` so that the newest is
/// `newest_age` seconds old, written to `dir`, mtime `mtime_age` seconds ago.
fn fresh_copy(dir: &Path, name: &str, newest_age: i64, mtime_age: i64) -> PathBuf {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/sre")
            .join(name),
    )
    .unwrap();
    let newest = now() - newest_age;
    let silent = newest - (1718879940 - 1718878860);
    let text = text
        .replace(SEED_EPOCH, &newest.to_string())
        .replace(SILENT_EPOCH, &silent.to_string());
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let status = std::process::Command::new("touch")
        .arg("-d")
        .arg(format!("@{}", now() - mtime_age))
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    path
}

fn run(args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("check_sre_counters")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn the_seed_file_rewritten_a_minute_ago_is_ok() {
    let dir = tempfile::tempdir().unwrap();
    let file = fresh_copy(dir.path(), "counters.csv", 40, 35);
    let (code, out) = run(&["--file", file.to_str().unwrap(), "-c", "1:"]);
    assert_eq!(code, 0, "{out}");
    let first = out.lines().next().unwrap();
    assert!(first.contains("request.INVITE=97;;1:"), "{first}");
    assert!(first.contains("relay=94;;;0"), "{first}");
    assert!(
        first.contains("SRE_COUNTERS OK - request.INVITE 97 in 5 min on 2 hosts, newest sample 4"),
        "{first}"
    );
    assert!(first.contains("age=4"), "{first}");
    assert!(out.contains("calls are relayed (94 in 5 min)"), "{out}");
    // Per host: sre-cp2 had 1 INVITE in the newest 5 minutes, none in the newest 2.
    let (code, out) = run(&[
        "--file",
        file.to_str().unwrap(),
        "--per-host",
        "--minutes",
        "2",
        "-c",
        "1:",
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.lines()
            .next()
            .unwrap()
            .contains("request.INVITE 0 on sre-cp2-ams-dune"),
        "{out}"
    );
    assert!(
        out.contains("'request.INVITE_sre-cp1-ams-dune'=36;;1:")
            || out.contains("request.INVITE_sre-cp1-ams-dune=36;;1:"),
        "{out}"
    );
    let (code, out) = run(&[
        "--file",
        file.to_str().unwrap(),
        "--metric",
        "response.200 (OPTIONS)",
        "--metric",
        "request.REGISTER",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("'response.200 (OPTIONS)'=31"), "{out}");
    assert!(out.contains("request.REGISTER=7"), "{out}");
}

#[test]
fn a_stale_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = fresh_copy(dir.path(), "counters.csv", 900, 880);
    let (code, out) = run(&["--file", file.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.lines()
            .next()
            .unwrap()
            .contains("newest sample 15m old"),
        "{out}"
    );
    // Fresh lines, but a file not rewritten for 5 minutes: a warning.
    let file = fresh_copy(dir.path(), "counters.csv", 30, 300);
    let (code, out) = run(&["--file", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("file modified 5m old"), "{out}");
}

#[test]
fn quoted_comma_truncated_line_and_silent_host() {
    let dir = tempfile::tempdir().unwrap();
    let file = fresh_copy(dir.path(), "counters-quoted-comma.csv", 30, 30);
    let (code, out) = run(&[
        "--file",
        file.to_str().unwrap(),
        "--metric",
        "response.200 (OPTIONS, cached)",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("response.200 (OPTIONS, cached) 8 in 5 min on 1 host"),
        "{out}"
    );

    let file = fresh_copy(dir.path(), "counters-truncated.csv", 30, 30);
    let (code, out) = run(&["--file", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("line 12 truncated (file being rewritten?)"),
        "{out}"
    );

    let file = fresh_copy(dir.path(), "counters-host-silent.csv", 30, 30);
    let (code, out) = run(&["--file", file.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("sre-cp2-ams-dune silent: its newest sample is 18m older than the file's"),
        "{out}"
    );
}

#[test]
fn missing_empty_and_garbage_files_are_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out) = run(&["--file", dir.path().join("nope.csv").to_str().unwrap()]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("cannot read"), "{out}");
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let (code, out) = run(&["--file", empty.to_str().unwrap()]);
    assert_eq!(code, 3, "{out}");
    let garbage = dir.path().join("garbage.csv");
    std::fs::write(&garbage, "<html>\n\x1b[2Jnot csv\n").unwrap();
    let (code, out) = run(&["--file", garbage.to_str().unwrap()]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("line 1 not understood"), "{out}");
    assert!(!out.contains('\x1b'), "{out}");
    for bad in [["--metric", ""], ["--minutes", "0"], ["--minutes", "16"]] {
        let (code, out) = run(&["--file", garbage.to_str().unwrap(), bad[0], bad[1]]);
        assert_eq!(code, 3, "{bad:?}: {out}");
    }
}
