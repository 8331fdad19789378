//! check_sre_accounting_sync: accounting state synchronised between the two SRE EMs.
use clap::Parser;
use opscheck::checks::sre_accounting_sync::{self, ssh_command, Options, Peer, DEFAULT_DIR};
use opscheck::cli::CommonArgs;
use opscheck::{CheckResult, Failure, Plugin, Range, Thresholds};
use std::path::PathBuf;

fn non_empty(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        Err("an empty value is not allowed".to_string())
    } else {
        Ok(text.to_string())
    }
}

/// Checks that the accounting state of this EM and of the other EM are in sync.
///
/// Lists /data/sre/accounting/state here (--dir) and on the peer: with --peer
/// HOST through `ssh -o BatchMode=yes [-o OPTION…] -- HOST find DIR …` (the
/// listing command runs on the peer; here ssh is run as an argument vector,
/// never by a shell), or from --peer-dir (a mount), or --peer-command (argv;
/// it must print `NAME SIZE MTIME` lines, as `find -printf '%f %s %T@\n'`, and
/// with --checksum `sha256sum` lines). The newest `.checkpoint` must be the
/// same file on both (same name and size; with --checksum the same SHA-256),
/// else CRITICAL. The `.oplog` of its generation must exist on both; oplogs
/// grow at their own pace (the guide's 13.9 MB vs 25.6 MB a minute apart is
/// healthy), so what is judged is how far apart their last writes are
/// (--warning-lag/--critical-lag): the one that stopped being written while
/// the other still is shows the failed synchronisation. Ranges on the size
/// difference are optional. A peer that cannot be reached is CRITICAL with
/// ssh's message; a listing not understood is UNKNOWN.
#[derive(Parser, Debug)]
#[command(name = "check_sre_accounting_sync", version)]
#[command(group = clap::ArgGroup::new("peer_source").required(true).args(["peer", "peer_dir", "peer_command"]))]
struct Args {
    /// This EM's state directory
    #[arg(long, value_name = "DIR", default_value = DEFAULT_DIR)]
    dir: PathBuf,

    /// The other EM, reached with ssh (host name or address, as ssh takes it)
    #[arg(long, value_name = "HOST", value_parser = non_empty)]
    peer: Option<String>,

    /// The state directory on the peer, for --peer [default: --dir]
    #[arg(long, value_name = "DIR", value_parser = non_empty)]
    peer_state_dir: Option<String>,

    /// An ssh option for --peer, as `ssh -o` takes it (repeatable), e.g. `Port=2222`, `User=sre`, `IdentityFile=/etc/opscheck/id_ed25519`
    #[arg(long, value_name = "OPTION", value_parser = non_empty)]
    ssh_option: Vec<String>,

    /// The peer's state directory, mounted here
    #[arg(long, value_name = "DIR")]
    peer_dir: Option<PathBuf>,

    /// A command printing the peer's listing (split like a shell would, never run by one)
    #[arg(long, value_name = "COMMAND", value_parser = non_empty)]
    peer_command: Option<String>,

    /// Also compare the checkpoints' SHA-256 (read through the same path as the listing)
    #[arg(long)]
    checksum: bool,

    /// Warning range on the seconds between the two oplogs' last writes
    #[arg(
        long,
        value_name = "RANGE",
        default_value = "300",
        allow_hyphen_values = true
    )]
    warning_lag: Range,

    /// Critical range on the seconds between the two oplogs' last writes
    #[arg(
        long,
        value_name = "RANGE",
        default_value = "900",
        allow_hyphen_values = true
    )]
    critical_lag: Range,

    /// Warning range on the difference of the oplogs' sizes in bytes (unset by default)
    #[arg(long, value_name = "RANGE", allow_hyphen_values = true)]
    warning_size_diff: Option<Range>,

    /// Critical range on the difference of the oplogs' sizes in bytes (unset by default)
    #[arg(long, value_name = "RANGE", allow_hyphen_values = true)]
    critical_size_diff: Option<Range>,

    #[command(flatten)]
    common: CommonArgs,
}

impl Plugin for Args {
    const SERVICE: &'static str = "SRE_ACCOUNTING_SYNC";

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn check(&self) -> CheckResult {
        let peer = match (&self.peer, &self.peer_dir, &self.peer_command) {
            (Some(host), _, _) => {
                let dir = self
                    .peer_state_dir
                    .clone()
                    .unwrap_or_else(|| self.dir.display().to_string());
                Peer::Command(ssh_command(host, &self.ssh_option, &dir, self.checksum))
            }
            (None, Some(dir), _) => Peer::Dir(dir.clone()),
            (None, None, Some(command)) => Peer::Command(opscheck::exec::split_command(command)?),
            (None, None, None) => {
                return Err(Failure::unknown(
                    "give --peer, --peer-dir or --peer-command",
                ))
            }
        };
        let options = Options {
            checksum: self.checksum,
            lag: Thresholds::new(
                Some(self.warning_lag.clone()),
                Some(self.critical_lag.clone()),
            ),
            size_diff: Thresholds::new(
                self.warning_size_diff.clone(),
                self.critical_size_diff.clone(),
            ),
        };
        sre_accounting_sync::check(&self.dir, &peer, &options)
    }
}

fn main() {
    opscheck::run::<Args>()
}
