//! check_sip_options against a real Kamailio 5.6 (UDP and TCP), closed and
//! silent ports, and scripted peers that answer out of the ordinary.

#[path = "support/sip.rs"]
mod sip_support;

use assert_cmd::Command;
use sip_support::{free_port, json, perf, Kamailio};
use std::io::{Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::time::{Duration, Instant};

fn run(args: &[&str]) -> (i32, String, Duration) {
    let started = Instant::now();
    let out = Command::cargo_bin("check_sip_options")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        started.elapsed(),
    )
}

#[test]
fn options_over_udp_and_tcp_are_ok_with_an_rtt() {
    let kamailio = Kamailio::start();
    let port = kamailio.sip_port.to_string();
    for transport in ["udp", "tcp"] {
        let (code, text, _) = run(&[
            "-H",
            "127.0.0.1",
            "-p",
            &port,
            "--transport",
            transport,
            "-v",
        ]);
        assert_eq!(code, 0, "{text}");
        let first = text.lines().next().unwrap();
        assert!(
            first.starts_with(&format!(
                "SIP_OPTIONS OK - 127.0.0.1:{port}/{transport} UP: 200 OK in "
            )),
            "{first}"
        );
        assert!(text.contains("server: kamailio (5.6"), "{text}");
        let (code, out, _) = run(&[
            "-H",
            "127.0.0.1",
            "-p",
            &port,
            "--transport",
            transport,
            "--output-format",
            "json",
        ]);
        assert_eq!(code, 0);
        let rtt = perf(&json(out.as_bytes()), "rtt").expect("an RTT");
        assert!(rtt > 0.0 && rtt < 5000.0, "{rtt}");
    }
    // --expect: Kamailio answers OPTIONS with 200.
    let (code, text, _) = run(&["-H", "127.0.0.1", "-p", &port, "--expect", "200"]);
    assert_eq!(code, 0, "{text}");
    let (code, text, _) = run(&[
        "-H",
        "127.0.0.1",
        "-p",
        &port,
        "--expect",
        "404",
        "--expect",
        "5xx",
    ]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("DOWN: answered 200 OK in"), "{text}");
    assert!(text.contains("expected 404 or 5xx"), "{text}");
    // RTT thresholds in ms: any real RTT is above 0.000001 ms.
    let (code, text, _) = run(&["-H", "127.0.0.1", "-p", &port, "--warning-rtt", "0.000001"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("rtt="), "{text}");
    assert!(text.contains("ms;0.000001;;0"), "{text}");
}

#[test]
fn a_closed_port_is_critical_at_once() {
    let port = free_port().to_string();
    for (transport, reason) in [("udp", "port unreachable (ICMP)"), ("tcp", "refused")] {
        let (code, text, took) = run(&[
            "-H",
            "127.0.0.1",
            "-p",
            &port,
            "--transport",
            transport,
            "-t",
            "5",
        ]);
        assert_eq!(code, 2, "{text}");
        assert!(text.starts_with("SIP_OPTIONS CRITICAL - "), "{text}");
        assert!(text.contains(reason), "{text}");
        assert!(text.contains("rtt=U"), "{text}");
        // Refused is known at once: no waiting for the timeout.
        assert!(took < Duration::from_secs(3), "{transport}: {took:?}");
    }
}

/// A UDP port that reads and never answers: retransmissions with T1 = 500 ms,
/// doubling, then CRITICAL before -t.
#[test]
fn a_silent_udp_port_is_critical_within_the_timeout_after_retransmissions() {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port().to_string();
    silent
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let listener = std::thread::spawn(move || {
        let mut seen: Vec<(Instant, String)> = Vec::new();
        let started = Instant::now();
        let mut buf = [0u8; 65535];
        while started.elapsed() < Duration::from_secs(5) {
            if let Ok(n) = silent.recv(&mut buf) {
                seen.push((
                    Instant::now(),
                    String::from_utf8_lossy(&buf[..n]).into_owned(),
                ));
            }
        }
        seen
    });
    let (code, text, took) = run(&["-H", "127.0.0.1", "-p", &port, "-t", "3"]);
    assert_eq!(code, 2, "{text}");
    // CRITICAL (exit 2) is our own deadline at 90% of -t, before the watchdog's UNKNOWN.
    assert!(text.contains("DOWN: no response within 2."), "{text}");
    assert!(text.contains(" s (2 retransmissions)"), "{text}");
    assert!(took < Duration::from_millis(3500), "{took:?}");
    let seen = listener.join().unwrap();
    // Sent at 0, 0.5 and 1.5 s: identical requests (same branch), gaps doubling.
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen.iter().all(|(_, m)| m == &seen[0].1));
    let first_gap = seen[1].0 - seen[0].0;
    let second_gap = seen[2].0 - seen[1].0;
    assert!(first_gap >= Duration::from_millis(450), "{first_gap:?}");
    assert!(second_gap >= Duration::from_millis(950), "{second_gap:?}");
    let request = &seen[0].1;
    assert!(
        request.starts_with(&format!("OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n")),
        "{request}"
    );
    assert!(request.contains(";branch=z9hG4bK"), "{request}");
    assert!(request.contains(";rport\r\n"), "{request}");
}

/// A TCP peer that accepts and never answers.
#[test]
fn a_silent_tcp_peer_is_critical_within_the_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let holder = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        let mut got = Vec::new();
        stream
            .set_read_timeout(Some(Duration::from_secs(4)))
            .unwrap();
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&got).into_owned()
    });
    let (code, text, took) = run(&[
        "-H",
        "127.0.0.1",
        "-p",
        &port,
        "--transport",
        "tcp",
        "-t",
        "2",
    ]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("DOWN: no response within"), "{text}");
    assert!(took < Duration::from_millis(2500), "{took:?}");
    let request = holder.join().unwrap();
    assert!(request.contains("Via: SIP/2.0/TCP 127.0.0.1:"), "{request}");
    assert!(request.ends_with("Content-Length: 0\r\n\r\n"), "{request}");
}

fn header<'a>(request: &'a str, name: &str) -> &'a str {
    request
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .unwrap_or_else(|| panic!("no {name} in {request}"))
}

/// A response for `request`, with another Via branch when `stray`.
fn answer(request: &str, code: &str, stray: bool) -> String {
    let mut via = header(request, "Via").to_string();
    if stray {
        via = via.replace("branch=z9hG4bK", "branch=z9hG4bKstray");
    }
    format!(
        "SIP/2.0 {code}\r\nVia: {via};received=127.0.0.1\r\nFrom: {}\r\nTo: {};tag=x1\r\nCall-ID: {}\r\nCSeq: {}\r\nServer: scripted\r\n",
        header(request, "From"),
        header(request, "To"),
        header(request, "Call-ID"),
        header(request, "CSeq"),
    )
}

/// A UDP peer that first sends a stray answer and a 100 Trying, then the 200:
/// only the matching final response counts.
#[test]
fn stray_and_provisional_answers_are_skipped_over_udp() {
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = peer.local_addr().unwrap().port().to_string();
    let server = std::thread::spawn(move || {
        let mut buf = [0u8; 65535];
        let (n, from) = peer.recv_from(&mut buf).unwrap();
        let request = String::from_utf8_lossy(&buf[..n]).into_owned();
        for (code, stray) in [("200 OK", true), ("100 Trying", false)] {
            let msg = answer(&request, code, stray) + "Content-Length: 0\r\n\r\n";
            peer.send_to(msg.as_bytes(), from).unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
        let msg = answer(&request, "202 Accepted", false) + "Content-Length: 0\r\n\r\n";
        peer.send_to(msg.as_bytes(), from).unwrap();
    });
    let (code, text, _) = run(&["-H", "127.0.0.1", "-p", &port, "-v"]);
    server.join().unwrap();
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("UP: 202 Accepted in"), "{text}");
    assert!(text.contains("server: scripted"), "{text}");
}

/// A TCP peer that sends a provisional answer and the final one with a body,
/// cut into small pieces: Content-Length framing.
#[test]
fn tcp_answers_are_framed_by_content_length() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buf).unwrap();
            got.extend_from_slice(&buf[..n]);
        }
        let request = String::from_utf8_lossy(&got).into_owned();
        let body = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n";
        let all = format!(
            "{}Content-Length: 0\r\n\r\n{}Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
            answer(&request, "180 Ringing", false),
            answer(&request, "200 OK", false),
            body.len()
        );
        for piece in all.as_bytes().chunks(37) {
            stream.write_all(piece).unwrap();
            stream.flush().unwrap();
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(200));
    });
    let (code, text, _) = run(&["-H", "127.0.0.1", "-p", &port, "--transport", "tcp"]);
    server.join().unwrap();
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("UP: 200 OK in"), "{text}");
}

#[test]
fn an_agents_file_with_one_agent_down() {
    let kamailio = Kamailio::start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("agents.csv");
    let dead = free_port();
    std::fs::write(
        &file,
        format!(
            "# SRE dashboard: SIP agents of SRE-CP1\nName,Address,Port,Transport\n\
             CP1-UDP,127.0.0.1,{p},UDP\nCP1-TCP,127.0.0.1,{p},TCP\n\nCP2-DEAD,127.0.0.1,{dead},TCP\n",
            p = kamailio.sip_port
        ),
    )
    .unwrap();
    let agents = file.to_str().unwrap();

    // No thresholds: any agent DOWN is CRITICAL.
    let (code, text, _) = run(&["--agents", agents]);
    assert_eq!(code, 2, "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("SIP_OPTIONS CRITICAL - 1 of 3 SIP agents DOWN: CP2-DEAD | agents_up=2;;;0;3 agents_down=1;;0;0;3 rtt_CP1-UDP="),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains(" rtt_CP2-DEAD=U;;;0"), "{}", lines[0]);
    assert!(
        lines[1].starts_with(&format!(
            "[CRITICAL] CP2-DEAD (127.0.0.1:{dead}/tcp) DOWN: TCP connection"
        )),
        "{text}"
    );
    assert!(text.contains("[OK] CP1-UDP ("), "{text}");
    assert!(text.contains("[OK] CP1-TCP ("), "{text}");

    // -w/-c on the number DOWN, and on the share with --percent (1 of 3 = 33.3 %).
    let (code, text, _) = run(&["--agents", agents, "-w", "0", "-c", "1"]);
    assert_eq!(code, 1, "{text}");
    let (code, text, _) = run(&["--agents", agents, "-c", "1"]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("1 of 3 SIP agents DOWN (within thresholds): CP2-DEAD"),
        "{text}"
    );
    let (code, text, _) = run(&["--agents", agents, "--percent", "-w", "10", "-c", "50"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("agents_down=33.3%;10;50;0;100"), "{text}");

    // All up once the dead agent is gone.
    std::fs::write(
        &file,
        format!(
            "CP1-UDP,127.0.0.1,{p},udp\nCP1-TCP,127.0.0.1,{p},tcp\n",
            p = kamailio.sip_port
        ),
    )
    .unwrap();
    let (code, text, _) = run(&["--agents", agents]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.starts_with("SIP_OPTIONS OK - 2 SIP agents UP, slowest "),
        "{text}"
    );
}

/// More silent agents than the old limit of 64 parallel probes: the agents
/// listed after them must still be probed with the whole time budget, not be
/// reported DOWN for want of time.
#[test]
fn agents_behind_many_silent_ones_are_still_probed() {
    let kamailio = Kamailio::start();
    let silent: Vec<UdpSocket> = (0..70)
        .map(|_| UdpSocket::bind("127.0.0.1:0").unwrap())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("agents.csv");
    let mut text = String::new();
    for (i, socket) in silent.iter().enumerate() {
        let port = socket.local_addr().unwrap().port();
        text.push_str(&format!("quiet{i},127.0.0.1,{port},udp\n"));
    }
    for name in ["live1", "live2"] {
        text.push_str(&format!("{name},127.0.0.1,{},udp\n", kamailio.sip_port));
    }
    std::fs::write(&file, text).unwrap();
    let (code, text, took) = run(&["--agents", file.to_str().unwrap(), "-t", "3"]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.starts_with("SIP_OPTIONS CRITICAL - 70 of 72 SIP agents DOWN: "),
        "{text}"
    );
    assert!(text.contains("agents_up=2;;;0;72"), "{text}");
    for name in ["live1", "live2"] {
        assert!(text.contains(&format!("[OK] {name} (")), "{text}");
    }
    assert!(took < Duration::from_millis(3500), "{took:?}");
    drop(silent);
}

#[test]
fn bad_agents_files_and_missing_targets_are_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("agents.csv");
    std::fs::write(&file, "a,127.0.0.1,5060,sctp\n").unwrap();
    let (code, text, _) = run(&["--agents", file.to_str().unwrap()]);
    assert_eq!(code, 3, "{text}");
    assert!(text.contains("line 1: transport 'sctp'"), "{text}");
    let (code, text, _) = run(&[]);
    assert_eq!(code, 3, "{text}");
    assert!(text.contains("give -H HOST"), "{text}");
    let (code, text, _) = run(&["-H", "127.0.0.1", "-c", "1"]);
    assert_eq!(code, 3, "{text}");
    let (code, text, _) = run(&["-H", "127.0.0.1", "--percent"]);
    assert_eq!(code, 3, "{text}");
    assert!(text.contains("need --agents"), "{text}");
    // Port 0 is a typo too (the agents file refuses it as well).
    let (code, text, _) = run(&["-H", "127.0.0.1", "-p", "0", "-t", "2"]);
    assert_eq!(code, 3, "{text}");
    // host:port where the address goes: a typo, UNKNOWN, not an agent DOWN.
    let (code, text, _) = run(&["-H", "127.0.0.1:5060", "-t", "2"]);
    assert_eq!(code, 3, "{text}");
    assert!(text.contains("the port goes in its own field"), "{text}");
    std::fs::write(&file, "cp1,127.0.0.1:5060\n").unwrap();
    let (code, text, _) = run(&["--agents", file.to_str().unwrap(), "-t", "2"]);
    assert_eq!(code, 3, "{text}");
    assert!(text.contains("line 1: address '127.0.0.1:5060'"), "{text}");
}
