//! check_systemd_unit against a real systemd user manager (tests/support/systemd.rs:
//! one per test binary, in a mount namespace of its own) driving real units, and
//! on the recorded `systemctl show` outputs of systemd 219, 239 and 252 in
//! examples/systemd/.

#[path = "support/systemd.rs"]
mod systemd;

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};
use systemd::{manager, UserManager};

fn plugin() -> Command {
    Command::cargo_bin("check_systemd_unit").unwrap()
}

/// The plugin against the test's user manager, with a state directory of its own.
fn live(m: &UserManager, state: &Path) -> Command {
    let mut cmd = plugin();
    for (k, v) in m.env() {
        cmd.env(k, v);
    }
    cmd.env_remove("DBUS_SESSION_BUS_ADDRESS")
        .arg("--user")
        .arg("--state-dir")
        .arg(state);
    cmd
}

struct Run {
    code: i32,
    text: String,
}

fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        text: String::from_utf8_lossy(&out.stdout).into_owned(),
    }
}

fn json(cmd: &mut Command) -> Value {
    let out = cmd.arg("--output-format").arg("json").output().unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// Every perfdata value of a JSON result by label.
fn perf(v: &Value, label: &str) -> Option<f64> {
    fn walk(items: &Value, label: &str) -> Option<f64> {
        for item in items.as_array()? {
            for p in item["perfdata"].as_array().into_iter().flatten() {
                if p["label"] == label {
                    return p["value"].as_f64();
                }
            }
            if let Some(found) = walk(&item["children"], label) {
                return Some(found);
            }
        }
        None
    }
    walk(&v["items"], label)
}

/// The stand-in SRE: a Python "supervisord" starting two Python daemons named
/// like the SRE's, each a script run by python3, as in the guide's CGroup listing.
fn install_sre(m: &UserManager) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let bin = m.dir.join("opt-sre-bin");
        std::fs::create_dir_all(&bin).unwrap();
        let daemon = "import time\nwhile True:\n    time.sleep(3600)\n";
        std::fs::write(bin.join("sre-REST"), daemon).unwrap();
        std::fs::write(bin.join("sre-health-monitor"), daemon).unwrap();
        std::fs::write(
            bin.join("supervisord"),
            format!(
                "import subprocess, time\n\
                 kids = [subprocess.Popen(['/usr/bin/python3', '{0}/sre-REST']),\n\
                 \x20       subprocess.Popen(['/usr/bin/python3', '{0}/sre-health-monitor'])]\n\
                 while True:\n    time.sleep(3600)\n",
                bin.display()
            ),
        )
        .unwrap();
        // Ready when supervisord and both daemons are in the cgroup.
        m.start_service(
            "sre.service",
            &format!(
                "[Unit]\nDescription=SRE stand-in\n[Service]\nType=simple\n\
                 ExecStart=/usr/bin/python3 {}/supervisord -n\n",
                bin.display()
            ),
            3,
        );
    });
}

#[test]
fn a_healthy_service_with_its_daemons_in_its_cgroup() {
    let m = manager();
    install_sre(m);
    let state = tempfile::tempdir().unwrap();
    let r = run(live(m, state.path()).args([
        "-u",
        "sre",
        "--min-uptime",
        "0",
        "--expect-process",
        "supervisord",
        "--expect-process",
        "sre-REST",
        "--expect-process",
        "sre-health-monitor=1",
        "-v",
    ]));
    assert_eq!(r.code, 0, "{}", r.text);
    let first = r.text.lines().next().unwrap();
    assert!(
        first.starts_with("SYSTEMD_UNIT OK - sre.service active (running), up "),
        "{first}"
    );
    assert!(
        first.contains("3 expected processes of 3 in its cgroup"),
        "{first}"
    );
    assert!(
        first.contains("'sre-REST'=1;;1:") || first.contains(" sre-REST=1;;1:"),
        "{first}"
    );
    assert!(r.text.contains("MainPID "), "{}", r.text);
    let v = json(live(m, state.path()).args([
        "-u",
        "sre",
        "--min-uptime",
        "0",
        "--expect-process",
        "sre-REST",
        "--expect-process",
        "sre-health-monitor",
        "--expect-process",
        "sre-gui",
    ]));
    // The interpreter's script names each process: supervisord (python3 too) is
    // not counted as a daemon.
    assert_eq!(perf(&v, "sre-REST"), Some(1.0));
    assert_eq!(perf(&v, "sre-health-monitor"), Some(1.0));
    assert_eq!(perf(&v, "sre-gui"), Some(0.0));
    assert_eq!(v["state"], "CRITICAL", "{v}");
    assert_eq!(v["summary"], "sre.service sre-gui missing");
}

#[test]
fn a_missing_daemon_and_the_em_preset_name_what_is_missing() {
    let m = manager();
    install_sre(m);
    let state = tempfile::tempdir().unwrap();
    let r = run(live(m, state.path()).args([
        "-u",
        "sre",
        "--min-uptime",
        "0",
        "--expect-process",
        "sre-gui",
        "--expect-process",
        "sre-REST=2:",
    ]));
    assert_eq!(r.code, 2, "{}", r.text);
    assert!(
        r.text.starts_with(
            "SYSTEMD_UNIT CRITICAL - sre.service sre-gui missing, sre-REST ×1, expected 2:"
        ),
        "{}",
        r.text
    );
    let v = json(live(m, state.path()).args(["--preset", "sre-em", "--min-uptime", "0"]));
    assert_eq!(v["state"], "CRITICAL");
    let summary = v["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("sre.service sre-cdr-collector missing, sre-gui missing"),
        "{summary}"
    );
    for found in ["supervisord", "sre-REST", "sre-health-monitor"] {
        assert_eq!(perf(&v, found), Some(1.0), "{found}");
    }
    for missing in [
        "sre-cdr-collector",
        "sre-gui",
        "sre-http-processor",
        "sre-manager",
    ] {
        assert_eq!(perf(&v, missing), Some(0.0), "{missing}");
    }
}

#[test]
fn a_failed_service_is_critical() {
    let m = manager();
    m.install(
        "broken.service",
        "[Service]\nType=simple\nExecStart=/bin/sh -c 'exit 3'\n",
    );
    let _ = m.systemctl(&["start", "broken.service"]);
    m.wait_for(
        "broken.service",
        "ActiveState",
        Duration::from_secs(10),
        |s| s == "failed",
    );
    let state = tempfile::tempdir().unwrap();
    let r = run(live(m, state.path()).args(["-u", "broken"]));
    assert_eq!(r.code, 2, "{}", r.text);
    assert!(
        r.text.starts_with(
            "SYSTEMD_UNIT CRITICAL - broken.service failed (failed), result exit-code |"
        ),
        "{}",
        r.text
    );
}

#[test]
fn a_restart_loop_pages_from_the_restarts_between_two_runs() {
    let m = manager();
    m.install(
        "flapping.service",
        "[Unit]\nStartLimitIntervalSec=0\n[Service]\nType=simple\n\
         ExecStart=/bin/sh -c 'sleep 0.3; exit 1'\nRestart=on-failure\nRestartSec=200ms\n",
    );
    m.ok(&["start", "flapping.service"]);
    let state = tempfile::tempdir().unwrap();
    let before: u64 = m.property("flapping.service", "NRestarts").parse().unwrap();
    let first = json(live(m, state.path()).args(["-u", "flapping", "--min-uptime", "0"]));
    // The first run only keeps the baseline.
    assert_eq!(perf(&first, "restarts"), None, "{first}");
    m.wait_for(
        "flapping.service",
        "NRestarts",
        Duration::from_secs(20),
        |n| n.parse::<u64>().is_ok_and(|n| n >= before + 2),
    );
    let second = json(live(m, state.path()).args(["-u", "flapping", "--min-uptime", "0"]));
    let restarts = perf(&second, "restarts").expect("restarts perfdata");
    assert!(restarts >= 1.0, "{second}");
    assert_ne!(second["state"], "OK", "{second}");
    let text = serde_json::to_string(&second).unwrap();
    assert!(text.contains("automatic restart"), "{text}");
    m.ok(&["stop", "flapping.service"]);
}

#[test]
fn a_oneshot_that_succeeded_is_ok_unless_a_sub_state_is_expected() {
    let m = manager();
    m.install(
        "backup.service",
        "[Service]\nType=oneshot\nExecStart=/bin/true\n",
    );
    m.ok(&["start", "backup.service"]);
    let state = tempfile::tempdir().unwrap();
    let r = run(live(m, state.path()).args(["-u", "backup"]));
    assert_eq!(r.code, 0, "{}", r.text);
    assert!(
        r.text.starts_with(
            "SYSTEMD_UNIT OK - backup.service inactive (dead), oneshot finished successfully |"
        ),
        "{}",
        r.text
    );
    let r = run(live(m, state.path()).args(["-u", "backup", "--expect-sub-state", "running"]));
    assert_eq!(r.code, 2, "{}", r.text);
}

#[test]
fn a_typo_and_a_masked_unit_are_never_ok() {
    let m = manager();
    install_sre(m);
    m.ok(&["mask", "mongod.service"]);
    m.ok(&["daemon-reload"]);
    let state = tempfile::tempdir().unwrap();
    let r = run(live(m, state.path()).args(["-u", "sre-typo"]));
    assert_eq!(r.code, 2, "{}", r.text);
    assert!(
        r.text
            .starts_with("SYSTEMD_UNIT CRITICAL - sre-typo.service not found (no such unit) |"),
        "{}",
        r.text
    );
    let r = run(live(m, state.path()).args(["-u", "mongod"]));
    assert_eq!(r.code, 2, "{}", r.text);
    assert!(r.text.contains("mongod.service masked"), "{}", r.text);
    // All three in one systemctl call: the worst decides, each unit is listed.
    let v = json(live(m, state.path()).args([
        "-u",
        "sre",
        "-u",
        "sre-typo",
        "-u",
        "mongod",
        "--min-uptime",
        "0",
    ]));
    assert_eq!(v["state"], "CRITICAL");
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["state"], "OK");
    assert!(perf(&v, "sre uptime").is_some(), "{v}");
    assert!(perf(&v, "sre-typo uptime").is_some(), "{v}");
    // The core's summary budget lists the first and counts the rest.
    assert_eq!(
        v["summary"],
        "sre-typo.service not found (no such unit) and 1 more"
    );
    assert_eq!(
        items[2]["text"],
        "mongod.service masked: it cannot be started"
    );
}

#[test]
fn a_unit_restarted_a_second_ago_warns() {
    let m = manager();
    m.start_service(
        "fresh.service",
        "[Service]\nType=simple\nExecStart=/bin/sleep 3600\n",
        1,
    );
    m.ok(&["restart", "fresh.service"]);
    let state = tempfile::tempdir().unwrap();
    let r = run(live(m, state.path()).args(["-u", "fresh"]));
    assert_eq!(r.code, 1, "{}", r.text);
    let first = r.text.lines().next().unwrap();
    // "a second ago" on an idle machine; a loaded CI host may take a few more.
    let ago: u64 = first
        .strip_prefix("SYSTEMD_UNIT WARNING - fresh.service restarted ")
        .and_then(|rest| rest.split_once(" s ago |"))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("{first}"));
    assert!(ago < 30, "{first}");
    assert!(first.contains("uptime="), "{first}");
    // With --min-uptime 0 the same unit is fine.
    let r = run(live(m, state.path()).args(["-u", "fresh", "--min-uptime", "0"]));
    assert_eq!(r.code, 0, "{}", r.text);
    m.ok(&["stop", "fresh.service"]);
}

#[test]
fn no_manager_is_critical_and_a_hung_systemctl_is_named_before_the_timeout() {
    let empty = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let r = run(plugin()
        .env("XDG_RUNTIME_DIR", empty.path())
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .args(["--user", "-u", "sre", "--state-dir"])
        .arg(state.path()));
    assert_eq!(r.code, 2, "{}", r.text);
    assert!(
        r.text
            .starts_with("SYSTEMD_UNIT CRITICAL - systemctl show failed (exit status 1): "),
        "{}",
        r.text
    );

    let hung = empty.path().join("systemctl");
    std::fs::write(&hung, "#!/bin/sh\nsleep 30\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hung, std::fs::Permissions::from_mode(0o755)).unwrap();
    let started = Instant::now();
    let r = run(plugin()
        .args(["-u", "sre", "-t", "3", "--systemctl"])
        .arg(&hung)
        .arg("--state-dir")
        .arg(state.path()));
    // Its own message, not the watchdog's "timed out" at 3 s (margin for a loaded host).
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(r.code, 2, "{}", r.text);
    assert!(r.text.contains("no answer from '"), "{}", r.text);
    assert!(r.text.contains("within 2.4 s"), "{}", r.text);
}

fn example(name: &str) -> String {
    format!("{}/examples/systemd/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn recorded_outputs_of_systemd_219_239_and_252() {
    let state = tempfile::tempdir().unwrap();
    let cases = [
        (
            "sre-em-centos7-219.txt",
            0,
            "sre.service active (running), up ",
        ),
        ("masked-centos7-219.txt", 2, "mongod.service masked"),
        (
            "sre-platform-el8-239.txt",
            0,
            "4 units OK: sre.service, postgresql-14.service, mongod.service, influxdb.service",
        ),
        (
            "mongod-failed-el8-239.txt",
            2,
            "mongod.service failed (failed), result exit-code",
        ),
        (
            "influxdb-restart-loop-el8-239.txt",
            1,
            "influxdb.service activating (auto-restart): restarting after a failure",
        ),
        (
            "influxdb-debian12-252.txt",
            0,
            "influxdb.service active (running), up ",
        ),
        (
            "typo-not-found-debian12-252.txt",
            2,
            "postgresql-41.service not found (no such unit)",
        ),
        (
            "oneshot-done-debian12-252.txt",
            0,
            "sre-db-backup.service inactive (dead), oneshot finished successfully",
        ),
        (
            "not-show-output-status.txt",
            3,
            "line 1 is not a systemctl show property",
        ),
    ];
    for (file, code, text) in cases {
        let r = run(plugin()
            .arg("--input")
            .arg(example(file))
            .arg("--state-dir")
            .arg(state.path()));
        assert_eq!(r.code, code, "{file}: {}", r.text);
        let state_word = ["OK", "WARNING", "CRITICAL", "UNKNOWN"][code as usize];
        assert!(
            r.text
                .starts_with(&format!("SYSTEMD_UNIT {state_word} - {text}")),
            "{file}: {}",
            r.text
        );
    }
    // Units asked by name in a capture of several.
    let r = run(plugin()
        .args(["-u", "mongod", "-u", "nginx", "--input"])
        .arg(example("sre-platform-el8-239.txt"))
        .arg("--state-dir")
        .arg(state.path()));
    assert_eq!(r.code, 3, "{}", r.text);
    assert!(
        r.text.contains("nginx.service: not in the input"),
        "{}",
        r.text
    );
}

#[test]
fn systemd_219_without_nrestarts_counts_a_new_start_as_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("sre.txt");
    let text = std::fs::read_to_string(example("sre-em-centos7-219.txt")).unwrap();
    std::fs::write(&capture, &text).unwrap();
    let state = dir.path().join("state");
    let mut cmd = plugin();
    cmd.arg("--input")
        .arg(&capture)
        .arg("--state-dir")
        .arg(&state);
    assert_eq!(run(&mut cmd).code, 0);
    std::fs::write(
        &capture,
        text.replace(
            "ActiveEnterTimestampMonotonic=1803226148",
            "ActiveEnterTimestampMonotonic=1903226148",
        ),
    )
    .unwrap();
    let mut cmd = plugin();
    cmd.arg("--input")
        .arg(&capture)
        .arg("--state-dir")
        .arg(&state);
    let r = run(&mut cmd);
    assert_eq!(r.code, 1, "{}", r.text);
    assert!(r.text.contains("at least 1"), "{}", r.text);
    assert!(r.text.contains("restarts=1;0;3"), "{}", r.text);
}

#[test]
fn usage_errors_are_unknown() {
    for args in [
        vec!["-u", ""],
        vec!["-u", "a b"],
        vec![],
        vec!["-u", "sre", "--systemctl", ""],
        vec!["-u", "sre", "--expect-process", ""],
        vec!["-u", "sre", "--expect-process", "x=abc"],
        vec!["--input", ""],
        vec!["-u", "sre", "--instance", ""],
        vec!["--preset", "sre-xx"],
    ] {
        let r = run(plugin().args(&args));
        assert_eq!(r.code, 3, "{args:?}: {}", r.text);
        assert!(
            r.text.starts_with("SYSTEMD_UNIT UNKNOWN - "),
            "{args:?}: {}",
            r.text
        );
    }
}

#[test]
fn postgres_titles_in_the_cgroup_are_counted() {
    let m = manager();
    // Processes titled as PostgreSQL 14 titles them (`exec -a` sets argv[0]):
    // a postmaster, two walsenders and a client backend.
    m.start_service(
        "postgresql-14.service",
        "[Service]\nType=simple\nExecStart=/bin/bash -c '\
         (exec -a \"postgres: walsender repmgr 10.0.161.181(40814) streaming F/60DFDC00\" sleep 3600) & \
         (exec -a \"postgres: walsender repmgr 10.0.161.182(47168) streaming F/60DFDC00\" sleep 3600) & \
         (exec -a \"postgres: sre sre 127.0.0.1(43842) idle\" sleep 3600) & \
         exec -a /usr/pgsql-14/bin/postmaster sleep 3600'\n",
        4,
    );
    let state = tempfile::tempdir().unwrap();
    let v = json(live(m, state.path()).args([
        "-u",
        "postgresql-14",
        "--min-uptime",
        "0",
        "--expect-process",
        "postmaster",
        "--expect-process",
        "postgres: walsender=2:",
        "--expect-process",
        "postgres: walreceiver=0",
    ]));
    assert_eq!(v["state"], "OK", "{v}");
    assert_eq!(perf(&v, "postmaster"), Some(1.0));
    assert_eq!(perf(&v, "postgres: walsender"), Some(2.0));
    assert_eq!(perf(&v, "postgres: walreceiver"), Some(0.0));
    let r = run(live(m, state.path()).args([
        "-u",
        "postgresql-14",
        "--min-uptime",
        "0",
        "--expect-process",
        "postgres: walsender=3:",
    ]));
    assert_eq!(r.code, 2, "{}", r.text);
    assert!(
        r.text.starts_with(
            "SYSTEMD_UNIT CRITICAL - postgresql-14.service postgres: walsender ×2, expected 3:"
        ),
        "{}",
        r.text
    );
    assert!(r.text.contains("'postgres: walsender'=2;;3:"), "{}", r.text);
}

#[test]
fn with_several_units_expected_processes_count_in_all_their_cgroups() {
    let m = manager();
    install_sre(m);
    m.start_service(
        "influxdb.service",
        "[Service]\nType=simple\nExecStart=/bin/bash -c 'exec -a /usr/bin/influxd sleep 3600'\n",
        1,
    );
    let state = tempfile::tempdir().unwrap();
    let v = json(live(m, state.path()).args([
        "-u",
        "sre",
        "-u",
        "influxdb",
        "--min-uptime",
        "0",
        "--expect-process",
        "influxd",
        "--expect-process",
        "sre-REST",
    ]));
    assert_eq!(v["state"], "OK", "{v}");
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{v}");
    assert!(
        items[2]["text"]
            .as_str()
            .unwrap()
            .starts_with("2 expected processes of "),
        "{v}"
    );
    assert_eq!(perf(&v, "influxd"), Some(1.0));
    assert_eq!(perf(&v, "sre-REST"), Some(1.0));
    // The preset's daemons still belong to sre.service alone.
    let v = json(live(m, state.path()).args([
        "--preset",
        "sre-cp",
        "-u",
        "influxdb",
        "--min-uptime",
        "0",
        "--expect-process",
        "influxd",
    ]));
    assert_eq!(v["state"], "CRITICAL", "{v}");
    assert!(perf(&v, "sre sre-broker").is_some(), "{v}");
    assert_eq!(perf(&v, "influxd"), Some(1.0), "{v}");
}
