//! check_asterisk_peers, check_asterisk_channels and check_asterisk_queues.
//!
//! No Asterisk can be installed here (COMPONENTS.md), so the tests drive the
//! plugins the two ways they reach Asterisk:
//! - a stand-in `asterisk` (a shell script) that prints the recordings of
//!   examples/asterisk/ for `-rx "COMMAND"`, logs the argv it was given, and
//!   plays the failure variants: not running, permission denied on the control
//!   socket, chan_sip not loaded, an empty peer list, a garbled line, a hang;
//! - a scripted AMI server on a loopback port (a thread of this test) speaking
//!   the protocol as Asterisk documents it: the `Asterisk Call Manager/…`
//!   banner, `ActionID` echoed, events in between, both `Command` framings
//!   (`Response: Follows` … `--END COMMAND--`, and `Output:` lines), a login
//!   failure, and a server that accepts and never answers.

mod support;

use assert_cmd::Command;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{repo, text};

fn example(path: &str) -> PathBuf {
    repo().join("examples/asterisk").join(path)
}

/// A stand-in `asterisk` in `dir` (a new file each time): logs its arguments (one per line) to
/// `dir/argv`, then runs `body` (sh).
fn stand_in(dir: &Path, body: &str) -> PathBuf {
    static MADE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = dir.join(format!("asterisk-{n}"));
    let log = dir.join("argv");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > '{}'\n{body}\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn printing(dir: &Path, recording: &str) -> PathBuf {
    stand_in(dir, &format!("cat '{}'", example(recording).display()))
}

fn plugin(name: &str) -> Command {
    Command::cargo_bin(name).unwrap()
}

struct Run {
    code: i32,
    stdout: String,
    elapsed: Duration,
}

impl Run {
    fn first(&self) -> &str {
        self.stdout.lines().next().unwrap_or("")
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
}

fn run(command: &mut Command) -> Run {
    let started = Instant::now();
    let out = command.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: text(&out.stdout),
        elapsed: started.elapsed(),
    }
}

fn peers(asterisk: &Path, args: &[&str]) -> Run {
    run(plugin("check_asterisk_peers")
        .arg("--asterisk")
        .arg(asterisk)
        .args(args))
}

fn argv_seen(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("argv"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn the_guides_38_peers_through_the_cli_are_ok() {
    let dir = tempfile::tempdir().unwrap();
    let asterisk = printing(dir.path(), "1.4/sip-show-peers-like-SDO.txt");
    let r = peers(&asterisk, &["--like", "SDO"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.first().starts_with(
            "ASTERISK_PEERS OK - 38 peers like 'SDO': 30 online, 8 never registered; worst latency 51 ms (SDO20029) | "
        ),
        "{}",
        r.first()
    );
    assert!(r.first().contains(" SDO20029=51ms "), "{}", r.first());
    assert!(r.first().contains(" unregistered=8;;;0 "), "{}", r.first());
    assert_eq!(argv_seen(dir.path()), ["-rx", "sip show peers like SDO"]);

    // As Asterisk counts them (--count-unregistered), the same 8 are offline.
    let r = peers(&asterisk, &["--like", "SDO", "--count-unregistered"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.first().contains("8 of 38 peers like 'SDO' offline"),
        "{}",
        r.first()
    );
    // The same with a share: 8/38 = 21% is above 20% but below 25%.
    let r = peers(
        &asterisk,
        &["--count-unregistered", "--percent", "-w", "20", "-c", "25"],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.first().contains("offline_pct=21.05"), "{}", r.first());

    // Per-peer latency: the worst is named, every peer has its perfdata.
    let r = peers(
        &asterisk,
        &[
            "--warning-latency",
            "45",
            "--critical-latency",
            "50.5",
            "--output-format",
            "json",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stdout);
    let doc = r.json();
    assert_eq!(doc["state"], "CRITICAL");
    assert!(
        doc["summary"]
            .as_str()
            .unwrap()
            .starts_with("6 peers over the latency limit, worst SDO20029 51 ms"),
        "{doc}"
    );
}

#[test]
fn the_availability_probe_must_be_reachable() {
    let dir = tempfile::tempdir().unwrap();
    let ok = printing(dir.path(), "1.4/sip-show-peers-like-NPA.txt");
    let r = peers(&ok, &["--like", "NPA", "--peer", "NPA10001"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.first().contains("NPA10001 reachable"), "{}", r.first());
    let down = printing(
        dir.path(),
        "failures/sip-show-peers-like-NPA-unreachable.txt",
    );
    let r = peers(&down, &["--like", "NPA", "--peer", "NPA10001"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("[CRITICAL] NPA10001 is unreachable (UNREACHABLE)"),
        "{}",
        r.stdout
    );
    let r = peers(&ok, &["--peer", "NPA10002"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(
        r.first().contains("NPA10002 is not listed"),
        "{}",
        r.first()
    );
}

#[test]
fn lagged_unreachable_and_other_versions() {
    let dir = tempfile::tempdir().unwrap();
    let lagged = printing(dir.path(), "failures/sip-show-peers-like-SDO-lagged.txt");
    let r = peers(&lagged, &["-w", "~:"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("[WARNING] SDO20007 LAGGED (2315 ms)"),
        "{}",
        r.stdout
    );
    let r = peers(&lagged, &["-w", "~:", "--lagged-state", "ok"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let r = peers(&lagged, &["-c", "0"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(
        r.first().contains("1 of 9 peers offline: SDO20008"),
        "{}",
        r.first()
    );

    // Asterisk 13: Forcerport "Auto (No)", descriptions, an Unmonitored trunk.
    let v13 = printing(dir.path(), "13/sip-show-peers.txt");
    let r = peers(&v13, &["--peer", "NPA10001"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.first().starts_with(
            "ASTERISK_PEERS OK - 5 peers: 3 online, 1 never registered, 1 unmonitored"
        ),
        "{}",
        r.first()
    );

    // Asterisk 20, PJSIP: contacts, then endpoints.
    let contacts = printing(dir.path(), "20/pjsip-show-contacts.txt");
    let r = peers(&contacts, &["--pjsip", "--like", "SDO"]);
    assert_eq!(
        argv_seen(dir.path()),
        ["-rx", "pjsip show contacts like SDO"]
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.first()
            .contains("3 peers like 'SDO': 2 online, 1 unmonitored"),
        "{}",
        r.first()
    );
    let unavail = printing(dir.path(), "failures/pjsip-show-contacts-unavail.txt");
    let r = peers(&unavail, &["--pjsip", "--like", "SDO"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.first()
            .contains("1 of 4 peers like 'SDO' offline: SDO20003"),
        "{}",
        r.first()
    );
    let endpoints = printing(dir.path(), "20/pjsip-show-endpoints.txt");
    let r = peers(
        &endpoints,
        &["--pjsip", "--endpoints", "--peer", "NPA10001"],
    );
    assert_eq!(argv_seen(dir.path()), ["-rx", "pjsip show endpoints"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.first().contains("3 peers: 2 online, 1 never registered"),
        "{}",
        r.first()
    );
}

#[test]
fn failure_variants_of_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    // Not running: the message on stderr, exit status 1, as asterisk -rx does.
    let down = stand_in(
        dir.path(),
        "echo 'Unable to connect to remote asterisk (does /nonexistent/asterisk.ctl exist?)' >&2; exit 1",
    );
    for name in [
        "check_asterisk_peers",
        "check_asterisk_channels",
        "check_asterisk_queues",
    ] {
        let r = run(plugin(name).arg("--asterisk").arg(&down));
        assert_eq!(r.code, 2, "{name}: {}", r.stdout);
        assert!(
            r.first().contains(
                "CRITICAL - Asterisk is not running: Unable to connect to remote asterisk"
            ),
            "{name}: {}",
            r.first()
        );
    }

    // chan_sip not loaded (Asterisk 20 without chan_sip).
    let no_sip = printing(dir.path(), "failures/no-chan_sip.txt");
    let r = peers(&no_sip, &["--like", "SDO"]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert!(
        r.first()
            .starts_with("ASTERISK_PEERS UNKNOWN - chan_sip not loaded, use --pjsip"),
        "{}",
        r.first()
    );

    // An empty peer list: nothing configured (a reload that did not complete).
    let empty = printing(dir.path(), "failures/sip-show-peers-empty.txt");
    let r = peers(&empty, &["--like", "SDO"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.first().contains("no peers like 'SDO'"), "{}", r.first());

    // A garbled line: reported, never OK, and its control bytes not copied raw.
    let garbled = printing(dir.path(), "failures/sip-show-peers-garbled.txt");
    let r = peers(&garbled, &[]);
    assert_ne!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("[UNKNOWN] line 4 not understood: 'SDO20002/SDO20002"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains('\u{7}'), "{}", r.stdout);

    // Something else altogether: UNKNOWN, naming where the text came from.
    let other = stand_in(dir.path(), "echo 'Welcome to the jungle'");
    let r = peers(&other, &[]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert!(r.first().contains("not a peer listing"), "{}", r.first());

    // A CLI that hangs: the plugin's own message, before -t.
    let hang = stand_in(dir.path(), "exec sleep 30");
    let r = peers(&hang, &["-t", "2"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.elapsed < Duration::from_secs(2), "{:?}", r.elapsed);
    assert!(
        r.first().contains("no answer from '") && r.first().contains("within 1.6 s"),
        "{}",
        r.first()
    );

    // A missing program is UNKNOWN (the plugin's setup).
    let r = peers(Path::new("/nonexistent/asterisk"), &[]);
    assert_eq!(r.code, 3, "{}", r.stdout);
}

/// The control socket is there but the plugin's user may not write to it:
/// the plugin's own setup (UNKNOWN), not an outage.
#[test]
fn permission_denied_on_the_control_socket_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let socket = dir.path().join("asterisk.ctl");
    std::fs::write(&socket, "").unwrap();
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o444)).unwrap();
    let asterisk = stand_in(
        dir.path(),
        &format!(
            "echo 'Unable to connect to remote asterisk (does {} exist?)' >&2; exit 1",
            socket.display()
        ),
    );
    // The stand-in logs its argv in the directory: let the test user write there.
    std::fs::write(dir.path().join("argv"), "").unwrap();
    std::fs::set_permissions(
        dir.path().join("argv"),
        std::fs::Permissions::from_mode(0o666),
    )
    .unwrap();
    let binary = assert_cmd::cargo::cargo_bin("check_asterisk_peers");
    let account = support::account();
    let mut command = account.command(binary.to_str().unwrap());
    let out = command.arg("--asterisk").arg(&asterisk).output().unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(
        stdout.starts_with(&format!(
            "ASTERISK_PEERS UNKNOWN - permission denied on {}",
            socket.display()
        )),
        "{stdout}"
    );
}

#[test]
fn channels_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let asterisk = printing(dir.path(), "20/core-show-channels.txt");
    let r = run(plugin("check_asterisk_channels")
        .arg("--asterisk")
        .arg(&asterisk));
    assert_eq!(argv_seen(dir.path()), ["-rx", "core show channels"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(
        r.first(),
        "ASTERISK_CHANNELS OK - 2 active channels, 1 active call, 12877 calls processed | channels=2;;;0 calls=1;;;0 calls_processed=12877c;;;0"
    );
    let r = run(plugin("check_asterisk_channels")
        .arg("--asterisk")
        .arg(&asterisk)
        .args(["--warning-channels", "1", "--critical-calls", "0"]));
    assert_eq!(r.code, 2, "{}", r.stdout);
    // 1.4 (no "calls processed"), and the inconsistent case.
    let v14 = printing(dir.path(), "1.4/core-show-channels.txt");
    let r = run(plugin("check_asterisk_channels")
        .arg("--asterisk")
        .arg(&v14));
    assert_eq!(r.code, 0, "{}", r.stdout);
    let bad = printing(dir.path(), "failures/core-show-channels-inconsistent.txt");
    let r = run(plugin("check_asterisk_channels")
        .arg("--asterisk")
        .arg(&bad));
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.first()
            .contains("3 active calls but only 1 channel: inconsistent"),
        "{}",
        r.first()
    );
}

#[test]
fn queues_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let v20 = printing(dir.path(), "20/queue-show.txt");
    let r = run(plugin("check_asterisk_queues")
        .arg("--asterisk")
        .arg(&v20)
        .args(["--queue", "GeneralQueue", "--queue", "PersonalQueue10003"]));
    assert_eq!(argv_seen(dir.path()), ["-rx", "queue show"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.first()
            .starts_with("ASTERISK_QUEUES OK - 2 queues, 0 waiting, 3 members | "),
        "{}",
        r.first()
    );
    assert!(
        r.first().contains("GeneralQueue_paused=1;;;0"),
        "{}",
        r.first()
    );
    let r = run(plugin("check_asterisk_queues")
        .arg("--asterisk")
        .arg(&v20)
        .args(["--queue", "SupportQueue"]));
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r
        .first()
        .contains("queue SupportQueue is not defined in Asterisk"));

    // The recovery procedure, step 4: all paused is OK, the guide's listing is not.
    let paused = printing(dir.path(), "1.4/queue-show-recovery-paused.txt");
    let r = run(plugin("check_asterisk_queues")
        .arg("--asterisk")
        .arg(&paused)
        .arg("--expect-paused"));
    assert_eq!(r.code, 0, "{}", r.stdout);
    let unpaused = printing(dir.path(), "1.4/queue-show.txt");
    let r = run(plugin("check_asterisk_queues")
        .arg("--asterisk")
        .arg(&unpaused)
        .arg("--expect-paused"));
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.first().contains("SIP/SDO10003 not paused"),
        "{}",
        r.first()
    );

    let nobody = printing(dir.path(), "failures/queue-show-nobody-available.txt");
    let r = run(plugin("check_asterisk_queues")
        .arg("--asterisk")
        .arg(&nobody));
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r
        .first()
        .contains("GeneralQueue: 2 calls waiting and no member available"));
    let r = run(plugin("check_asterisk_queues")
        .arg("--asterisk")
        .arg(&v20)
        .args(["--warning-holdtime", "10", "--critical-holdtime", "60"]));
    assert_eq!(r.code, 1, "{}", r.stdout);
}

// ---------------------------------------------------------------- AMI ----

#[derive(Clone, Copy, PartialEq)]
enum Framing {
    /// Asterisk ≤ 13: `Response: Follows` … `--END COMMAND--`.
    Follows,
    /// Asterisk 14+: `Output:` lines.
    Output,
}

#[derive(Clone)]
struct Script {
    framing: Framing,
    user: &'static str,
    secret: &'static str,
    /// The command's output as the CLI prints it.
    output: String,
    /// Answer `Response: Error` to the command (the CLI's own failure).
    command_error: bool,
    /// Accept, and never say a word.
    silent: bool,
}

/// What the server saw: each action as its header lines.
type Seen = Arc<Mutex<Vec<Vec<(String, String)>>>>;

fn read_action(reader: &mut BufReader<TcpStream>) -> Option<Vec<(String, String)>> {
    let mut action = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if action.is_empty() {
                continue;
            }
            return Some(action);
        }
        let (k, v) = line.split_once(':')?;
        action.push((k.trim().to_string(), v.trim().to_string()));
    }
}

fn get<'a>(action: &'a [(String, String)], key: &str) -> &'a str {
    action
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map_or("", |(_, v)| v.as_str())
}

fn serve(mut stream: TcpStream, script: &Script, seen: &Seen) {
    if script.silent {
        std::thread::sleep(Duration::from_secs(20));
        return;
    }
    let version = if script.framing == Framing::Follows {
        "2.10.6"
    } else {
        "9.0.0"
    };
    let _ = write!(stream, "Asterisk Call Manager/{version}\r\n");
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut logged_in = false;
    while let Some(action) = read_action(&mut reader) {
        seen.lock().unwrap().push(action.clone());
        let id = get(&action, "ActionID").to_string();
        let id_line = if id.is_empty() {
            String::new()
        } else {
            format!("ActionID: {id}\r\n")
        };
        let reply = match get(&action, "Action").to_ascii_lowercase().as_str() {
            "login" => {
                if get(&action, "Username") == script.user
                    && get(&action, "Secret") == script.secret
                {
                    logged_in = true;
                    // An event before the answer, as a busy Asterisk may send.
                    format!(
                        "Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n\
                         Response: Success\r\n{id_line}Message: Authentication accepted\r\n\r\n"
                    )
                } else {
                    format!("Response: Error\r\n{id_line}Message: Authentication failed\r\n\r\n")
                }
            }
            "command" if !logged_in => {
                format!("Response: Error\r\n{id_line}Message: Permission denied\r\n\r\n")
            }
            "command" => match script.framing {
                Framing::Follows => format!(
                    "Response: Follows\r\nPrivilege: Command\r\n{id_line}{}--END COMMAND--\r\n\r\n",
                    script.output.replace('\n', "\r\n")
                ),
                Framing::Output => {
                    let response = if script.command_error {
                        "Error"
                    } else {
                        "Success"
                    };
                    let mut r = format!(
                        "Response: {response}\r\n{id_line}Message: Command output follows\r\n"
                    );
                    for line in script.output.trim_end_matches('\n').split('\n') {
                        r.push_str(&format!("Output: {line}\r\n"));
                    }
                    r.push_str("\r\n");
                    r
                }
            },
            "logoff" => {
                let _ = write!(
                    stream,
                    "Response: Goodbye\r\n{id_line}Message: Thanks for all the fish.\r\n\r\n"
                );
                return;
            }
            _ => format!("Response: Error\r\n{id_line}Message: Invalid/unknown command\r\n\r\n"),
        };
        if stream.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// Starts the scripted server; returns its port and what it saw.
fn ami_server(script: Script) -> (u16, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Seen = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let script = script.clone();
            let log = log.clone();
            std::thread::spawn(move || serve(stream, &script, &log));
        }
    });
    (port, seen)
}

fn script(framing: Framing, recording: &str) -> Script {
    Script {
        framing,
        user: "opscheck",
        secret: "s3cret w1th spaces",
        output: std::fs::read_to_string(example(recording)).unwrap(),
        command_error: false,
        silent: false,
    }
}

fn ami(name: &str, port: u16, extra: &[&str]) -> Command {
    let mut c = plugin(name);
    c.args([
        "--ami",
        &format!("127.0.0.1:{port}"),
        "--ami-user",
        "opscheck",
    ])
    .env("ASTERISK_AMI_SECRET", "s3cret w1th spaces")
    .args(extra);
    c
}

#[test]
fn ami_both_framings_give_the_same_result() {
    let mut lines = Vec::new();
    for framing in [Framing::Follows, Framing::Output] {
        let (port, seen) = ami_server(script(framing, "1.4/sip-show-peers-like-SDO.txt"));
        let r = run(&mut ami("check_asterisk_peers", port, &["--like", "SDO"]));
        assert_eq!(r.code, 0, "{}", r.stdout);
        lines.push(r.first().to_string());
        let seen = seen.lock().unwrap().clone();
        let actions: Vec<&str> = seen.iter().map(|a| get(a, "Action")).collect();
        assert_eq!(actions, ["Login", "Command", "Logoff"]);
        assert_eq!(get(&seen[0], "Secret"), "s3cret w1th spaces");
        assert_eq!(get(&seen[0], "Events"), "off");
        assert_eq!(get(&seen[1], "Command"), "sip show peers like SDO");
        assert!(!get(&seen[1], "ActionID").is_empty());
    }
    assert_eq!(lines[0], lines[1]);
    assert!(lines[0]
        .starts_with("ASTERISK_PEERS OK - 38 peers like 'SDO': 30 online, 8 never registered"));

    // Queues with blank lines between them survive the old framing.
    let (port, _) = ami_server(script(Framing::Follows, "13/queue-show.txt"));
    let r = run(&mut ami(
        "check_asterisk_queues",
        port,
        &["--queue", "PersonalQueue10003"],
    ));
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.first()
            .starts_with("ASTERISK_QUEUES OK - 2 queues, 1 waiting, 3 members"),
        "{}",
        r.first()
    );
    let (port, _) = ami_server(script(Framing::Output, "20/core-show-channels.txt"));
    let r = run(&mut ami("check_asterisk_channels", port, &[]));
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn ami_failures() {
    // A wrong secret: CRITICAL, naming the user.
    let (port, _) = ami_server(script(Framing::Output, "20/core-show-channels.txt"));
    let r = run(ami("check_asterisk_channels", port, &[]).env("ASTERISK_AMI_SECRET", "wrong"));
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(
        r.first()
            .contains("AMI login as 'opscheck' failed on 127.0.0.1:")
            && r.first().contains("Authentication failed"),
        "{}",
        r.first()
    );

    // The secret from a file instead (first line), never from argv.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("secret");
    std::fs::write(&file, "s3cret w1th spaces\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let r = run(ami("check_asterisk_channels", port, &[])
        .env_remove("ASTERISK_AMI_SECRET")
        .arg("--ami-secret-file")
        .arg(&file));
    assert_eq!(r.code, 0, "{}", r.stdout);
    // No secret at all: UNKNOWN, saying where one is looked for.
    let r = run(ami("check_asterisk_channels", port, &[]).env_remove("ASTERISK_AMI_SECRET"));
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert!(
        r.first().contains("no AMI secret: set ASTERISK_AMI_SECRET"),
        "{}",
        r.first()
    );

    // chan_sip not loaded, answered as Asterisk 20 does (Response: Error + Output).
    let mut s = script(Framing::Output, "failures/no-chan_sip.txt");
    s.command_error = true;
    let (port, _) = ami_server(s);
    let r = run(&mut ami("check_asterisk_peers", port, &[]));
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert!(
        r.first().contains("chan_sip not loaded, use --pjsip"),
        "{}",
        r.first()
    );

    // Nothing listens: CRITICAL.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let r = run(&mut ami("check_asterisk_peers", port, &[]));
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(
        r.first().contains("cannot connect to AMI 127.0.0.1:"),
        "{}",
        r.first()
    );

    // Not a manager at all.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let _ = s.write_all(b"SSH-2.0-OpenSSH_9.2\r\n");
            std::thread::sleep(Duration::from_secs(5));
        }
    });
    let r = run(&mut ami("check_asterisk_peers", port, &[]));
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(
        r.first().contains("is not an Asterisk manager"),
        "{}",
        r.first()
    );
}

#[test]
fn an_ami_server_that_never_answers_is_reported_within_the_timeout() {
    let mut s = script(Framing::Output, "20/core-show-channels.txt");
    s.silent = true;
    let (port, _) = ami_server(s);
    let r = run(&mut ami("check_asterisk_peers", port, &["-t", "2"]));
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.elapsed < Duration::from_secs(2), "{:?}", r.elapsed);
    assert_eq!(
        r.first(),
        format!(
            "ASTERISK_PEERS CRITICAL - no answer from AMI 127.0.0.1:{port} within 1.6 s (while waiting for the greeting)"
        )
    );
}

#[test]
fn the_examples_run_with_input() {
    // Every recording gives a result, and none that is not understood passes as OK.
    for (name, dir) in [
        ("check_asterisk_peers", "sip-show-peers"),
        ("check_asterisk_peers", "pjsip"),
        ("check_asterisk_channels", "core-show-channels"),
        ("check_asterisk_queues", "queue-show"),
    ] {
        let mut found = 0;
        for version in ["1.4", "13", "20", "failures"] {
            for entry in std::fs::read_dir(example(version)).unwrap() {
                let path = entry.unwrap().path();
                let file = path.file_name().unwrap().to_string_lossy().into_owned();
                if !file.starts_with(dir) {
                    continue;
                }
                found += 1;
                let r = run(plugin(name).arg("--input").arg(&path));
                let expected_ok = version != "failures";
                assert_eq!(
                    r.code == 0,
                    expected_ok,
                    "{name} {version}/{file}: {}",
                    r.stdout
                );
            }
        }
        assert!(found > 0, "{name}: no {dir}* example");
    }
}
