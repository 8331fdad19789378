//! The daemons in the process table, each by the guide's rule for it: the
//! receive master `seonrd` once; each receiver once, a child of the master;
//! the send queue daemon `seonsqd` once (its actions counted, never alarmed);
//! the debug daemon once; with Enterprise the client daemon at least once, no
//! child of it holding its port. Each on its listening port.

use super::recorded::{judge_recorded, Recorded};
use super::{Options, CLIENT, DEBUG, MASTER, SEND_QUEUE};
use crate::output::{plural, Check, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::proc_match::{find_daemons, port_holders, Daemon, Table};
use crate::procs::{Listener, ProcessInfo};
use crate::status::State;
use crate::threshold::Thresholds;
use std::collections::HashMap;

/// A daemon's instance count, with the range its count rule means (`1:1`
/// exactly once, `1:` at least once); the daemon's finding, with its text,
/// gives the state.
fn count_perf(name: &str, count: usize, critical: &str) -> Perfdata {
    Thresholds::new(None, critical.parse().ok())
        .judge(name, count as f64, Uom::None)
        .min(0.0)
        .perfdata
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

pub(super) fn pids(d: &Daemon) -> String {
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
    let scene = Scene {
        options,
        table: &table,
        listeners,
        owners,
    };
    let mut check = Check::new();

    let master = daemon(MASTER);
    scene.master(master, &mut check);
    let master_pids = master.instance_pids();
    for name in &options.receivers {
        scene.receiver(daemon(name), &master_pids, &mut check);
    }
    let actions = scene.send_queue(daemon(SEND_QUEUE), &mut check);
    scene.debug(daemon(DEBUG), &mut check);
    if options.enterprise {
        scene.client(daemon(CLIENT), &mut check);
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

/// What each daemon is judged against: the options, the process table and
/// the listening sockets with the processes holding them.
struct Scene<'a> {
    options: &'a Options,
    table: &'a Table<'a>,
    listeners: &'a [Listener],
    owners: &'a HashMap<u64, Vec<i32>>,
}

impl Scene<'_> {
    /// The port rule for `d`, when it has a port (`--listen` or the guide's).
    fn port(&self, d: &Daemon, holder_ok: &dyn Fn(i32) -> bool, f: &mut Finding) {
        if let Some(port) = self.options.port(&d.name) {
            judge_port(
                d,
                port,
                self.table,
                self.listeners,
                self.owners,
                holder_ok,
                f,
            );
        }
    }

    /// The master receive daemon: exactly once.
    fn master(&self, master: &Daemon, check: &mut Check) {
        let mut f = Finding::new();
        judge_count(master, "master receive daemon", false, &mut f);
        check.item(f.item());
        check.perf(count_perf(MASTER, master.instances.len(), "1:1"));
    }

    /// A receiver: once, a child of the master, on its port.
    fn receiver(&self, d: &Daemon, master_pids: &[i32], check: &mut Check) {
        let name = &d.name;
        let mut f = Finding::new();
        judge_count(d, "receive daemon", false, &mut f);
        for p in &d.instances {
            if !master_pids.contains(&p.ppid) {
                let parent = self.table.describe(p.ppid);
                f.add(
                    State::Critical,
                    format!(
                        "{name} PID {} is not a child of the {MASTER} master (its parent is {parent})",
                        p.pid
                    ),
                );
            }
        }
        self.port(d, &|pid| d.owns(pid), &mut f);
        check.item(f.item());
        check.perf(count_perf(name, d.instances.len(), "1:1"));
    }

    /// The send queue daemon: one parent process, its running actions
    /// allowed (counted, returned for the summary).
    fn send_queue(&self, sqd: &Daemon, check: &mut Check) -> usize {
        let mut f = Finding::new();
        judge_count(sqd, "send queue daemon", false, &mut f);
        let actions: usize = sqd
            .instances
            .iter()
            .map(|p| self.table.children(p.pid).count())
            .sum();
        if !sqd.instances.is_empty() {
            f.add(State::Ok, format!("{} running", plural(actions, "action")));
        }
        self.port(sqd, &|pid| sqd.owns(pid), &mut f);
        check.item(f.item());
        check.perf(count_perf(SEND_QUEUE, sqd.instances.len(), "1:1"));
        check.perf(Perfdata::new("seonsqd_children", actions as f64, Uom::None).min(0.0));
        actions
    }

    /// The debug daemon: once, on its port.
    fn debug(&self, debugd: &Daemon, check: &mut Check) {
        let mut f = Finding::new();
        judge_count(debugd, "debug daemon", false, &mut f);
        self.port(debugd, &|pid| debugd.owns(pid), &mut f);
        check.item(f.item());
        check.perf(count_perf(DEBUG, debugd.instances.len(), "1:1"));
    }

    /// The Enterprise client daemon: at least once; only it holds its port,
    /// none of its children.
    fn client(&self, clientd: &Daemon, check: &mut Check) {
        let mut f = Finding::new();
        judge_count(clientd, "client daemon", true, &mut f);
        if let Some(port) = self.options.port(CLIENT) {
            let instances = clientd.instance_pids();
            judge_port(
                clientd,
                port,
                self.table,
                self.listeners,
                self.owners,
                &|pid| instances.contains(&pid),
                &mut f,
            );
            let holders = port_holders(self.listeners, self.owners, port);
            for &pid in &holders.pids {
                if !instances.contains(&pid)
                    && instances.iter().any(|&i| self.table.descends_from(pid, i))
                {
                    f.add(
                        State::Critical,
                        format!(
                            "{CLIENT} child {} holds the client daemon's listening port {port}",
                            self.table.describe(pid)
                        ),
                    );
                }
            }
        }
        check.item(f.item());
        check.perf(count_perf(CLIENT, clientd.instances.len(), "1:"));
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::seon_daemons::tests::{guide_table, options, run};
    use crate::proc_match::tests::proc;

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
}
