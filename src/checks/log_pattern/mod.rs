//! check_log_pattern: the lines added to logs since the last run, matched
//! against critical, warning, ok and ignore patterns (CATALOG: the net.Console
//! failover analysis in mserver's `local.log`; useful for every log of the seeds).
//!
//! The parts: [`matcher`] compiles the patterns once and classifies lines in
//! one pass; [`position`] decides, from the saved position and the file at the
//! path now, where to read (appended, truncated, rewritten, rotated); `follow`
//! carries that out and reads the bytes in between, within `--max-bytes` and
//! the run's deadline; `report` turns the counts into a result. This module
//! keeps, per `--file`, the positions saved between runs and the files the
//! spec names now (a date pattern, a glob).

mod follow;
pub mod matcher;
pub mod position;
mod report;

use crate::localtime::{now_local, LocalTime};
use crate::output::Check;
use crate::runner::Failure;
use crate::state::{Loaded, StateArgs};
use crate::status::State;
use crate::threshold::Thresholds;
use follow::{Budget, FileReport};
use matcher::{PatternSpec, Patterns, Tally};
use position::{Position, Seen};
use std::collections::BTreeMap;
use std::fs::File;
use std::path::PathBuf;

const PLUGIN: &str = "check_log_pattern";
/// Characters of a matching line shown.
pub const LINE_WIDTH: usize = 200;

/// The options of one run.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--file` as given: paths, globs, `%Y%m%d` date patterns.
    pub files: Vec<String>,
    pub patterns: PatternSpec,
    pub rotated_globs: Vec<String>,
    pub from_start: bool,
    /// The state of a missing file.
    pub missing: State,
    pub max_bytes: u64,
    pub show: usize,
    /// Thresholds on the count of warning matches (`-w`) and critical matches (`-c`).
    pub warning_count: Thresholds,
    pub critical_count: Thresholds,
    /// Overrides the state key (two checks with the same patterns on one file).
    pub instance: Option<String>,
}

/// Reads the new lines of every `--file` (each with its positions in the state
/// store) and judges the matches.
pub fn check(options: &Options, state: &StateArgs) -> Result<Check, Failure> {
    let patterns = Patterns::compile(&options.patterns)?;
    if options.files.is_empty() {
        return Err(Failure::unknown("no --file given"));
    }
    if options.files.iter().any(|f| f.is_empty()) {
        return Err(Failure::unknown("--file '' is empty"));
    }
    let signature = position::fnv1a_hex(options.patterns.signature().as_bytes());
    let mut tally = Tally::new(options.show);
    let mut budget = Budget {
        bytes: options.max_bytes,
        deadline: crate::deadline::current(),
        stopped: None,
    };
    let mut reports = Vec::new();
    let mut notes = Vec::new();
    for spec in &options.files {
        let key = match &options.instance {
            Some(name) => format!("{name}#{spec}"),
            None => format!("{spec}#{signature}"),
        };
        let store = state.open(PLUGIN, &key)?;
        // A file that appears later under a glob or a date pattern (today's
        // log after midnight) is read from its start: its lines are all new.
        let mut known_spec = true;
        let mut saved: BTreeMap<String, Position> = match store.load() {
            Loaded::Found(map) => map,
            Loaded::Missing => {
                known_spec = false;
                BTreeMap::new()
            }
            // Positions saved in another shape: a first run again (from the
            // end, no alarm on history), with the store's note.
            Loaded::Outdated(note) => {
                known_spec = false;
                notes.push(note);
                BTreeMap::new()
            }
            Loaded::Corrupt(note) => {
                notes.push(note);
                BTreeMap::new()
            }
        };
        let paths = expand(spec, now_local()?)?;
        let mut next: BTreeMap<String, Position> = BTreeMap::new();
        if paths.is_empty() {
            let mut report = FileReport {
                path: spec.clone(),
                missing: true,
                ..FileReport::default()
            };
            report.notes.push(format!("no file matches {spec}"));
            reports.push(report);
        }
        for path in &paths {
            let key = path.to_string_lossy().into_owned();
            let before = saved.remove(&key);
            let from_start = options.from_start || known_spec;
            let (report, position) = follow::follow(
                path,
                before,
                from_start,
                options,
                &patterns,
                &mut tally,
                &mut budget,
            )?;
            if let Some(p) = position {
                next.insert(key, p);
            }
            reports.push(report);
        }
        // Files that no longer match (yesterday's date-named log): their last
        // lines are read, then they are forgotten.
        for (key, before) in saved {
            let path = PathBuf::from(&key);
            if let Ok(file) = File::open(&path) {
                let seen = Seen::of(&file)?;
                if (seen.dev, seen.ino) == (before.dev, before.ino) && seen.size >= before.offset {
                    let mut report = FileReport {
                        path: key.clone(),
                        ..FileReport::default()
                    };
                    let end = follow::read_range(
                        &file,
                        before.offset,
                        seen.size,
                        true,
                        &patterns,
                        &mut tally,
                        &mut budget,
                        &mut report,
                    )?;
                    if budget.exhausted() && end < seen.size {
                        let mut p = before.clone();
                        p.offset = end;
                        next.insert(key, p);
                    }
                    reports.push(report);
                }
            }
        }
        store.save(&next)?;
    }
    Ok(report::result(options, &tally, &reports, &budget, notes))
}

/// `%Y`, `%m`, `%d`, `%H`, `%y` and `%%` replaced by the local date.
pub fn expand_date(spec: &str, t: LocalTime) -> Result<String, Failure> {
    let mut out = String::new();
    let mut chars = spec.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Y') => out.push_str(&format!("{:04}", t.year)),
            Some('y') => out.push_str(&format!("{:02}", t.year.rem_euclid(100))),
            Some('m') => out.push_str(&format!("{:02}", t.month)),
            Some('d') => out.push_str(&format!("{:02}", t.day)),
            Some('H') => out.push_str(&format!("{:02}", t.hour)),
            Some('%') => out.push('%'),
            other => {
                return Err(Failure::unknown(format!(
                    "--file '{spec}': %{} is not one of %Y %y %m %d %H %%",
                    other.map(String::from).unwrap_or_default()
                )))
            }
        }
    }
    Ok(out)
}

/// The files a `--file` names now: the date filled in, then the glob expanded
/// (a plain path is itself, whether it exists or not).
pub fn expand(spec: &str, t: LocalTime) -> Result<Vec<PathBuf>, Failure> {
    let path = expand_date(spec, t)?;
    if !path.contains(['*', '?', '[']) {
        return Ok(vec![PathBuf::from(path)]);
    }
    let paths = glob::glob(&path)
        .map_err(|e| Failure::unknown(format!("--file '{spec}' is not a valid glob: {e}")))?;
    let mut found: Vec<PathBuf> = paths
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    Ok(found)
}

/// What a missing file is: `--missing ok|warning|critical|unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Missing {
    Ok,
    Warning,
    Critical,
    Unknown,
}

impl Missing {
    pub fn state(self) -> State {
        match self {
            Missing::Ok => State::Ok,
            Missing::Warning => State::Warning,
            Missing::Critical => State::Critical,
            Missing::Unknown => State::Unknown,
        }
    }
}

/// A byte count with an optional binary suffix: `1048576`, `512K`, `256M`, `1G`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, ""),
    };
    let factor: u64 = match unit.trim_end_matches(['B', 'b', 'i']) {
        "" => 1,
        "K" | "k" => 1 << 10,
        "M" | "m" => 1 << 20,
        "G" | "g" => 1 << 30,
        _ => {
            return Err(format!(
                "'{text}' is not a size (e.g. 1048576, 512K, 256M, 1G)"
            ))
        }
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("'{text}' is not a size (e.g. 1048576, 512K, 256M, 1G)"))?;
    let bytes = n
        .checked_mul(factor)
        .ok_or_else(|| format!("'{text}' is too large"))?;
    if bytes == 0 {
        return Err("a size of 0 would read nothing".to_string());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: LocalTime = LocalTime {
        year: 2010,
        month: 10,
        day: 2,
        hour: 7,
    };

    #[test]
    fn date_patterns() {
        assert_eq!(
            expand_date("/data/mserver/cdr-%Y%m%d.log", T).unwrap(),
            "/data/mserver/cdr-20101002.log"
        );
        assert_eq!(expand_date("x-%y%H%%", T).unwrap(), "x-1007%");
        assert!(expand_date("x-%q", T).is_err());
        assert!(expand_date("x-%", T).is_err());
    }

    #[test]
    fn plain_paths_and_globs() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.log"), "").unwrap();
        std::fs::write(dir.path().join("b.log"), "").unwrap();
        let plain = dir.path().join("missing.log");
        let spec = plain.to_string_lossy().into_owned();
        assert_eq!(expand(&spec, T).unwrap(), vec![plain]);
        let glob = format!("{}/*.log", dir.path().display());
        assert_eq!(expand(&glob, T).unwrap().len(), 2);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("256M"), Ok(256 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("512KiB"), Ok(512 << 10));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("12T").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
    }
}
