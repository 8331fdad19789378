//! check_guide: a platform role's whole health check guide, run at once.
use clap::Parser;
use opscheck::checks::guide::{self, report::ReportFormat, Options, Outcome};
use opscheck::cli::CommonArgs;
use opscheck::{CheckResult, Plugin};
use std::path::PathBuf;

/// Runs every check of a platform role's health check guide in parallel and
/// prints one result: the worst state, a summary such as "12 OK, 1 WARNING,
/// 1 CRITICAL: <the worst checks>", one line per check ("[STATE] title: first
/// line", in the guide's order within each state; the checks' own long output
/// at -v), and the checks' perfdata merged with labels prefixed by the check's
/// id (`id::label`). A guide is a TOML file of [[check]] tables (id, title,
/// source, command as an argument vector, timeout, requires); the package
/// ships one per role (sre-master-em, sre-em, sre-cp, netconsole-sop-primary,
/// netconsole-sop-secondary, seon, iepm, staros). A syntax error or an unknown
/// key in a guide is UNKNOWN with the file and line. Each check runs as a child
/// process with its own -t within check_guide's -t (give check_guide a -t that
/// fits the whole guide, e.g. 60); a check past its time is killed and
/// UNKNOWN "timed out", a check whose plugin is not installed is UNKNOWN "not
/// available" (or skipped with --skip-missing), invalid perfdata of a check
/// is dropped with a note. --report prints a report for people instead (exit
/// status unchanged); --save and --compare tell what changed between two runs,
/// e.g. before and after an upgrade: "no new issues", or the regressions, whose
/// worst state is the exit status. On a terminal, live progress goes to stderr.
#[derive(Parser, Debug)]
#[command(name = "check_guide", version)]
struct Args {
    /// The guide: a name looked up as NAME.toml in --guide-dir (e.g. sre-em), or a file path
    #[arg(short = 'g', long, value_name = "NAME|FILE")]
    guide: String,

    /// Directory of guides, searched in order (repeatable)
    /// [default: /etc/opscheck/guides, then /usr/share/opscheck/guides]
    #[arg(long = "guide-dir", value_name = "DIR")]
    guide_dirs: Vec<PathBuf>,

    /// Where a check's bare command name is looked up [default: the directory check_guide is in]
    #[arg(long, value_name = "DIR")]
    plugin_dir: Option<PathBuf>,

    /// At most N checks at once [default: twice the number of CPUs]
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    jobs: Option<u16>,

    /// Fill {NAME} in the guide's commands with VALUE (repeatable), e.g. `--set peer=sre-em2`
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = guide::parse_set)]
    set: Vec<(String, String)>,

    /// A TOML file of NAME = "VALUE" lines filling {NAME} placeholders (--set wins)
    #[arg(long = "vars", value_name = "FILE")]
    vars_file: Option<PathBuf>,

    /// Run the checks that require FLAG (repeatable), e.g. `--with cac` where the CAC database is installed
    #[arg(long = "with", value_name = "FLAG")]
    with: Vec<String>,

    /// Leave out checks whose plugin is not installed, instead of reporting them UNKNOWN
    #[arg(long)]
    skip_missing: bool,

    /// Run the checks on HOST through the guide's `via` template, --via, or
    /// `ssh -o BatchMode=yes {host}`; a host ssh cannot reach is CRITICAL
    #[arg(short = 'H', long, value_name = "HOST")]
    host: Option<String>,

    /// The command that runs a check on --host, `{host}` filled, the check's
    /// command appended as one word (as ssh takes it), e.g. 'ssh -o BatchMode=yes -p 2222 {host}'
    #[arg(long, value_name = "TEMPLATE", requires = "host")]
    via: Option<String>,

    /// Print a report for people instead of the plugin result: text, markdown
    /// (an upgrade ticket), json (as --save writes), html (one self-contained file)
    #[arg(long, value_enum, value_name = "FORMAT")]
    report: Option<ReportFormat>,

    /// Save this run as JSON to FILE (for a later --compare)
    #[arg(long, value_name = "FILE")]
    save: Option<PathBuf>,

    /// Compare this run with a saved one: entries whose state got worse and new
    /// problem lines are regressions; the result is "no new issues" or the
    /// regressions, with the worst regression's state
    #[arg(long, value_name = "BEFORE.json")]
    compare: Option<PathBuf>,

    /// With --compare, a metric that moved by more than PERCENT is a regression (WARNING)
    #[arg(long, value_name = "PERCENT", requires = "compare")]
    drift: Option<f64>,

    #[command(flatten)]
    common: CommonArgs,
}

impl Plugin for Args {
    const SERVICE: &'static str = "GUIDE";

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn check(&self) -> CheckResult {
        if self.guide.trim().is_empty() {
            return Err(opscheck::Failure::unknown("--guide is empty"));
        }
        if let Some(drift) = self.drift {
            if !(drift.is_finite() && drift >= 0.0) {
                return Err(opscheck::Failure::unknown(format!(
                    "--drift {drift} must be a percentage of 0 or more"
                )));
            }
        }
        for (flag, value) in [("--host", &self.host), ("--via", &self.via)] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                return Err(opscheck::Failure::unknown(format!("{flag} is empty")));
            }
        }
        let paths = self
            .guide_dirs
            .iter()
            .map(|p| ("--guide-dir", Some(p)))
            .chain([
                ("--plugin-dir", self.plugin_dir.as_ref()),
                ("--vars", self.vars_file.as_ref()),
                ("--save", self.save.as_ref()),
                ("--compare", self.compare.as_ref()),
            ]);
        for (flag, path) in paths {
            if path.is_some_and(|p| p.as_os_str().is_empty()) {
                return Err(opscheck::Failure::unknown(format!("{flag} is empty")));
            }
        }
        if let Some(flag) = self.with.iter().find(|f| !guide::file::valid_id(f)) {
            return Err(opscheck::Failure::unknown(format!(
                "--with '{flag}' is not a flag ([a-z0-9_-]+)"
            )));
        }
        let options = Options {
            guide: self.guide.clone(),
            guide_dirs: if self.guide_dirs.is_empty() {
                guide::GUIDE_DIRS.iter().map(PathBuf::from).collect()
            } else {
                self.guide_dirs.clone()
            },
            plugin_dir: self.plugin_dir.clone(),
            jobs: self.jobs.map(usize::from),
            set: self.set.clone(),
            vars_file: self.vars_file.clone(),
            with: self.with.clone(),
            skip_missing: self.skip_missing,
            host: self.host.clone(),
            via: self.via.clone(),
            report: self.report,
            save: self.save.clone(),
            compare: self.compare.clone(),
            drift: self.drift,
            progress: guide::run::stderr_is_terminal(),
        };
        match guide::check(&options)? {
            Outcome::Plugin(check) => Ok(check),
            // A report replaces the plugin text; it goes through the one exit point.
            Outcome::Report { text, state } => opscheck::timeout::emit(&text, state.exit_code()),
        }
    }
}

fn main() {
    opscheck::run::<Args>()
}
