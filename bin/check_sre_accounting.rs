//! check_sre_accounting: SRE accounting generation (open calls and CDR files).
use clap::Parser;
use opscheck::checks::sre_accounting::{self, Options, DEFAULT_DIR};
use opscheck::checks::sre_status::DEFAULT_LOCALE;
use opscheck::cli::{CommonArgs, ThresholdArgs};
use opscheck::input::InputArgs;
use opscheck::{CheckResult, Plugin, Range, Thresholds};
use std::path::PathBuf;

fn non_empty(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        Err("an empty value is not allowed".to_string())
    } else {
        Ok(text.to_string())
    }
}

/// Checks SRE accounting generation on the master EM.
///
/// Open calls: the `total` row of `/opt/sre/bin/sre-admin monitor accounting
/// summary` (or --command, or --input), judged with -w/-c (perfdata
/// open_calls); --no-summary skips it. Accounting directory (--dir): exactly one
/// `cdr-<timestamp>.inprogress` file (none, or two or more, is CRITICAL, naming
/// them); the timestamp in its name (the EM's local time, read in the zone TZ
/// names) and its mtime within --warning-age/--critical-age; a name more than
/// 2 minutes in the future is WARNING (clock or TZ wrong). Closed `cdr-*` files
/// must not be modified more than --grace seconds after the next file began: a
/// closed file still growing is WARNING. Subdirectories (http, events, enum,
/// state) and other names are ignored; a `cdr-` name that is not understood is
/// UNKNOWN.
#[derive(Parser, Debug)]
#[command(name = "check_sre_accounting", version)]
struct Args {
    /// The accounting directory
    #[arg(long, value_name = "DIR", default_value = DEFAULT_DIR)]
    dir: PathBuf,

    #[command(flatten)]
    input: InputArgs,

    /// Do not ask sre-admin for the open calls (check only the directory)
    #[arg(long, conflicts_with_all = ["input", "command"])]
    no_summary: bool,

    /// LC_ALL for sre-admin (it refuses to run in an ASCII locale)
    #[arg(long, value_name = "LOCALE", default_value = DEFAULT_LOCALE, value_parser = non_empty)]
    locale: String,

    #[command(flatten)]
    open_calls: ThresholdArgs,

    /// Warning range on the age in seconds of the file in progress (its name's timestamp and its mtime)
    #[arg(
        long,
        value_name = "RANGE",
        default_value = "600",
        allow_hyphen_values = true
    )]
    warning_age: Range,

    /// Critical range on the age in seconds of the file in progress
    #[arg(
        long,
        value_name = "RANGE",
        default_value = "1800",
        allow_hyphen_values = true
    )]
    critical_age: Range,

    /// Seconds a closed file may still be written after the next file began
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    grace: u32,

    #[command(flatten)]
    common: CommonArgs,
}

impl Plugin for Args {
    const SERVICE: &'static str = "SRE_ACCOUNTING";

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn check(&self) -> CheckResult {
        let options = Options {
            open_calls: self.open_calls.thresholds(),
            age: Thresholds::new(
                Some(self.warning_age.clone()),
                Some(self.critical_age.clone()),
            ),
            grace: i64::from(self.grace),
        };
        let summary = (!self.no_summary).then_some(&self.input);
        sre_accounting::check(summary, &self.locale, &self.dir, &options)
    }
}

fn main() {
    opscheck::run::<Args>()
}
