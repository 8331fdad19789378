//! check_guide: runs every check of a platform role's health check guide at
//! once (a TOML file, see [`file`]), each one as a child process with its own
//! time limit, at most `--jobs` at a time, and prints one plugin result (worst
//! state, one line per entry, the children's perfdata merged as `id::label`)
//! or a report for people ([`report`]). `--save` keeps the run as JSON and
//! `--compare` tells what changed since a saved run ([`compare`]): the SRE
//! guide's checks "should be performed after a platform upgrade to ensure …
//! that no new issues have been introduced".

pub mod compare;
pub mod file;
mod plugin_output;
pub mod record;
pub mod report;
pub mod run;

use crate::output::{Check, Item};
use crate::perfdata;
use crate::runner::Failure;
use crate::status::State;
use record::{EntryResult, RunRecord, Status};
use report::ReportFormat;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use file::{fill, load_guide, locate, parse_guide, parse_vars, Entry, Guide, GuideError};
pub use run::interpret;

/// Where guides are looked for by name, first match wins: the site's own, then the package's.
pub const GUIDE_DIRS: [&str; 2] = ["/etc/opscheck/guides", "/usr/share/opscheck/guides"];

/// The remote command template when `--host` is given and neither `--via` nor the guide has one.
pub const DEFAULT_VIA: [&str; 4] = ["ssh", "-o", "BatchMode=yes", "{host}"];

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub guide: String,
    pub guide_dirs: Vec<PathBuf>,
    pub plugin_dir: Option<PathBuf>,
    pub jobs: Option<usize>,
    pub set: Vec<(String, String)>,
    pub vars_file: Option<PathBuf>,
    pub with: Vec<String>,
    pub skip_missing: bool,
    pub host: Option<String>,
    pub via: Option<String>,
    pub report: Option<ReportFormat>,
    pub save: Option<PathBuf>,
    pub compare: Option<PathBuf>,
    pub drift: Option<f64>,
    /// Draw the live progress on stderr (the bin sets it when stderr is a terminal).
    pub progress: bool,
}

/// What the run prints: a plugin result, or a report (with the exit state).
#[derive(Debug)]
pub enum Outcome {
    Plugin(Check),
    Report { text: String, state: State },
}

/// The default `--jobs`: twice the CPUs (the children mostly wait on I/O).
pub fn default_jobs() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        * 2
}

/// The directory check_guide itself is in (where the suite's plugins are installed).
pub fn own_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("/usr/lib/nagios/plugins"))
}

/// `name=value` for `--set`.
pub fn parse_set(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("'{text}' is not name=value"))?;
    if !file::valid_var(name) {
        return Err(format!("variable name '{name}' is not [a-z_][a-z0-9_]*"));
    }
    Ok((name.to_string(), value.to_string()))
}

fn guide_failure(e: GuideError) -> Failure {
    Failure::unknown(format!("guide {e}"))
}

pub fn check(options: &Options) -> Result<Outcome, Failure> {
    let deadline = crate::deadline::current();
    let path = locate(&options.guide, &options.guide_dirs).map_err(Failure::unknown)?;
    let guide = load_guide(&path).map_err(guide_failure)?;

    let mut vars: BTreeMap<String, String> = guide.vars.clone();
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        vars.insert("guide_dir".into(), dir.to_string_lossy().into_owned());
    }
    if let Some(file) = &options.vars_file {
        let text = std::fs::read_to_string(file)
            .map_err(|e| Failure::unknown(format!("cannot read --vars {}: {e}", file.display())))?;
        vars.extend(parse_vars(&text, file).map_err(|e| Failure::unknown(format!("--vars {e}")))?);
    }
    vars.extend(options.set.iter().cloned());
    if let Some(host) = &options.host {
        vars.insert("host".into(), host.clone());
    }

    let remote = match (&options.host, &options.via) {
        (None, Some(_)) => return Err(Failure::unknown("--via needs --host")),
        (None, None) => None,
        (Some(host), via) => {
            let template: Vec<String> = match via {
                Some(text) => crate::exec::split_command(text)?,
                None => guide
                    .via
                    .clone()
                    .unwrap_or_else(|| DEFAULT_VIA.iter().map(|s| s.to_string()).collect()),
            };
            let mut words = Vec::with_capacity(template.len());
            for word in &template {
                words.push(fill(word, &vars).map_err(|e| Failure::unknown(format!("via: {e}")))?);
            }
            Some((host.clone(), words))
        }
    };

    let jobs = options.jobs.unwrap_or_else(default_jobs).max(1);
    let run_options = run::RunOptions {
        plugin_dir: options.plugin_dir.clone().unwrap_or_else(own_dir),
        jobs,
        vars,
        with: options.with.clone(),
        skip_missing: options.skip_missing,
        remote,
        progress: options.progress,
    };
    let started = record::now_rfc3339();
    let clock = std::time::Instant::now();
    let entries = run::run_guide(&guide, &run_options, &deadline);
    let (state, summary) = record::summarize(&entries);
    let run = RunRecord {
        format: record::FORMAT.to_string(),
        guide: guide.name.clone(),
        guide_file: path.display().to_string(),
        title: guide.title.clone(),
        host: options.host.clone(),
        started,
        duration_s: clock.elapsed().as_secs_f64(),
        jobs,
        state,
        summary,
        entries,
    };

    let mut save_error = None;
    if let Some(file) = &options.save {
        if let Err(e) = save(&run, file) {
            save_error = Some(e);
        }
    }
    let comparison = match &options.compare {
        Some(file) => {
            let text = std::fs::read_to_string(file).map_err(|e| {
                Failure::unknown(format!("cannot read --compare {}: {e}", file.display()))
            })?;
            let before = record::parse_record(&text)
                .map_err(|e| Failure::unknown(format!("--compare {}: {e}", file.display())))?;
            Some(compare::compare(&before, &run, options.drift))
        }
        None => None,
    };

    if let Some(format) = options.report {
        let mut text = report::render(format, &run, comparison.as_ref());
        let mut state = comparison.as_ref().map_or(run.state, |c| c.state());
        if let Some(e) = save_error {
            text.push_str(&format!("\n{e}\n"));
            state = state.worst(State::Unknown);
        }
        return Ok(Outcome::Report { text, state });
    }
    let mut check = match &comparison {
        Some(c) => comparison_check(&run, c),
        None => plugin_check(&run),
    };
    if let Some(e) = save_error {
        check.note(e);
        check.fixed_state = Some(State::Unknown);
    }
    Ok(Outcome::Plugin(check))
}

/// Writes the run as JSON, atomically (a temporary file renamed into place).
fn save(run: &RunRecord, file: &Path) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| format!("cannot save to {}: {e}", file.display());
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| fail(&e))?;
    serde_json::to_writer_pretty(&mut tmp, run).map_err(|e| fail(&e))?;
    std::io::Write::write_all(&mut tmp, b"\n").map_err(|e| fail(&e))?;
    tmp.persist(file).map_err(|e| fail(&e.error))?;
    Ok(())
}

/// The entry's perfdata with labels prefixed by its id (check_multi's `id::label`).
fn prefixed_perfdata(entry: &EntryResult) -> Vec<perfdata::Perfdata> {
    entry
        .perfdata
        .iter()
        .filter_map(|text| perfdata::parse(text).ok())
        .flatten()
        .map(|mut p| {
            p.label = format!("{}::{}", entry.id, p.label);
            p
        })
        .collect()
}

fn skipped_note(run: &RunRecord) -> Option<String> {
    let skipped: Vec<String> = run
        .entries
        .iter()
        .filter(|e| e.status == Status::Skipped)
        .map(|e| format!("{} ({})", e.id, e.first_line))
        .collect();
    (!skipped.is_empty()).then(|| format!("{} skipped: {}", skipped.len(), skipped.join(", ")))
}

/// The plugin result of a run: one item per entry, in the guide's order.
pub fn plugin_check(run: &RunRecord) -> Check {
    let mut check = Check::new();
    for entry in run.judged() {
        let state = entry.state.unwrap_or(State::Unknown);
        let mut item = Item::new(
            state,
            format!("{}: {}", run::clean(&entry.title), entry.first_line),
        );
        for line in &entry.long_output {
            item = item.detail(1, format!("  {line}"));
        }
        item.perfdata = prefixed_perfdata(entry);
        check.item(item);
        for note in &entry.notes {
            check.note(format!("{}: {note}", entry.id));
        }
    }
    if let Some(note) = skipped_note(run) {
        check.note(note);
    }
    if run.judged().next().is_none() {
        check.problem_summary(format!(
            "no check of guide {} ran ({} skipped)",
            run.guide,
            run.entries.len()
        ));
    } else if run.state == State::Ok {
        check.ok_summary(run.summary.clone());
    } else {
        check.problem_summary(run.summary.clone());
    }
    check
}

/// The plugin result of a comparison: one item per change; the state is the
/// worst regression's, "no new issues" when there is none.
pub fn comparison_check(run: &RunRecord, comparison: &compare::Comparison) -> Check {
    let mut check = Check::new();
    for change in &comparison.changes {
        check.item(Item::new(change.state, change.describe()));
    }
    for entry in run.judged() {
        check.perfdata.extend(prefixed_perfdata(entry));
    }
    let still: Vec<&str> = run
        .judged()
        .filter(|e| e.state != Some(State::Ok))
        .map(|e| e.title.as_str())
        .collect();
    let mut summary = comparison.summary();
    if comparison.state() == State::Ok && !still.is_empty() {
        summary.push_str(&format!(
            "; still not OK: {}",
            record::shorten_list(&still, 50)
        ));
    }
    check.empty_ok(summary.clone());
    if comparison.state() == State::Ok {
        check.ok_summary(summary);
    } else {
        check.problem_summary(summary);
    }
    if let Some(note) = skipped_note(run) {
        check.note(note);
    }
    check
}
