//! check_asterisk_queues: Asterisk's call queues, their members and waiting callers.
use clap::Parser;
use opscheck::checks::asterisk::queues::{self, Options};
use opscheck::checks::asterisk::source::SourceArgs;
use opscheck::cli::CommonArgs;
use opscheck::definitions::Hints;
use opscheck::{CheckResult, Plugin, Range, Thresholds};

/// Checks Asterisk's call queues: `queue show` (1.4: `show queues`).
///
/// Per queue: calls waiting, average hold and talk time, completed and
/// abandoned calls, service level, and each member's state (Not in use, In
/// use, Busy, Ringing, Unavailable, Invalid, paused). Calls waiting while no
/// member can take them (every member paused, unavailable or invalid, or no
/// member at all) is CRITICAL; an Invalid member, or a queue whose count
/// disagrees with its callers listed, WARNING. --queue NAME must exist (the
/// guide: the general and personal queues must be created in Asterisk);
/// Asterisk 1.4 cuts names to 12 characters, a listed name that is the first 12
/// of NAME matches. --expect-paused is the recovery procedure's step 4: every
/// member must be paused (WARNING otherwise). "No queues." is OK unless
/// --queue names one. Asterisk not running is CRITICAL.
#[derive(Parser, Debug)]
#[command(name = "check_asterisk_queues", version)]
struct Args {
    /// A queue that must exist (repeatable), e.g. GeneralQueue
    #[arg(long = "queue", value_name = "NAME", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    queues: Vec<String>,

    /// Warning range on each queue's calls waiting
    #[arg(long, value_name = "RANGE", allow_hyphen_values = true)]
    warning_waiting: Option<Range>,

    /// Critical range on each queue's calls waiting
    #[arg(long, value_name = "RANGE", allow_hyphen_values = true)]
    critical_waiting: Option<Range>,

    /// Warning range on each queue's average hold time, in seconds
    #[arg(long, value_name = "RANGE", allow_hyphen_values = true)]
    warning_holdtime: Option<Range>,

    /// Critical range on each queue's average hold time, in seconds
    #[arg(long, value_name = "RANGE", allow_hyphen_values = true)]
    critical_holdtime: Option<Range>,

    /// Every member must be paused (recovery procedure, step 4: no call goes to a receptionist)
    #[arg(long)]
    expect_paused: bool,

    #[command(flatten)]
    source: SourceArgs,

    #[command(flatten)]
    common: CommonArgs,
}

impl Plugin for Args {
    const SERVICE: &'static str = "ASTERISK_QUEUES";

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
            required: self.queues.clone(),
            waiting: Thresholds::new(self.warning_waiting.clone(), self.critical_waiting.clone()),
            holdtime: Thresholds::new(
                self.warning_holdtime.clone(),
                self.critical_holdtime.clone(),
            ),
            expect_paused: self.expect_paused,
        };
        opscheck::checks::asterisk::run(&self.source, "queue show", queues::parse, |listing| {
            queues::evaluate(listing, &options)
        })
    }
}

fn main() {
    opscheck::run::<Args>()
}
