//! Reads what was added to one path since the last run: carries out the plan
//! [`super::position`] decided (appended, truncated, rewritten, rotated),
//! including the unread tail of a rotated or copied predecessor, and reads each
//! byte range in chunks of complete lines within the run's budget
//! (`--max-bytes` and the deadline), so that a huge backlog is read over
//! several runs instead of timing out.

use super::matcher::{self, Patterns, Tally};
use super::position::{self, Plan, Position, Seen};
use super::Options;
use crate::output::plural;
use crate::runner::Failure;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Bytes read per system call.
const CHUNK: usize = 8 * 1024 * 1024;
/// How far back from the end the first run looks for the last complete line.
const TAIL_PROBE: u64 = 64 * 1024;

/// What one file gave this run.
#[derive(Debug, Default)]
pub(super) struct FileReport {
    pub(super) path: String,
    pub(super) lines: u64,
    pub(super) bytes: u64,
    pub(super) missing: bool,
    pub(super) notes: Vec<String>,
}

/// The run-wide limits: bytes left and the deadline.
pub(super) struct Budget {
    pub(super) bytes: u64,
    pub(super) deadline: crate::Deadline,
    /// Set when a limit stopped the reading: the reason.
    pub(super) stopped: Option<String>,
}

impl Budget {
    pub(super) fn exhausted(&self) -> bool {
        self.stopped.is_some()
    }
}

/// Follows one path: reads what was added since `saved` (and the unread tail
/// of its rotated predecessor), returns the position to save.
pub(super) fn follow(
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
pub(super) fn read_range(
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
