//! The state store under load and faults, through a real plugin that keeps
//! state (check_kamailio_stats on captured input): 100 concurrent runs on one
//! key, runs killed with SIGKILL at random points of their save, a read-only
//! and a full state directory (tmpfs mounts in a private mount namespace, as
//! root), and state files written by another version.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;
use support::text;

fn plugin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("check_kamailio_stats")
}

/// The recorded kamcmd sample with its request counter set to `n`.
fn sample(dir: &Path, n: u64) -> PathBuf {
    let recorded =
        std::fs::read_to_string(support::repo().join("examples/kamailio/kamcmd-stats-all.txt"))
            .unwrap();
    assert!(recorded.contains("core:rcv_requests = "));
    let text: String = recorded
        .lines()
        .map(|line| match line.split_once(" = ") {
            Some(("core:rcv_requests", _)) => format!("core:rcv_requests = {n}\n"),
            _ => format!("{line}\n"),
        })
        .collect();
    let path = dir.join(format!("sample-{n}.txt"));
    std::fs::write(&path, text).unwrap();
    path
}

fn command(input: &Path, state_dir: &Path) -> Command {
    let mut command = Command::new(plugin());
    command
        .arg("--input")
        .arg(input)
        .arg("--state-dir")
        .arg(state_dir)
        .args(["--instance", "shared", "--output-format", "json"])
        .stdin(Stdio::null());
    command
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&out.stdout)))
}

fn state_file(dir: &Path) -> PathBuf {
    dir.join("check_kamailio_stats_shared.json")
}

fn saved_requests(dir: &Path) -> u64 {
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state_file(dir)).unwrap()).expect("state parses");
    assert_eq!(saved["version"], 1, "{saved}");
    saved["data"]["stats"]["core"]["rcv_requests"]
        .as_u64()
        .or_else(|| saved["data"]["stats"]["core:rcv_requests"].as_u64())
        .unwrap_or_else(|| panic!("no request counter in {saved}"))
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-") || n.starts_with(".state-"))
        .collect()
}

#[test]
fn a_hundred_concurrent_runs_on_one_key_lose_nothing() {
    let work = tempfile::tempdir().unwrap();
    let state = work.path().join("state");
    let inputs: Vec<PathBuf> = (0..100).map(|i| sample(work.path(), 1000 + i)).collect();
    let children: Vec<_> = inputs
        .iter()
        .map(|input| {
            command(input, &state)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut first_runs = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.stderr.is_empty(), "stderr: {}", text(&out.stderr));
        let doc = json(&out);
        assert_ne!(doc["state"], "UNKNOWN", "{doc}");
        let notes = doc["notes"].to_string();
        assert!(
            // ("baseline reset" is the counters going down between two of
            // these unordered inputs, not the state file.)
            !notes.contains("has been reset") && !notes.contains("unreadable"),
            "a run found a torn state file: {notes}"
        );
        if notes.contains("first run") {
            first_runs += 1;
        }
    }
    // Exactly one run found no state: every other one found a complete sample.
    assert_eq!(first_runs, 1, "runs that saw no previous sample");
    let saved = saved_requests(&state);
    assert!((1000..1100).contains(&saved), "saved {saved}");
    assert!(leftovers(&state).is_empty(), "{:?}", leftovers(&state));
}

#[test]
fn a_run_killed_during_its_save_leaves_the_previous_state_and_the_next_run_cleans_up() {
    let work = tempfile::tempdir().unwrap();
    let state = work.path().join("state");
    let first = sample(work.path(), 5);
    assert!(command(&first, &state).output().unwrap().status.code() == Some(0));
    let mut killed = 0;
    // Kill runs at spread points of their life; whatever moment the kill
    // lands on, the file holds a whole sample, old or new.
    for i in 0..40u64 {
        let input = sample(work.path(), 10 + i);
        let mut child = command(&input, &state)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(250 * i));
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
        if !child.wait().unwrap().success() {
            killed += 1;
        }
        let saved = saved_requests(&state);
        assert!(
            saved == 5 || (10..=10 + i).contains(&saved),
            "saved {saved}"
        );
    }
    assert!(killed > 0, "no run was killed before it finished");
    // A save cut after its temp file was written: the next run removes it.
    let leftover = state.join(".check_kamailio_stats_shared.json.tmp-killed");
    std::fs::write(&leftover, b"{\"version\":1,\"data\":{\"tak").unwrap();
    let out = command(&sample(work.path(), 100), &state).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        !leftover.exists(),
        "the killed save's temp file is still there"
    );
    assert_eq!(saved_requests(&state), 100);
}

/// Runs the plugin with its state directory on a fresh tmpfs mounted with
/// `mount_options`, in a private mount namespace (nothing leaks to the host).
fn on_tmpfs(mount_options: &str, fill: bool, input: &Path) -> Output {
    assert_eq!(
        // SAFETY: geteuid has no preconditions.
        unsafe { libc::geteuid() },
        0,
        "this test mounts a tmpfs and must run as root (CI does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let fill = if fill {
        // Fill the filesystem: the state file's write must fail with ENOSPC.
        format!(
            "dd if=/dev/zero of={}/fill bs=4k 2>/dev/null; ",
            dir.path().display()
        )
    } else {
        String::new()
    };
    let script = format!(
        "mount -t tmpfs -o {mount_options} tmpfs {dir} && {fill}exec {plugin} --input {input} \
         --state-dir {dir} --instance shared",
        dir = dir.path().display(),
        plugin = plugin().display(),
        input = input.display(),
    );
    let out = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", &script])
        .stdin(Stdio::null())
        .output()
        .expect("unshare runs");
    assert!(
        !text(&out.stderr).contains("unshare:") && !text(&out.stderr).contains("mount:"),
        "cannot make the test filesystem: {}",
        text(&out.stderr)
    );
    out
}

#[test]
fn a_read_only_or_full_state_directory_is_unknown_with_the_path_and_the_error() {
    let work = tempfile::tempdir().unwrap();
    let input = sample(work.path(), 1);
    let read_only = on_tmpfs("ro,size=1m", false, &input);
    let line = text(&read_only.stdout);
    assert_eq!(read_only.status.code(), Some(3), "{line}");
    assert!(line.starts_with("KAMAILIO_STATS UNKNOWN - "), "{line}");
    assert!(line.contains("Read-only file system"), "{line}");
    assert!(line.contains("check_kamailio_stats_shared"), "{line}");

    let full = on_tmpfs("size=64k", true, &input);
    let line = text(&full.stdout);
    assert_eq!(full.status.code(), Some(3), "{line}");
    assert!(line.contains("cannot write state file"), "{line}");
    assert!(line.contains("No space left on device"), "{line}");
}

#[test]
fn state_written_by_another_version_is_read_or_started_afresh_never_a_crash() {
    let work = tempfile::tempdir().unwrap();
    let state = work.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let input = sample(work.path(), 50);
    // A newer release added fields: they are ignored, the sample is used.
    assert_eq!(
        command(&input, &state).output().unwrap().status.code(),
        Some(0)
    );
    let mut saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state_file(&state)).unwrap()).unwrap();
    saved["data"]["added_later"] = serde_json::json!({"x": [1, 2]});
    saved["written_by"] = serde_json::json!("opscheck 9.0");
    std::fs::write(state_file(&state), saved.to_string()).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let out = command(&sample(work.path(), 60), &state).output().unwrap();
    let doc = json(&out);
    assert_ne!(doc["state"], "UNKNOWN", "{doc}");
    assert_eq!(doc["notes"], serde_json::json!([]), "{doc}");

    // A sample of another shape: one quiet note, and the run starts afresh.
    saved["version"] = serde_json::json!(99);
    std::fs::write(state_file(&state), saved.to_string()).unwrap();
    let out = command(&sample(work.path(), 70), &state).output().unwrap();
    let doc = json(&out);
    assert_ne!(doc["state"], "UNKNOWN", "{doc}");
    assert!(
        doc["notes"].to_string().contains("another version"),
        "{doc}"
    );
    assert_eq!(saved_requests(&state), 70);
}
