//! SIP messages: the OPTIONS request we send and the framing and reading of
//! what comes back (RFC 3261), as pure functions of bytes.

use super::*;
use std::net::{IpAddr, SocketAddr};

/// The identifiers that tie a response to our request.
#[derive(Debug, Clone, PartialEq)]
pub struct Ids {
    pub branch: String,
    pub tag: String,
    pub call_id: String,
    pub cseq: u32,
}

impl Ids {
    pub fn fresh(local_ip: IpAddr) -> Ids {
        Ids {
            branch: format!("z9hG4bK-opscheck-{}", random_hex(8)),
            tag: random_hex(4),
            call_id: format!("{}@{}", random_hex(10), local_ip),
            cseq: 1,
        }
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // SAFETY: getrandom(2) writes at most buf.len() bytes into buf.
    let got = unsafe { libc::getrandom(buf.as_mut_ptr().cast(), buf.len(), 0) };
    if got != buf.len() as isize {
        // No entropy source: time and process id still make the ids unique enough.
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
            ^ (u128::from(std::process::id()) << 64);
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (seed >> ((i % 16) * 8)) as u8 ^ (i as u8).wrapping_mul(151);
        }
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// The OPTIONS request for `agent`, sent from `local`.
pub fn build_request(agent: &Agent, local: SocketAddr, ids: &Ids) -> String {
    let host = uri_host(&agent.host);
    let transport_param = match agent.transport {
        Transport::Udp => "",
        Transport::Tcp => ";transport=tcp",
    };
    let local_host = addr_host(local.ip());
    format!(
        "OPTIONS sip:{host}:{port}{transport_param} SIP/2.0\r\n\
         Via: SIP/2.0/{via} {local_host}:{local_port};branch={branch};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:opscheck@{local_host}>;tag={tag}\r\n\
         To: <sip:{host}:{port}>\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: {cseq} OPTIONS\r\n\
         Contact: <sip:opscheck@{local_host}:{local_port}{transport_param}>\r\n\
         Accept: application/sdp\r\n\
         User-Agent: opscheck check_sip_options/{version}\r\n\
         Content-Length: 0\r\n\r\n",
        port = agent.port,
        via = agent.transport.via(),
        local_port = local.port(),
        branch = ids.branch,
        tag = ids.tag,
        call_id = ids.call_id,
        cseq = ids.cseq,
        version = env!("CARGO_PKG_VERSION"),
    )
}

/// A parsed SIP response.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub code: u16,
    pub reason: String,
    /// Header names in lower case, compact forms expanded.
    pub headers: Vec<(String, String)>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Does this response answer the request with these ids?
    pub fn answers(&self, ids: &Ids) -> bool {
        let branch = self.header("via").and_then(top_via_branch);
        let call_id = self.header("call-id").map(str::trim);
        let cseq: Vec<&str> = self
            .header("cseq")
            .map(|c| c.split_whitespace().collect())
            .unwrap_or_default();
        branch == Some(ids.branch.as_str())
            && call_id == Some(ids.call_id.as_str())
            && cseq.len() == 2
            && cseq[0].parse::<u32>().ok() == Some(ids.cseq)
            && cseq[1] == "OPTIONS"
    }
}

fn top_via_branch(via: &str) -> Option<&str> {
    let top = via.split(',').next()?;
    top.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("branch")
            .then_some(value.trim())
    })
}

fn full_header_name(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase();
    match lower.as_str() {
        "v" => "via",
        "i" => "call-id",
        "l" => "content-length",
        "f" => "from",
        "t" => "to",
        "m" => "contact",
        "c" => "content-type",
        "k" => "supported",
        _ => return lower,
    }
    .to_string()
}

/// What one pass over received bytes found.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    /// A whole message: the response (None for a request or garbage) and the bytes it took.
    Message(Option<Response>, usize),
    /// More bytes are needed.
    Incomplete,
}

/// Parses the first SIP message in `buf`, framed by Content-Length (missing = 0).
/// Leading CRLFs (keep-alives) are consumed.
pub fn parse_message(buf: &[u8]) -> Parsed {
    let skip = buf
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count();
    let rest = &buf[skip..];
    if rest.is_empty() {
        return if skip > 0 {
            Parsed::Message(None, skip)
        } else {
            Parsed::Incomplete
        };
    }
    let Some(head_len) = find_header_end(rest) else {
        return Parsed::Incomplete;
    };
    let head = String::from_utf8_lossy(&rest[..head_len.0]);
    let mut lines: Vec<String> = Vec::new();
    for line in head.split('\n').map(|l| l.trim_end_matches('\r')) {
        if (line.starts_with(' ') || line.starts_with('\t')) && !lines.is_empty() {
            let last = lines.last_mut().expect("not empty");
            last.push(' ');
            last.push_str(line.trim());
        } else if !line.is_empty() {
            lines.push(line.to_string());
        }
    }
    let mut headers = Vec::new();
    for line in lines.iter().skip(1) {
        if let Some((name, value)) = line.split_once(':') {
            headers.push((full_header_name(name), value.trim().to_string()));
        }
    }
    let body_len = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    // A peer's absurd Content-Length must not overflow: it is a message that never completes.
    let total = (skip + head_len.1).saturating_add(body_len);
    if buf.len() < total {
        return Parsed::Incomplete;
    }
    let response = lines.first().and_then(|start| {
        let mut parts = start.splitn(3, ' ');
        let version = parts.next()?;
        if !version.eq_ignore_ascii_case("SIP/2.0") {
            return None;
        }
        let code = parts
            .next()?
            .parse::<u16>()
            .ok()
            .filter(|c| (100..700).contains(c))?;
        Some(Response {
            code,
            reason: parts.next().unwrap_or("").trim().to_string(),
            headers,
        })
    });
    Parsed::Message(response, total)
}

/// (length of the header block without the blank line, length including it)
fn find_header_end(buf: &[u8]) -> Option<(usize, usize)> {
    for i in 0..buf.len() {
        if buf[i..].starts_with(b"\r\n\r\n") {
            return Some((i, i + 4));
        }
        if buf[i..].starts_with(b"\n\n") {
            return Some((i, i + 2));
        }
    }
    None
}
