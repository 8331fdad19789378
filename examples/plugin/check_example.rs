//! check_example: the smallest complete plugin, kept compiling as the recipe
//! the core's documentation (src/lib.rs, "Writing a plugin") walks through.
//!
//! It counts the `ERROR` lines of a captured output (`--input FILE`) or of a
//! command (`--command`), judges the count with `-w/-c`, and publishes it as
//! perfdata from the same ranges. Try it:
//!
//! ```text
//! cargo run --example check_example -- --input examples/plugin/sample.log -w 0 -c 5
//! ```
use clap::Parser;
use opscheck::cli::{CommonArgs, ThresholdArgs};
use opscheck::exec::ExecOptions;
use opscheck::input::InputArgs;
use opscheck::{Check, CheckResult, Failure, Plugin, Uom};

/// Counts ERROR lines in a captured output or a command's output.
#[derive(Parser, Debug)]
#[command(name = "check_example", version)]
struct Args {
    #[command(flatten)]
    input: InputArgs,

    #[command(flatten)]
    thresholds: ThresholdArgs,

    #[command(flatten)]
    common: CommonArgs,
}

/// The domain logic: a pure function of the text (in a real plugin it lives
/// in `src/checks/NAME.rs`, with unit tests beside it).
fn evaluate(text: &str, thresholds: &opscheck::Thresholds) -> Check {
    let errors = text.lines().filter(|l| l.contains("ERROR")).count();
    let mut check = Check::new();
    check.item(
        thresholds
            .judge("errors", errors as f64, Uom::None)
            .item(format!("{errors} ERROR lines")),
    );
    check
}

impl Plugin for Args {
    const SERVICE: &'static str = "EXAMPLE";

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn check(&self) -> CheckResult {
        // The command gets what the run's deadline leaves (the core's rule).
        let collected = self
            .input
            .collect(&["cat", "/var/log/example.log"], &ExecOptions::default())?;
        if collected.text.trim().is_empty() {
            return Err(Failure::unknown(format!("{} is empty", collected.origin)));
        }
        Ok(evaluate(&collected.text, &self.thresholds.thresholds()))
    }
}

fn main() {
    opscheck::run::<Args>()
}
