//! check_mysql_connections against a real MariaDB (tests/support/mysql.rs),
//! one server for the whole binary; the tests take turns (the counts they
//! assert include every connection to the server).
#![cfg(feature = "mysql")]

#[path = "support/mysql.rs"]
mod mysql;

use mysql::{server, Clients, Sleeper, MONITOR_PASSWORD, MONITOR_USER, NOPROC_USER};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// The plugin with a clean environment: no ~/.my.cnf, no MYSQL_PWD of whoever runs the tests.
fn bare() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("check_mysql_connections").unwrap();
    c.env_remove("MYSQL_PWD")
        .env("HOME", "/nonexistent")
        .env("USER", "nobody-in-particular");
    c
}

/// The plugin as the monitoring user over TCP, password from MYSQL_PWD.
fn plugin() -> assert_cmd::Command {
    plugin_as(MONITOR_USER)
}

fn plugin_as(user: &str) -> assert_cmd::Command {
    let mut c = bare();
    c.env("MYSQL_PWD", MONITOR_PASSWORD).args([
        "-H",
        "127.0.0.1",
        "-P",
        &server().port.to_string(),
        "-u",
        user,
    ]);
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

fn perf(text: &str, label: &str) -> Option<String> {
    let line = text.lines().next()?;
    let (_, perf) = line.split_once(" | ")?;
    perf.split(' ')
        .find_map(|p| p.strip_prefix(&format!("{label}=")))
        .map(|v| v.split(';').next().unwrap().to_string())
}

#[test]
fn connections_below_and_above_the_limit() {
    let s = server();
    let _turn = mysql::exclusive();
    let (clients, error) = Clients::open(s, "sop", 40);
    assert!(error.is_none(), "{error:?}");
    s.wait_threads("app", 40);
    let text = expect(&mut plugin(), 0);
    assert!(
        text.starts_with("MYSQL_CONNECTIONS OK - 40 connections (26.5% of max_connections 151)"),
        "{text}"
    );
    assert_eq!(perf(&text, "connections").as_deref(), Some("40"), "{text}");
    assert_eq!(perf(&text, "db:sop").as_deref(), Some("40"), "{text}");
    assert_eq!(perf(&text, "user:app").as_deref(), Some("40"), "{text}");
    // The guide's limit: 64 is fine, 65 is not.
    let (more, error) = Clients::open(s, "cdrdb", 24);
    assert!(error.is_none(), "{error:?}");
    s.wait_threads("app", 64);
    expect(&mut plugin(), 0);
    let (last, error) = Clients::open(s, "cdrdb", 1);
    assert!(error.is_none(), "{error:?}");
    s.wait_threads("app", 65);
    let text = expect(&mut plugin(), 2);
    assert!(
        text.starts_with("MYSQL_CONNECTIONS CRITICAL - 65 connections of max_connections 151 |"),
        "{text}"
    );
    assert_eq!(perf(&text, "db:cdrdb").as_deref(), Some("25"), "{text}");
    // Per database thresholds and the share of max_connections.
    let text = expect(
        plugin().args([
            "-c",
            "100",
            "--warning-db",
            "cdrdb=20",
            "--critical-share",
            "40",
        ]),
        2,
    );
    assert!(
        text.contains("[WARNING] 25 connections to database cdrdb"),
        "{text}"
    );
    assert!(text.contains("43% of max_connections 151 in use"), "{text}");
    drop((clients, more, last));
    s.wait_threads("app", 0);
}

#[test]
fn a_long_running_query_is_named() {
    let s = server();
    let _turn = mysql::exclusive();
    let _sleeper = Sleeper::start(s, 30);
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let out = plugin()
            .args(["--warning-query-time", "1", "--critical-query-time", "2"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.code() == Some(2) {
            let first = text.lines().next().unwrap();
            assert!(
                first.contains("by app on sop running") && first.contains("s: SELECT SLEEP(30)"),
                "{text}"
            );
            let longest = perf(&text, "longest_query").unwrap();
            assert!(
                longest.trim_end_matches('s').parse::<u32>().unwrap() >= 2,
                "{text}"
            );
            break;
        }
        assert!(
            out.status.code() == Some(0) || out.status.code() == Some(1),
            "{text}"
        );
        assert!(
            Instant::now() < until,
            "the sleeping query was never reported: {text}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn without_process_privilege_it_is_unknown() {
    let s = server();
    let _turn = mysql::exclusive();
    let (_clients, error) = Clients::open(s, "sop", 3);
    assert!(error.is_none());
    let text = expect(&mut plugin_as(NOPROC_USER), 3);
    assert!(
        text.starts_with("MYSQL_CONNECTIONS UNKNOWN - noproc@% lacks the PROCESS privilege")
            && text.contains("(GRANT PROCESS ON *.* TO 'noproc'@'%')"),
        "{text}"
    );
}

#[test]
fn max_connections_reached_is_critical_too_many_connections() {
    let s = server();
    let _turn = mysql::exclusive();
    s.sql("SET GLOBAL max_connections = 10");
    let (mut clients, error) = Clients::open(s, "sop", 20);
    // The connection that set max_connections may still hold its slot.
    clients.hold_every_slot();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.contains("Too many connections")),
            "the test's own clients were not refused: {error:?} after {}",
            clients.len()
        );
        let text = expect(&mut plugin(), 2);
        assert!(
            text.starts_with("MYSQL_CONNECTIONS CRITICAL - 127.0.0.1:")
                && text.contains("Too many connections (error 1040)")
                && text.contains("this is the failure this check exists to catch"),
            "{text}"
        );
    }));
    drop(clients);
    s.sql("SET GLOBAL max_connections = 151");
    s.wait_threads("app", 0);
    result.unwrap();
}

#[test]
fn wrong_password_and_unknown_user_are_critical() {
    server();
    let _turn = mysql::exclusive();
    let text = expect(plugin().env("MYSQL_PWD", "wrong"), 2);
    assert!(
        text.contains(
            "Access denied for user 'monitor'@'127.0.0.1' (using password: YES) (error 1045)"
        ),
        "{text}"
    );
    // No password at all.
    let text = expect(plugin().env_remove("MYSQL_PWD"), 2);
    assert!(text.contains("(using password: NO)"), "{text}");
}

fn write(path: &Path, text: &str, mode: u32) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn option_files() {
    let s = server();
    let _turn = mysql::exclusive();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = s.port;
    // A named group wins over [client].
    write(
        &d.join("group.cnf"),
        &format!(
            "# the monitoring account\n[client]\nuser = app\npassword = \"wrong # not a comment\"\n\
             host=127.0.0.1\nport={port}\n\n[opscheck]\nuser=monitor\npassword='{MONITOR_PASSWORD}' # it is\n"
        ),
        0o600,
    );
    let file = d.join("group.cnf");
    let text = expect(
        bare()
            .arg("--defaults-file")
            .arg(&file)
            .args(["--defaults-group", "opscheck"]),
        0,
    );
    assert!(!text.contains("Note:"), "{text}");
    // Without the group: [client]'s wrong password.
    let text = expect(bare().arg("--defaults-file").arg(&file), 2);
    assert!(text.contains("Access denied for user 'app'"), "{text}");
    // !include and !includedir; the password in an included file.
    std::fs::create_dir(d.join("conf.d")).unwrap();
    write(
        &d.join("conf.d/50-password.cnf"),
        &format!("[client]\npassword={MONITOR_PASSWORD}\n"),
        0o600,
    );
    write(&d.join("conf.d/README"), "not an option file\n", 0o600);
    write(&d.join("user.cnf"), "[client]\nuser=monitor\n", 0o600);
    write(
        &d.join("main.cnf"),
        &format!(
            "[client]\nhost=127.0.0.1\nport={port}\n!include {}\n!includedir {}\n",
            d.join("user.cnf").display(),
            d.join("conf.d").display()
        ),
        0o600,
    );
    expect(bare().arg("--defaults-file").arg(d.join("main.cnf")), 0);
    // A named file that is missing is UNKNOWN, naming it.
    let text = expect(bare().arg("--defaults-file").arg(d.join("missing.cnf")), 3);
    assert!(
        text.starts_with("MYSQL_CONNECTIONS UNKNOWN - option file ")
            && text.contains("missing.cnf: no such file"),
        "{text}"
    );
    // World-readable: used, with a warning line.
    write(
        &d.join("open.cnf"),
        &format!(
            "[client]\nuser=monitor\npassword={MONITOR_PASSWORD}\nhost=127.0.0.1\nport={port}\n"
        ),
        0o644,
    );
    let text = expect(bare().arg("--defaults-file").arg(d.join("open.cnf")), 0);
    assert!(
        text.contains("Note: WARNING: ") && text.contains("open.cnf is readable by every user"),
        "{text}"
    );
    // ~/.my.cnf when no file is named; MYSQL_PWD wins over it.
    let home = d.join("home");
    std::fs::create_dir(&home).unwrap();
    write(
        &home.join(".my.cnf"),
        &format!(
            "[client]\nuser=monitor\npassword={MONITOR_PASSWORD}\nhost=127.0.0.1\nport={port}\n"
        ),
        0o600,
    );
    expect(bare().env("HOME", &home), 0);
    let text = expect(bare().env("HOME", &home).env("MYSQL_PWD", "wrong"), 2);
    assert!(text.contains("Access denied"), "{text}");
    // A malformed option file is UNKNOWN with the line.
    write(&d.join("bad.cnf"), "user=monitor\n", 0o600);
    let text = expect(bare().arg("--defaults-file").arg(d.join("bad.cnf")), 3);
    assert!(
        text.contains("bad.cnf line 1: an option before the first [group]"),
        "{text}"
    );
}

#[test]
fn the_unix_socket() {
    let s = server();
    let _turn = mysql::exclusive();
    let (_clients, error) = Clients::open(s, "sop", 2);
    assert!(error.is_none());
    s.wait_threads("app", 2);
    let mut c = bare();
    c.env("MYSQL_PWD", MONITOR_PASSWORD)
        .arg("-S")
        .arg(&s.socket)
        .args(["-u", MONITOR_USER]);
    let text = expect(&mut c, 0);
    assert!(
        text.starts_with("MYSQL_CONNECTIONS OK - 2 connections"),
        "{text}"
    );
    // The same socket from an option file; a socket that is not there is CRITICAL.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sock.cnf");
    write(
        &file,
        &format!(
            "[client]\nsocket={}\nuser=monitor\npassword={MONITOR_PASSWORD}\n",
            s.socket.display()
        ),
        0o600,
    );
    expect(bare().arg("--defaults-file").arg(&file), 0);
    let text = expect(
        bare()
            .arg("-S")
            .arg(dir.path().join("none.sock"))
            .args(["-u", "x"]),
        2,
    );
    assert!(
        text.contains("none.sock") && text.contains("No such file"),
        "{text}"
    );
}

#[test]
fn refused_port_and_unknown_host_are_critical() {
    let port = mysql::free_port();
    let mut c = bare();
    c.args(["-H", "127.0.0.1", "-P", &port.to_string(), "-u", "x"]);
    let text = expect(&mut c, 2);
    assert!(
        text.starts_with(&format!("MYSQL_CONNECTIONS CRITICAL - 127.0.0.1:{port}: ")),
        "{text}"
    );
    assert!(text.to_lowercase().contains("refused"), "{text}");
    let mut c = bare();
    c.args(["-H", "no-such-host.invalid", "-u", "x", "-t", "3"]);
    let text = expect(&mut c, 2);
    assert!(
        text.starts_with("MYSQL_CONNECTIONS CRITICAL - no-such-host.invalid:3306"),
        "{text}"
    );
}

#[test]
fn a_silent_port_is_critical_within_the_timeout() {
    // Accepts TCP connections (the kernel does) but never says a word.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let started = Instant::now();
    let mut c = bare();
    c.args([
        "-H",
        "127.0.0.1",
        "-P",
        &port.to_string(),
        "-u",
        "x",
        "-t",
        "2",
    ]);
    let text = expect(&mut c, 2);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(
        text.starts_with(&format!(
            "MYSQL_CONNECTIONS CRITICAL - no answer from 127.0.0.1:{port} within 1.6 s while connecting"
        )),
        "{text}"
    );
    drop(listener);
}

#[test]
fn captured_input_from_the_examples() {
    let ex = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mysql-connections");
    let text = expect(bare().arg("--input").arg(ex.join("seed-sop1.txt")), 0);
    assert!(
        text.starts_with("MYSQL_CONNECTIONS OK - 38 connections |"),
        "{text}"
    );
    let text = expect(
        bare()
            .arg("--input")
            .arg(ex.join("too-many-batch.txt"))
            .args(["--critical-query-time", "300"]),
        2,
    );
    assert!(
        text.starts_with("MYSQL_CONNECTIONS CRITICAL - 71 connections"),
        "{text}"
    );
    assert!(
        text.contains("query 25301 by root on cdrdb running 412s: INSERT INTO cdr"),
        "{text}"
    );
}

#[test]
fn tls_with_rustls() {
    let s = server();
    let _turn = mysql::exclusive();
    let accepts = || -> u64 {
        s.sql("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'SSL_ACCEPTS'")
            .trim()
            .parse()
            .unwrap()
    };
    // Plain text by default; encrypted without a check (the server counts the
    // TLS handshake); then checked against the test's CA, with the host name.
    let before = accepts();
    expect(&mut plugin(), 0);
    assert_eq!(accepts(), before);
    let text = expect(plugin().args(["--ssl-mode", "REQUIRED"]), 0);
    assert!(text.starts_with("MYSQL_CONNECTIONS OK - "), "{text}");
    assert_eq!(accepts(), before + 1);
    let text = expect(
        plugin()
            .args(["--ssl-mode", "VERIFY_IDENTITY", "--ssl-ca"])
            .arg(s.ca()),
        0,
    );
    assert!(text.starts_with("MYSQL_CONNECTIONS OK - "), "{text}");
    // The system's roots do not know the test's CA: CRITICAL, not a silent fallback.
    let text = expect(plugin().args(["--ssl-mode", "VERIFY_CA"]), 2);
    assert!(text.to_lowercase().contains("certificate"), "{text}");
    // ssl-mode and ssl-ca from the option file.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tls.cnf");
    write(
        &file,
        &format!(
            "[client]\nuser=monitor\npassword={MONITOR_PASSWORD}\nhost=127.0.0.1\nport={}\n\
             ssl-mode=VERIFY_CA\nssl-ca={}\n",
            s.port,
            s.ca().display()
        ),
        0o600,
    );
    expect(bare().arg("--defaults-file").arg(&file), 0);
    let text = expect(
        bare()
            .arg("--defaults-file")
            .arg(&file)
            .args(["--ssl-ca"])
            .arg(dir.path().join("none.pem")),
        3,
    );
    assert!(text.contains("cannot read ssl-ca"), "{text}");
}
