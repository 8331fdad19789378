//! The guide's primary (`pg_is_in_recovery()` false): each client of
//! `pg_stat_replication`, the `--standby`s that must be connected,
//! `synchronous_standby_names`, the replication slots and the count of
//! streaming standbys against `--min-standbys`. Judged the same for one host
//! and for the primary of a cluster.

use super::lag::{judge_lag, lag_text, max_opt};
use super::{format_bytes, Client, Options, PrimaryView, Slot, DEFAULT_RECEIVER_NAME};
use crate::output::{plural, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::range::Range;
use crate::status::State;
use crate::threshold::Thresholds;

/// How many synchronous standbys `synchronous_standby_names` asks for:
/// `FIRST n (…)`, `ANY n (…)`, `n (…)`, else 1 (a plain list); 0 when empty.
pub fn synchronous_count(names: &str) -> u32 {
    let names = names.trim();
    if names.is_empty() {
        return 0;
    }
    let mut words = names
        .split(|c: char| c.is_whitespace() || c == '(')
        .filter(|w| !w.is_empty());
    let first = words.next().unwrap_or("");
    let number = if first.eq_ignore_ascii_case("first") || first.eq_ignore_ascii_case("any") {
        words.next()
    } else {
        Some(first)
    };
    let explicit = names.contains('(');
    match number.and_then(|n| n.parse::<u32>().ok()) {
        Some(n) if explicit => n,
        _ => 1,
    }
}

/// When `synchronous_standby_names` is set, commits wait for that many
/// standbys in sync state `sync` or `quorum`: fewer connected is CRITICAL.
fn judge_synchronous(view: &PrimaryView) -> Option<Item> {
    let wanted = synchronous_count(&view.synchronous_standby_names);
    if wanted == 0 {
        return None;
    }
    let sync: Vec<&str> = view
        .clients
        .iter()
        .filter(|c| matches!(c.sync_state.as_deref(), Some("sync" | "quorum")))
        .map(|c| c.application_name.as_str())
        .collect();
    let setting = &view.synchronous_standby_names;
    Some(if (sync.len() as u32) < wanted {
        Item::new(
            State::Critical,
            format!(
                "{} of {wanted} synchronous standbys connected: commits wait (synchronous_standby_names = '{setting}')",
                sync.len()
            ),
        )
    } else {
        Item::new(
            State::Ok,
            format!(
                "synchronous: {} (synchronous_standby_names = '{setting}')",
                sync.join(", ")
            ),
        )
    })
}

/// Stable names for a primary's clients: the application name when it is set,
/// not the default `walreceiver` and unique; else the client address when
/// unique; else both with the client port.
pub fn client_names(clients: &[Client]) -> Vec<String> {
    let count = |f: &dyn Fn(&Client) -> bool| clients.iter().filter(|c| f(c)).count();
    clients
        .iter()
        .map(|c| {
            let app = c.application_name.as_str();
            if !app.is_empty()
                && app != DEFAULT_RECEIVER_NAME
                && count(&|o: &Client| o.application_name == app) == 1
            {
                return app.to_string();
            }
            let addr = c.client_addr.clone().unwrap_or_else(|| "local".to_string());
            if count(&|o: &Client| o.client_addr.as_deref().unwrap_or("local") == addr) == 1 {
                return addr;
            }
            let app = if app.is_empty() { "client" } else { app };
            format!("{app}@{addr}:{}", c.client_port.unwrap_or(0))
        })
        .collect()
}

/// Does `wanted` (a `--standby` value) name this client?
fn names_client(wanted: &str, client: &Client) -> bool {
    client.application_name == wanted
        || client.client_addr.as_deref() == Some(wanted)
        || client.client_hostname.as_deref() == Some(wanted)
}

pub(super) fn streaming(client: &Client) -> bool {
    client.state.as_deref() == Some("streaming")
}

/// The items of a primary: its clients, missing `--standby`s, slots; the count
/// of streaming clients is checked against `--min-standbys`.
pub(super) struct PrimaryJudgement {
    /// "2 standbys streaming", with CRITICAL when below the minimum.
    pub(super) count: Item,
    streaming: usize,
    pub(super) clients: Vec<Item>,
    pub(super) slots: Vec<Item>,
    pub(super) max_bytes: Option<f64>,
    pub(super) max_seconds: Option<f64>,
}

impl PrimaryJudgement {
    /// `standbys`: clients streaming, with `--min-standbys` as the critical range `N:`.
    pub(super) fn standbys_perf(&self, opts: &Options) -> Perfdata {
        standbys_thresholds(opts)
            .judge("standbys", self.streaming as f64, Uom::None)
            .min(0.0)
            .perfdata
    }
}

/// `--min-standbys N` as the range `N:` of the `standbys` perfdata (the
/// count's item judges it, with its own text).
pub(super) fn standbys_thresholds(opts: &Options) -> Thresholds {
    Thresholds::new(
        None,
        opts.min_standbys.map(|min| Range::below(f64::from(min))),
    )
}

pub(super) fn judge_primary(
    view: &PrimaryView,
    opts: &Options,
    with_client_perf: bool,
) -> Result<PrimaryJudgement, String> {
    if view.clients.iter().any(|c| c.state.is_none()) {
        return Err(
            "pg_stat_replication details are hidden from this role: grant it pg_monitor".into(),
        );
    }
    let names = client_names(&view.clients);
    let mut clients = Vec::new();
    let mut max_bytes: Option<f64> = None;
    let mut max_seconds: Option<f64> = None;
    for (client, name) in view.clients.iter().zip(&names) {
        let bytes = client.replay_bytes.map(|b| b.max(0.0));
        let seconds = client.lag_seconds();
        max_bytes = max_opt(max_bytes, bytes);
        max_seconds = max_opt(max_seconds, seconds);
        let state_name = client.state.as_deref().unwrap_or("?");
        let sync = client.sync_state.as_deref().unwrap_or("?");
        let lag = judge_lag(opts, name, bytes, seconds);
        let mut state = lag.state;
        let mut text = format!(
            "{name} ({}): {state_name} {sync}, {}",
            client.describe_addr(),
            lag_text(bytes, seconds)
        );
        if !streaming(client) {
            state = state.worst(State::Warning);
            text = format!(
                "{name} ({}): {state_name}, not streaming",
                client.describe_addr()
            );
        }
        let f = |v: Option<f64>| v.map_or("?".to_string(), format_bytes);
        let mut item = Item::new(state, text).detail(
            1,
            format!(
                "behind the current WAL position: sent {}, written {}, flushed {}, replayed {}",
                f(client.sent_bytes),
                f(client.write_bytes),
                f(client.flush_bytes),
                f(client.replay_bytes)
            ),
        );
        item = item.detail(
            2,
            format!(
                "pid {}, slot {}, application_name '{}'",
                client.pid,
                client.slot_name.as_deref().unwrap_or("none"),
                client.application_name
            ),
        );
        if with_client_perf {
            for p in lag.perfdata {
                item = item.perf(p);
            }
        }
        clients.push(item);
    }
    for wanted in &opts.standbys {
        match view.clients.iter().find(|c| names_client(wanted, c)) {
            Some(_) => {}
            None => clients.push(Item::new(
                State::Critical,
                format!("standby {wanted} is not connected"),
            )),
        }
    }
    clients.extend(judge_synchronous(view));
    let slots = view.slots.iter().map(|s| judge_slot(s, opts)).collect();
    let count_streaming = view.clients.iter().filter(|c| streaming(c)).count();
    let count_text = format!("{} streaming", plural(count_streaming, "standby"));
    let count = match opts.min_standbys {
        Some(min) if (count_streaming as u32) < min => Item::new(
            State::Critical,
            format!("only {count_streaming} of at least {min} standbys streaming"),
        ),
        _ => Item::new(State::Ok, count_text),
    };
    Ok(PrimaryJudgement {
        count,
        streaming: count_streaming,
        clients,
        slots,
        max_bytes,
        max_seconds,
    })
}

fn judge_slot(slot: &Slot, opts: &Options) -> Item {
    let retained = slot.retained_bytes.map(|b| b.max(0.0));
    let label = format!("slot_retained_{}", slot.name);
    let (mut state, perf) = match retained {
        Some(b) => {
            let judged = opts.retained.judge(label, b, Uom::Bytes).min(0.0);
            (judged.state, judged.perfdata)
        }
        None => (
            State::Ok,
            opts.retained.unmeasured(label, Uom::Bytes).min(0.0),
        ),
    };
    let mut problems = Vec::new();
    if !slot.active {
        state = state.worst(opts.inactive_slot);
        problems.push("inactive".to_string());
    }
    match slot.wal_status.as_deref() {
        Some("lost") => {
            state = State::Critical;
            problems.push("WAL lost: the standby must be rebuilt".to_string());
        }
        Some("unreserved") => {
            state = state.worst(State::Warning);
            problems.push("WAL about to be removed (unreserved)".to_string());
        }
        _ => {}
    }
    let active = if slot.active { "active" } else { "inactive" };
    let text = format!(
        "slot {} ({}) {}, retains {}{}",
        slot.name,
        slot.slot_type,
        active,
        retained.map_or("?".to_string(), format_bytes),
        if problems.len() > usize::from(!slot.active) {
            format!(", {}", problems.last().cloned().unwrap_or_default())
        } else {
            String::new()
        }
    );
    Item::new(state, text).perf(perf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::pg_repl::tests::client;

    #[test]
    fn synchronous_standby_names_counts() {
        assert_eq!(synchronous_count(""), 0);
        assert_eq!(synchronous_count("em2"), 1);
        assert_eq!(synchronous_count("em2, cp1"), 1);
        assert_eq!(synchronous_count("*"), 1);
        assert_eq!(synchronous_count("2 (em2, cp1, cp2)"), 2);
        assert_eq!(synchronous_count("FIRST 2 (em2, cp1)"), 2);
        assert_eq!(synchronous_count("ANY 3 (em2,cp1,cp2)"), 3);
        assert_eq!(synchronous_count("any 1(\"em2\")"), 1);
    }

    #[test]
    fn client_names_are_stable_and_unique() {
        let mut clients = vec![
            client("em2", "10.0.0.2", 0.0, None),
            client("walreceiver", "10.0.0.3", 0.0, None),
            client("walreceiver", "10.0.0.4", 0.0, None),
            client("dup", "10.0.0.5", 0.0, None),
            client("dup", "10.0.0.5", 0.0, None),
        ];
        clients[4].client_port = Some(40999);
        assert_eq!(
            client_names(&clients),
            [
                "em2",
                "10.0.0.3",
                "10.0.0.4",
                "dup@10.0.0.5:40814",
                "dup@10.0.0.5:40999"
            ]
        );
    }
}
