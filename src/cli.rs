//! Options every plugin shares, as clap argument groups to flatten into a plugin's own.

use crate::range::Range;
use crate::threshold::Thresholds;
use crate::timeout::Timeout;
use clap::{ArgAction, Args, ValueEnum};

/// `-t`, `-v` and `--output-format`; `-h` and `-V` come from clap.
#[derive(Args, Debug, Clone)]
pub struct CommonArgs {
    /// Give up after SECONDS and report STATE (default unknown), e.g. `10` or `30:critical`.
    /// Child processes the plugin started are killed
    #[arg(
        short = 't',
        long = "timeout",
        value_name = "SECONDS[:STATE]",
        default_value = "10"
    )]
    pub timeout: Timeout,

    /// More detail in the long output (repeat up to 3 times). Never changes the state or the perfdata
    #[arg(short = 'v', long = "verbose", action = ArgAction::Count)]
    pub verbose: u8,

    /// `nagios`: the plugin API text. `json`: the same result as a tree, for tests and tools
    #[arg(long = "output-format", value_enum, default_value_t = OutputFormat::Nagios, value_name = "FORMAT")]
    pub output_format: OutputFormat,
}

/// How the result is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// The plugin API text (line one, long output, perfdata).
    Nagios,
    /// The result tree as JSON, for tests and tools.
    Json,
}

/// `-w` / `-c` for a plugin that judges one kind of value.
#[derive(Args, Debug, Clone, Default)]
pub struct ThresholdArgs {
    /// Warning range (Nagios syntax: 10, 10:, ~:10, 10:20, @10:20)
    #[arg(
        short = 'w',
        long = "warning",
        value_name = "RANGE",
        allow_hyphen_values = true
    )]
    pub warning: Option<Range>,

    /// Critical range (Nagios syntax), tested before the warning range
    #[arg(
        short = 'c',
        long = "critical",
        value_name = "RANGE",
        allow_hyphen_values = true
    )]
    pub critical: Option<Range>,
}

impl ThresholdArgs {
    /// The two ranges as [`Thresholds`] (an unset one never alarms).
    pub fn thresholds(&self) -> Thresholds {
        Thresholds::new(self.warning.clone(), self.critical.clone())
    }
}
