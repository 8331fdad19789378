//! check_seon_daemons on real stand-in daemons: processes with the Seon
//! daemons' argv[0] and kernel names, a master that forks its receivers, and
//! listening sockets on free loopback ports. Each test runs its daemons under a
//! UID of its own and passes it with --user.

#[path = "support/procs.rs"]
mod procs_support;

use assert_cmd::Command;
use procs_support::{dead_pid, free_port, require_root, run_plugin, unique_uid, StandIn};
use serde_json::{json, Value};
use std::net::TcpListener;

struct Ports {
    tcpip: u16,
    tls: u16,
    debug: u16,
    client: u16,
}

impl Ports {
    fn new() -> Ports {
        // free_port hands each port out once, so the four never coincide.
        Ports {
            tcpip: free_port(),
            tls: free_port(),
            debug: free_port(),
            client: free_port(),
        }
    }

    fn args(&self) -> Vec<String> {
        vec![
            format!("--listen=seonrd_tcpip={}", self.tcpip),
            format!("--listen=seonrd_tcpip_tls={}", self.tls),
            format!("--listen=seondebugd={}", self.debug),
            format!("--listen=seonclientd={}", self.client),
        ]
    }
}

fn child(argv0: &str, spec: Value) -> Value {
    json!({ "argv0": argv0, "spec": spec })
}

/// The guide's master: receivers forked from seonrd keep the kernel name
/// `seonrd` and set argv[0] to their role (seonrd_tcpip_tls is 16 characters).
fn master(ports: &Ports) -> Value {
    json!({
        "comm": "seonrd",
        "children": [
            child("seonrd_tcpip        ", json!({"comm": "seonrd", "listen": [ports.tcpip]})),
            child("seonrd_tcpip_tls    ", json!({"comm": "seonrd", "listen6": [ports.tls]})),
            child("seonrd_capi_0       ", json!({"comm": "seonrd"})),
        ]
    })
}

/// A whole healthy Seon: master, send queue daemon with two running actions,
/// debug daemon, client daemon with a child (that holds no socket).
struct Seon {
    uid: u32,
    ports: Ports,
    daemons: Vec<StandIn>,
}

impl Seon {
    fn start(master_spec: impl Fn(&Ports) -> Value) -> Seon {
        let uid = unique_uid();
        let ports = Ports::new();
        let mut daemons = vec![StandIn::start(
            "/opt/seon/bin/seonrd",
            &[],
            master_spec(&ports),
            Some(uid),
        )];
        daemons.push(StandIn::start(
            "/opt/seon/bin/seonsqd",
            &[],
            json!({"comm": "seonsqd", "children": [
                child("seonsqd", json!({"comm": "seonsqd"})),
                child("seonsend", json!({"comm": "seonsend"})),
            ]}),
            Some(uid),
        ));
        daemons.push(StandIn::start(
            "/opt/seon/bin/seondebugd",
            &[],
            json!({"comm": "seondebugd", "listen": [ports.debug]}),
            Some(uid),
        ));
        daemons.push(StandIn::start(
            "/opt/seon/bin/seonclientd",
            &[],
            json!({"comm": "seonclientd", "listen": [ports.client], "children": [
                child("seonjob", json!({"comm": "seonjob"})),
            ]}),
            Some(uid),
        ));
        Seon {
            uid,
            ports,
            daemons,
        }
    }

    fn healthy() -> Seon {
        Seon::start(master)
    }

    fn run(&self, extra: &[&str]) -> (i32, String) {
        let mut args = vec!["--enterprise".to_string()];
        args.extend(self.ports.args());
        args.extend(extra.iter().map(|a| a.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_plugin("check_seon_daemons", self.uid, &args)
    }
}

#[test]
fn all_healthy_is_ok() {
    require_root("all_healthy_is_ok");
    let seon = Seon::healthy();
    let (code, text) = seon.run(&["-v"]);
    assert_eq!(code, 0, "{text}");
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("SEON_DAEMONS OK - 7 Seon daemons running, seonsqd with 2 actions"),
        "{first}"
    );
    assert!(
        first.ends_with(
            "| seonrd=1;;1:1;0 seonrd_tcpip=1;;1:1;0 seonrd_tcpip_tls=1;;1:1;0 seonrd_capi_0=1;;1:1;0 \
             seonsqd=1;;1:1;0 seonsqd_children=2;;;0 seondebugd=1;;1:1;0 seonclientd=1;;1:;0"
        ),
        "{first}"
    );
    assert!(
        text.contains(&format!(
            "seonrd_tcpip_tls running as PID {}, listening on port {}",
            seon.daemons[0]
                .pids
                .iter()
                .find(|&&p| std::fs::read_to_string(format!("/proc/{p}/cmdline"))
                    .unwrap()
                    .starts_with("seonrd_tcpip_tls"))
                .unwrap(),
            seon.ports.tls
        )),
        "{text}"
    );
    // Without --user, another user's (or another test's) daemons would count:
    // with an unused UID, nothing is found.
    let out = Command::cargo_bin("check_seon_daemons")
        .unwrap()
        .arg(format!("--user={}", unique_uid()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("seonrd (master receive daemon) not running")
    );
}

#[test]
fn a_long_name_known_only_by_its_cut_comm_is_found() {
    require_root("a_long_name_known_only_by_its_cut_comm_is_found");
    // The TLS receiver's argv[0] says nothing; its comm is cut to seonrd_tcpip_tl.
    let seon = Seon::start(|ports| {
        let mut m = master(ports);
        m["children"][1] = child(
            "python3",
            json!({"comm": "seonrd_tcpip_tls", "listen": [ports.tls]}),
        );
        m
    });
    let tls = seon.daemons[0]
        .pids
        .iter()
        .copied()
        .find(|p| {
            std::fs::read_to_string(format!("/proc/{p}/comm")).unwrap() == "seonrd_tcpip_tl\n"
        })
        .expect("the kernel cut the name at 15 characters");
    let (code, text) = seon.run(&[]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains(&format!(
            "[OK] seonrd_tcpip_tls running as PID {tls}, listening on port {}",
            seon.ports.tls
        )),
        "{text}"
    );
}

#[test]
fn a_missing_child_is_critical() {
    require_root("a_missing_child_is_critical");
    let seon = Seon::start(|ports| {
        let mut m = master(ports);
        m["children"].as_array_mut().unwrap().pop();
        m
    });
    let (code, text) = seon.run(&[]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.starts_with("SEON_DAEMONS CRITICAL - seonrd_capi_0 (receive daemon) not running |"),
        "{text}"
    );
    assert!(text.contains("seonrd_capi_0=0;;1:1;0"), "{text}");
    // With no ISDN controller configured, nothing is missing.
    let (code, text) = seon.run(&["--capi", "0"]);
    assert_eq!(code, 0, "{text}");
}

#[test]
fn a_duplicated_master_is_critical() {
    require_root("a_duplicated_master_is_critical");
    let mut seon = Seon::healthy();
    let second = StandIn::start(
        "/opt/seon/bin/seonrd",
        &["-f"],
        json!({"comm": "seonrd"}),
        Some(seon.uid),
    );
    let pids = format!(
        "PIDs {}, {}",
        seon.daemons[0].pid().min(second.pid()),
        seon.daemons[0].pid().max(second.pid())
    );
    seon.daemons.push(second);
    let (code, text) = seon.run(&[]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains(&format!(
            "2 seonrd running ({pids}): race conditions between the running programs"
        )),
        "{text}"
    );
}

#[test]
fn a_port_not_listening_is_critical() {
    require_root("a_port_not_listening_is_critical");
    let seon = Seon::start(|ports| {
        let mut m = master(ports);
        m["children"][0]["spec"]["listen"] = json!([]);
        m
    });
    let (code, text) = seon.run(&[]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.starts_with(&format!(
            "SEON_DAEMONS CRITICAL - seonrd_tcpip not listening on port {} |",
            seon.ports.tcpip
        )),
        "{text}"
    );
}

#[test]
fn a_port_held_by_another_process_is_critical() {
    require_root("a_port_held_by_another_process_is_critical");
    let seon = Seon::start(|ports| {
        let mut m = master(ports);
        m["children"][0]["spec"]["listen"] = json!([]);
        m
    });
    // This test process takes the receiver's port.
    let intruder = TcpListener::bind(("127.0.0.1", seon.ports.tcpip)).unwrap();
    let (code, text) = seon.run(&[]);
    drop(intruder);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains(&format!(
            "port {} is held by PID {} (",
            seon.ports.tcpip,
            std::process::id()
        )),
        "{text}"
    );
    assert!(text.contains("), not by seonrd_tcpip"), "{text}");
}

#[test]
fn a_client_daemon_child_holding_its_port_is_critical() {
    require_root("a_client_daemon_child_holding_its_port_is_critical");
    let uid = unique_uid();
    let ports = Ports::new();
    let _master = StandIn::start("/opt/seon/bin/seonrd", &[], master(&ports), Some(uid));
    let _sqd = StandIn::start("seonsqd", &[], json!({"comm": "seonsqd"}), Some(uid));
    let _debugd = StandIn::start(
        "seondebugd",
        &[],
        json!({"comm": "seondebugd", "listen": [ports.debug]}),
        Some(uid),
    );
    // The client daemon forks a worker after binding: the worker inherits the socket.
    let clientd = StandIn::start(
        "/opt/seon/bin/seonclientd",
        &[],
        json!({"comm": "seonclientd", "listen": [ports.client], "forks": [{"comm": "seonclientd"}]}),
        Some(uid),
    );
    let worker = *clientd.pids.iter().find(|&&p| p != clientd.pid()).unwrap();
    let out = Command::cargo_bin("check_seon_daemons")
        .unwrap()
        .arg(format!("--user={uid}"))
        .arg("--enterprise")
        .args(ports.args())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains(&format!(
            "seonclientd child PID {worker} (seonclientd) holds the client daemon's listening port {}",
            ports.client
        )),
        "{text}"
    );
    assert!(
        text.contains("seonclientd=1;;1:;0"),
        "the worker is not a second instance: {text}"
    );
}

#[test]
fn stale_pids_are_critical_with_the_remedy() {
    require_root("stale_pids_are_critical_with_the_remedy");
    let seon = Seon::healthy();
    let master = seon.daemons[0].pid();
    let sqd = seon.daemons[1].pid();
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("pids");

    std::fs::write(
        &file,
        format!("# daemon pid\nseonrd {master}\n\nseonsqd = {sqd}\n"),
    )
    .unwrap();
    let (code, text) = seon.run(&["--pid-file", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("2 recorded PIDs match running daemons"),
        "{text}"
    );
    assert!(text.contains("stale_pids=0;;0;0"), "{text}");

    // The send queue daemon's recorded PID is gone, though seonsqd runs elsewhere.
    let dead = dead_pid();
    std::fs::write(&file, format!("seonrd {master}\nseonsqd {dead}\n")).unwrap();
    let (code, text) = seon.run(&["--pid-file", file.to_str().unwrap()]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains(&format!(
            "stale PID {dead} recorded for seonsqd (no such process): yet seonsqd runs as PID {sqd}: the recorded PID is out of date; do not start a second seonsqd"
        )),
        "{text}"
    );

    // The guide's case: PIDs recorded, no daemon running: start in forced mode.
    let (code, text) = seon.run(&[
        "--pid-command",
        &format!("echo seonrd_capi_1 {dead}"),
        "--capi",
        "2",
    ]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains(&format!(
            "stale PID {dead} recorded for seonrd_capi_1 (no such process): seonrd_capi_1 is not running: start it in forced mode"
        )),
        "{text}"
    );

    // A recorded PID now used by another program.
    let (code, text) = seon.run(&["--pid-command", &format!("echo seondebugd {sqd}")]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains(&format!("that PID is now PID {sqd} (seonsqd)")),
        "{text}"
    );

    // The PID source failing is CRITICAL; garbage is UNKNOWN, both named.
    let (code, text) = seon.run(&["--pid-command", "false"]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("cannot read the recorded PIDs: 'false' failed (exit status 1)"),
        "{text}"
    );
    let (code, text) = seon.run(&["--pid-command", "echo ERROR: no such table"]);
    assert_eq!(code, 3, "{text}");
    assert!(text.contains("is not a daemon name and a PID"), "{text}");
}

/// The guide's recorded PIDs as shipped in examples/: on a machine without
/// Seon, each is stale and the remedy is to start the daemon in forced mode.
#[test]
fn shipped_example_pid_file() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/seon/recorded-pids");
    let out = Command::cargo_bin("check_seon_daemons")
        .unwrap()
        .args(["--pid-file", path])
        .arg(format!("--user={}", unique_uid()))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.starts_with("SEON_DAEMONS CRITICAL - no Seon daemon running (6 expected) |"),
        "{text}"
    );
    assert!(text.contains("stale_pids="), "{text}");
    assert!(text.contains("recorded for seonsqd"), "{text}");
}

/// Option values that could never match a process are UNKNOWN at once, not a
/// permanent page (or, for a huge --capi, minutes and gigabytes of names).
#[test]
fn impossible_receivers_are_unknown() {
    for args in [
        &["--capi", "100000000"][..],
        &["--receiver", ""][..],
        &["--receiver", "seonrd tcpip"][..],
    ] {
        let out = Command::cargo_bin("check_seon_daemons")
            .unwrap()
            .args(args)
            .timeout(std::time::Duration::from_secs(30))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {text}");
        assert!(text.starts_with("SEON_DAEMONS UNKNOWN - "), "{text}");
    }
}

/// seonsqd runs an action through `system()`: seonsqd → sh -c → seonsqd. The
/// action is part of the one send queue daemon, not a second one.
#[test]
fn an_action_run_through_a_shell_is_not_a_second_daemon() {
    require_root("an_action_run_through_a_shell_is_not_a_second_daemon");
    let uid = unique_uid();
    let ports = Ports::new();
    let _master = StandIn::start("/opt/seon/bin/seonrd", &[], master(&ports), Some(uid));
    let _debugd = StandIn::start(
        "seondebugd",
        &[],
        json!({"comm": "seondebugd", "listen": [ports.debug]}),
        Some(uid),
    );
    let sqd = StandIn::start(
        "/opt/seon/bin/seonsqd",
        &[],
        json!({"comm": "seonsqd", "children": [
            child("/bin/sh", json!({"comm": "sh", "children": [
                child("/opt/seon/bin/seonsqd", json!({"comm": "seonsqd"})),
            ]})),
        ]}),
        Some(uid),
    );
    let out = Command::cargo_bin("check_seon_daemons")
        .unwrap()
        .arg(format!("--user={uid}"))
        .args(&ports.args()[..3])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains(&format!(
            "[OK] seonsqd running as PID {}, 1 action running",
            sqd.pid()
        )),
        "{text}"
    );
    assert!(
        text.contains("seonsqd=1;;1:1;0 seonsqd_children=1;;;0"),
        "{text}"
    );
}

/// A daemon that starts (and records its PID) while the PID source is being
/// read is running, not stale: the source is read before the process table.
#[test]
fn a_daemon_started_while_the_pids_are_read_is_not_stale() {
    let tmp = tempfile::tempdir().unwrap();
    let pid_file = tmp.path().join("started");
    // The "database query" starts seondebugd and prints its PID once the
    // daemon runs under its name (perl renames itself, then records its PID).
    let command = format!(
        "sh -c 'perl -e \"\\$0=q(seondebugd); open(F, q(>{0})); print F \\$\\$; close F; sleep 60\" \
         </dev/null >/dev/null 2>&1 & \
         while [ ! -s {0} ]; do sleep 0.01; done; echo seondebugd $(cat {0})'",
        pid_file.display()
    );
    let out = Command::cargo_bin("check_seon_daemons")
        .unwrap()
        .args([
            "--user",
            &unique_uid().to_string(),
            "--pid-command",
            &command,
        ])
        .output()
        .unwrap();
    if let Ok(pid) = std::fs::read_to_string(&pid_file) {
        unsafe { libc::kill(pid.trim().parse().unwrap(), libc::SIGKILL) };
    }
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("1 recorded PID match running daemons"),
        "{text}"
    );
    assert!(text.contains("stale_pids=0;;0;0"), "{text}");
}
