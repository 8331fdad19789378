//! check_mysql_connections: the net.Console quick check "Number of mysql
//! connection must be lower than 65 (`mysql -p -e "show processlist"`)".
//!
//! One read of `information_schema.PROCESSLIST` (the same rows as `SHOW FULL
//! PROCESSLIST`), `@@max_connections`, the connection's own id and whether the
//! account holds the PROCESS privilege (without it the server shows only the
//! account's own threads, and a small count would pass for a healthy one).
//!
//! Counted: client connections, that is every thread except the plugin's own
//! connection and the server's background threads (replication, event
//! scheduler: user `system user`/`event_scheduler`, or a command such as
//! `Daemon`, `Binlog Dump`, `Slave_*`). A long query is a counted thread whose
//! command is not `Sleep`, judged on its `Time`.
//!
//! The same evaluation reads a captured `mysql -e 'show full processlist'`
//! output (`--input`): the boxed table of the interactive client, or the
//! tab-separated output of `mysql -B`. There the capturing client's own row
//! (`show [full] processlist`) is the one left out.

use crate::output::{plural, Check, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::status::State;
use crate::threshold::{thresholds_for, NamedRange, Thresholds};
use std::collections::BTreeMap;

/// Statements are shown up to this many characters.
pub const STATEMENT_CHARS: usize = 80;

/// One row of the process list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Thread {
    pub id: u64,
    pub user: String,
    pub host: String,
    pub db: Option<String>,
    pub command: String,
    /// Seconds in the current state; negative values (clock steps) count as 0.
    pub time: i64,
    pub state: Option<String>,
    pub info: Option<String>,
}

/// What the server told, ready to judge.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    pub threads: Vec<Thread>,
    /// The id of the reading connection (left out of the counts).
    pub own_id: Option<u64>,
    pub max_connections: Option<u64>,
    /// Whether the account sees every thread: `None` when not known (captured input).
    pub has_process: Option<bool>,
    /// The account, for the message when it lacks PROCESS.
    pub account: String,
}

/// The judgement's settings.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub total: Thresholds,
    pub share: Thresholds,
    pub query_time: Thresholds,
    pub warning_db: Vec<NamedRange>,
    pub critical_db: Vec<NamedRange>,
}

/// Server threads that are not client connections.
pub fn is_background(thread: &Thread) -> bool {
    let command = thread.command.as_str();
    matches!(thread.user.as_str(), "system user" | "event_scheduler")
        || matches!(
            command,
            "Daemon"
                | "Binlog Dump"
                | "Binlog Dump GTID"
                | "Slave_IO"
                | "Slave_SQL"
                | "Slave_worker"
        )
}

/// The reading client's own row in a captured process list.
fn is_capturing_client(thread: &Thread) -> bool {
    thread.info.as_deref().is_some_and(|info| {
        let words: Vec<String> = info
            .split_whitespace()
            .map(|w| w.trim_end_matches(';').to_ascii_lowercase())
            .collect();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        matches!(
            words.as_slice(),
            ["show", "processlist"] | ["show", "full", "processlist"]
        )
    })
}

/// A statement for one output line: control characters and runs of blanks
/// become one space, at most `max` characters, `…` when cut.
pub fn statement_excerpt(info: &str, max: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    let mut blank = false;
    for c in info.trim().chars() {
        let c = if c.is_control() || c.is_whitespace() {
            ' '
        } else {
            c
        };
        if c == ' ' {
            if blank {
                continue;
            }
            blank = true;
        } else {
            blank = false;
        }
        if count == max {
            out = out.trim_end().to_string();
            out.push('…');
            return out;
        }
        out.push(c);
        count += 1;
    }
    out
}

/// A perfdata label from a name: no `=`, `'` or control characters.
fn label(prefix: &str, name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if c == '=' || c == '\'' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    format!("{prefix}{clean}")
}

/// Text from outside, safe in one line.
fn safe(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `user@host` (as CURRENT_USER() gives it) as SQL writes it: `'user'@'host'`.
fn quoted_account(account: &str) -> String {
    let (user, host) = account.rsplit_once('@').unwrap_or((account, "%"));
    format!(
        "'{}'@'{}'",
        safe(user).replace('\'', "''"),
        safe(host).replace('\'', "''")
    )
}

/// Judges a snapshot.
pub fn evaluate(snapshot: &Snapshot, options: &Options) -> Check {
    if snapshot.has_process == Some(false) {
        return Check::failed(
            State::Unknown,
            format!(
                "{} lacks the PROCESS privilege and sees only its own threads; \
                 the count would be too small (GRANT PROCESS ON *.* TO {})",
                safe(&snapshot.account),
                quoted_account(&snapshot.account)
            ),
        );
    }
    let clients: Vec<&Thread> = snapshot
        .threads
        .iter()
        .filter(|t| Some(t.id) != snapshot.own_id && !is_background(t))
        .filter(|t| snapshot.own_id.is_some() || !is_capturing_client(t))
        .collect();
    let total = clients.len();
    let mut check = Check::new();

    let judged = options.total.judge("connections", total as f64, Uom::None);
    let mut total_text = plural(total, "connection");
    if let Some(max) = snapshot.max_connections {
        total_text.push_str(&format!(" of max_connections {max}"));
    }
    check.perf(judged.perfdata);
    let mut total_item = Item::new(judged.state, total_text);
    let mut summary = plural(total, "connection");

    if let Some(max) = snapshot.max_connections.filter(|m| *m > 0) {
        let share = total as f64 * 100.0 / max as f64;
        let share = (share * 10.0).round() / 10.0;
        let judged = options
            .share
            .judge("max_connections_used", share, Uom::Percent);
        let state = judged.state;
        check.perf(judged.perfdata.min(0.0).max(100.0));
        if state != State::Ok {
            total_item = total_item.child(Item::new(
                state,
                format!("{share}% of max_connections {max} in use"),
            ));
        }
        summary.push_str(&format!(" ({share}% of max_connections {max})"));
    }

    // Per database and per user.
    let mut by_db: BTreeMap<Option<&str>, usize> = BTreeMap::new();
    let mut by_user: BTreeMap<&str, usize> = BTreeMap::new();
    for t in &clients {
        *by_db.entry(t.db.as_deref()).or_default() += 1;
        *by_user.entry(t.user.as_str()).or_default() += 1;
    }
    let mut db_perf = Vec::new();
    let mut db_items = Vec::new();
    let mut thresholded: Vec<&str> = options
        .warning_db
        .iter()
        .chain(&options.critical_db)
        .map(|n| n.name.as_str())
        .collect();
    thresholded.sort();
    thresholded.dedup();
    for name in &thresholded {
        by_db.entry(Some(*name)).or_insert(0);
    }
    for (db, count) in &by_db {
        let thresholds = match db {
            Some(name) => thresholds_for(name, &options.warning_db, &options.critical_db),
            None => Thresholds::default(),
        };
        let name = db.map(safe).unwrap_or_else(|| "(none)".to_string());
        let label = match db {
            Some(n) => label("db:", n),
            None => "db_none".to_string(),
        };
        let judged = thresholds.judge(label, *count as f64, Uom::None);
        total_item = total_item.detail(1, format!("database {name}: {count}"));
        if thresholds != Thresholds::default() {
            db_items.push(judged.item(format!(
                "{} to database {name}",
                plural(*count, "connection")
            )));
        } else {
            db_perf.push(judged.perfdata);
        }
    }
    for (user, count) in &by_user {
        total_item = total_item.detail(2, format!("user {}: {count}", safe(user)));
    }

    // Long-running statements.
    let mut active: Vec<&&Thread> = clients.iter().filter(|t| t.command != "Sleep").collect();
    active.sort_by_key(|t| std::cmp::Reverse(t.time));
    let longest = active.first().map(|t| t.time.max(0)).unwrap_or(0);
    let judged = options
        .query_time
        .judge("longest_query", longest as f64, Uom::Seconds);
    check.perf(judged.perfdata);
    let mut slow = Vec::new();
    for t in &active {
        let state = options.query_time.evaluate(t.time.max(0) as f64);
        if state == State::Ok {
            continue;
        }
        let statement = t
            .info
            .as_deref()
            .map(|i| statement_excerpt(i, STATEMENT_CHARS))
            .unwrap_or_else(|| format!("({})", safe(&t.command)));
        slow.push(Item::new(
            state,
            format!(
                "query {} by {} on {} running {}s: {statement}",
                t.id,
                safe(&t.user),
                t.db.as_deref()
                    .map(safe)
                    .unwrap_or_else(|| "(no database)".into()),
                t.time.max(0)
            ),
        ));
    }
    if !active.is_empty() {
        summary.push_str(&format!(", {} active, longest {}s", active.len(), longest));
    }

    check.item(total_item);
    for item in db_items {
        check.item(item);
    }
    let slow_count = slow.len();
    for item in slow {
        check.item(item);
    }
    for p in db_perf {
        check.perf(p);
    }
    for (user, count) in &by_user {
        check.perf(Perfdata::new(
            label("user:", user),
            *count as f64,
            Uom::None,
        ));
    }
    if slow_count > 0 {
        check.note(format!(
            "{} running longer than the query-time threshold",
            plural(slow_count, "statement")
        ));
    }
    if snapshot.has_process.is_none() {
        check.note(
            "captured input: whether its account could see every thread (PROCESS) is not known",
        );
    }
    check.ok_summary(summary);
    check
}

/// Parses a captured process list: the client's boxed table (`+---+` rules
/// and `|` cells) or tab-separated `mysql -B` output, found by its header row
/// (`Id`, `User`, `Host`, `db`, `Command`, `Time`, `State`, `Info`, in any
/// order; more columns are ignored). Lines before the table ("Enter
/// password:") are skipped. `NULL` is a NULL.
pub fn parse_processlist(text: &str) -> Result<Vec<Thread>, String> {
    let mut lines = text.lines().enumerate().peekable();
    let mut header: Option<(Vec<String>, bool)> = None;
    for (_, line) in lines.by_ref() {
        let trimmed = line.trim();
        let (cells, boxed) = if trimmed.starts_with('|') {
            (split_boxed(trimmed), true)
        } else if trimmed.contains('\t') {
            (
                trimmed.split('\t').map(|c| c.trim().to_string()).collect(),
                false,
            )
        } else {
            continue;
        };
        let lower: Vec<String> = cells.iter().map(|c| c.to_ascii_lowercase()).collect();
        if lower.iter().any(|c| c == "id") && lower.iter().any(|c| c == "command") {
            header = Some((lower, boxed));
            break;
        }
    }
    let (header, boxed) = header.ok_or("no process list header (Id … Command …) found")?;
    let col = |name: &str| header.iter().position(|c| c == name);
    let need = |name: &str| col(name).ok_or(format!("the process list has no '{name}' column"));
    let (id_c, user_c, command_c, time_c) =
        (need("id")?, need("user")?, need("command")?, need("time")?);
    let (host_c, db_c, state_c, info_c) = (col("host"), col("db"), col("state"), col("info"));
    let mut threads = Vec::new();
    for (index, line) in lines {
        let number = index + 1;
        let trimmed = line.trim_end_matches(['\r', '\n']);
        if boxed {
            let t = trimmed.trim();
            if t.starts_with('+') || t.is_empty() {
                continue;
            }
            if !t.starts_with('|') {
                break; // "38 rows in set" and whatever follows the table
            }
        } else if trimmed.trim().is_empty() {
            continue;
        }
        let cells: Vec<String> = if boxed {
            split_boxed(trimmed.trim())
        } else {
            trimmed.split('\t').map(str::to_string).collect()
        };
        if cells.len() < header.len() {
            return Err(format!(
                "line {number}: {} cells where the header has {}",
                cells.len(),
                header.len()
            ));
        }
        let get = |c: Option<usize>| {
            c.and_then(|c| cells.get(c))
                .map(|s| s.trim().to_string())
                .filter(|s| s != "NULL")
        };
        let id = get(Some(id_c))
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or(format!("line {number}: Id is not a number"))?;
        let time = get(Some(time_c))
            .map(|s| {
                s.parse::<i64>()
                    .map_err(|_| format!("line {number}: Time '{s}' is not a number"))
            })
            .transpose()?
            .unwrap_or(0);
        threads.push(Thread {
            id,
            user: get(Some(user_c)).unwrap_or_default(),
            host: get(host_c).unwrap_or_default(),
            db: get(db_c).filter(|s| !s.is_empty()),
            command: get(Some(command_c)).unwrap_or_default(),
            time,
            state: get(state_c).filter(|s| !s.is_empty()),
            info: get(info_c).filter(|s| !s.is_empty()),
        });
    }
    Ok(threads)
}

fn split_boxed(line: &str) -> Vec<String> {
    let inner = line.strip_prefix('|').unwrap_or(line);
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    inner.split('|').map(|c| c.trim().to_string()).collect()
}

/// The statements the plugin sends, in one place.
pub mod sql {
    /// Own id, max_connections, and whether the account holds PROCESS
    /// (directly; `ALL PRIVILEGES` lists PROCESS too).
    pub const SESSION: &str = "SELECT CONNECTION_ID(), @@max_connections, CURRENT_USER(), \
        (SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES \
          WHERE PRIVILEGE_TYPE = 'PROCESS' AND GRANTEE = CONCAT('''', \
            SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', \
            SUBSTRING_INDEX(CURRENT_USER(), '@', -1), ''''))";
    /// The process list, statements cut on the server side.
    pub const PROCESSLIST: &str = "SELECT ID, USER, HOST, DB, COMMAND, TIME, STATE, \
        LEFT(INFO, 1000) FROM information_schema.PROCESSLIST";
}

/// Reads the snapshot from a server.
#[cfg(feature = "mysql")]
pub fn collect(
    target: &crate::checks::mysql::Target,
    deadline: crate::deadline::Deadline,
) -> Result<Snapshot, crate::runner::Failure> {
    use crate::checks::mysql::conn::{self, int, text};
    use crate::runner::Failure;
    let mut session = conn::connect(target, deadline)?;
    let rows = session.query(sql::SESSION, "reading the session")?;
    let row = rows
        .first()
        .filter(|r| r.len() == 4)
        .ok_or_else(|| Failure::unknown("the session query returned no row"))?;
    let own_id = int(&row[0]).and_then(|i| u64::try_from(i).ok());
    let max_connections = int(&row[1]).and_then(|i| u64::try_from(i).ok());
    let account = text(&row[2]).unwrap_or_else(|| target.user.clone());
    let has_process = int(&row[3]).map(|n| n > 0);
    let rows = session.query(sql::PROCESSLIST, "reading the process list")?;
    let mut threads = Vec::with_capacity(rows.len());
    for row in rows {
        if row.len() != 8 {
            return Err(Failure::unknown("the process list has an unexpected shape"));
        }
        threads.push(Thread {
            id: int(&row[0])
                .and_then(|i| u64::try_from(i).ok())
                .ok_or_else(|| Failure::unknown("a process list ID is not a number"))?,
            user: text(&row[1]).unwrap_or_default(),
            host: text(&row[2]).unwrap_or_default(),
            db: text(&row[3]).filter(|s| !s.is_empty()),
            command: text(&row[4]).unwrap_or_default(),
            time: int(&row[5]).unwrap_or(0),
            state: text(&row[6]).filter(|s| !s.is_empty()),
            info: text(&row[7]).filter(|s| !s.is_empty()),
        });
    }
    session.close();
    Ok(Snapshot {
        threads,
        own_id,
        max_connections,
        has_process: Some(has_process.unwrap_or(false)),
        account,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = include_str!("../../examples/mysql-connections/seed-sop1.txt");

    fn t(
        id: u64,
        user: &str,
        db: Option<&str>,
        command: &str,
        time: i64,
        info: Option<&str>,
    ) -> Thread {
        Thread {
            id,
            user: user.into(),
            host: "localhost".into(),
            db: db.map(str::to_string),
            command: command.into(),
            time,
            state: None,
            info: info.map(str::to_string),
        }
    }

    fn opts() -> Options {
        Options {
            total: Thresholds::new(None, Some("64".parse().unwrap())),
            ..Options::default()
        }
    }

    #[test]
    fn the_seed_table_parses() {
        let threads = parse_processlist(SEED).unwrap();
        assert_eq!(threads.len(), 38);
        assert_eq!(threads[0], t(1, "root", Some("cdrdb"), "Sleep", 0, None));
        assert_eq!(threads[5].host, "localhost.localdomain:41623");
        assert_eq!(threads[5].time, 3130);
        let check = evaluate(
            &Snapshot {
                threads,
                ..Snapshot::default()
            },
            &opts(),
        );
        assert_eq!(check.state(), State::Ok);
        let text = check.render_text("MYSQL_CONNECTIONS", 0);
        assert!(
            text.starts_with("MYSQL_CONNECTIONS OK - 38 connections |"),
            "{text}"
        );
        assert!(text.contains("connections=38;;64 "), "{text}");
        assert!(
            text.contains("longest_query=0s db:cdrdb=7 db:sop=31 user:root=38"),
            "{text}"
        );
    }

    #[test]
    fn tab_separated_output_and_the_capturing_client() {
        let text = "Id\tUser\tHost\tdb\tCommand\tTime\tState\tInfo\tProgress\n\
                    5\tsystem user\t\tNULL\tDaemon\t0\tInnoDB purge\tNULL\t0.000\n\
                    7\tmon\tlocalhost\tNULL\tQuery\t0\tstarting\tshow full processlist\t0.000\n\
                    9\tapp\tlocalhost:1234\tsop\tQuery\t75\tUser sleep\tSELECT SLEEP(100)\t0.000\n";
        let threads = parse_processlist(text).unwrap();
        assert_eq!(threads.len(), 3);
        assert_eq!(threads[0].db, None);
        let mut o = opts();
        o.query_time = Thresholds::new(Some("30".parse().unwrap()), Some("60".parse().unwrap()));
        let check = evaluate(
            &Snapshot {
                threads,
                ..Snapshot::default()
            },
            &o,
        );
        assert_eq!(check.state(), State::Critical);
        let text = check.render_text("M", 0);
        assert!(
            text.starts_with("M CRITICAL - query 9 by app on sop running 75s: SELECT SLEEP(100) |"),
            "{text}"
        );
        assert!(text.contains("connections=1;;64"), "{text}");
        assert!(text.contains("longest_query=75s;30;60"), "{text}");
    }

    #[test]
    fn counts_exclude_own_and_background_and_judge_per_database() {
        let mut threads: Vec<Thread> = (1..=70)
            .map(|i| {
                t(
                    i,
                    "app",
                    Some(if i % 2 == 0 { "sop" } else { "cdrdb" }),
                    "Sleep",
                    5,
                    None,
                )
            })
            .collect();
        threads.push(t(100, "system user", None, "Slave_SQL", 9999, None));
        threads.push(t(101, "mon", None, "Query", 0, Some("SELECT ...")));
        let snapshot = Snapshot {
            threads,
            own_id: Some(101),
            max_connections: Some(100),
            has_process: Some(true),
            account: "mon@%".into(),
        };
        let mut o = opts();
        o.warning_db = vec!["sop=30".parse().unwrap()];
        let check = evaluate(&snapshot, &o);
        assert_eq!(check.state(), State::Critical);
        let text = check.render_text("M", 0);
        assert!(
            text.starts_with("M CRITICAL - 70 connections of max_connections 100 |"),
            "{text}"
        );
        assert!(text.contains("max_connections_used=70%;;;0;100"), "{text}");
        assert!(
            text.contains("[WARNING] 35 connections to database sop"),
            "{text}"
        );
        assert!(
            text.contains("'db:sop'=35;30") || text.contains("db:sop=35;30"),
            "{text}"
        );
        // 64 is still OK: "must be lower than 65".
        let mut s = snapshot.clone();
        s.threads.retain(|t| t.id <= 64 || t.id > 99);
        let check = evaluate(&s, &opts());
        assert_eq!(check.state(), State::Ok, "{}", check.render_text("M", 0));
    }

    #[test]
    fn without_process_it_is_unknown() {
        let check = evaluate(
            &Snapshot {
                threads: vec![t(3, "mon", None, "Query", 0, None)],
                own_id: Some(3),
                max_connections: Some(151),
                has_process: Some(false),
                account: "mon@localhost".into(),
            },
            &opts(),
        );
        assert_eq!(check.state(), State::Unknown);
        assert!(check.summary().contains("PROCESS"), "{}", check.summary());
    }

    #[test]
    fn excerpts_are_one_line_and_cut() {
        assert_eq!(statement_excerpt("SELECT\n\t1,\x07  2", 80), "SELECT 1, 2");
        let long = "x".repeat(100);
        let e = statement_excerpt(&long, 80);
        assert_eq!(e.chars().count(), 81);
        assert!(e.ends_with('…'));
        assert_eq!(
            statement_excerpt("é".repeat(90).as_str(), 80)
                .chars()
                .count(),
            81
        );
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(parse_processlist("").is_err());
        assert!(parse_processlist("ERROR 1045 (28000): Access denied").is_err());
        assert!(parse_processlist("Id\tUser\tCommand\tTime\nx\tu\tSleep\t1\n").is_err());
        assert!(parse_processlist("Id\tUser\tCommand\tTime\n1\tu\tSleep\tsoon\n").is_err());
        assert!(parse_processlist("Id\tUser\tCommand\tTime\n1\tu\n").is_err());
    }
}
