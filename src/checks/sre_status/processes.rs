//! The *Platform process status* section (guide §2.1): the process × server
//! matrix judged against where each process must run, by the role presets
//! (EM, CP, every server) or `--expect` rules, with a short uptime taken as a
//! restart.

use super::Options;
use crate::checks::sre::{self, parse_proc_state, ProcState, Role};
use crate::output::{one_line, plural, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::status::State;
use std::collections::{BTreeMap, BTreeSet};

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

/// A server's role: `--em`/`--cp` first, else from its name.
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

/// The process × server matrix: every required process RUNNING where it must
/// run, not restarted lately; `known_servers` (named elsewhere) must be listed.
pub(super) fn judge_processes(
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
