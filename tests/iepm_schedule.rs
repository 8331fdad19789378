//! check_iepm_schedule against a real MariaDB (tests/support/mysql.rs) with
//! the IEPM schema written from the seed (examples/iepm-schedule/schema.sql),
//! and a data directory whose files' mtimes the test sets.
#![cfg(feature = "mysql")]

#[path = "support/mysql.rs"]
mod mysql;

use mysql::{server, set_age, MONITOR_PASSWORD, MONITOR_USER};
use std::path::Path;
use std::time::Duration;

const SCHEMA: &str = include_str!("../examples/iepm-schedule/schema.sql");

/// A fresh IEPM database `name` with the schema and `rows` (SQL), readable by the monitor.
fn database(name: &str, rows: &str) {
    let s = server();
    s.sql(&format!(
        "DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name}; USE {name}; {SCHEMA} {rows}
         GRANT SELECT ON {name}.* TO '{MONITOR_USER}'@'%';"
    ));
}

fn plugin(db: &str, data: &Path) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("check_iepm_schedule").unwrap();
    c.env("HOME", "/nonexistent")
        .env("MYSQL_PWD", MONITOR_PASSWORD)
        .args(["-H", "127.0.0.1", "-P", &server().port.to_string()])
        .args(["-u", MONITOR_USER, "-d", db])
        .arg("--data-dir")
        .arg(data);
    c
}

fn expect(cmd: &mut assert_cmd::Command, code: i32) -> String {
    let out = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if std::env::var_os("SHOW").is_some() {
        eprintln!("== {cmd:?}\n{text}");
    }
    assert_eq!(out.status.code(), Some(code), "{text}");
    text
}

const NODES: &str = "INSERT INTO NODES (nodeID, nodename) VALUES
    (1, 'node1.slac.stanford.edu'), (2, 'node2.cern.ch'), (3, 'node3.fnal.gov');";

#[test]
fn a_healthy_schedule() {
    let data = tempfile::tempdir().unwrap();
    database(
        "iepm_ok",
        &format!(
            "{NODES} INSERT INTO TOOLSPECS (nodeID, tool, testtype, runinterval, lastrunepoch) VALUES
             (1, 'iperf', 'background-syn', 3600, UNIX_TIMESTAMP() - 1800),
             (2, 'ping', 'background', 600, UNIX_TIMESTAMP() - 300),
             (3, 'traceroute', 'background', 600, UNIX_TIMESTAMP() - 900);
             INSERT INTO SCHEDULE (toolspecsID, tool, scheduledepoch) VALUES (2, 'ping', UNIX_TIMESTAMP() - 20);"
        ),
    );
    std::fs::write(data.path().join("1001.ping"), "rtt 1.2\n").unwrap();
    std::fs::write(data.path().join("notes.txt"), "").unwrap();
    let text = expect(&mut plugin("iepm_ok", data.path()), 0);
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with(
            "IEPM_SCHEDULE OK - 3 probes on time, 1 SCHEDULE entry, 1 result file waiting |"
        ),
        "{text}"
    );
    assert!(
        first.contains("overdue_probes=0;0;5 schedule_backlog=1 schedule_oldest=")
            && first.contains("data_files=1 data_file_oldest="),
        "{text}"
    );
    assert!(
        text.contains("[OK] 0 probes of 3 overdue by more than 10m"),
        "{text}"
    );
    assert!(text.contains("[OK] 1 entry waiting in SCHEDULE"), "{text}");
}

#[test]
fn overdue_probes_a_backlog_and_files_piling_up() {
    let data = tempfile::tempdir().unwrap();
    database(
        "iepm_late",
        &format!(
            "{NODES} INSERT INTO TOOLSPECS (nodeID, tool, testtype, runinterval, lastrunepoch) VALUES
             (1, 'iperf', 'background-syn', 3600, UNIX_TIMESTAMP() - 3 * 3600),
             (2, 'ping', 'background', 600, UNIX_TIMESTAMP() - 86400),
             (3, 'traceroute', 'background', 600, UNIX_TIMESTAMP() - 60),
             (3, 'owamp', 'background', 600, NULL);
             INSERT INTO SCHEDULE (toolspecsID, tool, scheduledepoch) VALUES
             (1, 'iperf', UNIX_TIMESTAMP() - 7300), (2, 'ping', UNIX_TIMESTAMP() - 600),
             (2, 'ping', UNIX_TIMESTAMP() - 60);"
        ),
    );
    for (name, age) in [
        ("2001.ping", 30),
        ("2002.iperf", 2000),
        ("2003.traceroute", 4000),
    ] {
        let path = data.path().join(name);
        std::fs::write(&path, "result\n").unwrap();
        set_age(&path, Duration::from_secs(age));
    }
    let text = expect(&mut plugin("iepm_late", data.path()), 2);
    let first = text.lines().next().unwrap();
    assert!(first.starts_with("IEPM_SCHEDULE CRITICAL - "), "{text}");
    assert!(first.contains("overdue_probes=3;0;5"), "{text}");
    assert!(
        first.contains("schedule_backlog=3 schedule_oldest=73"),
        "{text}"
    );
    assert!(
        first.contains("data_files=3 data_file_oldest=4000s;1800;3600"),
        "{text}"
    );
    assert!(
        text.contains("[WARNING] 3 probes of 4 overdue by more than 10m"),
        "{text}"
    );
    // Worst first: never ran, then a day late, then 2 h late; the one on time not named.
    let never = text.find("node3.fnal.gov owamp never ran").expect(&text);
    let day = text
        .find("node2.cern.ch ping overdue by 23h 50m")
        .expect(&text);
    let hours = text
        .find("node1.slac.stanford.edu iperf overdue by 2h")
        .expect(&text);
    assert!(never < day && day < hours, "{text}");
    assert!(!text.contains("traceroute overdue"), "{text}");
    assert!(
        text.contains("oldest SCHEDULE entry waits for 2h 1m"),
        "{text}"
    );
    assert!(
        text.contains("2003.traceroute not loaded for 1h 6m (is load-datad running?)"),
        "{text}"
    );
    // Thresholds on the counts.
    let text = expect(
        plugin("iepm_late", data.path()).args([
            "-w",
            "5",
            "--critical-backlog",
            "2",
            "--warning-backlog-age",
            "~:",
            "--critical-backlog-age",
            "~:",
            "--warning-file-age",
            "~:",
            "--critical-file-age",
            "~:",
            "--warning-files",
            "2",
        ]),
        2,
    );
    assert!(
        text.contains("[CRITICAL] 3 entries waiting in SCHEDULE"),
        "{text}"
    );
    assert!(
        text.contains("[WARNING] 3 result files waiting to be loaded"),
        "{text}"
    );
    assert!(text.contains("[OK] 3 probes of 4 overdue"), "{text}");
    // A longer grace forgives the 2 h late probe.
    let text = expect(
        plugin("iepm_late", data.path()).args(["--grace", "10000"]),
        2,
    );
    assert!(
        text.contains("2 probes of 4 overdue by more than 2h 46m"),
        "{text}"
    );
}

#[test]
fn a_missing_table_or_column_is_unknown_with_its_name() {
    let data = tempfile::tempdir().unwrap();
    database(
        "iepm_broken",
        "DROP TABLE SCHEDULE; ALTER TABLE TOOLSPECS DROP COLUMN runinterval;",
    );
    let text = expect(&mut plugin("iepm_broken", data.path()), 3);
    assert!(
        text.starts_with(
            "IEPM_SCHEDULE UNKNOWN - database iepm_broken is not an IEPM schedule as this plugin \
             reads it: column TOOLSPECS.runinterval, table SCHEDULE missing"
        ),
        "{text}"
    );
}

#[test]
fn a_missing_data_directory_and_an_unknown_database() {
    let data = tempfile::tempdir().unwrap();
    database("iepm_nodir", NODES);
    let text = expect(&mut plugin("iepm_nodir", &data.path().join("nope")), 3);
    assert!(
        text.contains("[UNKNOWN] data directory ") && text.contains("nope: No such file"),
        "{text}"
    );
    assert!(text.contains("TOOLSPECS has no probes"), "{text}");
    let text = expect(&mut plugin("no_such_db", data.path()), 2);
    assert!(text.contains("no_such_db"), "{text}");
}
