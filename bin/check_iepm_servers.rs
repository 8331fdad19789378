//! check_iepm_servers: the IEPM-BW servers listed in servers.alive are running.
use clap::Parser;
use opscheck::checks::iepm_servers::{self, Options, DEFAULT_CONFIG};
use opscheck::cli::CommonArgs;
use opscheck::proc_match::{Filter, User};
use opscheck::{CheckResult, Plugin};
use std::path::PathBuf;

/// Checks that each IEPM-BW server listed in servers.alive is running.
///
/// Each line of the list is `name,dir,params` (the server's program, its
/// directory relative to the IEPM source tree such as `bin`, or empty, and its
/// parameters; shell redirections such as `>& /tmp/owampd.log &` are ignored).
/// A server is running when a process's program name (argv[0], the script an
/// interpreter runs, or the kernel's 15-character comm) is its name and, when the
/// entry gives a directory and the process was started by a path, that path is in
/// the directory (a path relative to the process's working directory, as far as it
/// goes). A listed server with no such process is CRITICAL, naming it. An
/// unreadable or unparsable list is UNKNOWN. Read from /proc (no ps).
#[derive(Parser, Debug)]
#[command(name = "check_iepm_servers", version)]
struct Args {
    /// The server list (`name,dir,params` lines; `#` comments and blank lines allowed)
    #[arg(long, value_name = "FILE", default_value = DEFAULT_CONFIG)]
    config: PathBuf,

    /// Count only processes of this user (name or UID), e.g. `iepm`, whose crontab
    /// runs keep-servers-alive
    #[arg(short = 'u', long, value_name = "USER")]
    user: Option<User>,

    /// Also require each entry's parameters, in order, on the server's command line
    /// (tells apart two entries of the same server on different ports)
    #[arg(long)]
    match_params: bool,

    #[command(flatten)]
    common: CommonArgs,
}

impl Plugin for Args {
    const SERVICE: &'static str = "IEPM_SERVERS";

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn check(&self) -> CheckResult {
        iepm_servers::check(&Options {
            config: self.config.clone(),
            filter: Filter {
                user: self.user.clone(),
            },
            match_params: self.match_params,
        })
    }
}

fn main() {
    opscheck::run::<Args>()
}
