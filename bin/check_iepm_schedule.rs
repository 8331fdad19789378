//! check_iepm_schedule: the IEPM-BW probe schedule in MySQL and the result files waiting to be loaded.
use clap::builder::NonEmptyStringValueParser;
use clap::Parser;
use opscheck::checks::iepm_schedule::{self, Options};
use opscheck::checks::mysql::args::ConnectionArgs;
use opscheck::checks::mysql::{self, Env};
use opscheck::cli::CommonArgs;
use opscheck::definitions::Hints;
use opscheck::range::Range;
use opscheck::{Check, CheckResult, Plugin, Thresholds};
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
    #[command(flatten)]
    connection: ConnectionArgs,

    /// The IEPM database
    #[arg(short = 'd', long = "database", value_name = "DB", default_value = "iepm", value_parser = NonEmptyStringValueParser::new())]
    database: String,

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
            &self.connection.given(Some(self.database.clone())),
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
