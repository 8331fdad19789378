//! Kamailio SIP stack statistics (seed 000, §2.9: "`kamctl stats` … should be run
//! twice to verify the increase of the counters").
//!
//! Three sources give the same statistics in three forms, all parsed into one
//! `group:name -> value` map:
//! - `kamcmd -s SOCKET stats.get_statistics all` (ctl module, binrpc): lines
//!   `core:rcv_requests = 17`;
//! - `kamctl stats` (jsonrpcs FIFO): a JSON-RPC document whose `result` is an
//!   array of `"core:rcv_requests = 17"` strings;
//! - JSON-RPC `stats.fetch` over HTTP (xhttp + jsonrpcs): `result` is an object
//!   `{"core.rcv_requests": "17", …}`.
//!
//! The previous sample is kept in the state store: counters become per-second
//! rates between two runs. A counter that went down means Kamailio restarted
//! (or its statistics were reset): the baseline is reset and no rate is given.
//! The first run only records the baseline and is OK ("collecting baseline"),
//! so a fresh install or a new state directory never pages anyone.
//!
//! `source` fetches the text, `parse` reads it, `rates` compares samples and
//! judges each counter's rate, `gauges` shared memory and dialogs; this module
//! holds the options and the run, and puts the verdicts together.

mod gauges;
mod parse;
mod rates;
mod source;

pub use parse::{parse, Stats};
pub use rates::{compare, Baseline, Sample};
pub use source::{fetch, now_ms, Source, DEFAULT_SOCKET};

use crate::output::Check;
use crate::range::format_number;
use crate::threshold::{NamedRange, Thresholds};
use parse::normalise_name;

/// The counters the guide names, and the error counters the catalog adds.
pub const DEFAULT_COUNTERS: [&str; 6] = [
    "core:rcv_requests",
    "core:rcv_requests_invite",
    "core:rcv_replies",
    "core:fwd_requests",
    "core:drop_requests",
    "core:err_requests",
];

/// The counter each HTTP poll adds one to (the poll is itself a request received).
pub const SELF_COUNTED: &str = "core:rcv_requests";

pub struct Options {
    /// Counters to report as rates (the defaults plus `--counter`).
    pub counters: Vec<String>,
    pub warning_rate: Vec<NamedRange>,
    pub critical_rate: Vec<NamedRange>,
    pub shmem: Thresholds,
    pub dialogs: Thresholds,
    /// Requests each poll adds to [`SELF_COUNTED`] (1 over HTTP, 0 otherwise).
    pub self_counted: u64,
}

/// The counters to watch: the defaults, then each `--counter` not already listed.
pub fn counters_to_watch(extra: &[String]) -> Vec<String> {
    let mut list: Vec<String> = DEFAULT_COUNTERS.iter().map(|s| s.to_string()).collect();
    for name in extra {
        let name = normalise_name(name.trim());
        if !list.contains(&name) {
            list.push(name);
        }
    }
    list
}

/// The rate thresholds with their counter names spelt as the statistics are
/// (`core.rcv_requests` → `core:rcv_requests`), so a threshold always finds its counter.
pub fn normalise_ranges(list: &[NamedRange]) -> Vec<NamedRange> {
    list.iter()
        .map(|n| NamedRange {
            name: normalise_name(n.name.trim()),
            range: n.range.clone(),
        })
        .collect()
}

/// The counters to watch for these `--counter` options and rate thresholds: a
/// counter named only in a threshold is watched too (else the threshold could never fire).
pub fn counters_for(
    extra: &[String],
    warning: &[NamedRange],
    critical: &[NamedRange],
) -> Vec<String> {
    let mut names = extra.to_vec();
    names.extend(warning.iter().chain(critical).map(|n| n.name.clone()));
    counters_to_watch(&names)
}

/// Judges one sample against the previous one.
pub fn evaluate(previous: Option<&Sample>, current: &Sample, options: &Options) -> Check {
    let mut check = Check::new();
    let baseline = compare(previous, current, &options.counters);
    let mut summary: Vec<String> = Vec::new();
    rates::baseline_note(&baseline, &mut check, &mut summary);
    for name in &options.counters {
        check.item(rates::rate_item(
            name,
            previous,
            current,
            &baseline,
            options,
            &mut summary,
        ));
    }
    check.item(gauges::shmem_item(current, options, &mut summary));
    if let Some(item) = gauges::dialogs_item(current, options, &mut summary) {
        check.item(item);
    }
    if let Baseline::Rates { seconds } = baseline {
        let over = if seconds < 60.0 {
            format!("{}s", format_number(round1(seconds)))
        } else {
            crate::duration::human(seconds)
        };
        summary.push(format!("over {over}"));
    }
    if options.self_counted > 0 {
        check.note(format!(
            "HTTP polls count themselves: {} per poll subtracted from {SELF_COUNTED} \
             (sl:* and tcp:* counters still include them)",
            options.self_counted
        ));
    }
    check.ok_summary(summary.join(", "));
    check
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// The whole run: fetch, parse, compare with the stored sample, save the new one.
pub fn check(
    source: &Source,
    state: &crate::state::StateArgs,
    instance: &str,
    options: &Options,
    timeout: std::time::Duration,
) -> crate::runner::CheckResult {
    // Lock the state before sampling: two runs at once then take their samples
    // in the order they save them, and a newer sample is never overwritten by
    // an older one (which would look like the clock going back).
    let file = state.open("check_kamailio_stats", instance)?;
    let text = fetch(source, timeout)?;
    let stats = parse(&text)?;
    let current = Sample {
        taken_ms: now_ms(),
        stats,
    };
    let (previous, note) = file.load::<Sample>().into_parts();
    let mut result = evaluate(previous.as_ref(), &current, options);
    if let Some(note) = note {
        result.note(note);
    }
    file.save(&current)?;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::status::State;

    const SEED: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/kamailio/seed-kamctl-stats.json"
    ));

    fn options() -> Options {
        Options {
            counters: counters_to_watch(&[]),
            warning_rate: vec![],
            critical_rate: vec![],
            shmem: Thresholds::new(Some("80".parse().unwrap()), Some("90".parse().unwrap())),
            dialogs: Thresholds::default(),
            self_counted: 0,
        }
    }

    fn sample(ms: i64, pairs: &[(&str, u64)]) -> Sample {
        let mut stats: Stats = pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        stats
            .entry("shmem:real_used_size".into())
            .or_insert(3506000);
        stats.entry("shmem:total_size".into()).or_insert(67108864);
        Sample {
            taken_ms: ms,
            stats,
        }
    }

    #[test]
    fn first_run_is_ok_collecting_baseline_with_gauges() {
        let current = parse(SEED)
            .map(|stats| Sample {
                taken_ms: 1000,
                stats,
            })
            .unwrap();
        let check = evaluate(None, &current, &options());
        assert_eq!(check.state(), State::Ok);
        let text = check.render_text("KAMAILIO_STATS", 0);
        let first = text.lines().next().unwrap();
        assert!(
            first
                .starts_with("KAMAILIO_STATS OK - collecting baseline, shmem 5.2%, 167 dialogs | "),
            "{first}"
        );
        assert!(first.contains("core:rcv_requests_rate=U"), "{first}");
        assert!(first.contains("core:rcv_requests=109766c;;;0"), "{first}");
        assert!(first.contains("shmem_used=5.224%;80;90;0;100"), "{first}");
        assert!(first.contains("active_dialogs=167;;;0"), "{first}");
    }

    #[test]
    fn rates_between_two_samples_with_thresholds() {
        let before = sample(
            0,
            &[("core:rcv_requests", 100), ("core:rcv_requests_invite", 10)],
        );
        let now = sample(
            10_000,
            &[("core:rcv_requests", 150), ("core:rcv_requests_invite", 10)],
        );
        let mut opts = options();
        opts.critical_rate = vec!["core:rcv_requests_invite=@0".parse().unwrap()];
        let check = evaluate(Some(&before), &now, &opts);
        assert_eq!(check.state(), State::Critical);
        let text = check.render_text("K", 0);
        assert!(
            text.starts_with("K CRITICAL - core:rcv_requests_invite 0/s"),
            "{text}"
        );
        assert!(text.contains("core:rcv_requests_rate=5;;;0"), "{text}");
        assert!(
            text.contains("core:rcv_requests_invite_rate=0;;@0:0;0"),
            "{text}"
        );
        // Counters missing from the sample are UNKNOWN, not silently OK.
        assert!(
            text.contains("[UNKNOWN] core:fwd_requests: not in the statistics"),
            "{text}"
        );
    }

    #[test]
    fn http_polls_are_subtracted() {
        let before = sample(0, &[("core:rcv_requests", 100)]);
        let now = sample(2_000, &[("core:rcv_requests", 101)]);
        let mut opts = options();
        opts.counters = vec!["core:rcv_requests".into()];
        opts.self_counted = 1;
        let text = evaluate(Some(&before), &now, &opts).render_text("K", 0);
        assert!(text.contains("core:rcv_requests_rate=0;"), "{text}");
        assert!(text.contains("HTTP polls count themselves"), "{text}");
    }

    #[test]
    fn a_counter_going_down_is_a_restart_not_a_negative_rate() {
        let before = sample(0, &[("core:rcv_requests", 5000)]);
        let now = sample(60_000, &[("core:rcv_requests", 12)]);
        let mut opts = options();
        opts.counters = vec!["core:rcv_requests".into()];
        opts.critical_rate = vec!["core:rcv_requests=@0".parse().unwrap()];
        let check = evaluate(Some(&before), &now, &opts);
        assert_eq!(check.state(), State::Ok);
        let text = check.render_text("K", 0);
        assert!(text.contains("restart detected, baseline reset"), "{text}");
        assert!(text.contains("from 5000 to 12"), "{text}");
        assert!(text.contains("core:rcv_requests_rate=U"), "{text}");
    }

    /// Found by the `state` fuzz target: a saved time at i64::MIN overflowed
    /// the elapsed time (a panic, UNKNOWN "internal error" in release).
    #[test]
    fn a_saved_time_no_clock_could_give_resets_the_baseline() {
        for ms in [i64::MIN, i64::MAX, -1_000_000_000_000_000] {
            let before = sample(ms, &[("core:rcv_requests", 1)]);
            let now = sample(1_764_620_000_000, &[("core:rcv_requests", 2)]);
            assert_eq!(
                compare(Some(&before), &now, &["core:rcv_requests".into()]),
                Baseline::Implausible { taken_ms: ms }
            );
            let text = evaluate(Some(&before), &now, &options()).render_text("K", 1);
            assert!(
                text.contains("is not a time it could have been taken at: baseline reset"),
                "{text}"
            );
            assert!(text.contains("core:rcv_requests_rate=U"), "{text}");
        }
    }

    #[test]
    fn clock_going_backwards_or_standing_still_gives_no_rate() {
        let before = sample(10_000, &[("core:rcv_requests", 1)]);
        for ms in [10_000, 5_000] {
            let now = sample(ms, &[("core:rcv_requests", 2)]);
            assert!(matches!(
                compare(Some(&before), &now, &["core:rcv_requests".into()]),
                Baseline::ClockWentBack { .. }
            ));
            let text = evaluate(Some(&before), &now, &options()).render_text("K", 0);
            assert!(text.contains("core:rcv_requests_rate=U"), "{text}");
        }
    }

    #[test]
    fn shmem_and_dialog_thresholds() {
        let now = sample(
            0,
            &[
                ("shmem:real_used_size", 95),
                ("shmem:total_size", 100),
                ("dialog:active_dialogs", 500),
            ],
        );
        let mut opts = options();
        opts.counters = vec![];
        opts.dialogs = Thresholds::new(Some("400".parse().unwrap()), None);
        let check = evaluate(None, &now, &opts);
        assert_eq!(check.state(), State::Critical);
        let text = check.render_text("K", 0);
        assert!(
            text.starts_with("K CRITICAL - shared memory 95% used"),
            "{text}"
        );
        assert!(text.contains("[WARNING] 500 active dialogs"), "{text}");
    }

    #[test]
    fn a_counter_named_only_in_a_rate_threshold_is_watched() {
        let warning = normalise_ranges(&["tmx.UAS_transactions=100".parse().unwrap()]);
        let critical = normalise_ranges(&["core.rcv_requests=@0".parse().unwrap()]);
        assert_eq!(warning[0].name, "tmx:UAS_transactions");
        assert_eq!(critical[0].name, "core:rcv_requests");
        let list = counters_for(&[], &warning, &critical);
        assert_eq!(list.len(), DEFAULT_COUNTERS.len() + 1);
        assert_eq!(list.last().unwrap(), "tmx:UAS_transactions");
        let before = sample(0, &[("core:rcv_requests", 7)]);
        let now = sample(1_000, &[("core:rcv_requests", 7)]);
        let mut opts = options();
        opts.counters = list;
        opts.critical_rate = critical;
        let check = evaluate(Some(&before), &now, &opts);
        assert_eq!(check.state(), State::Critical);
    }

    #[test]
    fn extra_counters_accept_both_spellings() {
        let list = counters_to_watch(&["sl.200_replies".into(), "core:rcv_replies".into()]);
        assert_eq!(list.len(), DEFAULT_COUNTERS.len() + 1);
        assert_eq!(list.last().unwrap(), "sl:200_replies");
    }
}
