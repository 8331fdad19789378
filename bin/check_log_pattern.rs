//! check_log_pattern: lines added to logs since the last run, against patterns.
use clap::Parser;
use opscheck::checks::log_pattern::{self, matcher::PatternSpec, parse_size, Missing, Options};
use opscheck::cli::CommonArgs;
use opscheck::state::StateArgs;
use opscheck::{CheckResult, Plugin, Range, Thresholds};

/// Checks the lines added to a log since the last run against regexes.
///
/// Reads only what was appended since the previous run (the position is kept in
/// the state directory per file and pattern set); the first run starts at the
/// end of the file (no alarm on history) unless --from-start. All patterns are
/// compiled once into one set and matched in one pass (Rust regex syntax, on
/// bytes: invalid UTF-8 is matched and shown lossily). Rotation is followed: on a
/// new inode the unread tail of the old file is read first (found by its inode
/// among FILE.0, FILE.1, FILE-* and --rotated-glob; compressed archives are
/// skipped with a note), then the new file from its start; a truncated file
/// (copytruncate) or a file rewritten in place (its first bytes changed) is read
/// from its start. A last line without its newline is left for the next run.
/// Critical matches are judged by -c, warning matches by -w (default 0: one
/// match alarms). Example, net.Console failover analysis:
/// --file /var/log/mserver/local.log --critical-pattern 'Aggregated
/// netConsoleControllerService health is not OK' --warning-pattern 'Exception'
/// --continuation '^\s+at |^Caused by:|^\s+\.\.\. \d+ more'
#[derive(Parser, Debug)]
#[command(name = "check_log_pattern", version)]
struct Args {
    /// Log file to read (repeatable): a path, a glob (`/var/log/app/*.log`) or a
    /// date pattern for date-named logs (`/data/log/app-%Y%m%d.log`: %Y %y %m %d %H, local time)
    #[arg(long = "file", value_name = "PATH", required = true)]
    files: Vec<String>,

    /// A line matching RE is a critical match (repeatable)
    #[arg(long = "critical-pattern", value_name = "RE")]
    critical_patterns: Vec<String>,

    /// A line matching RE is a warning match (repeatable)
    #[arg(long = "warning-pattern", value_name = "RE")]
    warning_patterns: Vec<String>,

    /// A line matching RE clears the matches counted before it in this run
    /// (e.g. a "recovered" line after the errors) (repeatable)
    #[arg(long = "ok-pattern", value_name = "RE")]
    ok_patterns: Vec<String>,

    /// A line matching RE is never counted, whatever else it matches (repeatable)
    #[arg(long = "ignore-pattern", value_name = "RE")]
    ignore_patterns: Vec<String>,

    /// A line matching RE continues the event of the line before it (multi-line
    /// events: a Java stack trace `^\s+at |^Caused by:` counts once, shown by its first line)
    #[arg(long, value_name = "RE")]
    continuation: Option<String>,

    /// Match the patterns without regard to case
    #[arg(short = 'i', long)]
    case_insensitive: bool,

    /// Warning range on the number of warning matches this run
    #[arg(
        short = 'w',
        long = "warning",
        value_name = "RANGE",
        default_value = "0",
        allow_hyphen_values = true
    )]
    warning: Range,

    /// Critical range on the number of critical matches this run
    #[arg(
        short = 'c',
        long = "critical",
        value_name = "RANGE",
        default_value = "0",
        allow_hyphen_values = true
    )]
    critical: Range,

    /// How many of the last matching lines to show in the long output
    #[arg(long, value_name = "N", default_value_t = 5)]
    show: usize,

    /// Where else the rotated predecessor of a file may be (repeatable), e.g.
    /// '/var/log/archive/local.log.*'. FILE.0, FILE.1 and FILE-* are always looked at
    #[arg(long = "rotated-glob", value_name = "GLOB")]
    rotated_globs: Vec<String>,

    /// On the first run, read the file from its start instead of its end
    #[arg(long)]
    from_start: bool,

    /// The state when a file is missing (or a glob matches nothing)
    #[arg(long, value_enum, value_name = "STATE", default_value_t = Missing::Unknown)]
    missing: Missing,

    /// At most this much is read per run (all files together); the rest is read
    /// next run, and the output says so. Suffixes K, M, G (powers of 1024)
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = parse_size)]
    max_bytes: u64,

    /// Name of this check in the state directory [default: the file and a hash of
    /// the patterns, so checks with different patterns on one file keep their own positions]
    #[arg(long, value_name = "NAME")]
    instance: Option<String>,

    #[command(flatten)]
    state: StateArgs,

    #[command(flatten)]
    common: CommonArgs,
}

impl Plugin for Args {
    const SERVICE: &'static str = "LOG_PATTERN";

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn check(&self) -> CheckResult {
        if self.instance.as_deref() == Some("") {
            return Err(opscheck::Failure::unknown("--instance '' is empty"));
        }
        if self.rotated_globs.iter().any(|g| g.is_empty()) {
            return Err(opscheck::Failure::unknown("--rotated-glob '' is empty"));
        }
        log_pattern::check(
            &Options {
                files: self.files.clone(),
                patterns: PatternSpec {
                    critical: self.critical_patterns.clone(),
                    warning: self.warning_patterns.clone(),
                    ok: self.ok_patterns.clone(),
                    ignore: self.ignore_patterns.clone(),
                    continuation: self.continuation.clone(),
                    case_insensitive: self.case_insensitive,
                },
                rotated_globs: self.rotated_globs.clone(),
                from_start: self.from_start,
                missing: self.missing.state(),
                max_bytes: self.max_bytes,
                show: self.show,
                warning_count: Thresholds::new(Some(self.warning.clone()), None),
                critical_count: Thresholds::new(None, Some(self.critical.clone())),
                instance: self.instance.clone(),
            },
            &self.state,
        )
    }
}

fn main() {
    opscheck::run::<Args>()
}
