//! Stand-in daemons for the process-table plugins: real processes with the
//! argv[0], kernel name (`comm`), parent/child relations and listening sockets
//! the plugins look for, made by a small Python program (`/usr/bin/python3`).
//!
//! Each test runs its stand-ins under a UID of its own (as root) and passes it
//! to the plugin with `--user`, so tests running in parallel never see each
//! other's daemons. The whole tree is killed when the [`StandIn`] is dropped.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::Duration;

pub const PYTHON: &str = "/usr/bin/python3";

/// The program each stand-in runs: sets its comm, binds its ports, starts its
/// children (fork + exec with their own argv[0]) and its forks (fork only:
/// same argv, inherited sockets), says `ready PID` on stdout, then waits.
const PROGRAM: &str = r#"
import json, os, signal, socket, sys
def run(spec):
    if spec.get("comm"):
        with open("/proc/self/comm", "w") as f:
            f.write(spec["comm"])
    keep = []
    for family, host, key in ((socket.AF_INET, "127.0.0.1", "listen"), (socket.AF_INET6, "::1", "listen6")):
        for port in spec.get(key, []):
            s = socket.socket(family, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
            s.listen(5)
            keep.append(s)
    for child in spec.get("children", []):
        if os.fork() == 0:
            env = dict(os.environ, OPSCHECK_STANDIN_SPEC=json.dumps(child["spec"]))
            os.execve(os.environ["OPSCHECK_STANDIN_PYTHON"],
                      [child["argv0"], "-c", os.environ["OPSCHECK_STANDIN_BOOT"]] + child.get("args", []), env)
    for fork in spec.get("forks", []):
        if os.fork() == 0:
            run(fork)
    os.write(1, ("ready %d\n" % os.getpid()).encode())
    while True:
        signal.pause()
run(json.loads(os.environ["OPSCHECK_STANDIN_SPEC"]))
"#;

const BOOT: &str = "import os; exec(os.environ['OPSCHECK_STANDIN_PROGRAM'])";

/// True when stand-ins can run as a UID of their own (tests need root).
pub fn can_isolate() -> bool {
    let root = unsafe { libc::geteuid() } == 0;
    root && std::path::Path::new(PYTHON).exists()
}

/// Fails the test, saying why, unless stand-in daemons can run here (root, for
/// their own UIDs, and python3): a test that cannot run never passes silently.
pub fn require_root(test: &str) {
    assert!(
        can_isolate(),
        "{test}: stand-in daemons need root (their own UIDs) and {PYTHON}: run the tests as root \
         (CI does) with python3 installed"
    );
}

/// A UID no other test (of this run or of a concurrent one) uses.
pub fn unique_uid() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    2_100_000_000 + (std::process::id() % 100_000) * 100 + NEXT.fetch_add(1, Ordering::Relaxed)
}

#[path = "ports.rs"]
mod ports;
#[allow(unused_imports)]
pub use ports::free_port;

/// A process spec: `comm`, `listen`/`listen6` ports, `children` (each
/// `{"argv0", "args", "spec"}`) and `forks` (specs).
pub fn count(spec: &Value) -> usize {
    1 + spec["children"]
        .as_array()
        .map_or(0, |c| c.iter().map(|c| count(&c["spec"])).sum())
        + spec["forks"]
            .as_array()
            .map_or(0, |f| f.iter().map(count).sum())
}

/// A running stand-in tree; killed (whole process group) on drop.
pub struct StandIn {
    child: Child,
    /// The PIDs that said ready, in no particular order.
    pub pids: Vec<i32>,
}

impl StandIn {
    /// Starts a tree whose top process has `argv0` + `args`, as `uid` when given.
    pub fn start(argv0: &str, args: &[&str], spec: Value, uid: Option<u32>) -> StandIn {
        let expected = count(&spec);
        let mut command = Command::new(PYTHON);
        command
            .arg0(argv0)
            .arg("-c")
            .arg(BOOT)
            .args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", "/")
            .env("OPSCHECK_STANDIN_PYTHON", PYTHON)
            .env("OPSCHECK_STANDIN_BOOT", BOOT)
            .env("OPSCHECK_STANDIN_PROGRAM", PROGRAM)
            .env("OPSCHECK_STANDIN_SPEC", spec.to_string())
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .process_group(0);
        if let Some(uid) = uid {
            command.uid(uid).gid(uid);
        }
        let mut child = command.spawn().expect("python3 starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut standin = StandIn {
            child,
            pids: Vec::new(),
        };
        while standin.pids.len() < expected {
            // Generous: a loaded 2-core machine can be slow to start Python.
            match rx.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => {
                    let pid = line.trim_start_matches("ready ").trim().parse().unwrap();
                    standin.pids.push(pid);
                }
                Err(e) => panic!(
                    "stand-in {argv0}: {} of {expected} processes ready ({e})",
                    standin.pids.len()
                ),
            }
        }
        standin
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// True while `pid` exists (a zombie counts: it has not been reaped).
    pub fn alive(pid: i32) -> bool {
        unsafe { libc::kill(pid, 0) == 0 }
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        unsafe {
            libc::kill(-(self.child.id() as i32), libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

/// A spec with just a kernel name.
pub fn named(comm: &str) -> Value {
    json!({ "comm": comm })
}

/// A PID that no process has (one that just exited and was reaped).
pub fn dead_pid() -> i32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id() as i32;
    child.wait().unwrap();
    pid
}

/// Runs plugin `bin` on the stand-ins of `uid` (`--user`): (exit code, stdout).
pub fn run_plugin(bin: &str, uid: u32, args: &[&str]) -> (i32, String) {
    let out = Command::new(assert_cmd::cargo::cargo_bin(bin))
        .arg(format!("--user={uid}"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {bin}: {e}"));
    (
        out.status.code().expect("the plugin exited"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// [`run_plugin`] with `config` written to a temporary `file_name` given as `--config`.
pub fn run_with_config(
    bin: &str,
    file_name: &str,
    uid: u32,
    config: &str,
    extra: &[&str],
) -> (i32, String) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(file_name);
    std::fs::write(&path, config).unwrap();
    let mut args = vec!["--config", path.to_str().expect("a UTF-8 temporary path")];
    args.extend_from_slice(extra);
    run_plugin(bin, uid, &args)
}
