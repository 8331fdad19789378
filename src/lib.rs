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
