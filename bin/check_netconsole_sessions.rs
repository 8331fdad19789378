//! check_netconsole_sessions: net.Console sessions on the primary and the secondary SOP.
use clap::Parser;
use opscheck::checks::netconsole_sessions::{self, Options};
use opscheck::cli::CommonArgs;
use opscheck::input::InputArgs;
use opscheck::peer::{PeerSource, Role};
use opscheck::{CheckResult, Failure, Plugin};
use std::path::{Path, PathBuf};

/// Checks that the net.Console sessions are consistent on the two SOPs of an
/// active/active pair (`mshell ncctl.list` on each; the guide's recovery
/// procedure, steps 7 and 13).
///
/// Runs `mshell ncctl.list` here (or --command, or --input) and on the other SOP
/// (--peer-command, e.g. over ssh, or --peer-input). Every session (user and id)
/// must exist on both SOPs: one missing on a side is CRITICAL and named. Exactly
/// one side must be PASSIVESTATE, and that side the secondary: passive on both
/// or on neither is CRITICAL, passive on the primary only (failover mode)
/// WARNING. Without the peer's list, this SOP is judged by its --role: on a
/// secondary every session must be PASSIVESTATE (CRITICAL), on a primary none
/// (WARNING). A peer command that fails or does not answer in time is CRITICAL;
/// output that is not an ncctl.list (no `#controllers:` line, a count that does
/// not match the sessions) is UNKNOWN. Sessions may take one or two lines.
#[derive(Parser, Debug)]
#[command(name = "check_netconsole_sessions", version)]
struct Args {
    #[command(flatten)]
    input: InputArgs,

    /// Command printing the other SOP's `mshell ncctl.list`, e.g.
    /// 'ssh -o BatchMode=yes sop2 mshell ncctl.list'. A failing command is CRITICAL
    /// (the pair cannot be seen)
    #[arg(long, value_name = "COMMAND", conflicts_with = "peer_input")]
    peer_command: Option<String>,

    /// A captured `mshell ncctl.list` of the other SOP (`-` for standard input)
    #[arg(long, value_name = "FILE|-")]
    peer_input: Option<PathBuf>,

    /// The role of the SOP this runs on (whose list is read by the command or --input)
    #[arg(long, value_enum, default_value_t = Role::Primary)]
    role: Role,

    #[command(flatten)]
    common: CommonArgs,
}

impl Plugin for Args {
    const SERVICE: &'static str = "NETCONSOLE_SESSIONS";

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn check(&self) -> CheckResult {
        let stdin = |p: &Option<PathBuf>| p.as_deref() == Some(Path::new("-"));
        if stdin(&self.input.input) && stdin(&self.peer_input) {
            return Err(Failure::unknown(
                "--input - and --peer-input - cannot both read standard input",
            ));
        }
        netconsole_sessions::check(&Options {
            input: self.input.clone(),
            peer: PeerSource::from_options(self.peer_command.as_deref(), self.peer_input.as_ref()),
            role: self.role,
        })
    }
}

fn main() {
    opscheck::run::<Args>()
}
