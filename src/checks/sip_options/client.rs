//! The SIP client: probing an agent over UDP (retransmissions with timers T1/T2)
//! or TCP within the deadline, and many agents at once.

use super::*;
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::time::{Duration, Instant};

/// The result of probing one agent.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Up {
        code: u16,
        reason: String,
        rtt: Duration,
        retransmissions: u32,
        server: Option<String>,
    },
    Down {
        why: String,
        /// The final response, when one came but was not an accepted code.
        code: Option<u16>,
    },
}

pub(super) fn down(why: impl Into<String>) -> Outcome {
    Outcome::Down {
        why: why.into(),
        code: None,
    }
}

/// Probes `agent` until `deadline`, accepting any final response or only `expect`.
pub fn probe(agent: &Agent, deadline: Instant, expect: &[Expect]) -> Outcome {
    let addrs = match resolve(&agent.host, agent.port, deadline) {
        Ok(addrs) => addrs,
        Err(why) => return down(why),
    };
    if addrs.is_empty() {
        return down(format!("{} resolves to no address", agent.host));
    }
    probe_addrs(agent, &addrs, deadline, expect)
}

/// Looks `host` up, giving up at `deadline`: getaddrinfo(3) cannot be
/// interrupted, and a resolver that does not answer (5 s per try) would
/// otherwise hold every probe past -t, losing all agents' results to a timeout.
pub(super) fn resolve(host: &str, port: u16, deadline: Instant) -> Result<Vec<SocketAddr>, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let name = host.to_string();
    let lookup = move || {
        (name.as_str(), port)
            .to_socket_addrs()
            .map(|addrs| addrs.collect::<Vec<_>>())
    };
    match within(deadline, lookup) {
        Some(Ok(addrs)) => Ok(addrs),
        Some(Err(e)) => Err(format!("cannot resolve {host}: {e}")),
        None => Err(format!(
            "cannot resolve {host}: no answer from the resolver in time"
        )),
    }
}

/// Runs `f` on its own thread and waits for it until `deadline` (None when it
/// did not finish in time; the thread is then left to end on its own).
pub(super) fn within<T: Send + 'static>(
    deadline: Instant,
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    // The default stack: getaddrinfo and NSS modules may need more than a probe does.
    std::thread::Builder::new()
        .spawn(move || {
            let _ = tx.send(f());
        })
        .ok()?;
    rx.recv_timeout(remaining(deadline).unwrap_or_default())
        .ok()
}

/// Probes the agent at these addresses (from resolving its host), in order.
pub fn probe_addrs(
    agent: &Agent,
    addrs: &[SocketAddr],
    deadline: Instant,
    expect: &[Expect],
) -> Outcome {
    // A name with several addresses (localhost: ::1 and 127.0.0.1): the next
    // one is tried when an address refuses at once, as a connecting client would.
    let mut result = Err(Failed::from(String::new()));
    for (i, addr) in addrs.iter().enumerate() {
        result = match agent.transport {
            Transport::Udp => probe_udp(agent, *addr, deadline),
            Transport::Tcp => probe_tcp(agent, *addr, deadline),
        };
        match &result {
            Err(failed) if failed.next_address && i + 1 < addrs.len() => continue,
            _ => break,
        }
    }
    match result.map_err(|f| f.why) {
        Ok(Answer {
            response,
            rtt,
            retransmissions,
        }) => {
            let accepted = expect.is_empty() || expect.iter().any(|e| e.accepts(response.code));
            if accepted {
                Outcome::Up {
                    code: response.code,
                    reason: response.reason.clone(),
                    rtt,
                    retransmissions,
                    server: response
                        .header("server")
                        .or_else(|| response.header("user-agent"))
                        .map(str::to_string),
                }
            } else {
                let wanted: Vec<String> = expect.iter().map(|e| e.to_string()).collect();
                Outcome::Down {
                    why: format!(
                        "answered {} {} in {}, expected {}",
                        response.code,
                        response.reason,
                        ms_text(rtt),
                        wanted.join(" or ")
                    ),
                    code: Some(response.code),
                }
            }
        }
        Err(why) => down(why),
    }
}

/// Why a probe of one address failed, and whether another address may do better.
struct Failed {
    why: String,
    next_address: bool,
}

impl From<String> for Failed {
    fn from(why: String) -> Failed {
        Failed {
            why,
            next_address: false,
        }
    }
}

impl From<&str> for Failed {
    fn from(why: &str) -> Failed {
        Failed::from(why.to_string())
    }
}

/// Refused at once (ICMP unreachable, TCP RST, no route): try the next address.
fn refused_now(why: String) -> Failed {
    Failed {
        why,
        next_address: true,
    }
}

struct Answer {
    response: Response,
    rtt: Duration,
    retransmissions: u32,
}

fn remaining(deadline: Instant) -> Option<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
}

fn probe_udp(agent: &Agent, addr: SocketAddr, deadline: Instant) -> Result<Answer, Failed> {
    let bind: SocketAddr = if addr.is_ipv4() {
        "0.0.0.0:0".parse().expect("valid")
    } else {
        "[::]:0".parse().expect("valid")
    };
    let socket = UdpSocket::bind(bind).map_err(|e| format!("cannot open a UDP socket: {e}"))?;
    // A connected socket receives only the agent's datagrams, and reports ICMP
    // port unreachable as ECONNREFUSED.
    socket
        .connect(addr)
        .map_err(|e| refused_now(format!("cannot reach {addr}: {e}")))?;
    let local = socket
        .local_addr()
        .map_err(|e| format!("no local address: {e}"))?;
    let ids = Ids::fresh(local.ip());
    let request = build_request(agent, local, &ids);
    let started = Instant::now();
    let refused = |e: &std::io::Error| match e.kind() {
        ErrorKind::ConnectionRefused => refused_now(format!(
            "port unreachable (ICMP): nothing listens on UDP {addr}"
        )),
        ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable => {
            refused_now(format!("UDP {addr}: {e}"))
        }
        _ => Failed::from(format!("UDP error: {e}")),
    };
    socket.send(request.as_bytes()).map_err(|e| refused(&e))?;
    let mut interval = T1;
    let mut next_send = started + interval;
    let mut retransmissions = 0u32;
    let mut provisional = false;
    let mut buf = vec![0u8; MAX_MESSAGE];
    loop {
        let Some(left) = remaining(deadline) else {
            return Err(no_response(started, retransmissions, provisional).into());
        };
        let wait = next_send
            .saturating_duration_since(Instant::now())
            .min(left)
            .max(Duration::from_millis(1));
        socket
            .set_read_timeout(Some(wait))
            .map_err(|e| format!("UDP error: {e}"))?;
        match socket.recv(&mut buf) {
            Ok(n) => {
                if let Parsed::Message(Some(response), _) = parse_message(&buf[..n]) {
                    if response.answers(&ids) {
                        if response.code < 200 {
                            // Timer E goes to T2 once the transaction is proceeding.
                            provisional = true;
                            continue;
                        }
                        return Ok(Answer {
                            response,
                            rtt: started.elapsed(),
                            retransmissions,
                        });
                    }
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(refused(&e)),
        }
        let now = Instant::now();
        if now >= next_send && now < deadline {
            socket.send(request.as_bytes()).map_err(|e| refused(&e))?;
            retransmissions += 1;
            interval = if provisional {
                T2
            } else {
                (interval * 2).min(T2)
            };
            next_send = now + interval;
        }
    }
}

fn no_response(started: Instant, retransmissions: u32, provisional: bool) -> String {
    let what = if provisional {
        "no final response"
    } else {
        "no response"
    };
    format!(
        "{what} within {} s ({})",
        crate::duration::seconds(started.elapsed()),
        plural(retransmissions as usize, "retransmission")
    )
}

fn probe_tcp(agent: &Agent, addr: SocketAddr, deadline: Instant) -> Result<Answer, Failed> {
    let left = remaining(deadline).ok_or("no time left to connect")?;
    let connect_started = Instant::now();
    let mut stream = TcpStream::connect_timeout(&addr, left).map_err(|e| match e.kind() {
        ErrorKind::ConnectionRefused => refused_now(format!("TCP connection to {addr} refused")),
        ErrorKind::TimedOut | ErrorKind::WouldBlock => Failed::from(format!(
            "TCP connection to {addr} timed out after {} s",
            crate::duration::seconds(connect_started.elapsed())
        )),
        _ => refused_now(format!("TCP connection to {addr} failed: {e}")),
    })?;
    let _ = stream.set_nodelay(true);
    let local = stream
        .local_addr()
        .map_err(|e| format!("no local address: {e}"))?;
    let ids = Ids::fresh(local.ip());
    let request = build_request(agent, local, &ids);
    let started = Instant::now();
    stream
        .set_write_timeout(remaining(deadline))
        .and_then(|_| stream.write_all(request.as_bytes()))
        .map_err(|e| format!("cannot send the request over TCP: {e}"))?;
    let mut received: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    let mut provisional = false;
    loop {
        // Take every complete message already received.
        while let Parsed::Message(response, used) = parse_message(&received) {
            received.drain(..used);
            if let Some(response) = response.filter(|r| r.answers(&ids)) {
                if response.code < 200 {
                    provisional = true;
                    continue;
                }
                return Ok(Answer {
                    response,
                    rtt: started.elapsed(),
                    retransmissions: 0,
                });
            }
        }
        if received.len() > MAX_MESSAGE {
            return Err(format!(
                "the agent sent more than {MAX_MESSAGE} bytes without a complete SIP message"
            )
            .into());
        }
        let Some(left) = remaining(deadline) else {
            return Err(no_response(started, 0, provisional).into());
        };
        stream
            .set_read_timeout(Some(left))
            .map_err(|e| format!("TCP error: {e}"))?;
        match stream.read(&mut chunk) {
            Ok(0) => return Err("the agent closed the TCP connection without answering".into()),
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(no_response(started, 0, provisional).into());
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("TCP error: {e}").into()),
        }
    }
}

/// Probes every agent, at most [`MAX_PARALLEL`] at a time, in the agents' order.
pub fn probe_all(agents: &[Agent], deadline: Instant, expect: &[Expect]) -> Vec<Outcome> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: std::sync::Mutex<Vec<Option<Outcome>>> =
        std::sync::Mutex::new(vec![None; agents.len()]);
    std::thread::scope(|scope| {
        for _ in 0..agents.len().min(MAX_PARALLEL) {
            let worker = || loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(agent) = agents.get(i) else { break };
                let outcome = probe(agent, deadline, expect);
                results.lock().expect("no poisoned lock")[i] = Some(outcome);
            };
            // Buffers are on the heap: a small stack keeps hundreds of probes light.
            let spawned = std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn_scoped(scope, worker);
            if spawned.is_err() {
                // No more threads: the running workers take the rest of the queue.
                break;
            }
        }
    });
    results
        .into_inner()
        .expect("no poisoned lock")
        .into_iter()
        .map(|o| o.unwrap_or_else(|| down("not probed")))
        .collect()
}
