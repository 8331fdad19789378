//! check_counter_reset: counters that must never go down (seed 004, StarOS
//! "Backup and Recovery of Key KPI Statistics").
//!
//! StarOS checkpoints a SessMgr's counters to its AAAMgr; after a SessMgr
//! restart the recovered values are added back, so a counter is never lower
//! than before. A counter that went down means the checkpoint was lost (or the
//! 1 MB checkpoint buffer overflowed and the node was left out). Gauges are
//! checkpointed but not recovered: they may go down (`--gauge`).
//!
//! Samples come as `name value` lines or as StarOS bulk statistics files, read
//! in `parse`; this module compares a sample with the previous one kept in the
//! state file ([`evaluate`], [`delta`]) and takes, compares and saves it under
//! the state's lock ([`check`]).

mod parse;

pub use parse::{parse_bulkstats, parse_lines, utc_seconds, Bulk, Counters, Field, Schema};

use crate::output::{plural, Check, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::runner::Failure;
use crate::status::State;
use regex::RegexSet;
use serde::{Deserialize, Serialize};

/// The previous sample, as kept in the state file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Sample {
    /// When the sample was taken, in milliseconds since the epoch (the data's
    /// own time for bulk statistics with a date, else the run's clock).
    pub taken_ms: i64,
    /// True when `taken_ms` is the data's own time.
    #[serde(default)]
    pub data_time: bool,
    pub counters: Counters,
    /// How many samples this state has seen: each run adds one under the lock.
    #[serde(default)]
    pub samples: u64,
}

/// How the counters are judged.
#[derive(Debug, Clone)]
pub struct Options {
    pub gauges: RegexSet,
    /// 32 or 64: a decrease from the top quarter of the range to its bottom
    /// quarter is a wrap, not a reset.
    pub wrap: Option<u32>,
    pub warning_only: bool,
    pub rates: RegexSet,
}

/// The state a lost checkpoint gets.
fn decrease_state(options: &Options) -> State {
    if options.warning_only {
        State::Warning
    } else {
        State::Critical
    }
}

/// The increase from `old` to `new`, through a wrap when allowed.
pub fn delta(old: u64, new: u64, wrap: Option<u32>) -> Option<u64> {
    if new >= old {
        return Some(new - old);
    }
    let max: u128 = match wrap? {
        32 => u32::MAX as u128,
        _ => u64::MAX as u128,
    };
    let (old, new) = (old as u128, new as u128);
    if old > max {
        return None;
    }
    let near_top = old >= max - max / 4;
    let near_bottom = new <= max / 4;
    if !(near_top && near_bottom) {
        return None;
    }
    u64::try_from(max - old + new + 1).ok()
}

/// Compares the sample with the previous one and makes the result.
pub fn evaluate(previous: Option<&Sample>, current: &Sample, options: &Options) -> Check {
    let mut check = Check::new();
    let total = current.counters.len();
    check.perf(Perfdata::new("counters", total as f64, Uom::None).min(0.0));
    let Some(previous) = previous else {
        let text = format!(
            "first run: baseline of {} recorded, compared next run",
            plural(total, "counter")
        );
        check.ok_summary(text.clone());
        check.item(Item::new(State::Ok, text));
        check.perf(Perfdata::new("decreased", 0.0, Uom::None).min(0.0));
        return check;
    };
    if current.data_time && previous.data_time && current.taken_ms == previous.taken_ms {
        let text = format!(
            "no new sample since the last run ({} unchanged)",
            plural(total, "counter")
        );
        check.ok_summary(text.clone());
        check.item(Item::new(State::Ok, text));
        check.perf(Perfdata::new("decreased", 0.0, Uom::None).min(0.0));
        return check;
    }
    let elapsed_ms = current.taken_ms.checked_sub(previous.taken_ms);
    let seconds = elapsed_ms.filter(|ms| *ms > 0).map(|ms| ms as f64 / 1000.0);
    let mut decreased = 0usize;
    let mut gauges_down = 0usize;
    let mut wraps = 0usize;
    let mut rates: Vec<Perfdata> = Vec::new();
    for (name, &new) in &current.counters {
        let Some(&old) = previous.counters.get(name) else {
            continue;
        };
        let gauge = options.gauges.is_match(name);
        let increase = delta(old, new, options.wrap);
        if new < old {
            if gauge {
                gauges_down += 1;
            } else if increase.is_some() {
                wraps += 1;
                check.note(format!(
                    "{name} wrapped at 2^{}: {} → {}",
                    options.wrap.unwrap_or(64),
                    old,
                    new
                ));
            } else {
                decreased += 1;
                check.item(Item::new(
                    decrease_state(options),
                    format!("{name} went down from {old} to {new}"),
                ));
            }
        }
        if options.rates.is_match(name) {
            let label = format!("{name}_rate");
            let rate = match (increase, seconds) {
                (Some(d), Some(s)) if !gauge => Perfdata::new(label, d as f64 / s, Uom::None),
                _ => Perfdata::unknown(label, Uom::None),
            };
            rates.push(rate);
        }
    }
    let gone: Vec<&String> = previous
        .counters
        .keys()
        .filter(|k| !current.counters.contains_key(*k))
        .collect();
    for name in &gone {
        check.item(Item::new(
            State::Warning,
            format!(
                "{name} disappeared (was {})",
                previous.counters.get(*name).copied().unwrap_or(0)
            ),
        ));
    }
    let new_names = current
        .counters
        .keys()
        .filter(|k| !previous.counters.contains_key(*k))
        .count();
    if new_names > 0 {
        check.note(format!(
            "{} new since the last run (baseline recorded)",
            plural(new_names, "counter")
        ));
    }
    if gauges_down > 0 {
        check.note(format!(
            "{} went down (gauges: not recovered after a restart, as StarOS documents)",
            plural(gauges_down, "gauge")
        ));
    }
    let over = match seconds {
        Some(s) => format!(" over {}", crate::duration::human(s)),
        None => String::new(),
    };
    let compared = total - new_names;
    let text = format!(
        "{} compared{over}, none went down{}",
        plural(compared, "counter"),
        if wraps > 0 {
            format!(" ({wraps} wrapped)")
        } else {
            String::new()
        }
    );
    check.ok_summary(text.clone());
    check.item(Item::new(State::Ok, text));
    if decreased > 0 {
        let first = check
            .items
            .iter()
            .find(|i| i.state == decrease_state(options))
            .map(|i| i.text.clone())
            .unwrap_or_default();
        let more = if decreased > 1 {
            format!(" and {} more", decreased - 1)
        } else {
            String::new()
        };
        check.problem_summary(format!("checkpoint lost? {first}{more}"));
        // The OK item would contradict the problem.
        check.items.retain(|i| i.state != State::Ok);
    }
    check.perf(Perfdata::new("decreased", decreased as f64, Uom::None).min(0.0));
    for rate in rates {
        check.perf(rate);
    }
    check
}

/// Where the sample comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// `name value` lines from `--input` or `--command`.
    Lines(crate::input::InputArgs),
    /// A bulk statistics file, with its schemas (none: a header line).
    Bulkstats(std::path::PathBuf, Vec<Schema>),
}

/// Takes the sample, compares it with the previous one under the state's lock, saves it.
pub fn check(
    source: &Source,
    state: &crate::state::StateArgs,
    key: &str,
    options: &Options,
) -> Result<Check, Failure> {
    // The lock is held from load to save: concurrent runs take turns.
    let store = state.open("check_counter_reset", key)?;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| Failure::unknown("the clock is before 1970"))?
        .as_millis() as i64;
    let mut notes = Vec::new();
    let (counters, taken) = match source {
        Source::Lines(input) => {
            if input.input.is_none() && input.command.is_none() {
                return Err(Failure::unknown(
                    "give --input FILE, --command COMMAND or --bulkstats FILE",
                ));
            }
            // A hung command is killed with its process group by the watchdog.
            let collected = input.collect(&[], &crate::exec::ExecOptions::default())?;
            if let Some(out) = &collected.output {
                if !out.status.success() {
                    return Err(Failure::critical(format!(
                        "{} failed ({}): {}",
                        collected.origin,
                        out.describe_status(),
                        crate::output::one_line(out.first_error_line())
                    )));
                }
            }
            let (counters, rejected) = parse_lines(&collected.text);
            if counters.is_empty() {
                return Err(Failure::unknown(format!(
                    "no 'name value' line in {}{}",
                    collected.origin,
                    rejected
                        .first()
                        .map(|l| format!(
                            " (first line: '{}')",
                            l.chars().take(60).collect::<String>()
                        ))
                        .unwrap_or_else(|| " (empty)".to_string())
                )));
            }
            if !rejected.is_empty() {
                notes.push(format!(
                    "{} not understood, e.g. '{}'",
                    plural(rejected.len(), "line"),
                    rejected[0].chars().take(60).collect::<String>()
                ));
            }
            (counters, None)
        }
        Source::Bulkstats(path, schemas) => {
            let text = crate::input::read_input(path, crate::exec::DEFAULT_OUTPUT_LIMIT)?;
            let bulk = parse_bulkstats(&text, schemas)?;
            if bulk.rejected > 0 {
                notes.push(format!(
                    "{} of other schemas or malformed skipped",
                    plural(bulk.rejected, "row")
                ));
            }
            if bulk.counters.is_empty() {
                return Err(Failure::unknown(format!(
                    "no counter in {} ({} read, none with a number)",
                    path.display(),
                    plural(bulk.rows, "row")
                )));
            }
            (bulk.counters, bulk.taken)
        }
    };
    let (previous, note) = store.load::<Sample>().into_parts();
    notes.extend(note);
    let taken_ms = match taken {
        Some(seconds) => seconds
            .checked_mul(1000)
            .ok_or_else(|| Failure::unknown("the sample's time is out of range"))?,
        None => now_ms,
    };
    let current = Sample {
        taken_ms,
        data_time: taken.is_some(),
        counters,
        samples: previous
            .as_ref()
            .map_or(Some(1), |p| p.samples.checked_add(1))
            .ok_or_else(|| Failure::unknown("the sample count overflowed"))?,
    };
    let mut check = evaluate(previous.as_ref(), &current, options);
    store.save(&current)?;
    for note in notes {
        check.note(note);
    }
    Ok(check)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(gauges: &[&str], wrap: Option<u32>) -> Options {
        Options {
            gauges: RegexSet::new(gauges).unwrap(),
            wrap,
            warning_only: false,
            rates: RegexSet::new(["ttlsetup"]).unwrap(),
        }
    }

    fn sample(ms: i64, pairs: &[(&str, u64)]) -> Sample {
        Sample {
            taken_ms: ms,
            data_time: false,
            counters: pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            samples: 1,
        }
    }

    #[test]
    fn recovered_counters_are_ok_a_lost_checkpoint_critical() {
        let before = sample(0, &[("ttlsetup", 1000), ("curactive", 50)]);
        let recovered = sample(60_000, &[("ttlsetup", 1010), ("curactive", 3)]);
        let check = evaluate(Some(&before), &recovered, &opts(&["curactive"], None));
        assert_eq!(check.state(), State::Ok, "{:?}", check);
        let rate = check
            .perfdata
            .iter()
            .find(|p| p.label == "ttlsetup_rate")
            .unwrap();
        assert!(rate.to_string().contains("0.1666"), "{rate}");
        let lost = sample(60_000, &[("ttlsetup", 12), ("curactive", 3)]);
        let check = evaluate(Some(&before), &lost, &opts(&["curactive"], None));
        assert_eq!(check.state(), State::Critical);
        assert!(
            check
                .summary()
                .contains("ttlsetup went down from 1000 to 12"),
            "{}",
            check.summary()
        );
        let mut o = opts(&["curactive"], None);
        o.warning_only = true;
        assert_eq!(evaluate(Some(&before), &lost, &o).state(), State::Warning);
    }

    #[test]
    fn wraps_and_disappearances() {
        assert_eq!(delta(u32::MAX as u64 - 5, 10, Some(32)), Some(16));
        assert_eq!(delta(u32::MAX as u64 - 5, 10, None), None);
        assert_eq!(delta(1000, 10, Some(32)), None);
        assert_eq!(delta(u64::MAX, 0, Some(64)), Some(1));
        assert_eq!(delta(u64::MAX, 0, Some(32)), None);
        let before = sample(0, &[("ttlsetup", u32::MAX as u64 - 5)]);
        let after = sample(1000, &[("ttlsetup", 10)]);
        assert_eq!(
            evaluate(Some(&before), &after, &opts(&[], Some(32))).state(),
            State::Ok
        );
        assert_eq!(
            evaluate(Some(&before), &after, &opts(&[], None)).state(),
            State::Critical
        );
        let gone = sample(1000, &[]);
        let check = evaluate(Some(&before), &gone, &opts(&[], None));
        assert_eq!(check.state(), State::Warning);
        assert!(check.summary().contains("disappeared"));
    }

    #[test]
    fn first_run_is_a_baseline() {
        let check = evaluate(None, &sample(0, &[("a", 1)]), &opts(&[], None));
        assert_eq!(check.state(), State::Ok);
        assert!(check.summary().contains("baseline"));
    }
}
