//! Reads `sre-admin status` into its five sections. The tool prints fixed-width
//! tables for people; [`crate::checks::sre::parse_tables`] cuts them into cells
//! and this module gives each section its meaning (LSNs, the seconds of the
//! "Last …" cell, the server × row matrices), so the judging never sees text
//! layout.

use super::{ACTIVITY, DB_STATUS, PROCESSES, REPLICATION, SECTIONS, SYSTEM};
use crate::checks::sre::{parse_tables, Table};
use crate::output::one_line;

/// A PostgreSQL LSN (`F/605F7F68`) as the 64-bit WAL position it names.
pub fn parse_lsn(text: &str) -> Result<u64, String> {
    let (hi, lo) = text
        .trim()
        .split_once('/')
        .ok_or_else(|| format!("'{text}' is not an LSN (like F/605F7F68)"))?;
    let part = |p: &str| {
        if p.is_empty() || p.len() > 8 {
            return None;
        }
        u32::from_str_radix(p, 16).ok()
    };
    match (part(hi), part(lo)) {
        (Some(hi), Some(lo)) => Ok((u64::from(hi) << 32) | u64::from(lo)),
        _ => Err(format!("'{text}' is not an LSN (like F/605F7F68)")),
    }
}

/// One replication client and its WAL positions.
#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    pub name: String,
    pub address: String,
    pub state: String,
    /// sent, written, flushed, replayed; `None` when the cell is empty.
    pub lsn: [Option<u64>; 4],
}

impl Client {
    /// Bytes between what the server sent and what the client replayed
    /// (the last position known, when replay is not shown).
    pub fn lag(&self) -> Result<Option<u64>, String> {
        let Some(sent) = self.lsn[0] else {
            return Ok(None);
        };
        let Some(last) = self.lsn[1..].iter().rev().flatten().next() else {
            return Ok(None);
        };
        sent.checked_sub(*last).map(Some).ok_or_else(|| {
            format!(
                "{}: replayed position is ahead of the sent one",
                one_line(&self.name)
            )
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    pub pid: String,
    pub user: String,
    pub state: String,
    /// The seconds in parentheses of the "Last …" cell.
    pub seconds: Option<f64>,
}

/// A server × row section: the servers in column order, then each row's
/// first cell (process or metric) and its cells, one per server.
pub type Matrix = (Vec<String>, Vec<(String, Vec<String>)>);

/// The parsed status: each section present or not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Status {
    /// (host, status) of *Server DB status*.
    pub db: Option<Vec<(String, String)>>,
    pub clients: Option<Vec<Client>>,
    pub connections: Option<Vec<Connection>>,
    /// Servers in column order, then process → cells (one per server).
    pub processes: Option<Matrix>,
    /// Servers in column order, then metric → cells.
    pub system: Option<Matrix>,
    /// Things that were not understood, per section.
    pub problems: Vec<String>,
}

fn cell(row: &[String], column: Option<usize>) -> &str {
    column.and_then(|c| row.get(c)).map_or("", String::as_str)
}

/// `12:01:45 (1292118.09)` → 1292118.09.
fn paren_seconds(text: &str) -> Option<f64> {
    let inner = text.split_once('(')?.1.split_once(')')?.0.trim();
    let value: f64 = inner.parse().ok()?;
    value.is_finite().then_some(value)
}

fn matrix(table: &Table) -> Matrix {
    let servers: Vec<String> = table.headers.iter().skip(1).cloned().collect();
    let rows = table
        .rows
        .iter()
        .filter(|(_, cells)| !cells[0].is_empty())
        .map(|(_, cells)| (cells[0].clone(), cells[1..].to_vec()))
        .collect();
    (servers, rows)
}

/// Reads `sre-admin status` output. Err when none of the sections is there.
pub fn parse(text: &str) -> Result<Status, String> {
    if text.trim().is_empty() {
        return Err("sre-admin status printed nothing".to_string());
    }
    let tables = parse_tables(text, &SECTIONS);
    if tables.is_empty() {
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        let first: String = one_line(first.trim()).chars().take(60).collect();
        return Err(format!(
            "no section of sre-admin status found (first line: '{first}')"
        ));
    }
    let mut status = Status::default();
    for table in &tables {
        match table.title.as_str() {
            DB_STATUS => {
                let (host, st) = (table.column("Hostname"), table.column("Status"));
                if host.is_none() || st.is_none() {
                    status
                        .problems
                        .push(format!("{DB_STATUS}: no Hostname/Status header"));
                    continue;
                }
                status.db = Some(
                    table
                        .rows
                        .iter()
                        .map(|(_, r)| (cell(r, host).to_string(), cell(r, st).to_string()))
                        .collect(),
                );
            }
            REPLICATION => {
                let cols = [
                    table.column("Client"),
                    table.column("Address"),
                    table.column("State"),
                    table.column("WAL sent"),
                    table.column("WAL written"),
                    table.column("WAL flushed"),
                    table.column("WAL replayed"),
                ];
                if cols[0].is_none() || cols[2].is_none() || cols[3].is_none() {
                    status.problems.push(format!(
                        "{REPLICATION}: header lacks Client, State or WAL sent"
                    ));
                    continue;
                }
                let mut clients = Vec::new();
                for (line, r) in &table.rows {
                    let mut lsn = [None; 4];
                    let mut bad = None;
                    for (slot, col) in lsn.iter_mut().zip(&cols[3..]) {
                        let text = cell(r, *col);
                        if text.is_empty() {
                            continue;
                        }
                        match parse_lsn(text) {
                            Ok(v) => *slot = Some(v),
                            Err(e) => bad = Some(e),
                        }
                    }
                    if let Some(e) = bad {
                        status
                            .problems
                            .push(format!("{REPLICATION} line {line}: {}", one_line(&e)));
                        continue;
                    }
                    clients.push(Client {
                        name: cell(r, cols[0]).to_string(),
                        address: cell(r, cols[1]).to_string(),
                        state: cell(r, cols[2]).to_string(),
                        lsn,
                    });
                }
                status.clients = Some(clients);
            }
            ACTIVITY => {
                let (pid, user, st, last) = (
                    table.column("PID"),
                    table.column("Username"),
                    table.column("State"),
                    table.column("Last"),
                );
                if pid.is_none() || st.is_none() {
                    status
                        .problems
                        .push(format!("{ACTIVITY}: header lacks PID or State"));
                    continue;
                }
                status.connections = Some(
                    table
                        .rows
                        .iter()
                        .map(|(_, r)| Connection {
                            pid: cell(r, pid).to_string(),
                            user: cell(r, user).to_string(),
                            state: cell(r, st).to_string(),
                            seconds: paren_seconds(cell(r, last)),
                        })
                        .collect(),
                );
            }
            PROCESSES => {
                if table.headers.len() < 2 {
                    status
                        .problems
                        .push(format!("{PROCESSES}: no server in the header"));
                    continue;
                }
                status.processes = Some(matrix(table));
            }
            SYSTEM => {
                if table.headers.len() < 2 {
                    status
                        .problems
                        .push(format!("{SYSTEM}: no server in the header"));
                    continue;
                }
                status.system = Some(matrix(table));
            }
            _ => {}
        }
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::sre_status::tests::example;

    #[test]
    fn lsns_are_64_bit_positions() {
        assert_eq!(parse_lsn("F/605F7F68"), Ok(0xF_605F_7F68));
        assert_eq!(parse_lsn("0/0"), Ok(0));
        assert_eq!(parse_lsn("FFFFFFFF/FFFFFFFF"), Ok(u64::MAX));
        assert!(parse_lsn("1FFFFFFFF/0").is_err());
        assert!(parse_lsn("F605F7F68").is_err());
        assert!(parse_lsn("G/1").is_err());
        assert!(parse_lsn("/1").is_err());
        assert_eq!(
            parse_lsn("10/00A00000").unwrap() - parse_lsn("F/FF000000").unwrap(),
            0x01A0_0000
        );
    }

    #[test]
    fn the_seed_platform_parses_into_every_section() {
        let status = parse(&example("status-healthy.txt")).unwrap();
        assert_eq!(
            status.db,
            Some(vec![("SRE-33-EM1".to_string(), "master".to_string())])
        );
        let clients = status.clients.as_ref().unwrap();
        assert_eq!(clients.len(), 3);
        assert_eq!(clients[0].name, "cp2");
        assert_eq!(clients[0].lsn, [Some(0xF_605F_7F68); 4]);
        let conns = status.connections.as_ref().unwrap();
        assert_eq!(conns.len(), 14);
        assert_eq!(conns[0].pid, "5241");
        assert_eq!(conns[0].state, "");
        assert_eq!(conns[2].seconds, Some(1292118.09));
        assert_eq!(conns[13].user, "");
        let (servers, rows) = status.processes.as_ref().unwrap();
        assert_eq!(
            servers,
            &["SRE-33-CP1", "SRE-33-CP2", "SRE-33-EM1", "SRE-33-EM2"]
        );
        assert_eq!(rows.len(), 13);
        assert_eq!(
            rows[0].1[2],
            "RUNNING (pid 18463, uptime 14 days, 22:55:35)"
        );
        assert_eq!(rows[0].1[0], "STOPPED");
        let (_, metrics) = status.system.as_ref().unwrap();
        assert_eq!(metrics[0].1, vec!["8.8 %", "16.2 %", "44.7 %", "13.2 %"]);
        assert!(status.problems.is_empty());
    }

    #[test]
    fn garbage_and_empty_are_not_ok() {
        assert!(parse(&example("status-garbage.txt"))
            .unwrap_err()
            .contains("no section"));
        assert_eq!(parse("").unwrap_err(), "sre-admin status printed nothing");
        assert!(parse("Server DB status\n\x1b[2J").is_ok());
    }
}
