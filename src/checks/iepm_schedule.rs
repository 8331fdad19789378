//! check_iepm_schedule: the IEPM-BW schedule kept in MySQL (seed 003).
//!
//! Three questions, one item each:
//! - probes in `TOOLSPECS` whose `lastrunepoch + runinterval` lies more than
//!   the grace period in the past (`load-scheduled` adds a run to `SCHEDULE`
//!   when that sum is reached, the probe daemons run it and update
//!   `lastrunepoch`: a probe overdue means one of them stopped);
//! - the `SCHEDULE` backlog: entries waiting, and the oldest one's age;
//! - result files `scheduleid.probetype` in the data directory that
//!   `load-datad` has not loaded yet: count and oldest age (a `load-datad`
//!   that stopped loading shows as files piling up).
//!
//! The seed names the tables and the `lastrunepoch`/`runinterval` columns but
//! gives no full schema; the other names are assumptions, kept together in
//! [`schema`] (see the README). A missing table or column is UNKNOWN with its
//! name. Database times are compared with the server's own clock
//! (`UNIX_TIMESTAMP()`), file ages with this host's.

use crate::output::{plural, Check, Item};
use crate::perfdata::Uom;
use crate::status::State;
use crate::threshold::Thresholds;

/// Every table and column name the plugin uses, in one place.
pub mod schema {
    /// Probe specifications: one row per probe per target host.
    pub const TOOLSPECS: &str = "TOOLSPECS";
    /// Assumed: the target node of the probe (NODES.nodeID).
    pub const TOOLSPECS_NODE: &str = "nodeID";
    /// Assumed: the probe type ("iperf", "ping", "traceroute"…).
    pub const TOOLSPECS_TOOL: &str = "tool";
    /// From the seed: epoch seconds of the last run.
    pub const TOOLSPECS_LASTRUN: &str = "lastrunepoch";
    /// From the seed: seconds between runs.
    pub const TOOLSPECS_INTERVAL: &str = "runinterval";

    /// Target and monitoring host nodes.
    pub const NODES: &str = "NODES";
    /// From the seed: the unique index.
    pub const NODES_ID: &str = "nodeID";
    /// Assumed: the node's name.
    pub const NODES_NAME: &str = "nodename";

    /// One row per scheduled probe run, removed when a daemon takes it (assumed).
    pub const SCHEDULE: &str = "SCHEDULE";
    /// From the seed: the unique index (also the data file's name).
    pub const SCHEDULE_ID: &str = "scheduleID";
    /// Assumed: epoch seconds when load-scheduled added the entry.
    pub const SCHEDULE_EPOCH: &str = "scheduledepoch";

    /// The columns the plugin reads, by table.
    pub const REQUIRED: &[(&str, &[&str])] = &[
        (
            TOOLSPECS,
            &[
                TOOLSPECS_NODE,
                TOOLSPECS_TOOL,
                TOOLSPECS_LASTRUN,
                TOOLSPECS_INTERVAL,
            ],
        ),
        (NODES, &[NODES_ID, NODES_NAME]),
        (SCHEDULE, &[SCHEDULE_ID, SCHEDULE_EPOCH]),
    ];
}

/// The statements, built from [`schema`].
pub mod sql {
    use super::schema::*;

    /// Tables and columns of the current database that the plugin needs.
    pub fn columns() -> String {
        let tables: Vec<String> = REQUIRED.iter().map(|(t, _)| format!("'{t}'")).collect();
        format!(
            "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ({})",
            tables.join(", ")
        )
    }

    /// Every probe with its node's name, and the server's clock.
    pub fn probes() -> String {
        format!(
            "SELECT n.{NODES_NAME}, t.{TOOLSPECS_NODE}, t.{TOOLSPECS_TOOL}, \
             t.{TOOLSPECS_LASTRUN}, t.{TOOLSPECS_INTERVAL}, UNIX_TIMESTAMP() \
             FROM {TOOLSPECS} t LEFT JOIN {NODES} n ON n.{NODES_ID} = t.{TOOLSPECS_NODE}"
        )
    }

    /// The backlog: entries, the oldest entry's epoch, the server's clock.
    pub fn backlog() -> String {
        format!("SELECT COUNT(*), MIN({SCHEDULE_EPOCH}), UNIX_TIMESTAMP() FROM {SCHEDULE}")
    }
}

/// The names `found` lacks (`(table, column)` pairs from information_schema):
/// "table SCHEDULE", "column TOOLSPECS.runinterval". Column names compare
/// without regard to case (as MySQL does), table names exactly (as on Linux).
pub fn missing_schema(found: &[(String, String)]) -> Vec<String> {
    let mut missing = Vec::new();
    for (table, columns) in schema::REQUIRED {
        let of_table: Vec<&String> = found
            .iter()
            .filter(|(t, _)| t == table)
            .map(|(_, c)| c)
            .collect();
        if of_table.is_empty() {
            missing.push(format!("table {table}"));
            continue;
        }
        for column in *columns {
            if !of_table.iter().any(|c| c.eq_ignore_ascii_case(column)) {
                missing.push(format!("column {table}.{column}"));
            }
        }
    }
    missing
}

/// One row of `TOOLSPECS`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Probe {
    pub node: Option<String>,
    pub node_id: Option<String>,
    pub tool: String,
    pub lastrun: Option<i64>,
    pub interval: Option<i64>,
}

impl Probe {
    fn name(&self) -> String {
        let node = self
            .node
            .clone()
            .or_else(|| self.node_id.as_ref().map(|id| format!("node {id}")))
            .unwrap_or_else(|| "(no node)".to_string());
        safe(&format!("{node} {}", self.tool))
    }
}

/// How late a probe is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lateness {
    /// Due in the future, or late by no more than the grace period.
    OnTime,
    /// Late by this many seconds beyond when it was due.
    Overdue(i64),
    /// No run recorded (NULL or 0).
    NeverRan,
    /// Values that cannot be a schedule (negative interval, overflow).
    Invalid(String),
}

/// Judges one probe at server time `now`.
pub fn lateness(probe: &Probe, now: i64, grace: i64) -> Lateness {
    let lastrun = match probe.lastrun {
        None | Some(0) => return Lateness::NeverRan,
        Some(l) => l,
    };
    let interval = match probe.interval {
        None => return Lateness::Invalid("runinterval is NULL".into()),
        Some(i) if i < 0 => return Lateness::Invalid(format!("runinterval {i} is negative")),
        Some(i) => i,
    };
    let Some(due) = lastrun.checked_add(interval) else {
        return Lateness::Invalid(format!(
            "lastrunepoch {lastrun} + runinterval {interval} overflows"
        ));
    };
    let Some(late) = now.checked_sub(due) else {
        return Lateness::Invalid(format!("lastrunepoch {lastrun} is out of range"));
    };
    if late > grace {
        Lateness::Overdue(late)
    } else {
        Lateness::OnTime
    }
}

/// What the database said.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Database {
    /// The server's clock (epoch seconds).
    pub now: i64,
    pub probes: Vec<Probe>,
    pub backlog: u64,
    /// The oldest waiting entry's epoch.
    pub oldest_entry: Option<i64>,
}

/// The data directory: result files by age (seconds, this host's clock), and what else lies there.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DataFiles {
    /// `(name, age in seconds)` of each result file.
    pub files: Vec<(String, f64)>,
    /// Entries that are not result files (ignored).
    pub others: usize,
}

/// `scheduleid.probetype` → `(scheduleid, probetype)`; anything else `None`.
pub fn parse_data_file_name(name: &str) -> Option<(u64, &str)> {
    let (id, kind) = name.split_once('.')?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) || kind.is_empty() {
        return None;
    }
    if !kind
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    Some((id.parse().ok()?, kind))
}

/// The judgement's settings.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub grace: i64,
    pub overdue: Thresholds,
    pub backlog: Thresholds,
    pub backlog_age: Thresholds,
    pub files: Thresholds,
    pub file_age: Thresholds,
    /// Overdue probes named on the item (the rest at -v).
    pub show: usize,
}

fn safe(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The summary when all is well: "3 probes on time, 1 SCHEDULE entry, 1 result file waiting".
pub fn ok_summary(db: &Database, files: Option<&DataFiles>) -> String {
    let entries = if db.backlog == 1 {
        "1 SCHEDULE entry".to_string()
    } else {
        format!("{} SCHEDULE entries", db.backlog)
    };
    let mut text = format!("{} on time, {entries}", plural(db.probes.len(), "probe"));
    if let Some(files) = files {
        text.push_str(&format!(", {}", plural(files.files.len(), "result file")));
    }
    text + " waiting"
}

/// Judges the probes and the backlog.
pub fn evaluate_database(db: &Database, options: &Options, check: &mut Check) {
    let mut overdue: Vec<(Option<i64>, &Probe)> = Vec::new();
    let mut invalid = Vec::new();
    for probe in &db.probes {
        match lateness(probe, db.now, options.grace) {
            Lateness::OnTime => {}
            Lateness::Overdue(late) => overdue.push((Some(late), probe)),
            Lateness::NeverRan => overdue.push((None, probe)),
            Lateness::Invalid(why) => invalid.push(format!("{}: {why}", probe.name())),
        }
    }
    // Never-run first, then the latest.
    overdue.sort_by_key(|(late, p)| (std::cmp::Reverse(late.unwrap_or(i64::MAX)), p.name()));
    let judged = options
        .overdue
        .judge("overdue_probes", overdue.len() as f64, Uom::None);
    let mut item = judged.item(format!(
        "{} of {} overdue by more than {}",
        plural(overdue.len(), "probe"),
        db.probes.len(),
        crate::duration::human(options.grace as f64)
    ));
    for (shown, (late, probe)) in overdue.iter().enumerate() {
        let text = match late {
            Some(late) => format!(
                "{} overdue by {}",
                probe.name(),
                crate::duration::human(*late as f64)
            ),
            None => format!("{} never ran (lastrunepoch not set)", probe.name()),
        };
        if shown < options.show {
            item = item.detail(0, text);
        } else {
            item = item.detail(1, text);
        }
    }
    check.item(item);
    for text in invalid {
        check.item(Item::new(State::Unknown, format!("TOOLSPECS {text}")));
    }
    if db.probes.is_empty() {
        check.note("TOOLSPECS has no probes");
    }

    let judged = options
        .backlog
        .judge("schedule_backlog", db.backlog as f64, Uom::None);
    let entries = if db.backlog == 1 {
        "1 entry".to_string()
    } else {
        format!("{} entries", db.backlog)
    };
    let mut item = judged.item(format!("{entries} waiting in SCHEDULE"));
    let age = match db.oldest_entry {
        Some(epoch) => match db.now.checked_sub(epoch) {
            Some(age) => Some(age.max(0)),
            None => {
                check.item(Item::new(
                    State::Unknown,
                    format!(
                        "SCHEDULE: {} {epoch} is out of range",
                        schema::SCHEDULE_EPOCH
                    ),
                ));
                None
            }
        },
        None => None,
    };
    let age_judged =
        options
            .backlog_age
            .judge("schedule_oldest", age.unwrap_or(0) as f64, Uom::Seconds);
    if let Some(age) = age {
        item.text
            .push_str(&format!(", oldest {}", crate::duration::human(age as f64)));
        if age_judged.state != State::Ok {
            item = item.child(Item::new(
                age_judged.state,
                format!(
                    "oldest SCHEDULE entry waits for {}",
                    crate::duration::human(age as f64)
                ),
            ));
        }
    }
    check.item(item.perf(age_judged.perfdata));
}

/// Judges the data directory (or says why it could not be read).
pub fn evaluate_files(
    dir: &str,
    files: Result<&DataFiles, &str>,
    options: &Options,
    check: &mut Check,
) {
    let files = match files {
        Ok(f) => f,
        Err(why) => {
            check.item(Item::new(
                State::Unknown,
                format!("data directory {}: {}", safe(dir), safe(why)),
            ));
            return;
        }
    };
    let count = files.files.len();
    let judged = options.files.judge("data_files", count as f64, Uom::None);
    let mut item = judged.item(format!(
        "{} waiting to be loaded in {}",
        plural(count, "result file"),
        safe(dir)
    ));
    let oldest = files
        .files
        .iter()
        .map(|(_, age)| *age)
        .fold(None, |acc: Option<f64>, a| {
            Some(acc.map_or(a, |b| b.max(a)))
        });
    let age_judged = options.file_age.judge(
        "data_file_oldest",
        oldest.unwrap_or(0.0).round(),
        Uom::Seconds,
    );
    if let Some(age) = oldest {
        item.text
            .push_str(&format!(", oldest {}", crate::duration::human(age)));
        if age_judged.state != State::Ok {
            let name = files
                .files
                .iter()
                .find(|(_, a)| *a == age)
                .map(|(n, _)| safe(n))
                .unwrap_or_default();
            item = item.child(Item::new(
                age_judged.state,
                format!(
                    "{name} not loaded for {} (is load-datad running?)",
                    crate::duration::human(age)
                ),
            ));
        }
    }
    if files.others > 0 {
        item = item.detail(1, format!("{} other entries ignored", files.others));
    }
    check.item(item.perf(age_judged.perfdata));
}

/// Lists the data directory: result files and their ages at `now`.
pub fn read_data_dir(
    dir: &std::path::Path,
    now: std::time::SystemTime,
) -> Result<DataFiles, String> {
    let mut out = DataFiles::default();
    let entries = std::fs::read_dir(dir).map_err(|e| e.to_string())?;
    for entry in entries {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            out.others += 1;
            continue;
        };
        let is_file = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
        if !is_file || parse_data_file_name(name).is_none() {
            out.others += 1;
            continue;
        }
        let Ok(mtime) = entry.metadata().and_then(|m| m.modified()) else {
            continue; // loaded and removed while we looked
        };
        // A file from the future (clock step) counts as new.
        let age = now
            .duration_since(mtime)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        out.files.push((name.to_string(), age));
    }
    out.files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Reads the database.
#[cfg(feature = "mysql")]
pub fn collect(
    target: &crate::checks::mysql::Target,
    deadline: crate::deadline::Deadline,
) -> Result<Database, crate::runner::Failure> {
    use crate::checks::mysql::conn::{self, int, text};
    use crate::runner::Failure;
    let mut session = conn::connect(target, deadline)?;
    let rows = session.query(&sql::columns(), "reading the schema")?;
    let found: Vec<(String, String)> = rows
        .iter()
        .filter(|r| r.len() == 2)
        .filter_map(|r| Some((text(&r[0])?, text(&r[1])?)))
        .collect();
    let missing = missing_schema(&found);
    if !missing.is_empty() {
        let db = target.database.as_deref().unwrap_or("(default)");
        return Err(Failure::unknown(format!(
            "database {db} is not an IEPM schedule as this plugin reads it: {} missing",
            missing.join(", ")
        )));
    }
    let rows = session.query(&sql::probes(), "reading TOOLSPECS")?;
    let mut db = Database::default();
    for row in &rows {
        if row.len() != 6 {
            return Err(Failure::unknown("TOOLSPECS: unexpected result shape"));
        }
        db.now =
            int(&row[5]).ok_or_else(|| Failure::unknown("the server's clock is unreadable"))?;
        db.probes.push(Probe {
            node: text(&row[0]),
            node_id: text(&row[1]),
            tool: text(&row[2]).unwrap_or_default(),
            lastrun: int(&row[3]),
            interval: int(&row[4]),
        });
    }
    let rows = session.query(&sql::backlog(), "reading SCHEDULE")?;
    let row = rows
        .first()
        .filter(|r| r.len() == 3)
        .ok_or_else(|| Failure::unknown("SCHEDULE: unexpected result shape"))?;
    db.backlog = int(&row[0])
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(0);
    db.oldest_entry = int(&row[1]);
    db.now = int(&row[2]).ok_or_else(|| Failure::unknown("the server's clock is unreadable"))?;
    session.close();
    Ok(db)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(node: &str, tool: &str, lastrun: Option<i64>, interval: Option<i64>) -> Probe {
        Probe {
            node: Some(node.into()),
            node_id: Some("1".into()),
            tool: tool.into(),
            lastrun,
            interval,
        }
    }

    fn options() -> Options {
        Options {
            grace: 600,
            overdue: Thresholds::new(Some("0".parse().unwrap()), Some("5".parse().unwrap())),
            backlog_age: Thresholds::new(
                Some("1800".parse().unwrap()),
                Some("3600".parse().unwrap()),
            ),
            file_age: Thresholds::new(Some("1800".parse().unwrap()), Some("3600".parse().unwrap())),
            show: 3,
            ..Options::default()
        }
    }

    #[test]
    fn lateness_with_checked_arithmetic() {
        let now = 1_000_000;
        assert_eq!(
            lateness(&probe("a", "ping", Some(now - 100), Some(300)), now, 600),
            Lateness::OnTime
        );
        assert_eq!(
            lateness(&probe("a", "ping", Some(now - 800), Some(300)), now, 600),
            Lateness::OnTime
        );
        assert_eq!(
            lateness(&probe("a", "ping", Some(now - 1000), Some(300)), now, 60),
            Lateness::Overdue(700)
        );
        assert_eq!(
            lateness(&probe("a", "ping", Some(0), Some(300)), now, 60),
            Lateness::NeverRan
        );
        assert_eq!(
            lateness(&probe("a", "ping", None, Some(300)), now, 60),
            Lateness::NeverRan
        );
        assert!(matches!(
            lateness(&probe("a", "p", Some(i64::MAX), Some(1)), now, 60),
            Lateness::Invalid(_)
        ));
        assert!(matches!(
            lateness(&probe("a", "p", Some(5), Some(-1)), now, 60),
            Lateness::Invalid(_)
        ));
        assert!(matches!(
            lateness(&probe("a", "p", Some(-5), Some(i64::MAX)), i64::MIN, 60),
            Lateness::Invalid(_)
        ));
    }

    #[test]
    fn overdue_probes_are_named_worst_first() {
        let now = 2_000_000;
        let db = Database {
            now,
            probes: vec![
                probe(
                    "node1.slac.stanford.edu",
                    "iperf",
                    Some(now - 3600),
                    Some(1800),
                ),
                probe("node2.cern.ch", "ping", Some(now - 100_000), Some(600)),
                probe("node3.fnal.gov", "traceroute", Some(now - 60), Some(600)),
            ],
            backlog: 4,
            oldest_entry: Some(now - 4000),
        };
        let mut check = Check::new();
        evaluate_database(&db, &options(), &mut check);
        assert_eq!(check.state(), State::Critical);
        let text = check.render_text("IEPM_SCHEDULE", 0);
        assert!(
            text.contains("[WARNING] 2 probes of 3 overdue by more than 10m"),
            "{text}"
        );
        let a = text
            .find("node2.cern.ch ping overdue by 1d 3h")
            .expect(&text);
        let b = text
            .find("node1.slac.stanford.edu iperf overdue by 30m")
            .expect(&text);
        assert!(a < b, "{text}");
        assert!(
            text.contains("[CRITICAL] 4 entries waiting in SCHEDULE, oldest 1h 6m"),
            "{text}"
        );
        assert!(
            text.contains(
                "overdue_probes=2;0;5 schedule_backlog=4 schedule_oldest=4000s;1800;3600"
            ),
            "{text}"
        );
    }

    #[test]
    fn schema_names_what_is_missing() {
        let mut found: Vec<(String, String)> = schema::REQUIRED
            .iter()
            .flat_map(|(t, cs)| cs.iter().map(move |c| (t.to_string(), c.to_uppercase())))
            .collect();
        assert!(missing_schema(&found).is_empty());
        found.retain(|(t, c)| t != "SCHEDULE" && c != "RUNINTERVAL");
        assert_eq!(
            missing_schema(&found),
            vec![
                "column TOOLSPECS.runinterval".to_string(),
                "table SCHEDULE".to_string()
            ]
        );
        assert!(sql::probes().contains("t.lastrunepoch"));
    }

    #[test]
    fn data_file_names() {
        assert_eq!(parse_data_file_name("12345.iperf"), Some((12345, "iperf")));
        assert_eq!(parse_data_file_name("7.ping-v6"), Some((7, "ping-v6")));
        for bad in [
            "iperf",
            ".iperf",
            "12.",
            "x1.ping",
            "1.a.b",
            "1.a b",
            "99999999999999999999999.x",
        ] {
            assert_eq!(parse_data_file_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn files_piling_up() {
        let files = DataFiles {
            files: vec![("10.ping".into(), 4000.0), ("11.iperf".into(), 20.0)],
            others: 1,
        };
        let mut check = Check::new();
        evaluate_files("/home/iepm/mysql/data", Ok(&files), &options(), &mut check);
        assert_eq!(check.state(), State::Critical);
        let text = check.render_text("I", 1);
        assert!(text.contains("10.ping not loaded for 1h 6m"), "{text}");
        assert!(
            text.contains("data_files=2 data_file_oldest=4000s;1800;3600"),
            "{text}"
        );
        let mut check = Check::new();
        evaluate_files(
            "/x",
            Err("No such file or directory (os error 2)"),
            &options(),
            &mut check,
        );
        assert_eq!(check.state(), State::Unknown);
    }
}
