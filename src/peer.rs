//! The other node of an active/active pair (the net.Console primary and
//! secondary SOP): which role this node has, and how to ask the peer.
//!
//! A plugin that compares both nodes runs its command here and a "peer
//! command" (usually `ssh -o BatchMode=yes sop2 …`) for the other node, or reads
//! a captured output of the peer. A peer command that fails or does not answer
//! in time is CRITICAL: a pair that cannot be seen is a pair whose failover
//! nobody can vouch for, and the on-call must hear about it.

use crate::deadline::Deadline;
use crate::exec::{self, ExecOptions};
use crate::runner::Failure;
use std::path::PathBuf;

/// The role of the node a plugin runs on (`--role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// The node that carries the service in normal operation.
    Primary,
    /// The standby node.
    Secondary,
}

impl Role {
    /// "primary", "secondary": for messages and perfdata labels.
    pub fn name(self) -> &'static str {
        match self {
            Role::Primary => "primary",
            Role::Secondary => "secondary",
        }
    }

    /// The role of the other node.
    pub fn other(self) -> Role {
        match self {
            Role::Primary => Role::Secondary,
            Role::Secondary => Role::Primary,
        }
    }
}

/// Where the peer's text comes from.
#[derive(Debug, Clone, Default)]
pub enum PeerSource {
    /// Not given: only this node is judged.
    #[default]
    None,
    /// A command (split like a shell would, never run by one) printing the peer's output.
    Command(String),
    /// A captured output of the peer (`-` for standard input).
    Input(PathBuf),
}

impl PeerSource {
    /// From the `--peer-command` and `--peer-input` options (at most one is set).
    pub fn from_options(command: Option<&str>, input: Option<&PathBuf>) -> PeerSource {
        match (command, input) {
            (Some(command), _) => PeerSource::Command(command.to_string()),
            (None, Some(path)) => PeerSource::Input(path.clone()),
            (None, None) => PeerSource::None,
        }
    }

    /// The peer's text, `None` when no peer was given. `what` names it in
    /// messages ("the peer SOP's sessions").
    pub fn read(&self, what: &str, deadline: Deadline) -> Result<Option<String>, Failure> {
        match self {
            PeerSource::None => Ok(None),
            PeerSource::Command(text) => run_command(text, what, deadline).map(Some),
            PeerSource::Input(path) => {
                crate::input::read_input(path, exec::DEFAULT_OUTPUT_LIMIT).map(Some)
            }
        }
    }
}

/// Runs a peer command within what is left of `deadline` and returns its
/// standard output. A command that exits non-zero (ssh refused, host down) or
/// does not answer in time is CRITICAL, quoting its first error line; one that
/// cannot be started at all is UNKNOWN (the plugin's own setup).
pub fn run_command(text: &str, what: &str, deadline: Deadline) -> Result<String, Failure> {
    let argv = exec::split_command(text)?;
    let out = exec::run(&argv, &ExecOptions::within(deadline)).map_err(|failure| Failure {
        state: failure.state,
        message: format!("cannot read {what}: {}", failure.message),
    })?;
    if !out.status.success() {
        return Err(Failure::critical(format!(
            "cannot read {what}: '{}' failed ({}): {}",
            argv[0],
            out.describe_status(),
            out.first_error_line()
        )));
    }
    Ok(out.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::State;
    use std::time::{Duration, Instant};

    fn deadline(secs: f64) -> Deadline {
        Deadline::new(Instant::now(), Duration::from_secs_f64(secs))
    }

    #[test]
    fn a_peer_command_prints_the_peer_output() {
        let text = run_command("echo 0 1", "the flags", deadline(10.0)).unwrap();
        assert_eq!(text, "0 1\n");
    }

    #[test]
    fn a_failing_peer_command_is_critical_with_its_first_error_line() {
        let err = run_command(
            "sh -c 'echo >&2; echo ssh: connect to host sop2 port 22: Connection refused >&2; exit 255'",
            "the peer SOP's flags",
            deadline(10.0),
        )
        .unwrap_err();
        assert_eq!(err.state, State::Critical);
        assert_eq!(
            err.message,
            "cannot read the peer SOP's flags: 'sh' failed (exit status 255): \
             ssh: connect to host sop2 port 22: Connection refused"
        );
    }

    #[test]
    fn a_silent_peer_is_given_up_at_the_deadline() {
        let started = Instant::now();
        // 1 s of -t leaves 0.8 s of work.
        let err = run_command("sleep 20", "the peer", deadline(1.0)).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(3));
        assert_eq!(err.state, State::Critical);
        assert!(
            err.message
                .starts_with("cannot read the peer: no answer from 'sleep 20' within 0."),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_peer_command_that_cannot_start_is_unknown() {
        let err = run_command("/nonexistent/ssh x", "the peer", deadline(10.0)).unwrap_err();
        assert_eq!(err.state, State::Unknown);
        assert!(run_command("'", "the peer", deadline(10.0)).is_err());
    }

    #[test]
    fn roles() {
        assert_eq!(Role::Primary.other(), Role::Secondary);
        assert_eq!(Role::Secondary.name(), "secondary");
        assert!(PeerSource::None.read("x", deadline(1.0)).unwrap().is_none());
    }
}
