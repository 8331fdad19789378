//! `sip show peers [like PATTERN]` (chan_sip), `pjsip show contacts` and
//! `pjsip show endpoints` (res_pjsip): every peer's reachability and latency.
//!
//! chan_sip prints a header starting `Name/username`, one row per peer and a
//! summary line: `38 sip peers [30 online , 8 offline]` (the seed's, Asterisk
//! 1.2 style) or `N sip peers [Monitored: a online, b offline Unmonitored: c
//! online, d offline]` (1.4 and later). The columns differ between versions
//! (1.4: Dyn Nat ACL Port Status; 1.8+: Dyn Forcerport Comedia ACL Port Status
//! Description, where Forcerport may read `Auto (No)`), so a row is read as:
//! name, host, then flags up to the first number (the port), then the status:
//! `OK (N ms)`, `LAGGED (N ms)`, `UNREACHABLE`, `UNKNOWN` or `Unmonitored`.
//!
//! A peer with host `(Unspecified)` has never registered: Asterisk counts it
//! offline, this plugin counts it apart ("never registered") and does not
//! alarm on it unless asked (`--count-unregistered`).
//!
//! res_pjsip prints `Contact:  AOR/URI HASH STATUS RTT` rows (status Avail,
//! Unavail, Unknown, NonQual, Removed; RTT in ms or `nan`), and for endpoints
//! `Endpoint:  NAME[/CID]  STATE  N of M` rows followed by their own Aor and
//! Contact rows; the listing ends with `Objects found: N` or reads
//! `No objects found.`.

use super::{label, quote, some_names};
use crate::output::{plural, Check, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::status::State;
use crate::threshold::Thresholds;
use std::collections::HashSet;

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
            return Ok(parse_chan_sip(&lines, i));
        }
        if t.starts_with("Contact:") && t.contains("<Aor/ContactUri") {
            return Ok(parse_pjsip(&lines, i, Format::PjsipContacts));
        }
        if t.starts_with("Endpoint:") && t.contains("<Endpoint/CID") {
            return Ok(parse_pjsip(&lines, i, Format::PjsipEndpoints));
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

/// `38 sip peers [30 online , 8 offline]` or the Monitored/Unmonitored form.
pub fn parse_sip_summary(line: &str) -> Option<Summary> {
    let (total, rest) = line.trim().split_once(" sip peers [")?;
    let total = parse_u64(total)?;
    let inner = rest.strip_suffix(']')?;
    let numbers: Vec<u64> = inner
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(parse_u64)
        .collect();
    if inner.contains("Monitored:") && inner.contains("Unmonitored:") && numbers.len() == 4 {
        return Some(Summary::Monitored {
            total,
            mon_online: numbers[0],
            mon_offline: numbers[1],
            unmon_online: numbers[2],
            unmon_offline: numbers[3],
        });
    }
    if numbers.len() == 2 && inner.contains("online") && inner.contains("offline") {
        return Some(Summary::Short {
            total,
            online: numbers[0],
            offline: numbers[1],
        });
    }
    None
}

/// `(38 ms)` → 38.
fn ms_in(tokens: &[&str]) -> Option<f64> {
    let joined = tokens.join(" ");
    let inner = joined.strip_prefix('(')?.strip_suffix(')')?;
    let number = inner.strip_suffix("ms")?.trim();
    let value: f64 = number.parse().ok()?;
    value.is_finite().then_some(value)
}

/// One chan_sip row, or `None` when it is not one.
pub fn parse_sip_row(line: &str) -> Option<Peer> {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    if tokens.len() < 3 {
        return None;
    }
    let name = tokens[0].split('/').next().unwrap_or(tokens[0]).to_string();
    let host = match tokens[1] {
        "(Unspecified)" => None,
        h => Some(h.to_string()),
    };
    let port_at = (2..tokens.len()).find(|&i| tokens[i].chars().all(|c| c.is_ascii_digit()))?;
    let port: u64 = tokens[port_at].parse().ok()?;
    let rest = &tokens[port_at + 1..];
    let word = *rest.first()?;
    let addressed = host.is_some() && port != 0;
    let (reach, latency_ms, status, monitored) = match word {
        "OK" | "LAGGED" => {
            let ms = ms_in(rest.get(1..3)?)?;
            let reach = if word == "OK" {
                Reach::Online
            } else {
                Reach::Lagged
            };
            (reach, Some(ms), rest[..3].join(" "), true)
        }
        "UNREACHABLE" => (Reach::Unreachable, None, word.to_string(), true),
        "UNKNOWN" if addressed => (Reach::Unqualified, None, word.to_string(), true),
        "UNKNOWN" => (Reach::Unregistered, None, word.to_string(), true),
        "Unmonitored" if addressed => (Reach::Unmonitored, None, word.to_string(), false),
        "Unmonitored" => (Reach::Unregistered, None, word.to_string(), false),
        _ => return None,
    };
    Some(Peer {
        name,
        host,
        reach,
        latency_ms,
        status,
        monitored,
    })
}

fn parse_chan_sip(lines: &[&str], header: usize) -> Listing {
    let mut listing = Listing {
        format: Format::ChanSip,
        peers: Vec::new(),
        summary: None,
        garbled: Vec::new(),
    };
    for (i, line) in lines.iter().enumerate().skip(header + 1) {
        if line.trim().is_empty() {
            continue;
        }
        if let Some(summary) = parse_sip_summary(line) {
            listing.summary = Some(summary);
            break;
        }
        match parse_sip_row(line) {
            Some(peer) => listing.peers.push(peer),
            None => listing.garbled.push((i + 1, quote(line))),
        }
    }
    listing
}

/// A PJSIP contact row's fields after `Contact:`: AOR/URI, hash, status, RTT.
fn parse_contact(rest: &str) -> Option<(String, String, Reach, Option<f64>, String)> {
    let tokens: Vec<&str> = rest.split_whitespace().collect();
    if tokens.len() < 3 {
        return None;
    }
    let (aor, _uri) = tokens[0].split_once('/')?;
    let hash = tokens[1].to_string();
    let status = tokens[2];
    let rtt = tokens
        .get(3)
        .and_then(|t| t.parse::<f64>().ok())
        .filter(|v| v.is_finite());
    let reach = match status {
        "Avail" | "Reachable" => Reach::Online,
        "Unavail" | "Unreachable" => Reach::Unreachable,
        "Unknown" => Reach::Unqualified,
        "NonQual" | "Created" => Reach::Unmonitored,
        "Removed" => Reach::Unregistered,
        _ => return None,
    };
    Some((aor.to_string(), hash, reach, rtt, status.to_string()))
}

/// A contact's reach, round trip and status as printed.
type ContactState = (Reach, Option<f64>, String);
/// An endpoint being read: its name, device state and contacts so far.
type Pending = (String, String, Vec<ContactState>);

fn parse_pjsip(lines: &[&str], header: usize, format: Format) -> Listing {
    let mut listing = Listing {
        format,
        peers: Vec::new(),
        summary: None,
        garbled: Vec::new(),
    };
    // For endpoints: the endpoint being read and its contacts' states.
    let mut endpoint: Option<Pending> = None;
    let finish = |endpoint: Option<Pending>, peers: &mut Vec<Peer>| {
        if let Some((name, state, contacts)) = endpoint {
            peers.push(endpoint_peer(name, &state, &contacts));
        }
    };
    for (i, line) in lines.iter().enumerate().skip(header + 1) {
        let t = line.trim();
        if t.is_empty() || t.starts_with("==========") || t.contains(":  <") {
            continue; // blank, the rule, or a child header (`Aor:  <Aor…>`)
        }
        if let Some(n) = t.strip_prefix("Objects found:") {
            match parse_u64(n) {
                Some(n) => listing.summary = Some(Summary::Objects(n)),
                None => listing.garbled.push((i + 1, quote(line))),
            }
            break;
        }
        if t.starts_with("No objects found") {
            listing.summary = Some(Summary::Objects(0));
            break;
        }
        let Some((kind, rest)) = t.split_once(':') else {
            listing.garbled.push((i + 1, quote(line)));
            continue;
        };
        match (format, kind.trim()) {
            (Format::PjsipContacts, "Contact") => match parse_contact(rest) {
                Some((aor, hash, reach, rtt, status)) => listing.peers.push(Peer {
                    name: aor,
                    host: Some(hash),
                    reach,
                    latency_ms: if reach == Reach::Online { rtt } else { None },
                    status,
                    monitored: reach != Reach::Unmonitored,
                }),
                None => listing.garbled.push((i + 1, quote(line))),
            },
            (Format::PjsipEndpoints, "Endpoint") => {
                finish(endpoint.take(), &mut listing.peers);
                match parse_endpoint(rest) {
                    Some((name, state)) => endpoint = Some((name, state, Vec::new())),
                    None => listing.garbled.push((i + 1, quote(line))),
                }
            }
            (Format::PjsipEndpoints, "Contact") => match (parse_contact(rest), endpoint.as_mut()) {
                (Some((_, _, reach, rtt, status)), Some((_, _, contacts))) => {
                    contacts.push((reach, rtt, status))
                }
                _ => listing.garbled.push((i + 1, quote(line))),
            },
            // The other children of an endpoint: auths, AORs, transports, identifies, channels.
            (Format::PjsipEndpoints, k)
                if [
                    "InAuth",
                    "OutAuth",
                    "Aor",
                    "Transport",
                    "Identify",
                    "Match",
                    "Channel",
                ]
                .contains(&k) => {}
            _ => listing.garbled.push((i + 1, quote(line))),
        }
    }
    finish(endpoint.take(), &mut listing.peers);
    if format == Format::PjsipContacts {
        disambiguate(&mut listing.peers);
    }
    listing
}

/// Several contacts of one AOR: named `AOR#HASH` so that each is told apart.
fn disambiguate(peers: &mut [Peer]) {
    let mut counts = std::collections::HashMap::new();
    for p in peers.iter() {
        *counts.entry(p.name.clone()).or_insert(0) += 1;
    }
    for p in peers.iter_mut() {
        if counts[&p.name] > 1 {
            if let Some(hash) = &p.host {
                p.name = format!("{}#{hash}", p.name);
            }
        }
    }
}

/// `NAME[/CID]  STATE WORDS  N of M` → (NAME, STATE).
fn parse_endpoint(rest: &str) -> Option<(String, String)> {
    let tokens: Vec<&str> = rest.split_whitespace().collect();
    if tokens.len() < 5 {
        return None;
    }
    let n = tokens.len();
    if tokens[n - 2] != "of" || parse_u64(tokens[n - 3]).is_none() {
        return None;
    }
    let name = tokens[0].split('/').next().unwrap_or(tokens[0]).to_string();
    let state = tokens[1..n - 3].join(" ");
    if state.is_empty() {
        return None;
    }
    Some((name, state))
}

fn endpoint_peer(name: String, state: &str, contacts: &[ContactState]) -> Peer {
    let best = contacts
        .iter()
        .filter(|(r, ..)| *r == Reach::Online)
        .filter_map(|(_, rtt, _)| *rtt)
        .fold(None, |acc: Option<f64>, v| {
            Some(acc.map_or(v, |a| a.min(v)))
        });
    let has = |reach: Reach| contacts.iter().any(|(r, ..)| *r == reach);
    let reach = if has(Reach::Online) {
        Reach::Online
    } else if has(Reach::Unreachable) {
        Reach::Unreachable
    } else if has(Reach::Unqualified) {
        Reach::Unqualified
    } else if has(Reach::Unmonitored) {
        Reach::Unmonitored
    } else if state == "Unavailable" || state == "Invalid" {
        Reach::Unregistered
    } else {
        Reach::Unmonitored // e.g. a trunk without AOR contacts, state "Not in use"
    };
    let status = contacts
        .iter()
        .map(|(_, _, s)| s.as_str())
        .collect::<Vec<_>>()
        .join(",");
    Peer {
        name,
        host: None,
        reach,
        latency_ms: if reach == Reach::Online { best } else { None },
        status: if status.is_empty() {
            state.to_string()
        } else {
            format!("{state} ({status})")
        },
        monitored: reach != Reach::Unmonitored,
    }
}

/// How the check judges the listing.
#[derive(Debug, Clone)]
pub struct Options {
    /// On the number of offline peers (or their share with `percent`).
    pub offline: Thresholds,
    pub percent: bool,
    /// On each online peer's latency in ms.
    pub latency: Thresholds,
    /// Peers that must be online.
    pub required: Vec<String>,
    /// The state of a LAGGED peer.
    pub lagged: State,
    /// Never-registered peers count as offline.
    pub count_unregistered: bool,
    /// Shown in messages: the `like` pattern.
    pub like: Option<String>,
}

impl Default for Options {
    /// No thresholds, LAGGED is WARNING, never-registered peers not counted.
    fn default() -> Self {
        Options {
            offline: Thresholds::default(),
            percent: false,
            latency: Thresholds::default(),
            required: Vec::new(),
            lagged: State::Warning,
            count_unregistered: false,
            like: None,
        }
    }
}

impl Options {
    fn offline(&self, reach: Reach) -> bool {
        match reach {
            Reach::Unreachable | Reach::Unqualified => true,
            Reach::Unregistered => self.count_unregistered,
            _ => false,
        }
    }
}

/// What the summary line says against what the rows give; `None` when they agree.
pub fn summary_disagreement(listing: &Listing) -> Option<String> {
    let rows = listing.peers.len() as u64;
    let count = |f: &dyn Fn(&Peer) -> bool| listing.peers.iter().filter(|p| f(p)).count() as u64;
    match listing.summary? {
        Summary::Short {
            total,
            online,
            offline,
        } => {
            let on = count(&|p| p.reach.reachable());
            let off = rows - on;
            (total != rows || online != on || offline != off).then(|| {
                format!(
                    "the summary says {total} peers [{online} online, {offline} offline] but {} \
                     listed give {on} online, {off} offline",
                    plural(rows as usize, "row")
                )
            })
        }
        Summary::Monitored {
            total,
            mon_online,
            mon_offline,
            unmon_online,
            unmon_offline,
        } => {
            let mo = count(&|p| p.monitored && p.reach.reachable());
            let mf = count(&|p| p.monitored && !p.reach.reachable());
            let uo = count(&|p| !p.monitored && p.reach.reachable());
            let uf = count(&|p| !p.monitored && !p.reach.reachable());
            (total != rows
                || (mon_online, mon_offline, unmon_online, unmon_offline) != (mo, mf, uo, uf))
                .then(|| {
                    format!(
                        "the summary says {total} peers [monitored {mon_online} online, \
                         {mon_offline} offline; unmonitored {unmon_online} online, \
                         {unmon_offline} offline] but {} listed give {mo}, {mf}; {uo}, {uf}",
                        plural(rows as usize, "row")
                    )
                })
        }
        Summary::Objects(n) => (n != rows).then(|| {
            let what = if listing.format == Format::PjsipContacts {
                "contacts"
            } else {
                "endpoints"
            };
            format!(
                "Asterisk says {n} objects found but {} {what} are listed",
                rows
            )
        }),
    }
}

/// Judges a parsed listing.
pub fn evaluate(listing: &Listing, options: &Options) -> Check {
    let mut check = Check::new();
    let peers = &listing.peers;
    let total = peers.len();
    let of = |reach: Reach| peers.iter().filter(|p| p.reach == reach).count();
    let names = |f: &dyn Fn(&Peer) -> bool| -> Vec<String> {
        peers
            .iter()
            .filter(|p| f(p))
            .map(|p| p.name.clone())
            .collect()
    };
    let like = match &options.like {
        Some(like) => format!(" like '{like}'"),
        None => String::new(),
    };
    // "1 peer like 'SDO'", "38 peers like 'SDO'".
    let peers_of = |n: usize| format!("{}{like}", plural(n, "peer"));

    for (line, text) in &listing.garbled {
        check.item(Item::new(
            State::Unknown,
            format!("line {line} not understood: '{text}'"),
        ));
    }
    if listing.summary.is_none() {
        let expected = match listing.format {
            Format::ChanSip => "'N sip peers [...]'",
            _ => "'Objects found: N'",
        };
        check.item(Item::new(
            State::Unknown,
            format!("no summary line ({expected}): the output looks cut short"),
        ));
    }
    if let Some(text) = summary_disagreement(listing) {
        check.item(Item::new(State::Warning, text));
    }

    let offline_names = names(&|p| options.offline(p.reach));
    let offline = offline_names.len();
    let unregistered = of(Reach::Unregistered);
    let mut parts = vec![format!("{} online", of(Reach::Online) + of(Reach::Lagged))];
    for reach in [
        Reach::Lagged,
        Reach::Unreachable,
        Reach::Unqualified,
        Reach::Unregistered,
        Reach::Unmonitored,
    ] {
        if of(reach) > 0 {
            parts.push(format!("{} {}", of(reach), reach.describe()));
        }
    }
    if total == 0 {
        check.item(Item::new(
            State::Warning,
            format!("no peers{like}: Asterisk lists none (configuration not loaded?)"),
        ));
    } else {
        let (value, uom, label) = if options.percent {
            (
                offline as f64 * 100.0 / total as f64,
                Uom::Percent,
                "offline_pct",
            )
        } else {
            (offline as f64, Uom::None, "offline")
        };
        let mut judged = options.offline.judge(label, value, uom);
        judged.perfdata = judged.perfdata.min(0.0);
        if options.percent {
            judged.perfdata = judged.perfdata.max(100.0);
        } else {
            judged.perfdata = judged.perfdata.max(total as f64);
        }
        let text = if offline == 0 {
            format!("{}: {}", peers_of(total), parts.join(", "))
        } else {
            let share = if options.percent {
                format!(
                    " ({}%)",
                    crate::range::format_number((value * 10.0).round() / 10.0)
                )
            } else {
                String::new()
            };
            format!(
                "{offline} of {} offline{share}: {}",
                peers_of(total),
                some_names(&offline_names, 4)
            )
        };
        let mut item = judged.item(text);
        if offline > 0 {
            item = item.detail(1, format!("all: {}", parts.join(", ")));
        }
        if unregistered > 0 && !options.count_unregistered {
            item = item.detail(
                1,
                format!(
                    "never registered (not alarmed, see --count-unregistered): {}",
                    some_names(&names(&|p| p.reach == Reach::Unregistered), 10)
                ),
            );
        }
        check.item(item);
    }

    for peer in peers.iter().filter(|p| p.reach == Reach::Lagged) {
        check.item(Item::new(
            options.lagged,
            format!("{} {}", peer.name, peer.status),
        ));
    }

    // Latency: every answering peer judged; the worst named.
    let mut taken = HashSet::new();
    for fixed in [
        "online",
        "lagged",
        "offline",
        "offline_pct",
        "unregistered",
        "unmonitored",
        "peers",
    ] {
        taken.insert(fixed.to_string());
    }
    let mut latency_perf = Vec::new();
    let mut worst: Option<(&Peer, f64, State)> = None;
    let mut slow: Vec<String> = Vec::new();
    for peer in peers {
        let Some(ms) = peer.latency_ms else { continue };
        let judged = options
            .latency
            .judge(label(&peer.name, &mut taken), ms, Uom::Milliseconds);
        latency_perf.push(judged.perfdata);
        if judged.state != State::Ok {
            slow.push(format!(
                "{} {} ms",
                peer.name,
                crate::range::format_number(ms)
            ));
        }
        let state = judged.state;
        let worse =
            worst.is_none_or(|(_, w, s)| state.severity() > s.severity() || (state == s && ms > w));
        if worse {
            worst = Some((peer, ms, state));
        }
    }
    if let Some((peer, ms, state)) = worst {
        let shown = crate::range::format_number(ms);
        let text = if slow.is_empty() {
            format!("worst latency {shown} ms ({})", peer.name)
        } else {
            format!(
                "{} over the latency limit, worst {} {shown} ms",
                plural(slow.len(), "peer"),
                peer.name
            )
        };
        let mut item = Item::new(state, text);
        if !slow.is_empty() {
            item = item.detail(1, format!("slow: {}", slow.join(", ")));
        }
        item.perfdata = latency_perf;
        check.item(item);
    }

    for name in &options.required {
        let found: Vec<&Peer> = peers
            .iter()
            .filter(|p| &p.name == name || p.name.split('#').next() == Some(name.as_str()))
            .collect();
        let item = match found.iter().find(|p| p.reach.reachable()) {
            Some(p) if p.reach == Reach::Lagged => {
                Item::new(options.lagged, format!("{name} is {}", p.status))
            }
            Some(p) => Item::new(State::Ok, format!("{name} is reachable ({})", p.status)),
            None => match found.first() {
                Some(p) => Item::new(
                    State::Critical,
                    format!("{name} is {} ({})", p.reach.describe(), p.status),
                ),
                None => Item::new(State::Critical, format!("{name} is not listed")),
            },
        };
        check.item(item);
    }

    check
        .perf(Perfdata::new("peers", total as f64, Uom::None).min(0.0))
        .perf(
            Perfdata::new(
                "online",
                (of(Reach::Online) + of(Reach::Lagged)) as f64,
                Uom::None,
            )
            .min(0.0),
        )
        .perf(Perfdata::new("lagged", of(Reach::Lagged) as f64, Uom::None).min(0.0))
        .perf(Perfdata::new("unregistered", unregistered as f64, Uom::None).min(0.0))
        .perf(Perfdata::new("unmonitored", of(Reach::Unmonitored) as f64, Uom::None).min(0.0));

    let mut summary = if total == 0 {
        format!("no peers{like}")
    } else {
        format!("{}: {}", peers_of(total), parts.join(", "))
    };
    if let Some((peer, ms, _)) = worst {
        summary.push_str(&format!(
            "; worst latency {} ms ({})",
            crate::range::format_number(ms),
            peer.name
        ));
    }
    for name in &options.required {
        summary.push_str(&format!("; {name} reachable"));
    }
    check.ok_summary(summary);
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = include_str!("../../../../examples/asterisk/1.4/sip-show-peers-like-SDO.txt");

    fn options() -> Options {
        Options {
            offline: Thresholds::new(Some("0".parse().unwrap()), None),
            percent: false,
            latency: Thresholds::default(),
            required: vec![],
            lagged: State::Warning,
            count_unregistered: false,
            like: Some("SDO".into()),
        }
    }

    #[test]
    fn the_seed_is_ok_with_eight_never_registered() {
        let listing = parse(SEED).unwrap();
        assert_eq!(listing.format, Format::ChanSip);
        assert_eq!(listing.peers.len(), 38);
        assert!(listing.garbled.is_empty(), "{:?}", listing.garbled);
        assert_eq!(
            listing.summary,
            Some(Summary::Short {
                total: 38,
                online: 30,
                offline: 8
            })
        );
        assert_eq!(summary_disagreement(&listing), None);
        let p = &listing.peers[0];
        assert_eq!(p.name, "SDO20038");
        assert_eq!(p.host.as_deref(), Some("10.113.105.162"));
        assert_eq!(p.latency_ms, Some(38.0));
        let never: Vec<_> = listing
            .peers
            .iter()
            .filter(|p| p.reach == Reach::Unregistered)
            .collect();
        assert_eq!(never.len(), 8);
        assert_eq!(never[0].name, "SDO20002");
        let check = evaluate(&listing, &options());
        assert_eq!(check.state(), State::Ok, "{}", check.render_text("P", 1));
        assert_eq!(
            check.summary(),
            "38 peers like 'SDO': 30 online, 8 never registered; worst latency 51 ms (SDO20029)"
        );
        // Counted as Asterisk counts them, the same list is 8 offline.
        let mut strict = options();
        strict.count_unregistered = true;
        assert_eq!(evaluate(&listing, &strict).state(), State::Warning);
    }

    #[test]
    fn rows_of_every_layout() {
        // 1.8+ with Forcerport/Comedia columns and a description.
        let p = parse_sip_row(
            "SOA20003/SOA20003         10.0.0.5                                         Auto (No)  Auto (No)      5060     OK (12 ms)  Trunk to gw1",
        )
        .unwrap();
        assert_eq!(p.name, "SOA20003");
        assert_eq!(p.latency_ms, Some(12.0));
        let p = parse_sip_row("NPA10001                  192.0.2.9        D  Yes        Yes        A  5060     LAGGED (2100 ms)").unwrap();
        assert_eq!(p.reach, Reach::Lagged);
        let p = parse_sip_row("SDO1   10.1.1.1   D  5060  UNREACHABLE").unwrap();
        assert_eq!(p.reach, Reach::Unreachable);
        let p = parse_sip_row("SDO1   10.1.1.1   D  5060  UNKNOWN").unwrap();
        assert_eq!(p.reach, Reach::Unqualified);
        let p = parse_sip_row("SDO1   (Unspecified)   D  0  Unmonitored").unwrap();
        assert_eq!((p.reach, p.monitored), (Reach::Unregistered, false));
        assert!(parse_sip_row("SDO1 10.1.1.1 D 5060 WHATEVER").is_none());
        assert!(parse_sip_row("garbage").is_none());
        assert!(parse_sip_row("SDO1 10.1.1.1 D 5060 OK (x ms)").is_none());
    }

    #[test]
    fn summaries() {
        assert_eq!(
            parse_sip_summary(
                "5 sip peers [Monitored: 2 online, 1 offline Unmonitored: 1 online, 1 offline]"
            ),
            Some(Summary::Monitored {
                total: 5,
                mon_online: 2,
                mon_offline: 1,
                unmon_online: 1,
                unmon_offline: 1
            })
        );
        assert_eq!(parse_sip_summary("5 sip peers [broken"), None);
    }

    #[test]
    fn a_row_that_disagrees_with_the_summary_is_reported() {
        let text = SEED.replace("38 sip peers [30 online", "39 sip peers [31 online");
        let listing = parse(&text).unwrap();
        let check = evaluate(&listing, &options());
        assert_eq!(check.state(), State::Warning);
        assert!(
            check.summary().contains("the summary says 39"),
            "{}",
            check.summary()
        );
    }

    #[test]
    fn garbled_and_cut_outputs_are_never_ok() {
        let text = SEED.replace(
            "SDO20009/SDO20009          10.113.105.160   D          2048     OK (41 ms)",
            "SDO20009/SDO20009   \u{7}#### ???",
        );
        let check = evaluate(&parse(&text).unwrap(), &options());
        // The row is not counted, so the summary disagrees too: WARNING, never OK.
        assert_eq!(check.state(), State::Warning);
        let out = check.render_text("P", 0);
        assert!(
            out.contains("[UNKNOWN] line 25 not understood: 'SDO20009/SDO20009   ?#### ???'"),
            "{out}"
        );
        let cut: String = SEED.lines().take(10).map(|l| format!("{l}\n")).collect();
        assert_eq!(
            evaluate(&parse(&cut).unwrap(), &options()).state(),
            State::Unknown
        );
        assert!(parse("").is_err());
        assert!(parse("hello\n").unwrap_err().contains("not a peer listing"));
    }

    #[test]
    fn required_peer_and_latency() {
        let text = "Name/username  Host  Dyn Nat ACL Port Status\n\
            NPA10001   192.0.2.9   D   5060   UNREACHABLE\n\
            SDO1       192.0.2.10  D   5060   OK (250 ms)\n\
            2 sip peers [Monitored: 1 online, 1 offline Unmonitored: 0 online, 0 offline]\n";
        let listing = parse(text).unwrap();
        assert_eq!(summary_disagreement(&listing), None);
        let mut o = options();
        o.required = vec!["NPA10001".into(), "NPA10002".into()];
        o.latency = Thresholds::new(Some("200".parse().unwrap()), Some("500".parse().unwrap()));
        o.offline = Thresholds::default();
        let check = evaluate(&listing, &o);
        assert_eq!(check.state(), State::Critical);
        let text = check.render_text("P", 0);
        assert!(
            text.contains("[CRITICAL] NPA10001 is unreachable (UNREACHABLE)"),
            "{text}"
        );
        assert!(text.contains("[CRITICAL] NPA10002 is not listed"), "{text}");
        assert!(
            text.contains("[WARNING] 1 peer over the latency limit, worst SDO1 250 ms"),
            "{text}"
        );
        assert!(text.contains("SDO1=250ms;200;500"), "{text}");
    }

    #[test]
    fn pjsip_contacts_and_endpoints() {
        let contacts = "\n  Contact:  <Aor/ContactUri..............................> <Hash....> <Status> <RTT(ms)..>\n\
            ==========================================================================================\n\n\
              Contact:  SDO1/sip:SDO1@10.0.0.1:5060                      a1b2c3d4e5 Avail        12.503\n\
              Contact:  SDO2/sip:SDO2@10.0.0.2:5060                      b1b2c3d4e5 Unavail         nan\n\
              Contact:  SDO2/sip:SDO2@10.0.0.3:5060                      c1b2c3d4e5 NonQual         nan\n\
            \nObjects found: 3\n";
        let listing = parse(contacts).unwrap();
        assert_eq!(listing.format, Format::PjsipContacts);
        assert!(listing.garbled.is_empty(), "{:?}", listing.garbled);
        assert_eq!(listing.peers[0].latency_ms, Some(12.503));
        assert_eq!(listing.peers[1].name, "SDO2#b1b2c3d4e5");
        assert_eq!(summary_disagreement(&listing), None);
        let endpoints = "\n Endpoint:  <Endpoint/CID.....................................>  <State.....>  <Channels.>\n\
            \x20   I/OAuth:  <AuthId/UserName...........................................................>\n\
            \x20       Aor:  <Aor............................................>  <MaxContact>\n\
            \x20     Contact:  <Aor/ContactUri..........................> <Hash....> <Status> <RTT(ms)..>\n\
            ==========================================================================================\n\n\
            \x20Endpoint:  SDO1/1001                                            Not in use    0 of inf\n\
            \x20       Aor:  SDO1                                               1\n\
            \x20     Contact:  SDO1/sip:SDO1@10.0.0.1:5060                  a1b2c3d4e5 Avail        12.503\n\
            \x20 Transport:  transport-udp             udp      0      0  0.0.0.0:5060\n\n\
            \x20Endpoint:  SDO2                                                 Unavailable   0 of inf\n\
            \x20       Aor:  SDO2                                               1\n\n\
            Objects found: 2\n";
        let listing = parse(endpoints).unwrap();
        assert_eq!(listing.format, Format::PjsipEndpoints);
        assert!(listing.garbled.is_empty(), "{:?}", listing.garbled);
        assert_eq!(listing.peers.len(), 2);
        assert_eq!(listing.peers[0].reach, Reach::Online);
        assert_eq!(listing.peers[1].reach, Reach::Unregistered);
        assert_eq!(
            parse("\n  Contact:  <Aor/ContactUri...> <Hash....> <Status> <RTT(ms)..>\n====\n\nNo objects found.\n")
                .unwrap()
                .summary,
            Some(Summary::Objects(0))
        );
    }
}
