//! One host (`-H` naming one server): its role against `--role`, then the
//! primary's or the standby's judgement with its perfdata.

use super::lag::{judge_lag, lag_item, lag_text};
use super::primary::judge_primary;
use super::standby::judge_standby;
use super::{HostSpec, Node, Options, Probe, View};
use crate::output::{Check, Item};
use crate::status::State;

fn role_mismatch(node: &Node, opts: &Options) -> Option<Item> {
    let expected = opts.role?;
    (node.role() != expected).then(|| {
        Item::new(
            State::Critical,
            format!(
                "is a {}, expected a {} (a failover happened?)",
                node.role().name(),
                expected.name()
            ),
        )
    })
}

/// Judges one host.
pub fn evaluate_single(host: &HostSpec, probe: &Probe, opts: &Options) -> Check {
    let node = match probe {
        Probe::Reached(node) => node,
        Probe::Failed { state, reason } => return Check::failed(*state, reason.clone()),
    };
    let mut check = Check::new();
    if let Some(item) = role_mismatch(node, opts) {
        check.item(item);
    }
    let version = format!("PostgreSQL {}", node.version);
    match &node.view {
        View::Primary(view) => {
            let judged = match judge_primary(view, opts, true) {
                Ok(j) => j,
                Err(reason) => {
                    return Check::failed(State::Unknown, format!("{}: {reason}", host.address()))
                }
            };
            check.perf(judged.standbys_perf(opts));
            check.ok_summary(if view.clients.is_empty() {
                format!("primary, {}", judged.count.text)
            } else {
                format!(
                    "primary, {}, max {}",
                    judged.count.text,
                    lag_text(judged.max_bytes, judged.max_seconds)
                )
            });
            check.item(
                judged
                    .count
                    .detail(1, format!("{} is a primary ({version})", host.address())),
            );
            for item in judged.clients.into_iter().chain(judged.slots) {
                check.item(item);
            }
        }
        View::Standby(view) => {
            let judged = match judge_standby(view) {
                Ok(j) => j,
                Err(reason) => {
                    return Check::failed(State::Unknown, format!("{}: {reason}", host.address()))
                }
            };
            check.ok_summary(format!(
                "standby {}, replay {}",
                judged.receiver.text,
                lag_text(judged.bytes, judged.seconds)
            ));
            check.item(
                judged
                    .receiver
                    .detail(1, format!("{} is a standby ({version})", host.address())),
            );
            let lag = judge_lag(opts, &host.given, judged.bytes, judged.seconds);
            let mut item = lag_item(&lag, judged.bytes, judged.seconds, view.paused);
            for p in lag.perfdata {
                item = item.perf(p);
            }
            check.item(item);
        }
    }
    check
}
