//! check_iepm_schedule: the IEPM-BW probe schedule in MySQL and the result files waiting to be loaded.
use clap::builder::NonEmptyStringValueParser;
use clap::Parser;
use opscheck::checks::iepm_schedule::{self, Options};
use opscheck::checks::mysql::{self, Env, Given, SslMode};
use opscheck::cli::CommonArgs;
use opscheck::definitions::Hints;
use opscheck::range::Range;
use opscheck::{Check, CheckResult, Failure, Plugin, Thresholds};
use std::path::PathBuf;

/// Checks an IEPM-BW monitoring host's schedule (the IEPM MySQL database).
///
/// Probes in TOOLSPECS whose lastrunepoch + runinterval lies more than --grace
/// seconds in the past are overdue (count against -w/-c, the worst named with
/// node and tool; a probe that never ran counts too); the SCHEDULE backlog
/// (entries waiting, the oldest one's age); result files `scheduleid.probetype`
/// in --data-dir waiting for load-datad (count and oldest age: a load-datad
/// that stopped shows as files piling up). A missing table or column is
/// UNKNOWN with its name (the names the plugin reads are in the README).
///
/// Credentials as for check_mysql_connections: --defaults-file, MYSQL_PWD,
/// then ~/.my.cnf; never on the command line. Connection failures are CRITICAL.
#[derive(Parser, Debug)]
#[command(name = "check_iepm_schedule", version)]
struct Args {
    /// Server host name or address (TCP). Without it, or with `localhost`, the Unix socket
    #[arg(short = 'H', long = "host", value_name = "HOST", value_parser = NonEmptyStringValueParser::new())]
    host: Option<String>,

    /// TCP port (default 3306, or `port` from the option file)
    #[arg(short = 'P', long = "port", value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    port: Option<u16>,

    /// Unix socket (default /run/mysqld/mysqld.sock, or `socket` from the option file)
    #[arg(short = 'S', long = "socket", value_name = "PATH")]
    socket: Option<PathBuf>,

    /// User name (default `user` from the option file, else the login name)
    #[arg(short = 'u', long = "user", value_name = "USER", value_parser = NonEmptyStringValueParser::new())]
    user: Option<String>,

    /// The IEPM database
    #[arg(short = 'd', long = "database", value_name = "DB", default_value = "iepm", value_parser = NonEmptyStringValueParser::new())]
    database: String,

    /// Read credentials and connection options from this option file only (my.cnf syntax)
    #[arg(long = "defaults-file", value_name = "FILE")]
    defaults_file: Option<PathBuf>,

    /// Also read this group of the option files (after [client]; its values win)
    #[arg(long = "defaults-group", value_name = "GROUP", value_parser = NonEmptyStringValueParser::new())]
    defaults_group: Option<String>,

    /// TLS: DISABLED (default, or `ssl-mode` of the option file), REQUIRED (encrypted, the
    /// certificate unchecked unless --ssl-ca is given), VERIFY_CA, VERIFY_IDENTITY (also the
    /// host name). rustls; no fallback to plain text
    #[arg(long = "ssl-mode", value_name = "MODE")]
    ssl_mode: Option<SslMode>,

    /// CA certificate(s), PEM, to check the server's certificate with (or `ssl-ca` of the
    /// option file); without it VERIFY_CA uses the system's roots
    #[arg(long = "ssl-ca", value_name = "FILE")]
    ssl_ca: Option<PathBuf>,

    /// A probe is overdue when lastrunepoch + runinterval is more than this many seconds ago
    #[arg(long = "grace", value_name = "SECONDS", default_value = "600")]
    grace: u32,

    /// Warning range on the number of overdue probes
    #[arg(
        short = 'w',
        long = "warning",
        value_name = "RANGE",
        default_value = "0",
        allow_hyphen_values = true
    )]
    warning: Range,

    /// Critical range on the number of overdue probes
    #[arg(
        short = 'c',
        long = "critical",
        value_name = "RANGE",
        default_value = "5",
        allow_hyphen_values = true
    )]
    critical: Range,

    /// Warning range on the SCHEDULE entries waiting
    #[arg(
        long = "warning-backlog",
        value_name = "RANGE",
        allow_hyphen_values = true
    )]
    warning_backlog: Option<Range>,

    /// Critical range on the SCHEDULE entries waiting
    #[arg(
        long = "critical-backlog",
        value_name = "RANGE",
        allow_hyphen_values = true
    )]
    critical_backlog: Option<Range>,

    /// Warning range on the age of the oldest SCHEDULE entry, in seconds
    #[arg(
        long = "warning-backlog-age",
        value_name = "RANGE",
        default_value = "1800",
        allow_hyphen_values = true
    )]
    warning_backlog_age: Range,

    /// Critical range on the age of the oldest SCHEDULE entry, in seconds
    #[arg(
        long = "critical-backlog-age",
        value_name = "RANGE",
        default_value = "3600",
        allow_hyphen_values = true
    )]
    critical_backlog_age: Range,

    /// Directory where the probes leave their result files for load-datad
    #[arg(
        long = "data-dir",
        value_name = "DIR",
        default_value = "/home/iepm/mysql/data"
    )]
    data_dir: PathBuf,

    /// Warning range on the result files waiting to be loaded
    #[arg(
        long = "warning-files",
        value_name = "RANGE",
        allow_hyphen_values = true
    )]
    warning_files: Option<Range>,

    /// Critical range on the result files waiting to be loaded
    #[arg(
        long = "critical-files",
        value_name = "RANGE",
        allow_hyphen_values = true
    )]
    critical_files: Option<Range>,

    /// Warning range on the age of the oldest result file, in seconds
    #[arg(
        long = "warning-file-age",
        value_name = "RANGE",
        default_value = "1800",
        allow_hyphen_values = true
    )]
    warning_file_age: Range,

    /// Critical range on the age of the oldest result file, in seconds
    #[arg(
        long = "critical-file-age",
        value_name = "RANGE",
        default_value = "3600",
        allow_hyphen_values = true
    )]
    critical_file_age: Range,

    #[command(flatten)]
    common: CommonArgs,
}

impl Plugin for Args {
    const SERVICE: &'static str = "IEPM_SCHEDULE";

    // The ITL `mysql` command's connection variables; the database keeps its
    // own variable (iepm_schedule_database), as the IEPM database is not the
    // one a generic MySQL check of the host would use.
    const DEFINITION: Hints = Hints {
        vars: &[
            ("host", "mysql_hostname"),
            ("port", "mysql_port"),
            ("socket", "mysql_socket"),
            ("user", "mysql_username"),
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
        for (name, path) in [
            ("--socket", self.socket.as_ref()),
            ("--defaults-file", self.defaults_file.as_ref()),
            ("--ssl-ca", self.ssl_ca.as_ref()),
            ("--data-dir", Some(&self.data_dir)),
        ] {
            if path.is_some_and(|p| p.as_os_str().is_empty()) {
                return Err(Failure::unknown(format!("{name} is empty")));
            }
        }
        let options = Options {
            grace: i64::from(self.grace),
            overdue: Thresholds::new(Some(self.warning.clone()), Some(self.critical.clone())),
            backlog: Thresholds::new(self.warning_backlog.clone(), self.critical_backlog.clone()),
            backlog_age: Thresholds::new(
                Some(self.warning_backlog_age.clone()),
                Some(self.critical_backlog_age.clone()),
            ),
            files: Thresholds::new(self.warning_files.clone(), self.critical_files.clone()),
            file_age: Thresholds::new(
                Some(self.warning_file_age.clone()),
                Some(self.critical_file_age.clone()),
            ),
            show: 3,
        };
        let target = mysql::resolve(
            &Given {
                host: self.host.clone(),
                port: self.port,
                socket: self.socket.clone(),
                user: self.user.clone(),
                database: Some(self.database.clone()),
                defaults_file: self.defaults_file.clone(),
                defaults_group: self.defaults_group.clone(),
                ssl_mode: self.ssl_mode,
                ssl_ca: self.ssl_ca.clone(),
            },
            &Env::from_process(),
        )?;
        let mut check = Check::new();
        let files = iepm_schedule::read_data_dir(&self.data_dir, std::time::SystemTime::now());
        match iepm_schedule::collect(&target, opscheck::deadline::current()) {
            Ok(db) => {
                iepm_schedule::evaluate_database(&db, &options, &mut check);
                let dir = self.data_dir.display().to_string();
                let result = files.as_ref().map_err(String::as_str);
                iepm_schedule::evaluate_files(&dir, result, &options, &mut check);
                check.ok_summary(iepm_schedule::ok_summary(&db, files.as_ref().ok()));
            }
            Err(failure) => check = Check::failed(failure.state, failure.message),
        }
        for note in &target.notes {
            check.note(note.clone());
        }
        Ok(check)
    }
}

fn main() {
    opscheck::run::<Args>()
}
