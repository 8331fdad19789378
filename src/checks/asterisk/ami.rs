//! A small Asterisk Manager Interface client: what the three plugins need of
//! AMI, one CLI command per run.
//!
//! The protocol as Asterisk documents it: on connect the server greets with
//! `Asterisk Call Manager/VERSION`; a client sends actions as `Key: value`
//! lines ending in an empty line, and answers carry the action's `ActionID`.
//! Events (messages with `Event:`) may arrive between answers and are skipped.
//!
//! 1. `Action: Login` (`Username`, `Secret`, `Events: off`): `Response: Success`,
//!    or `Response: Error` (`Message: Authentication failed`): CRITICAL.
//! 2. `Action: Command` (`Command: sip show peers`), answered in one of two framings:
//!    - Asterisk ≤ 13: `Response: Follows`, `Privilege: Command`, `ActionID`, then
//!      the raw output (blank lines included) up to a line `--END COMMAND--`;
//!    - Asterisk 14 and later: `Response: Success` (or `Error` when the command
//!      failed, e.g. "No such command"), `Message: Command output follows`,
//!      one `Output: LINE` per line, then the empty line.
//!
//!    `Response: Error` without output (e.g. `Message: Permission denied`) is CRITICAL.
//! 3. `Action: Logoff` (`Response: Goodbye`), best effort.
//!
//! Every read and write takes its timeout from the run's deadline: a server
//! that accepts and never answers is reported as "no answer from AMI HOST:PORT
//! within N s (while waiting for …)" before the watchdog fires.

use crate::deadline::Deadline;
use crate::runner::Failure;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// The manager port when `--ami` names none.
pub const DEFAULT_PORT: u16 = 5038;
/// The most an answer may hold.
const ANSWER_LIMIT: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct AmiOptions {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub secret: String,
}

/// `host`, `host:port`, `[v6]:port` or a bare IPv6 address.
pub fn parse_address(text: &str) -> Result<(String, u16), String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("--ami needs HOST[:PORT]".to_string());
    }
    let port_of = |p: &str| -> Result<u16, String> {
        match p.parse::<u16>() {
            Ok(0) | Err(_) => Err(format!(
                "'{p}' is not a TCP port (1-65535) in --ami '{text}'"
            )),
            Ok(n) => Ok(n),
        }
    };
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("unbalanced '[' in --ami '{text}'"))?;
        let port = match after.strip_prefix(':') {
            Some(p) => port_of(p)?,
            None if after.is_empty() => DEFAULT_PORT,
            None => return Err(format!("unexpected '{after}' after ']' in --ami '{text}'")),
        };
        return Ok((host.to_string(), port));
    }
    match text.matches(':').count() {
        0 => Ok((text.to_string(), DEFAULT_PORT)),
        1 => {
            let (host, port) = text.split_once(':').expect("one colon");
            if host.is_empty() {
                return Err(format!("no host in --ami '{text}'"));
            }
            Ok((host.to_string(), port_of(port)?))
        }
        _ => Ok((text.to_string(), DEFAULT_PORT)), // a bare IPv6 address
    }
}

/// `host:port`, with brackets around an IPv6 address.
pub fn show_address(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// One AMI message: its `Key: value` headers in order, and for the old
/// `Response: Follows` framing the raw command output.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Message {
    pub headers: Vec<(String, String)>,
    /// The raw text of a `Response: Follows` answer (without `--END COMMAND--`).
    pub follows: Option<String>,
}

impl Message {
    /// The first header named `key` (case-insensitive, as Asterisk reads them).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// Every `Output:` value, in order.
    pub fn outputs(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("Output"))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// The end of an old-style command answer.
pub const END_COMMAND: &str = "--END COMMAND--";

/// Splits the lines of one message. `Response: Follows` switches to raw
/// output after its own headers, up to [`END_COMMAND`]. Returns the message
/// and whether it is complete (`false`: more lines are needed).
pub fn parse_message(lines: &[&str]) -> (Message, bool) {
    let mut message = Message::default();
    let mut iter = lines.iter();
    let mut raw: Option<Vec<&str>> = None;
    for line in iter.by_ref() {
        if let Some(raw) = raw.as_mut() {
            if let Some(before) = line.strip_suffix(END_COMMAND) {
                if !before.is_empty() {
                    raw.push(before);
                }
                message.follows = Some(raw.join("\n"));
                return (message, true);
            }
            raw.push(line);
            continue;
        }
        if line.is_empty() {
            return (message, true);
        }
        let header = line.split_once(':').map(|(k, v)| (k.trim(), v.trim()));
        let follows = message
            .get("Response")
            .is_some_and(|r| r.eq_ignore_ascii_case("Follows"));
        match header {
            Some((key, value))
                if !follows
                    || ["Privilege", "ActionID"]
                        .iter()
                        .any(|k| k.eq_ignore_ascii_case(key)) =>
            {
                let value = if key.eq_ignore_ascii_case("Output") {
                    // Keep the output's own leading spaces (column layouts).
                    line.split_once(':')
                        .map_or("", |(_, v)| v.strip_prefix(' ').unwrap_or(v))
                } else {
                    value
                };
                message.headers.push((key.to_string(), value.to_string()));
            }
            _ if follows => {
                // The first line of raw output.
                let mut lines = vec![*line];
                if let Some(before) = line.strip_suffix(END_COMMAND) {
                    lines = if before.is_empty() {
                        vec![]
                    } else {
                        vec![before]
                    };
                    message.follows = Some(lines.join("\n"));
                    return (message, true);
                }
                raw = Some(std::mem::take(&mut lines));
            }
            _ => message.headers.push(("".to_string(), line.to_string())),
        }
    }
    (message, false)
}

/// The command's output from its answer, or why there is none.
pub fn command_output(answer: &Message, cli: &str) -> Result<String, Failure> {
    if let Some(text) = &answer.follows {
        return Ok(text.clone());
    }
    let response = answer.get("Response").unwrap_or("");
    let outputs = answer.outputs();
    if !outputs.is_empty() {
        // Success, or Error with the CLI's own complaint (No such command …).
        return Ok(outputs.join("\n"));
    }
    if response.eq_ignore_ascii_case("Success") {
        return Ok(String::new());
    }
    let message = answer.get("Message").unwrap_or("no message");
    Err(Failure::critical(format!(
        "AMI refused Command '{cli}': Response: {} ({})",
        super::quote(if response.is_empty() {
            "none"
        } else {
            response
        }),
        super::quote(message)
    )))
}

/// A connection with a line buffer; every read waits at most until the deadline.
struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
    read: usize,
    deadline: Deadline,
    shown: String,
}

impl Connection {
    fn timeout(&self, during: &str) -> Failure {
        Failure::critical(format!(
            "no answer from AMI {} within {} s (while waiting for {during})",
            self.shown,
            crate::duration::seconds(self.deadline.budget())
        ))
    }

    fn left(&self, during: &str) -> Result<Duration, Failure> {
        let left = self.deadline.remaining();
        if left.is_zero() {
            return Err(self.timeout(during));
        }
        Ok(left)
    }

    /// The next line without its line end; `None` when the server closed.
    fn line(&mut self, during: &str) -> Result<Option<String>, Failure> {
        loop {
            if let Some(pos) = self.buffer.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buffer.drain(..=pos).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(Some(String::from_utf8_lossy(&line).into_owned()));
            }
            let left = self.left(during)?;
            self.stream
                .set_read_timeout(Some(left))
                .map_err(|e| Failure::unknown(format!("cannot set a read timeout: {e}")))?;
            let mut chunk = [0u8; 8192];
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    if self.buffer.is_empty() {
                        return Ok(None);
                    }
                    let rest = String::from_utf8_lossy(&self.buffer).into_owned();
                    self.buffer.clear();
                    return Ok(Some(rest));
                }
                Ok(n) => {
                    self.read += n;
                    if self.read > ANSWER_LIMIT {
                        return Err(Failure::unknown(format!(
                            "AMI {} sent more than {ANSWER_LIMIT} bytes; refusing to parse it",
                            self.shown
                        )));
                    }
                    self.buffer.extend_from_slice(&chunk[..n]);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(self.timeout(during));
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(Failure::critical(format!(
                        "AMI {}: reading {during}: {e}",
                        self.shown
                    )))
                }
            }
        }
    }

    fn send(&mut self, lines: &[(&str, &str)], during: &str) -> Result<(), Failure> {
        let mut text = String::new();
        for (key, value) in lines {
            // A value cannot carry a line break into the next header.
            let value: String = value.chars().filter(|c| *c != '\r' && *c != '\n').collect();
            text.push_str(&format!("{key}: {value}\r\n"));
        }
        text.push_str("\r\n");
        let left = self.left(during)?;
        self.stream
            .set_write_timeout(Some(left))
            .map_err(|e| Failure::unknown(format!("cannot set a write timeout: {e}")))?;
        self.stream.write_all(text.as_bytes()).map_err(|e| {
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) {
                self.timeout(during)
            } else {
                Failure::critical(format!("AMI {}: sending {during}: {e}", self.shown))
            }
        })
    }

    /// The next message answering `action_id`; events and other answers are skipped.
    fn answer(&mut self, action_id: &str, during: &str) -> Result<Message, Failure> {
        loop {
            let mut lines: Vec<String> = Vec::new();
            loop {
                let Some(line) = self.line(during)? else {
                    return Err(Failure::critical(format!(
                        "AMI {} closed the connection while we waited for {during}",
                        self.shown
                    )));
                };
                if lines.is_empty() && line.is_empty() {
                    continue; // stray blank line between messages
                }
                lines.push(line);
                let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
                let (message, complete) = parse_message(&refs);
                if complete {
                    let is_event = message.get("Event").is_some();
                    let ours = message.get("ActionID").is_none_or(|id| id == action_id);
                    if !is_event && ours && message.get("Response").is_some() {
                        return Ok(message);
                    }
                    break;
                }
            }
        }
    }
}

fn resolve(host: &str, port: u16, deadline: Deadline) -> Result<Vec<SocketAddr>, Failure> {
    let shown = show_address(host, port);
    let (tx, rx) = std::sync::mpsc::channel();
    let target = (host.to_string(), port);
    // getaddrinfo(3) cannot be interrupted: look up in a thread, wait until the deadline.
    std::thread::spawn(move || {
        let _ = tx.send(target.to_socket_addrs().map(|a| a.collect::<Vec<_>>()));
    });
    match rx.recv_timeout(deadline.remaining()) {
        Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
        Ok(Ok(_)) => Err(Failure::critical(format!("AMI {shown}: no address"))),
        Ok(Err(e)) => Err(Failure::critical(format!(
            "AMI {shown}: cannot resolve {host}: {e}"
        ))),
        Err(_) => Err(Failure::critical(format!(
            "no answer from AMI {shown} within {} s (while looking up {host})",
            crate::duration::seconds(deadline.budget())
        ))),
    }
}

/// Logs in, runs `cli` through `Action: Command`, logs off; returns the output.
pub fn command(opts: &AmiOptions, cli: &str, deadline: Deadline) -> Result<String, Failure> {
    let shown = show_address(&opts.host, opts.port);
    crate::timeout::set_activity(format!("asking AMI {shown} for '{cli}'"));
    let addrs = resolve(&opts.host, opts.port, deadline)?;
    let mut last_error = None;
    let mut stream = None;
    for addr in &addrs {
        let left = deadline.remaining();
        if left.is_zero() {
            break;
        }
        match TcpStream::connect_timeout(addr, left) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last_error = Some(e),
        }
    }
    let Some(stream) = stream else {
        return Err(match last_error {
            Some(e) if e.kind() == std::io::ErrorKind::TimedOut => Failure::critical(format!(
                "no answer from AMI {shown} within {} s (while connecting)",
                crate::duration::seconds(deadline.budget())
            )),
            Some(e) => Failure::critical(format!("cannot connect to AMI {shown}: {e}")),
            None => Failure::critical(format!(
                "no answer from AMI {shown} within {} s (while connecting)",
                crate::duration::seconds(deadline.budget())
            )),
        });
    };
    let _ = stream.set_nodelay(true);
    let mut conn = Connection {
        stream,
        buffer: Vec::new(),
        read: 0,
        deadline,
        shown: shown.clone(),
    };
    let banner = conn
        .line("the greeting")?
        .ok_or_else(|| Failure::critical(format!("AMI {shown} closed the connection at once")))?;
    if !banner.starts_with("Asterisk Call Manager/") {
        return Err(Failure::critical(format!(
            "{shown} is not an Asterisk manager: it greeted with '{}'",
            super::quote(&banner)
        )));
    }
    conn.send(
        &[
            ("Action", "Login"),
            ("ActionID", "opscheck-login"),
            ("Username", &opts.user),
            ("Secret", &opts.secret),
            ("Events", "off"),
        ],
        "the login",
    )?;
    let login = conn.answer("opscheck-login", "the login answer")?;
    if !login
        .get("Response")
        .is_some_and(|r| r.eq_ignore_ascii_case("Success"))
    {
        return Err(Failure::critical(format!(
            "AMI login as '{}' failed on {shown}: {}",
            opts.user,
            super::quote(login.get("Message").unwrap_or("no message"))
        )));
    }
    conn.send(
        &[
            ("Action", "Command"),
            ("ActionID", "opscheck-command"),
            ("Command", cli),
        ],
        "the command",
    )?;
    let answer = conn.answer("opscheck-command", &format!("the output of '{cli}'"))?;
    let output = command_output(&answer, cli);
    // Logoff is a courtesy: its answer gets a short wait, its failure no mention.
    let goodbye = deadline
        .share(1)
        .remaining()
        .min(Duration::from_millis(200));
    if conn
        .send(
            &[("Action", "Logoff"), ("ActionID", "opscheck-logoff")],
            "the logoff",
        )
        .is_ok()
    {
        let _ = conn
            .stream
            .set_read_timeout(Some(goodbye.max(Duration::from_millis(1))));
        let mut sink = [0u8; 512];
        let _ = conn.stream.read(&mut sink);
    }
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(parse_address("sop1").unwrap(), ("sop1".into(), 5038));
        assert_eq!(parse_address("sop1:7777").unwrap(), ("sop1".into(), 7777));
        assert_eq!(parse_address("[::1]:99").unwrap(), ("::1".into(), 99));
        assert_eq!(parse_address("[::1]").unwrap(), ("::1".into(), 5038));
        assert_eq!(parse_address("fe80::1").unwrap(), ("fe80::1".into(), 5038));
        assert!(parse_address("sop1:0").is_err());
        assert!(parse_address("sop1:x").is_err());
        assert!(parse_address(":5038").is_err());
        assert!(parse_address("").is_err());
        assert_eq!(show_address("::1", 5038), "[::1]:5038");
    }

    #[test]
    fn new_framing_keeps_output_columns() {
        let lines = [
            "Response: Success",
            "ActionID: opscheck-command",
            "Message: Command output follows",
            "Output: Name/username             Host",
            "Output:   1 active channel",
            "",
        ];
        let (m, complete) = parse_message(&lines);
        assert!(complete);
        assert_eq!(
            command_output(&m, "x").unwrap(),
            "Name/username             Host\n  1 active channel"
        );
    }

    #[test]
    fn old_framing_reads_to_end_command_through_blank_lines() {
        let lines = [
            "Response: Follows",
            "Privilege: Command",
            "ActionID: opscheck-command",
            "GeneralQueue has 0 calls (max unlimited)",
            "",
            "Other has 0 calls",
            "--END COMMAND--",
        ];
        let (m, complete) = parse_message(&lines[..5]);
        assert!(!complete, "a blank line inside raw output does not end it");
        assert_eq!(m.follows, None);
        let (m, complete) = parse_message(&lines);
        assert!(complete);
        assert_eq!(m.get("ActionID"), Some("opscheck-command"));
        assert_eq!(
            command_output(&m, "x").unwrap(),
            "GeneralQueue has 0 calls (max unlimited)\n\nOther has 0 calls"
        );
        // Asterisk 1.4 can put the marker right after the last output byte.
        let (m, complete) = parse_message(&[
            "Response: Follows",
            "Privilege: Command",
            "text--END COMMAND--",
        ]);
        assert!(complete);
        assert_eq!(m.follows.as_deref(), Some("text"));
    }

    #[test]
    fn errors() {
        let (m, _) = parse_message(&["Response: Error", "Message: Permission denied", ""]);
        let err = command_output(&m, "sip show peers").unwrap_err();
        assert_eq!(err.state, crate::State::Critical);
        assert!(err.message.contains("Permission denied"), "{}", err.message);
        // An Error that carries the CLI's complaint passes it on to be classified.
        let (m, _) = parse_message(&[
            "Response: Error",
            "Message: Command output follows",
            "Output: No such command 'sip show peers' (type 'core show help sip show' for other possible commands)",
            "",
        ]);
        assert!(command_output(&m, "sip show peers")
            .unwrap()
            .starts_with("No such command 'sip show peers'"));
    }
}
