//! check_sre_status against the recorded `sre-admin status` outputs of
//! examples/sre/ (rebuilt from the SRE guide §2.1), read with --input and
//! printed by a stand-in `sre-admin` executable run as the default command path
//! would run it (argv, LC_ALL set, killed past the deadline). sre-admin is
//! proprietary: no real one can run here.

use assert_cmd::Command;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/sre")
        .join(name)
}

fn plugin() -> Command {
    Command::cargo_bin("check_sre_status").unwrap()
}

fn run(args: &[&str]) -> (i32, String) {
    let out = plugin().args(args).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--output-format", "json"]);
    let (_, out) = run(&all);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// A stand-in sre-admin: a shell script that checks its arguments, prints
/// LC_ALL to a side file, then prints `body` (or fails / hangs).
fn stand_in(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("sre-admin");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\n[ \"$1\" = status ] || {{ echo \"usage: sre-admin status\" >&2; exit 2; }}\necho \"$LC_ALL\" > \"{}\"\n{body}\n",
            dir.join("locale").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn the_seed_platform_is_ok() {
    let file = example("status-healthy.txt");
    let (code, out) = run(&["--input", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let first = out.lines().next().unwrap();
    assert!(
        first.starts_with(
            "SRE_STATUS OK - SRE platform healthy: master SRE-33-EM1, 4 servers, replication streaming | "
        ),
        "{first}"
    );
    for perf in [
        "lag_cp2=0B;16777216;134217728",
        "connections=11",
        "idle_in_transaction=0;;;0",
        "processes_running=26;;;0",
        "cpu_SRE-33-EM1=44.7%;85;95;0;100",
        "memory_SRE-33-EM2=64.4%;90;95;0;100",
        "swap_SRE-33-CP2=8%;50;80;0;100",
    ] {
        assert!(first.contains(perf), "{perf} missing: {first}");
    }
    let doc = json(&["--input", file.to_str().unwrap()]);
    let items = doc["items"].as_array().unwrap();
    assert_eq!(items.len(), 5, "one line per section");
    assert_eq!(items[1]["children"].as_array().unwrap().len(), 3);
}

#[test]
fn failure_variants_from_files() {
    let cases: &[(&str, i32, &str)] = &[
        (
            "status-two-masters.txt",
            2,
            "split brain: SRE-33-EM1, SRE-33-EM2 are master",
        ),
        (
            "status-no-master.txt",
            2,
            "no writer: no DB server is master",
        ),
        (
            "status-client-catchup.txt",
            1,
            "cp2 is catchup (not streaming)",
        ),
        (
            "status-lag-across-boundary.txt",
            1,
            "em2 streaming lag 27262976 B",
        ),
        (
            "status-fatal-backoff.txt",
            2,
            "sre-broker FATAL on SRE-33-CP2 and 1 more",
        ),
        (
            "status-restarted.txt",
            1,
            "sre-call-processor:0 restarted on SRE-33-CP1 2m 17s ago",
        ),
        (
            "status-cp-missing.txt",
            2,
            "SRE-33-CP2 missing from the process status",
        ),
        ("status-cpu-98.txt", 2, "CPU 98.1 % on SRE-33-EM1"),
        (
            "status-missing-section.txt",
            1,
            "section 'Server DB replication status' missing",
        ),
        (
            "status-idle-in-transaction.txt",
            1,
            "1 DB connection idle in transaction over 300 s",
        ),
        (
            "status-garbage.txt",
            3,
            "no section of sre-admin status found (first line: '<html><body>502 Bad Gateway",
        ),
        ("status-empty.txt", 3, "sre-admin status printed nothing"),
    ];
    for (name, code, text) in cases {
        let file = example(name);
        let (got, out) = run(&["--input", file.to_str().unwrap()]);
        assert_eq!(got, *code, "{name}: {out}");
        let first = out.lines().next().unwrap();
        assert!(first.contains(text), "{name}: {first}");
    }
    // The BACKOFF of the same file, on its own line of the long output.
    let (_, out) = run(&[
        "--input",
        example("status-fatal-backoff.txt").to_str().unwrap(),
    ]);
    assert!(
        out.contains("[CRITICAL] sre-cdr-sender BACKOFF on SRE-33-CP1"),
        "{out}"
    );
}

#[test]
fn options_adjust_the_rules() {
    let healthy = example("status-healthy.txt");
    let healthy = healthy.to_str().unwrap();
    let (code, out) = run(&["--input", healthy, "--expect-clients", "4"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("3 replication clients listed, 4 expected"),
        "{out}"
    );
    let (code, out) = run(&[
        "--input",
        healthy,
        "--expect",
        "sre-dns-updater=SRE-33-EM1,SRE-33-EM2",
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("sre-dns-updater STOPPED on SRE-33-EM2"),
        "{out}"
    );
    let (code, out) = run(&[
        "--input",
        healthy,
        "--cp",
        "SRE-33-CP1,SRE-33-CP2,SRE-33-CP3",
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("SRE-33-CP3 missing from the process status"),
        "{out}"
    );
    let (code, out) = run(&["--input", healthy, "--warning-cpu", "40"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("CPU 44.7 % on SRE-33-EM1"), "{out}");
    // The restart is not judged below a 60 s --min-uptime.
    let restarted = example("status-restarted.txt");
    let (code, out) = run(&["--input", restarted.to_str().unwrap(), "--min-uptime", "60"]);
    assert_eq!(code, 0, "{out}");
    let fatal = example("status-fatal-backoff.txt");
    let (code, out) = run(&[
        "--input",
        fatal.to_str().unwrap(),
        "--ignore",
        "sre-broker",
        "--ignore",
        "sre-cdr-sender",
    ]);
    assert_eq!(code, 0, "{out}");
    for bad in [
        ["--em", ""],
        ["--ignore", ""],
        ["--locale", ""],
        ["--expect", "x="],
    ] {
        let (code, out) = run(&["--input", healthy, bad[0], bad[1]]);
        assert_eq!(code, 3, "{bad:?}: {out}");
    }
}

#[test]
fn a_stand_in_sre_admin_on_the_command_path() {
    let dir = tempfile::tempdir().unwrap();
    let body = format!("cat '{}'", example("status-restarted.txt").display());
    let tool = stand_in(dir.path(), &body);
    let command = format!("{} status", tool.display());
    let (code, out) = run(&["--command", &command]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("sre-call-processor:0 restarted on SRE-33-CP1"),
        "{out}"
    );
    let locale = std::fs::read_to_string(dir.path().join("locale")).unwrap();
    assert_eq!(locale.trim(), "en_US.utf8", "the guide's locale is passed");
    let (_, _) = run(&["--command", &command, "--locale", "C.UTF-8"]);
    let locale = std::fs::read_to_string(dir.path().join("locale")).unwrap();
    assert_eq!(locale.trim(), "C.UTF-8");
}

#[test]
fn sre_admin_failing_or_complaining_or_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let tool = stand_in(
        dir.path(),
        "echo 'RuntimeError: Click will abort further execution because Python was configured to use ASCII as encoding for the environment.' >&2\nexit 1",
    );
    let command = format!("{} status", tool.display());
    let (code, out) = run(&["--command", &command]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("exit status 1"), "{out}");
    assert!(out.contains("RuntimeError: Click will abort"), "{out}");
    assert!(out.contains("set --locale"), "{out}");

    let tool = stand_in(
        dir.path(),
        "echo 'cannot connect to database at 10.0.161.180' >&2\nexit 1",
    );
    let (code, out) = run(&["--command", &format!("{} status", tool.display())]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("cannot connect to database at 10.0.161.180"),
        "{out}"
    );

    // Sections printed before a failure are judged too, under the failure.
    let body = format!(
        "cat '{}'\necho 'SRE-33-CP2: connection timed out' >&2\nexit 1",
        example("status-cp-missing.txt").display()
    );
    let tool = stand_in(dir.path(), &body);
    let (code, out) = run(&["--command", &format!("{} status", tool.display())]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("[CRITICAL] SRE-33-CP2 missing from the process status"),
        "{out}"
    );
    assert!(
        out.contains("failed (exit status 1): SRE-33-CP2: connection timed out"),
        "{out}"
    );

    let (code, out) = run(&["--command", "/nonexistent/sre-admin status"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("cannot run '/nonexistent/sre-admin'"), "{out}");

    // A hung sre-admin is killed at the deadline (-t 2: 1.6 s of work) and
    // reported by the plugin itself, before the watchdog.
    let tool = stand_in(dir.path(), "sleep 30");
    let started = std::time::Instant::now();
    let (code, out) = run(&[
        "--command",
        &format!("{} status", tool.display()),
        "-t",
        "2",
    ]);
    assert!(
        started.elapsed().as_secs_f64() < 2.0,
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no answer from"), "{out}");
    assert!(out.contains("within 1.6 s"), "{out}");
}
