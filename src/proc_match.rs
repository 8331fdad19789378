//! Finding daemons in the process table, shared by `check_seon_daemons`,
//! `check_iepm_servers` and `check_iepm_hung`: which program a process runs,
//! which of the expected daemons it is, its instances and its forked workers,
//! who its parent is, and which process holds a listening socket.
//!
//! Everything here is pure (it works on a [`ProcessInfo`] table and socket maps
//! read once by the caller), except [`read_sockets`], which reads `/proc`.
//!
//! # How a process is named
//!
//! `ps -ef` shows a process's command line, and that is what the operators'
//! guides grep. A process **is** daemon `NAME` when
//!
//! 1. the program name of its command line is `NAME`: the last path component of
//!    the first word of argv[0] (a daemon that sets its argv[0] to its role name,
//!    `seonrd_tcpip        ` padded with spaces, or `seonrd: master`, is seen by
//!    that name), or — when argv[0] is an interpreter (`perl`, `python3`, `sh`…) —
//!    of the script it runs (`perl /home/iepm/v3src/bin/map-updated`); or
//! 2. its program name is none of the names being looked for, and its kernel
//!    name (`comm`, which Linux cuts at 15 characters: `seonrd_tcpip_tl`) is
//!    `NAME` cut the same way.
//!
//! Rule 2 never overrides rule 1: the Seon receivers are forks of `seonrd` that
//! keep the kernel name `seonrd` but set argv[0] to their role, and must not be
//! counted as extra masters. Processes without a command line (kernel threads,
//! zombies) are never a daemon: a defunct daemon is not running.

use crate::procs::{self, Listener, ProcessInfo, Protocol};
use std::collections::{HashMap, HashSet};
use std::ffi::CString;
use std::fmt;
use std::str::FromStr;

/// The most a configuration or PID file may hold: these are a few lines, and a
/// wrong path (a log, `/dev/zero`) must not fill the memory before the timeout.
pub const LIST_LIMIT: u64 = 1024 * 1024;

/// Reads a configuration or PID file of at most [`LIST_LIMIT`] bytes, as lossy
/// UTF-8 (a Latin-1 comment is no reason to stop checking), without a BOM.
pub fn read_list(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(LIST_LIMIT + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > LIST_LIMIT {
        return Err(std::io::Error::other(format!(
            "larger than {LIST_LIMIT} bytes: not a list"
        )));
    }
    // A byte-order mark from a Windows editor would glue itself to the first
    // entry's name, which then never matches.
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

/// Linux's `TASK_COMM_LEN` minus the terminating NUL.
pub const COMM_LEN: usize = 15;

/// `name` as the kernel keeps it in `comm`.
pub fn comm_of(name: &str) -> &str {
    match name.char_indices().nth(COMM_LEN) {
        Some((cut, _)) => &name[..cut],
        None => name,
    }
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Interpreters whose script, not themselves, names the program.
fn is_interpreter(name: &str) -> bool {
    const SHELLS: [&str; 9] = [
        "sh", "bash", "dash", "ksh", "zsh", "csh", "tcsh", "tclsh", "wish",
    ];
    const FAMILIES: [&str; 4] = ["perl", "python", "ruby", "php"];
    SHELLS.contains(&name)
        || FAMILIES.iter().any(|f| {
            name.strip_prefix(f)
                .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
        })
}

/// The script an interpreter runs: its first argument that is not an option,
/// unless the code comes from an option (`-c`, `-e`, `-m`) or standard input.
fn script_argument(args: &[String]) -> Option<&str> {
    for arg in args {
        match arg.as_str() {
            "-c" | "-e" | "-E" | "-m" | "-" | "--" => return None,
            a if a.starts_with('-') => continue,
            a => return Some(a),
        }
    }
    None
}

/// The program a process runs, as a person reads it in `ps -ef`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Program<'a> {
    /// The last path component, e.g. `seonrd`.
    pub name: &'a str,
    /// The path as started, e.g. `/opt/seon/bin/seonrd` or `bin/owampd`.
    pub path: &'a str,
}

/// The program of a process, or `None` without a command line.
pub fn program(p: &ProcessInfo) -> Option<Program<'_>> {
    let first = p.argv.first()?.split_whitespace().next()?;
    let path = first.trim_end_matches(':');
    let name = basename(path);
    if is_interpreter(name) {
        if let Some(script) = script_argument(&p.argv[1..]) {
            let script = script.split_whitespace().next().unwrap_or(script);
            return Some(Program {
                name: basename(script),
                path: script,
            });
        }
    }
    Some(Program { name, path })
}

/// Which of `names` the process is, by the rules in the module documentation.
pub fn identify<'n, S: AsRef<str>>(p: &ProcessInfo, names: &'n [S]) -> Option<&'n str> {
    let program = program(p)?;
    if let Some(name) = names.iter().find(|n| n.as_ref() == program.name) {
        return Some(name.as_ref());
    }
    names
        .iter()
        .find(|n| comm_of(n.as_ref()) == p.comm)
        .map(|n| n.as_ref())
}

/// True when `pattern` names a process title (`postgres: walsender`) rather
/// than a program: it holds `: `.
pub fn is_title(pattern: &str) -> bool {
    pattern.contains(": ")
}

/// True when process `p` has the title `pattern`: `PROGRAM: WORDS`.
///
/// Forking servers rewrite their command line to `PROGRAM: ROLE details`
/// (PostgreSQL's `postgres: walsender repmgr 10.0.161.181(40814) streaming`).
/// The title matches when its program is PROGRAM and its words after
/// `PROGRAM:` begin with WORDS, whole words only (`postgres: sre` is not
/// `postgres: sremgr`); one `NAME:` word may come between, as PostgreSQL puts
/// its `cluster_name` there (`postgres: 14/main: walsender …`).
pub fn title_matches(p: &ProcessInfo, pattern: &str) -> bool {
    let Some((prog, role)) = pattern.split_once(':') else {
        return false;
    };
    let role: Vec<&str> = role.split_whitespace().collect();
    if role.is_empty() || program(p).is_none_or(|found| found.name != prog.trim()) {
        return false;
    }
    let title = p.argv.join(" ");
    let mut words = title.split_whitespace();
    if !words.next().is_some_and(|first| first.ends_with(':')) {
        return false;
    }
    let rest: Vec<&str> = words.collect();
    let begins = |w: &[&str]| w.len() >= role.len() && w[..role.len()] == role[..];
    begins(&rest) || (rest.first().is_some_and(|w| w.ends_with(':')) && begins(&rest[1..]))
}

/// `--user NAME|UID`: the owner a process must have to be counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The user ID a process's real UID must equal.
    pub uid: u32,
    /// As given on the command line, for messages.
    pub given: String,
}

impl FromStr for User {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let given = s.trim().to_string();
        if let Ok(uid) = given.parse::<u32>() {
            return Ok(User { uid, given });
        }
        let uid = lookup_user(&given).ok_or_else(|| format!("no such user '{given}'"))?;
        Ok(User { uid, given })
    }
}

impl fmt::Display for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.given)
    }
}

/// The UID of a user name, from the system's user database (files, LDAP...).
fn lookup_user(name: &str) -> Option<u32> {
    let c_name = CString::new(name).ok()?;
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call; getpwnam_r writes only into pwd and buf.
    let rc = unsafe {
        libc::getpwnam_r(
            c_name.as_ptr(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    (rc == 0 && !result.is_null()).then_some(pwd.pw_uid)
}

/// Which processes count: all, or only one user's.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this user's processes count (`--user`); all users when unset.
    pub user: Option<User>,
}

impl Filter {
    /// True when `p` passes the filter.
    pub fn admits(&self, p: &ProcessInfo) -> bool {
        self.user.as_ref().is_none_or(|u| u.uid == p.uid)
    }
}

/// The process table indexed by PID.
pub struct Table<'a> {
    procs: &'a [ProcessInfo],
    index: HashMap<i32, usize>,
}

impl<'a> Table<'a> {
    /// Indexes `procs` by PID.
    pub fn new(procs: &'a [ProcessInfo]) -> Table<'a> {
        let index = procs.iter().enumerate().map(|(i, p)| (p.pid, i)).collect();
        Table { procs, index }
    }

    /// Every process, in the order read.
    pub fn all(&self) -> &'a [ProcessInfo] {
        self.procs
    }

    /// The process `pid`, if it was in the table.
    pub fn get(&self, pid: i32) -> Option<&'a ProcessInfo> {
        self.index.get(&pid).map(|&i| &self.procs[i])
    }

    /// `p`'s parent, if it was in the table.
    pub fn parent(&self, p: &ProcessInfo) -> Option<&'a ProcessInfo> {
        self.get(p.ppid)
    }

    /// The direct children of `pid`.
    pub fn children(&self, pid: i32) -> impl Iterator<Item = &'a ProcessInfo> + '_ {
        self.procs
            .iter()
            .filter(move |p| p.ppid == pid && p.pid != pid)
    }

    /// True when `pid` descends from `ancestor` (not when they are the same process).
    pub fn descends_from(&self, pid: i32, ancestor: i32) -> bool {
        let mut current = self.get(pid);
        // The depth bound guards against a table read while PIDs were reused.
        for _ in 0..self.procs.len().min(4096) {
            let Some(p) = current else { return false };
            if p.ppid == ancestor {
                return true;
            }
            if p.ppid <= 0 || p.ppid == p.pid {
                return false;
            }
            current = self.get(p.ppid);
        }
        false
    }

    /// `PID 3772 (seonrd_tcpip)`: how messages name a process.
    pub fn describe(&self, pid: i32) -> String {
        match self.get(pid) {
            Some(p) => describe(p),
            None => format!("PID {pid}"),
        }
    }
}

/// `PID 3772 (seonrd_tcpip)`.
pub fn describe(p: &ProcessInfo) -> String {
    let name = program(p).map_or(p.comm.as_str(), |prog| prog.name);
    format!("PID {} ({name})", p.pid)
}

/// The processes of one daemon.
#[derive(Debug, Clone)]
pub struct Daemon<'a> {
    /// The daemon's name as expected (`seonrd`, `bw-iperf-server`).
    pub name: String,
    /// Processes of this daemon with no ancestor of the same daemon: each one
    /// was started on its own, so two of them are two daemons.
    pub instances: Vec<&'a ProcessInfo>,
    /// Processes of this daemon started by an instance, directly or through
    /// another program (pre-forked workers, running actions that kept the
    /// name, an action run through `sh -c`): part of their instance.
    pub forks: Vec<&'a ProcessInfo>,
}

impl Daemon<'_> {
    /// The PIDs of its instances.
    pub fn instance_pids(&self) -> Vec<i32> {
        self.instances.iter().map(|p| p.pid).collect()
    }

    /// Its instances' PIDs for a message: `101, 202`.
    pub fn pid_list(&self) -> String {
        self.instances
            .iter()
            .map(|p| p.pid.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// True when `pid` is one of this daemon's processes.
    pub fn owns(&self, pid: i32) -> bool {
        self.instances
            .iter()
            .chain(&self.forks)
            .any(|p| p.pid == pid)
    }
}

/// True when an ancestor of `p` is daemon `name`: `p` was started by the daemon,
/// directly (a fork) or through another program (an action run by `system()`,
/// i.e. `sh -c`), not on its own.
fn forked_by(table: &Table, identities: &HashMap<i32, &str>, p: &ProcessInfo, name: &str) -> bool {
    let mut current = p;
    // The depth bound guards against a table read while PIDs were reused.
    for _ in 0..64 {
        if current.ppid <= 0 || current.ppid == current.pid {
            return false;
        }
        let Some(parent) = table.get(current.ppid) else {
            return false;
        };
        if identities.get(&parent.pid) == Some(&name) {
            return true;
        }
        current = parent;
    }
    false
}

/// Finds each of `names` in the table, counting only processes `filter` admits.
/// The result is in the order of `names`.
pub fn find_daemons<'a, S: AsRef<str>>(
    table: &Table<'a>,
    names: &[S],
    filter: &Filter,
) -> Vec<Daemon<'a>> {
    let identities: HashMap<i32, &str> = table
        .all()
        .iter()
        .filter_map(|p| identify(p, names).map(|n| (p.pid, n)))
        .collect();
    let mut daemons: Vec<Daemon<'a>> = names
        .iter()
        .map(|n| Daemon {
            name: n.as_ref().to_string(),
            instances: Vec::new(),
            forks: Vec::new(),
        })
        .collect();
    for p in table.all() {
        let Some(&name) = identities.get(&p.pid) else {
            continue;
        };
        if !filter.admits(p) {
            continue;
        }
        let Some(daemon) = daemons.iter_mut().find(|d| d.name == name) else {
            continue;
        };
        if forked_by(table, &identities, p, name) {
            daemon.forks.push(p);
        } else {
            daemon.instances.push(p);
        }
    }
    daemons
}

/// Who listens on a TCP port (any address, IPv4 or IPv6).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PortHolders {
    /// True when a TCP socket listens on the port.
    pub listening: bool,
    /// The PIDs holding a listening socket of the port open, sorted.
    pub pids: Vec<i32>,
}

/// Who holds TCP `port` in LISTEN: the PIDs owning each listening socket's inode.
pub fn port_holders(
    listeners: &[Listener],
    owners: &HashMap<u64, Vec<i32>>,
    port: u16,
) -> PortHolders {
    let mut holders = PortHolders::default();
    for l in listeners
        .iter()
        .filter(|l| l.protocol == Protocol::Tcp && l.port == port)
    {
        holders.listening = true;
        if let Some(pids) = owners.get(&l.inode) {
            holders.pids.extend(pids);
        }
    }
    holders.pids.sort_unstable();
    holders.pids.dedup();
    holders
}

/// Socket inode → the PIDs holding it, as [`procs::socket_owners`] gives it.
pub type SocketOwners = HashMap<u64, Vec<i32>>;

/// Reads the TCP listeners on `ports` and who holds them. The descriptors of
/// `candidates` are read first; only when a listening socket is held by none
/// of them are all processes' descriptors read, to name the holder.
pub fn read_sockets(
    candidates: &HashSet<i32>,
    ports: &[u16],
) -> std::io::Result<(Vec<Listener>, SocketOwners)> {
    crate::timeout::set_activity("reading the listening sockets");
    // Only TCP is wanted: reading the UDP tables too would cost time for
    // nothing. Through netlink sock_diag, else /proc/net/tcp*.
    let listeners: Vec<Listener> = procs::listeners(&[Protocol::Tcp])?
        .into_iter()
        .filter(|l| ports.contains(&l.port))
        .collect();
    let mut owners = procs::socket_owners_among(candidates.iter().copied());
    if listeners.iter().any(|l| !owners.contains_key(&l.inode)) {
        crate::timeout::set_activity("looking for the holders of the listening sockets");
        owners = procs::socket_owners()?;
    }
    Ok((listeners, owners))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    use std::time::UNIX_EPOCH;

    pub fn proc(pid: i32, ppid: i32, comm: &str, argv: &[&str]) -> ProcessInfo {
        ProcessInfo {
            pid,
            ppid,
            comm: comm.to_string(),
            argv: argv.iter().map(|s| s.to_string()).collect(),
            uid: 33,
            started: UNIX_EPOCH,
        }
    }

    pub fn listener(port: u16, inode: u64, v6: bool) -> Listener {
        Listener {
            protocol: Protocol::Tcp,
            address: if v6 {
                IpAddr::V6(Ipv6Addr::UNSPECIFIED)
            } else {
                IpAddr::V4(Ipv4Addr::UNSPECIFIED)
            },
            port,
            inode,
        }
    }

    #[test]
    fn program_names_from_argv0_scripts_and_titles() {
        let name = |argv: &[&str]| {
            program(&proc(1, 0, "x", argv))
                .map(|p| (p.name.to_string(), p.path.to_string()))
                .unwrap()
        };
        assert_eq!(name(&["/opt/seon/bin/seonrd"]).0, "seonrd");
        assert_eq!(name(&["seonrd_tcpip        "]).0, "seonrd_tcpip");
        assert_eq!(name(&["seonrd: master process"]).0, "seonrd");
        assert_eq!(
            name(&[
                "/usr/bin/perl",
                "-w",
                "/home/iepm/v3src/bin/map-updated",
                "-q"
            ]),
            (
                "map-updated".into(),
                "/home/iepm/v3src/bin/map-updated".into()
            )
        );
        assert_eq!(name(&["python3.11", "bin/owampd"]).0, "owampd");
        assert_eq!(name(&["bash", "-c", "sleep 5; gnuplot"]).0, "bash");
        assert_eq!(name(&["perl5.36", "-e", "1"]).0, "perl5.36");
        assert_eq!(name(&["pythonista"]).0, "pythonista");
        assert!(program(&proc(2, 0, "kworker/0:1", &[])).is_none());
    }

    #[test]
    fn identity_prefers_argv_and_falls_back_to_the_cut_comm() {
        let names = ["seonrd", "seonrd_tcpip", "seonrd_tcpip_tls"];
        // A receiver forked from seonrd keeps the kernel name of its master.
        let child = proc(3, 2, "seonrd", &["seonrd_tcpip        "]);
        assert_eq!(identify(&child, &names), Some("seonrd_tcpip"));
        // A long name is cut in comm; argv[0] still names it in full.
        let tls = proc(4, 2, "seonrd_tcpip_tl", &["/opt/seon/bin/seonrd_tcpip_tls"]);
        assert_eq!(identify(&tls, &names), Some("seonrd_tcpip_tls"));
        // Only comm names it: matched on the first 15 characters.
        let by_comm = proc(5, 2, "seonrd_tcpip_tl", &["python3", "-c", "code"]);
        assert_eq!(identify(&by_comm, &names), Some("seonrd_tcpip_tls"));
        // A process the names don't cover, and a zombie.
        assert_eq!(identify(&proc(6, 1, "bash", &["-bash"]), &names), None);
        assert_eq!(identify(&proc(7, 2, "seonrd", &[]), &names), None);
        // grep seonrd is not seonrd.
        let grep = proc(8, 1, "grep", &["grep", "seonrd"]);
        assert_eq!(identify(&grep, &names), None);
    }

    #[test]
    fn titles_as_postgresql_sets_them() {
        let walsender = proc(
            7353,
            5234,
            "postgres",
            &["postgres: walsender repmgr 10.0.161.181(40814) streaming F/60DFDC00"],
        );
        let clustered = proc(
            7354,
            5234,
            "postgres",
            &["postgres: 14/main: walsender repmgr"],
        );
        let backend = proc(
            17337,
            5234,
            "postgres",
            &["postgres: sre sre 127.0.0.1(43842) idle"],
        );
        let postmaster = proc(
            5234,
            1,
            "postmaster",
            &["/usr/pgsql-14/bin/postmaster", "-D", "/x"],
        );
        assert!(is_title("postgres: walsender") && !is_title("sre-REST"));
        assert!(title_matches(&walsender, "postgres: walsender"));
        assert!(title_matches(&walsender, "postgres:  walsender   repmgr"));
        assert!(title_matches(&clustered, "postgres: walsender"));
        assert!(!title_matches(&backend, "postgres: walsender"));
        assert!(title_matches(&backend, "postgres: sre"));
        assert!(!title_matches(&backend, "postgres: sr"));
        assert!(!title_matches(&postmaster, "postgres: walsender"));
        assert!(!title_matches(&walsender, "postmaster: walsender"));
        assert!(!title_matches(&walsender, "postgres: "));
        // A grep for the title is not the title.
        let grep = proc(9, 1, "grep", &["grep", "postgres: walsender"]);
        assert!(!title_matches(&grep, "postgres: walsender"));
    }

    #[test]
    fn lists_are_read_bounded_and_lossy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("list");
        std::fs::write(&path, b"# Latin-1: \xdcbersicht\ngnuplot,5\n").unwrap();
        assert_eq!(
            read_list(&path).unwrap(),
            "# Latin-1: \u{fffd}bersicht\ngnuplot,5\n"
        );
        std::fs::write(&path, b"\xef\xbb\xbfgnuplot,5\n").unwrap();
        assert_eq!(read_list(&path).unwrap(), "gnuplot,5\n");
        let err = read_list(std::path::Path::new("/dev/zero")).unwrap_err();
        assert!(
            err.to_string().contains("larger than 1048576 bytes"),
            "{err}"
        );
    }

    #[test]
    fn comm_is_cut_at_15_characters() {
        assert_eq!(comm_of("seonrd_tcpip_tls"), "seonrd_tcpip_tl");
        assert_eq!(comm_of("seonrd"), "seonrd");
        assert_eq!(comm_of("bw-iperf-server"), "bw-iperf-server");
    }

    #[test]
    fn instances_and_forks() {
        let table = vec![
            proc(1, 0, "init", &["/sbin/init"]),
            proc(10, 1, "seonsqd", &["/opt/seon/bin/seonsqd"]),
            proc(11, 10, "seonsqd", &["/opt/seon/bin/seonsqd"]),
            proc(12, 11, "seonsqd", &["/opt/seon/bin/seonsqd"]),
            proc(20, 1, "seonsqd", &["./seonsqd", "-f"]),
            proc(30, 1, "seondebugd", &["seondebugd"]),
        ];
        let t = Table::new(&table);
        let d = find_daemons(&t, &["seonsqd", "seondebugd", "seonrd"], &Filter::default());
        assert_eq!(d[0].instance_pids(), vec![10, 20]);
        assert_eq!(d[0].forks.len(), 2);
        assert!(d[0].owns(12) && !d[0].owns(30));
        assert_eq!(d[1].instance_pids(), vec![30]);
        assert!(d[2].instances.is_empty());
        assert!(t.descends_from(12, 10) && t.descends_from(12, 1));
        assert!(!t.descends_from(10, 12) && !t.descends_from(10, 10));
        assert_eq!(t.children(10).count(), 1);
        assert_eq!(t.describe(20), "PID 20 (seonsqd)");
        assert_eq!(t.describe(99), "PID 99");
    }

    #[test]
    fn a_daemon_started_by_its_own_daemon_through_a_shell_is_no_instance() {
        let table = vec![
            proc(1, 0, "init", &["/sbin/init"]),
            proc(10, 1, "seonsqd", &["/opt/seon/bin/seonsqd"]),
            proc(
                11,
                10,
                "sh",
                &["/bin/sh", "-c", "/opt/seon/bin/seonsqd -poll x"],
            ),
            proc(12, 11, "seonsqd", &["/opt/seon/bin/seonsqd", "-poll", "x"]),
            // A receiver's session child known only by the master's comm.
            proc(20, 1, "seonrd", &["/opt/seon/bin/seonrd"]),
            proc(21, 20, "seonrd", &["seonrd_tcpip"]),
            proc(22, 21, "seonrd", &["seonrd_session", "partner1"]),
        ];
        let t = Table::new(&table);
        let d = find_daemons(
            &t,
            &["seonsqd", "seonrd", "seonrd_tcpip"],
            &Filter::default(),
        );
        assert_eq!(d[0].instance_pids(), vec![10]);
        assert!(d[0].owns(12));
        assert_eq!(d[1].instance_pids(), vec![20]);
        assert_eq!(d[2].instance_pids(), vec![21]);
    }

    #[test]
    fn user_filter() {
        let mut other = proc(10, 1, "seonsqd", &["seonsqd"]);
        other.uid = 1000;
        let table = vec![proc(9, 1, "seonsqd", &["seonsqd"]), other];
        let t = Table::new(&table);
        let filter = Filter {
            user: Some("33".parse().unwrap()),
        };
        let d = find_daemons(&t, &["seonsqd"], &filter);
        assert_eq!(d[0].instance_pids(), vec![9]);
        assert_eq!("root".parse::<User>().unwrap().uid, 0);
        assert!("no-such-user-here"
            .parse::<User>()
            .unwrap_err()
            .contains("no-such-user-here"));
    }

    #[test]
    fn port_holders_over_v4_and_v6() {
        let listeners = vec![
            listener(3305, 100, false),
            listener(3305, 101, true),
            listener(6619, 102, false),
        ];
        let owners = HashMap::from([(100, vec![7]), (101, vec![7, 3])]);
        assert_eq!(
            port_holders(&listeners, &owners, 3305),
            PortHolders {
                listening: true,
                pids: vec![3, 7]
            }
        );
        let unseen = port_holders(&listeners, &owners, 6619);
        assert!(unseen.listening && unseen.pids.is_empty());
        assert!(!port_holders(&listeners, &owners, 10001).listening);
    }
}
