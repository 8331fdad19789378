//! The process table and listening sockets, read from `/proc` (no `ps`, no
//! `lsof`, no `netstat`), for checks that ask "is it running, once, with the
//! right parent, listening where it should".
//!
//! Processes that exit while the table is read are skipped, not errors. Which
//! daemon a process is (argv[0], interpreters, the 15-character `comm`) is
//! decided in `proc_match`, not here.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One process of the process table, as read from `/proc`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessInfo {
    /// Its process ID.
    pub pid: i32,
    /// Its parent's process ID.
    pub ppid: i32,
    /// The kernel's name for the process, cut at 15 characters.
    pub comm: String,
    /// The command line; empty for kernel threads and zombies.
    pub argv: Vec<String>,
    /// Its real user ID.
    pub uid: u32,
    /// When it started.
    pub started: SystemTime,
}

impl ProcessInfo {
    /// How long the process has run, as seen at `now`.
    pub fn age(&self, now: SystemTime) -> Duration {
        now.duration_since(self.started).unwrap_or_default()
    }

    /// The command line joined by spaces (or `[comm]` for kernel threads), as `ps -ef` shows it.
    pub fn command_line(&self) -> String {
        if self.argv.is_empty() {
            format!("[{}]", self.comm)
        } else {
            self.argv.join(" ")
        }
    }
}

fn boot_time() -> std::io::Result<SystemTime> {
    let secs = procfs::boot_time_secs().map_err(std::io::Error::other)?;
    Ok(UNIX_EPOCH + Duration::from_secs(secs))
}

/// The command line from `/proc/PID/cmdline`, its arguments read lossily: one
/// argument that is not UTF-8 (a Latin-1 file name) must not hide the process,
/// as procfs's `cmdline()` does by failing. Empty arguments are dropped, as there.
fn read_argv(pid: i32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|bytes| {
            bytes
                .split(|&b| b == 0)
                .filter(|arg| !arg.is_empty())
                .map(|arg| String::from_utf8_lossy(arg).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Every process visible in `/proc`.
pub fn snapshot() -> std::io::Result<Vec<ProcessInfo>> {
    let boot = boot_time()?;
    let ticks = procfs::ticks_per_second().max(1) as f64;
    let all = procfs::process::all_processes().map_err(std::io::Error::other)?;
    Ok(all
        .flatten()
        .filter_map(|process| read_process(&process, boot, ticks))
        .collect())
}

/// Only the processes `pids` (e.g. the members of a cgroup): much cheaper than
/// [`snapshot`] on a busy host. PIDs that are gone are skipped.
pub fn snapshot_of(pids: impl IntoIterator<Item = i32>) -> std::io::Result<Vec<ProcessInfo>> {
    let boot = boot_time()?;
    let ticks = procfs::ticks_per_second().max(1) as f64;
    Ok(pids
        .into_iter()
        .filter_map(|pid| procfs::process::Process::new(pid).ok())
        .filter_map(|process| read_process(&process, boot, ticks))
        .collect())
}

fn read_process(
    process: &procfs::process::Process,
    boot: SystemTime,
    ticks: f64,
) -> Option<ProcessInfo> {
    // A process can exit between the directory listing and these reads.
    let stat = process.stat().ok()?;
    let argv = read_argv(stat.pid);
    let uid = process.uid().unwrap_or(u32::MAX);
    Some(ProcessInfo {
        pid: stat.pid,
        ppid: stat.ppid,
        comm: stat.comm,
        argv,
        uid,
        started: boot + Duration::from_secs_f64(stat.starttime as f64 / ticks),
    })
}

/// The transport of a listening socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// A listening TCP socket or a bound, unconnected UDP socket.
#[derive(Debug, Clone, PartialEq)]
pub struct Listener {
    /// TCP or UDP.
    pub protocol: Protocol,
    /// The local address (unspecified for all addresses).
    pub address: IpAddr,
    /// The local port.
    pub port: u16,
    /// The socket's inode, to find its owner among the processes' file descriptors.
    pub inode: u64,
}

/// All listeners, IPv4 and IPv6: through netlink `sock_diag`
/// ([`crate::sock_diag`]), else from `/proc/net` where netlink is refused.
/// Only the `transports` given are read (the kernel walks each table asked for).
pub fn listeners(transports: &[Protocol]) -> std::io::Result<Vec<Listener>> {
    crate::sock_diag::listeners(transports).or_else(|_| listeners_from_proc(transports))
}

/// The listeners of the `transports` given as `/proc/net/{tcp,tcp6,udp,udp6}`
/// list them (the fallback).
pub fn listeners_from_proc(transports: &[Protocol]) -> std::io::Result<Vec<Listener>> {
    use procfs::net::{TcpState, UdpState};
    let mut out = Vec::new();
    let io = std::io::Error::other;
    let tcp = transports.contains(&Protocol::Tcp);
    let udp = transports.contains(&Protocol::Udp);
    let tcp_entries = if tcp {
        procfs::net::tcp().map_err(io)?
    } else {
        Vec::new()
    };
    let tcp6_entries = if tcp {
        procfs::net::tcp6().unwrap_or_default()
    } else {
        Vec::new()
    };
    for entry in tcp_entries.into_iter().chain(tcp6_entries) {
        if entry.state == TcpState::Listen {
            out.push(Listener {
                protocol: Protocol::Tcp,
                address: entry.local_address.ip(),
                port: entry.local_address.port(),
                inode: entry.inode,
            });
        }
    }
    let udp_entries = if udp {
        procfs::net::udp().map_err(io)?
    } else {
        Vec::new()
    };
    let udp6_entries = if udp {
        procfs::net::udp6().unwrap_or_default()
    } else {
        Vec::new()
    };
    for entry in udp_entries.into_iter().chain(udp6_entries) {
        if entry.state == UdpState::Close && entry.remote_address.port() == 0 {
            out.push(Listener {
                protocol: Protocol::Udp,
                address: entry.local_address.ip(),
                port: entry.local_address.port(),
                inode: entry.inode,
            });
        }
    }
    Ok(out)
}

/// Socket inode → the PIDs holding it open (a socket can be shared after fork).
/// Processes whose descriptors cannot be read (another user's, as non-root) are skipped.
pub fn socket_owners() -> std::io::Result<HashMap<u64, Vec<i32>>> {
    let mut owners: HashMap<u64, Vec<i32>> = HashMap::new();
    let all = procfs::process::all_processes().map_err(std::io::Error::other)?;
    for process in all.flatten() {
        let Ok(fds) = process.fd() else { continue };
        for fd in fds.flatten() {
            if let procfs::process::FDTarget::Socket(inode) = fd.target {
                let pids = owners.entry(inode).or_default();
                if !pids.contains(&process.pid) {
                    pids.push(process.pid);
                }
            }
        }
    }
    Ok(owners)
}

/// Like [`socket_owners`], but reads only the descriptors of `pids`: much
/// cheaper on a busy host when the candidate processes are known. PIDs that
/// are gone or unreadable are skipped.
pub fn socket_owners_among(pids: impl IntoIterator<Item = i32>) -> HashMap<u64, Vec<i32>> {
    let mut owners: HashMap<u64, Vec<i32>> = HashMap::new();
    for pid in pids {
        let Ok(process) = procfs::process::Process::new(pid) else {
            continue;
        };
        let Ok(fds) = process.fd() else { continue };
        for fd in fds.flatten() {
            if let procfs::process::FDTarget::Socket(inode) = fd.target {
                let holders = owners.entry(inode).or_default();
                if !holders.contains(&pid) {
                    holders.push(pid);
                }
            }
        }
    }
    owners
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn finds_this_process_with_its_parent_and_age() {
        let table = snapshot().unwrap();
        let me = table
            .iter()
            .find(|p| p.pid == std::process::id() as i32)
            .expect("own process in the table");
        assert_eq!(me.ppid, std::os::unix::process::parent_id() as i32);
        assert!(!me.argv.is_empty());
        assert!(me.age(SystemTime::now()) < Duration::from_secs(3600));
    }

    #[test]
    fn snapshot_of_reads_only_the_pids_asked_for() {
        let me = std::process::id() as i32;
        let parent = std::os::unix::process::parent_id() as i32;
        let some = snapshot_of([me, parent, i32::MAX]).unwrap();
        let pids: Vec<i32> = some.iter().map(|p| p.pid).collect();
        assert_eq!(pids, vec![me, parent]);
        assert_eq!(some[0].ppid, parent);
    }

    #[test]
    fn a_command_line_that_is_not_utf8_is_read() {
        use std::os::unix::ffi::OsStrExt;
        let mut child = std::process::Command::new("/bin/sh")
            .args(["-c", "sleep 30; exit 0", "latin1-arg"])
            .arg(std::ffi::OsStr::from_bytes(b"/data/\xdcbersicht.gp"))
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        // spawn returns once exec has begun; the kernel sets the new command
        // line a moment later (until then /proc/PID/cmdline reads empty).
        let started = std::time::Instant::now();
        let p = loop {
            let p = snapshot()
                .unwrap()
                .into_iter()
                .find(|p| p.pid == pid)
                .expect("the child in the table");
            if !p.argv.is_empty() || started.elapsed() > std::time::Duration::from_secs(5) {
                break p;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(
            p.argv,
            [
                "/bin/sh",
                "-c",
                "sleep 30; exit 0",
                "latin1-arg",
                "/data/\u{fffd}bersicht.gp"
            ]
        );
    }

    #[test]
    fn finds_own_tcp_listener_and_its_owner_v4_and_v6() {
        let v4 = TcpListener::bind("127.0.0.1:0").unwrap();
        let v6 = TcpListener::bind("[::1]:0").ok();
        let all = listeners(&[Protocol::Tcp]).unwrap();
        let owners = socket_owners().unwrap();
        let me = std::process::id() as i32;
        let mut ports = vec![v4.local_addr().unwrap().port()];
        ports.extend(v6.iter().map(|l| l.local_addr().unwrap().port()));
        for port in ports {
            let l = all
                .iter()
                .find(|l| l.port == port && l.protocol == Protocol::Tcp)
                .unwrap_or_else(|| panic!("listener on {port}"));
            // Another test thread forking at this moment can hold the descriptor
            // briefly (until its exec closes it): this process must be among the owners.
            assert!(owners.get(&l.inode).is_some_and(|pids| pids.contains(&me)));
            let among = socket_owners_among([me]);
            assert_eq!(among.get(&l.inode), Some(&vec![me]));
        }
    }

    #[test]
    fn finds_bound_udp_sockets() {
        let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = sock.local_addr().unwrap().port();
        assert!(listeners(&[Protocol::Udp])
            .unwrap()
            .iter()
            .any(|l| l.protocol == Protocol::Udp && l.port == port));
    }
}
