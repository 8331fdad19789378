//! How a peer listing is judged, part by part as the guide's quick check list
//! reads it: the listing itself (lines not understood, the summary line against
//! the rows), the peers offline (`-w`/`-c`, as a count or a share), LAGGED
//! peers, every answering peer's latency, and the peers that must be reachable
//! (`--peer`, e.g. the net.Console availability peer `NPA10001`).

use super::{Format, Listing, Peer, Reach, Summary};
use crate::checks::asterisk::{label, some_names};
use crate::output::{plural, Check, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::status::State;
use crate::threshold::Thresholds;
use std::collections::HashSet;

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
    let like = match &options.like {
        Some(like) => format!(" like '{like}'"),
        None => String::new(),
    };
    judge_listing(&mut check, listing);

    let unregistered = count(peers, Reach::Unregistered);
    let parts = reach_parts(peers);
    judge_offline(&mut check, peers, options, &like, &parts);
    for peer in peers.iter().filter(|p| p.reach == Reach::Lagged) {
        check.item(Item::new(
            options.lagged,
            format!("{} {}", peer.name, peer.status),
        ));
    }
    let worst = judge_latency(&mut check, peers, options);
    judge_required(&mut check, peers, options);

    check
        .perf(Perfdata::new("peers", total as f64, Uom::None).min(0.0))
        .perf(
            Perfdata::new(
                "online",
                (count(peers, Reach::Online) + count(peers, Reach::Lagged)) as f64,
                Uom::None,
            )
            .min(0.0),
        )
        .perf(Perfdata::new("lagged", count(peers, Reach::Lagged) as f64, Uom::None).min(0.0))
        .perf(Perfdata::new("unregistered", unregistered as f64, Uom::None).min(0.0))
        .perf(
            Perfdata::new(
                "unmonitored",
                count(peers, Reach::Unmonitored) as f64,
                Uom::None,
            )
            .min(0.0),
        );

    let mut summary = if total == 0 {
        format!("no peers{like}")
    } else {
        format!("{}: {}", peers_like(total, &like), parts.join(", "))
    };
    if let Some((peer, ms)) = worst {
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

/// How many peers are in `reach`.
fn count(peers: &[Peer], reach: Reach) -> usize {
    peers.iter().filter(|p| p.reach == reach).count()
}

/// The names of the peers `f` picks, in listing order.
fn names(peers: &[Peer], f: &dyn Fn(&Peer) -> bool) -> Vec<String> {
    peers
        .iter()
        .filter(|p| f(p))
        .map(|p| p.name.clone())
        .collect()
}

/// "1 peer like 'SDO'", "38 peers like 'SDO'".
fn peers_like(n: usize, like: &str) -> String {
    format!("{}{like}", plural(n, "peer"))
}

/// "30 online, 8 never registered": the online figure, then each other reach
/// that some peer has.
fn reach_parts(peers: &[Peer]) -> Vec<String> {
    let mut parts = vec![format!(
        "{} online",
        count(peers, Reach::Online) + count(peers, Reach::Lagged)
    )];
    for reach in [
        Reach::Lagged,
        Reach::Unreachable,
        Reach::Unqualified,
        Reach::Unregistered,
        Reach::Unmonitored,
    ] {
        if count(peers, reach) > 0 {
            parts.push(format!("{} {}", count(peers, reach), reach.describe()));
        }
    }
    parts
}

/// The listing itself: lines not understood (UNKNOWN), no summary line (cut
/// short: UNKNOWN), a summary that the rows contradict (WARNING).
fn judge_listing(check: &mut Check, listing: &Listing) {
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
}

/// The peers offline against `-w`/`-c` (their number, or their share with
/// `--percent`); no peers at all is a WARNING (configuration not loaded?).
fn judge_offline(
    check: &mut Check,
    peers: &[Peer],
    options: &Options,
    like: &str,
    parts: &[String],
) {
    let total = peers.len();
    let offline_names = names(peers, &|p| options.offline(p.reach));
    let offline = offline_names.len();
    let unregistered = count(peers, Reach::Unregistered);
    if total == 0 {
        check.item(Item::new(
            State::Warning,
            format!("no peers{like}: Asterisk lists none (configuration not loaded?)"),
        ));
        return;
    }
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
        format!("{}: {}", peers_like(total, like), parts.join(", "))
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
            peers_like(total, like),
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
                some_names(&names(peers, &|p| p.reach == Reach::Unregistered), 10)
            ),
        );
    }
    check.item(item);
}

/// Latency: every answering peer judged; the worst named. Returns the worst
/// peer and its latency in ms, for the OK summary.
fn judge_latency<'a>(
    check: &mut Check,
    peers: &'a [Peer],
    options: &Options,
) -> Option<(&'a Peer, f64)> {
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
    let (peer, ms, state) = worst?;
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
    Some((peer, ms))
}

/// `--peer NAME`: each must be listed and reachable (a PJSIP contact
/// `NAME#HASH` counts for NAME); LAGGED takes the `--lagged-state`.
fn judge_required(check: &mut Check, peers: &[Peer], options: &Options) {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::asterisk::peers::parse;

    const SEED: &str =
        include_str!("../../../../examples/asterisk/1.4/sip-show-peers-like-SDO.txt");

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
}
