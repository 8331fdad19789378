//! The guide's "run twice to verify the increase of the counters": a sample
//! compared with the previous one (first run, restart, clock going back, or
//! rates over the seconds between them), and each counter's rate per second
//! judged against its `--*-rate` range. Rates never come from a counter that
//! went down or a clock that did not move.

use super::{round1, round3, Options, Stats, SELF_COUNTED};
use crate::output::{Check, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::range::format_number;
use crate::status::State;
use crate::threshold::thresholds_for;
use serde::{Deserialize, Serialize};

/// One sample as kept in the state file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Sample {
    /// Milliseconds since the Unix epoch when the sample was taken.
    pub taken_ms: i64,
    pub stats: Stats,
}

/// What the comparison with the previous sample gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Baseline {
    /// No previous sample (first run, or the state was reset).
    First,
    /// A counter went down: Kamailio restarted or its statistics were reset.
    Restarted {
        counter: String,
        before: u64,
        now: u64,
    },
    /// The clock did not move forward between the samples.
    ClockWentBack { elapsed_ms: i64 },
    /// The saved sample's time is not a time this host could have taken it
    /// at (more than ten years from now, as an edited or torn state file
    /// may hold): the baseline is reset.
    Implausible { taken_ms: i64 },
    /// Rates over this many seconds.
    Rates { seconds: f64 },
}

/// Ten years in milliseconds: no sample is kept that long.
const TEN_YEARS_MS: u64 = 10 * 366 * 24 * 3600 * 1000;

/// Compares the current sample with the previous one.
pub fn compare(previous: Option<&Sample>, current: &Sample, counters: &[String]) -> Baseline {
    let Some(previous) = previous else {
        return Baseline::First;
    };
    for name in counters {
        if let (Some(&before), Some(&now)) = (previous.stats.get(name), current.stats.get(name)) {
            if now < before {
                return Baseline::Restarted {
                    counter: name.clone(),
                    before,
                    now,
                };
            }
        }
    }
    let elapsed_ms = match current.taken_ms.checked_sub(previous.taken_ms) {
        Some(ms) if ms.unsigned_abs() <= TEN_YEARS_MS => ms,
        _ => {
            return Baseline::Implausible {
                taken_ms: previous.taken_ms,
            }
        }
    };
    if elapsed_ms <= 0 {
        return Baseline::ClockWentBack { elapsed_ms };
    }
    Baseline::Rates {
        seconds: elapsed_ms as f64 / 1000.0,
    }
}

/// A short word for the summary line: `core:rcv_requests_invite` → `INVITEs`.
fn short_name(name: &str) -> &str {
    match name {
        "core:rcv_requests" => "requests",
        "core:rcv_requests_invite" => "INVITEs",
        _ => name.strip_prefix("core:").unwrap_or(name),
    }
}

/// What the comparison gave, as a note and a summary phrase, unless it gave
/// rates.
pub(super) fn baseline_note(baseline: &Baseline, check: &mut Check, summary: &mut Vec<String>) {
    match baseline {
        Baseline::First => {
            check.note("first run: collecting baseline, rates from the next run on");
            summary.push("collecting baseline".to_string());
        }
        Baseline::Restarted {
            counter,
            before,
            now,
        } => {
            check.note(format!(
                "Kamailio restarted or its statistics were reset since the last run \
                 ({counter} went from {before} to {now}): baseline reset, rates from the next run on"
            ));
            summary.push("restart detected, baseline reset".to_string());
        }
        Baseline::ClockWentBack { elapsed_ms } => {
            check.note(format!(
                "the clock did not move forward since the last sample ({} s): no rates this run, baseline reset",
                format_number(*elapsed_ms as f64 / 1000.0)
            ));
            summary.push("no rates (clock went back)".to_string());
        }
        Baseline::Implausible { taken_ms } => {
            check.note(format!(
                "the saved sample's time ({taken_ms} ms since the epoch) is not a time it \
                 could have been taken at: baseline reset, rates from the next run on"
            ));
            summary.push("baseline reset (saved time implausible)".to_string());
        }
        Baseline::Rates { .. } => {}
    }
}

/// One counter's item: its rate per second against its range when this run
/// has one, else why not; UNKNOWN when the statistics lack the counter.
pub(super) fn rate_item(
    name: &str,
    previous: Option<&Sample>,
    current: &Sample,
    baseline: &Baseline,
    options: &Options,
    summary: &mut Vec<String>,
) -> Item {
    let thresholds = thresholds_for(name, &options.warning_rate, &options.critical_rate);
    let rate_label = format!("{name}_rate");
    let Some(&now) = current.stats.get(name) else {
        return Item::new(State::Unknown, format!("{name}: not in the statistics"))
            .perf(thresholds.unmeasured(rate_label, Uom::None));
    };
    let counter_perf = Perfdata::new(name, now as f64, Uom::Counter).min(0.0);
    let before = previous.and_then(|p| p.stats.get(name));
    let rate = match (baseline, before) {
        (Baseline::Rates { seconds }, Some(&before)) => {
            let mut delta = now - before;
            if name == SELF_COUNTED {
                delta = delta.saturating_sub(options.self_counted);
            }
            Some(delta as f64 / seconds)
        }
        _ => None,
    };
    match rate {
        Some(rate) => {
            let rate = round3(rate);
            let judged = thresholds.judge(rate_label, rate, Uom::None).min(0.0);
            if judged.state == State::Ok && summary.len() < 2 {
                summary.push(format!(
                    "{} {}/s",
                    format_number(round1(rate)),
                    short_name(name)
                ));
            }
            judged
                .item(format!("{name} {}/s", format_number(rate)))
                .detail(1, format!("counter now {now}, before {}", before.unwrap()))
                .perf(counter_perf)
        }
        None => {
            let why = match (baseline, before) {
                (Baseline::Rates { .. }, None) => "new counter, rate from the next run on",
                (Baseline::First, _) => "baseline",
                _ => "no rate this run",
            };
            Item::new(State::Ok, format!("{name} = {now} ({why})"))
                .perf(thresholds.unmeasured(rate_label, Uom::None))
                .perf(counter_perf)
        }
    }
}
