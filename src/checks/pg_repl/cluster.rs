//! Cluster mode (several `-H` hosts): exactly one primary (no writer and split
//! brain are CRITICAL), a server given twice judged once, and every other host
//! a streaming standby that the primary lists in `pg_stat_replication`, found
//! by [`match_standby`]'s rule. The guide's cluster checks, apart from what a
//! single host's judgement already says.

use super::lag::{judge_lag, lag_item, lag_text, max_opt};
use super::primary::{judge_primary, standbys_thresholds, streaming};
use super::standby::judge_standby;
use super::{
    client_names, Client, HostSpec, Options, PrimaryView, Probe, Role, View, DEFAULT_RECEIVER_NAME,
};
use crate::output::{plural, Check, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::status::State;
use crate::threshold::Thresholds;

/// What the cluster-mode matching knows about a standby host.
#[derive(Debug, Clone, Default)]
pub struct StandbyIdentity<'a> {
    /// The standby's WAL receiver slot.
    pub slot: Option<&'a str>,
    /// The application name it connects with.
    pub application_name: &'a str,
    /// The addresses the host name resolved to when we contacted it.
    pub addresses: &'a [String],
}

/// Finds a standby among the primary's clients. The rule, first that applies:
/// 1. its WAL receiver's replication slot is the slot the client's walsender
///    holds (slot names are unique on a primary);
/// 2. its application name (`application_name` in `primary_conninfo`, else
///    `cluster_name`) equals the client's, when that name is not the default
///    `walreceiver` and no other client has it;
/// 3. exactly one client comes from an address the standby's host name resolves
///    to (when several do, the one that reports a replay position: a base
///    backup or `pg_receivewal` from the same machine replays nothing).
///
/// A standby that no rule finds is not streaming from this primary.
pub fn match_standby(clients: &[Client], who: &StandbyIdentity) -> Option<usize> {
    if let Some(slot) = who.slot {
        if let Some(i) = clients
            .iter()
            .position(|c| c.slot_name.as_deref() == Some(slot))
        {
            return Some(i);
        }
    }
    let app = who.application_name;
    if !app.is_empty() && app != DEFAULT_RECEIVER_NAME {
        let same: Vec<usize> = (0..clients.len())
            .filter(|&i| clients[i].application_name == app)
            .collect();
        if same.len() == 1 {
            return Some(same[0]);
        }
    }
    let mut from: Vec<usize> = (0..clients.len())
        .filter(|&i| {
            clients[i]
                .client_addr
                .as_ref()
                .is_some_and(|a| who.addresses.contains(a))
        })
        .collect();
    if from.len() > 1 {
        // A base backup or pg_receivewal from the same machine replays nothing.
        from.retain(|&i| clients[i].replay_bytes.is_some());
    }
    (from.len() == 1).then(|| from[0])
}

/// A host in cluster mode: what we know of it beyond the probe.
#[derive(Debug, Clone)]
pub struct ClusterHost {
    pub spec: HostSpec,
    pub probe: Probe,
    /// The addresses the host name resolved to (for the address matching rule).
    pub addresses: Vec<String>,
}

/// Gives a host item the text of its worst children, so the summary says what is wrong.
fn host_item(label: &str, ok_text: String, children: Vec<Item>) -> Item {
    let worst = State::worst_of(children.iter().map(Item::effective_state));
    let text = if worst == State::Ok {
        format!("{label}: {ok_text}")
    } else {
        let bad: Vec<&str> = children
            .iter()
            .filter(|c| c.effective_state() == worst)
            .map(|c| c.text.as_str())
            .collect();
        format!("{label}: {}", bad.join("; "))
    };
    let mut item = Item::new(State::Ok, text);
    item.children = children;
    item
}

/// Judges several hosts as one cluster: the writers, each standby host, then
/// the primary (or primaries) with the clients no host accounts for.
pub fn evaluate_cluster(hosts: &[ClusterHost], opts: &Options) -> Check {
    let mut check = Check::new();
    let alias_of = aliases(hosts);
    let primaries: Vec<usize> = (0..hosts.len())
        .filter(|&i| alias_of[i].is_none())
        .filter(|&i| matches!(&hosts[i].probe, Probe::Reached(n) if n.role() == Role::Primary))
        .collect();
    // Judged by writer_problem, with its text; the range says the same.
    let one_writer = Thresholds::new(None, Some("1:1".parse().expect("a valid range")));
    check.perf(
        one_writer
            .judge("primaries", primaries.len() as f64, Uom::None)
            .min(0.0)
            .perfdata,
    );
    if let Some(item) = writer_problem(hosts, &primaries) {
        check.item(item);
    }
    let standbys = judge_standby_hosts(hosts, &alias_of, the_primary(hosts, &primaries), opts);
    let (primary_items, standbys_perf) =
        judge_primary_hosts(hosts, &primaries, &standbys.matched_clients, opts);
    check.perf(standbys_perf.unwrap_or_else(|| {
        // No single primary to count them: the label stays, without a value.
        standbys_thresholds(opts)
            .unmeasured("standbys", Uom::None)
            .min(0.0)
    }));
    for p in standbys.lag_perf {
        check.perf(p);
    }
    let mut host_items = standbys.items;
    host_items.extend(primary_items);
    host_items.sort_by_key(|(i, _)| *i);
    for (_, item) in host_items {
        check.item(item);
    }
    if let [p] = primaries.as_slice() {
        check.ok_summary(format!(
            "primary {}, {} of {} streaming, max {}",
            hosts[*p].spec.given,
            standbys.streaming,
            plural(
                alias_of.iter().filter(|a| a.is_none()).count() - 1,
                "standby"
            ),
            lag_text(standbys.max_bytes, standbys.max_seconds)
        ));
    }
    check
}

/// A server given twice (a VIP and its host: the same start time) is judged
/// once, under its first name: for each host, the earlier host it repeats.
fn aliases(hosts: &[ClusterHost]) -> Vec<Option<usize>> {
    let started = |i: usize| match &hosts[i].probe {
        Probe::Reached(n) => n.started.as_deref(),
        Probe::Failed { .. } => None,
    };
    (0..hosts.len())
        .map(|i| {
            let mine = started(i)?;
            (0..i).find(|&j| started(j) == Some(mine))
        })
        .collect()
}

/// Exactly one writer: none (saying why) or several (split brain) is CRITICAL.
fn writer_problem(hosts: &[ClusterHost], primaries: &[usize]) -> Option<Item> {
    let unreachable = hosts
        .iter()
        .filter(|h| matches!(h.probe, Probe::Failed { .. }))
        .count();
    match primaries.len() {
        0 => {
            let why = if unreachable == hosts.len() {
                format!("no writer: none of the {} hosts is reachable", hosts.len())
            } else if unreachable > 0 {
                format!(
                    "no writer: no primary among the {} reachable hosts",
                    hosts.len() - unreachable
                )
            } else {
                format!("no writer: none of the {} hosts is a primary", hosts.len())
            };
            Some(Item::new(State::Critical, why))
        }
        1 => None,
        _ => {
            let names: Vec<&str> = primaries
                .iter()
                .map(|&i| hosts[i].spec.given.as_str())
                .collect();
            Some(Item::new(
                State::Critical,
                format!(
                    "split brain: {} primaries: {}",
                    primaries.len(),
                    names.join(", ")
                ),
            ))
        }
    }
}

/// The one primary's clients, which standby hosts must be found among.
fn the_primary<'a>(
    hosts: &'a [ClusterHost],
    primaries: &[usize],
) -> Option<(usize, &'a PrimaryView)> {
    match primaries {
        [p] => match &hosts[*p].probe {
            Probe::Reached(node) => match &node.view {
                // Hidden details (no pg_monitor) are reported on the primary's
                // line; the standbys are then judged on their own.
                View::Primary(v) if v.clients.iter().all(|c| c.state.is_some()) => Some((*p, v)),
                View::Primary(_) | View::Standby(_) => None,
            },
            Probe::Failed { .. } => None,
        },
        _ => None,
    }
}

/// What the hosts other than the primaries say, together.
struct StandbyHosts {
    /// One item per host that is not a primary: aliases and failures too.
    items: Vec<(usize, Item)>,
    /// The primary's clients that are cluster hosts (reported under them).
    matched_clients: Vec<usize>,
    /// Hosts streaming, as both the standby and the primary see it.
    streaming: usize,
    max_bytes: Option<f64>,
    max_seconds: Option<f64>,
    /// Every standby's lag labels, `U` for a host that cannot be asked.
    lag_perf: Vec<Perfdata>,
}

/// Each standby host: its own view, and, with one primary, the primary's view
/// of it (it must be listed; its lag is the larger of the two views).
fn judge_standby_hosts(
    hosts: &[ClusterHost],
    alias_of: &[Option<usize>],
    the_primary: Option<(usize, &PrimaryView)>,
    opts: &Options,
) -> StandbyHosts {
    let mut out = StandbyHosts {
        items: Vec::new(),
        matched_clients: Vec::new(),
        streaming: 0,
        max_bytes: None,
        max_seconds: None,
        lag_perf: Vec::new(),
    };
    for (i, host) in hosts.iter().enumerate() {
        let label = host.spec.address();
        if let Some(j) = alias_of[i] {
            out.items.push((
                i,
                Item::new(
                    State::Unknown,
                    format!(
                        "{label}: the same server as {} (same start time): give each server once",
                        hosts[j].spec.address()
                    ),
                ),
            ));
            continue;
        }
        let node = match &host.probe {
            Probe::Failed { state, reason } => {
                out.items.push((i, Item::new(*state, reason.clone())));
                // Not a primary as far as we know: keep its standby labels for the graphs.
                out.lag_perf
                    .extend(judge_lag(opts, &host.spec.given, None, None).perfdata);
                continue;
            }
            Probe::Reached(node) => node,
        };
        let View::Standby(view) = &node.view else {
            continue;
        };
        let judged = match judge_standby(view) {
            Ok(j) => j,
            Err(reason) => {
                out.items
                    .push((i, Item::new(State::Unknown, format!("{label}: {reason}"))));
                out.lag_perf
                    .extend(judge_lag(opts, &host.spec.given, None, None).perfdata);
                continue;
            }
        };
        let mut children = vec![judged.receiver.clone()];
        let mut bytes = judged.bytes;
        let mut seconds = judged.seconds;
        if let Some((p, pview)) = the_primary {
            let who = StandbyIdentity {
                slot: view.receiver_slot.as_deref(),
                application_name: &view.application_name,
                addresses: &host.addresses,
            };
            match match_standby(&pview.clients, &who) {
                Some(c) => {
                    out.matched_clients.push(c);
                    let client = &pview.clients[c];
                    // The primary sees WAL the standby has not even received yet.
                    bytes = max_opt(bytes, client.replay_bytes.map(|b| b.max(0.0)));
                    seconds = max_opt(seconds, client.lag_seconds());
                    let name = &client_names(&pview.clients)[c];
                    let state_name = client.state.as_deref().unwrap_or("?");
                    if streaming(client) && judged.receiver.state == State::Ok {
                        out.streaming += 1;
                    }
                    children.push(
                        Item::new(
                            if streaming(client) { State::Ok } else { State::Warning },
                            format!("{state_name} to {} as {name}", hosts[p].spec.address()),
                        )
                        .detail(1, format!("{} ({})", client.sync_state.as_deref().unwrap_or("?"), client.describe_addr())),
                    );
                }
                None => children.push(Item::new(
                    State::Critical,
                    format!(
                        "not among the standbys of primary {} (matched by slot, application_name or address)",
                        hosts[p].spec.address()
                    ),
                )),
            }
        }
        out.max_bytes = max_opt(out.max_bytes, bytes);
        out.max_seconds = max_opt(out.max_seconds, seconds);
        let lag = judge_lag(opts, &host.spec.given, bytes, seconds);
        children.push(lag_item(&lag, bytes, seconds, view.paused));
        out.lag_perf.extend(lag.perfdata);
        let ok_text = format!(
            "standby {}, replay {}",
            judged.receiver.text,
            lag_text(bytes, seconds)
        );
        let item =
            host_item(&label, ok_text, children).detail(1, format!("PostgreSQL {}", node.version));
        out.items.push((i, item));
    }
    out
}

/// Each primary's line: its streaming count, slots and the clients that are
/// not cluster hosts (those are reported under their host). With one primary,
/// also its `standbys` perfdata.
fn judge_primary_hosts(
    hosts: &[ClusterHost],
    primaries: &[usize],
    matched_clients: &[usize],
    opts: &Options,
) -> (Vec<(usize, Item)>, Option<Perfdata>) {
    let mut items = Vec::new();
    let mut standbys_perf = None;
    for &p in primaries {
        let Probe::Reached(node) = &hosts[p].probe else {
            continue;
        };
        let View::Primary(view) = &node.view else {
            continue;
        };
        let label = hosts[p].spec.address();
        let judged = match judge_primary(view, opts, false) {
            Ok(j) => j,
            Err(reason) => {
                items.push((p, Item::new(State::Unknown, format!("{label}: {reason}"))));
                continue;
            }
        };
        if primaries.len() == 1 {
            standbys_perf = Some(judged.standbys_perf(opts));
        }
        let mut children = vec![judged.count.clone()];
        // Clients that are cluster hosts are reported under their host; the others here.
        for (c, item) in judged.clients.into_iter().enumerate() {
            if !(primaries.len() == 1 && matched_clients.contains(&c)) {
                children.push(item);
            }
        }
        children.extend(judged.slots);
        let ok_text = format!("primary, {}", judged.count.text);
        let item =
            host_item(&label, ok_text, children).detail(1, format!("PostgreSQL {}", node.version));
        items.push((p, item));
    }
    (items, standbys_perf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::pg_repl::tests::client;

    #[test]
    fn matching_rule_slot_then_name_then_address() {
        let mut clients = vec![
            client("walreceiver", "10.0.0.2", 0.0, None),
            client("em3", "10.0.0.3", 0.0, None),
            client("walreceiver", "10.0.0.9", 0.0, None),
        ];
        clients[2].slot_name = Some("cp1_slot".into());
        let who = |slot, app, addrs: &'static [String]| StandbyIdentity {
            slot,
            application_name: app,
            addresses: addrs,
        };
        // By slot, even from an address we do not know (a replication network).
        assert_eq!(
            match_standby(&clients, &who(Some("cp1_slot"), "walreceiver", &[])),
            Some(2)
        );
        // By a configured application name.
        assert_eq!(match_standby(&clients, &who(None, "em3", &[])), Some(1));
        // The default name says nothing; the address decides.
        static ADDR: std::sync::LazyLock<Vec<String>> =
            std::sync::LazyLock::new(|| vec!["10.0.0.2".to_string()]);
        assert_eq!(
            match_standby(&clients, &who(None, "walreceiver", &ADDR)),
            Some(0)
        );
        assert_eq!(
            match_standby(&clients, &who(None, "walreceiver", &[])),
            None
        );
        assert_eq!(
            match_standby(&clients, &who(Some("gone"), "em9", &[])),
            None
        );
    }
}
