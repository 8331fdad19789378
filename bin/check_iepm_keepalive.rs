//! check_iepm_keepalive: IEPM-BW daemon keep-alive files.
use clap::Parser;
use opscheck::checks::iepm_keepalive::{self, Options, DEFAULT_DAEMONS, DEFAULT_DIR};
use opscheck::cli::CommonArgs;
use opscheck::{CheckResult, Plugin, Range, Thresholds};
use std::path::PathBuf;

/// Checks that the IEPM-BW daemons touch their keep-alive files.
///
/// Each daemon touches DIR/<daemon>.alive every cycle; keep-em-alive restarts
/// stale ones every 10 minutes. The age of each file (seconds since its mtime)
/// is judged against -w/-c; a missing file is CRITICAL; a file dated more than
/// 60 s in the future is WARNING (clock skew).
#[derive(Parser, Debug)]
#[command(name = "check_iepm_keepalive", version)]
struct Args {
    /// Keep-alive directory
    #[arg(long, value_name = "DIR", default_value = DEFAULT_DIR)]
    dir: PathBuf,

    /// A daemon to check (repeatable; `pingd` or `pingd.alive`).
    /// Default: the seven daemons of the IEPM-BW guide
    #[arg(long = "daemon", value_name = "NAME")]
    daemons: Vec<String>,

    /// Warning range on each file's age in seconds (default 900: over 15 min, one missed cycle)
    #[arg(
        short = 'w',
        long = "warning",
        value_name = "RANGE",
        default_value = "900",
        allow_hyphen_values = true
    )]
    warning: Range,

    /// Critical range on each file's age in seconds (default 1800: keep-em-alive did not revive it)
    #[arg(
        short = 'c',
        long = "critical",
        value_name = "RANGE",
        default_value = "1800",
        allow_hyphen_values = true
    )]
    critical: Range,

    #[command(flatten)]
    common: CommonArgs,
}

impl Plugin for Args {
    const SERVICE: &'static str = "IEPM_KEEPALIVE";

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn check(&self) -> CheckResult {
        let daemons = if self.daemons.is_empty() {
            DEFAULT_DAEMONS.iter().map(|d| d.to_string()).collect()
        } else {
            self.daemons.clone()
        };
        iepm_keepalive::check(&Options {
            dir: self.dir.clone(),
            daemons,
            thresholds: Thresholds::new(Some(self.warning.clone()), Some(self.critical.clone())),
        })
    }
}

fn main() {
    opscheck::run::<Args>()
}
