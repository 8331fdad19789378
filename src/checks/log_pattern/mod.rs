//! check_log_pattern: the lines added to logs since the last run, matched
//! against critical, warning, ok and ignore patterns (CATALOG: the net.Console
//! failover analysis in mserver's `local.log`; useful for every log of the seeds).
//!
//! The parts: [`matcher`] compiles the patterns once and classifies lines in
//! one pass; [`position`] decides, from the saved position and the file at the
//! path now, where to read (appended, truncated, rewritten, rotated). This file
//! reads the bytes in between, within `--max-bytes` and the run's deadline, and
//! turns the counts into a result.

pub mod matcher;
pub mod position;

use crate::localtime::{now_local, LocalTime};
use crate::output::{plural, Check, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::runner::Failure;
use crate::state::{Loaded, StateArgs};
use crate::status::State;
use crate::threshold::Thresholds;
use matcher::{display_line, Class, PatternSpec, Patterns, Tally};
use position::{Plan, Position, Seen};
use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

const PLUGIN: &str = "check_log_pattern";
/// Bytes read per system call.
const CHUNK: usize = 8 * 1024 * 1024;
/// How far back from the end the first run looks for the last complete line.
const TAIL_PROBE: u64 = 64 * 1024;
/// Characters of a matching line shown.
pub const LINE_WIDTH: usize = 200;

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

/// What one file gave this run.
#[derive(Debug, Default)]
struct FileReport {
    path: String,
    lines: u64,
    bytes: u64,
    missing: bool,
    notes: Vec<String>,
}

/// The run-wide limits: bytes left and the deadline.
struct Budget {
    bytes: u64,
    deadline: crate::Deadline,
    /// Set when a limit stopped the reading: the reason.
    stopped: Option<String>,
}

impl Budget {
    fn exhausted(&self) -> bool {
        self.stopped.is_some()
    }
}

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
            let (report, position) = follow(
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
                    let end = read_range(
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
    Ok(result(options, &tally, &reports, &budget, notes))
}

/// Follows one path: reads what was added since `saved` (and the unread tail
/// of its rotated predecessor), returns the position to save.
fn follow(
    path: &Path,
    saved: Option<Position>,
    from_start: bool,
    options: &Options,
    patterns: &Patterns,
    tally: &mut Tally,
    budget: &mut Budget,
) -> Result<(FileReport, Option<Position>), Failure> {
    let mut report = FileReport {
        path: path.display().to_string(),
        ..FileReport::default()
    };
    let cannot =
        |e: std::io::Error| Failure::unknown(format!("cannot read {}: {e}", path.display()));
    crate::timeout::set_activity(format!("reading {}", path.display()));
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            report.missing = true;
            // Rotated and not created again yet: the old file's tail is still read.
            let saved = saved.map(|mut p| {
                if let Some(offset) =
                    read_rotated(path, &p, options, patterns, tally, budget, &mut report)
                {
                    p.offset = offset;
                }
                p
            });
            return Ok((report, saved));
        }
        Err(e) => return Err(cannot(e)),
    };
    let now = Seen::of(&file).map_err(cannot)?;
    let fp_now = match &saved {
        Some(p) => position::fingerprint(&file, p.fp_len).map_err(cannot)?,
        None => None,
    };
    let mut plan = position::decide(saved.as_ref(), &now, fp_now.as_deref());
    let start = match plan.clone() {
        Plan::New => {
            if from_start {
                0
            } else {
                let start = last_line_end(&file, now.size).map_err(cannot)?;
                if start > 0 {
                    report.notes.push(format!(
                        "{}: first run, starting at its end ({start} bytes of history not read; --from-start reads them)",
                        path.display()
                    ));
                }
                start
            }
        }
        Plan::Continue(offset) => offset,
        Plan::Truncated | Plan::Rewritten => {
            // copytruncate: the content up to the truncation is in a copy
            // (FILE.1, FILE-DATE) whose first bytes are the saved ones; the new
            // content may even have grown past the old offset already.
            let saved = saved
                .as_ref()
                .expect("a plan other than New has a saved position");
            let what = if plan == Plan::Truncated {
                format!(
                    "{} was truncated (size {} below the offset {})",
                    path.display(),
                    now.size,
                    saved.offset
                )
            } else {
                format!(
                    "{} was rewritten in place (its first bytes changed)",
                    path.display()
                )
            };
            let candidates = position::rotated_candidates(path, &options.rotated_globs);
            match position::find_copy(&candidates, saved, &now) {
                Some((copy, copy_file, copy_seen)) => {
                    report.notes.push(format!(
                        "{what}: copied to {} (copytruncate), whose rest is read first",
                        copy.display()
                    ));
                    let end = read_range(
                        &copy_file,
                        saved.offset,
                        copy_seen.size,
                        true,
                        patterns,
                        tally,
                        budget,
                        &mut report,
                    )?;
                    if end < copy_seen.size {
                        // Stopped inside the copy: the next run finds it again.
                        let mut p = saved.clone();
                        p.offset = end;
                        return Ok((report, Some(p)));
                    }
                }
                None => report.notes.push(format!("{what}: read from its start")),
            }
            0
        }
        Plan::Rotated => {
            let saved = saved
                .as_ref()
                .expect("a plan other than New has a saved position");
            match read_rotated(path, saved, options, patterns, tally, budget, &mut report) {
                Some(end) if budget.exhausted() => {
                    // The old file is not finished: stay on it.
                    let mut p = saved.clone();
                    p.offset = end;
                    return Ok((report, Some(p)));
                }
                Some(_) => 0,
                None if fp_now.as_deref() == Some(saved.fp.as_str())
                    && now.size >= saved.offset =>
                {
                    // Replaced by a copy of itself (an editor, rsync): carry on.
                    plan = Plan::Continue(saved.offset);
                    saved.offset
                }
                None => 0,
            }
        }
    };
    let _ = plan;
    let end = read_range(
        &file,
        start,
        now.size,
        false,
        patterns,
        tally,
        budget,
        &mut report,
    )?;
    let position = position::position_after(&file, &now, end).map_err(cannot)?;
    Ok((report, Some(position)))
}

/// Reads the unread tail of the rotated predecessor of `path` (found by inode).
/// Returns where the reading stopped, or `None` when the old file was not found.
fn read_rotated(
    path: &Path,
    saved: &Position,
    options: &Options,
    patterns: &Patterns,
    tally: &mut Tally,
    budget: &mut Budget,
    report: &mut FileReport,
) -> Option<u64> {
    let candidates = position::rotated_candidates(path, &options.rotated_globs);
    match position::find_by_inode(&candidates, saved) {
        Some((old, file, seen)) => {
            let from = saved.offset.min(seen.size);
            if seen.size > from {
                report.notes.push(format!(
                    "{} was rotated: the last {} of {} read first",
                    path.display(),
                    plural((seen.size - from) as usize, "byte"),
                    old.display()
                ));
            }
            match read_range(
                &file, from, seen.size, true, patterns, tally, budget, report,
            ) {
                Ok(end) => Some(end),
                Err(e) => {
                    report.notes.push(e.message);
                    None
                }
            }
        }
        None => {
            let compressed: Vec<String> = candidates
                .iter()
                .filter(|p| position::is_compressed(p))
                .map(|p| p.display().to_string())
                .collect();
            let mut note = format!(
                "{} was rotated; the old file (inode {}) was not found among FILE.0, FILE.1, FILE-*, FILE.*{}: lines written to it after the last run are not read",
                path.display(),
                saved.ino,
                if options.rotated_globs.is_empty() { "" } else { " and --rotated-glob" }
            );
            if !compressed.is_empty() {
                note.push_str(&format!(
                    " (compressed archives are skipped: {})",
                    compressed.join(", ")
                ));
            }
            report.notes.push(note);
            None
        }
    }
}

/// Reads `file` from `from` to `to` and scans the complete lines. A last line
/// without its newline is left for the next run unless `last` (a rotated file,
/// which will not grow any more). Returns the offset reached.
#[allow(clippy::too_many_arguments)]
fn read_range(
    file: &File,
    from: u64,
    to: u64,
    last: bool,
    patterns: &Patterns,
    tally: &mut Tally,
    budget: &mut Budget,
    report: &mut FileReport,
) -> Result<u64, Failure> {
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK.min((to.saturating_sub(from)) as usize + 1));
    // Offset of buf[0] in the file.
    let mut base = from;
    let mut at = from;
    let lines_before = tally.lines;
    let bytes_before = tally.bytes;
    let limit_end = match from.checked_add(budget.bytes) {
        Some(end) if end < to => {
            budget
                .stopped
                .get_or_insert_with(|| "--max-bytes reached".to_string());
            end
        }
        _ => to,
    };
    let mut cut = limit_end < to;
    while at < limit_end {
        if budget.deadline.expired() {
            budget
                .stopped
                .get_or_insert_with(|| "the time given by -t ran out".to_string());
            cut = true;
            break;
        }
        let want = (limit_end - at).min(CHUNK as u64) as usize;
        let old_len = buf.len();
        buf.resize(old_len + want, 0);
        let n = file
            .read_at(&mut buf[old_len..], at)
            .map_err(|e| Failure::unknown(format!("cannot read {}: {e}", report.path)))?;
        buf.truncate(old_len + n);
        if n == 0 {
            break; // Truncated under us: what was read counts.
        }
        at += n as u64;
        let complete = matcher::complete_lines(&buf);
        if complete > 0 {
            matcher::scan(patterns, &buf[..complete], base, tally);
            buf.drain(..complete);
            base += complete as u64;
        }
    }
    if !buf.is_empty() && ((last && !cut) || (cut && base == from)) {
        // The final line of a rotated file, or a line longer than the budget.
        matcher::scan(patterns, &buf, base, tally);
        base += buf.len() as u64;
    }
    tally.end_of_file();
    budget.bytes = budget.bytes.saturating_sub(base - from);
    report.lines += tally.lines - lines_before;
    report.bytes += tally.bytes - bytes_before;
    Ok(base)
}

/// The end of the last complete line of a file of `size` bytes (the first run
/// starts there, so that a half-written last line is read once complete).
fn last_line_end(file: &File, size: u64) -> std::io::Result<u64> {
    let probe = size.min(TAIL_PROBE);
    let mut buf = vec![0u8; probe as usize];
    file.read_exact_at(&mut buf, size - probe)?;
    Ok(match memchr::memrchr(b'\n', &buf) {
        Some(i) => size - probe + i as u64 + 1,
        None if probe == size => 0,
        None => size,
    })
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

fn result(
    options: &Options,
    tally: &Tally,
    reports: &[FileReport],
    budget: &Budget,
    notes: Vec<String>,
) -> Check {
    let mut check = Check::new();
    let one_file = reports.len() == 1;
    let shown = |class: Class| -> Vec<String> {
        tally
            .shown
            .iter()
            .filter(|e| e.class == class)
            .map(|e| display_line(&e.line, LINE_WIDTH))
            .collect()
    };
    let mut judged_item = |what: &str, count: u64, t: &Thresholds, class: Class| {
        let lines = shown(class);
        let mut text =
            plural(count as usize, &format!("{what} match")).replace("matchs", "matches");
        if let Some(last) = lines.last() {
            let cut: String = last.chars().take(60).collect();
            text.push_str(&format!(", last: {cut}"));
            if cut.len() < last.len() {
                text.push('…');
            }
        }
        let mut item = t
            .judge(format!("{what}_matches"), count as f64, Uom::None)
            .item(text);
        item.perfdata[0] = item.perfdata[0].clone().min(0.0);
        for line in lines {
            item = item.detail(0, line);
        }
        check.item(item);
    };
    judged_item(
        "critical",
        tally.critical,
        &options.critical_count,
        Class::Critical,
    );
    if !options.patterns.warning.is_empty() {
        judged_item(
            "warning",
            tally.warning,
            &options.warning_count,
            Class::Warning,
        );
    }
    for report in reports {
        let state = if report.missing {
            options.missing
        } else {
            State::Ok
        };
        let text = if report.missing {
            format!("{} is missing", report.path)
        } else {
            format!(
                "{}: {} ({}) read",
                report.path,
                plural(report.lines as usize, "new line"),
                plural(report.bytes as usize, "byte")
            )
        };
        let mut item = Item::new(state, text);
        for note in &report.notes {
            item = item.detail(0, note.clone());
        }
        check.item(item);
    }
    for note in notes {
        check.note(note);
    }
    if tally.cleared > 0 {
        check.note(format!(
            "an ok pattern matched {}: earlier matches cleared",
            plural(tally.cleared as usize, "time")
        ));
    }
    if let Some(reason) = &budget.stopped {
        check.note(format!("{reason}: the rest is read next run"));
    }
    let where_ = if one_file {
        format!(" of {}", reports[0].path)
    } else {
        format!(" in {}", plural(reports.len(), "file"))
    };
    let found = tally.critical + tally.warning;
    check.ok_summary(if found == 0 {
        format!(
            "no match in {}{where_}",
            plural(tally.lines as usize, "new line")
        )
    } else {
        format!(
            "{} within the thresholds in {}{where_}",
            plural(found as usize, "match").replace("matchs", "matches"),
            plural(tally.lines as usize, "new line")
        )
    });
    check.perf(Perfdata::new("lines", tally.lines as f64, Uom::None).min(0.0));
    check.perf(Perfdata::new("bytes", tally.bytes as f64, Uom::Bytes).min(0.0));
    check
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
