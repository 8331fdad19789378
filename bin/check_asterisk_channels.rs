//! check_asterisk_channels: Asterisk's active channels and calls, and their consistency.
use clap::Parser;
use opscheck::checks::asterisk::channels::{self, Options};
use opscheck::checks::asterisk::source::SourceArgs;
use opscheck::cli::CommonArgs;
use opscheck::definitions::Hints;
use opscheck::{CheckResult, Plugin, Range, Thresholds};

/// Checks Asterisk's channels and calls: `core show channels` (1.4's `show
/// channels` prints the same).
///
/// Reports the active channels, the active calls and the calls processed
/// since start (a counter). As the net.Console guide asks ("number of channels
/// and calls are consistent"), more calls than channels, or a channel count
/// that disagrees with the rows listed, is WARNING. A listing without its
/// summary lines is UNKNOWN. Asterisk not running ("Unable to connect to
/// remote asterisk") is CRITICAL.
#[derive(Parser, Debug)]
#[command(name = "check_asterisk_channels", version)]
struct Args {
    /// Warning range on the active channels
    #[arg(long, value_name = "RANGE", allow_hyphen_values = true)]
    warning_channels: Option<Range>,

    /// Critical range on the active channels
    #[arg(long, value_name = "RANGE", allow_hyphen_values = true)]
    critical_channels: Option<Range>,

    /// Warning range on the active calls
    #[arg(long, value_name = "RANGE", allow_hyphen_values = true)]
    warning_calls: Option<Range>,

    /// Critical range on the active calls
    #[arg(long, value_name = "RANGE", allow_hyphen_values = true)]
    critical_calls: Option<Range>,

    #[command(flatten)]
    source: SourceArgs,

    #[command(flatten)]
    common: CommonArgs,
}

impl Plugin for Args {
    const SERVICE: &'static str = "ASTERISK_CHANNELS";

    const DEFINITION: Hints = Hints {
        vars: &[],
        defaults: &[],
        env: &[("ASTERISK_AMI_SECRET", "asterisk_ami_secret")],
    };

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn check(&self) -> CheckResult {
        let options = Options {
            channels: Thresholds::new(
                self.warning_channels.clone(),
                self.critical_channels.clone(),
            ),
            calls: Thresholds::new(self.warning_calls.clone(), self.critical_calls.clone()),
        };
        opscheck::checks::asterisk::run(
            &self.source,
            "core show channels",
            channels::parse,
            |parsed| channels::evaluate(parsed, &options),
        )
    }
}

fn main() {
    opscheck::run::<Args>()
}
