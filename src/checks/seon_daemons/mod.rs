//! Seon (OFTP2 / ISDN file transfer) daemons, as the Seon guide "check running
//! daemons" checks them by hand with `ps -ef | grep` and `lsof -p PID | grep
//! LISTEN`: the receive master `seonrd` once, its receivers as its children, the
//! send queue daemon `seonsqd` once (its running actions allowed), the debug
//! daemon `seondebugd` once, with Seon Enterprise the client daemon
//! `seonclientd` at least once (its children must not hold its listening
//! port), each listening where it should; and the PIDs the daemons recorded
//! must belong to running daemons, or a daemon will refuse to start.
//!
//! Process names follow [`crate::checks::proc_match`]: argv[0]'s program name,
//! else the kernel's `comm` (cut at 15 characters).

use crate::checks::proc_match::{
    describe, find_daemons, identify, port_holders, read_sockets, Daemon, Filter, Table,
};
use crate::exec::{self, ExecOptions};
use crate::output::{plural, Check, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::procs::{self, Listener, ProcessInfo};
use crate::runner::{CheckResult, Failure};
use crate::status::State;
use crate::threshold::Thresholds;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::str::FromStr;

pub const MASTER: &str = "seonrd";
pub const SEND_QUEUE: &str = "seonsqd";
pub const DEBUG: &str = "seondebugd";
pub const CLIENT: &str = "seonclientd";
/// The receivers of the guide other than the ISDN ones (`seonrd_capi_N`).
pub const DEFAULT_RECEIVERS: [&str; 2] = ["seonrd_tcpip", "seonrd_tcpip_tls"];

/// The guide's listening ports.
pub const DEFAULT_PORTS: [(&str, u16); 4] = [
    ("seonrd_tcpip", 3305),
    ("seonrd_tcpip_tls", 6619),
    (DEBUG, 10001),
    (CLIENT, 60000),
];

/// The guide's remedy for a PID recorded in the database with no daemon behind it.
pub const FORCED_MODE_HINT: &str =
    "start it in forced mode, which overrides the PID check at daemon start";

/// `--listen NAME=PORT` (or `NAME=none` to check no port for NAME).
#[derive(Debug, Clone, PartialEq)]
pub struct Listen {
    pub name: String,
    pub port: Option<u16>,
}

impl FromStr for Listen {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, port) = s
            .split_once('=')
            .ok_or_else(|| format!("'{s}' is not NAME=PORT"))?;
        let name = name.trim();
        if name.is_empty() {
            return Err(format!("'{s}' has no daemon name before '='"));
        }
        let port = match port.trim() {
            "none" | "-" => None,
            p => Some(
                p.parse::<u16>()
                    .ok()
                    .filter(|&p| p > 0)
                    .ok_or_else(|| format!("'{p}' in '{s}' is not a TCP port (1-65535)"))?,
            ),
        };
        Ok(Listen {
            name: name.to_string(),
            port,
        })
    }
}

/// Where the PIDs the daemons recorded come from.
#[derive(Debug, Clone, Default)]
pub enum PidSource {
    #[default]
    None,
    File(PathBuf),
    /// A command (split like a shell would, never run by one) printing `name pid` lines.
    Command(String),
}

pub struct Options {
    /// Every child expected under the master, ISDN receivers included.
    pub receivers: Vec<String>,
    pub enterprise: bool,
    pub listen: Vec<Listen>,
    pub filter: Filter,
    pub pid_source: PidSource,
}

impl Options {
    /// The receivers from `--receiver` (default the guide's two) and `--capi N`.
    pub fn receivers(given: &[String], capi: u32) -> Vec<String> {
        let mut list: Vec<String> = if given.is_empty() {
            DEFAULT_RECEIVERS.iter().map(|s| s.to_string()).collect()
        } else {
            given.to_vec()
        };
        list.extend((0..capi).map(|n| format!("seonrd_capi_{n}")));
        let mut seen = HashSet::new();
        list.retain(|name| seen.insert(name.clone()));
        list
    }

    /// The daemons to look for, in the guide's order.
    pub fn names(&self) -> Vec<String> {
        let mut names = vec![MASTER.to_string()];
        names.extend(self.receivers.iter().cloned());
        names.push(SEND_QUEUE.to_string());
        names.push(DEBUG.to_string());
        if self.enterprise {
            names.push(CLIENT.to_string());
        }
        names
    }

    /// The port `name` must listen on: `--listen` wins over the guide's default.
    pub fn port(&self, name: &str) -> Option<u16> {
        match self.listen.iter().rev().find(|l| l.name == name) {
            Some(l) => l.port,
            None => DEFAULT_PORTS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, p)| *p),
        }
    }
}

/// A PID a daemon recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedPid {
    pub name: String,
    pub pid: i32,
}

/// What the PID source gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    NotGiven,
    Pids {
        origin: String,
        pids: Vec<RecordedPid>,
    },
    /// The source could not be read or parsed: `state` with the reason.
    Failed {
        state: State,
        message: String,
    },
}

/// Parses `name pid` lines, liberally: `name=pid`, `name: pid`, `name,pid`,
/// `name | pid` (psql), `pid name`, several PIDs after a name; comments, blank
/// lines, a header line and psql's `(N rows)` footer are skipped; a name with no
/// PID, or PID 0, recorded nothing.
pub fn parse_recorded(text: &str) -> Result<Vec<RecordedPid>, String> {
    let mut out = Vec::new();
    let mut seen_data = false;
    // A first line of words only is a header, if data follows it.
    let mut header: Option<String> = None;
    for (number, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty()
            || line.starts_with('#')
            || line.chars().all(|c| matches!(c, '-' | '+' | '=' | ' '))
            || (line.starts_with('(') && line.ends_with(')') && line.contains("row"))
        {
            continue;
        }
        if !crate::input::is_printable_name(line) {
            return Err(format!(
                "line {}: '{}' is not text (a binary or damaged file?)",
                number + 1,
                crate::output::one_line(&crate::output::shorten(line, 40))
            ));
        }
        let words: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || matches!(c, '=' | ':' | ',' | '|' | ';'))
            .filter(|w| !w.is_empty())
            .collect();
        let (numbers, names): (Vec<&str>, Vec<&str>) = words
            .iter()
            .partition(|w| w.chars().all(|c| c.is_ascii_digit()));
        match (names.as_slice(), numbers.as_slice()) {
            ([_, ..], []) if !seen_data && header.is_none() && names.len() > 1 => {
                header = Some(format!("line {}: '{line}'", number + 1));
                continue;
            }
            ([_], []) => {} // NULL PID
            ([name], pids) => {
                for pid in pids {
                    let pid: i32 = pid
                        .parse()
                        .map_err(|_| format!("line {}: PID '{pid}' out of range", number + 1))?;
                    if pid > 0 {
                        out.push(RecordedPid {
                            name: name.to_string(),
                            pid,
                        });
                    }
                }
            }
            _ => {
                return Err(format!(
                    "line {}: '{line}' is not a daemon name and a PID",
                    number + 1
                ))
            }
        }
        seen_data = true;
    }
    match header {
        Some(line) if !seen_data => Err(format!("{line} is not a daemon name and a PID")),
        _ => Ok(out),
    }
}

fn count_perf(name: &str, count: usize, critical: &str) -> Perfdata {
    Perfdata::new(name, count as f64, Uom::None)
        .thresholds(&Thresholds::new(None, critical.parse().ok()))
        .min(0.0)
}

/// One daemon's verdict: the worst of its findings, their texts joined.
struct Finding {
    state: State,
    problems: Vec<String>,
    fine: Vec<String>,
}

impl Finding {
    fn new() -> Finding {
        Finding {
            state: State::Ok,
            problems: Vec::new(),
            fine: Vec::new(),
        }
    }

    fn add(&mut self, state: State, text: String) {
        self.state = self.state.worst(state);
        if state == State::Ok {
            self.fine.push(text);
        } else {
            self.problems.push(text);
        }
    }

    fn item(self) -> Item {
        let text = if self.problems.is_empty() {
            self.fine.join(", ")
        } else {
            self.problems.join("; ")
        };
        let mut item = Item::new(self.state, text);
        if self.state != State::Ok && !self.fine.is_empty() {
            item = item.detail(1, self.fine.join(", "));
        }
        item
    }
}

fn pids(d: &Daemon) -> String {
    if d.instances.len() == 1 {
        format!("PID {}", d.instances[0].pid)
    } else {
        format!("PIDs {}", d.pid_list())
    }
}

/// The count rule: exactly once, or at least once (`seonclientd`).
fn judge_count(d: &Daemon, role: &str, at_least: bool, f: &mut Finding) {
    match d.instances.len() {
        0 => f.add(State::Critical, format!("{} ({role}) not running", d.name)),
        1 => f.add(State::Ok, format!("{} running as {}", d.name, pids(d))),
        n if at_least => f.add(State::Ok, format!("{n} {} running ({})", d.name, pids(d))),
        n => f.add(
            State::Critical,
            format!(
                "{n} {} running ({}): race conditions between the running programs",
                d.name,
                pids(d)
            ),
        ),
    }
}

/// The port rule: a TCP socket listens on `port` and one of `holders_ok` holds it.
fn judge_port(
    d: &Daemon,
    port: u16,
    table: &Table,
    listeners: &[Listener],
    owners: &HashMap<u64, Vec<i32>>,
    holder_ok: &dyn Fn(i32) -> bool,
    f: &mut Finding,
) {
    if d.instances.is_empty() {
        return; // "not running" says it all
    }
    let holders = port_holders(listeners, owners, port);
    if !holders.listening {
        f.add(
            State::Critical,
            format!("{} not listening on port {port}", d.name),
        );
    } else if holders.pids.iter().any(|&pid| holder_ok(pid)) {
        f.add(State::Ok, format!("listening on port {port}"));
    } else if holders.pids.is_empty() {
        f.add(
            State::Unknown,
            format!(
                "port {port} listens but its holder cannot be seen (run as root or as the daemons' user)"
            ),
        );
    } else {
        let who: Vec<String> = holders.pids.iter().map(|&p| table.describe(p)).collect();
        f.add(
            State::Critical,
            format!(
                "port {port} is held by {}, not by {}",
                who.join(", "),
                d.name
            ),
        );
    }
}

/// Judges the process table, the listening sockets and the recorded PIDs.
pub fn evaluate(
    options: &Options,
    procs: &[ProcessInfo],
    listeners: &[Listener],
    owners: &HashMap<u64, Vec<i32>>,
    recorded: &Recorded,
) -> Check {
    let names = options.names();
    let table = Table::new(procs);
    let daemons = find_daemons(&table, &names, &options.filter);
    let daemon = |name: &str| {
        daemons
            .iter()
            .find(|d| d.name == name)
            .expect("every name is looked for")
    };
    let mut check = Check::new();

    // The master receive daemon.
    let master = daemon(MASTER);
    let mut f = Finding::new();
    judge_count(master, "master receive daemon", false, &mut f);
    check.item(f.item());
    check.perf(count_perf(MASTER, master.instances.len(), "1:1"));
    let master_pids = master.instance_pids();

    // Its receivers: each once, a child of the master, on its port.
    for name in &options.receivers {
        let d = daemon(name);
        let mut f = Finding::new();
        judge_count(d, "receive daemon", false, &mut f);
        for p in &d.instances {
            if !master_pids.contains(&p.ppid) {
                let parent = table.describe(p.ppid);
                f.add(
                    State::Critical,
                    format!(
                        "{name} PID {} is not a child of the {MASTER} master (its parent is {parent})",
                        p.pid
                    ),
                );
            }
        }
        if let Some(port) = options.port(name) {
            judge_port(
                d,
                port,
                &table,
                listeners,
                owners,
                &|pid| d.owns(pid),
                &mut f,
            );
        }
        check.item(f.item());
        check.perf(count_perf(name, d.instances.len(), "1:1"));
    }

    // The send queue daemon: one parent process, its running actions allowed.
    let sqd = daemon(SEND_QUEUE);
    let mut f = Finding::new();
    judge_count(sqd, "send queue daemon", false, &mut f);
    let actions: usize = sqd
        .instances
        .iter()
        .map(|p| table.children(p.pid).count())
        .sum();
    if !sqd.instances.is_empty() {
        f.add(State::Ok, format!("{} running", plural(actions, "action")));
    }
    if let Some(port) = options.port(SEND_QUEUE) {
        judge_port(
            sqd,
            port,
            &table,
            listeners,
            owners,
            &|pid| sqd.owns(pid),
            &mut f,
        );
    }
    check.item(f.item());
    check.perf(count_perf(SEND_QUEUE, sqd.instances.len(), "1:1"));
    check.perf(Perfdata::new("seonsqd_children", actions as f64, Uom::None).min(0.0));

    // The debug daemon: once, on its port.
    let debugd = daemon(DEBUG);
    let mut f = Finding::new();
    judge_count(debugd, "debug daemon", false, &mut f);
    if let Some(port) = options.port(DEBUG) {
        judge_port(
            debugd,
            port,
            &table,
            listeners,
            owners,
            &|pid| debugd.owns(pid),
            &mut f,
        );
    }
    check.item(f.item());
    check.perf(count_perf(DEBUG, debugd.instances.len(), "1:1"));

    // The Enterprise client daemon: at least once; only it holds its port.
    if options.enterprise {
        let clientd = daemon(CLIENT);
        let mut f = Finding::new();
        judge_count(clientd, "client daemon", true, &mut f);
        if let Some(port) = options.port(CLIENT) {
            let instances = clientd.instance_pids();
            judge_port(
                clientd,
                port,
                &table,
                listeners,
                owners,
                &|pid| instances.contains(&pid),
                &mut f,
            );
            let holders = port_holders(listeners, owners, port);
            for &pid in &holders.pids {
                if !instances.contains(&pid)
                    && instances.iter().any(|&i| table.descends_from(pid, i))
                {
                    f.add(
                        State::Critical,
                        format!(
                            "{CLIENT} child {} holds the client daemon's listening port {port}",
                            table.describe(pid)
                        ),
                    );
                }
            }
        }
        check.item(f.item());
        check.perf(count_perf(CLIENT, clientd.instances.len(), "1:"));
    }

    judge_recorded(recorded, &names, &table, &daemons, &mut check);

    if daemons.iter().all(|d| d.instances.is_empty()) {
        check.problem_summary(format!("no Seon daemon running ({} expected)", names.len()));
    }
    check.ok_summary(format!(
        "{} Seon daemons running, {SEND_QUEUE} with {}{}",
        names.len(),
        plural(actions, "action"),
        listening_note(options),
    ));
    check
}

fn listening_note(options: &Options) -> String {
    let ports: Vec<String> = options
        .names()
        .iter()
        .filter_map(|n| options.port(n))
        .map(|p| p.to_string())
        .collect();
    if ports.is_empty() {
        String::new()
    } else {
        format!(", listening on {}", ports.join(", "))
    }
}

fn judge_recorded(
    recorded: &Recorded,
    names: &[String],
    table: &Table,
    daemons: &[Daemon],
    check: &mut Check,
) {
    let (origin, entries) = match recorded {
        Recorded::NotGiven => return,
        Recorded::Failed { state, message } => {
            check.item(Item::new(*state, message.clone()));
            check.perf(Perfdata::unknown("stale_pids", Uom::None));
            return;
        }
        Recorded::Pids { origin, pids } => (origin, pids),
    };
    let mut stale = 0;
    for entry in entries {
        let mut known: Vec<String> = names.to_vec();
        if !known.contains(&entry.name) {
            known.push(entry.name.clone());
        }
        let now = table.get(entry.pid);
        if now.is_some_and(|p| identify(p, &known) == Some(entry.name.as_str())) {
            continue;
        }
        stale += 1;
        let what = match now {
            None => "no such process".to_string(),
            Some(p) => format!("that PID is now {}", describe(p)),
        };
        let running = daemons
            .iter()
            .find(|d| d.name == entry.name)
            .filter(|d| !d.instances.is_empty());
        let remedy = match running {
            Some(d) => format!(
                "yet {} runs as {}: the recorded PID is out of date; do not start a second {}",
                d.name,
                pids(d),
                d.name
            ),
            None => format!("{} is not running: {FORCED_MODE_HINT}", entry.name),
        };
        check.item(
            Item::new(
                State::Critical,
                format!(
                    "stale PID {} recorded for {} ({what}): {remedy}",
                    entry.pid, entry.name
                ),
            )
            .detail(1, format!("recorded PIDs from {origin}")),
        );
    }
    if entries.is_empty() {
        check.item(
            Item::new(State::Ok, "no PIDs recorded")
                .detail(1, format!("recorded PIDs from {origin}")),
        );
    } else if stale == 0 {
        check.item(
            Item::new(
                State::Ok,
                format!(
                    "{} match running daemons",
                    plural(entries.len(), "recorded PID")
                ),
            )
            .detail(1, format!("recorded PIDs from {origin}")),
        );
    }
    check.perf(
        Perfdata::new("stale_pids", stale as f64, Uom::None)
            .thresholds(&Thresholds::new(None, "0".parse().ok()))
            .min(0.0),
    );
}

/// Reads the recorded PIDs; failures become a CRITICAL (command failed: the
/// database cannot be asked) or UNKNOWN (unreadable, unparsable) finding.
pub fn read_recorded(source: &PidSource) -> Recorded {
    let (origin, text) = match source {
        PidSource::None => return Recorded::NotGiven,
        PidSource::File(path) => {
            crate::timeout::set_activity(format!("reading {}", path.display()));
            match crate::checks::proc_match::read_list(path) {
                Ok(text) => (format!("file {}", path.display()), text),
                Err(e) => {
                    return Recorded::Failed {
                        state: State::Unknown,
                        message: format!("cannot read the PID file {}: {e}", path.display()),
                    }
                }
            }
        }
        PidSource::Command(command) => {
            let result = exec::split_command(command)
                .and_then(|argv| exec::run(&argv, &ExecOptions::default()).map(|o| (argv, o)));
            match result {
                Err(failure) => {
                    return Recorded::Failed {
                        state: failure.state,
                        message: format!("cannot read the recorded PIDs: {}", failure.message),
                    }
                }
                Ok((argv, out)) if !out.status.success() => {
                    return Recorded::Failed {
                        state: State::Critical,
                        message: format!(
                            "cannot read the recorded PIDs: '{}' failed ({}): {}",
                            argv[0],
                            out.describe_status(),
                            out.first_error_line()
                        ),
                    }
                }
                Ok((_, out)) => (format!("command '{command}'"), out.stdout),
            }
        }
    };
    match parse_recorded(&text) {
        Ok(pids) => Recorded::Pids { origin, pids },
        Err(e) => Recorded::Failed {
            state: State::Unknown,
            message: format!("cannot parse the recorded PIDs from {origin}: {e}"),
        },
    }
}

/// A `--listen` for a daemon this check never looks at is a typo: say so
/// rather than check nothing (`seonclientd` is accepted without `--enterprise`).
pub fn validate(options: &Options) -> Result<(), Failure> {
    // A name no program can have would page "not running" forever (and an
    // empty one breaks the perfdata).
    if let Some(bad) = options
        .receivers
        .iter()
        .find(|r| r.is_empty() || r.contains(char::is_whitespace))
    {
        return Err(Failure::unknown(format!(
            "--receiver '{bad}': not a program name (empty or with blanks)"
        )));
    }
    let names = options.names();
    for listen in &options.listen {
        if !names.contains(&listen.name) && listen.name != CLIENT {
            return Err(Failure::unknown(format!(
                "--listen {}: not a daemon this check looks at ({})",
                listen.name,
                names.join(", ")
            )));
        }
    }
    Ok(())
}

/// Reads the process table, the sockets and the recorded PIDs, and judges them.
pub fn check(options: &Options) -> CheckResult {
    validate(options)?;
    // The recorded PIDs first: a daemon that starts while the source is read
    // (a database query can take seconds) is then in the process table, not
    // taken for a stale PID.
    let recorded = read_recorded(&options.pid_source);
    crate::timeout::set_activity("reading the process table");
    let procs = procs::snapshot()
        .map_err(|e| Failure::unknown(format!("cannot read the process table: {e}")))?;
    let names = options.names();
    // The sockets of the daemons and of everything they started.
    let mut candidates: HashSet<i32> = procs
        .iter()
        .filter(|p| identify(p, &names).is_some())
        .map(|p| p.pid)
        .collect();
    loop {
        let before = candidates.len();
        candidates.extend(
            procs
                .iter()
                .filter(|p| candidates.contains(&p.ppid))
                .map(|p| p.pid)
                .collect::<Vec<_>>(),
        );
        if candidates.len() == before {
            break;
        }
    }
    let mut ports: Vec<u16> = names.iter().filter_map(|n| options.port(n)).collect();
    ports.sort_unstable();
    ports.dedup();
    let (listeners, owners) = read_sockets(&candidates, &ports)
        .map_err(|e| Failure::unknown(format!("cannot read the listening sockets: {e}")))?;
    Ok(evaluate(options, &procs, &listeners, &owners, &recorded))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::proc_match::tests::{listener, proc};

    fn options() -> Options {
        Options {
            receivers: Options::receivers(&[], 1),
            enterprise: false,
            listen: Vec::new(),
            filter: Filter::default(),
            pid_source: PidSource::None,
        }
    }

    /// The guide's `ps -ef` output, with the sockets `lsof` showed.
    fn guide_table() -> (Vec<ProcessInfo>, Vec<Listener>, HashMap<u64, Vec<i32>>) {
        let procs = vec![
            proc(1, 0, "init", &["/sbin/init"]),
            proc(3771, 1, "seonrd", &["/opt/seon/bin/seonrd"]),
            proc(3772, 3771, "seonrd", &["seonrd_tcpip        "]),
            proc(3773, 3771, "seonrd", &["seonrd_tcpip_tls    "]),
            proc(3774, 3771, "seonrd", &["seonrd_capi_0       "]),
            proc(3823, 1, "seonsqd", &["/opt/seon/bin/seonsqd"]),
            proc(4724, 1, "seondebugd", &["/opt/seon/bin/seondebugd"]),
            proc(4979, 1, "seonclientd", &["/opt/seon/bin/seonclientd"]),
        ];
        let listeners = vec![
            listener(3305, 84960962, false),
            listener(6619, 84960964, false),
            listener(10001, 84970858, false),
            listener(60000, 84639858, true),
        ];
        let owners = HashMap::from([
            (84960962, vec![3772]),
            (84960964, vec![3773]),
            (84970858, vec![4724]),
            (84639858, vec![4979]),
        ]);
        (procs, listeners, owners)
    }

    fn run(
        options: &Options,
        t: &(Vec<ProcessInfo>, Vec<Listener>, HashMap<u64, Vec<i32>>),
    ) -> (State, String) {
        let check = evaluate(options, &t.0, &t.1, &t.2, &Recorded::NotGiven);
        (check.state(), check.render_text("SEON_DAEMONS", 1))
    }

    #[test]
    fn the_guides_normal_situation_is_ok() {
        let (state, text) = run(&options(), &guide_table());
        assert_eq!(state, State::Ok, "{text}");
        let first = text.lines().next().unwrap();
        assert_eq!(
            first,
            "SEON_DAEMONS OK - 6 Seon daemons running, seonsqd with 0 actions, listening on 3305, 6619, 10001 \
             | seonrd=1;;1:1;0 seonrd_tcpip=1;;1:1;0 seonrd_tcpip_tls=1;;1:1;0 seonrd_capi_0=1;;1:1;0 seonsqd=1;;1:1;0 seonsqd_children=0;;;0 seondebugd=1;;1:1;0"
        );
        assert!(text.contains("[OK] seonrd_tcpip_tls running as PID 3773, listening on port 6619"));
        let mut enterprise = options();
        enterprise.enterprise = true;
        let (state, text) = run(&enterprise, &guide_table());
        assert_eq!(state, State::Ok, "{text}");
        assert!(text.contains("seonclientd=1;;1:;0"), "{text}");
    }

    #[test]
    fn a_missing_child_is_critical() {
        let mut t = guide_table();
        t.0.retain(|p| p.pid != 3774);
        let (state, text) = run(&options(), &t);
        assert_eq!(state, State::Critical);
        assert!(
            text.starts_with(
                "SEON_DAEMONS CRITICAL - seonrd_capi_0 (receive daemon) not running |"
            ),
            "{text}"
        );
        assert!(text.contains("seonrd_capi_0=0;;1:1;0"), "{text}");
        // More ISDN controllers, more children expected.
        let mut two = options();
        two.receivers = Options::receivers(&[], 2);
        let (state, text) = run(&two, &guide_table());
        assert_eq!(state, State::Critical);
        assert!(
            text.contains("seonrd_capi_1 (receive daemon) not running"),
            "{text}"
        );
    }

    #[test]
    fn a_second_master_is_critical_with_the_race_warning() {
        let mut t = guide_table();
        t.0.push(proc(5000, 1, "seonrd", &["/opt/seon/bin/seonrd", "-f"]));
        let (state, text) = run(&options(), &t);
        assert_eq!(state, State::Critical);
        assert!(
            text.contains(
                "2 seonrd running (PIDs 3771, 5000): race conditions between the running programs"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_child_of_another_parent_is_critical() {
        let mut t = guide_table();
        t.0.iter_mut().find(|p| p.pid == 3773).unwrap().ppid = 1;
        let (state, text) = run(&options(), &t);
        assert_eq!(state, State::Critical);
        assert!(
            text.contains("seonrd_tcpip_tls PID 3773 is not a child of the seonrd master (its parent is PID 1 (init))"),
            "{text}"
        );
    }

    #[test]
    fn ports_not_listening_held_by_others_or_unseen() {
        let mut t = guide_table();
        t.1.retain(|l| l.port != 3305);
        let (state, text) = run(&options(), &t);
        assert_eq!(state, State::Critical);
        assert!(
            text.contains("seonrd_tcpip not listening on port 3305"),
            "{text}"
        );

        let mut t = guide_table();
        t.2.insert(84960964, vec![3771]);
        let (state, text) = run(&options(), &t);
        assert_eq!(state, State::Critical);
        assert!(
            text.contains("port 6619 is held by PID 3771 (seonrd), not by seonrd_tcpip_tls"),
            "{text}"
        );

        let mut t = guide_table();
        t.2.remove(&84970858);
        let (state, text) = run(&options(), &t);
        assert_eq!(state, State::Unknown);
        assert!(
            text.contains("port 10001 listens but its holder cannot be seen"),
            "{text}"
        );

        // --listen moves a port; none drops it.
        let mut moved = options();
        moved.listen = vec!["seondebugd=10002".parse().unwrap()];
        assert!(run(&moved, &guide_table())
            .1
            .contains("seondebugd not listening on port 10002"));
        moved.listen.push("seondebugd=none".parse().unwrap());
        assert_eq!(run(&moved, &guide_table()).0, State::Ok);
    }

    #[test]
    fn send_queue_actions_are_counted_not_alarmed() {
        let mut t = guide_table();
        t.0.push(proc(3900, 3823, "seonsqd", &["/opt/seon/bin/seonsqd"]));
        t.0.push(proc(3901, 3823, "seonsend", &["seonsend", "partner1"]));
        let (state, text) = run(&options(), &t);
        assert_eq!(state, State::Ok, "{text}");
        assert!(
            text.contains("seonsqd=1;;1:1;0 seonsqd_children=2;;;0"),
            "{text}"
        );
        assert!(text.contains("seonsqd with 2 actions"), "{text}");
        // A second seonsqd started on its own is not an action.
        t.0.push(proc(3950, 1, "seonsqd", &["seonsqd"]));
        assert_eq!(run(&options(), &t).0, State::Critical);
    }

    #[test]
    fn a_client_daemon_child_holding_the_port_is_critical() {
        let mut enterprise = options();
        enterprise.enterprise = true;
        let mut t = guide_table();
        t.0.push(proc(
            4990,
            4979,
            "seonclientd",
            &["/opt/seon/bin/seonclientd"],
        ));
        t.0.push(proc(4991, 4979, "seonjob", &["seonjob", "42"]));
        assert_eq!(run(&enterprise, &t).0, State::Ok, "children allowed");
        t.2.insert(84639858, vec![4979, 4991]);
        let (state, text) = run(&enterprise, &t);
        assert_eq!(state, State::Critical);
        assert!(
            text.contains("seonclientd child PID 4991 (seonjob) holds the client daemon's listening port 60000"),
            "{text}"
        );
        // Several client daemons are fine ("at least once").
        let mut t = guide_table();
        t.0.push(proc(4999, 1, "seonclientd", &["seonclientd"]));
        assert_eq!(run(&enterprise, &t).0, State::Ok);
        t.0.retain(|p| !p.comm.starts_with("seonclientd"));
        assert!(run(&enterprise, &t)
            .1
            .contains("seonclientd (client daemon) not running"));
    }

    #[test]
    fn user_filter_ignores_other_users_copies() {
        let mut t = guide_table();
        let mut copy = proc(6000, 1, "seonrd", &["/home/dev/seon/bin/seonrd"]);
        copy.uid = 1000;
        t.0.push(copy);
        assert_eq!(run(&options(), &t).0, State::Critical);
        let mut only = options();
        only.filter.user = Some("33".parse().unwrap());
        assert_eq!(run(&only, &t).0, State::Ok);
    }

    #[test]
    fn stale_pids() {
        let t = guide_table();
        let recorded = |text: &str| Recorded::Pids {
            origin: "test".into(),
            pids: parse_recorded(text).unwrap(),
        };
        let eval = |r: &Recorded| {
            let c = evaluate(&options(), &t.0, &t.1, &t.2, r);
            (c.state(), c.render_text("S", 0))
        };
        let (state, text) = eval(&recorded("seonrd 3771\nseonrd_tcpip 3772\nseonsqd 3823\n"));
        assert_eq!(state, State::Ok, "{text}");
        assert!(
            text.contains("3 recorded PIDs match running daemons"),
            "{text}"
        );
        assert!(text.contains("stale_pids=0;;0;0"), "{text}");

        // The guide's critical situation: a PID in the database, no process.
        let mut gone = t.clone();
        gone.0.retain(|p| p.pid != 3823);
        let c = evaluate(
            &options(),
            &gone.0,
            &gone.1,
            &gone.2,
            &recorded("seonsqd 3823"),
        );
        let text = c.render_text("S", 0);
        assert_eq!(c.state(), State::Critical);
        assert!(
            text.contains("stale PID 3823 recorded for seonsqd (no such process): seonsqd is not running: start it in forced mode"),
            "{text}"
        );
        assert!(text.contains("stale_pids=1;;0;0"), "{text}");

        // The PID now belongs to another program, while the daemon runs elsewhere.
        let (state, text) = eval(&recorded("seondebugd 3772"));
        assert_eq!(state, State::Critical);
        assert!(
            text.contains("stale PID 3772 recorded for seondebugd (that PID is now PID 3772 (seonrd_tcpip)): yet seondebugd runs as PID 4724"),
            "{text}"
        );
        // A receiver's PID is not the master's, though its comm is seonrd.
        assert_eq!(eval(&recorded("seonrd 3772")).0, State::Critical);

        let failed = Recorded::Failed {
            state: State::Critical,
            message: "cannot read the recorded PIDs: 'psql' failed".into(),
        };
        let (state, text) = eval(&failed);
        assert_eq!(state, State::Critical);
        assert!(text.contains("stale_pids=U"), "{text}");
    }

    #[test]
    fn recorded_pid_formats() {
        let r = |name: &str, pid| RecordedPid {
            name: name.into(),
            pid,
        };
        assert_eq!(
            parse_recorded("# from the database\n\nseonrd 3771\nseonsqd=3823\n seondebugd : 4724 \n3772 seonrd_tcpip\nseonrd_capi_0,3774\n").unwrap(),
            vec![r("seonrd", 3771), r("seonsqd", 3823), r("seondebugd", 4724), r("seonrd_tcpip", 3772), r("seonrd_capi_0", 3774)]
        );
        // psql's aligned output, with a NULL and a zero PID.
        let psql = " daemon      | pid\n-------------+------\n seonrd      | 3771\n seonsqd     |\n seondebugd  | 0\n(3 rows)\n";
        assert_eq!(parse_recorded(psql).unwrap(), vec![r("seonrd", 3771)]);
        assert_eq!(
            parse_recorded("seonsqd 1 2").unwrap(),
            vec![r("seonsqd", 1), r("seonsqd", 2)]
        );
        assert_eq!(parse_recorded("").unwrap(), vec![]);
        assert!(
            parse_recorded("seonrd 3771\nERROR: relation does not exist")
                .unwrap_err()
                .contains("line 2")
        );
        assert!(parse_recorded("3771").is_err());
        assert!(parse_recorded("ERROR: no such table")
            .unwrap_err()
            .contains("line 1: 'ERROR: no such table' is not"));
        assert!(parse_recorded("seonrd 99999999999").is_err());
    }

    #[test]
    fn listen_option() {
        assert_eq!(
            "seonrd_tcpip=3306".parse::<Listen>().unwrap(),
            Listen {
                name: "seonrd_tcpip".into(),
                port: Some(3306)
            }
        );
        assert_eq!("x=none".parse::<Listen>().unwrap().port, None);
        assert!("x=0".parse::<Listen>().is_err());
        assert!("x=70000".parse::<Listen>().unwrap_err().contains("70000"));
        assert!("3305".parse::<Listen>().is_err());
        let mut o = options();
        assert_eq!(o.port("seonrd_tcpip_tls"), Some(6619));
        assert_eq!(o.port("seonrd_capi_0"), None);
        o.listen = vec!["seonrd_capi_0=7000".parse().unwrap()];
        assert_eq!(o.port("seonrd_capi_0"), Some(7000));
        assert!(validate(&o).is_ok());
        o.listen.push("seonclientd=60001".parse().unwrap());
        assert!(
            validate(&o).is_ok(),
            "clientd's port may be set without --enterprise"
        );
        let mut blank = options();
        blank.receivers = Options::receivers(&["".into()], 0);
        assert!(validate(&blank)
            .unwrap_err()
            .message
            .contains("--receiver ''"));
        blank.receivers = Options::receivers(&["seonrd tcpip".into()], 0);
        assert!(validate(&blank).is_err());
        o.listen.push("seonrd_tcip=3305".parse().unwrap());
        assert!(validate(&o)
            .unwrap_err()
            .message
            .contains("--listen seonrd_tcip: not a daemon this check looks at"));
        assert_eq!(
            Options::receivers(&["seonrd_x".into()], 2),
            vec!["seonrd_x", "seonrd_capi_0", "seonrd_capi_1"]
        );
    }

    #[test]
    fn binary_garbage_is_not_a_name() {
        assert!(parse_recorded("seonrd\u{0} 123\n")
            .unwrap_err()
            .contains("is not text"));
    }
}
