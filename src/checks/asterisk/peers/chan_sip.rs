//! chan_sip's `sip show peers [like PATTERN]`: a header starting
//! `Name/username`, one row per peer and a summary line: `38 sip peers [30
//! online , 8 offline]` (the seed's, Asterisk 1.2 style) or `N sip peers
//! [Monitored: a online, b offline Unmonitored: c online, d offline]` (1.4 and
//! later).
//!
//! The columns differ between versions (1.4: Dyn Nat ACL Port Status; 1.8+:
//! Dyn Forcerport Comedia ACL Port Status Description, where Forcerport may
//! read `Auto (No)`), so a row is read as: name, host, then flags up to the
//! first number (the port), then the status: `OK (N ms)`, `LAGGED (N ms)`,
//! `UNREACHABLE`, `UNKNOWN` or `Unmonitored`. A peer with host
//! `(Unspecified)` has never registered.

use super::{parse_u64, Format, Listing, Peer, Reach, Summary};
use crate::checks::asterisk::quote;

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

pub(super) fn parse_chan_sip(lines: &[&str], header: usize) -> Listing {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
