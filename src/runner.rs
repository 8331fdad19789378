//! The life of one plugin run: parse options, arm the timeout, run the check,
//! print the result, exit with its state. Usage errors, `--help`, `--version`
//! and panics all end as the contract says (stdout, exit 3).

use crate::cli::{CommonArgs, OutputFormat};
use crate::output::{one_line, Check};
use crate::status::State;
use crate::timeout::{emit, start_watchdog};
use std::fmt;

/// Why a check could not produce a result: the state to report and the reason.
///
/// Use [`Failure::unknown`] for the plugin's own trouble (bad options, unreadable
/// or unparsable input) and [`Failure::critical`] for a dependency that cannot be
/// reached. Any other error converted with `?` becomes UNKNOWN (for an
/// `anyhow::Error`, use `Failure::unknown(format!("{e:#}"))`).
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The state to report.
    pub state: State,
    /// The reason, as line one's summary.
    pub message: String,
}

impl Failure {
    /// The plugin's own trouble: bad options, unreadable or unparsable input.
    pub fn unknown(message: impl Into<String>) -> Failure {
        Failure {
            state: State::Unknown,
            message: message.into(),
        }
    }

    /// A dependency that cannot be reached.
    pub fn critical(message: impl Into<String>) -> Failure {
        Failure {
            state: State::Critical,
            message: message.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for Failure {
    /// Any error is UNKNOWN, with its chain of causes: "a: b: c".
    fn from(error: E) -> Self {
        let mut message = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            message.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        Failure::unknown(message)
    }
}

/// What [`Plugin::check`] returns.
pub type CheckResult = Result<Check, Failure>;

/// A plugin: its options (a clap parser that flattens [`CommonArgs`]) and its check.
pub trait Plugin: clap::Parser {
    /// The service name on the first line of output, e.g. `SMITH_STONITH`.
    const SERVICE: &'static str;

    /// Additions to the generated scheduler definitions: ITL variable names,
    /// defaults such as `$check_address$` (see [`crate::definitions::Hints`]).
    const DEFINITION: crate::definitions::Hints = crate::definitions::Hints::NONE;

    /// The options every plugin shares.
    fn common(&self) -> &CommonArgs;

    /// Runs the check and returns its result.
    fn check(&self) -> CheckResult;
}

/// Environment variable that makes a plugin panic on purpose, so the contract
/// tests can prove a panic ends as UNKNOWN in the real binaries.
pub const PANIC_FOR_TEST_ENV: &str = "OPSCHECK_PANIC_FOR_TEST";

/// Environment variable that makes a plugin hang, with the watchdog armed with
/// the variable's value as `-t` (e.g. `1:critical`), so the contract tests can
/// prove the timeout fires in every binary, including those whose real inputs
/// cannot be made to block on a test machine and those with required options.
pub const HANG_FOR_TEST_ENV: &str = "OPSCHECK_HANG_FOR_TEST";

/// The two test hooks above; checked before option parsing so that they work
/// for every plugin whatever options it requires. Unset in production.
fn test_hooks(service: &'static str) {
    if std::env::var_os(PANIC_FOR_TEST_ENV).is_some() {
        panic!("panic requested through {PANIC_FOR_TEST_ENV}");
    }
    if let Some(spec) = std::env::var_os(HANG_FOR_TEST_ENV) {
        let timeout = spec
            .to_str()
            .and_then(|s| s.parse::<crate::timeout::Timeout>().ok())
            .unwrap_or_default();
        start_watchdog(service, timeout);
        crate::timeout::set_activity(format!("hanging as {HANG_FOR_TEST_ENV} asks"));
        loop {
            std::thread::park();
        }
    }
}

/// Runs plugin `P` as the process's `main`; never returns.
pub fn run<P: Plugin>() -> ! {
    crate::deadline::process_start();
    install_panic_hook(P::SERVICE);
    test_hooks(P::SERVICE);
    if let Some(scheduler) = std::env::var_os(crate::definitions::PRINT_DEFINITION_ENV) {
        crate::definitions::print_and_exit(P::SERVICE, &P::command(), &P::DEFINITION, &scheduler);
    }
    if let Some(message) = empty_value(std::env::args_os().skip(1)) {
        emit(
            &format!("{} UNKNOWN - {}\n", P::SERVICE, one_line(&message)),
            State::Unknown.exit_code(),
        );
    }
    let args = match P::try_parse() {
        Ok(args) => args,
        Err(error) => usage_exit(P::SERVICE, error),
    };
    let common = args.common().clone();
    start_watchdog(P::SERVICE, common.timeout);
    crate::deadline::arm(&common.timeout);
    let mut check = args
        .check()
        .unwrap_or_else(|failure| Check::failed(failure.state, failure.message));
    check.refuse_duplicate_labels();
    if common.verbose >= 3 {
        let end = crate::deadline::process_start().elapsed();
        for (at, step) in crate::timeout::trace() {
            check.trace(format!("{} s {step}", crate::duration::millis(at)));
        }
        check.trace(format!("{} s done", crate::duration::millis(end)));
    }
    let text = match common.output_format {
        OutputFormat::Nagios => check.render_text(P::SERVICE, common.verbose),
        OutputFormat::Json => check.render_json(P::SERVICE),
    };
    emit(&text, check.state().exit_code())
}

/// An empty argument is never what the operator meant (`-H ''` from an unset
/// scheduler variable would check "no host" and call it fine): a usage error
/// naming the option it was given to.
fn empty_value(args: impl Iterator<Item = std::ffi::OsString>) -> Option<String> {
    let mut previous: Option<String> = None;
    for arg in args {
        let text = arg.to_string_lossy().into_owned();
        if text == "--" {
            return None;
        }
        if text.is_empty() {
            return Some(match previous {
                Some(option) if option.starts_with('-') => {
                    format!("empty value for {option}: give a value or leave the option out")
                }
                _ => "an empty argument: give a value or leave it out".to_string(),
            });
        }
        if let Some((option, "")) = text.split_once('=').filter(|(o, _)| o.starts_with("--")) {
            return Some(format!(
                "empty value for {option}: give a value or leave the option out"
            ));
        }
        previous = Some(text);
    }
    None
}

fn usage_exit(service: &str, error: clap::Error) -> ! {
    use clap::error::ErrorKind;
    let rendered = error.render().to_string();
    match error.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            emit(&rendered, State::Unknown.exit_code())
        }
        _ => {
            let mut lines = rendered.lines();
            let first = lines.next().unwrap_or("invalid arguments");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            let mut text = format!("{service} UNKNOWN - {}\n", one_line(first));
            for line in lines.filter(|l| !l.trim().is_empty()) {
                text.push_str(line);
                text.push('\n');
            }
            emit(&text, State::Unknown.exit_code())
        }
    }
}

fn install_panic_hook(service: &'static str) {
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let text = format!(
            "{service} UNKNOWN - internal error: {}{location}\nPlease report this as a bug.\n",
            one_line(&message)
        );
        emit(&text, State::Unknown.exit_code());
    }));
}

#[cfg(test)]
mod tests {
    use super::empty_value;

    fn check(args: &[&str]) -> Option<String> {
        empty_value(args.iter().map(std::ffi::OsString::from))
    }

    #[test]
    fn empty_values_are_refused_and_named() {
        assert_eq!(check(&["-H", "db1", "-t", "5"]), None);
        assert_eq!(
            check(&["-H", ""]).unwrap(),
            "empty value for -H: give a value or leave the option out"
        );
        assert_eq!(
            check(&["--daemon="]).unwrap(),
            "empty value for --daemon: give a value or leave the option out"
        );
        assert!(check(&[""]).unwrap().contains("an empty argument"));
        // After `--`, arguments are not options.
        assert_eq!(check(&["--", ""]), None);
        // A value that contains '=' is not an empty one.
        assert_eq!(check(&["--critical-rate", "core:x=@0"]), None);
    }
}
