//! SIP OPTIONS probes (seed 000, §2.10 "SIP Agents Monitoring": every agent
//! should be UP; net.Console's "Sip self test").
//!
//! A small but real SIP client over std sockets (RFC 3261): an `OPTIONS`
//! request with a Via branch (`z9hG4bK…`, `rport`), a From tag, To, Call-ID,
//! CSeq, Max-Forwards, Contact and `Content-Length: 0`. The answer is matched
//! by the top Via branch, Call-ID and CSeq; provisional (1xx) answers are
//! skipped. Over UDP the request is retransmitted with timer E (T1 = 500 ms,
//! doubling up to T2 = 4 s; every T2 once a provisional answer came) until the
//! deadline; an ICMP port unreachable (ECONNREFUSED on the connected socket)
//! is DOWN at once. Over TCP messages are framed by Content-Length.

use crate::output::{plural, Check, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::range::format_number;
use crate::status::State;
use crate::threshold::Thresholds;
mod client;
mod message;

pub use client::*;
pub use message::*;

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

pub const T1: Duration = Duration::from_millis(500);
pub const T2: Duration = Duration::from_secs(4);
pub const DEFAULT_PORT: u16 = 5060;
/// The largest SIP message accepted (a UDP datagram's maximum).
const MAX_MESSAGE: usize = 65_535;
/// How many agents are probed at the same time, and so the most an agents file
/// may list: every agent must get the whole time budget, or an agent queued
/// behind silent ones would be reported DOWN without having been asked.
pub const MAX_PARALLEL: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Transport {
    Udp,
    Tcp,
}

impl Transport {
    fn via(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        })
    }
}

impl FromStr for Transport {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "udp" => Ok(Transport::Udp),
            "tcp" => Ok(Transport::Tcp),
            other => Err(format!("transport '{other}' is not udp or tcp")),
        }
    }
}

/// A final response code the operator accepts: `200`, or a class `2xx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Code(u16),
    Class(u16),
}

impl Expect {
    pub fn accepts(self, code: u16) -> bool {
        match self {
            Expect::Code(c) => c == code,
            Expect::Class(c) => code / 100 == c,
        }
    }
}

impl FromStr for Expect {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        let bad = || format!("'{s}' is not a SIP final response code (200..699) or class (2xx)");
        if let Some(class) = t.strip_suffix("xx") {
            return match class.parse::<u16>() {
                Ok(c @ 2..=6) => Ok(Expect::Class(c)),
                _ => Err(bad()),
            };
        }
        match t.parse::<u16>() {
            Ok(c @ 200..=699) => Ok(Expect::Code(c)),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Code(c) => write!(f, "{c}"),
            Expect::Class(c) => write!(f, "{c}xx"),
        }
    }
}

/// One SIP agent to probe.
#[derive(Debug, Clone, PartialEq)]
pub struct Agent {
    pub name: String,
    pub host: String,
    pub port: u16,
    pub transport: Transport,
}

impl Agent {
    /// `host:port/udp`, with IPv6 literals in brackets.
    pub fn target(&self) -> String {
        format!("{}:{}/{}", uri_host(&self.host), self.port, self.transport)
    }
}

/// Reads an agents file: `name,address,port,transport` per line (port default
/// 5060, transport default udp), `#` comments and blank lines allowed, and a
/// header line `Name,Address,Port,Transport` (the SRE dashboard's columns) skipped.
pub fn parse_agents(text: &str) -> Result<Vec<Agent>, String> {
    let mut agents: Vec<Agent> = Vec::new();
    // Spreadsheets export CSV with a UTF-8 byte order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if agents.is_empty()
            && fields.len() >= 2
            && fields[0].eq_ignore_ascii_case("name")
            && fields[1].eq_ignore_ascii_case("address")
        {
            continue;
        }
        if fields.len() < 2 || fields.len() > 4 {
            return Err(format!(
                "line {number}: expected name,address,port,transport, got '{line}'"
            ));
        }
        let (name, host) = (fields[0], fields[1]);
        if name.is_empty() || host.is_empty() {
            return Err(format!("line {number}: empty name or address in '{line}'"));
        }
        let port = match fields.get(2).filter(|p| !p.is_empty()) {
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|&p| p > 0)
                .ok_or_else(|| format!("line {number}: port '{p}' is not 1..65535"))?,
            None => DEFAULT_PORT,
        };
        let transport = match fields.get(3).filter(|t| !t.is_empty()) {
            Some(t) => t.parse().map_err(|e| format!("line {number}: {e}"))?,
            None => Transport::Udp,
        };
        if agents.iter().any(|a| a.name == name) {
            return Err(format!("line {number}: agent name '{name}' is used twice"));
        }
        agents.push(Agent {
            name: name.to_string(),
            host: agent_host(host).map_err(|e| format!("line {number}: {e}"))?,
            port,
            transport,
        });
    }
    if agents.is_empty() {
        return Err("no agents in the file".to_string());
    }
    if agents.len() > MAX_PARALLEL {
        return Err(format!(
            "{} agents: at most {MAX_PARALLEL} can be probed at once; split the file",
            agents.len()
        ));
    }
    Ok(agents)
}

/// An agent's address as given (`host`, `10.0.0.1`, `::1` or `[::1]`), without
/// brackets. `host:port` is refused: it would be looked up as a name and fail,
/// paging the agent as DOWN for a typo in the configuration.
pub fn agent_host(text: &str) -> Result<String, String> {
    let host = text.trim().trim_matches(|c| c == '[' || c == ']');
    // An IPv6 address, possibly with a zone (`fe80::1%eth0`, which the resolver takes).
    let address = host.split('%').next().unwrap_or(host);
    if host.contains(':') && address.parse::<std::net::Ipv6Addr>().is_err() {
        return Err(format!(
            "address '{text}' is not a host name or IP address (the port goes in its own field)"
        ));
    }
    Ok(host.to_string())
}

fn uri_host(host: &str) -> String {
    if host.parse::<std::net::Ipv6Addr>().is_ok() {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

fn addr_host(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

fn ms_text(d: Duration) -> String {
    format!(
        "{} ms",
        format_number((d.as_secs_f64() * 10_000.0).round() / 10.0)
    )
}

/// Perfdata label for an agent's RTT.
fn rtt_label(name: &str) -> String {
    format!("rtt_{name}")
}

fn agent_item(
    agent: &Agent,
    outcome: &Outcome,
    rtt: &Thresholds,
    down_state: State,
    label: String,
    prefix: &str,
) -> Item {
    match outcome {
        Outcome::Up {
            code,
            reason,
            rtt: time,
            retransmissions,
            server,
        } => {
            let mut item = rtt
                .judge(label, ms(*time), Uom::Milliseconds)
                .min(0.0)
                .item(format!("{prefix}UP: {code} {reason} in {}", ms_text(*time)));
            if *retransmissions > 0 {
                item = item.detail(
                    1,
                    format!(
                        "answered after {}",
                        plural(*retransmissions as usize, "retransmission")
                    ),
                );
            }
            if let Some(server) = server {
                item = item.detail(1, format!("server: {server}"));
            }
            item
        }
        Outcome::Down { why, .. } => Item::new(down_state, format!("{prefix}DOWN: {why}"))
            .detail(1, format!("probed {}", agent.target()))
            .perf(rtt.unmeasured(label, Uom::Milliseconds).min(0.0)),
    }
}

/// One agent (`-H`): DOWN is CRITICAL, UP is judged on its RTT.
pub fn evaluate_single(agent: &Agent, outcome: &Outcome, rtt: &Thresholds) -> Check {
    let mut check = Check::new();
    let item = agent_item(
        agent,
        outcome,
        rtt,
        State::Critical,
        "rtt".to_string(),
        &format!("{} ", agent.target()),
    );
    check.ok_summary(item.text.clone());
    check.item(item);
    check
}

/// Many agents (`--agents`): thresholds on the number (or share with `percent`)
/// DOWN; with none given, any agent DOWN is CRITICAL.
pub fn evaluate_agents(
    agents: &[Agent],
    outcomes: &[Outcome],
    rtt: &Thresholds,
    down: &Thresholds,
    percent: bool,
) -> Check {
    let total = agents.len();
    let down_count = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Down { .. }))
        .count();
    let down_pct = if total == 0 {
        0.0
    } else {
        ((down_count as f64 * 100.0 / total as f64) * 10.0).round() / 10.0
    };
    // With no thresholds given, any agent DOWN is CRITICAL: that rule is the
    // critical range published, so a graph shows what paged.
    let down = if *down == Thresholds::default() {
        Thresholds::new(None, "0".parse().ok())
    } else {
        down.clone()
    };
    let judged = if percent {
        down.judge("agents_down", down_pct, Uom::Percent).max(100.0)
    } else {
        down.judge("agents_down", down_count as f64, Uom::None)
            .max(total as f64)
    };
    let down_state = judged.state;
    let mut check = Check::new();
    check.perf(
        Perfdata::new("agents_up", (total - down_count) as f64, Uom::None)
            .min(0.0)
            .max(total as f64),
    );
    check.perf(judged.min(0.0).perfdata);
    let mut slowest: Option<(&str, Duration)> = None;
    for (agent, outcome) in agents.iter().zip(outcomes) {
        if let Outcome::Up { rtt: time, .. } = outcome {
            if slowest.is_none_or(|(_, t)| *time > t) {
                slowest = Some((&agent.name, *time));
            }
        }
        check.item(agent_item(
            agent,
            outcome,
            rtt,
            down_state,
            rtt_label(&agent.name),
            &format!("{} ({}) ", agent.name, agent.target()),
        ));
    }
    let down_names: Vec<&str> = agents
        .iter()
        .zip(outcomes)
        .filter(|(_, o)| matches!(o, Outcome::Down { .. }))
        .map(|(a, _)| a.name.as_str())
        .collect();
    let mut ok = if down_count == 0 {
        format!("{} UP", plural(total, "SIP agent"))
    } else {
        format!(
            "{down_count} of {} DOWN (within thresholds): {}",
            plural(total, "SIP agent"),
            down_names.join(", ")
        )
    };
    if let Some((name, time)) = slowest {
        ok.push_str(&format!(", slowest {name} {}", ms_text(time)));
    }
    check.ok_summary(ok);
    if down_count > 0 && down_state != State::Ok && down_state == check.state() {
        let mut names = String::new();
        for (i, name) in down_names.iter().enumerate() {
            if names.len() + name.len() > 50 {
                names.push_str(&format!(" and {} more", down_names.len() - i));
                break;
            }
            if i > 0 {
                names.push_str(", ");
            }
            names.push_str(name);
        }
        check.problem_summary(format!(
            "{down_count} of {} DOWN: {names}",
            plural(total, "SIP agent")
        ));
    }
    check
}

#[cfg(test)]
mod tests {
    use super::client::*;
    use super::message::*;
    use super::*;
    use std::net::{SocketAddr, UdpSocket};
    use std::time::Instant;

    fn agent(t: Transport) -> Agent {
        Agent {
            name: "cp1".into(),
            host: "127.0.0.1".into(),
            port: 5066,
            transport: t,
        }
    }

    fn ids() -> Ids {
        Ids {
            branch: "z9hG4bK-opscheck-0011".into(),
            tag: "abcd".into(),
            call_id: "c0ffee@10.0.0.1".into(),
            cseq: 1,
        }
    }

    const OK_RESPONSE: &str = "SIP/2.0 200 OK\r\n\
        Via: SIP/2.0/UDP 10.0.0.1:40000;branch=z9hG4bK-opscheck-0011;rport=40000;received=10.0.0.1\r\n\
        From: <sip:opscheck@10.0.0.1>;tag=abcd\r\n\
        To: <sip:127.0.0.1:5066>;tag=e5b1\r\n\
        Call-ID: c0ffee@10.0.0.1\r\n\
        CSeq: 1 OPTIONS\r\n\
        Server: kamailio (5.6.3 (x86_64/linux))\r\n\
        Content-Length: 0\r\n\r\n";

    #[test]
    fn the_request_has_every_mandatory_header() {
        let local: SocketAddr = "10.0.0.1:40000".parse().unwrap();
        let req = build_request(&agent(Transport::Tcp), local, &ids());
        assert!(
            req.starts_with("OPTIONS sip:127.0.0.1:5066;transport=tcp SIP/2.0\r\n"),
            "{req}"
        );
        for header in [
            "Via: SIP/2.0/TCP 10.0.0.1:40000;branch=z9hG4bK-opscheck-0011;rport\r\n",
            "Max-Forwards: 70\r\n",
            "From: <sip:opscheck@10.0.0.1>;tag=abcd\r\n",
            "To: <sip:127.0.0.1:5066>\r\n",
            "Call-ID: c0ffee@10.0.0.1\r\n",
            "CSeq: 1 OPTIONS\r\n",
            "Contact: <sip:opscheck@10.0.0.1:40000;transport=tcp>\r\n",
        ] {
            assert!(req.contains(header), "{header} missing in {req}");
        }
        assert!(req.ends_with("Content-Length: 0\r\n\r\n"));
        let v6 = Agent {
            host: "::1".into(),
            ..agent(Transport::Udp)
        };
        let req = build_request(&v6, "[::1]:4000".parse().unwrap(), &ids());
        assert!(
            req.starts_with("OPTIONS sip:[::1]:5066 SIP/2.0\r\n"),
            "{req}"
        );
        assert!(req.contains("Via: SIP/2.0/UDP [::1]:4000;"), "{req}");
        // Fresh ids carry the RFC 3261 magic cookie and differ every time.
        let (a, b) = (Ids::fresh(local.ip()), Ids::fresh(local.ip()));
        assert!(a.branch.starts_with("z9hG4bK"));
        assert_ne!(a.branch, b.branch);
        assert_ne!(a.call_id, b.call_id);
    }

    #[test]
    fn responses_are_matched_by_branch_call_id_and_cseq() {
        let Parsed::Message(Some(r), used) = parse_message(OK_RESPONSE.as_bytes()) else {
            panic!("not parsed")
        };
        assert_eq!(used, OK_RESPONSE.len());
        assert_eq!((r.code, r.reason.as_str()), (200, "OK"));
        assert!(r.answers(&ids()));
        for (from, to) in [
            ("branch=z9hG4bK-opscheck-0011", "branch=z9hG4bK-other"),
            ("Call-ID: c0ffee", "Call-ID: tea"),
            ("CSeq: 1 OPTIONS", "CSeq: 2 OPTIONS"),
            ("CSeq: 1 OPTIONS", "CSeq: 1 INVITE"),
        ] {
            let other = OK_RESPONSE.replace(from, to);
            let Parsed::Message(Some(r), _) = parse_message(other.as_bytes()) else {
                panic!()
            };
            assert!(!r.answers(&ids()), "{to} matched");
        }
        // Compact header forms and several Vias (ours on top).
        let compact = "SIP/2.0 404 Not Found\r\nv: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-opscheck-0011, SIP/2.0/UDP p;branch=z9hG4bKx\r\ni: c0ffee@10.0.0.1\r\nCSeq: 1  OPTIONS\r\nl: 0\r\n\r\n";
        let Parsed::Message(Some(r), _) = parse_message(compact.as_bytes()) else {
            panic!()
        };
        assert!(r.answers(&ids()));
        assert_eq!(r.code, 404);
    }

    #[test]
    fn stream_framing_by_content_length() {
        let body = "v=0\r\n";
        let with_body = OK_RESPONSE.replace(
            "Content-Length: 0",
            &format!("Content-Length: {}", body.len()),
        ) + body;
        let two = format!("\r\n\r\n{with_body}{OK_RESPONSE}");
        let bytes = two.as_bytes();
        // Keep-alive CRLFs and a partial message.
        assert_eq!(parse_message(&bytes[..4]), Parsed::Message(None, 4));
        assert_eq!(parse_message(&bytes[4..30]), Parsed::Incomplete);
        let Parsed::Message(Some(_), used) = parse_message(&bytes[4..]) else {
            panic!()
        };
        assert_eq!(used, with_body.len());
        // The body is not yet complete: wait for it.
        assert_eq!(
            parse_message(&bytes[4..4 + with_body.len() - 2]),
            Parsed::Incomplete
        );
        let Parsed::Message(Some(_), used) = parse_message(&bytes[4 + with_body.len()..]) else {
            panic!()
        };
        assert_eq!(used, OK_RESPONSE.len());
        // A Content-Length near usize::MAX waits for more bytes, without overflowing.
        let huge = OK_RESPONSE.replace("Content-Length: 0", "Content-Length: 18446744073709551615");
        assert_eq!(parse_message(huge.as_bytes()), Parsed::Incomplete);
        // A request from the peer is consumed but is no response.
        let req = "OPTIONS sip:x SIP/2.0\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(
            parse_message(req.as_bytes()),
            Parsed::Message(None, req.len())
        );
    }

    #[test]
    fn agents_files() {
        let text = "\u{feff}# SRE dashboard\nName,Address,Port,Transport\n\nLHR-SRE-CP1,10.50.20.20,5066,TCP\nAMS-SRE-CP1, 172.16.2.82 ,5066,udp\nlocal,::1\n";
        let agents = parse_agents(text).unwrap();
        assert_eq!(agents.len(), 3);
        assert_eq!(agents[0].transport, Transport::Tcp);
        assert_eq!(agents[1].host, "172.16.2.82");
        assert_eq!(
            (agents[2].port, agents[2].transport),
            (5060, Transport::Udp)
        );
        assert_eq!(agents[2].target(), "[::1]:5060/udp");
        assert!(parse_agents("a,h,99999,udp")
            .unwrap_err()
            .contains("line 1"));
        assert!(parse_agents("a,h,5060,sctp").unwrap_err().contains("sctp"));
        // host:port in the address field is a configuration error, not an agent DOWN.
        for bad in [
            "a,10.0.0.1:5060",
            "a,[::1]:5060,5060",
            "a,sip.example.org:5066,5066",
        ] {
            let err = parse_agents(bad).unwrap_err();
            assert!(err.contains("line 1: address"), "{bad}: {err}");
        }
        assert_eq!(
            parse_agents("a,[2001:db8::1]").unwrap()[0].host,
            "2001:db8::1"
        );
        assert_eq!(parse_agents("a,fe80::1%lo").unwrap()[0].host, "fe80::1%lo");
        // A byte order mark (a spreadsheet's CSV export) before the header.
        let agents =
            parse_agents("\u{feff}Name,Address,Port,Transport\r\nx,h,5066,tcp\r\n").unwrap();
        assert_eq!((agents.len(), agents[0].port), (1, 5066));
        assert!(parse_agents("a,h\na,g").unwrap_err().contains("twice"));
        assert!(parse_agents("# nothing\n").is_err());
        let many: String = (0..=MAX_PARALLEL)
            .map(|i| format!("a{i},127.0.0.1\n"))
            .collect();
        assert!(parse_agents(&many).unwrap_err().contains("split the file"));
        assert_eq!(
            parse_agents(&many[many.find("a1,").unwrap()..])
                .unwrap()
                .len(),
            MAX_PARALLEL
        );
    }

    #[test]
    fn expect_codes_and_classes() {
        let e: Expect = "200".parse().unwrap();
        assert!(e.accepts(200) && !e.accepts(202));
        let c: Expect = "2xx".parse().unwrap();
        assert!(c.accepts(202) && !c.accepts(404));
        assert!("100".parse::<Expect>().is_err());
        assert!("abc".parse::<Expect>().is_err());
    }

    fn up(ms: u64) -> Outcome {
        Outcome::Up {
            code: 200,
            reason: "OK".into(),
            rtt: Duration::from_millis(ms),
            retransmissions: 0,
            server: None,
        }
    }

    #[test]
    fn agents_down_counts_and_default_critical() {
        let agents: Vec<Agent> = ["a", "b", "c", "d"]
            .iter()
            .map(|n| Agent {
                name: n.to_string(),
                ..agent(Transport::Udp)
            })
            .collect();
        let outcomes = vec![up(2), down("refused"), up(5), up(1)];
        let none = Thresholds::default();
        let check = evaluate_agents(&agents, &outcomes, &none, &none, false);
        assert_eq!(check.state(), State::Critical);
        let text = check.render_text("SIP_OPTIONS", 0);
        assert!(text.starts_with("SIP_OPTIONS CRITICAL - 1 of 4 SIP agents DOWN: b | agents_up=3;;;0;4 agents_down=1;;0;0;4 rtt_a=2ms;;;0 rtt_b=U;;;0"), "{text}");
        // -w 0 -c 1: one down is a warning; --percent -c 20: 25% is critical.
        let t = Thresholds::new(Some("0".parse().unwrap()), Some("1".parse().unwrap()));
        assert_eq!(
            evaluate_agents(&agents, &outcomes, &none, &t, false).state(),
            State::Warning
        );
        let p = Thresholds::new(None, Some("20".parse().unwrap()));
        let check = evaluate_agents(&agents, &outcomes, &none, &p, true);
        assert_eq!(check.state(), State::Critical);
        assert!(check
            .render_text("S", 0)
            .contains("agents_down=25%;;20;0;100"));
        // Tolerated: OK, and the summary still names the agent down.
        let wide = Thresholds::new(None, Some("2".parse().unwrap()));
        let check = evaluate_agents(&agents, &outcomes, &none, &wide, false);
        assert_eq!(check.state(), State::Ok);
        assert!(
            check
                .summary()
                .starts_with("1 of 4 SIP agents DOWN (within thresholds): b"),
            "{}",
            check.summary()
        );
        // RTT thresholds per agent.
        let rtt = Thresholds::new(Some("4".parse().unwrap()), None);
        let all_up = vec![up(2), up(3), up(5), up(1)];
        let check = evaluate_agents(&agents, &all_up, &rtt, &none, false);
        assert_eq!(check.state(), State::Warning);
        assert!(
            check
                .summary()
                .starts_with("c (127.0.0.1:5066/udp) UP: 200 OK in 5 ms"),
            "{}",
            check.summary()
        );
    }

    #[test]
    fn single_agent_states() {
        let a = agent(Transport::Udp);
        let none = Thresholds::default();
        let check = evaluate_single(&a, &up(3), &none);
        assert_eq!(check.state(), State::Ok);
        assert_eq!(
            check.render_text("SIP_OPTIONS", 0).lines().next().unwrap(),
            "SIP_OPTIONS OK - 127.0.0.1:5066/udp UP: 200 OK in 3 ms | rtt=3ms;;;0"
        );
        let check = evaluate_single(
            &a,
            &down("no response within 9 s (4 retransmissions)"),
            &none,
        );
        assert_eq!(check.state(), State::Critical);
        assert!(check.summary().contains("DOWN: no response within 9 s"));
    }

    #[test]
    fn a_resolver_that_hangs_is_given_up_at_the_deadline() {
        let started = Instant::now();
        let deadline = started + Duration::from_millis(200);
        let slow = within(deadline, || std::thread::sleep(Duration::from_secs(5)));
        assert_eq!(slow, None);
        assert!(started.elapsed() < Duration::from_secs(2));
        // Literal addresses need no lookup; names go through the resolver.
        let far = Instant::now() + Duration::from_secs(5);
        assert_eq!(within(far, || 7), Some(7));
        assert_eq!(
            resolve("::1", 5060, far).unwrap(),
            vec!["[::1]:5060".parse::<SocketAddr>().unwrap()]
        );
        assert!(resolve("localhost", 5060, far)
            .unwrap()
            .iter()
            .all(|a| a.ip().is_loopback() && a.port() == 5060));
    }

    #[test]
    fn the_next_address_is_tried_when_one_refuses() {
        // A scripted UDP peer on 127.0.0.1; nothing on the first address's port.
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        let closed = UdpSocket::bind("127.0.0.1:0").unwrap();
        let closed_addr = closed.local_addr().unwrap();
        drop(closed);
        let addr = peer.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let mut buf = [0u8; 65535];
            let (n, from) = peer.recv_from(&mut buf).unwrap();
            let request = String::from_utf8_lossy(&buf[..n]).into_owned();
            let mut answer = String::from("SIP/2.0 200 OK\r\n");
            for line in request.lines().filter(|l| {
                ["Via:", "From:", "To:", "Call-ID:", "CSeq:"]
                    .iter()
                    .any(|h| l.starts_with(h))
            }) {
                answer.push_str(line);
                answer.push_str("\r\n");
            }
            answer.push_str("Content-Length: 0\r\n\r\n");
            peer.send_to(answer.as_bytes(), from).unwrap();
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        let a = Agent {
            name: "x".into(),
            host: "localhost".into(),
            port: addr.port(),
            transport: Transport::Udp,
        };
        let outcome = probe_addrs(&a, &[closed_addr, addr], deadline, &[]);
        server.join().unwrap();
        assert!(
            matches!(outcome, Outcome::Up { code: 200, .. }),
            "{outcome:?}"
        );
        // With one address only, the refusal is the answer.
        let outcome = probe_addrs(&a, &[closed_addr], deadline, &[]);
        assert!(
            matches!(&outcome, Outcome::Down { why, .. } if why.contains("port unreachable")),
            "{outcome:?}"
        );
    }
}
