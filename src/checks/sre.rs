//! What the Netaxis SRE plugins share: the text tables `sre-admin` prints, the
//! EM / CP roles of the servers, the supervisord process states of the
//! process matrix, and the runner of a peer command (ssh to the other EM).
//!
//! `sre-admin` prints sections: a title line, a header line whose labels are
//! separated by two or more spaces, a line of dashes, then rows whose cells
//! start under their header's label. Cells can be empty and can hold spaces
//! (`RUNNING (pid 18463, uptime 14 days, 22:55:35)`, `idle in transaction`),
//! so rows are cut at the header's column positions, never at whitespace alone.

use crate::exec::{self, CommandOutput, ExecOptions};
use crate::runner::Failure;

/// One section of `sre-admin` output: its title, header labels and rows of cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub title: String,
    /// The header's labels, e.g. `["Client", "Address", "State", …]`.
    pub headers: Vec<String>,
    /// One entry per row: the 1-based line number and the cells, as many as headers.
    pub rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    /// The index of the first header equal to `name` (case-insensitive), or starting with it.
    pub fn column(&self, name: &str) -> Option<usize> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .position(|h| h.to_ascii_lowercase() == name)
            .or_else(|| {
                self.headers
                    .iter()
                    .position(|h| h.to_ascii_lowercase().starts_with(&name))
            })
    }
}

/// Tabs expanded to 8-column stops, so positions are those a terminal shows.
fn expand_tabs(line: &str) -> Vec<char> {
    let mut out = Vec::with_capacity(line.len());
    for c in line.chars() {
        if c == '\t' {
            let n = 8 - out.len() % 8;
            out.extend(std::iter::repeat_n(' ', n));
        } else {
            out.push(c);
        }
    }
    out
}

/// The start column of each label of a header line (labels are separated by
/// two or more spaces: one space belongs to a label, `WAL sent`).
pub fn header_columns(line: &str) -> Vec<(usize, String)> {
    let chars = expand_tabs(line);
    let mut columns = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == ' ' {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i;
        while i < chars.len() {
            if chars[i] != ' ' {
                end = i + 1;
                i += 1;
            } else if i + 1 < chars.len() && chars[i + 1] != ' ' {
                i += 1; // a single space inside a label
            } else {
                break;
            }
        }
        columns.push((start, chars[start..end].iter().collect()));
    }
    columns
}

/// Cuts `line` into cells at the column `starts` (the first is ignored: the
/// first cell begins at the line's start). A cell wider than its column
/// (its text runs on across the next column's start) keeps its text: the cut
/// moves right to the next space. Cells are trimmed; missing ones are empty.
pub fn split_row(line: &str, starts: &[usize]) -> Vec<String> {
    let chars = expand_tabs(line);
    let mut bounds = Vec::with_capacity(starts.len() + 1);
    bounds.push(0);
    for &start in starts.iter().skip(1) {
        let previous = *bounds.last().unwrap_or(&0);
        let mut b = start.max(previous).min(chars.len());
        while b > 0 && b < chars.len() && chars[b - 1] != ' ' && chars[b] != ' ' {
            b += 1;
        }
        bounds.push(b);
    }
    bounds.push(chars.len().max(*bounds.last().unwrap_or(&0)));
    bounds
        .windows(2)
        .map(|w| {
            chars[w[0]..w[1].max(w[0])]
                .iter()
                .collect::<String>()
                .trim()
                .to_string()
        })
        .collect()
}

fn is_rule(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && t.chars().all(|c| c == '-' || c == ' ' || c == '+')
}

/// The start columns of the dash groups of a rule line (`-----  ----`).
fn rule_columns(line: &str) -> Vec<usize> {
    let chars = expand_tabs(line);
    (0..chars.len())
        .filter(|&i| chars[i] == '-' && (i == 0 || chars[i - 1] == ' '))
        .collect()
}

/// Finds the sections whose titles are in `titles` (matched on the whole
/// trimmed line, case-insensitive) and reads each as a [`Table`]. Blank lines
/// are skipped; lines before the first title (a shell banner, a warning) are
/// not part of any table. A title may come in any order or not at all.
pub fn parse_tables(text: &str, titles: &[&str]) -> Vec<Table> {
    let lines: Vec<&str> = text.lines().collect();
    let title_of = |line: &str| {
        let t = line.trim();
        titles
            .iter()
            .find(|title| t.eq_ignore_ascii_case(title))
            .map(|s| s.to_string())
    };
    let mut tables = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(title) = title_of(lines[i]) else {
            i += 1;
            continue;
        };
        i += 1;
        while i < lines.len() && lines[i].trim().is_empty() {
            i += 1;
        }
        let mut table = Table {
            title,
            headers: Vec::new(),
            rows: Vec::new(),
        };
        if i >= lines.len() || title_of(lines[i]).is_some() {
            tables.push(table);
            continue;
        }
        let columns = header_columns(lines[i]);
        i += 1;
        let mut starts: Vec<usize> = columns.iter().map(|c| c.0).collect();
        table.headers = columns.into_iter().map(|c| c.1).collect();
        if i < lines.len() && is_rule(lines[i]) {
            let groups = rule_columns(lines[i]);
            if groups.len() == starts.len() && groups.len() > 1 {
                starts = groups;
            }
            i += 1;
        }
        while i < lines.len() && title_of(lines[i]).is_none() {
            if !lines[i].trim().is_empty() && !is_rule(lines[i]) {
                table.rows.push((i + 1, split_row(lines[i], &starts)));
            }
            i += 1;
        }
        tables.push(table);
    }
    tables
}

/// The two kinds of SRE server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Element manager: GUI, REST, CDR collection, the statistics.
    Em,
    /// Call processor: the SIP side.
    Cp,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Em => "EM",
            Role::Cp => "CP",
        }
    }
}

/// The role a server's name tells: a part of the name (split at anything
/// that is not a letter or a digit) that is `em` or `cp`, alone or followed by
/// digits: `SRE-33-EM1` and `em2` are EMs, `sre-cp1-ams-dune` is a CP.
/// `None` when no part says, or when parts say both.
pub fn infer_role(name: &str) -> Option<Role> {
    let mut found = None;
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let part = part.to_ascii_lowercase();
        let role = if let Some(rest) = part.strip_prefix("em") {
            rest.chars().all(|c| c.is_ascii_digit()).then_some(Role::Em)
        } else if let Some(rest) = part.strip_prefix("cp") {
            rest.chars().all(|c| c.is_ascii_digit()).then_some(Role::Cp)
        } else {
            None
        };
        match (found, role) {
            (_, None) => {}
            (None, Some(r)) => found = Some(r),
            (Some(a), Some(b)) if a != b => return None,
            _ => {}
        }
    }
    found
}

/// A supervisord process state, as `supervisorctl status` and the SRE's
/// process matrix print it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcState {
    Running { pid: u32, uptime: u64 },
    Stopped,
    Starting,
    Backoff,
    Stopping,
    Exited,
    Fatal,
    Unknown,
}

impl ProcState {
    pub fn name(self) -> &'static str {
        match self {
            ProcState::Running { .. } => "RUNNING",
            ProcState::Stopped => "STOPPED",
            ProcState::Starting => "STARTING",
            ProcState::Backoff => "BACKOFF",
            ProcState::Stopping => "STOPPING",
            ProcState::Exited => "EXITED",
            ProcState::Fatal => "FATAL",
            ProcState::Unknown => "UNKNOWN",
        }
    }
}

/// Python's `timedelta` text as supervisord prints an uptime, in seconds:
/// `10:57:02`, `1 day, 0:01:02`, `14 days, 22:55:48`.
pub fn parse_uptime(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let bad = || format!("'{text}' is not an uptime (like '14 days, 22:55:48')");
    let (days, clock) = match text.split_once(',') {
        Some((days, clock)) => {
            let mut words = days.split_whitespace();
            let n: u64 = words.next().and_then(|n| n.parse().ok()).ok_or_else(bad)?;
            match (words.next(), words.next()) {
                (Some("day" | "days"), None) => {}
                _ => return Err(bad()),
            }
            (n, clock.trim())
        }
        None => (0, text),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || p.len() > 2) {
        return Err(bad());
    }
    let mut hms = [0u64; 3];
    for (slot, part) in hms.iter_mut().zip(&parts) {
        *slot = part.parse().map_err(|_| bad())?;
    }
    if hms[1] > 59 || hms[2] > 59 || hms[0] > 23 {
        return Err(bad());
    }
    days.checked_mul(86_400)
        .and_then(|d| d.checked_add(hms[0] * 3600 + hms[1] * 60 + hms[2]))
        .ok_or_else(|| format!("uptime '{text}' is too large"))
}

/// One cell of the process matrix: a state word, for RUNNING followed by
/// `(pid N, uptime …)`; other states may carry a parenthesised remark
/// (`BACKOFF (Exited too quickly)`), which is ignored.
pub fn parse_proc_state(cell: &str) -> Result<ProcState, String> {
    let cell = cell.trim();
    let (word, rest) = match cell.find([' ', '(']) {
        Some(i) => (&cell[..i], cell[i..].trim()),
        None => (cell, ""),
    };
    let state = match word {
        "RUNNING" => {
            let inner = rest
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .ok_or_else(|| format!("'{cell}' lacks '(pid N, uptime …)'"))?;
            let (pid, uptime) = inner
                .split_once(',')
                .ok_or_else(|| format!("'{cell}' lacks the uptime"))?;
            let pid = pid
                .trim()
                .strip_prefix("pid ")
                .and_then(|p| p.trim().parse::<u32>().ok())
                .ok_or_else(|| format!("'{cell}' has no pid"))?;
            let uptime = uptime
                .trim()
                .strip_prefix("uptime ")
                .ok_or_else(|| format!("'{cell}' has no uptime"))?;
            return Ok(ProcState::Running {
                pid,
                uptime: parse_uptime(uptime)?,
            });
        }
        "STOPPED" => ProcState::Stopped,
        "STARTING" => ProcState::Starting,
        "BACKOFF" => ProcState::Backoff,
        "STOPPING" => ProcState::Stopping,
        "EXITED" => ProcState::Exited,
        "FATAL" => ProcState::Fatal,
        "UNKNOWN" => ProcState::Unknown,
        _ => return Err(format!("'{cell}' is not a supervisord state")),
    };
    if !(rest.is_empty() || rest.starts_with('(') && rest.ends_with(')')) {
        return Err(format!("'{cell}' is not a supervisord state"));
    }
    Ok(state)
}

/// Runs a peer or vendor command (an argument vector, no shell) within what is
/// left of this run's deadline. A command that cannot start is UNKNOWN; one
/// that hangs is killed and CRITICAL ("no answer … within N s"); the exit
/// status is the caller's to judge.
pub fn run_command(argv: &[String], locale: &str) -> Result<CommandOutput, Failure> {
    let options = ExecOptions {
        locale: locale.to_string(),
        timeout: Some(crate::deadline::current().remaining()),
        ..ExecOptions::default()
    };
    exec::run(argv, &options)
}

/// What an `sre-admin` subcommand printed: a captured output (`--input`), or
/// a run of `--command` (by default the plugin's own command line).
pub enum Printed {
    /// The captured output's text.
    Captured(String),
    /// The command run, and what it did.
    Ran {
        /// The command line run.
        argv: Vec<String>,
        /// Its output and exit status.
        output: CommandOutput,
    },
}

/// Reads `--input`, or runs `--command` (else `default`) under `locale`.
pub fn collect(
    input: &crate::input::InputArgs,
    default: &[&str],
    locale: &str,
) -> Result<Printed, Failure> {
    if input.input.is_some() {
        return Ok(Printed::Captured(
            input.collect(default, &Default::default())?.text,
        ));
    }
    let argv = match &input.command {
        Some(text) => exec::split_command(text)?,
        None => default.iter().map(|s| s.to_string()).collect(),
    };
    let output = run_command(&argv, locale)?;
    Ok(Printed::Ran { argv, output })
}

/// True when sre-admin's complaint is about the locale (Python's Click refuses
/// to run in an ASCII locale), so the message can say what to change.
pub fn locale_complaint(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("locale") || t.contains("ascii as encoding") || t.contains("lc_all")
}

/// A run that did not succeed: UNKNOWN when the tool complains about the
/// locale (the plugin's own configuration, with what to change), else CRITICAL
/// naming the command, how it ended and its first error line.
pub fn failed(argv: &[String], output: &CommandOutput, locale: &str) -> Failure {
    let what = format!(
        "'{}' failed ({}): {}",
        argv.join(" "),
        output.describe_status(),
        crate::output::one_line(output.first_error_line())
    );
    if locale_complaint(&output.stderr) || locale_complaint(&output.stdout) {
        Failure::unknown(format!(
            "{what} (locale {locale} given: set --locale to one installed, see `locale -a`)"
        ))
    } else {
        Failure::critical(what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_labels_keep_their_single_spaces() {
        let cols = header_columns("Client  Address  WAL sent    WAL replayed");
        assert_eq!(
            cols,
            vec![
                (0, "Client".to_string()),
                (8, "Address".to_string()),
                (17, "WAL sent".to_string()),
                (29, "WAL replayed".to_string())
            ]
        );
    }

    #[test]
    fn rows_are_cut_at_the_header_positions() {
        let starts = [0, 8, 19, 29];
        assert_eq!(
            split_row("        127.0.0.1  sre       5241", &starts),
            vec!["", "127.0.0.1", "sre", "5241"]
        );
        assert_eq!(
            split_row("                             5239", &starts),
            vec!["", "", "", "5239"]
        );
        // A cell wider than its column keeps its text.
        assert_eq!(
            split_row("abc     RUNNING sre", &[0, 8, 12]),
            vec!["abc", "RUNNING", "sre"]
        );
        assert_eq!(split_row("", &starts), vec!["", "", "", ""]);
    }

    #[test]
    fn tables_in_any_order_with_blank_lines() {
        let text = "banner\nSecond\nA  B\n---\n1  2\n\n3  4\nFirst\nX\n-----\n";
        let tables = parse_tables(text, &["First", "Second", "Third"]);
        assert_eq!(tables.len(), 2);
        assert_eq!(tables[0].title, "Second");
        assert_eq!(tables[0].rows.len(), 2);
        assert_eq!(tables[0].rows[1], (7, vec!["3".into(), "4".into()]));
        assert_eq!(tables[1].headers, vec!["X"]);
        assert!(tables[1].rows.is_empty());
        assert!(parse_tables("nothing here", &["First"]).is_empty());
    }

    #[test]
    fn roles_from_names() {
        assert_eq!(infer_role("SRE-33-EM1"), Some(Role::Em));
        assert_eq!(infer_role("sre-cp1-ams-dune"), Some(Role::Cp));
        assert_eq!(infer_role("em2"), Some(Role::Em));
        assert_eq!(infer_role("cp"), Some(Role::Cp));
        assert_eq!(infer_role("temp-host"), None);
        assert_eq!(infer_role("emcp"), None);
        assert_eq!(infer_role("em1-cp1"), None);
        assert_eq!(infer_role("sre-40-emx"), None);
    }

    #[test]
    fn uptimes_as_python_prints_them() {
        assert_eq!(parse_uptime("10:57:02"), Ok(10 * 3600 + 57 * 60 + 2));
        assert_eq!(parse_uptime("1 day, 0:01:02"), Ok(86_400 + 62));
        assert_eq!(
            parse_uptime("14 days, 22:55:48"),
            Ok(14 * 86_400 + 22 * 3600 + 55 * 60 + 48)
        );
        assert!(parse_uptime("0:61:00").is_err());
        assert!(parse_uptime("3 weeks, 0:00:00").is_err());
        assert!(parse_uptime("99999999999999999999 days, 0:00:00").is_err());
        assert!(parse_uptime("999999999999999 days, 0:00:00")
            .unwrap_err()
            .contains("too large"));
    }

    #[test]
    fn supervisord_cells() {
        assert_eq!(
            parse_proc_state("RUNNING (pid 18463, uptime 14 days, 22:55:35)"),
            Ok(ProcState::Running {
                pid: 18463,
                uptime: 14 * 86_400 + 22 * 3600 + 55 * 60 + 35
            })
        );
        assert_eq!(parse_proc_state("STOPPED"), Ok(ProcState::Stopped));
        assert_eq!(
            parse_proc_state("BACKOFF (Exited too quickly)"),
            Ok(ProcState::Backoff)
        );
        assert_eq!(parse_proc_state("FATAL"), Ok(ProcState::Fatal));
        assert!(parse_proc_state("RUNNING").is_err());
        assert!(parse_proc_state("RUNNING (pid x, uptime 0:00:01)").is_err());
        assert!(parse_proc_state("sleeping").is_err());
        assert!(parse_proc_state("").is_err());
    }
}
