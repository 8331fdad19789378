//! opscheck: the shared core of a suite of monitoring plugins for Nagios,
//! Icinga 2, Naemon and every scheduler that runs the classic plugin API.
//!
//! The core owns what every plugin promises its scheduler (see CONTRACT.md):
//! states and exit codes ([`status`]), threshold ranges ([`range`],
//! [`threshold`]), perfdata ([`perfdata`]), the result tree and its output
//! ([`output`]), options ([`cli`]), the run itself with timeout and panic
//! handling ([`runner`], [`timeout`]), vendor commands and captured input
//! ([`exec`], [`input`]), state between runs ([`state`]), local dates
//! ([`localtime`]), the process table ([`procs`], [`sock_diag`]), the other
//! node of an active/active pair ([`peer`]) and the one rule for giving up
//! before the watchdog ([`deadline`]). The domain logic of each plugin lives in
//! [`checks`]; the files
//! in `bin/` only declare options.
//!
//! # Writing a plugin
//!
//! The whole recipe, kept compiling as `examples/plugin/check_example.rs`
//! (`cargo run --example check_example -- --input examples/plugin/sample.log`):
//!
//! 1. `bin/check_NAME.rs`: the options, a clap parser that flattens
//!    [`cli::CommonArgs`] (and [`input::InputArgs`], [`state::StateArgs`],
//!    [`cli::ThresholdArgs`] as needed), and a [`Plugin`] impl whose `check`
//!    calls the domain logic; `main` is `opscheck::run::<Args>()`.
//! 2. `src/checks/NAME.rs` (a folder past ~500 lines): pure parsers and the
//!    evaluation, with unit tests beside them. Judge and publish in one call
//!    ([`Thresholds::judge`]); say what an empty result means
//!    ([`Check::empty_ok`]) or it is UNKNOWN; take every blocking step's time
//!    from [`deadline::current`]; run commands through [`exec::run`].
//! 3. A `[[bin]]` in Cargo.toml (`required-features` for a driver behind a
//!    feature), then `packaging/generate.sh` for the Icinga 2 / Nagios
//!    definitions, man page and package lists; a service in the host templates.
//! 4. A README section (options, states, perfdata, an example), recorded
//!    examples under `examples/FIRSTWORD*/` (the bad-input and package tests
//!    find them there), tests against the real component, and a fuzz target
//!    `fuzz/fuzz_targets/NAME.rs` per parser.
//!
//! ```
//! use opscheck::{Check, Thresholds, Uom};
//!
//! // The domain logic of a plugin that counts ERROR lines: a pure function.
//! fn evaluate(text: &str, thresholds: &Thresholds) -> Check {
//!     let errors = text.lines().filter(|l| l.contains("ERROR")).count();
//!     let mut check = Check::new();
//!     check.item(
//!         thresholds
//!             .judge("errors", errors as f64, Uom::None)
//!             .item(format!("{errors} ERROR lines")),
//!     );
//!     check
//! }
//!
//! let thresholds = Thresholds::new(Some("0".parse().unwrap()), Some("5".parse().unwrap()));
//! let check = evaluate("INFO up\nERROR disk full\n", &thresholds);
//! assert_eq!(
//!     check.render_text("EXAMPLE", 0),
//!     "EXAMPLE WARNING - 1 ERROR lines | errors=1;0;5\n[WARNING] 1 ERROR lines\n"
//! );
//! ```
#![warn(missing_docs)]

#[allow(missing_docs)] // each plugin's domain logic: documented at module level
pub mod checks;
pub mod cli;
pub mod deadline;
pub mod definitions;
pub mod duration;
pub mod env;
pub mod exec;
pub mod glibc_compat;
pub mod input;
pub mod localtime;
pub mod output;
pub mod peer;
pub mod perfdata;
pub mod proc_match;
pub mod procs;
pub mod range;
pub mod runner;
pub mod sock_diag;
pub mod state;
pub mod status;
pub mod threshold;
pub mod timeout;

pub use deadline::Deadline;
pub use output::{Check, Item};
pub use perfdata::{Perfdata, Uom};
pub use range::Range;
pub use runner::{run, CheckResult, Failure, Plugin};
pub use status::State;
pub use threshold::Thresholds;
