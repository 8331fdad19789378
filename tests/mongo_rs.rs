//! check_mongo_rs on the real binary: captured statuses (examples/mongo-rs/) and
//! the network path against tests/mongo_rs_mock.py, a scripted replica set member
//! speaking the wire protocol through mockupdb (no mongod can run here).
#![cfg(feature = "mongodb")]

use assert_cmd::cargo::cargo_bin;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn example(name: &str) -> String {
    root()
        .join("examples/mongo-rs")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn plugin() -> Command {
    let mut command = Command::new(cargo_bin("check_mongo_rs"));
    command
        .env_remove("MONGODB_URI")
        .env_remove("MONGODB_PASSWORD")
        .stdin(Stdio::null());
    command
}

fn run(args: &[&str]) -> Output {
    plugin().args(args).output().expect("check_mongo_rs runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn first_line(out: &Output) -> String {
    stdout(out).lines().next().unwrap_or("").to_string()
}

/// The mock member, stopped (stdin closed, then killed) when dropped, also on a failed assert.
struct Mock {
    child: Child,
    stdin: Option<ChildStdin>,
    port: u16,
    log: tempfile::NamedTempFile,
}

impl Mock {
    fn start(scenario: &str, status: Option<&str>, config: Option<&str>) -> Mock {
        Mock::start_with(scenario, status, config, &[])
    }

    fn start_with(
        scenario: &str,
        status: Option<&str>,
        config: Option<&str>,
        extra: &[&str],
    ) -> Mock {
        let log = tempfile::NamedTempFile::new().unwrap();
        let mut command = Command::new("python3");
        command
            .arg(root().join("tests/mongo_rs_mock.py"))
            .args(extra);
        command
            .args(["--scenario", scenario, "--log"])
            .arg(log.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(status) = status {
            command.args(["--status", &example(status)]);
        }
        if let Some(config) = config {
            command.args(["--config", &example(config)]);
        }
        let mut child = command.spawn().expect(
            "python3 runs (tests need python3 with mockupdb: pip install -r .ci/pip-packages)",
        );
        let stdin = child.stdin.take();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!(
                    "the mock did not start (is mockupdb installed? pip install -r .ci/pip-packages): {line:?}"
                )
            });
        Mock {
            child,
            stdin,
            port,
            log,
        }
    }

    fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The command names the mock received, in order.
    fn commands(&self) -> Vec<String> {
        std::fs::read_to_string(self.log.path())
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------
// Captured statuses.

#[test]
fn the_seed_in_all_four_syntaxes_gives_one_result() {
    let lines: Vec<String> = [
        "seed.shell.txt",
        "seed.mongosh.txt",
        "seed.canonical.json",
        "seed.relaxed.json",
    ]
    .iter()
    .map(|f| {
        let out = run(&["--input", &example(f)]);
        assert_eq!(out.status.code(), Some(0), "{f}: {}", stdout(&out));
        first_line(&out)
    })
    .collect();
    assert!(
        lines[0].starts_with(
            "MONGO_RS OK - sre_location: primary 10.0.161.60:27017, 3 secondaries, max lag 0s | members=4;;;0 "
        ),
        "{}",
        lines[0]
    );
    assert!(lines.iter().all(|l| l == &lines[0]), "{lines:#?}");
}

#[test]
fn each_variant_gets_its_state() {
    let cases: &[(&str, &[&str], i32, &str)] = &[
        ("election.mongosh.txt", &[], 2, "CRITICAL - no primary, 10.0.161.60:27017 DOWN (health 0) |"),
        ("election.relaxed.json", &[], 2, "CRITICAL - no primary, 10.0.161.60:27017 DOWN (health 0) |"),
        ("two-primaries.shell.txt", &[], 2, "CRITICAL - 2 primaries (10.0.161.60:27017, 10.0.161.64:27017) |"),
        ("recovering.shell.txt", &[], 2, "CRITICAL - 10.0.161.63:27017 RECOVERING |"),
        ("recovering.canonical.json", &["--warn-state", "recovering"], 1, "WARNING - 10.0.161.63:27017 RECOVERING |"),
        ("down.shell.txt", &[], 2, "CRITICAL - 10.0.161.64:27017 DOWN (health 0) |"),
        ("arbiter.mongosh.txt", &[], 0, "OK - sre_location: primary 10.0.161.60:27017, 1 secondary, 1 arbiter, max lag 0s |"),
        ("delayed.shell.txt", &[], 2, "CRITICAL - 10.0.161.63:27017 lag 1h |"),
        ("delayed.shell.txt", &["--delay", "10.0.161.63:27017=3600"], 0, "OK - "),
        ("lagging.canonical.json", &[], 1, "WARNING - 10.0.161.64:27017 lag 1m 35s |"),
        ("lagging.shell.txt", &["--critical-lag", "60"], 2, "CRITICAL - 10.0.161.64:27017 lag 1m 35s |"),
        ("stale-heartbeat.mongosh.txt", &[], 2, "CRITICAL - 10.0.161.63:27017 heartbeat 40s old |"),
        ("stale-heartbeat.relaxed.json", &["--critical-heartbeat", "60"], 1, "WARNING - 10.0.161.63:27017 heartbeat 40s old |"),
        ("seed.relaxed.json", &["--members", "5"], 2, "CRITICAL - 4 members, expected 5 |"),
        ("seed.relaxed.json", &["--members", "3"], 1, "WARNING - 4 members, expected 3 |"),
        ("startup2.mongosh.txt", &["--warn-state", "STARTUP2"], 1, "WARNING - 10.0.161.66:27017 STARTUP2 |"),
        ("seed.canonical.json", &["--replica-set", "cac"], 2, "CRITICAL - replica set is sre_location, expected cac |"),
        ("not-initialised.relaxed.json", &[], 2, "CRITICAL - replSetGetStatus failed: no replset config has been received (NotYetInitialized)"),
    ];
    for (file, extra, code, expected) in cases {
        let mut args = vec!["--input".to_string(), example(file)];
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args);
        let line = first_line(&out);
        assert_eq!(out.status.code(), Some(*code), "{file} {extra:?}: {line}");
        assert!(
            line.starts_with(&format!("MONGO_RS {expected}")),
            "{file} {extra:?}: {line}"
        );
    }
}

#[test]
fn input_from_standard_input() {
    let mut child = plugin()
        .args(["--input", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let text = std::fs::read(example("down.relaxed.json")).unwrap();
    child.stdin.take().unwrap().write_all(&text).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(first_line(&out).starts_with("MONGO_RS CRITICAL - 10.0.161.64:27017 DOWN"));
}

/// A capture file appended to (`>>`) holds an older healthy status and the
/// newest one: the newest is judged, never the first.
#[test]
fn the_newest_of_appended_captures_is_judged() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("status.log");
    let text = std::fs::read_to_string(example("seed.shell.txt")).unwrap()
        + &std::fs::read_to_string(example("down.shell.txt")).unwrap();
    std::fs::write(&file, text).unwrap();
    let out = run(&["--input", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        first_line(&out).starts_with("MONGO_RS CRITICAL - 10.0.161.64:27017 DOWN"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn unreadable_or_foreign_input_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.txt");
    std::fs::write(&junk, "Error: couldn't connect to server 127.0.0.1:27017\n").unwrap();
    let out = run(&["--input", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        first_line(&out).contains("no document found"),
        "{}",
        first_line(&out)
    );
    let truncated = dir.path().join("truncated.txt");
    let seed = std::fs::read_to_string(example("seed.shell.txt")).unwrap();
    std::fs::write(&truncated, &seed[..seed.len() / 2]).unwrap();
    let out = run(&["--input", truncated.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    let out = run(&["--input", "/nonexistent/status.json"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(first_line(&out).contains("cannot read /nonexistent/status.json"));
    let out = run(&[
        "--input",
        &example("seed.relaxed.json"),
        "--warn-state",
        "SLEEPY",
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(first_line(&out).contains("SLEEPY"), "{}", first_line(&out));
}

// ---------------------------------------------------------------------------
// The network path, against the mock member.

#[test]
fn a_healthy_set_through_the_driver() {
    let mock = Mock::start("ok", Some("seed.relaxed.json"), Some("seed.config.json"));
    let out = run(&["-H", &mock.address(), "-t", "20"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let offline = run(&["--input", &example("seed.relaxed.json")]);
    assert_eq!(
        first_line(&out),
        first_line(&offline),
        "same result as the captured status"
    );
    let commands = mock.commands();
    let status_at = commands.iter().position(|c| c == "replSetGetStatus");
    let config_at = commands.iter().position(|c| c == "replSetGetConfig");
    assert!(status_at.is_some() && config_at > status_at, "{commands:?}");
    // The same through a URI from the environment, and through -H HOST -P PORT.
    let out = plugin()
        .env(
            "MONGODB_URI",
            format!("mongodb://{}/?appName=nagios", mock.address()),
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let out = run(&["-H", "127.0.0.1", "-P", &mock.port.to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn a_member_is_asked_directly_when_the_set_has_no_primary() {
    let mock = Mock::start(
        "ok",
        Some("election.relaxed.json"),
        Some("seed.config.json"),
    );
    let out = run(&[
        "--uri",
        &format!("mongodb://{}/", mock.address()),
        "-t",
        "20",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        first_line(&out).starts_with("MONGO_RS CRITICAL - no primary, 10.0.161.60:27017 DOWN"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn delays_come_from_repl_set_get_config() {
    let mock = Mock::start(
        "ok",
        Some("delayed.relaxed.json"),
        Some("delayed.config.json"),
    );
    let out = run(&["-H", &mock.address(), "-t", "20"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains(
        "[OK] 10.0.161.63:27017 SECONDARY (hidden, delayed 1h): lag 0s (behind 1h, delay 1h)"
    ));
    // Without the right to read the config: the delay counts as lag, and the output says why.
    let mock = Mock::start("ok", Some("delayed.relaxed.json"), None);
    let out = run(&["-H", &mock.address(), "-t", "20"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(first_line(&out).starts_with("MONGO_RS CRITICAL - 10.0.161.63:27017 lag 1h |"));
    assert!(
        stdout(&out).contains("Note: replSetGetConfig failed, configured delays unknown (use --delay): not authorized"),
        "{}",
        stdout(&out)
    );
    let out = run(&["-H", &mock.address(), "--delay", "10.0.161.63:27017=3600"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

/// replSetGetConfig only adds the configured delays: when it hangs, the status
/// already read is still judged (with a note) within -t, not lost to a timeout.
#[test]
fn a_hung_repl_set_get_config_does_not_lose_the_status() {
    let mock = Mock::start("hang-config", Some("down.relaxed.json"), None);
    let started = Instant::now();
    let out = run(&["-H", &mock.address(), "-t", "6"]);
    assert!(started.elapsed() < Duration::from_secs(6));
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        first_line(&out).starts_with("MONGO_RS CRITICAL - 10.0.161.64:27017 DOWN"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains(
            "Note: replSetGetConfig failed, configured delays unknown (use --delay): no answer within"
        ),
        "{}",
        stdout(&out)
    );
}

/// An authentication failure is CRITICAL with the reason, within -t, whichever
/// way the credentials come; the password never shows in the output.
#[test]
fn authentication_failure_is_critical() {
    let mock = Mock::start("auth-fail", Some("seed.relaxed.json"), None);
    let dir = tempfile::tempdir().unwrap();
    let password_file = dir.path().join("password");
    std::fs::write(&password_file, "s3cret-from-file\n").unwrap();
    let uri_with_credentials = format!("mongodb://monitor:s3cret-in-uri@{}/", mock.address());
    let password_file = password_file.to_str().unwrap();
    let address = mock.address();
    let runs: Vec<(Vec<&str>, Option<&str>)> = vec![
        (
            vec!["-H", &address, "-u", "monitor"],
            Some("s3cret-from-env"),
        ),
        (
            vec![
                "-H",
                &address,
                "-u",
                "monitor",
                "--password-file",
                password_file,
            ],
            None,
        ),
        (vec!["--uri", &uri_with_credentials], None),
    ];
    for (args, env_password) in runs {
        let started = Instant::now();
        let mut command = plugin();
        command.args(&args).args(["-t", "10"]);
        if let Some(password) = env_password {
            command.env("MONGODB_PASSWORD", password);
        }
        let out = command.output().unwrap();
        let took = started.elapsed();
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {text}");
        assert!(
            text.starts_with(&format!(
                "MONGO_RS CRITICAL - {}: authentication failed: SCRAM failure: Authentication failed.",
                mock.address()
            )),
            "{args:?}: {text}"
        );
        assert!(!text.contains("s3cret"), "{text}");
        assert!(took < Duration::from_secs(10), "{args:?} took {took:?}");
    }
    assert_eq!(
        mock.commands().iter().filter(|c| *c == "saslStart").count(),
        3,
        "{:?}",
        mock.commands()
    );
    assert!(!mock.commands().contains(&"replSetGetStatus".to_string()));
}

/// TLS through rustls (ring): the mock serves mockupdb's self-signed certificate.
#[test]
fn tls_is_spoken_and_certificates_are_verified() {
    let mock = Mock::start_with("ok", Some("seed.relaxed.json"), None, &["--tls"]);
    let out = run(&["-H", &mock.address(), "--tls", "--tls-insecure", "-t", "20"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let uri = format!("mongodb://{}/?tls=true&tlsInsecure=true", mock.address());
    let out = run(&["--uri", &uri, "-t", "20"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    // Verified against the system's roots, the self-signed certificate is refused
    // (last: the mock stops accepting after a failed handshake).
    // The driver retries until server selection gives up (-t minus 30 %).
    let out = run(&["-H", &mock.address(), "--tls", "-t", "6"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        first_line(&out).starts_with(&format!(
            "MONGO_RS CRITICAL - cannot reach {}: invalid peer certificate",
            mock.address()
        )),
        "{}",
        stdout(&out)
    );
}

/// A mongod without --replSet answers replSetGetStatus with an error: CRITICAL, with it.
#[test]
fn a_standalone_server_is_critical() {
    let mock = Mock::start("standalone", None, None);
    let out = run(&["-H", &mock.address()]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert_eq!(
        first_line(&out),
        format!(
            "MONGO_RS CRITICAL - {}: not running with --replSet (NoReplicationEnabled, code 76)",
            mock.address()
        )
    );
}

#[path = "support/ports.rs"]
mod ports;
use ports::free_port;

/// A URI naming another set: the server answers, the driver drops it for its
/// set name. That is not a server that does not answer.
#[test]
fn a_server_of_another_set_is_not_reported_as_mute() {
    let mock = Mock::start("ok", Some("seed.relaxed.json"), None);
    let uri = format!("mongodb://{}/?replicaSet=cac", mock.address());
    let out = run(&["--uri", &uri, "-t", "6"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let line = first_line(&out);
    assert!(!line.contains("no answer"), "{line}");
    assert!(
        line.starts_with(&format!(
            "MONGO_RS CRITICAL - {}: no member of replica set cac within 5 s",
            mock.address()
        )),
        "{line}"
    );
}

#[test]
fn an_unreachable_port_is_critical_within_the_timeout() {
    let port = free_port();
    let started = Instant::now();
    let out = run(&["-H", "127.0.0.1", "-P", &port.to_string(), "-t", "5"]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        first_line(&out).starts_with(&format!(
            "MONGO_RS CRITICAL - cannot reach 127.0.0.1:{port}: Connection refused"
        )),
        "{}",
        stdout(&out)
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn a_server_that_never_answers_is_critical_within_the_timeout() {
    let mock = Mock::start("silent", None, None);
    let started = Instant::now();
    let out = run(&["-H", &mock.address(), "-t", "5"]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert_eq!(
        first_line(&out),
        format!(
            "MONGO_RS CRITICAL - {}: no answer within 4 s",
            mock.address()
        )
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn a_hung_command_times_out_naming_it() {
    let mock = Mock::start("hang-status", Some("seed.relaxed.json"), None);
    for (timeout, code, state) in [("2", 3, "UNKNOWN"), ("2:critical", 2, "CRITICAL")] {
        let started = Instant::now();
        let out = run(&["-H", &mock.address(), "-t", timeout]);
        assert!(started.elapsed() < Duration::from_secs(4));
        assert_eq!(out.status.code(), Some(code), "{}", stdout(&out));
        assert_eq!(
            first_line(&out),
            format!(
                "MONGO_RS {state} - timed out after 2 s (while running replSetGetStatus on {})",
                mock.address()
            )
        );
    }
}

/// Port 0 is a mistake in the service definition (UNKNOWN), not an
/// unreachable member (CRITICAL).
#[test]
fn port_zero_is_a_usage_error() {
    let out = Command::new(cargo_bin("check_mongo_rs"))
        .args(["-H", "127.0.0.1", "-P", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("MONGO_RS UNKNOWN - "));
}

/// The CA file is the plugin's own configuration: unreadable is UNKNOWN naming
/// it, before any connection (no CRITICAL "cannot connect" for a typo).
#[test]
fn an_unreadable_tls_ca_file_is_unknown_not_a_connection_failure() {
    let port = free_port();
    let out = run(&[
        "-H",
        &format!("127.0.0.1:{port}"),
        "--tls-ca-file",
        "/nonexistent/ca.pem",
        "-t",
        "5",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    assert_eq!(
        first_line(&out),
        "MONGO_RS UNKNOWN - cannot read the TLS CA file /nonexistent/ca.pem: No such file or directory (os error 2)"
    );
}
