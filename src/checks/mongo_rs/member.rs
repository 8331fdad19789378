//! Each member, the guide's "No nodes should be in other states … The fields
//! `lastAppliedWallTime` and `lastHeartbeat` should be recent for all
//! members": its state and health, a secondary's lag after its configured
//! delay, the age of its last heartbeat, and its line with the server's
//! messages. Every member gets its `lag_` and `hb_` labels whatever its state.

use super::{ms_round, secs, Member, MemberConfig, Options, Problems};
use crate::duration::human;
use crate::output::Item;
use crate::perfdata::Uom;
use crate::status::State;
use std::collections::HashMap;

/// Member states that are not a problem: the guide's PRIMARY, SECONDARY, ARBITER.
const GOOD_STATES: [&str; 3] = ["PRIMARY", "SECONDARY", "ARBITER"];

/// One member's item, and its lag when it is a secondary whose lag was measured.
pub(super) fn judge_member(
    member: &Member,
    reference: Option<(i64, &Member)>,
    config: &HashMap<String, MemberConfig>,
    options: &Options,
    now: i64,
    problems: &mut Problems,
) -> (Item, Option<f64>) {
    let mut measured_lag = None;
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
        // The reference itself: no lag to judge.
        ("PRIMARY", _, _) if member.healthy => perf.push(
            options
                .lag
                .judge(lag_label, 0.0, Uom::Seconds)
                .min(0.0)
                .perfdata,
        ),
        ("SECONDARY", Some(optime), Some((reference_ms, _))) if member.healthy => {
            let behind = secs(optime, reference_ms).max(0.0);
            let lag = (behind - delay).max(0.0);
            // Judged as published, to the millisecond (a delay need not be
            // whole milliseconds): the graph's value is the one that paged.
            let judged = options
                .lag
                .judge(lag_label, ms_round(lag), Uom::Seconds)
                .min(0.0);
            let s = judged.state;
            problems.add(s, format!("{} lag {}", member.name, human(lag)));
            state = state.worst(s);
            measured_lag = Some(lag);
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
            perf.push(judged.perfdata);
        }
        _ => perf.push(options.lag.unmeasured(lag_label, Uom::Seconds)),
    }

    // Heartbeat age, for the members the status was not taken on (U for the
    // member asked, which changes when a seed list follows the primary).
    let label = format!("hb_{}", member.name);
    if member.is_self {
        perf.push(options.heartbeat.unmeasured(label, Uom::Seconds));
    } else {
        match member.last_heartbeat_ms {
            Some(ms) => {
                let age = secs(ms, now).max(0.0);
                // A whole number of milliseconds: rounding leaves it as it is.
                let judged = options
                    .heartbeat
                    .judge(label, ms_round(age), Uom::Seconds)
                    .min(0.0);
                problems.add(
                    judged.state,
                    format!("{} heartbeat {} old", member.name, human(age)),
                );
                state = state.worst(judged.state);
                facts.push(format!("heartbeat {} ago", human(age)));
                perf.push(judged.perfdata);
            }
            None => {
                facts.push("no heartbeat answered".into());
                perf.push(options.heartbeat.unmeasured(label, Uom::Seconds));
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
    (item, measured_lag)
}
