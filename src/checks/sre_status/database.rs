//! The three *Server DB* sections of the global status (guide §2.1): the DB
//! status (exactly one master: none is no writer, two are a split brain), the
//! replication clients (each streaming, byte lag from its WAL positions) and
//! the activity (connections, and transactions left idle too long).

use super::parse::{Client, Connection};
use super::Options;
use crate::output::{one_line, plural, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::status::State;

/// *Server DB status*: exactly one master.
pub(super) fn judge_db(db: &[(String, String)]) -> Item {
    let masters: Vec<&str> = db
        .iter()
        .filter(|(_, s)| s.eq_ignore_ascii_case("master"))
        .map(|(h, _)| h.as_str())
        .collect();
    let mut item = match masters.as_slice() {
        [] => Item::new(State::Critical, "no writer: no DB server is master"),
        [one] => Item::new(State::Ok, format!("DB master {}", one_line(one))),
        many => Item::new(
            State::Critical,
            format!("split brain: {} are master", one_line(&many.join(", "))),
        ),
    };
    for (host, st) in db {
        item = item.detail(1, format!("{}: {}", one_line(host), one_line(st)));
    }
    item
}

/// *Server DB replication status*: every client streaming, its byte lag
/// against `--warning-lag-bytes`/`--critical-lag-bytes`, `--expect-clients`.
pub(super) fn judge_replication(clients: &[Client], options: &Options) -> Item {
    let mut children = Vec::new();
    let mut streaming = 0;
    let mut max_lag = 0u64;
    for client in clients {
        let name = one_line(&client.name);
        let label = format!(
            "lag_{}",
            if name.is_empty() {
                &client.address
            } else {
                &name
            }
        );
        let lag = match client.lag() {
            Ok(lag) => lag,
            Err(e) => {
                children.push(Item::new(State::Unknown, e));
                continue;
            }
        };
        let streaming_now = client.state == "streaming";
        streaming += usize::from(streaming_now);
        let state_item = if streaming_now {
            State::Ok
        } else {
            State::Warning
        };
        let mut item = match lag {
            Some(bytes) => {
                max_lag = max_lag.max(bytes);
                let judged = options.lag.judge(label, bytes as f64, Uom::Bytes);
                let state = judged.state.worst(state_item);
                let mut item =
                    judged.item(format!("{name} {} lag {bytes} B", one_line(&client.state)));
                item.state = state;
                item
            }
            None => Item::new(
                state_item,
                format!("{name} {} (no WAL positions)", one_line(&client.state)),
            ),
        };
        if !streaming_now {
            item.text = format!("{name} is {} (not streaming)", one_line(&client.state));
        }
        children.push(item.detail(1, format!("address {}", one_line(&client.address))));
    }
    let mut state = State::Ok;
    let mut text = format!(
        "{} of {} streaming, max lag {max_lag} B",
        streaming,
        plural(clients.len(), "replication client")
    );
    match options.expect_clients {
        Some(n) if clients.len() < n => {
            state = State::Critical;
            text = format!(
                "{} listed, {n} expected",
                plural(clients.len(), "replication client")
            );
        }
        None if clients.is_empty() => {
            state = State::Warning;
            text = "no replication client listed".to_string();
        }
        _ => {}
    }
    let mut item = Item::new(state, text);
    if state == State::Ok {
        if let Some(worst) = children
            .iter()
            .filter(|c| c.state != State::Ok)
            .max_by_key(|c| c.state.severity())
        {
            item.text = format!("replication: {}", worst.text);
        }
    }
    item.children = children;
    item
}

/// *Server DB activity*: the connection count and the connections idle in a
/// transaction longer than `--idle-in-transaction`.
pub(super) fn judge_activity(connections: &[Connection], options: &Options) -> Item {
    let count = connections.iter().filter(|c| !c.user.is_empty()).count();
    let judged = options
        .connections
        .judge("connections", count as f64, Uom::None);
    let mut long = Vec::new();
    for c in connections {
        if c.state.starts_with("idle in transaction") {
            if let Some(secs) = c.seconds.filter(|s| *s > options.idle_in_transaction) {
                long.push(Item::new(
                    State::Warning,
                    format!(
                        "pid {} ({}) idle in transaction for {}",
                        one_line(&c.pid),
                        one_line(&c.user),
                        crate::duration::human(secs)
                    ),
                ));
            }
        }
    }
    let idle = Perfdata::new("idle_in_transaction", long.len() as f64, Uom::None).min(0.0);
    let text = match (&judged.state, long.len()) {
        (_, 0) => format!(
            "{count} DB connections, none idle in transaction over {} s",
            crate::range::format_number(options.idle_in_transaction)
        ),
        (_, n) => format!(
            "{} idle in transaction over {} s",
            plural(n, "DB connection"),
            crate::range::format_number(options.idle_in_transaction)
        ),
    };
    let mut item = judged.item(text).perf(idle);
    if item.state != State::Ok {
        item.text = format!("{count} DB connections");
    }
    item.children = long;
    item
}
