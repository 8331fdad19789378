//! check_sre_accounting_sync on real state directories (the guide's §2.12
//! listing: a checkpoint and an oplog of generation 00000000000003ef3 on each
//! EM, sizes as in the guide, mtimes set by the test) and a real OpenSSH
//! server started by the test on a loopback port with its own host key and a
//! key pair made for the test: the default `ssh -o BatchMode=yes … PEER find …`
//! path runs as it would between two EMs, only `-o` options added.

#[path = "support/ssh.rs"]
mod ssh;

use assert_cmd::Command;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

const GEN: &str = "00000000000003ef3";

fn server() -> &'static ssh::SshServer {
    static SERVER: OnceLock<ssh::SshServer> = OnceLock::new();
    SERVER.get_or_init(ssh::SshServer::start)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn touch(path: &Path, epoch: i64) {
    assert!(std::process::Command::new("touch")
        .arg("-d")
        .arg(format!("@{epoch}"))
        .arg(path)
        .status()
        .unwrap()
        .success());
}

/// The one "now" every age is counted from: two directories made a second
/// apart (writing 29 MB on a loaded host) must still be 60 s apart.
fn reference() -> i64 {
    static START: OnceLock<i64> = OnceLock::new();
    *START.get_or_init(now)
}

/// A state directory: checkpoint of `checkpoint_size` bytes (filled with
/// `fill`), oplog of `oplog_size` bytes written `oplog_age` seconds ago.
fn state(checkpoint_size: usize, fill: u8, oplog_size: usize, oplog_age: i64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let cp = dir.path().join(format!("{GEN}.checkpoint"));
    std::fs::write(&cp, vec![fill; checkpoint_size]).unwrap();
    touch(&cp, reference() - 600);
    let op = dir.path().join(format!("{GEN}.oplog"));
    let f = std::fs::File::create(&op).unwrap();
    f.set_len(oplog_size as u64).unwrap();
    touch(&op, reference() - oplog_age);
    dir
}

fn run(args: &[String]) -> (i32, String) {
    let out = Command::cargo_bin("check_sre_accounting_sync")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// --dir LOCAL --peer 127.0.0.1 --peer-state-dir PEER and the server's -o options.
fn over_ssh(local: &Path, peer: &Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "--dir".to_string(),
        local.display().to_string(),
        "--peer".to_string(),
        "127.0.0.1".to_string(),
        "--peer-state-dir".to_string(),
        peer.display().to_string(),
    ];
    for o in server().client_options() {
        args.push(format!("--ssh-option={o}"));
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

#[test]
fn the_seed_example_over_ssh_is_ok() {
    // EM1 here: oplog 13976487 B written 60 s before EM2's 25596460 B.
    let em1 = state(29_615_256, 7, 13_976_487, 70);
    let em2 = state(29_615_256, 7, 25_596_460, 10);
    let (code, out) = run(&over_ssh(em1.path(), em2.path(), &["--checksum"]));
    assert_eq!(code, 0, "{out}\nsshd log:\n{}", server().log());
    let first = out.lines().next().unwrap();
    assert!(
        first.contains(
            "checkpoint 00000000000003ef3.checkpoint identical (29615256 B, same size and SHA-256)"
        ),
        "{first}"
    );
    assert!(
        first.contains("written 1m apart (13976487 B here, 25596460 B on the peer)"),
        "{first}"
    );
    assert!(first.contains("oplog_mtime_diff=60s;300;900"), "{first}");
    // The same pair through a mount.
    let (code, out) = run(&[
        "--dir".into(),
        em1.path().display().to_string(),
        "--peer-dir".into(),
        em2.path().display().to_string(),
    ]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn out_of_sync_over_ssh() {
    // The peer's oplog stopped 20 minutes ago while ours is written.
    let em1 = state(1000, 1, 5000, 5);
    let em2 = state(1000, 1, 4000, 1200);
    let (code, out) = run(&over_ssh(em1.path(), em2.path(), &[]));
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("stopped on the peer: last written 19m 55s before"),
        "{out}"
    );
    // Same size, other content: only --checksum sees it.
    let em2 = state(1000, 2, 5000, 5);
    let (code, out) = run(&over_ssh(em1.path(), em2.path(), &[]));
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(&over_ssh(em1.path(), em2.path(), &["--checksum"]));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("same size, different SHA-256"), "{out}");
    // The peer's state directory is missing: find fails, ssh says why.
    let (code, out) = run(&over_ssh(em1.path(), Path::new("/nonexistent/state"), &[]));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("failed (exit status 1)"), "{out}");
    assert!(out.contains("/nonexistent/state"), "{out}");
}

#[test]
fn an_unreachable_or_missing_peer_is_critical() {
    let em1 = state(1000, 1, 5000, 5);
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut args: Vec<String> = vec![
        "--dir".to_string(),
        em1.path().display().to_string(),
        "--peer".into(),
        "127.0.0.1".into(),
        format!("--ssh-option=Port={closed}"),
        "--ssh-option=StrictHostKeyChecking=no".into(),
        "--ssh-option=UserKnownHostsFile=/dev/null".into(),
    ];
    let (code, out) = run(&args);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("'ssh' failed (exit status 255)"), "{out}");
    assert!(out.contains("Connection refused"), "{out}");
    // A peer that accepts the connection and never speaks (the kernel
    // completes the handshake into the backlog, nobody answers): ssh waits for
    // the banner and is killed at the deadline (-t 2: 1.6 s of work).
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    args[4] = format!("--ssh-option=Port={silent_port}");
    args.extend(["-t".to_string(), "2".to_string()]);
    let started = std::time::Instant::now();
    let (code, out) = run(&args);
    assert!(started.elapsed().as_secs_f64() < 2.0, "{out}");
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("no answer from 'ssh -o") && out.contains("' within 1.6 s"),
        "{out}"
    );
    drop(silent);
    // The same deadline for a --peer-command.
    let (code, out) = run(&[
        "--dir".into(),
        em1.path().display().to_string(),
        "--peer-command".into(),
        "sleep 30".into(),
        "-t".into(),
        "2".into(),
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("no answer from 'sleep") && out.contains("' within 1.6 s"),
        "{out}"
    );
    // A peer whose state has no oplog; a peer command printing garbage.
    let em2 = tempfile::tempdir().unwrap();
    std::fs::copy(
        em1.path().join(format!("{GEN}.checkpoint")),
        em2.path().join(format!("{GEN}.checkpoint")),
    )
    .unwrap();
    let (code, out) = run(&over_ssh(em1.path(), em2.path(), &[]));
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("no 00000000000003ef3.oplog on the peer"),
        "{out}"
    );
    let (code, out) = run(&[
        "--dir".into(),
        em1.path().display().to_string(),
        "--peer-command".into(),
        "echo not a listing at all".into(),
    ]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("the peer's listing: line 1"), "{out}");
    let (code, out) = run(&["--dir".into(), em1.path().display().to_string()]);
    assert_eq!(code, 3, "no peer given: {out}");
}
