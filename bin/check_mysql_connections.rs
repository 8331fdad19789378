//! check_mysql_connections: MySQL/MariaDB client connections (net.Console quick check list).
use clap::builder::NonEmptyStringValueParser;
use clap::Parser;
use opscheck::checks::mysql::args::ConnectionArgs;
use opscheck::checks::mysql::{self, Env};
use opscheck::checks::mysql_connections::{self, Options, Snapshot};
use opscheck::cli::CommonArgs;
use opscheck::definitions::Hints;
use opscheck::input::read_input;
use opscheck::range::Range;
use opscheck::threshold::NamedRange;
use opscheck::{CheckResult, Failure, Plugin, Thresholds};
use std::path::PathBuf;

/// Checks the number of MySQL/MariaDB client connections ("Number of mysql
/// connection must be lower than 65", `mysql -p -e "show processlist"`).
///
/// One read of information_schema.PROCESSLIST: client connections (without
/// this plugin's own and the server's background threads) against -w/-c
/// (default -c 64: 65 or more is CRITICAL), their share of max_connections,
/// counts per database (--warning-db/--critical-db DB=RANGE) and per user
/// (perfdata), and statements running longer than
/// --warning-query-time/--critical-query-time seconds, named with id, user,
/// database, time and their first 80 characters.
///
/// The account needs the PROCESS privilege (GRANT PROCESS ON *.* TO ...):
/// without it the server shows only its own threads, and the plugin says so
/// (UNKNOWN) rather than report a count that is too small.
///
/// The password never goes on the command line: --defaults-file (my.cnf
/// syntax, [client] group and --defaults-group, !include/!includedir; then no
/// other file is read), MYSQL_PWD, then ~/.my.cnf. A named option file that is
/// missing is UNKNOWN; one readable by every user is used with a warning.
/// Refused, unknown host, access denied and "Too many connections" at login
/// are CRITICAL with the server's message.
#[derive(Parser, Debug)]
#[command(name = "check_mysql_connections", version)]
struct Args {
    #[command(flatten)]
    connection: ConnectionArgs,

    /// Database to connect to (none by default)
    #[arg(short = 'd', long = "database", value_name = "DB", value_parser = NonEmptyStringValueParser::new())]
    database: Option<String>,

    /// Read a captured `mysql -e 'show full processlist'` output (boxed table or
    /// `mysql -B`) from FILE (`-` for standard input) instead of connecting
    #[arg(long, value_name = "FILE|-")]
    input: Option<PathBuf>,

    /// Warning range on the number of client connections
    #[arg(
        short = 'w',
        long = "warning",
        value_name = "RANGE",
        allow_hyphen_values = true
    )]
    warning: Option<Range>,

    /// Critical range on the number of client connections (65 or more is CRITICAL)
    #[arg(
        short = 'c',
        long = "critical",
        value_name = "RANGE",
        default_value = "64",
        allow_hyphen_values = true
    )]
    critical: Range,

    /// Warning range on the share of max_connections in use, in %
    #[arg(
        long = "warning-share",
        value_name = "RANGE",
        allow_hyphen_values = true
    )]
    warning_share: Option<Range>,

    /// Critical range on the share of max_connections in use, in %
    #[arg(
        long = "critical-share",
        value_name = "RANGE",
        allow_hyphen_values = true
    )]
    critical_share: Option<Range>,

    /// Warning range on the connections to one database: DB=RANGE (repeatable)
    #[arg(
        long = "warning-db",
        value_name = "DB=RANGE",
        allow_hyphen_values = true
    )]
    warning_db: Vec<NamedRange>,

    /// Critical range on the connections to one database: DB=RANGE (repeatable)
    #[arg(
        long = "critical-db",
        value_name = "DB=RANGE",
        allow_hyphen_values = true
    )]
    critical_db: Vec<NamedRange>,

    /// Warning range on the seconds a statement (not Sleep) has been running
    #[arg(
        long = "warning-query-time",
        value_name = "RANGE",
        allow_hyphen_values = true
    )]
    warning_query_time: Option<Range>,

    /// Critical range on the seconds a statement (not Sleep) has been running
    #[arg(
        long = "critical-query-time",
        value_name = "RANGE",
        allow_hyphen_values = true
    )]
    critical_query_time: Option<Range>,

    #[command(flatten)]
    common: CommonArgs,
}

impl Plugin for Args {
    const SERVICE: &'static str = "MYSQL_CONNECTIONS";

    // The ITL `mysql` command's variables where the options overlap; the
    // password reaches the plugin through the environment (MYSQL_PWD).
    const DEFINITION: Hints = Hints {
        vars: &[
            ("host", "mysql_hostname"),
            ("port", "mysql_port"),
            ("socket", "mysql_socket"),
            ("user", "mysql_username"),
            ("database", "mysql_database"),
            ("defaults-file", "mysql_file"),
            ("defaults-group", "mysql_group"),
        ],
        defaults: &[],
        env: &[("MYSQL_PWD", "mysql_password")],
    };

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn check(&self) -> CheckResult {
        let options = Options {
            total: Thresholds::new(self.warning.clone(), Some(self.critical.clone())),
            share: Thresholds::new(self.warning_share.clone(), self.critical_share.clone()),
            query_time: Thresholds::new(
                self.warning_query_time.clone(),
                self.critical_query_time.clone(),
            ),
            warning_db: self.warning_db.clone(),
            critical_db: self.critical_db.clone(),
        };
        if let Some(path) = &self.input {
            let text = read_input(path, 16 << 20)?;
            let threads = mysql_connections::parse_processlist(&text)
                .map_err(|e| Failure::unknown(format!("{}: {e}", path.display())))?;
            let snapshot = Snapshot {
                threads,
                ..Snapshot::default()
            };
            return Ok(mysql_connections::evaluate(&snapshot, &options));
        }
        let target = mysql::resolve(
            &self.connection.given(self.database.clone()),
            &Env::from_process(),
        )?;
        let snapshot = mysql_connections::collect(&target, opscheck::deadline::current());
        let mut check = match snapshot {
            Ok(snapshot) => mysql_connections::evaluate(&snapshot, &options),
            Err(failure) => opscheck::Check::failed(failure.state, failure.message),
        };
        for note in &target.notes {
            check.note(note.clone());
        }
        Ok(check)
    }
}

fn main() {
    opscheck::run::<Args>()
}
