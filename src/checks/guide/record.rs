//! The result of a guide run: what `--save` writes and `--compare` reads back.

use crate::status::State;
use serde::{Deserialize, Serialize};

/// The `format` of a saved run; a later version may add fields, never rename them.
pub const FORMAT: &str = "opscheck-guide-run/1";

/// How an entry ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// It ran and printed a plugin result.
    Ran,
    /// It was killed at its time limit.
    TimedOut,
    /// It died of a signal or exited outside 0..=3.
    Crashed,
    /// Its command was not found.
    Missing,
    /// Not run: a `requires` flag not given, or missing with `--skip-missing`.
    Skipped,
    /// Not started: the guide's own time was up.
    NotStarted,
    /// It could not be run (an unset placeholder, a spawn failure, ssh unreachable).
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ran => "ran",
            Status::TimedOut => "timed out",
            Status::Crashed => "crashed",
            Status::Missing => "not available",
            Status::Skipped => "skipped",
            Status::NotStarted => "not started",
            Status::Error => "error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryResult {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub source: String,
    /// The command as the guide gives it, placeholders filled (before `-t` and `via`).
    pub command: Vec<String>,
    pub status: Status,
    /// `None` for a skipped entry.
    pub state: Option<State>,
    pub duration_s: f64,
    pub first_line: String,
    #[serde(default)]
    pub long_output: Vec<String>,
    /// Valid perfdata as the child printed it (labels without the id prefix).
    #[serde(default)]
    pub perfdata: Vec<String>,
    #[serde(default)]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub format: String,
    pub guide: String,
    pub guide_file: String,
    pub title: String,
    pub host: Option<String>,
    /// RFC 3339, UTC.
    pub started: String,
    pub duration_s: f64,
    pub jobs: usize,
    pub state: State,
    pub summary: String,
    pub entries: Vec<EntryResult>,
}

impl RunRecord {
    /// The entries that ran (or should have): not the skipped ones.
    pub fn judged(&self) -> impl Iterator<Item = &EntryResult> {
        self.entries.iter().filter(|e| e.state.is_some())
    }
}

/// "12 OK, 1 WARNING, 1 CRITICAL" in the order OK, WARNING, CRITICAL, UNKNOWN.
pub fn counts(entries: &[EntryResult]) -> String {
    let mut parts = Vec::new();
    for state in [State::Ok, State::Warning, State::Critical, State::Unknown] {
        let n = entries.iter().filter(|e| e.state == Some(state)).count();
        if n > 0 {
            parts.push(format!("{n} {state}"));
        }
    }
    if parts.is_empty() {
        "nothing ran".to_string()
    } else {
        parts.join(", ")
    }
}

/// The state of the run (worst entry) and its summary line: the counts, then
/// the worst entries' titles ("12 OK, 1 CRITICAL: Global status").
pub fn summarize(entries: &[EntryResult]) -> (State, String) {
    let state = State::worst_of(entries.iter().filter_map(|e| e.state));
    let mut summary = counts(entries);
    if state != State::Ok {
        let worst: Vec<&str> = entries
            .iter()
            .filter(|e| e.state == Some(state))
            .map(|e| e.title.as_str())
            .collect();
        // Line one stays near 80 characters before the perfdata (CONTRACT.md).
        let budget = 78usize.saturating_sub(summary.len()).max(20);
        summary.push_str(": ");
        summary.push_str(&shorten_list(&worst, budget));
    }
    (state, summary)
}

/// "a, b and 3 more" within about `budget` characters.
pub fn shorten_list(items: &[&str], budget: usize) -> String {
    let mut out = String::new();
    for (shown, item) in items.iter().enumerate() {
        if !out.is_empty() && out.len() + item.len() + 2 > budget {
            out.push_str(&format!(" and {} more", items.len() - shown));
            break;
        }
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(item);
    }
    out
}

/// RFC 3339 UTC of a Unix time, e.g. `2026-12-01T19:20:00Z`.
pub fn rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Now as RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    rfc3339(unix)
}

/// Reads a saved run (`--compare BEFORE.json`).
pub fn parse_record(text: &str) -> Result<RunRecord, String> {
    let record: RunRecord =
        serde_json::from_str(text).map_err(|e| format!("not a saved guide run: {e}"))?;
    if record.format != FORMAT {
        return Err(format!(
            "saved in format '{}', this version reads '{FORMAT}'",
            record.format
        ));
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_718_879_940), "2024-06-20T10:39:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn summaries_count_and_name_the_worst() {
        let entry = |id: &str, state: Option<State>| EntryResult {
            id: id.into(),
            title: format!("T {id}"),
            source: String::new(),
            command: vec!["x".into()],
            status: Status::Ran,
            state,
            duration_s: 0.0,
            first_line: String::new(),
            long_output: vec![],
            perfdata: vec![],
            notes: vec![],
        };
        let entries = vec![
            entry("a", Some(State::Ok)),
            entry("b", Some(State::Critical)),
            entry("c", Some(State::Warning)),
            entry("d", None),
            entry("e", Some(State::Critical)),
        ];
        let (state, summary) = summarize(&entries);
        assert_eq!(state, State::Critical);
        assert_eq!(summary, "1 OK, 1 WARNING, 2 CRITICAL: T b, T e");
        assert_eq!(summarize(&entries[..1]).1, "1 OK");
        assert_eq!(
            shorten_list(&["aaaa", "bbbb", "cccc"], 8),
            "aaaa and 2 more"
        );
    }
}
