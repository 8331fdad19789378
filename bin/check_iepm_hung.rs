//! check_iepm_hung: processes bw-cleanup would kill (it never kills anything itself).
use clap::Parser;
use opscheck::checks::iepm_hung::{self, Options, DEFAULT_CONFIG};
use opscheck::cli::CommonArgs;
use opscheck::proc_match::{Filter, User};
use opscheck::{CheckResult, Plugin, Range, Thresholds};
use std::path::PathBuf;

/// Reports IEPM-BW processes that hang longer than cleanup-list allows. Never kills.
///
/// Each line of the list is `pattern,minutes`: a process whose command line
/// contains the pattern and that has run (since its start time) longer than the
/// minutes is hung, as bw-cleanup sees it from cron. When several patterns match,
/// the shortest limit applies. The hung processes are listed with PID, age and
/// command; their count is judged with -w (default 0: any hung process is a
/// WARNING) and -c (unset by default). Processes without a command line and the
/// plugin itself are skipped. An unreadable or unparsable list is UNKNOWN.
#[derive(Parser, Debug)]
#[command(name = "check_iepm_hung", version)]
struct Args {
    /// The cleanup list (`pattern,minutes` lines; `#` comments and blank lines allowed)
    #[arg(long, value_name = "FILE", default_value = DEFAULT_CONFIG)]
    config: PathBuf,

    /// Count only processes of this user (name or UID), e.g. `iepm`, whose crontab
    /// runs bw-cleanup
    #[arg(short = 'u', long, value_name = "USER")]
    user: Option<User>,

    /// Warning range on the number of hung processes (default 0: one is a warning)
    #[arg(
        short = 'w',
        long = "warning",
        value_name = "RANGE",
        default_value = "0",
        allow_hyphen_values = true
    )]
    warning: Range,

    /// Critical range on the number of hung processes, e.g. 3 (more than 3 is critical)
    #[arg(
        short = 'c',
        long = "critical",
        value_name = "RANGE",
        allow_hyphen_values = true
    )]
    critical: Option<Range>,

    #[command(flatten)]
    common: CommonArgs,
}

impl Plugin for Args {
    const SERVICE: &'static str = "IEPM_HUNG";

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn check(&self) -> CheckResult {
        iepm_hung::check(&Options {
            config: self.config.clone(),
            filter: Filter {
                user: self.user.clone(),
            },
            thresholds: Thresholds::new(Some(self.warning.clone()), self.critical.clone()),
        })
    }
}

fn main() {
    opscheck::run::<Args>()
}
