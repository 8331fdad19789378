//! check_sre_status: the Netaxis SRE global status (`sre-admin status`, guide §2.1).
//!
//! Five sections, each judged on its own and reported as one line with its
//! items below: *Server DB status* (exactly one master), *Server DB
//! replication status* (clients streaming, byte lag from their LSNs), *Server
//! DB activity* (connections, long idle transactions), *Platform process
//! status* (the process × server matrix against the EM / CP role presets) and
//! *Platform system status* (CPU, memory and swap per server). A missing
//! section is a WARNING line; output with none of them is UNKNOWN.
//!
//! One module per part: `parse` reads the output; `database` judges the
//! three *Server DB* sections, `processes` the process matrix and `system` the
//! CPU, memory and swap figures; this module holds the options and puts the
//! sections together ([`evaluate`]).

mod database;
mod parse;
mod processes;
mod system;

pub use parse::{parse, parse_lsn, Client, Connection, Matrix, Status};
pub use processes::{ALL_PROCESSES, CP_PROCESSES, EM_PROCESSES};

use crate::checks::sre;
use crate::input::InputArgs;
use crate::output::{one_line, plural, Check, Item};
use crate::runner::{CheckResult, Failure};
use crate::status::State;
use crate::threshold::Thresholds;
use std::collections::BTreeSet;

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

/// The options of one run: thresholds, role hints and process rules.
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

fn missing(title: &str) -> Item {
    Item::new(State::Warning, format!("section '{title}' missing"))
}

/// Judges a parsed status.
pub fn evaluate(status: &Status, options: &Options) -> Check {
    let mut check = Check::new();
    check.item(match &status.db {
        Some(db) => database::judge_db(db),
        None => missing(DB_STATUS),
    });
    check.item(match &status.clients {
        Some(clients) => database::judge_replication(clients, options),
        None => missing(REPLICATION),
    });
    check.item(match &status.connections {
        Some(connections) => database::judge_activity(connections, options),
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
        Some((servers, rows)) => processes::judge_processes(servers, rows, &known, options),
        None => missing(PROCESSES),
    });
    check.item(match &status.system {
        Some((servers, rows)) => {
            let mut item = system::judge_system(servers, rows, options);
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

/// Collects `sre-admin status` (or the captured input) and judges it.
pub fn check(input: &InputArgs, locale: &str, options: &Options) -> CheckResult {
    let text = match sre::collect(input, DEFAULT_COMMAND, locale)? {
        sre::Printed::Captured(text) => text,
        sre::Printed::Ran { argv, output } if !output.status.success() => {
            let failure = sre::failed(&argv, &output, locale);
            // Sections printed before the failure are still judged, under the failure.
            if failure.state == State::Critical {
                if let Ok(status) = parse(&output.stdout) {
                    let mut check = evaluate(&status, options);
                    check.ok_summary = None;
                    check.item(Item::new(State::Critical, failure.message));
                    return Ok(check);
                }
            }
            return Err(failure);
        }
        sre::Printed::Ran { output, .. } => {
            if output.stdout.trim().is_empty() && sre::locale_complaint(&output.stderr) {
                return Err(Failure::unknown(format!(
                    "sre-admin complains about the locale: {}",
                    one_line(output.first_error_line())
                )));
            }
            output.stdout
        }
    };
    let status = parse(&text).map_err(Failure::unknown)?;
    Ok(evaluate(&status, options))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn example(name: &str) -> String {
        let path = format!("{}/examples/sre/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn judge(name: &str) -> Check {
        evaluate(&parse(&example(name)).unwrap(), &Options::default())
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
