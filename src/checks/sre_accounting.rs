//! check_sre_accounting: SRE accounting generation (guide §2.11).
//!
//! Two sources. `sre-admin monitor accounting summary` gives the open calls
//! (the `total` row). The accounting directory holds the CDR files: exactly one
//! `cdr-<timestamp>.inprogress` being written, with a recent timestamp in its
//! name and a recent mtime, and closed `cdr-<timestamp>` files that no longer
//! change once the next file has begun.
//!
//! The timestamp in a name is the EM's local time without a zone
//! (`cdr-2024-06-20T13:10:00`): it is read with the C library's `mktime`,
//! which honours `TZ` (and `/etc/localtime`) with the zone's daylight-saving
//! rules, the same way the SRE wrote it. The `libc` crate is already a
//! dependency; a date crate would add code to do what the C library does.

use crate::checks::sre::{self, header_columns, split_row};
use crate::input::InputArgs;
use crate::output::{one_line, plural, Check, Item};
use crate::perfdata::Uom;
use crate::runner::{CheckResult, Failure};
use crate::status::State;
use crate::threshold::Thresholds;
use std::path::Path;

pub const DEFAULT_DIR: &str = "/data/sre/accounting/";
pub const DEFAULT_COMMAND: &[&str] =
    &["/opt/sre/bin/sre-admin", "monitor", "accounting", "summary"];

/// The open calls of the summary: per host rows and the `total` row.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub hosts: Vec<(String, u64)>,
    pub total: u64,
}

/// Reads `sre-admin monitor accounting summary`: a `Hostname  Open calls`
/// header, dashes, then rows; the `total` row is required.
pub fn parse_summary(text: &str) -> Result<Summary, String> {
    let lines: Vec<&str> = text.lines().collect();
    let header = lines
        .iter()
        .position(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("hostname") && l.contains("open calls")
        })
        .ok_or_else(|| {
            if text.trim().is_empty() {
                "the accounting summary is empty".to_string()
            } else {
                "no 'Hostname  Open calls' header in the accounting summary".to_string()
            }
        })?;
    let starts: Vec<usize> = header_columns(lines[header]).iter().map(|c| c.0).collect();
    let mut hosts = Vec::new();
    let mut total = None;
    for (i, line) in lines.iter().enumerate().skip(header + 1) {
        let t = line.trim();
        if t.is_empty() || t.chars().all(|c| c == '-' || c == ' ') {
            continue;
        }
        let cells = split_row(line, &starts);
        let (name, count) = (&cells[0], cells.get(1).map_or("", String::as_str));
        let count: u64 = count.parse().map_err(|_| {
            format!(
                "line {}: '{}' is not a number of open calls",
                i + 1,
                one_line(count)
            )
        })?;
        if name.eq_ignore_ascii_case("total") {
            total = Some(count);
        } else {
            hosts.push((name.clone(), count));
        }
    }
    let total = total.ok_or("no 'total' row in the accounting summary")?;
    Ok(Summary { hosts, total })
}

/// The fields of a name's timestamp, `2024-06-20T13:10:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

/// A CDR file name: `cdr-<stamp>` or `cdr-<stamp>.inprogress`. `None` for other names.
pub fn parse_name(name: &str) -> Option<Result<(Stamp, bool), String>> {
    let rest = name.strip_prefix("cdr-")?;
    let (stamp, in_progress) = match rest.strip_suffix(".inprogress") {
        Some(s) => (s, true),
        None => (rest, false),
    };
    Some(parse_stamp(stamp).map(|s| (s, in_progress)))
}

/// `YYYY-MM-DDTHH:MM:SS`, fields in range.
pub fn parse_stamp(text: &str) -> Result<Stamp, String> {
    let bad = || {
        format!(
            "'{}' is not a timestamp like 2024-06-20T13:10:00",
            one_line(text)
        )
    };
    let b = text.as_bytes();
    if b.len() != 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<u32, String> {
        let s = &text[r];
        if s.bytes().all(|c| c.is_ascii_digit()) {
            s.parse().map_err(|_| bad())
        } else {
            Err(bad())
        }
    };
    let stamp = Stamp {
        year: num(0..4)? as i32,
        month: num(5..7)?,
        day: num(8..10)?,
        hour: num(11..13)?,
        minute: num(14..16)?,
        second: num(17..19)?,
    };
    if !(1..=12).contains(&stamp.month)
        || !(1..=31).contains(&stamp.day)
        || stamp.hour > 23
        || stamp.minute > 59
        || stamp.second > 60
    {
        return Err(bad());
    }
    Ok(stamp)
}

/// Seconds since the epoch of a local time, in the zone `TZ` names (the
/// system's when unset), daylight saving time decided by the zone's rules.
pub fn local_epoch(stamp: Stamp) -> Option<i64> {
    // mktime reads TZ itself (POSIX: "as if it called tzset").
    // SAFETY: `tm` is fully initialised (zeroed, then every field mktime reads set).
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        tm.tm_year = stamp.year - 1900;
        tm.tm_mon = stamp.month as i32 - 1;
        tm.tm_mday = stamp.day as i32;
        tm.tm_hour = stamp.hour as i32;
        tm.tm_min = stamp.minute as i32;
        tm.tm_sec = stamp.second as i32;
        tm.tm_isdst = -1;
        let t = libc::mktime(&mut tm);
        (t != -1).then_some(t)
    }
}

/// One CDR file of the directory.
#[derive(Debug, Clone, PartialEq)]
pub struct CdrFile {
    pub name: String,
    /// When the file began, from its name (local time).
    pub begins: i64,
    pub in_progress: bool,
    pub mtime: i64,
    pub size: u64,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub open_calls: Thresholds,
    pub age: Thresholds,
    /// Seconds a closed file may still be written after the next one began.
    pub grace: i64,
}

/// Judges the CDR files at `now`; `unreadable` are names that are not understood.
pub fn judge_files(
    files: &[CdrFile],
    unreadable: &[String],
    now: i64,
    options: &Options,
) -> Vec<Item> {
    let mut items = Vec::new();
    for name in unreadable {
        items.push(Item::new(State::Unknown, one_line(name)));
    }
    let mut sorted: Vec<&CdrFile> = files.iter().collect();
    sorted.sort_by_key(|f| (f.begins, f.in_progress));
    let open: Vec<&CdrFile> = sorted.iter().copied().filter(|f| f.in_progress).collect();
    match open.as_slice() {
        [] => items.push(Item::new(State::Critical, "no accounting file in progress")),
        [one] => {
            let name = one_line(&one.name);
            let mut item = match now.checked_sub(one.begins) {
                Some(age) if age < -120 => Item::new(
                    State::Warning,
                    format!(
                        "{name} begins {} in the future (clock or TZ?)",
                        crate::duration::human(-age as f64)
                    ),
                ),
                Some(age) => options
                    .age
                    .judge("inprogress_age", age.max(0) as f64, Uom::Seconds)
                    .item(format!(
                        "{name} begun {} ago",
                        crate::duration::human(age.max(0) as f64)
                    )),
                None => Item::new(State::Unknown, format!("{name}: time out of range")),
            };
            let written = now.saturating_sub(one.mtime).max(0);
            let judged = options
                .age
                .judge("inprogress_written", written as f64, Uom::Seconds);
            if judged.state != State::Ok {
                item.children.push(judged.clone().item(format!(
                    "{name} last written {} ago",
                    crate::duration::human(written as f64)
                )));
            } else {
                item = item.detail(
                    1,
                    format!(
                        "last written {} ago",
                        crate::duration::human(written as f64)
                    ),
                );
            }
            item.perfdata.push(judged.perfdata);
            item.text = format!("{}, {} B", item.text, one.size);
            items.push(item);
        }
        many => {
            let names: Vec<String> = many.iter().map(|f| one_line(&f.name)).collect();
            items.push(Item::new(
                State::Critical,
                format!("{} files in progress: {}", many.len(), names.join(", ")),
            ));
        }
    }
    // Closed files: none may change after the next file began.
    let closed: Vec<usize> = (0..sorted.len())
        .filter(|&i| !sorted[i].in_progress)
        .collect();
    let mut growing = Vec::new();
    for &i in &closed {
        let file = sorted[i];
        let Some(next) = sorted.get(i + 1) else {
            // The newest file is closed and nothing follows: covered by "no file in progress".
            continue;
        };
        if file.mtime > next.begins.saturating_add(options.grace) {
            growing.push(Item::new(
                State::Warning,
                format!(
                    "{} still written {} after {} began",
                    one_line(&file.name),
                    crate::duration::human(file.mtime.saturating_sub(next.begins) as f64),
                    one_line(&next.name)
                ),
            ));
        }
    }
    let mut closed_item = Item::new(
        State::Ok,
        format!(
            "{} no longer written",
            plural(closed.len(), "closed CDR file")
        ),
    );
    if !growing.is_empty() {
        closed_item.text = format!("{} still growing", plural(growing.len(), "closed CDR file"));
        closed_item.children = growing;
    }
    items.push(closed_item);
    items
}

/// Lists the CDR files of `dir` (subdirectories and other names ignored).
pub fn read_dir(dir: &Path) -> Result<(Vec<CdrFile>, Vec<String>), Failure> {
    use std::os::unix::fs::MetadataExt;
    crate::timeout::set_activity(format!("listing {}", dir.display()));
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Failure::unknown(format!("cannot list {}: {e}", dir.display())))?;
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    for entry in entries {
        let entry =
            entry.map_err(|e| Failure::unknown(format!("cannot list {}: {e}", dir.display())))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(parsed) = parse_name(&name) else {
            continue;
        };
        let meta = match entry.metadata() {
            Ok(m) => m,
            Err(e) => {
                unreadable.push(format!("{name}: {e}"));
                continue;
            }
        };
        if meta.is_dir() {
            continue;
        }
        match parsed {
            Ok((stamp, in_progress)) => match local_epoch(stamp) {
                Some(begins) => files.push(CdrFile {
                    name,
                    begins,
                    in_progress,
                    mtime: meta.mtime(),
                    size: meta.len(),
                }),
                None => unreadable.push(format!("{name}: no such local time")),
            },
            Err(e) => unreadable.push(format!("{name}: {e}")),
        }
    }
    Ok((files, unreadable))
}

fn now() -> Result<i64, Failure> {
    Ok(std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| Failure::unknown("the clock is before 1970"))?
        .as_secs() as i64)
}

/// Judges the open calls (unless `summary` is None: skipped) and the directory.
pub fn check(
    summary: Option<&InputArgs>,
    locale: &str,
    dir: &Path,
    options: &Options,
) -> CheckResult {
    let mut check = Check::new();
    if let Some(input) = summary {
        let text = match sre::collect(input, DEFAULT_COMMAND, locale)? {
            sre::Printed::Captured(text) => text,
            sre::Printed::Ran { output, .. } if output.status.success() => output.stdout,
            sre::Printed::Ran { argv, output } => return Err(sre::failed(&argv, &output, locale)),
        };
        match parse_summary(&text) {
            Ok(s) => {
                let mut item = options
                    .open_calls
                    .judge("open_calls", s.total as f64, Uom::None)
                    .item(format!("{} open", plural(s.total as usize, "call")));
                for (host, n) in &s.hosts {
                    item = item.detail(1, format!("{}: {n} open calls", one_line(host)));
                }
                check.item(item);
            }
            Err(e) => {
                check.item(Item::new(State::Unknown, e));
            }
        }
    }
    let (files, unreadable) = read_dir(dir)?;
    for item in judge_files(&files, &unreadable, now()?, options) {
        check.item(item);
    }
    if check.state() == State::Ok {
        let texts: Vec<String> = check.items.iter().map(|i| i.text.clone()).collect();
        check.ok_summary(texts.join(", "));
    }
    Ok(check)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_summary() {
        let s = parse_summary("Hostname      Open calls\n-----\ntotal                7\n").unwrap();
        assert_eq!(s.total, 7);
        assert!(s.hosts.is_empty());
        let s = parse_summary("Hostname    Open calls\n----------------------\nSRE-33-EM1  3\nSRE-33-EM2  4\ntotal       7\n").unwrap();
        assert_eq!(
            s.hosts,
            vec![("SRE-33-EM1".into(), 3), ("SRE-33-EM2".into(), 4)]
        );
        assert!(parse_summary("").unwrap_err().contains("empty"));
        assert!(parse_summary("Hostname  Open calls\n---\nSRE-33-EM1  3\n")
            .unwrap_err()
            .contains("no 'total' row"));
        assert!(parse_summary("Hostname  Open calls\n---\ntotal  x\n")
            .unwrap_err()
            .contains("line 3"));
        assert!(parse_summary("Traceback").unwrap_err().contains("header"));
    }

    #[test]
    fn names() {
        assert_eq!(
            parse_name("cdr-2024-06-20T13:10:00.inprogress"),
            Some(Ok((
                Stamp {
                    year: 2024,
                    month: 6,
                    day: 20,
                    hour: 13,
                    minute: 10,
                    second: 0
                },
                true
            )))
        );
        assert!(matches!(
            parse_name("cdr-2024-06-20T13:05:00"),
            Some(Ok((_, false)))
        ));
        assert!(matches!(
            parse_name("cdr-2024-13-20T13:05:00"),
            Some(Err(_))
        ));
        assert!(matches!(parse_name("cdr-latest"), Some(Err(_))));
        assert_eq!(parse_name("state"), None);
        assert_eq!(parse_name("http"), None);
    }

    fn file(name: &str, begins: i64, mtime: i64) -> CdrFile {
        CdrFile {
            name: name.into(),
            begins,
            in_progress: name.ends_with(".inprogress"),
            mtime,
            size: 1,
        }
    }

    fn options() -> Options {
        Options {
            open_calls: Thresholds::default(),
            age: Thresholds::new("600".parse().ok(), "1800".parse().ok()),
            grace: 60,
        }
    }

    fn state(items: &[Item]) -> State {
        State::worst_of(items.iter().map(Item::effective_state))
    }

    #[test]
    fn the_seed_directory_shape() {
        // 13:00, 13:05 closed, 13:10 in progress, now 13:13:30.
        let t0 = 1_000_000;
        let files = [
            file("cdr-a", t0, t0 + 240),
            file("cdr-b", t0 + 300, t0 + 540),
            file("cdr-c.inprogress", t0 + 600, t0 + 780),
        ];
        let items = judge_files(&files, &[], t0 + 810, &options());
        assert_eq!(state(&items), State::Ok, "{items:?}");
        // Two in progress, none in progress, a growing closed file.
        let two = [
            file("cdr-a.inprogress", t0, t0 + 10),
            file("cdr-b.inprogress", t0 + 300, t0 + 310),
        ];
        let items = judge_files(&two, &[], t0 + 320, &options());
        assert_eq!(state(&items), State::Critical);
        assert!(items[0]
            .text
            .contains("2 files in progress: cdr-a.inprogress, cdr-b.inprogress"));
        let none = [file("cdr-a", t0, t0 + 10)];
        assert_eq!(
            judge_files(&none, &[], t0 + 20, &options())[0].text,
            "no accounting file in progress"
        );
        let growing = [
            file("cdr-a", t0, t0 + 500),
            file("cdr-b.inprogress", t0 + 300, t0 + 500),
        ];
        let items = judge_files(&growing, &[], t0 + 510, &options());
        assert_eq!(state(&items), State::Warning);
        assert!(items[1].children[0]
            .text
            .contains("cdr-a still written 3m 20s after cdr-b.inprogress began"));
        let old = [file("cdr-a.inprogress", t0, t0)];
        let items = judge_files(&old, &["cdr-x: bad".into()], t0 + 2000, &options());
        assert_eq!(state(&items), State::Critical);
    }
}
