//! check_sre_counters: the SRE statistics CSV (/var/log/sre/counters.csv).
use clap::Parser;
use opscheck::checks::sre_counters::{self, Options, DEFAULT_FILE, DEFAULT_METRIC};
use opscheck::cli::{CommonArgs, ThresholdArgs};
use opscheck::{CheckResult, Plugin, Range, Thresholds};
use std::path::PathBuf;

fn non_empty(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        Err("an empty value is not allowed".to_string())
    } else {
        Ok(text.to_string())
    }
}

fn minutes(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=15).contains(&n) => Ok(n),
        _ => Err(format!("'{text}' is not a number of minutes from 1 to 15")),
    }
}

/// Checks the SRE statistics file written every minute by sre-manager (master EM).
///
/// Each line of the CSV is `hostname,metric,ISO time,epoch,` then 15 per-minute
/// values, newest first (a metric name may hold spaces, parentheses and, quoted,
/// commas). Freshness: the newest epoch and the file's mtime against
/// --warning-age/--critical-age; a host whose newest line is older than the
/// file's newest is silent (at least WARNING). Volume: for each --metric
/// (default request.INVITE) the sum of the newest --minutes values over all
/// hosts, or per host with --per-host, against -w/-c (e.g. `-c 1:`: no call
/// processed is CRITICAL). A metric absent from the file counts 0.
/// response.relay present and non-zero is reported: calls are relayed. A line
/// that is not understood is UNKNOWN, naming it; a cut-off last line (the file
/// caught while being rewritten) is WARNING. Perfdata: age, file_age, one per
/// metric (per metric and host with --per-host), relay.
#[derive(Parser, Debug)]
#[command(name = "check_sre_counters", version)]
struct Args {
    /// The statistics file
    #[arg(long, value_name = "FILE", default_value = DEFAULT_FILE)]
    file: PathBuf,

    /// A metric whose volume is judged with -w/-c (repeatable) [default: request.INVITE]
    #[arg(long = "metric", value_name = "NAME", value_parser = non_empty)]
    metrics: Vec<String>,

    /// How many of the newest per-minute values are summed (1 to 15)
    #[arg(long, value_name = "N", default_value = "5", value_parser = minutes)]
    minutes: usize,

    /// Judge each host's sum rather than the sum over all hosts
    #[arg(long)]
    per_host: bool,

    #[command(flatten)]
    volume: ThresholdArgs,

    /// Warning range on the age in seconds of the newest sample and of the file
    #[arg(
        long,
        value_name = "RANGE",
        default_value = "180",
        allow_hyphen_values = true
    )]
    warning_age: Range,

    /// Critical range on the age in seconds of the newest sample and of the file
    #[arg(
        long,
        value_name = "RANGE",
        default_value = "600",
        allow_hyphen_values = true
    )]
    critical_age: Range,

    #[command(flatten)]
    common: CommonArgs,
}

impl Plugin for Args {
    const SERVICE: &'static str = "SRE_COUNTERS";

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn check(&self) -> CheckResult {
        let metrics = if self.metrics.is_empty() {
            vec![DEFAULT_METRIC.to_string()]
        } else {
            self.metrics.clone()
        };
        let options = Options {
            age: Thresholds::new(
                Some(self.warning_age.clone()),
                Some(self.critical_age.clone()),
            ),
            metrics,
            minutes: self.minutes,
            per_host: self.per_host,
            volume: self.volume.thresholds(),
        };
        sre_counters::check(&self.file, &options)
    }
}

fn main() {
    opscheck::run::<Args>()
}
