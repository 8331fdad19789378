//! res_pjsip's `pjsip show contacts` and `pjsip show endpoints`:
//! `Contact:  AOR/URI HASH STATUS RTT` rows (status Avail, Unavail, Unknown,
//! NonQual, Removed; RTT in ms or `nan`), and for endpoints `Endpoint:
//! NAME[/CID]  STATE  N of M` rows followed by their own Aor and Contact rows;
//! the listing ends with `Objects found: N` or reads `No objects found.`.
//! An endpoint is as reachable as its best contact.

use super::{parse_u64, Format, Listing, Peer, Reach, Summary};
use crate::checks::asterisk::quote;

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

pub(super) fn parse_pjsip(lines: &[&str], header: usize, format: Format) -> Listing {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::asterisk::peers::{parse, summary_disagreement};

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
