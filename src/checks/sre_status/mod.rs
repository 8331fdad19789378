//! check_sre_status: the Netaxis SRE global status (`sre-admin status`, guide §2.1).
//!
//! Five sections, each judged on its own and reported as one line with its
//! items below: *Server DB status* (exactly one master), *Server DB
//! replication status* (clients streaming, byte lag from their LSNs), *Server
//! DB activity* (connections, long idle transactions), *Platform process
//! status* (the process × server matrix against the EM / CP role presets) and
//! *Platform system status* (CPU, memory and swap per server). A missing
//! section is a WARNING line; output with none of them is UNKNOWN.

use crate::checks::sre::{self, parse_proc_state, parse_tables, ProcState, Role, Table};
use crate::input::InputArgs;
use crate::output::{one_line, plural, Check, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::runner::{CheckResult, Failure};
use crate::status::State;
use crate::threshold::Thresholds;
use std::collections::{BTreeMap, BTreeSet};

/// The default command, as the guide runs it.
pub const DEFAULT_COMMAND: &[&str] = &["/opt/sre/bin/sre-admin", "status"];
/// The guide's advice when sre-admin complains about the locale.
pub const DEFAULT_LOCALE: &str = "en_US.utf8";

pub const DB_STATUS: &str = "Server DB status";
pub const REPLICATION: &str = "Server DB replication status";
pub const ACTIVITY: &str = "Server DB activity";
pub const PROCESSES: &str = "Platform process status";
pub const SYSTEM: &str = "Platform system status";
pub const SECTIONS: [&str; 5] = [DB_STATUS, REPLICATION, ACTIVITY, PROCESSES, SYSTEM];

/// Processes that must run on every EM (the seed's example).
pub const EM_PROCESSES: &[&str] = &["sre-REST", "sre-cdr-collector", "sre-gui", "sre-manager"];
/// Processes that must run on every CP.
pub const CP_PROCESSES: &[&str] = &[
    "sre-agents-monitor",
    "sre-broker",
    "sre-call-processor:0",
    "sre-cdr-sender",
    "sre-enum-processor",
];
/// Processes that must run on every server.
pub const ALL_PROCESSES: &[&str] = &["sre-health-monitor", "sre-http-processor"];

/// `PROCESS=HOST[,HOST…]`: where a process must run, replacing its role rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Expect {
    pub process: String,
    pub hosts: Vec<String>,
}

impl std::str::FromStr for Expect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (process, hosts) = s
            .split_once('=')
            .ok_or_else(|| format!("'{s}' is not PROCESS=HOST[,HOST…]"))?;
        let hosts = host_list(hosts)?;
        if process.trim().is_empty() {
            return Err(format!("'{s}' names no process"));
        }
        Ok(Expect {
            process: process.trim().to_string(),
            hosts,
        })
    }
}

/// `HOST[,HOST…]`, no empty names.
pub fn host_list(text: &str) -> Result<Vec<String>, String> {
    let hosts: Vec<String> = text.split(',').map(|h| h.trim().to_string()).collect();
    if hosts.iter().any(String::is_empty) {
        return Err(format!("'{text}' has an empty host name"));
    }
    Ok(hosts)
}

#[derive(Debug, Clone)]
pub struct Options {
    pub expect_clients: Option<usize>,
    pub lag: Thresholds,
    pub connections: Thresholds,
    /// Seconds after which a connection `idle in transaction` is reported.
    pub idle_in_transaction: f64,
    pub em: Vec<String>,
    pub cp: Vec<String>,
    pub expect: Vec<Expect>,
    pub ignore: Vec<String>,
    pub min_uptime: u64,
    pub cpu: Thresholds,
    pub memory: Thresholds,
    pub swap: Thresholds,
}

impl Default for Options {
    fn default() -> Self {
        let t = |w: &str, c: &str| Thresholds::new(w.parse().ok(), c.parse().ok());
        Options {
            expect_clients: None,
            lag: t("16777216", "134217728"),
            connections: Thresholds::default(),
            idle_in_transaction: 300.0,
            em: Vec::new(),
            cp: Vec::new(),
            expect: Vec::new(),
            ignore: Vec::new(),
            min_uptime: 300,
            cpu: t("85", "95"),
            memory: t("90", "95"),
            swap: t("50", "80"),
        }
    }
}

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

fn missing(title: &str) -> Item {
    Item::new(State::Warning, format!("section '{title}' missing"))
}

fn judge_db(db: &[(String, String)]) -> Item {
    let masters: Vec<&str> = db
        .iter()
        .filter(|(_, s)| s.eq_ignore_ascii_case("master"))
        .map(|(h, _)| h.as_str())
        .collect();
    let mut item = match masters.as_slice() {
        [] => Item::new(State::Critical, "no writer: no DB server is master"),
        [one] => Item::new(State::Ok, format!("DB master {}", one_line(one))),
        many => Item::new(
            State::Critical,
            format!("split brain: {} are master", one_line(&many.join(", "))),
        ),
    };
    for (host, st) in db {
        item = item.detail(1, format!("{}: {}", one_line(host), one_line(st)));
    }
    item
}

fn judge_replication(clients: &[Client], options: &Options) -> Item {
    let mut children = Vec::new();
    let mut streaming = 0;
    let mut max_lag = 0u64;
    for client in clients {
        let name = one_line(&client.name);
        let label = format!(
            "lag_{}",
            if name.is_empty() {
                &client.address
            } else {
                &name
            }
        );
        let lag = match client.lag() {
            Ok(lag) => lag,
            Err(e) => {
                children.push(Item::new(State::Unknown, e));
                continue;
            }
        };
        let streaming_now = client.state == "streaming";
        streaming += usize::from(streaming_now);
        let state_item = if streaming_now {
            State::Ok
        } else {
            State::Warning
        };
        let mut item = match lag {
            Some(bytes) => {
                max_lag = max_lag.max(bytes);
                let judged = options.lag.judge(label, bytes as f64, Uom::Bytes);
                let state = judged.state.worst(state_item);
                let mut item =
                    judged.item(format!("{name} {} lag {bytes} B", one_line(&client.state)));
                item.state = state;
                item
            }
            None => Item::new(
                state_item,
                format!("{name} {} (no WAL positions)", one_line(&client.state)),
            ),
        };
        if !streaming_now {
            item.text = format!("{name} is {} (not streaming)", one_line(&client.state));
        }
        children.push(item.detail(1, format!("address {}", one_line(&client.address))));
    }
    let mut state = State::Ok;
    let mut text = format!(
        "{} of {} streaming, max lag {max_lag} B",
        streaming,
        plural(clients.len(), "replication client")
    );
    match options.expect_clients {
        Some(n) if clients.len() < n => {
            state = State::Critical;
            text = format!(
                "{} listed, {n} expected",
                plural(clients.len(), "replication client")
            );
        }
        None if clients.is_empty() => {
            state = State::Warning;
            text = "no replication client listed".to_string();
        }
        _ => {}
    }
    let mut item = Item::new(state, text);
    if state == State::Ok {
        if let Some(worst) = children
            .iter()
            .filter(|c| c.state != State::Ok)
            .max_by_key(|c| c.state.severity())
        {
            item.text = format!("replication: {}", worst.text);
        }
    }
    item.children = children;
    item
}

fn judge_activity(connections: &[Connection], options: &Options) -> Item {
    let count = connections.iter().filter(|c| !c.user.is_empty()).count();
    let judged = options
        .connections
        .judge("connections", count as f64, Uom::None);
    let mut long = Vec::new();
    for c in connections {
        if c.state.starts_with("idle in transaction") {
            if let Some(secs) = c.seconds.filter(|s| *s > options.idle_in_transaction) {
                long.push(Item::new(
                    State::Warning,
                    format!(
                        "pid {} ({}) idle in transaction for {}",
                        one_line(&c.pid),
                        one_line(&c.user),
                        crate::duration::human(secs)
                    ),
                ));
            }
        }
    }
    let idle = Perfdata::new("idle_in_transaction", long.len() as f64, Uom::None).min(0.0);
    let text = match (&judged.state, long.len()) {
        (_, 0) => format!(
            "{count} DB connections, none idle in transaction over {} s",
            crate::range::format_number(options.idle_in_transaction)
        ),
        (_, n) => format!(
            "{} idle in transaction over {} s",
            plural(n, "DB connection"),
            crate::range::format_number(options.idle_in_transaction)
        ),
    };
    let mut item = judged.item(text).perf(idle);
    if item.state != State::Ok {
        item.text = format!("{count} DB connections");
    }
    item.children = long;
    item
}

fn role_of(server: &str, options: &Options) -> Option<Role> {
    let named = |list: &[String]| list.iter().any(|h| h.eq_ignore_ascii_case(server));
    if named(&options.em) {
        Some(Role::Em)
    } else if named(&options.cp) {
        Some(Role::Cp)
    } else {
        sre::infer_role(server)
    }
}

/// Whether `process` must run on `server` under the presets and options.
fn required(process: &str, server: &str, role: Option<Role>, options: &Options) -> bool {
    if options.ignore.iter().any(|p| p == process) {
        return false;
    }
    if let Some(rule) = options.expect.iter().rev().find(|e| e.process == process) {
        return rule.hosts.iter().any(|h| h.eq_ignore_ascii_case(server));
    }
    ALL_PROCESSES.contains(&process)
        || match role {
            Some(Role::Em) => EM_PROCESSES.contains(&process),
            Some(Role::Cp) => CP_PROCESSES.contains(&process),
            None => false,
        }
}

fn judge_processes(
    servers: &[String],
    rows: &[(String, Vec<String>)],
    known_servers: &BTreeSet<String>,
    options: &Options,
) -> Item {
    let roles: BTreeMap<&str, Option<Role>> = servers
        .iter()
        .map(|s| (s.as_str(), role_of(s, options)))
        .collect();
    let mut children = Vec::new();
    let mut running = 0usize;
    let mut required_running = 0usize;
    for server in known_servers {
        if !servers.iter().any(|s| s.eq_ignore_ascii_case(server)) {
            children.push(Item::new(
                State::Critical,
                format!("{} missing from the process status", one_line(server)),
            ));
        }
    }
    for (server, role) in &roles {
        if role.is_none() {
            children.push(Item::new(
                State::Warning,
                format!(
                    "role of {} unknown (name it in --em or --cp)",
                    one_line(server)
                ),
            ));
        }
    }
    // Required processes that have no row at all.
    let listed: BTreeSet<&str> = rows.iter().map(|(p, _)| p.as_str()).collect();
    let mut wanted: BTreeSet<&str> = ALL_PROCESSES
        .iter()
        .chain(EM_PROCESSES)
        .chain(CP_PROCESSES)
        .copied()
        .collect();
    wanted.extend(options.expect.iter().map(|e| e.process.as_str()));
    for process in wanted {
        if listed.contains(process) {
            continue;
        }
        let needed: Vec<&str> = servers
            .iter()
            .filter(|s| required(process, s, roles[s.as_str()], options))
            .map(String::as_str)
            .collect();
        if !needed.is_empty() {
            children.push(Item::new(
                State::Critical,
                format!(
                    "{} not listed (must run on {})",
                    one_line(process),
                    one_line(&needed.join(", "))
                ),
            ));
        }
    }
    for (process, cells) in rows {
        let name = one_line(process);
        for (i, server) in servers.iter().enumerate() {
            let text = cells.get(i).map_or("", String::as_str);
            let must = required(process, server, roles[server.as_str()], options);
            let host = one_line(server);
            if text.is_empty() {
                if must {
                    children.push(Item::new(
                        State::Critical,
                        format!("{name} not reported on {host}"),
                    ));
                }
                continue;
            }
            let state = match parse_proc_state(text) {
                Ok(state) => state,
                Err(e) => {
                    children.push(Item::new(
                        State::Unknown,
                        format!("{name} on {host}: {}", one_line(&e)),
                    ));
                    continue;
                }
            };
            match state {
                ProcState::Running { pid, uptime } => {
                    running += 1;
                    if must {
                        required_running += 1;
                    }
                    if uptime < options.min_uptime && !options.ignore.iter().any(|p| p == process) {
                        children.push(Item::new(
                            State::Warning,
                            format!(
                                "{name} restarted on {host} {} ago (pid {pid})",
                                crate::duration::human(uptime as f64)
                            ),
                        ));
                    }
                }
                other if must => children.push(Item::new(
                    State::Critical,
                    format!("{name} {} on {host}", other.name()),
                )),
                ProcState::Fatal | ProcState::Backoff | ProcState::Exited
                    if !options.ignore.iter().any(|p| p == process) =>
                {
                    children.push(Item::new(
                        State::Warning,
                        format!("{name} {} on {host} (not required there)", state.name()),
                    ))
                }
                _ => {}
            }
        }
    }
    let worst = State::worst_of(children.iter().map(|c| c.state));
    let text = if worst == State::Ok {
        let listed_roles: Vec<String> = roles
            .iter()
            .map(|(s, r)| format!("{} {}", one_line(s), r.map_or("?", Role::as_str)))
            .collect();
        children.push(Item::new(
            State::Ok,
            format!("roles: {}", listed_roles.join(", ")),
        ));
        format!(
            "{required_running} required processes running on {}",
            plural(servers.len(), "server")
        )
    } else {
        let problems: Vec<&str> = children
            .iter()
            .filter(|c| c.state == worst)
            .map(|c| c.text.as_str())
            .collect();
        let first = problems[0].to_string();
        if problems.len() > 1 {
            format!("{first} and {} more", problems.len() - 1)
        } else {
            first
        }
    };
    let mut item = Item::new(State::Ok, text)
        .perf(Perfdata::new("processes_running", running as f64, Uom::None).min(0.0));
    item.children = children;
    item
}

fn judge_system(servers: &[String], rows: &[(String, Vec<String>)], options: &Options) -> Item {
    let mut children = Vec::new();
    let metrics: [(&str, &str, &Thresholds); 3] = [
        ("cpu", "CPU", &options.cpu),
        ("memory", "Memory", &options.memory),
        ("swap", "Swap", &options.swap),
    ];
    for (i, server) in servers.iter().enumerate() {
        let host = one_line(server);
        let mut item = Item::new(State::Ok, host.clone());
        let mut parts = Vec::new();
        for (key, name, thresholds) in metrics {
            let Some((_, cells)) = rows.iter().find(|(m, _)| m.eq_ignore_ascii_case(name)) else {
                continue;
            };
            let text = cells.get(i).map_or("", String::as_str);
            let value = text
                .trim_end_matches('%')
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0);
            match value {
                Some(v) => {
                    let judged = thresholds.judge(format!("{key}_{host}"), v, Uom::Percent);
                    let perf = judged.perfdata.min(0.0).max(100.0);
                    if judged.state != State::Ok {
                        item.children.push(Item::new(
                            judged.state,
                            format!("{name} {} % on {host}", crate::range::format_number(v)),
                        ));
                    }
                    item.perfdata.push(perf);
                    parts.push(format!("{name} {} %", crate::range::format_number(v)));
                }
                None => item.children.push(Item::new(
                    State::Unknown,
                    format!("{name} on {host}: '{}' is not a percentage", one_line(text)),
                )),
            }
        }
        if parts.is_empty() && item.children.is_empty() {
            item.state = State::Warning;
            item.text = format!("no CPU, Memory or Swap figures for {host}");
        } else {
            item.text = format!("{host}: {}", parts.join(", "));
        }
        children.push(item);
    }
    let worst = State::worst_of(children.iter().map(Item::effective_state));
    let text = if worst == State::Ok {
        format!(
            "CPU, memory and swap fine on {}",
            plural(servers.len(), "server")
        )
    } else {
        children
            .iter()
            .flat_map(|c| std::iter::once(c).chain(c.children.iter()))
            .find(|c| c.state == worst)
            .map(|c| c.text.clone())
            .unwrap_or_default()
    };
    let mut item = Item::new(State::Ok, text);
    item.children = children;
    item
}

/// Judges a parsed status.
pub fn evaluate(status: &Status, options: &Options) -> Check {
    let mut check = Check::new();
    check.item(match &status.db {
        Some(db) => judge_db(db),
        None => missing(DB_STATUS),
    });
    check.item(match &status.clients {
        Some(clients) => judge_replication(clients, options),
        None => missing(REPLICATION),
    });
    check.item(match &status.connections {
        Some(connections) => judge_activity(connections, options),
        None => missing(ACTIVITY),
    });
    // Servers the other sources name: the system section, --em/--cp, --expect.
    let mut known: BTreeSet<String> = BTreeSet::new();
    if let Some((servers, _)) = &status.system {
        known.extend(servers.iter().cloned());
    }
    known.extend(options.em.iter().cloned());
    known.extend(options.cp.iter().cloned());
    for e in &options.expect {
        known.extend(e.hosts.iter().cloned());
    }
    check.item(match &status.processes {
        Some((servers, rows)) => judge_processes(servers, rows, &known, options),
        None => missing(PROCESSES),
    });
    check.item(match &status.system {
        Some((servers, rows)) => {
            let mut item = judge_system(servers, rows, options);
            if let Some((proc_servers, _)) = &status.processes {
                for s in proc_servers {
                    if !servers.iter().any(|x| x.eq_ignore_ascii_case(s)) {
                        item.children.push(Item::new(
                            State::Warning,
                            format!("{} missing from the system status", one_line(s)),
                        ));
                    }
                }
            }
            item
        }
        None => missing(SYSTEM),
    });
    for problem in &status.problems {
        check.item(Item::new(State::Unknown, one_line(problem)));
    }
    if check.state() == State::Ok {
        let master = status
            .db
            .as_ref()
            .and_then(|db| db.iter().find(|(_, s)| s.eq_ignore_ascii_case("master")))
            .map(|(h, _)| one_line(h))
            .unwrap_or_default();
        let servers = status.processes.as_ref().map_or(0, |(s, _)| s.len());
        check.ok_summary(format!(
            "SRE platform healthy: master {master}, {}, replication streaming",
            plural(servers, "server")
        ));
    }
    check
}

/// True when sre-admin's complaint is about the locale (Python's Click refuses
/// to run in an ASCII locale), so the message can say what to change.
fn locale_complaint(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("locale") || t.contains("ascii as encoding") || t.contains("lc_all")
}

/// Collects `sre-admin status` (or the captured input) and judges it.
pub fn check(input: &InputArgs, locale: &str, options: &Options) -> CheckResult {
    let text = if input.input.is_some() {
        input.collect(DEFAULT_COMMAND, &Default::default())?.text
    } else {
        let argv = match &input.command {
            Some(text) => crate::exec::split_command(text)?,
            None => DEFAULT_COMMAND.iter().map(|s| s.to_string()).collect(),
        };
        let output = sre::run_command(&argv, locale)?;
        let first = one_line(output.first_error_line());
        if !output.status.success() {
            let what = format!(
                "'{}' failed ({}): {first}",
                argv.join(" "),
                output.describe_status()
            );
            if locale_complaint(&output.stderr) || locale_complaint(&output.stdout) {
                return Err(Failure::unknown(format!(
                    "{what} (locale {locale} given: set --locale to one installed, see `locale -a`)"
                )));
            }
            // Sections printed before the failure are still judged, under the failure.
            if let Ok(status) = parse(&output.stdout) {
                let mut check = evaluate(&status, options);
                check.ok_summary = None;
                check.item(Item::new(State::Critical, what));
                return Ok(check);
            }
            return Err(Failure::critical(what));
        }
        if output.stdout.trim().is_empty() && locale_complaint(&output.stderr) {
            return Err(Failure::unknown(format!(
                "sre-admin complains about the locale: {first}"
            )));
        }
        output.stdout
    };
    let status = parse(&text).map_err(Failure::unknown)?;
    Ok(evaluate(&status, options))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(name: &str) -> String {
        let path = format!("{}/examples/sre/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn judge(name: &str) -> Check {
        evaluate(&parse(&example(name)).unwrap(), &Options::default())
    }

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
    fn the_seed_platform_is_ok() {
        let check = judge("status-healthy.txt");
        assert_eq!(check.state(), State::Ok, "{}", check.render_text("S", 1));
        let text = check.render_text("SRE_STATUS", 0);
        assert!(text.contains("cpu_SRE-33-EM1=44.7%;85;95;0;100"), "{text}");
        assert!(text.contains("lag_cp2=0B;16777216;134217728"), "{text}");
        assert!(text.contains("connections=11"), "{text}");
        assert!(text.contains("processes_running=26"), "{text}");
    }

    #[test]
    fn failure_variants() {
        let cases = [
            (
                "status-two-masters.txt",
                State::Critical,
                "split brain: SRE-33-EM1, SRE-33-EM2 are master",
            ),
            ("status-no-master.txt", State::Critical, "no writer"),
            (
                "status-client-catchup.txt",
                State::Warning,
                "cp2 is catchup (not streaming)",
            ),
            (
                "status-lag-across-boundary.txt",
                State::Warning,
                "em2 streaming lag 27262976 B",
            ),
            (
                "status-fatal-backoff.txt",
                State::Critical,
                "sre-broker FATAL on SRE-33-CP2",
            ),
            (
                "status-restarted.txt",
                State::Warning,
                "sre-call-processor:0 restarted on SRE-33-CP1 2m 17s ago",
            ),
            (
                "status-cp-missing.txt",
                State::Critical,
                "SRE-33-CP2 missing from the process status",
            ),
            (
                "status-cpu-98.txt",
                State::Critical,
                "CPU 98.1 % on SRE-33-EM1",
            ),
            (
                "status-missing-section.txt",
                State::Warning,
                "section 'Server DB replication status' missing",
            ),
            (
                "status-idle-in-transaction.txt",
                State::Warning,
                "pid 31211 (sre) idle in transaction for 36m 52s",
            ),
        ];
        for (name, state, text) in cases {
            let check = judge(name);
            let rendered = check.render_text("S", 0);
            assert_eq!(check.state(), state, "{name}: {rendered}");
            assert!(rendered.contains(text), "{name}: {rendered}");
        }
        let fb = judge("status-fatal-backoff.txt").render_text("S", 0);
        assert!(fb.contains("sre-cdr-sender BACKOFF on SRE-33-CP1"), "{fb}");
    }

    #[test]
    fn garbage_and_empty_are_not_ok() {
        assert!(parse(&example("status-garbage.txt"))
            .unwrap_err()
            .contains("no section"));
        assert_eq!(parse("").unwrap_err(), "sre-admin status printed nothing");
        assert!(parse("Server DB status\n\x1b[2J").is_ok());
    }

    #[test]
    fn rules_follow_options() {
        let status = parse(&example("status-fatal-backoff.txt")).unwrap();
        let options = Options {
            ignore: vec!["sre-broker".into(), "sre-cdr-sender".into()],
            ..Options::default()
        };
        assert_eq!(evaluate(&status, &options).state(), State::Ok);
        // sre-dns-updater is STOPPED everywhere: an --expect rule makes it required.
        let status = parse(&example("status-healthy.txt")).unwrap();
        let options = Options {
            expect: vec!["sre-dns-updater=SRE-33-EM1".parse().unwrap()],
            ..Options::default()
        };
        let check = evaluate(&status, &options);
        assert!(check
            .render_text("S", 0)
            .contains("sre-dns-updater STOPPED on SRE-33-EM1"));
        // A CP named in --cp but absent from the output.
        let status = parse(&example("status-cp-missing.txt")).unwrap();
        let options = Options {
            cp: vec!["SRE-33-CP3".into()],
            ..Options::default()
        };
        assert!(evaluate(&status, &options)
            .render_text("S", 0)
            .contains("SRE-33-CP3 missing from the process status"));
        // Too few replication clients.
        let status = parse(&example("status-healthy.txt")).unwrap();
        let options = Options {
            expect_clients: Some(4),
            ..Options::default()
        };
        let check = evaluate(&status, &options);
        assert_eq!(check.state(), State::Critical);
        assert!(check
            .summary()
            .contains("3 replication clients listed, 4 expected"));
    }

    #[test]
    fn unknown_roles_and_odd_cells() {
        let text = "Platform process status\nProcess/Server  host-a\n---\nsre-broker      RUNNING (pid 1, uptime 1 day, 0:00:00)\nsre-gui         sleeping\n";
        let check = evaluate(&parse(text).unwrap(), &Options::default());
        let out = check.render_text("S", 0);
        assert_eq!(check.state(), State::Critical, "{out}");
        assert!(
            out.contains("sre-health-monitor not listed (must run on host-a)"),
            "{out}"
        );
        assert!(out.contains("role of host-a unknown"), "{out}");
        assert!(
            out.contains("sre-gui on host-a: 'sleeping' is not a supervisord state"),
            "{out}"
        );
        assert!(out.contains("section 'Server DB status' missing"), "{out}");
    }
}
