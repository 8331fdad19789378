//! check_pg_repl: PostgreSQL streaming replication (primary, standby, or a whole cluster).
use clap::Parser;
use opscheck::checks::pg_repl::client::{self, SslMode};
use opscheck::checks::pg_repl::{self, settings, Options, Role};
use opscheck::cli::CommonArgs;
use opscheck::definitions::Hints;
use opscheck::range::Range;
use opscheck::threshold::Thresholds;
use opscheck::{CheckResult, Failure, Plugin, State};
use std::path::PathBuf;

/// Checks PostgreSQL streaming replication (PostgreSQL 10 or later).
///
/// One host: its role (pg_is_in_recovery()). On a primary, its clients in
/// pg_stat_replication: a client in any state but `streaming` is WARNING, fewer
/// streaming than --min-standbys CRITICAL, a --standby not connected CRITICAL;
/// each client's replay lag in bytes (from the current WAL position) and in
/// seconds (replay_lag); replication slots: inactive, WAL retained, lost. On a
/// standby: the WAL receiver must be `streaming` (absent or another status is
/// CRITICAL), lag = received but not replayed bytes, and the replay delay
/// now() - pg_last_xact_replay_timestamp(), counted as 0 when everything
/// received is replayed and the sender reports no more WAL (an idle primary
/// raises no alarm).
///
/// Several hosts (-H em1,em2,cp1,cp2): cluster mode. All are asked at once;
/// exactly one must be a primary (none: CRITICAL "no writer", two or more:
/// CRITICAL "split brain"; one server given under two names, e.g. a VIP and
/// its host, is UNKNOWN, not a split brain), every other host a streaming
/// standby listed in the primary's pg_stat_replication, matched by its
/// replication slot, else its
/// application_name (unless the default `walreceiver`), else its address. An
/// unreachable host is CRITICAL with its address.
///
/// Lag alarms when EITHER the byte OR the second range is crossed (each range
/// alone is optional; an unset one never alarms).
///
/// Credentials never go on the command line: PGPASSWORD, else the password file
/// (PGPASSFILE or ~/.pgpass, ignored with a warning unless mode 0600 or
/// stricter, as in libpq). The monitoring role needs pg_monitor to see
/// replication details. Connection failures (refused, unknown host,
/// authentication) are CRITICAL; a server older than 10 is UNKNOWN.
#[derive(Parser, Debug)]
#[command(name = "check_pg_repl", version)]
struct Args {
    /// Host(s): host[:port][,host[:port]…]; [v6addr]:port; a directory starting with / is a
    /// Unix socket directory. Default: PGHOST, else localhost
    #[arg(short = 'H', long = "host", value_name = "HOSTS")]
    host: Option<String>,

    /// Port for hosts given without one. Default: PGPORT, else 5432
    #[arg(short = 'p', long = "port", value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    port: Option<u16>,

    /// User name. Default: PGUSER, else the name of the user running the plugin
    #[arg(short = 'U', long = "user", value_name = "USER")]
    user: Option<String>,

    /// Database to connect to. Default: PGDATABASE, else postgres
    #[arg(short = 'd', long = "dbname", value_name = "DB")]
    dbname: Option<String>,

    /// TLS as in libpq: disable, prefer, require, verify-ca, verify-full. Default: PGSSLMODE,
    /// else prefer
    #[arg(long = "sslmode", value_name = "MODE")]
    sslmode: Option<SslMode>,

    /// Root certificate(s) (PEM) for verify-ca/verify-full; with prefer/require, when
    /// present, the chain is checked too. Default: PGSSLROOTCERT, else ~/.postgresql/root.crt
    #[arg(long = "sslrootcert", value_name = "FILE")]
    sslrootcert: Option<PathBuf>,

    /// The role this single host must have: a different one is CRITICAL (a failover happened)
    #[arg(long, value_enum)]
    role: Option<Role>,

    /// On the primary: fewer clients streaming than this is CRITICAL
    #[arg(long = "min-standbys", value_name = "N")]
    min_standbys: Option<u32>,

    /// On the primary: a standby that must be connected, by application_name, client address
    /// or client host name (repeatable)
    #[arg(long = "standby", value_name = "NAME_OR_ADDR", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    standbys: Vec<String>,

    /// Warning range on each standby's replay lag in bytes (e.g. 16777216 = 16 MiB)
    #[arg(
        long = "warning-bytes",
        value_name = "RANGE",
        allow_hyphen_values = true
    )]
    warning_bytes: Option<Range>,

    /// Critical range on each standby's replay lag in bytes
    #[arg(
        long = "critical-bytes",
        value_name = "RANGE",
        allow_hyphen_values = true
    )]
    critical_bytes: Option<Range>,

    /// Warning range on each standby's replay lag in seconds
    #[arg(
        long = "warning-seconds",
        value_name = "RANGE",
        allow_hyphen_values = true
    )]
    warning_seconds: Option<Range>,

    /// Critical range on each standby's replay lag in seconds
    #[arg(
        long = "critical-seconds",
        value_name = "RANGE",
        allow_hyphen_values = true
    )]
    critical_seconds: Option<Range>,

    /// Warning range on the WAL each replication slot retains, in bytes
    #[arg(
        long = "warning-retained",
        value_name = "RANGE",
        allow_hyphen_values = true
    )]
    warning_retained: Option<Range>,

    /// Critical range on the WAL each replication slot retains, in bytes
    #[arg(
        long = "critical-retained",
        value_name = "RANGE",
        allow_hyphen_values = true
    )]
    critical_retained: Option<Range>,

    /// State of an inactive replication slot (it keeps WAL until the disk fills): ok,
    /// warning, critical
    #[arg(
        long = "inactive-slot",
        value_name = "STATE",
        default_value = "warning"
    )]
    inactive_slot: State,

    #[command(flatten)]
    common: CommonArgs,
}

impl Plugin for Args {
    const SERVICE: &'static str = "PG_REPL";

    // The ITL `postgres` command's variables where the options overlap, so host
    // variables set for it serve this command too; the password goes through
    // the environment, never the command line.
    const DEFINITION: Hints = Hints {
        vars: &[
            ("host", "postgres_host"),
            ("port", "postgres_port"),
            ("dbname", "postgres_dbname"),
            ("user", "postgres_dbuser"),
        ],
        defaults: &[],
        env: &[
            ("PGPASSWORD", "postgres_dbpass"),
            ("PGPASSFILE", "pg_repl_pgpassfile"),
        ],
    };

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn check(&self) -> CheckResult {
        let given = settings::Given {
            host: self.host.clone(),
            port: self.port,
            user: self.user.clone(),
            dbname: self.dbname.clone(),
            sslmode: self.sslmode,
            sslrootcert: self.sslrootcert.clone(),
        };
        // The core's deadline: a host that does not answer is then reported
        // CRITICAL by name rather than as a plugin timeout.
        let (hosts, connect) = settings::resolve(
            &given,
            &settings::Environment::process(),
            opscheck::deadline::current().at(),
        )?;
        if hosts.len() > 1 && self.role.is_some() {
            return Err(Failure::unknown(
                "--role applies to a single host; with several hosts the check finds the primary itself",
            ));
        }
        let options = Options {
            role: self.role,
            min_standbys: self.min_standbys,
            standbys: self.standbys.clone(),
            bytes: Thresholds::new(self.warning_bytes.clone(), self.critical_bytes.clone()),
            seconds: Thresholds::new(self.warning_seconds.clone(), self.critical_seconds.clone()),
            retained: Thresholds::new(
                self.warning_retained.clone(),
                self.critical_retained.clone(),
            ),
            inactive_slot: self.inactive_slot,
        };
        let outcome =
            client::probe_all(&hosts, &connect, hosts.len() > 1).map_err(Failure::unknown)?;
        let mut check = if hosts.len() == 1 {
            pg_repl::evaluate_single(&hosts[0], &outcome.hosts[0].probe, &options)
        } else {
            pg_repl::evaluate_cluster(&outcome.hosts, &options)
        };
        for note in outcome.notes {
            check.note(note);
        }
        Ok(check)
    }
}

fn main() {
    opscheck::run::<Args>()
}
