//! check_sre_counters: the SRE statistics CSV (`/var/log/sre/counters.csv`, guide §2.8).
//!
//! sre-manager rewrites the file every minute: one line per host and metric,
//! `hostname,metric,ISO timestamp,epoch,v1,…,v15`, the values per minute from
//! the newest to the oldest. The check judges its freshness (the newest epoch,
//! each host's, and the file's mtime), the volume of the chosen metrics over
//! the newest minutes, and notes whether calls are relayed (`response.relay`).

use crate::output::{one_line, plural, Check, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::runner::{CheckResult, Failure};
use crate::status::State;
use crate::threshold::Thresholds;
use std::collections::BTreeMap;
use std::path::Path;

pub const DEFAULT_FILE: &str = "/var/log/sre/counters.csv";
pub const DEFAULT_METRIC: &str = "request.INVITE";
pub const RELAY_METRIC: &str = "response.relay";

/// One line of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub line: u64,
    pub host: String,
    pub metric: String,
    pub epoch: i64,
    /// Per-minute values, newest first.
    pub values: Vec<u64>,
}

/// A line that could not be read, and whether it is the file's last line cut
/// short (the file caught while being rewritten).
#[derive(Debug, Clone, PartialEq)]
pub struct BadLine {
    pub line: u64,
    pub reason: String,
    pub truncated_last: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counters {
    pub records: Vec<Record>,
    pub bad: Vec<BadLine>,
}

/// Parses the CSV (quoted fields allowed: a metric name may hold a comma).
pub fn parse(text: &str) -> Counters {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut out = Counters::default();
    let ends_cleanly = text.ends_with('\n');
    let mut rows = Vec::new();
    for result in reader.records() {
        match result {
            Ok(record) => {
                let line = record.position().map_or(0, |p| p.line());
                rows.push((line, Ok(record)));
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                rows.push((line, Err(e.to_string())));
            }
        }
    }
    let last_line = rows.last().map(|(l, _)| *l);
    for (line, row) in rows {
        let record = match row {
            Ok(r) => r,
            Err(reason) => {
                out.bad.push(BadLine {
                    line,
                    reason,
                    truncated_last: false,
                });
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        let bad = |reason: String| BadLine {
            line,
            reason,
            truncated_last: !ends_cleanly && Some(line) == last_line,
        };
        if record.len() < 5 {
            out.bad.push(bad(format!(
                "{} fields, at least 5 expected (host, metric, time, epoch, values)",
                record.len()
            )));
            continue;
        }
        let epoch = match record[3].parse::<i64>() {
            Ok(e) if e > 0 => e,
            _ => {
                out.bad.push(bad(format!(
                    "epoch '{}' is not a number of seconds",
                    one_line(&record[3])
                )));
                continue;
            }
        };
        let mut values = Vec::with_capacity(record.len() - 4);
        let mut failed = None;
        for (i, v) in record.iter().skip(4).enumerate() {
            match v.parse::<u64>() {
                Ok(n) => values.push(n),
                Err(_) => {
                    failed = Some(format!("value {} '{}' is not a count", i + 1, one_line(v)));
                    break;
                }
            }
        }
        if let Some(reason) = failed {
            out.bad.push(bad(reason));
            continue;
        }
        if record[0].is_empty() || record[1].is_empty() {
            out.bad.push(bad("empty host or metric name".to_string()));
            continue;
        }
        out.records.push(Record {
            line,
            host: record[0].to_string(),
            metric: record[1].to_string(),
            epoch,
            values,
        });
    }
    out
}

#[derive(Debug, Clone)]
pub struct Options {
    pub age: Thresholds,
    pub metrics: Vec<String>,
    pub minutes: usize,
    pub per_host: bool,
    pub volume: Thresholds,
}

/// The sum of the newest `minutes` values; `None` on overflow.
fn newest_sum(values: &[u64], minutes: usize) -> Option<u64> {
    values
        .iter()
        .take(minutes)
        .try_fold(0u64, |acc, v| acc.checked_add(*v))
}

fn age_item(what: &str, label: &str, age: i64, thresholds: &Thresholds) -> Item {
    let judged = thresholds.judge(label, age as f64, Uom::Seconds);
    let text = if age < 0 {
        format!(
            "{what} is {} in the future",
            crate::duration::human(-age as f64)
        )
    } else {
        format!("{what} {} old", crate::duration::human(age as f64))
    };
    judged.item(text)
}

/// Judges the parsed file at time `now` (seconds since the epoch); `mtime` is the file's.
pub fn evaluate(counters: &Counters, mtime: Option<i64>, now: i64, options: &Options) -> Check {
    let mut check = Check::new();
    for bad in &counters.bad {
        let state = if bad.truncated_last {
            State::Warning
        } else {
            State::Unknown
        };
        let what = if bad.truncated_last {
            "truncated (file being rewritten?)"
        } else {
            "not understood"
        };
        check.item(Item::new(
            state,
            format!("line {} {what}: {}", bad.line, one_line(&bad.reason)),
        ));
    }
    if counters.records.is_empty() {
        check.item(Item::new(State::Unknown, "no counter line in the file"));
        return check;
    }
    // Freshness: the newest epoch of the file, and of each host.
    let mut hosts: BTreeMap<&str, i64> = BTreeMap::new();
    for r in &counters.records {
        let e = hosts.entry(r.host.as_str()).or_insert(r.epoch);
        *e = (*e).max(r.epoch);
    }
    let newest = hosts.values().copied().max().unwrap_or(0);
    let Some(age) = now.checked_sub(newest) else {
        check.item(Item::new(
            State::Unknown,
            "the newest epoch is out of range",
        ));
        return check;
    };
    let mut fresh = age_item("newest sample", "age", age, &options.age);
    if let Some(mtime) = mtime {
        if let Some(file_age) = now.checked_sub(mtime) {
            let item = age_item("file modified", "file_age", file_age, &options.age);
            fresh.perfdata.extend(item.perfdata.clone());
            if item.state != State::Ok {
                fresh.children.push(item);
            } else {
                fresh = fresh.detail(1, item.text);
            }
        }
    }
    for (host, epoch) in &hosts {
        let host_age = newest.saturating_sub(*epoch);
        if host_age > 0 {
            let judged = options.age.evaluate(host_age as f64);
            fresh.children.push(Item::new(
                judged.worst(State::Warning),
                format!(
                    "{} silent: its newest sample is {} older than the file's",
                    one_line(host),
                    crate::duration::human(host_age as f64)
                ),
            ));
        }
    }
    fresh.text = format!("{} ({})", fresh.text, plural(hosts.len(), "host"));
    check.item(fresh);

    let minutes = options.minutes;
    for metric in &options.metrics {
        let rows: Vec<&Record> = counters
            .records
            .iter()
            .filter(|r| &r.metric == metric)
            .collect();
        let name = one_line(metric);
        if options.per_host {
            let mut parent = Item::new(State::Ok, format!("{name} per host over {minutes} min"));
            for host in hosts.keys() {
                let sum = rows
                    .iter()
                    .filter(|r| r.host == *host)
                    .try_fold(0u64, |acc, r| {
                        newest_sum(&r.values, minutes).and_then(|s| acc.checked_add(s))
                    });
                let Some(sum) = sum else {
                    parent.children.push(Item::new(
                        State::Unknown,
                        format!("{name} on {}: sum overflows", one_line(host)),
                    ));
                    continue;
                };
                let judged =
                    options
                        .volume
                        .judge(format!("{metric}_{host}"), sum as f64, Uom::None);
                parent
                    .children
                    .push(judged.item(format!("{name} {sum} on {}", one_line(host))));
            }
            let worst = parent
                .children
                .iter()
                .filter(|c| c.state != State::Ok)
                .max_by_key(|c| c.state.severity());
            if let Some(worst) = worst {
                parent.text = format!("{} in {minutes} min", worst.text);
            }
            check.item(parent);
        } else {
            let sum = rows.iter().try_fold(0u64, |acc, r| {
                newest_sum(&r.values, minutes).and_then(|s| acc.checked_add(s))
            });
            let Some(sum) = sum else {
                check.item(Item::new(State::Unknown, format!("{name}: sum overflows")));
                continue;
            };
            let text = if rows.is_empty() {
                format!("{name} not in the file (0 in {minutes} min)")
            } else {
                format!(
                    "{name} {sum} in {minutes} min on {}",
                    plural(rows.len(), "host")
                )
            };
            check.item(
                options
                    .volume
                    .judge(metric.as_str(), sum as f64, Uom::None)
                    .item(text),
            );
        }
    }
    let relay: Vec<&Record> = counters
        .records
        .iter()
        .filter(|r| r.metric == RELAY_METRIC)
        .collect();
    if !relay.is_empty() {
        let sum = relay
            .iter()
            .try_fold(0u64, |acc, r| {
                newest_sum(&r.values, minutes).and_then(|s| acc.checked_add(s))
            })
            .unwrap_or(u64::MAX);
        let text = if sum > 0 {
            format!("calls are relayed ({sum} in {minutes} min)")
        } else {
            format!("{RELAY_METRIC} present, nothing relayed in {minutes} min")
        };
        check.item(
            Item::new(State::Ok, text).perf(Perfdata::new("relay", sum as f64, Uom::None).min(0.0)),
        );
    }
    if check.state() == State::Ok {
        // Volumes first, then freshness: "request.INVITE 97 in 5 min on 2 hosts, newest sample 40s old".
        let mut parts: Vec<String> = check.items.iter().skip(1).map(|i| i.text.clone()).collect();
        parts.insert(
            parts.len().min(options.metrics.len()),
            check.items[0].text.clone(),
        );
        check.ok_summary(parts.join(", "));
    }
    check
}

/// Reads the file and judges it now.
pub fn check(path: &Path, options: &Options) -> CheckResult {
    crate::timeout::set_activity(format!("reading {}", path.display()));
    let meta = std::fs::metadata(path)
        .map_err(|e| Failure::unknown(format!("cannot read {}: {e}", path.display())))?;
    let text = crate::input::read_input(path, crate::exec::DEFAULT_OUTPUT_LIMIT)?;
    if text.trim().is_empty() {
        return Err(Failure::unknown(format!("{} is empty", path.display())));
    }
    let mtime = {
        use std::os::unix::fs::MetadataExt;
        Some(meta.mtime())
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| Failure::unknown("the clock is before 1970"))?
        .as_secs() as i64;
    Ok(evaluate(&parse(&text), mtime, now, options))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "\
sre-cp1-ams-dune,request.INVITE,2024-06-20T10:39:00,1718879940,16,20,23,19,18,20,24,23,21,21,26,24,21,21,19
sre-cp2-ams-dune,request.INVITE,2024-06-20T10:39:00,1718879940,0,0,1,0,0,0,0,0,0,0,0,1,0,0,0,0
sre-cp1-ams-dune,response.200 (OPTIONS),2024-06-20T10:39:00,1718879940,7,6,6,6,6,6,7,7,7,5,6,7,6,7,7
sre-cp1-ams-dune,response.relay,2024-06-20T10:39:00,1718879940,15,19,23,19,17,20,22,23,21,21,26,22,20,19,16
";
    const NOW: i64 = 1718879940 + 30;

    fn options() -> Options {
        Options {
            age: Thresholds::new("180".parse().ok(), "600".parse().ok()),
            metrics: vec![DEFAULT_METRIC.to_string()],
            minutes: 5,
            per_host: false,
            volume: Thresholds::default(),
        }
    }

    #[test]
    fn the_seed_lines() {
        let c = parse(SEED);
        assert!(c.bad.is_empty(), "{:?}", c.bad);
        assert_eq!(c.records.len(), 4);
        assert_eq!(c.records[2].metric, "response.200 (OPTIONS)");
        assert_eq!(c.records[0].values.len(), 15);
        assert_eq!(c.records[0].line, 1);
        let check = evaluate(&c, Some(NOW - 20), NOW, &options());
        let text = check.render_text("S", 0);
        assert_eq!(check.state(), State::Ok, "{text}");
        // 16+20+23+19+18 on cp1, 0+0+1+0+0 on cp2
        assert!(
            text.contains("request.INVITE 97 in 5 min on 2 hosts"),
            "{text}"
        );
        assert!(text.contains("request.INVITE=97"), "{text}");
        assert!(text.contains("calls are relayed (93 in 5 min)"), "{text}");
        assert!(
            text.contains("age=30s;180;600 file_age=20s;180;600"),
            "{text}"
        );
    }

    #[test]
    fn quoted_commas_truncation_and_bad_lines() {
        let text = format!("{SEED}sre-cp1,\"response.200 (OPTIONS, cached)\",x,1718879940,1,2\nsre-cp1,m,x,abc,1\nsre-cp1,request.REG");
        let c = parse(&text);
        assert_eq!(c.records.len(), 5);
        assert_eq!(c.records[4].metric, "response.200 (OPTIONS, cached)");
        assert_eq!(c.bad.len(), 2);
        assert_eq!(c.bad[0].line, 6);
        assert!(!c.bad[0].truncated_last);
        assert!(c.bad[1].truncated_last);
        let check = evaluate(&c, None, NOW, &options());
        let out = check.render_text("S", 0);
        // The core ranks WARNING above UNKNOWN; both lines are there.
        assert_eq!(check.state(), State::Warning, "{out}");
        assert!(out.contains("line 6 not understood: epoch 'abc'"), "{out}");
        assert!(
            out.contains("line 7 truncated (file being rewritten?)"),
            "{out}"
        );
    }

    #[test]
    fn stale_silent_and_no_calls() {
        let c = parse(SEED);
        let check = evaluate(&c, None, NOW + 900, &options());
        assert_eq!(check.state(), State::Critical);
        assert!(
            check.summary().contains("newest sample 15m 30s old"),
            "{}",
            check.summary()
        );
        let silent = SEED.replacen(
            "sre-cp2-ams-dune,request.INVITE,2024-06-20T10:39:00,1718879940",
            "sre-cp2-ams-dune,request.INVITE,2024-06-20T10:28:00,1718879280",
            1,
        );
        let check = evaluate(&parse(&silent), None, NOW, &options());
        assert_eq!(
            check.state(),
            State::Critical,
            "{}",
            check.render_text("S", 0)
        );
        assert!(check
            .render_text("S", 0)
            .contains("sre-cp2-ams-dune silent: its newest sample is 11m older"));
        let per_host = Options {
            per_host: true,
            volume: Thresholds::new(None, "1:".parse().ok()),
            ..options()
        };
        let check = evaluate(&parse(SEED), None, NOW, &per_host);
        let out = check.render_text("S", 0);
        assert_eq!(check.state(), State::Ok, "{out}");
        assert!(
            out.contains("request.INVITE 1 on sre-cp2-ams-dune"),
            "{out}"
        );
        let zero = SEED.replace(
            ",0,0,1,0,0,0,0,0,0,0,0,1,0,0,0,0",
            ",0,0,0,0,0,1,0,0,0,0,0,1,0,0,0,0",
        );
        let check = evaluate(&parse(&zero), None, NOW, &per_host);
        assert!(
            check
                .summary()
                .contains("request.INVITE 0 on sre-cp2-ams-dune"),
            "{}",
            check.summary()
        );
        assert!(check
            .render_text("S", 0)
            .contains("request.INVITE_sre-cp1-ams-dune=96;;1:"));
    }

    #[test]
    fn overflow_is_unknown_not_a_panic() {
        let text = "h,request.INVITE,x,1718879940,18446744073709551615,1\n";
        let check = evaluate(&parse(text), None, NOW, &options());
        assert_eq!(check.state(), State::Unknown);
        assert!(check.summary().contains("sum overflows"));
        let future = "h,m,x,9223372036854775807,1\n";
        let check = evaluate(&parse(future), None, -10, &options());
        assert_eq!(check.state(), State::Unknown);
    }
}
