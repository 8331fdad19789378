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

use crate::output::{Check, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::range::format_number;
use crate::runner::Failure;
use crate::status::State;
use crate::threshold::{thresholds_for, NamedRange, Thresholds};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

pub type Stats = BTreeMap<String, u64>;

/// Parses any of the three forms (see the module documentation). Values that
/// are not unsigned integers are skipped. An RPC error is returned as such.
pub fn parse(text: &str) -> Result<Stats, Failure> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        if let Ok(doc) = serde_json::from_str::<serde_json::Value>(trimmed) {
            return parse_json(&doc);
        }
        // Not valid JSON (cut or edited output): fall back to the line scan,
        // which reads the quoted `"group:name = value"` strings one by one.
    }
    let stats = parse_lines(text);
    if stats.is_empty() {
        return Err(Failure::unknown(format!(
            "no Kamailio statistics recognised{}",
            first_line_hint(text)
        )));
    }
    Ok(stats)
}

fn first_line_hint(text: &str) -> String {
    match text.lines().map(str::trim).find(|l| !l.is_empty()) {
        Some(line) => {
            let cut: String = line.chars().take(80).collect();
            format!(" (first line: '{cut}')")
        }
        None => " (empty output)".to_string(),
    }
}

fn parse_json(doc: &serde_json::Value) -> Result<Stats, Failure> {
    // `"error": null` beside a result (JSON-RPC 1.0 style, some proxies) is no error.
    if let Some(error) = doc.get("error").filter(|e| !e.is_null()) {
        let code = error.get("code").map(|c| c.to_string()).unwrap_or_default();
        let message = error
            .get("message")
            .and_then(|m| m.as_str())
            .unwrap_or("no message");
        return Err(Failure::unknown(format!(
            "Kamailio answered JSON-RPC error {code}: {message}"
        )));
    }
    let mut stats = Stats::new();
    match doc.get("result") {
        // kamctl stats: ["core:rcv_requests = 17", …]
        Some(serde_json::Value::Array(list)) => {
            for entry in list.iter().filter_map(|e| e.as_str()) {
                if let Some((name, value)) = parse_entry(entry) {
                    stats.insert(name, value);
                }
            }
        }
        // stats.fetch: {"core.rcv_requests": "17", …}
        Some(serde_json::Value::Object(map)) => {
            for (key, value) in map {
                let value = match value {
                    serde_json::Value::String(s) => s.trim().parse::<u64>().ok(),
                    serde_json::Value::Number(n) => n.as_u64(),
                    _ => None,
                };
                if let Some(value) = value {
                    stats.insert(normalise_name(key), value);
                }
            }
        }
        _ => {}
    }
    if stats.is_empty() {
        return Err(Failure::unknown(
            "no Kamailio statistics recognised in the JSON-RPC answer (no 'result' with statistics)",
        ));
    }
    Ok(stats)
}

/// `core.rcv_requests` (stats.fetch) → `core:rcv_requests`, the name kamcmd and kamctl use.
fn normalise_name(key: &str) -> String {
    if key.contains(':') {
        return key.to_string();
    }
    match key.split_once('.') {
        Some((group, name)) => format!("{group}:{name}"),
        None => key.to_string(),
    }
}

/// `core:rcv_requests = 17`, possibly quoted and followed by a comma.
fn parse_entry(entry: &str) -> Option<(String, u64)> {
    let entry = entry.trim().trim_end_matches(',').trim();
    let entry = entry
        .strip_prefix('"')
        .and_then(|e| e.strip_suffix('"'))
        .unwrap_or(entry);
    let (name, value) = entry.split_once(" = ")?;
    let name = name.trim();
    let (group, stat) = name.split_once(':')?;
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    };
    if !valid(group) || !valid(stat) {
        return None;
    }
    Some((name.to_string(), value.trim().parse().ok()?))
}

fn parse_lines(text: &str) -> Stats {
    text.lines().filter_map(parse_entry).collect()
}

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
    /// Rates over this many seconds.
    Rates { seconds: f64 },
}

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
    let elapsed_ms = current.taken_ms - previous.taken_ms;
    if elapsed_ms <= 0 {
        return Baseline::ClockWentBack { elapsed_ms };
    }
    Baseline::Rates {
        seconds: elapsed_ms as f64 / 1000.0,
    }
}

/// Judges one sample against the previous one.
pub fn evaluate(previous: Option<&Sample>, current: &Sample, options: &Options) -> Check {
    let mut check = Check::new();
    let baseline = compare(previous, current, &options.counters);
    let mut summary: Vec<String> = Vec::new();

    match &baseline {
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
        Baseline::Rates { .. } => {}
    }

    for name in &options.counters {
        let thresholds = thresholds_for(name, &options.warning_rate, &options.critical_rate);
        let rate_label = format!("{name}_rate");
        let Some(&now) = current.stats.get(name) else {
            check.item(
                Item::new(State::Unknown, format!("{name}: not in the statistics"))
                    .perf(Perfdata::unknown(rate_label, Uom::None).thresholds(&thresholds)),
            );
            continue;
        };
        let counter_perf = Perfdata::new(name.clone(), now as f64, Uom::Counter).min(0.0);
        let before = previous.and_then(|p| p.stats.get(name));
        let rate = match (&baseline, before) {
            (Baseline::Rates { seconds }, Some(&before)) => {
                let mut delta = now - before;
                if name == SELF_COUNTED {
                    delta = delta.saturating_sub(options.self_counted);
                }
                Some(delta as f64 / seconds)
            }
            _ => None,
        };
        let item = match rate {
            Some(rate) => {
                let rate = round3(rate);
                let state = thresholds.evaluate(rate);
                if state == State::Ok && summary.len() < 2 {
                    summary.push(format!(
                        "{} {}/s",
                        format_number(round1(rate)),
                        short_name(name)
                    ));
                }
                Item::new(state, format!("{name} {}/s", format_number(rate)))
                    .detail(1, format!("counter now {now}, before {}", before.unwrap()))
                    .perf(
                        Perfdata::new(rate_label, rate, Uom::None)
                            .thresholds(&thresholds)
                            .min(0.0),
                    )
                    .perf(counter_perf)
            }
            None => {
                let why = match (&baseline, before) {
                    (Baseline::Rates { .. }, None) => "new counter, rate from the next run on",
                    (Baseline::First, _) => "baseline",
                    _ => "no rate this run",
                };
                Item::new(State::Ok, format!("{name} = {now} ({why})"))
                    .perf(Perfdata::unknown(rate_label, Uom::None).thresholds(&thresholds))
                    .perf(counter_perf)
            }
        };
        check.item(item);
    }

    // Shared memory: real_used_size / total_size.
    match (
        current.stats.get("shmem:real_used_size"),
        current.stats.get("shmem:total_size"),
    ) {
        (Some(&used), Some(&total)) if total > 0 => {
            let percent = round3(used as f64 * 100.0 / total as f64);
            let state = options.shmem.evaluate(percent);
            summary.push(format!("shmem {}%", format_number(round1(percent))));
            check.item(
                Item::new(
                    state,
                    format!(
                        "shared memory {}% used ({} of {} MiB)",
                        format_number(round1(percent)),
                        format_number(round1(used as f64 / 1048576.0)),
                        format_number(round1(total as f64 / 1048576.0))
                    ),
                )
                .perf(
                    Perfdata::new("shmem_used", percent, Uom::Percent)
                        .thresholds(&options.shmem)
                        .min(0.0)
                        .max(100.0),
                ),
            );
        }
        _ => {
            check.item(
                Item::new(
                    State::Unknown,
                    "shared memory: shmem:real_used_size or shmem:total_size missing",
                )
                .perf(Perfdata::unknown("shmem_used", Uom::Percent).thresholds(&options.shmem)),
            );
        }
    }

    // Active dialogs: the dialog module's, or another group's (the SRE's app_python3).
    let dialogs = current
        .stats
        .get_key_value("dialog:active_dialogs")
        .or_else(|| {
            current
                .stats
                .iter()
                .find(|(k, _)| k.ends_with(":active_dialogs"))
        });
    match dialogs {
        Some((name, &count)) => {
            let state = options.dialogs.evaluate(count as f64);
            summary.push(format!("{count} dialogs"));
            check.item(
                Item::new(state, format!("{count} active dialogs ({name})")).perf(
                    Perfdata::new("active_dialogs", count as f64, Uom::None)
                        .thresholds(&options.dialogs)
                        .min(0.0),
                ),
            );
        }
        None if options.dialogs != Thresholds::default() => {
            check.item(Item::new(
                State::Unknown,
                "active dialogs: no *:active_dialogs statistic (dialog module not loaded?)",
            ));
        }
        None => {}
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

/// A short word for the summary line: `core:rcv_requests_invite` → `INVITEs`.
fn short_name(name: &str) -> &str {
    match name {
        "core:rcv_requests" => "requests",
        "core:rcv_requests_invite" => "INVITEs",
        _ => name.strip_prefix("core:").unwrap_or(name),
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// Where the statistics come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// `kamcmd -s SOCKET stats.get_statistics all` (or `--command`, or `--input`).
    Text(crate::input::InputArgs, String),
    /// JSON-RPC `stats.fetch` over HTTP.
    Url(String),
}

pub const DEFAULT_SOCKET: &str = "unix:/run/kamailio/kamailio_ctl";

/// What HTTP answers may hold at most.
const HTTP_LIMIT: u64 = 16 * 1024 * 1024;

/// Fetches the statistics text. Kamailio unreachable is CRITICAL; our own
/// trouble (missing kamcmd, unreadable input) is UNKNOWN.
pub fn fetch(source: &Source, timeout: std::time::Duration) -> Result<String, Failure> {
    match source {
        Source::Text(input, socket) => {
            let default = [
                "kamcmd",
                "-s",
                socket.as_str(),
                "stats.get_statistics",
                "all",
            ];
            let collected = input.collect(&default, &crate::exec::ExecOptions::default())?;
            if let Some(output) = &collected.output {
                if !output.status.success() {
                    return Err(Failure::critical(format!(
                        "{} failed ({}): {}",
                        collected.origin,
                        output.describe_status(),
                        output.first_error_line()
                    )));
                }
            }
            Ok(collected.text)
        }
        Source::Url(url) => fetch_http(url, timeout),
    }
}

fn fetch_http(url: &str, timeout: std::time::Duration) -> Result<String, Failure> {
    crate::timeout::set_activity(format!("posting stats.fetch to {url}"));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .user_agent(concat!(
            "opscheck check_kamailio_stats/",
            env!("CARGO_PKG_VERSION")
        ))
        .build()
        .into();
    let body = r#"{"jsonrpc":"2.0","method":"stats.fetch","params":["all"],"id":1}"#;
    let mut response = agent
        .post(url)
        .header("Content-Type", "application/json")
        .send(body)
        .map_err(|e| match e {
            ureq::Error::BadUri(_) | ureq::Error::Http(_) => {
                Failure::unknown(format!("bad URL '{url}': {e}"))
            }
            e => Failure::critical(format!("cannot reach Kamailio JSON-RPC at {url}: {e}")),
        })?;
    let status = response.status();
    let text = response
        .body_mut()
        .with_config()
        .limit(HTTP_LIMIT)
        .read_to_string()
        .map_err(|e| Failure::critical(format!("cannot read the answer of {url}: {e}")))?;
    if !status.is_success() {
        let reason = status.canonical_reason().unwrap_or("");
        let message = format!("{url} answered HTTP {} {reason}", status.as_u16());
        return Err(if status.is_server_error() {
            Failure::critical(message)
        } else {
            Failure::unknown(format!(
                "{message} (is the xhttp route for JSON-RPC at this path?)"
            ))
        });
    }
    Ok(text)
}

/// Milliseconds since the Unix epoch (negative before 1970, for a badly set clock).
pub fn now_ms() -> i64 {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    }
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

    const KAMCMD: &str = include_str!("../../../examples/kamailio/kamcmd-stats-all.txt");
    const KAMCTL: &str = include_str!("../../../examples/kamailio/kamctl-stats.json");
    const FETCH: &str = include_str!("../../../examples/kamailio/jsonrpc-stats-fetch.json");
    const SEED: &str = include_str!("../../../examples/kamailio/seed-kamctl-stats.json");

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
    fn the_three_recorded_forms_give_the_same_map() {
        let kamcmd = parse(KAMCMD).unwrap();
        let kamctl = parse(KAMCTL).unwrap();
        let fetch = parse(FETCH).unwrap();
        assert_eq!(kamcmd.len(), 133);
        assert_eq!(kamctl.len(), 133);
        assert_eq!(fetch.len(), 133);
        // Same names in every form (the samples were taken a few polls apart).
        assert!(kamcmd.keys().eq(kamctl.keys()));
        assert!(kamcmd.keys().eq(fetch.keys()));
        assert_eq!(kamcmd["shmem:total_size"], 67108864);
        assert!(fetch.contains_key("core:rcv_requests_invite"));
        assert!(fetch.contains_key("dialog:active_dialogs"));
    }

    #[test]
    fn the_seed_output_is_read() {
        let stats = parse(SEED).unwrap();
        assert_eq!(stats.len(), 48);
        assert_eq!(stats["core:rcv_requests"], 109766);
        assert_eq!(stats["core:rcv_requests_invite"], 25584);
        assert_eq!(stats["app_python3:active_dialogs"], 167);
        assert_eq!(stats["shmem:real_used_size"], 3506000);
    }

    #[test]
    fn the_seed_as_printed_in_the_guide_is_read_line_by_line() {
        // As in the guide: elided lines ("...") make it invalid JSON.
        let text = "{\n  \"jsonrpc\": \"2.0\",\n  \"result\": [\n    \"core:fwd_requests = 24173\",\n    ...\n    \"core:rcv_requests = 109766\",\n    ...\n  ],\n  \"id\": 22673\n}\n";
        let stats = parse(text).unwrap();
        assert_eq!(stats.len(), 2);
        assert_eq!(stats["core:rcv_requests"], 109766);
    }

    #[test]
    fn errors_and_garbage_are_unknown() {
        let err = parse("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":500,\"message\":\"Method Not Found\"},\"id\":1}").unwrap_err();
        assert_eq!(err.state, State::Unknown);
        assert!(
            err.message.contains("500: Method Not Found"),
            "{}",
            err.message
        );
        let err = parse("error: 500 - command not found\n").unwrap_err();
        assert!(
            err.message.contains("no Kamailio statistics"),
            "{}",
            err.message
        );
        assert!(parse("").unwrap_err().message.contains("empty output"));
        assert!(parse("{\"result\": []}").is_err());
        let stats = parse("{\"result\": [\"core:a = 1\"], \"error\": null, \"id\": 1}").unwrap();
        assert_eq!(stats["core:a"], 1);
        // A value that is not a counter is skipped, not misread.
        let stats = parse("core:a = 1\ncore:b = -3\ncore:c = x\nnot a stat = 4\n").unwrap();
        assert_eq!(stats.len(), 1);
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
