//! check_smith_stonith on real flag files in temporary folders.

use assert_cmd::Command;
use std::path::Path;
use std::time::{Duration, Instant};

fn write_flags(dir: &Path, smith: &str, stonith: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("SMITH"), smith).unwrap();
    std::fs::write(dir.join("STONITH"), stonith).unwrap();
}

fn plugin() -> Command {
    Command::cargo_bin("check_smith_stonith").unwrap()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Each of the 16 rows through the binary, both from the primary and from the secondary.
#[test]
fn every_row_of_the_table_from_both_sides() {
    let tmp = tempfile::tempdir().unwrap();
    for bits in 0..16u8 {
        let b = |i: u8| {
            if bits >> (3 - i) & 1 == 1 {
                "1\n"
            } else {
                "0\n"
            }
        };
        let primary = tmp.path().join(format!("{bits}/p"));
        let secondary = tmp.path().join(format!("{bits}/s"));
        write_flags(&primary, b(0), b(1));
        write_flags(&secondary, b(2), b(3));
        let expected = if bits == 0 {
            0
        } else if bits & 1 == 1 {
            2 // secondary STONITH set: every such row is invalid
        } else {
            1
        };
        let from_primary = plugin()
            .args([
                "--dir",
                primary.to_str().unwrap(),
                "--peer-dir",
                secondary.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let from_secondary = plugin()
            .args(["--role", "secondary", "--dir", secondary.to_str().unwrap()])
            .args(["--peer-dir", primary.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(
            from_primary.status.code(),
            Some(expected),
            "row {bits:04b}: {}",
            stdout(&from_primary)
        );
        assert_eq!(
            stdout(&from_primary),
            stdout(&from_secondary),
            "row {bits:04b}: same verdict from both SOPs"
        );
    }
}

#[test]
fn shipped_examples() {
    let ex = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smith-stonith");
    for (case, code, words) in [
        ("normal", 0, "SMITH_STONITH OK - normal operation"),
        ("failover", 1, "SMITH_STONITH WARNING - failover mode"),
        ("invalid", 2, "SMITH_STONITH CRITICAL - invalid"),
    ] {
        let out = plugin()
            .arg("--dir")
            .arg(ex.join(case).join("primary"))
            .arg("--peer-dir")
            .arg(ex.join(case).join("secondary"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{case}");
        assert!(stdout(&out).starts_with(words), "{case}: {}", stdout(&out));
    }
}

#[test]
fn bad_flag_files_are_unknown_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sop");
    write_flags(&dir, " 1 \n", "maybe");
    let out = plugin().arg("--dir").arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("{}/STONITH contains 'maybe'", dir.display())),
        "{text}"
    );

    std::fs::remove_file(dir.join("SMITH")).unwrap();
    let out = plugin().arg("--dir").arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(stdout(&out).contains(&format!("{}/SMITH", dir.display())));

    write_flags(&dir, "", "0");
    let out = plugin().arg("--dir").arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "an empty flag file is not 0");
}

#[test]
fn unreadable_flag_file_is_unknown() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sop");
    write_flags(&dir, "0", "0");
    // A directory where the file should be cannot be read as a flag, even as root.
    std::fs::remove_file(dir.join("STONITH")).unwrap();
    std::fs::create_dir(dir.join("STONITH")).unwrap();
    let out = plugin().arg("--dir").arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stdout(&out).contains("cannot read flag file"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn local_flags_only() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sop");
    write_flags(&dir, "0", "0");
    let out = plugin().arg("--dir").arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).starts_with("SMITH_STONITH OK - primary SOP accepts calls | primary_smith=0;;;0;1 primary_stonith=0;;;0;1\n"));
    write_flags(&dir, "1", "0");
    let out = plugin().arg("--dir").arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("refuses calls"));
    write_flags(&dir, "0", "1");
    let out = plugin()
        .args(["--role", "secondary"])
        .arg("--dir")
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn peer_command_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sop");
    write_flags(&dir, "0", "1");
    let peer = tmp.path().join("peer");
    write_flags(&peer, "0", "0");
    // grep -H prints path:value, as an ssh command to the peer would.
    let cmd = format!("grep -H . {0}/SMITH {0}/STONITH", peer.display());
    let out = plugin()
        .arg("--dir")
        .arg(&dir)
        .args(["--peer-command", &cmd])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("failover mode"));

    let out = plugin()
        .arg("--dir")
        .arg(&dir)
        .args(["--peer-command", "echo 0 1"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "peer STONITH=1 on the secondary is invalid"
    );

    let out = plugin()
        .arg("--dir")
        .arg(&dir)
        .args([
            "--peer-command",
            "sh -c 'echo ssh: connect to host sop2 port 22: Connection refused >&2; exit 255'",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unreachable peer is CRITICAL"
    );
    assert!(
        stdout(&out).contains("Connection refused"),
        "{}",
        stdout(&out)
    );

    let out = plugin()
        .arg("--dir")
        .arg(&dir)
        .args(["--peer-command", "echo hello"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "unparsable peer output is UNKNOWN"
    );

    let out = plugin()
        .arg("--dir")
        .arg(&dir)
        .args(["--peer-command", "/nonexistent/ssh x"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "a command that cannot start is UNKNOWN"
    );
}

/// A peer command that hangs: the plugin gives up at the deadline (-t minus a
/// fifth), kills it, and says which peer did not answer (CRITICAL, like any
/// peer that cannot be asked) before the watchdog has to.
#[test]
fn timeout_kills_a_hanging_peer_command() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sop");
    write_flags(&dir, "0", "0");
    let pidfile = tmp.path().join("pid");
    let cmd = format!("sh -c 'echo $$ > {}; exec sleep 30'", pidfile.display());
    let started = Instant::now();
    let out = plugin()
        .arg("--dir")
        .arg(&dir)
        .args(["-t", "1", "--peer-command", &cmd])
        .output()
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(
        text.starts_with(
            "SMITH_STONITH CRITICAL - cannot read the peer SOP's flags: no answer from 'sh -c"
        ),
        "{text}"
    );
    assert!(text.contains("within 0.8 s"), "{text}");
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // The child is gone, or at most a zombie waiting for a reaper. The kill was
    // sent before the plugin exited; give a loaded machine time to deliver it.
    let alive = |pid: i32| {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        state.rsplit(')').next().is_some_and(|rest| {
            !rest.trim_start().is_empty() && !rest.trim_start().starts_with('Z')
        })
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !alive(pid),
        "peer command {pid} still running after the timeout"
    );
}
