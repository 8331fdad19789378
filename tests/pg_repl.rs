//! check_pg_repl against a real PostgreSQL primary and streaming standby
//! (tests/support/pg.rs). Each test function owns its cluster: the read-only
//! cases share one, the cases that pause, stop and promote run in order on
//! another, so no test disturbs another.
#![cfg(feature = "postgres")]

#[path = "support/pg.rs"]
mod pg;

use pg::{Cluster, MONITOR_PASSWORD, MONITOR_USER};
use std::process::Output;
use std::time::{Duration, Instant};

/// The plugin as the monitoring user, with a clean libpq environment.
fn plugin() -> assert_cmd::Command {
    plugin_as(MONITOR_USER)
}

fn plugin_as(user: &str) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("check_pg_repl").unwrap();
    for var in [
        "PGHOST",
        "PGPORT",
        "PGUSER",
        "PGDATABASE",
        "PGPASSWORD",
        "PGPASSFILE",
        "PGSSLMODE",
        "PGSSLROOTCERT",
    ] {
        c.env_remove(var);
    }
    c.env("PGPASSWORD", MONITOR_PASSWORD)
        .args(["-U", user])
        // No ~/.pgpass or ~/.postgresql of whoever runs the tests.
        .env("HOME", "/nonexistent");
    c
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs and checks the exit code, showing the output when it is not the expected one.
fn expect(cmd: &mut assert_cmd::Command, code: i32) -> String {
    let out = cmd.output().unwrap();
    let text = stdout(&out);
    if std::env::var_os("SHOW").is_some() {
        eprintln!("== {cmd:?}\n{text}");
    }
    assert_eq!(out.status.code(), Some(code), "{text}");
    text
}

/// Polls the plugin until it exits with `code` (replication needs a moment to show a change).
fn eventually(args: &[&str], code: i32) -> String {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let out = plugin().args(args).output().unwrap();
        if out.status.code() == Some(code) {
            if std::env::var_os("SHOW").is_some() {
                eprintln!("== {args:?}\n{}", stdout(&out));
            }
            return stdout(&out);
        }
        assert!(
            Instant::now() < until,
            "{args:?}: still not exit {code}: {}",
            stdout(&out)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn perf_value(text: &str, label: &str) -> Option<f64> {
    let perf = text.lines().next()?.split_once(" | ")?.1;
    perf.split(' ').find_map(|p| {
        let (l, rest) = p.split_once('=')?;
        (l.trim_matches('\'') == label).then(|| {
            rest.split(';')
                .next()
                .unwrap()
                .trim_end_matches(|c: char| c.is_ascii_alphabetic())
                .parse()
                .ok()
        })?
    })
}

/// Healthy primary, healthy standby, cluster mode, role assertions, named
/// standbys, idle primary, credentials: all on one healthy cluster, read-only.
#[test]
fn healthy_cluster() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let p = cluster.primary.addr();
    let s = cluster.standby().addr();
    let both = format!("{p},{s}");
    cluster
        .primary
        .sql("CREATE TABLE t (i int); INSERT INTO t VALUES (1)");
    cluster.wait_caught_up();

    // Healthy primary.
    let text = expect(
        plugin().args(["-H", &p, "--role", "primary", "--min-standbys", "1"]),
        0,
    );
    assert!(
        text.starts_with("PG_REPL OK - primary, 1 standby streaming"),
        "{text}"
    );
    assert_eq!(perf_value(&text, "standbys"), Some(1.0), "{text}");
    assert!(text.contains("standbys=1;;1:;0"), "{text}");
    assert!(perf_value(&text, "lag_bytes_standby1").is_some(), "{text}");
    assert!(
        perf_value(&text, "lag_seconds_standby1").is_some(),
        "{text}"
    );
    assert!(
        perf_value(&text, "slot_retained_standby1_slot").is_some(),
        "{text}"
    );
    assert!(
        text.contains("standby1 (127.0.0.1): streaming async"),
        "{text}"
    );
    // Named standbys: by application_name and by address.
    expect(
        plugin().args(["-H", &p, "--standby", "standby1", "--standby", "127.0.0.1"]),
        0,
    );
    let text = expect(plugin().args(["-H", &p, "--standby", "cp9"]), 2);
    assert!(
        first_line_of(&text).contains("standby cp9 is not connected"),
        "{text}"
    );
    let text = expect(plugin().args(["-H", &p, "--min-standbys", "2"]), 2);
    assert!(
        text.contains("only 1 of at least 2 standbys streaming"),
        "{text}"
    );
    // -v adds the per-position details, never changes the first line.
    let quiet = expect(plugin().args(["-H", &p]), 0);
    let verbose = expect(plugin().args(["-H", &p, "-v"]), 0);
    assert_eq!(
        first_line_of(&quiet).split(" | ").next(),
        first_line_of(&verbose).split(" | ").next()
    );
    assert!(
        verbose.contains("behind the current WAL position"),
        "{verbose}"
    );

    // Healthy standby.
    let text = expect(plugin().args(["-H", &s, "--role", "standby"]), 0);
    assert!(
        text.starts_with(&format!(
            "PG_REPL OK - standby streaming from 127.0.0.1:{} (slot standby1_slot)",
            cluster.primary.port
        )),
        "{text}"
    );
    assert!(
        perf_value(&text, &format!("lag_bytes_{s}")).is_some(),
        "{text}"
    );
    // Through the Unix socket (no TLS there, whatever --sslmode says), trusted locally.
    let socket_dir = cluster.standby().data.to_str().unwrap().to_string();
    let port = cluster.standby().port.to_string();
    let text = expect(
        plugin().env_remove("PGPASSWORD").args([
            "-H",
            &socket_dir,
            "-p",
            &port,
            "--sslmode",
            "require",
        ]),
        0,
    );
    assert!(text.starts_with("PG_REPL OK - standby streaming"), "{text}");
    // Wrong role: a failover happened.
    let text = expect(plugin().args(["-H", &s, "--role", "primary"]), 2);
    assert!(text.contains("is a standby, expected a primary"), "{text}");
    let text = expect(plugin().args(["-H", &p, "--role", "standby"]), 2);
    assert!(text.contains("is a primary, expected a standby"), "{text}");

    // Cluster mode.
    let text = expect(plugin().args(["-H", &both]), 0);
    assert!(
        text.starts_with(&format!(
            "PG_REPL OK - primary {p}, 1 of 1 standby streaming"
        )),
        "{text}"
    );
    assert!(text.contains("primaries=1;;1:1;0"), "{text}");
    assert!(
        perf_value(&text, &format!("lag_bytes_{s}")).is_some(),
        "{text}"
    );
    assert!(text.contains(&format!("{s}: standby streaming")), "{text}");
    let text = expect(plugin().args(["-H", &both, "--role", "primary"]), 3);
    assert!(text.contains("--role applies to a single host"), "{text}");
    // The primary given twice (its address and its socket): one server, no split brain.
    let socket = cluster.primary.data.to_str().unwrap().to_string();
    let port = cluster.primary.port.to_string();
    let text = expect(
        plugin().args(["-H", &format!("{both},{socket}"), "-p", &port]),
        3,
    );
    assert!(!text.contains("split brain"), "{text}");
    assert!(
        first_line_of(&text).contains(&format!(
            "{socket}:{port}: the same server as {p} (same start time)"
        )),
        "{text}"
    );

    // An idle primary: the last replayed transaction gets old, but nothing is
    // left to replay, so a 1 s delay threshold must not fire.
    std::thread::sleep(Duration::from_millis(2500));
    expect(plugin().args(["-H", &s, "--critical-seconds", "1"]), 0);
    expect(plugin().args(["-H", &both, "--critical-seconds", "1"]), 0);

    // JSON agrees with the exit code.
    let out = plugin()
        .args(["-H", &both, "--output-format", "json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["exit_code"], 0);
    assert_eq!(doc["state"], "OK");

    // Bad thresholds are UNKNOWN with the offending text.
    let text = expect(plugin().args(["-H", &p, "--warning-bytes", "10:5x"]), 3);
    assert!(text.contains("10:5x"), "{text}");

    // A role without pg_monitor cannot see the replication details: UNKNOWN with the fix.
    cluster
        .primary
        .sql("CREATE ROLE plain LOGIN PASSWORD 'plain'");
    cluster.wait_caught_up();
    for host in [&p, &s] {
        let text = expect(
            plugin_as("plain")
                .env("PGPASSWORD", "plain")
                .args(["-H", host]),
            3,
        );
        assert!(text.contains("grant it pg_monitor"), "{text}");
    }

    credentials(&cluster);
}

fn first_line_of(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// Wrong password, no password, the password file and its permission rule.
fn credentials(cluster: &Cluster) {
    use std::os::unix::fs::PermissionsExt;
    let p = cluster.primary.addr();
    let text = expect(plugin().env("PGPASSWORD", "wrong").args(["-H", &p]), 2);
    assert!(
        text.starts_with(&format!(
            "PG_REPL CRITICAL - {p}: FATAL: password authentication failed for user \"monitor\""
        )),
        "{text}"
    );
    let text = expect(plugin().env_remove("PGPASSWORD").args(["-H", &p]), 2);
    assert!(
        text.contains("asks for a password for user monitor"),
        "{text}"
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pgpass");
    std::fs::write(
        &file,
        format!(
            "# monitoring\n127.0.0.1:{}:postgres:monitor:{MONITOR_PASSWORD}\n*:*:*:*:wrong\n",
            cluster.primary.port
        ),
    )
    .unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let pgpass = || {
        let mut c = plugin();
        c.env_remove("PGPASSWORD").env("PGPASSFILE", &file);
        c
    };
    expect(pgpass().args(["-H", &p]), 0);
    // ~/.pgpass when PGPASSFILE is not set.
    std::fs::copy(&file, dir.path().join(".pgpass")).unwrap();
    std::fs::set_permissions(
        dir.path().join(".pgpass"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    expect(
        plugin()
            .env_remove("PGPASSWORD")
            .env("HOME", dir.path())
            .args(["-H", &p]),
        0,
    );
    // The standby's port matches only the wildcard line, with the wrong password.
    let text = expect(pgpass().args(["-H", &cluster.standby().addr()]), 2);
    assert!(text.contains("password authentication failed"), "{text}");
    // Readable by others: ignored with a warning, as libpq does.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let text = expect(pgpass().args(["-H", &p]), 2);
    assert!(text.contains("has group or world access"), "{text}");
    assert!(text.contains("asks for a password"), "{text}");
}

/// Lag while replay is paused, recovery, a stopped standby, then a promoted
/// standby (split brain): in this order, on a cluster of its own.
#[test]
fn lag_outage_and_split_brain() {
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    let p = cluster.primary.addr();
    let s = cluster.standby().addr();
    let both = format!("{p},{s}");

    // A replayed transaction, then replay paused, time passing and writes.
    cluster
        .primary
        .sql("CREATE TABLE t (i int); INSERT INTO t VALUES (1)");
    cluster.wait_caught_up();
    cluster.standby().sql("SELECT pg_wal_replay_pause()");
    std::thread::sleep(Duration::from_millis(2200));
    cluster
        .primary
        .sql("INSERT INTO t SELECT generate_series(1, 50000)");
    let lag = ["--warning-bytes", "1000", "--critical-bytes", "1000000000"];
    let text = eventually(&[&["-H", &s][..], &lag].concat(), 1);
    assert!(text.contains("(replay paused)"), "{text}");
    assert!(
        perf_value(&text, &format!("lag_bytes_{s}")).unwrap() >= 1000.0,
        "{text}"
    );
    // Crossing the critical byte range, on the standby, the primary and the cluster.
    let critical = ["--critical-bytes", "1000"];
    expect(plugin().args(["-H", &s]).args(critical), 2);
    let text = eventually(&[&["-H", &p][..], &critical].concat(), 2);
    assert!(
        text.contains("standby1 (127.0.0.1): streaming async, lag"),
        "{text}"
    );
    expect(plugin().args(["-H", &both]).args(critical), 2);
    // Seconds: the last replayed transaction is over 2 s old and WAL waits.
    let text = expect(plugin().args(["-H", &s, "--critical-seconds", "1"]), 2);
    assert!(
        perf_value(&text, &format!("lag_seconds_{s}")).unwrap() >= 2.0,
        "{text}"
    );
    expect(
        plugin().args([
            "-H",
            &s,
            "--warning-seconds",
            "1",
            "--critical-seconds",
            "3600",
        ]),
        1,
    );

    // Resume: back to OK.
    cluster.standby().sql("SELECT pg_wal_replay_resume()");
    eventually(
        &[
            "-H",
            &s,
            "--critical-bytes",
            "1000",
            "--critical-seconds",
            "1",
        ],
        0,
    );
    eventually(&["-H", &both, "--critical-bytes", "1000"], 0);

    // Synchronous replication to standby1: fine while it is connected.
    cluster
        .primary
        .sql("ALTER SYSTEM SET synchronous_standby_names = 'standby1'");
    cluster.primary.sql("SELECT pg_reload_conf()");
    let text = eventually(&["-H", &p], 0);
    assert!(text.contains("[OK] synchronous: standby1"), "{text}");

    // Standby stopped: the primary is below its minimum, its slot inactive,
    // its commits wait for the synchronous standby; the cluster has an
    // unreachable host.
    cluster.standby_mut().stop();
    let text = eventually(&["-H", &p], 2);
    assert!(
        text.contains("0 of 1 synchronous standbys connected: commits wait"),
        "{text}"
    );
    cluster
        .primary
        .sql("ALTER SYSTEM RESET synchronous_standby_names");
    cluster.primary.sql("SELECT pg_reload_conf()");
    eventually(&["-H", &p], 1);
    let text = eventually(&["-H", &p, "--min-standbys", "1"], 2);
    assert!(
        text.contains("only 0 of at least 1 standbys streaming"),
        "{text}"
    );
    assert!(
        text.contains("slot standby1_slot (physical) inactive"),
        "{text}"
    );
    assert!(text.contains("standbys=0;;1:;0"), "{text}");
    let text = expect(plugin().args(["-H", &p, "--inactive-slot", "ok"]), 0);
    assert!(text.contains("0 standbys streaming"), "{text}");
    let text = expect(plugin().args(["-H", &both]), 2);
    assert!(
        first_line_of(&text).contains(&format!("{s}: error connecting to server")),
        "{text}"
    );
    assert!(text.contains("Connection refused"), "{text}");

    // Standby back, then promoted: two writers.
    cluster.standby_mut().start();
    cluster.wait_streaming();
    eventually(&["-H", &both], 0);
    cluster.standby().sql("SELECT pg_promote(true, 60)");
    let text = eventually(&["-H", &both], 2);
    assert!(
        first_line_of(&text).contains(&format!("split brain: 2 primaries: {p}, {s}")),
        "{text}"
    );
    assert!(text.contains("primaries=2;;1:1;0"), "{text}");
    let text = expect(plugin().args(["-H", &s, "--role", "standby"]), 2);
    assert!(text.contains("is a primary, expected a standby"), "{text}");
}

/// Continues stopped processes (SIGCONT) when dropped, also when a test fails,
/// so that the servers can shut down.
struct Resume(Vec<i32>);

impl Drop for Resume {
    fn drop(&mut self) {
        for pid in &self.0 {
            // SAFETY: signalling a server process the test started (it may be gone).
            unsafe { libc::kill(*pid, libc::SIGCONT) };
        }
    }
}

fn signal(pid: i32, sig: i32) {
    // SAFETY: signalling a server process the test started.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0, "kill {pid}");
}

/// A standby whose sender has WAL it has not received (a slow link, a stalled
/// walsender) is behind, not idle: its replay delay counts even when all it
/// received is replayed (that exact case is in the unit tests; here the real
/// server's `latest_end_lsn` reaches the judgement).
#[test]
fn wal_not_yet_received_counts_as_delay() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let s = cluster.standby().addr();
    cluster
        .primary
        .sql("CREATE TABLE t (i int); INSERT INTO t VALUES (1)");
    cluster.wait_caught_up();
    let receiver: i32 = cluster
        .standby()
        .sql("SELECT pid FROM pg_stat_wal_receiver")
        .parse()
        .unwrap();
    let sender: i32 = cluster
        .primary
        .sql("SELECT pid FROM pg_stat_replication")
        .parse()
        .unwrap();
    let _resume = Resume(vec![receiver, sender]);
    // The receiver stops reading: the sender fills the socket buffers with
    // messages that announce the WAL the burst has written so far.
    signal(receiver, libc::SIGSTOP);
    cluster
        .primary
        .sql("INSERT INTO t SELECT generate_series(1, 1000000)");
    std::thread::sleep(Duration::from_millis(500));
    // The sender stalls; the receiver takes what the buffers hold and replays it.
    signal(sender, libc::SIGSTOP);
    signal(receiver, libc::SIGCONT);
    pg::wait_for("the standby to know its sender is ahead", || {
        cluster
            .standby()
            .sql("SELECT latest_end_lsn > pg_last_wal_replay_lsn() FROM pg_stat_wal_receiver")
            == "t"
    });
    std::thread::sleep(Duration::from_millis(1500));
    let text = expect(
        plugin().args(["-H", &s, "--critical-seconds", "1", "-v"]),
        2,
    );
    assert!(
        perf_value(&text, &format!("lag_seconds_{s}")).unwrap() >= 1.0,
        "{text}"
    );
    assert!(text.contains("the sender has WAL up to"), "{text}");
    // The sender resumes: the standby catches up and is idle again.
    signal(sender, libc::SIGCONT);
    cluster.wait_caught_up();
    eventually(&["-H", &s, "--critical-seconds", "1"], 0);
}

/// Nothing listening, a server that never answers, a name that does not resolve.
#[test]
fn unreachable_servers_are_critical_within_the_timeout() {
    let port = pg::free_port();
    let refused = format!("127.0.0.1:{port}");
    let started = Instant::now();
    let text = expect(plugin().args(["-H", &refused, "-t", "3"]), 2);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(
        text.starts_with(&format!(
            "PG_REPL CRITICAL - {refused}: error connecting to server"
        )),
        "{text}"
    );
    assert!(text.contains("Connection refused"), "{text}");

    // Accepts TCP connections (the kernel's backlog) and never says a word.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mute = silent.local_addr().unwrap().to_string();
    let started = Instant::now();
    let text = expect(plugin().args(["-H", &mute, "-t", "2"]), 2);
    let took = started.elapsed();
    // Reported by the plugin (CRITICAL) before its 2 s watchdog (UNKNOWN) would fire.
    assert!(took < Duration::from_millis(2500), "took {took:?}");
    assert!(
        text.starts_with(&format!("PG_REPL CRITICAL - {mute}: no answer within")),
        "{text}"
    );

    // Fails at once, or (with unreachable DNS servers) when the lookup runs out of time.
    let text = expect(plugin().args(["-H", "no-such-host.invalid", "-t", "5"]), 2);
    assert!(
        text.starts_with(
            "PG_REPL CRITICAL - no-such-host.invalid:5432: error connecting to server"
        ) || text.starts_with("PG_REPL CRITICAL - no-such-host.invalid:5432: no answer within"),
        "{text}"
    );

    // Cluster mode: every host unreachable, no writer, each named.
    let text = expect(
        plugin().args(["-H", &format!("{refused},{mute}"), "-t", "2"]),
        2,
    );
    assert!(text.contains("no writer"), "{text}");
    assert!(text.contains(&refused) && text.contains(&mute), "{text}");
    drop(silent);

    // Bad options are UNKNOWN.
    let text = expect(plugin().args(["-H", "a:99999"]), 3);
    assert!(text.contains("invalid port '99999'"), "{text}");
    let text = expect(plugin().args(["--sslmode", "sometimes"]), 3);
    assert!(text.starts_with("PG_REPL UNKNOWN"), "{text}");
}

/// A CA and a server certificate for `names` (subjectAltName entries), made with openssl.
fn certificates(dir: &std::path::Path, ca: &str, names: &str) -> (Vec<u8>, Vec<u8>) {
    let openssl = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl runs");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-keyout",
                &format!("{ca}.key"),
                "-out",
                &format!("{ca}.crt"),
                "-days",
                "2",
                "-subj",
                &format!("/CN={ca}"),
            ],
        ]
        .concat(),
    );
    std::fs::write(dir.join("san.ext"), format!("subjectAltName={names}\n")).unwrap();
    openssl(
        &[
            &["req"][..],
            &ec,
            &[
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=server",
            ],
        ]
        .concat(),
    );
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        &format!("{ca}.crt"),
        "-CAkey",
        &format!("{ca}.key"),
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    ]);
    (
        std::fs::read(dir.join("server.crt")).unwrap(),
        std::fs::read(dir.join("server.key")).unwrap(),
    )
}

/// --sslmode with rustls against a server that only accepts TLS.
#[test]
fn tls_modes() {
    if pg::require().is_none() {
        return;
    }
    let certs = tempfile::tempdir().unwrap();
    let (crt, key) = certificates(certs.path(), "test-ca", "DNS:localhost");
    // Another CA, which did not sign the server's certificate.
    certificates(certs.path(), "other-ca", "DNS:other");
    let ca = certs.path().join("test-ca.crt");
    let other = certs.path().join("other-ca.crt");
    let Some(cluster) = Cluster::with(pg::Setup {
        conf: vec![
            "ssl = on".into(),
            "ssl_cert_file = 'server.crt'".into(),
            "ssl_key_file = 'server.key'".into(),
        ],
        hba: Some(
            "local all all trust\n\
             hostssl all postgres 127.0.0.1/32 trust\n\
             hostssl all all 127.0.0.1/32 scram-sha-256\n"
                .into(),
        ),
        files: vec![("server.crt".into(), crt), ("server.key".into(), key)],
        standby: false,
    }) else {
        return;
    };
    let ip = cluster.primary.addr();
    let name = format!("localhost:{}", cluster.primary.port);
    let ca = ca.to_str().unwrap();
    let other = other.to_str().unwrap();
    let text = expect(plugin().args(["-H", &ip, "--sslmode", "require"]), 0);
    assert!(
        text.starts_with("PG_REPL OK - primary, 0 standbys streaming"),
        "{text}"
    );
    expect(plugin().args(["-H", &ip, "--sslmode", "prefer"]), 0);
    expect(
        plugin().args(["-H", &name, "--sslmode", "verify-full", "--sslrootcert", ca]),
        0,
    );
    // The certificate names localhost, not 127.0.0.1: fine for verify-ca only.
    expect(
        plugin().args(["-H", &ip, "--sslmode", "verify-ca", "--sslrootcert", ca]),
        0,
    );
    let text = expect(
        plugin().args(["-H", &ip, "--sslmode", "verify-full", "--sslrootcert", ca]),
        2,
    );
    assert!(text.contains("certificate not valid for name"), "{text}");
    let text = expect(
        plugin().args([
            "-H",
            &name,
            "--sslmode",
            "verify-ca",
            "--sslrootcert",
            other,
        ]),
        2,
    );
    assert!(text.contains("invalid peer certificate"), "{text}");
    // PGSSLROOTCERT works as --sslrootcert, and makes require check the chain, as in libpq.
    expect(
        plugin()
            .env("PGSSLROOTCERT", ca)
            .args(["-H", &name, "--sslmode", "verify-full"]),
        0,
    );
    expect(
        plugin()
            .env("PGSSLROOTCERT", other)
            .args(["-H", &ip, "--sslmode", "require"]),
        2,
    );
    // No encryption: the server refuses.
    let text = expect(plugin().args(["-H", &ip, "--sslmode", "disable"]), 2);
    assert!(text.contains("no encryption"), "{text}");
    // verify-* without a root certificate is our own configuration problem.
    let text = expect(plugin().args(["-H", &ip, "--sslmode", "verify-full"]), 3);
    assert!(text.contains("needs a root certificate"), "{text}");
}

/// A mistake in the service definition is the plugin's own problem (UNKNOWN),
/// not a database that cannot be reached (CRITICAL): nobody should be paged
/// for a port of 0 or an empty standby name.
#[test]
fn configuration_mistakes_are_unknown() {
    for args in [&["-p", "0"][..], &["--standby", ""]] {
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("check_pg_repl"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("PG_REPL UNKNOWN - "));
    }
}
