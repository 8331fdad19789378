//! MongoDB replica set health (the SRE's call admission control database,
//! seed 000 §2.7): "There should be only one PRIMARY node and several SECONDARY
//! nodes. Optionally, there may be one or more ARBITER nodes. No nodes should be
//! in other states… The fields `lastAppliedWallTime` and `lastHeartbeat` should
//! be recent for all members."
//!
//! The evaluation is pure: a `replSetGetStatus` document (Extended JSON, as
//! `serde_json::Value`, relaxed or canonical) and optionally the set's
//! configuration (`replSetGetConfig`, for the members' configured delays) in,
//! a [`Check`] out. The documents come from the driver ([`client`], behind the
//! `mongodb` feature) or from a captured output ([`parse_input`]: Extended JSON
//! or the shells' print form, see [`shell`]).
//!
//! Times are measured against the status document's own `date` (the server's
//! clock at the moment of the status), never the monitoring host's clock: clock
//! skew between hosts cannot fake an alarm, and a captured status is judged as
//! it was when captured.

#[cfg(feature = "mongodb")]
pub mod client;
mod ejson;
pub mod shell;
mod status;

use crate::duration::human;
use crate::output::{plural, Check, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::runner::Failure;
use crate::status::State;
use crate::threshold::Thresholds;
use serde_json::Value;
use std::collections::HashMap;

pub use ejson::{date_ms, format_double, number, parse_iso_date, timestamp_secs};
pub use status::{
    parse_config, parse_input, parse_status, state_name, Member, MemberConfig, Status,
};

/// Member states that are not a problem: the guide's PRIMARY, SECONDARY, ARBITER.
const GOOD_STATES: [&str; 3] = ["PRIMARY", "SECONDARY", "ARBITER"];

/// The states `--warn-state` can downgrade to WARNING.
pub const OTHER_STATES: [&str; 7] = [
    "STARTUP",
    "STARTUP2",
    "RECOVERING",
    "ROLLBACK",
    "DOWN",
    "UNKNOWN",
    "REMOVED",
];

/// What the evaluation is asked to judge.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--members N`: fewer is CRITICAL, more is WARNING.
    pub expected_members: Option<usize>,
    /// `--warn-state`: these states are WARNING instead of CRITICAL (upper case).
    pub warn_states: Vec<String>,
    /// Replication lag of each secondary in seconds, after its configured delay.
    pub lag: Thresholds,
    /// Age of each remote member's `lastHeartbeat` in seconds.
    pub heartbeat: Thresholds,
    /// Age of the primary's `lastAppliedWallTime` in seconds.
    pub applied: Thresholds,
    /// `--delay NAME=SECONDS`: a member's configured delay, overriding the config.
    pub delays: Vec<(String, f64)>,
    /// `--replica-set NAME`: the set name the status must carry.
    pub replica_set: Option<String>,
}

/// A problem for the summary line: its state and a short phrase.
struct Problems(Vec<(State, String)>);

impl Problems {
    fn add(&mut self, state: State, phrase: String) {
        if state != State::Ok {
            self.0.push((state, phrase));
        }
    }

    /// The worst problems' phrases, cut after about 80 characters.
    fn summary(&self) -> Option<String> {
        let worst = State::worst_of(self.0.iter().map(|(s, _)| *s));
        let phrases: Vec<&str> = self
            .0
            .iter()
            .filter(|(s, _)| *s == worst)
            .map(|(_, p)| p.as_str())
            .collect();
        let mut summary = String::new();
        for (shown, phrase) in phrases.iter().enumerate() {
            if !summary.is_empty() && summary.len() + phrase.len() + 2 > 80 {
                summary.push_str(&format!(" and {} more", phrases.len() - shown));
                break;
            }
            if !summary.is_empty() {
                summary.push_str(", ");
            }
            summary.push_str(phrase);
        }
        (!summary.is_empty()).then_some(summary)
    }
}

fn secs(from_ms: i64, to_ms: i64) -> f64 {
    (to_ms - from_ms) as f64 / 1000.0
}

/// Rounds to milliseconds for perfdata.
fn ms_round(s: f64) -> f64 {
    (s * 1000.0).round() / 1000.0
}

/// Judges a status document, with the set's configuration when it could be read.
pub fn evaluate(
    status: &Value,
    config: Option<&Value>,
    options: &Options,
) -> Result<Check, Failure> {
    let status = parse_status(status)?;
    let config = config.map(parse_config).unwrap_or_default();
    Ok(judge(&status, &config, options))
}

fn judge(status: &Status, config: &HashMap<String, MemberConfig>, options: &Options) -> Check {
    let mut check = Check::new();
    let mut problems = Problems(Vec::new());
    let now = status.date_ms;
    let set = status.set.as_deref().unwrap_or("replica set");

    // The set's name, when the caller says which set this must be.
    if let Some(expected) = &options.replica_set {
        let (state, text) = match &status.set {
            Some(name) if name == expected => (State::Ok, format!("replica set {name}")),
            Some(name) => (
                State::Critical,
                format!("replica set is {name}, expected {expected}"),
            ),
            None => (
                State::Critical,
                format!("no set name in the status, expected {expected}"),
            ),
        };
        problems.add(state, text.clone());
        check.item(Item::new(state, text));
    }

    // Counts by state (healthy members only; anything else is "other").
    let count = |state: &str| {
        status
            .members
            .iter()
            .filter(|m| m.healthy && m.state == state)
            .count()
    };
    let (primaries, secondaries, arbiters) =
        (count("PRIMARY"), count("SECONDARY"), count("ARBITER"));
    let others = status.members.len() - primaries - secondaries - arbiters;
    check
        .perf(Perfdata::new("members", status.members.len() as f64, Uom::None).min(0.0))
        .perf(Perfdata::new("primary", primaries as f64, Uom::None).min(0.0))
        .perf(Perfdata::new("secondary", secondaries as f64, Uom::None).min(0.0))
        .perf(Perfdata::new("arbiter", arbiters as f64, Uom::None).min(0.0))
        .perf(Perfdata::new("other", others as f64, Uom::None).min(0.0));

    // Member count.
    if let Some(expected) = options.expected_members {
        let n = status.members.len();
        let state = match n.cmp(&expected) {
            std::cmp::Ordering::Less => State::Critical,
            std::cmp::Ordering::Greater => State::Warning,
            std::cmp::Ordering::Equal => State::Ok,
        };
        let text = if state == State::Ok {
            format!("{} (as expected)", plural(n, "member"))
        } else {
            format!("{}, expected {expected}", plural(n, "member"))
        };
        problems.add(state, text.clone());
        check.item(Item::new(state, text));
    }

    // The primary: exactly one. Lag is measured from it; with none (an election)
    // or two, from the most advanced member, as rs.printSecondaryReplicationInfo does.
    let primaries: Vec<&Member> = status
        .members
        .iter()
        .filter(|m| m.healthy && m.state == "PRIMARY")
        .collect();
    let reference = primaries
        .iter()
        .filter_map(|m| m.optime_ms.map(|t| (t, *m)))
        .max_by_key(|(t, _)| *t)
        .or_else(|| {
            status
                .members
                .iter()
                .filter(|m| m.healthy && m.state == "SECONDARY")
                .filter_map(|m| m.optime_ms.map(|t| (t, m)))
                .max_by_key(|(t, _)| *t)
        });
    let applied_label = "primary_applied_age";
    let primary_item = match primaries.as_slice() {
        [] => {
            problems.add(State::Critical, "no primary".into());
            let mut item = Item::new(State::Critical, format!("{set}: no primary"));
            if let Some((_, m)) = reference {
                item = item.detail(
                    1,
                    format!("lag measured from the most advanced member, {}", m.name),
                );
            }
            item.perf(Perfdata::unknown(applied_label, Uom::Seconds).thresholds(&options.applied))
        }
        [primary] => {
            let applied = primary.last_applied_ms.or(primary.optime_ms);
            match applied {
                Some(ms) => {
                    let age = secs(ms, now).max(0.0);
                    let state = options.applied.evaluate(age);
                    problems.add(
                        state,
                        format!("primary last applied a write {} ago", human(age)),
                    );
                    Item::new(
                        state,
                        format!(
                            "{set}: primary {}, last write applied {} ago",
                            primary.name,
                            human(age)
                        ),
                    )
                    .perf(
                        Perfdata::new(applied_label, ms_round(age), Uom::Seconds)
                            .thresholds(&options.applied)
                            .min(0.0),
                    )
                }
                None => Item::new(
                    State::Ok,
                    format!("{set}: primary {} (no lastAppliedWallTime)", primary.name),
                )
                .perf(Perfdata::unknown(applied_label, Uom::Seconds).thresholds(&options.applied)),
            }
        }
        several => {
            let names: Vec<&str> = several.iter().map(|m| m.name.as_str()).collect();
            problems.add(
                State::Critical,
                format!("{} primaries ({})", several.len(), names.join(", ")),
            );
            Item::new(
                State::Critical,
                format!("{set}: {} primaries: {}", several.len(), names.join(", ")),
            )
            .perf(Perfdata::unknown(applied_label, Uom::Seconds).thresholds(&options.applied))
        }
    };
    check.item(primary_item);

    // Each member.
    let mut max_lag: Option<f64> = None;
    for member in &status.members {
        let mut state = State::Ok;
        let mut facts: Vec<String> = Vec::new();
        let mut perf = Vec::new();

        // State and health.
        let good = GOOD_STATES.contains(&member.state.as_str());
        if !good || !member.healthy {
            let downgraded = options.warn_states.iter().any(|s| s == &member.state);
            let s = if downgraded {
                State::Warning
            } else {
                State::Critical
            };
            let phrase = if good {
                format!("{} {} not healthy (health 0)", member.name, member.state)
            } else if !member.healthy {
                format!("{} {} (health 0)", member.name, member.state)
            } else {
                format!("{} {}", member.name, member.state)
            };
            problems.add(s, phrase);
            state = state.worst(s);
        }

        // Configured delay: --delay, then the config, then the member entry.
        let configured = config.get(&member.name);
        let delay = options
            .delays
            .iter()
            .rev()
            .find(|(name, _)| name == &member.name)
            .map(|(_, d)| *d)
            .or(configured.map(|c| c.delay_secs))
            .or(member.delay_secs)
            .unwrap_or(0.0);
        let hidden = member.hidden || configured.is_some_and(|c| c.hidden);

        // Lag: secondaries against the reference; the primary is the reference (0);
        // arbiters (no data) and members in other states get U: every member has
        // its lag_ and hb_ labels whatever its state, so graphs survive a failover.
        let lag_label = format!("lag_{}", member.name);
        match (member.state.as_str(), member.optime_ms, reference) {
            ("PRIMARY", _, _) if member.healthy => perf.push(
                Perfdata::new(lag_label, 0.0, Uom::Seconds)
                    .thresholds(&options.lag)
                    .min(0.0),
            ),
            ("SECONDARY", Some(optime), Some((reference_ms, _))) if member.healthy => {
                let behind = secs(optime, reference_ms).max(0.0);
                let lag = (behind - delay).max(0.0);
                let s = options.lag.evaluate(lag);
                problems.add(s, format!("{} lag {}", member.name, human(lag)));
                state = state.worst(s);
                max_lag = Some(max_lag.map_or(lag, |m: f64| m.max(lag)));
                facts.push(if delay > 0.0 {
                    format!(
                        "lag {} (behind {}, delay {})",
                        human(lag),
                        human(behind),
                        human(delay)
                    )
                } else {
                    format!("lag {}", human(lag))
                });
                perf.push(
                    Perfdata::new(lag_label, ms_round(lag), Uom::Seconds)
                        .thresholds(&options.lag)
                        .min(0.0),
                );
            }
            _ => perf.push(Perfdata::unknown(lag_label, Uom::Seconds).thresholds(&options.lag)),
        }

        // Heartbeat age, for the members the status was not taken on (U for the
        // member asked, which changes when a seed list follows the primary).
        let label = format!("hb_{}", member.name);
        if member.is_self {
            perf.push(Perfdata::unknown(label, Uom::Seconds).thresholds(&options.heartbeat));
        } else {
            match member.last_heartbeat_ms {
                Some(ms) => {
                    let age = secs(ms, now).max(0.0);
                    let s = options.heartbeat.evaluate(age);
                    problems.add(s, format!("{} heartbeat {} old", member.name, human(age)));
                    state = state.worst(s);
                    facts.push(format!("heartbeat {} ago", human(age)));
                    perf.push(
                        Perfdata::new(label, ms_round(age), Uom::Seconds)
                            .thresholds(&options.heartbeat)
                            .min(0.0),
                    );
                }
                None => {
                    facts.push("no heartbeat answered".into());
                    perf.push(
                        Perfdata::unknown(label, Uom::Seconds).thresholds(&options.heartbeat),
                    );
                }
            }
        }

        let mut flags = Vec::new();
        if member.is_self {
            flags.push("self".to_string());
        }
        if hidden {
            flags.push("hidden".to_string());
        }
        if delay > 0.0 {
            flags.push(format!("delayed {}", human(delay)));
        }
        if !member.healthy {
            flags.push("health 0".to_string());
        }
        let mut text = format!("{} {}", member.name, member.state);
        if !flags.is_empty() {
            text.push_str(&format!(" ({})", flags.join(", ")));
        }
        if !facts.is_empty() {
            text.push_str(&format!(": {}", facts.join(", ")));
        }
        // A member in trouble shows the server's reason on its line; others at -v.
        let (shown, details) = if state != State::Ok {
            member.messages.split_at(member.messages.len().min(1))
        } else {
            (&[][..], &member.messages[..])
        };
        for message in shown {
            text.push_str(&format!(" — {message}"));
        }
        let mut item = Item::new(state, text);
        item.perfdata = perf;
        if let Some(id) = member.id {
            item = item.detail(2, format!("_id {id}"));
        }
        for message in details {
            item = item.detail(1, message.clone());
        }
        if let Some(source) = &member.sync_source {
            item = item.detail(1, format!("syncing from {source}"));
        }
        if let Some(ping) = member.ping_ms {
            item = item.detail(2, format!("ping {ping} ms"));
        }
        if let Some(uptime) = member.uptime_secs {
            item = item.detail(2, format!("up {}", human(uptime)));
        }
        check.item(item);
    }

    // Summaries.
    let mut parts = vec![match primaries.as_slice() {
        [p] => format!("{set}: primary {}", p.name),
        _ => set.to_string(),
    }];
    parts.push(if secondaries == 1 {
        "1 secondary".to_string()
    } else {
        format!("{secondaries} secondaries")
    });
    if arbiters > 0 {
        parts.push(plural(arbiters, "arbiter"));
    }
    if let Some(lag) = max_lag {
        parts.push(format!("max lag {}", human(lag)));
    }
    check.ok_summary(parts.join(", "));
    if let Some(summary) = problems.summary() {
        check.problem_summary(summary);
    }
    check
}

#[cfg(test)]
mod tests;
