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
//! or the shells' print form, see [`shell`]). `status` reads the documents
//! and `ejson` their values; `set` judges the set as a whole and `member` each
//! member; this module holds the options and puts the verdicts together.
//!
//! Times are measured against the status document's own `date` (the server's
//! clock at the moment of the status), never the monitoring host's clock: clock
//! skew between hosts cannot fake an alarm, and a captured status is judged as
//! it was when captured.

#[cfg(feature = "mongodb")]
pub mod client;
mod ejson;
mod member;
mod set;
pub mod shell;
mod status;

use crate::duration::human;
use crate::output::{plural, Check};
use crate::runner::Failure;
use crate::status::State;
use crate::threshold::Thresholds;
use serde_json::Value;
use std::collections::HashMap;

pub use ejson::{date_ms, format_double, number, parse_iso_date, timestamp_secs};
pub use status::{
    parse_config, parse_input, parse_status, state_name, Member, MemberConfig, Status,
};

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

    if let Some(item) = set::name_item(status, options, &mut problems) {
        check.item(item);
    }
    let counts = set::Counts::of(status);
    for p in counts.perfdata() {
        check.perf(p);
    }
    if let Some(item) = set::member_count_item(status, options, &mut problems) {
        check.item(item);
    }
    let primaries = set::primaries(status);
    let reference = set::reference(status, &primaries);
    check.item(set::primary_item(
        set,
        &primaries,
        reference,
        now,
        options,
        &mut problems,
    ));

    let mut max_lag: Option<f64> = None;
    for member in &status.members {
        let (item, lag) =
            member::judge_member(member, reference, config, options, now, &mut problems);
        if let Some(lag) = lag {
            max_lag = Some(max_lag.map_or(lag, |m: f64| m.max(lag)));
        }
        check.item(item);
    }

    // Summaries.
    let mut parts = vec![match primaries.as_slice() {
        [p] => format!("{set}: primary {}", p.name),
        _ => set.to_string(),
    }];
    parts.push(if counts.secondaries == 1 {
        "1 secondary".to_string()
    } else {
        format!("{} secondaries", counts.secondaries)
    });
    if counts.arbiters > 0 {
        parts.push(plural(counts.arbiters, "arbiter"));
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
