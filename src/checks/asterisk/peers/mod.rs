//! `sip show peers [like PATTERN]` (chan_sip), `pjsip show contacts` and
//! `pjsip show endpoints` (res_pjsip): every peer's reachability and latency.
//!
//! This module holds what a listing says ([`Listing`]: its peers, each with
//! its [`Reach`], and Asterisk's own count) and recognises which listing a
//! text is by its header ([`parse`]). The rows are read in `chan_sip` (a row
//! read by its fields, since the columns differ between Asterisk 1.4, 1.8+ and
//! 13) and `pjsip` (contacts, and endpoints with their contacts); the listing
//! is judged in `evaluate`.
//!
//! A peer with host `(Unspecified)` has never registered: Asterisk counts it
//! offline, this plugin counts it apart ("never registered") and does not
//! alarm on it unless asked (`--count-unregistered`).

mod chan_sip;
mod evaluate;
mod pjsip;

pub use chan_sip::{parse_sip_row, parse_sip_summary};
pub use evaluate::{evaluate, summary_disagreement, Options};

use super::quote;

/// What a peer's status means for this plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Reach {
    /// Qualified and answering (`OK (n ms)`, `Avail`).
    Online,
    /// Answering, slower than its qualify limit (`LAGGED (n ms)`).
    Lagged,
    /// Not answering its qualify (`UNREACHABLE`, `Unavail`).
    Unreachable,
    /// Registered, not qualified yet (`UNKNOWN` with an address, `Unknown`).
    Unqualified,
    /// Never registered (host `(Unspecified)`, port 0; an endpoint without contacts).
    Unregistered,
    /// Not qualified at all (`Unmonitored`, `NonQual`), but has an address.
    Unmonitored,
}

impl Reach {
    pub fn describe(self) -> &'static str {
        match self {
            Reach::Online => "online",
            Reach::Lagged => "lagged",
            Reach::Unreachable => "unreachable",
            Reach::Unqualified => "not qualified yet",
            Reach::Unregistered => "never registered",
            Reach::Unmonitored => "unmonitored",
        }
    }

    /// Counted in Asterisk's own "online" figure.
    fn reachable(self) -> bool {
        matches!(self, Reach::Online | Reach::Lagged | Reach::Unmonitored)
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Peer {
    pub name: String,
    pub host: Option<String>,
    pub reach: Reach,
    /// Qualify round trip in ms, when the peer answered.
    pub latency_ms: Option<f64>,
    /// The status as Asterisk printed it.
    pub status: String,
    /// chan_sip: qualify is on for this peer (`qualify=yes`).
    pub monitored: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Format {
    ChanSip,
    PjsipContacts,
    PjsipEndpoints,
}

/// The summary line, as Asterisk counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Summary {
    /// `N sip peers [a online , b offline]`.
    Short {
        total: u64,
        online: u64,
        offline: u64,
    },
    /// `N sip peers [Monitored: a online, b offline Unmonitored: c online, d offline]`.
    Monitored {
        total: u64,
        mon_online: u64,
        mon_offline: u64,
        unmon_online: u64,
        unmon_offline: u64,
    },
    /// `Objects found: N` (0 for `No objects found.`).
    Objects(u64),
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Listing {
    pub format: Format,
    pub peers: Vec<Peer>,
    pub summary: Option<Summary>,
    /// Lines inside the listing that could not be read, with their line numbers.
    pub garbled: Vec<(usize, String)>,
}

/// Parses any of the three listings; an error when the text is none of them.
pub fn parse(text: &str) -> Result<Listing, String> {
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        if t.starts_with("Name/username") && t.contains("Status") {
            return Ok(chan_sip::parse_chan_sip(&lines, i));
        }
        if t.starts_with("Contact:") && t.contains("<Aor/ContactUri") {
            return Ok(pjsip::parse_pjsip(&lines, i, Format::PjsipContacts));
        }
        if t.starts_with("Endpoint:") && t.contains("<Endpoint/CID") {
            return Ok(pjsip::parse_pjsip(&lines, i, Format::PjsipEndpoints));
        }
    }
    let first = lines
        .iter()
        .map(|l| l.trim())
        .find(|l| !l.is_empty())
        .unwrap_or("");
    if first.is_empty() {
        Err("the output is empty: no peer listing".to_string())
    } else {
        Err(format!(
            "not a peer listing (no 'Name/username' or PJSIP header): '{}'",
            quote(first)
        ))
    }
}

fn parse_u64(s: &str) -> Option<u64> {
    s.trim().parse().ok()
}
