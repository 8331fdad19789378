//! check_counter_reset: counters that must never go down (StarOS backed-up statistics).
use clap::Parser;
use opscheck::checks::counter_reset::{self, Options, Schema, Source};
use opscheck::cli::CommonArgs;
use opscheck::input::InputArgs;
use opscheck::state::StateArgs;
use opscheck::{CheckResult, Failure, Plugin};
use std::path::PathBuf;

/// Checks that counters never go down between two runs.
///
/// StarOS checkpoints the SessMgr counters to the AAAMgr and adds them back
/// after a SessMgr restart, so a counter lower than in the previous sample means
/// the checkpoint was lost: CRITICAL, naming the counter with its old and new
/// value (--warning-only: WARNING). Gauges (--gauge) are checkpointed but not
/// recovered and may go down. Samples are `name value` lines (--input, or a
/// --command printing them) or a StarOS bulk statistics file (--bulkstats) whose
/// columns are named by --schema (the schema's format string as configured on
/// StarOS, e.g. 'EMS,pgwSch1,%date%,%time%,%vpnname%,%servname%,%sessstat-pdn-ttlsetup%')
/// or by the file's header line. The previous sample is kept in the state
/// directory; the first run records a baseline and is OK. A counter that
/// disappears is WARNING; a bulk statistics file with no newer sample than last
/// run is OK ("no new sample").
#[derive(Parser, Debug)]
#[command(name = "check_counter_reset", version)]
struct Args {
    #[command(flatten)]
    input: InputArgs,

    /// A StarOS bulk statistics file (CSV) instead of `name value` lines
    #[arg(long, value_name = "FILE", conflicts_with_all = ["input", "command"])]
    bulkstats: Option<PathBuf>,

    /// The bulk statistics schema format (repeatable, one per schema in the file);
    /// without it the file's first line names the columns
    #[arg(long = "schema", value_name = "FORMAT", requires = "bulkstats")]
    schemas: Vec<String>,

    /// Counters whose name matches RE are gauges: they may go down (repeatable), e.g. 'curactive|-cur-'
    #[arg(long = "gauge", value_name = "RE")]
    gauges: Vec<String>,

    /// Counter width: a decrease from the top quarter of 2^BITS to its bottom quarter is a wrap, not a reset
    #[arg(long, value_name = "BITS", value_parser = ["32", "64"])]
    wrap: Option<String>,

    /// A counter that went down is WARNING, not CRITICAL
    #[arg(long)]
    warning_only: bool,

    /// Report the rate per second of counters matching RE as perfdata (repeatable)
    #[arg(long = "rate", value_name = "RE")]
    rates: Vec<String>,

    /// Name of this sample source in the state directory [default: the bulkstats file, command or input file]
    #[arg(long, value_name = "NAME")]
    instance: Option<String>,

    #[command(flatten)]
    state: StateArgs,

    #[command(flatten)]
    common: CommonArgs,
}

fn regex_set(what: &str, list: &[String]) -> Result<regex::RegexSet, Failure> {
    if list.iter().any(|p| p.is_empty()) {
        return Err(Failure::unknown(format!("{what} '' is empty")));
    }
    regex::RegexSet::new(list).map_err(|e| Failure::unknown(format!("{what}: {e}")))
}

impl Plugin for Args {
    const SERVICE: &'static str = "COUNTER_RESET";

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn check(&self) -> CheckResult {
        let (source, key) = match &self.bulkstats {
            Some(path) => {
                let schemas = self
                    .schemas
                    .iter()
                    .map(|s| Schema::parse(s))
                    .collect::<Result<Vec<_>, _>>()?;
                (
                    Source::Bulkstats(path.clone(), schemas),
                    format!("bulkstats:{}", path.display()),
                )
            }
            None => {
                let key = match (&self.input.input, &self.input.command) {
                    (Some(path), _) => format!("input:{}", path.display()),
                    (None, Some(command)) => format!("command:{command}"),
                    (None, None) => String::new(),
                };
                (Source::Lines(self.input.clone()), key)
            }
        };
        if self.instance.as_deref() == Some("") {
            return Err(Failure::unknown("--instance '' is empty"));
        }
        let options = Options {
            gauges: regex_set("--gauge", &self.gauges)?,
            wrap: self
                .wrap
                .as_deref()
                .map(|w| if w == "32" { 32 } else { 64 }),
            warning_only: self.warning_only,
            rates: regex_set("--rate", &self.rates)?,
        };
        counter_reset::check(
            &source,
            &self.state,
            self.instance.as_deref().unwrap_or(&key),
            &options,
        )
    }
}

fn main() {
    opscheck::run::<Args>()
}
