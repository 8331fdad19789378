//! check_iepm_servers on real stand-in servers (argv[0] as keep-servers-alive
//! starts them), under a UID of each test's own passed with --user.

#[path = "support/procs.rs"]
mod procs_support;

use assert_cmd::Command;
use procs_support::{require_root, run_with_config, unique_uid, StandIn};
use serde_json::json;

/// The guide's servers.alive as an operator would keep it: one entry per line,
/// with comments, blank lines, odd spacing and the shell junk of the owampd line.
const SERVERS_ALIVE: &str = "# servers kept alive by keep-servers-alive
bw-iperf-server,bin,-s -p 5000 -w 20M

thrulayd,bin,
  pathload_snd , bin ,  -q -i
map-updated,,
pathchirp_snd,bin,        # ISDN-free
owampd,bin, -c /afs/slac/package/netmon/bandwidth-tests/v3src/config -Z >& /tmp/owampd.log &
";

/// (argv[0], arguments) of each server as keep-servers-alive starts it.
const SERVERS: [(&str, &[&str]); 6] = [
    (
        "/home/iepm/v3src/bin/bw-iperf-server",
        &["-s", "-p", "5000", "-w", "20M"],
    ),
    ("/home/iepm/v3src/bin/thrulayd", &[]),
    ("bin/pathload_snd", &["-q", "-i"]),
    ("map-updated", &[]),
    ("/home/iepm/v3src/bin/pathchirp_snd", &[]),
    (
        "/home/iepm/v3src/bin/owampd",
        &[
            "-c",
            "/afs/slac/package/netmon/bandwidth-tests/v3src/config",
            "-Z",
        ],
    ),
];

fn start(uid: u32, skip: &str) -> Vec<StandIn> {
    SERVERS
        .iter()
        .filter(|(argv0, _)| !argv0.ends_with(skip) || skip.is_empty())
        .map(|(argv0, args)| {
            let comm: String = argv0.rsplit('/').next().unwrap().chars().take(15).collect();
            StandIn::start(argv0, args, json!({ "comm": comm }), Some(uid))
        })
        .collect()
}

fn run(uid: u32, config: &str, extra: &[&str]) -> (i32, String) {
    run_with_config("check_iepm_servers", "servers.alive", uid, config, extra)
}

#[test]
fn all_listed_servers_running_is_ok() {
    require_root("all_listed_servers_running_is_ok");
    let uid = unique_uid();
    let servers = start(uid, "");
    let (code, text) = run(uid, SERVERS_ALIVE, &["--match-params", "-v"]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.starts_with("IEPM_SERVERS OK - all 6 servers listed in servers.alive running | expected=6;;;0 running=6;;6:;0;6\n"),
        "{text}"
    );
    assert!(
        text.contains(&format!("[OK] owampd running (PID {})", servers[5].pid())),
        "{text}"
    );
}

#[test]
fn a_missing_server_is_critical_and_named() {
    require_root("a_missing_server_is_critical_and_named");
    let uid = unique_uid();
    let _servers = start(uid, "owampd");
    let (code, text) = run(uid, SERVERS_ALIVE, &[]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.starts_with(
            "IEPM_SERVERS CRITICAL - owampd not running | expected=6;;;0 running=5;;6:;0;6\n"
        ),
        "{text}"
    );
}

#[test]
fn wrong_directory_and_parameters() {
    require_root("wrong_directory_and_parameters");
    let uid = unique_uid();
    let _a = StandIn::start(
        "/usr/sbin/thrulayd",
        &[],
        json!({"comm": "thrulayd"}),
        Some(uid),
    );
    let _b = StandIn::start(
        "/home/iepm/v3src/bin/bw-iperf-server",
        &["-s", "-p", "5001"],
        json!({"comm": "bw-iperf-server"}),
        Some(uid),
    );
    let config = "thrulayd,bin,\nbw-iperf-server,bin,-s -p 5000\n";
    let (code, text) = run(uid, config, &[]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("thrulayd not running from bin ("), "{text}");
    assert!(text.contains("[OK] bw-iperf-server running"), "{text}");
    let (code, text) = run(uid, config, &["--match-params"]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("bw-iperf-server not running with its parameters '-s -p 5000'"),
        "{text}"
    );
}

#[test]
fn bad_lists_are_unknown() {
    let uid = unique_uid();
    let (code, text) = run(uid, "# nothing yet\n\n", &[]);
    assert_eq!(code, 3);
    assert!(text.contains("no servers listed in"), "{text}");
    // The guide's list as its web page shows it, pasted on one line.
    let (code, text) = run(
        uid,
        "bw-iperf-server,bin,-s -p 5000 -w 20M thrulayd,bin, pathload_snd,bin, -q -i map-updated,,\n",
        &[],
    );
    assert_eq!(code, 3, "{text}");
    assert!(
        text.contains("'thrulayd,bin,' starts another entry"),
        "{text}"
    );
    let (code, text) = run(uid, "owamp d,bin,\n", &[]);
    assert_eq!(code, 3);
    assert!(text.contains("line 1: 'owamp d,bin,'"), "{text}");
    let out = Command::cargo_bin("check_iepm_servers")
        .unwrap()
        .args(["--config", "/nonexistent/servers.alive"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("cannot read the server list /nonexistent/servers.alive"));
}

/// The guide's list as shipped in examples/: parsed whole; with a user that
/// runs nothing, every server is reported missing.
#[test]
fn shipped_example_list() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/iepm-config/servers.alive"
    );
    let out = Command::cargo_bin("check_iepm_servers")
        .unwrap()
        .args(["--config", path])
        .arg(format!("--user={}", unique_uid()))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("expected=6;;;0 running=0;;6:;0;6"), "{text}");
    for name in [
        "bw-iperf-server",
        "thrulayd",
        "pathload_snd",
        "map-updated",
        "pathchirp_snd",
        "owampd",
    ] {
        assert!(
            text.contains(&format!("[CRITICAL] {name} not running")),
            "{name}: {text}"
        );
    }
}
