//! check_netconsole_sessions through a stand-in `mshell` for this SOP (no
//! net.Console SOP can run here: COMPONENTS.md) and peer commands standing in
//! for `ssh sop2 mshell ncctl.list`, with the recorded outputs of
//! examples/netconsole/.

#[path = "support/mshell.rs"]
mod mshell;

use assert_cmd::Command;
use mshell::{example, gone, StandIn};
use std::time::{Duration, Instant};

fn plugin(standin: &StandIn, local: &str) -> Command {
    let mut cmd = Command::cargo_bin("check_netconsole_sessions").unwrap();
    cmd.env("PATH", standin.path_var())
        .env_remove("MSHELL_MODE")
        .env("MSHELL_NCCTL", example(&format!("netconsole/{local}")));
    cmd
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A peer command printing a recorded list, as `ssh sop2 mshell ncctl.list` would.
fn peer_cat(file: &str) -> String {
    format!("cat {}", example(&format!("netconsole/{file}")).display())
}

#[test]
fn the_seeds_pair_from_both_sides() {
    let standin = StandIn::new();
    let from_primary = plugin(&standin, "ncctl-primary.txt")
        .args(["--peer-command", &peer_cat("ncctl-secondary.txt")])
        .output()
        .unwrap();
    let text = stdout(&from_primary);
    assert_eq!(from_primary.status.code(), Some(0), "{text}");
    assert!(
        text.starts_with("NETCONSOLE_SESSIONS OK - 2 sessions on both SOPs, passive on the secondary | primary_sessions=2;;;0 primary_passive=0;;;0 primary_logged_out=1;;;0 primary_logged_in=1;;;0 primary_missing=0;;;0 secondary_sessions=2;;;0 secondary_passive=2;;;0 secondary_logged_out=0;;;0 secondary_logged_in=0;;;0 secondary_missing=0;;;0\n"),
        "{text}"
    );
    let from_secondary = plugin(&standin, "ncctl-secondary.txt")
        .args(["--role", "secondary"])
        .args(["--peer-command", &peer_cat("ncctl-primary.txt")])
        .output()
        .unwrap();
    assert_eq!(
        stdout(&from_secondary),
        text,
        "the same verdict from both SOPs"
    );
}

#[test]
fn shipped_examples() {
    for (primary, secondary, code, start) in [
        ("ncctl-primary.txt", "ncctl-secondary.txt", 0, "NETCONSOLE_SESSIONS OK - 2 sessions on both SOPs"),
        ("ncctl-primary-one-line.txt", "ncctl-secondary.txt", 0, "NETCONSOLE_SESSIONS OK - 2 sessions on both SOPs"),
        ("ncctl-primary.txt", "ncctl-secondary-missing.txt", 2, "NETCONSOLE_SESSIONS CRITICAL - netconsole4 missing on the secondary |"),
        ("ncctl-primary.txt", "ncctl-secondary-not-passive.txt", 2, "NETCONSOLE_SESSIONS CRITICAL - netconsole4 passive on neither SOP |"),
        ("ncctl-failover-primary.txt", "ncctl-failover-secondary.txt", 1, "NETCONSOLE_SESSIONS WARNING - netconsole6 served by the secondary (failover)"),
        ("ncctl-empty-list.txt", "ncctl-empty-list.txt", 0, "NETCONSOLE_SESSIONS OK - no net.Console session on either SOP"),
        ("ncctl-garbled.txt", "ncctl-secondary.txt", 3, "NETCONSOLE_SESSIONS UNKNOWN - cannot parse this (primary) SOP's session list: line 5 not understood"),
        ("ncctl-primary.txt", "ncctl-garbled.txt", 3, "NETCONSOLE_SESSIONS UNKNOWN - cannot parse the peer (secondary) SOP's session list"),
    ] {
        let out = Command::cargo_bin("check_netconsole_sessions")
            .unwrap()
            .arg("--input")
            .arg(example(&format!("netconsole/{primary}")))
            .arg("--peer-input")
            .arg(example(&format!("netconsole/{secondary}")))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{primary} {secondary}: {}", stdout(&out));
        assert!(stdout(&out).starts_with(start), "{primary} {secondary}: {}", stdout(&out));
    }
    // The missing session is named with its id.
    let out = Command::cargo_bin("check_netconsole_sessions")
        .unwrap()
        .arg("--input")
        .arg(example("netconsole/ncctl-primary.txt"))
        .arg("--peer-input")
        .arg(example("netconsole/ncctl-secondary-missing.txt"))
        .output()
        .unwrap();
    assert!(stdout(&out).contains("[CRITICAL] session netconsole4 (c0f34d7c-173f-43be-8ca1-dcd7750b72f0) missing on the secondary SOP"));
}

#[test]
fn this_sop_alone_by_role() {
    let standin = StandIn::new();
    let out = plugin(&standin, "ncctl-secondary.txt")
        .args(["--role", "secondary"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).starts_with("NETCONSOLE_SESSIONS OK - 2 sessions on the secondary SOP, all passive | secondary_sessions=2;;;0"));
    assert!(stdout(&out).contains("only this SOP is judged"));
    // The primary's list on a secondary: its sessions are not passive.
    let out = plugin(&standin, "ncctl-primary.txt")
        .args(["--role", "secondary"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stdout(&out).contains("session netconsole4 (c0f34d7c-173f-43be-8ca1-dcd7750b72f0) is NEWINCOMINGSTATE on the secondary SOP, expected PASSIVESTATE"));
    let out = plugin(&standin, "ncctl-primary.txt").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let out = plugin(&standin, "ncctl-failover-primary.txt")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
}

#[test]
fn a_peer_that_cannot_be_asked_is_critical() {
    let standin = StandIn::new();
    let out = plugin(&standin, "ncctl-primary.txt")
        .args([
            "--peer-command",
            "sh -c 'echo ssh: connect to host sop2 port 22: Connection refused >&2; exit 255'",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert_eq!(
        stdout(&out),
        "NETCONSOLE_SESSIONS CRITICAL - cannot read the peer (secondary) SOP's sessions: 'sh' failed (exit status 255): ssh: connect to host sop2 port 22: Connection refused\n"
    );
    // The peer's mshell reaches no management server (its ssh exits 0).
    let out = plugin(&standin, "ncctl-primary.txt")
        .args([
            "--peer-command",
            "echo telnet: Unable to connect to remote host: Connection refused",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stdout(&out).starts_with("NETCONSOLE_SESSIONS CRITICAL - the peer (secondary) SOP's Application Management Server does not answer"));
    // A peer that prints nothing, and a peer command that cannot start.
    let out = plugin(&standin, "ncctl-primary.txt")
        .args(["--peer-command", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    let out = plugin(&standin, "ncctl-primary.txt")
        .args(["--peer-command", "/nonexistent/ssh sop2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
}

#[test]
fn this_sops_mshell_failing() {
    let standin = StandIn::new();
    for (mode, code, words) in [
        ("down", 2, "cannot read this (primary) SOP's sessions: command 'mshell ncctl.list' failed (exit status 1): telnet: Unable to connect"),
        ("down0", 2, "this (primary) SOP's Application Management Server does not answer"),
        ("empty", 3, "cannot read this (primary) SOP's sessions: command 'mshell ncctl.list' printed nothing"),
    ] {
        let out = plugin(&standin, "ncctl-primary.txt")
            .env("MSHELL_MODE", mode)
            .args(["--peer-command", &peer_cat("ncctl-secondary.txt")])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{mode}: {}", stdout(&out));
        assert!(stdout(&out).contains(words), "{mode}: {}", stdout(&out));
    }
}

/// A peer whose ssh hangs: the plugin gives up at its deadline, kills it, and
/// says which side did not answer, before the watchdog fires.
#[test]
fn a_hung_peer_is_critical_before_the_watchdog() {
    let standin = StandIn::new();
    let pidfile = standin.dir.path().join("peer-pid");
    let peer = format!("sh -c 'echo $$ > {}; exec sleep 30'", pidfile.display());
    let started = Instant::now();
    let out = plugin(&standin, "ncctl-primary.txt")
        .args(["-t", "2", "--peer-command", &peer])
        .output()
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stdout(&out).starts_with("NETCONSOLE_SESSIONS CRITICAL - cannot read the peer (secondary) SOP's sessions: no answer from 'sh -c"),
        "{}",
        stdout(&out)
    );
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(gone(pid), "peer command {pid} still running");

    // This SOP's mshell hanging takes only its share: half of the time.
    let pidfile = standin.dir.path().join("local-pid");
    let started = Instant::now();
    let out = plugin(&standin, "ncctl-primary.txt")
        .env("MSHELL_MODE", "hang")
        .env("MSHELL_PIDFILE", &pidfile)
        .args([
            "-t",
            "2",
            "--peer-command",
            &peer_cat("ncctl-secondary.txt"),
        ])
        .output()
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stdout(&out).starts_with("NETCONSOLE_SESSIONS CRITICAL - cannot read this (primary) SOP's sessions: no answer from 'mshell ncctl.list' within 0."),
        "{}",
        stdout(&out)
    );
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(gone(pid), "mshell {pid} still running");
}

#[test]
fn usage_errors() {
    let standin = StandIn::new();
    for bad in [
        vec!["--input", "-", "--peer-input", "-"],
        vec!["--peer-command", ""],
        vec!["--peer-command", "cat x", "--peer-input", "y"],
        vec!["--role", "tertiary"],
    ] {
        let out = plugin(&standin, "ncctl-primary.txt")
            .args(&bad)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{bad:?}: {}", stdout(&out));
    }
}
