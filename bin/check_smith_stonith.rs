//! check_smith_stonith: net.Console SOP failover flags (SMITH / STONITH).
use clap::Parser;
use opscheck::checks::smith_stonith::{self, Options, Peer, Role};
use opscheck::cli::CommonArgs;
use opscheck::{CheckResult, Plugin};
use std::path::PathBuf;

/// Checks the net.Console SMITH and STONITH failover flags of a SOP pair.
///
/// With both SOPs' flags (--peer-dir or --peer-command), the 16 rows of the
/// Escaux guide's table are recognised: all flags 0 is OK (normal operation), a
/// valid non-normal scenario is WARNING with the table's meaning, an invalid one
/// CRITICAL with the table's note. With only this SOP's flags, the plugin says
/// what they mean for this SOP: a primary with a flag set refuses calls
/// (WARNING), a secondary with STONITH set is invalid (CRITICAL). A missing or
/// unreadable flag file, or content other than 0 or 1, is UNKNOWN.
#[derive(Parser, Debug)]
#[command(name = "check_smith_stonith", version)]
struct Args {
    /// Directory holding this SOP's SMITH and STONITH files
    #[arg(long, value_name = "DIR", default_value = "/opt/mserver")]
    dir: PathBuf,

    /// Directory holding the other SOP's SMITH and STONITH files (a mount or a copy)
    #[arg(long, value_name = "DIR", conflicts_with = "peer_command")]
    peer_dir: Option<PathBuf>,

    /// Command printing the other SOP's flags: "SMITH STONITH" values (e.g. `0 1`), or
    /// `SMITH=0` / `grep -H . SMITH STONITH` lines. Example:
    /// 'ssh -o BatchMode=yes sop2 grep -H . /opt/mserver/SMITH /opt/mserver/STONITH'.
    /// A failing command is CRITICAL (the pair cannot be seen)
    #[arg(long, value_name = "COMMAND")]
    peer_command: Option<String>,

    /// The role of the SOP this runs on (whose flags are in --dir)
    #[arg(long, value_enum, default_value_t = Role::Primary)]
    role: Role,

    #[command(flatten)]
    common: CommonArgs,
}

impl Plugin for Args {
    const SERVICE: &'static str = "SMITH_STONITH";

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn check(&self) -> CheckResult {
        let peer = match (&self.peer_dir, &self.peer_command) {
            (Some(dir), _) => Peer::Dir(dir.clone()),
            (None, Some(command)) => Peer::Command(command.clone()),
            (None, None) => Peer::None,
        };
        smith_stonith::check(&Options {
            dir: self.dir.clone(),
            peer,
            role: self.role,
        })
    }
}

fn main() {
    opscheck::run::<Args>()
}
