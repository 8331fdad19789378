//! check_seon_daemons: the Seon daemons in the process table and their listening ports.
use clap::Parser;
use opscheck::checks::seon_daemons::{self, Listen, Options, PidSource};
use opscheck::cli::CommonArgs;
use opscheck::proc_match::{Filter, User};
use opscheck::{CheckResult, Plugin};
use std::path::PathBuf;

/// Checks that the Seon daemons run once each, as their parents' children, and listen.
///
/// From /proc (no ps, lsof or netstat), as the Seon guide checks by hand:
/// the master receive daemon seonrd exactly once; its receivers (seonrd_tcpip,
/// seonrd_tcpip_tls, seonrd_capi_N) each once with the master as parent;
/// seonsqd once (its running actions are counted, not alarmed); seondebugd
/// once; with --enterprise, seonclientd at least once, and none of its children
/// holding its listening port. Receivers, seondebugd and seonclientd must hold a
/// TCP socket listening on their port (3305, 6619, 10001, 60000; IPv4 or IPv6,
/// any address). Two instances of a daemon are CRITICAL (race conditions). With
/// --pid-file or --pid-command, a PID the daemons recorded with no such daemon
/// behind it is CRITICAL (stale PID: the daemon will refuse to start).
///
/// A process is a daemon when the program name of its argv[0] (last path
/// component of its first word) is the daemon's name, or, if that names no
/// daemon, when its kernel name (comm, cut at 15 characters) is. Processes
/// a daemon started under its own name (forked, or through sh -c) are part
/// of it, not extra instances.
/// Reading other users' sockets needs root (or the daemons' user).
#[derive(Parser, Debug)]
#[command(name = "check_seon_daemons", version)]
struct Args {
    /// A receive daemon expected as a child of seonrd (repeatable; replaces the
    /// default seonrd_tcpip and seonrd_tcpip_tls; ISDN receivers come from --capi)
    #[arg(long = "receiver", value_name = "NAME")]
    receivers: Vec<String>,

    /// Number of ISDN controllers: seonrd_capi_0 .. seonrd_capi_{N-1} are expected (at most 127, as CAPI numbers them)
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=127))]
    capi: u32,

    /// Seon Enterprise: seonclientd must run too
    #[arg(long)]
    enterprise: bool,

    /// The port a daemon listens on, e.g. seonrd_tcpip=3305 (repeatable; `NAME=none`
    /// checks no port). Defaults: seonrd_tcpip=3305, seonrd_tcpip_tls=6619,
    /// seondebugd=10001, seonclientd=60000
    #[arg(long = "listen", value_name = "NAME=PORT")]
    listen: Vec<Listen>,

    /// Count only processes of this user (name or UID), e.g. the web server user
    /// Seon runs as; other users' copies are then ignored
    #[arg(short = 'u', long, value_name = "USER")]
    user: Option<User>,

    /// File of the PIDs the daemons recorded: `name pid` lines (also `name=pid`,
    /// `name | pid` as psql prints, comments and blank lines)
    #[arg(long, value_name = "FILE", conflicts_with = "pid_command")]
    pid_file: Option<PathBuf>,

    /// Command printing the recorded PIDs as `name pid` lines, e.g. a query of
    /// Seon's database. Split like a shell would, never run by one. A failing
    /// command is CRITICAL
    #[arg(long, value_name = "COMMAND")]
    pid_command: Option<String>,

    #[command(flatten)]
    common: CommonArgs,
}

impl Plugin for Args {
    const SERVICE: &'static str = "SEON_DAEMONS";

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn check(&self) -> CheckResult {
        let pid_source = match (&self.pid_file, &self.pid_command) {
            (Some(file), _) => PidSource::File(file.clone()),
            (None, Some(command)) => PidSource::Command(command.clone()),
            (None, None) => PidSource::None,
        };
        seon_daemons::check(&Options {
            receivers: Options::receivers(&self.receivers, self.capi),
            enterprise: self.enterprise,
            listen: self.listen.clone(),
            filter: Filter {
                user: self.user.clone(),
            },
            pid_source,
        })
    }
}

fn main() {
    opscheck::run::<Args>()
}
