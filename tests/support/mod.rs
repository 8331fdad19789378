//! Helpers shared by the contract, definitions, packaging and scheduler tests:
//! the plugins in `bin/` (data-driven, so a plugin added later is covered), the
//! built ones, and running servers as an unprivileged user with a guard that
//! stops them.
//!
//! Beside this file, the harnesses of the real servers and processes some
//! plugins are tested against: `pg.rs` (PostgreSQL primary and standby),
//! `procs.rs` (stand-in daemons), `sip.rs` (Kamailio and SIPp) and
//! `systemd.rs` (a systemd user manager in a mount namespace). Each is
//! self-contained because the benchmarks include it too (`#[path = …] mod`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every plugin in `bin/`, sorted (C locale, as packaging/generate.sh sorts).
pub fn all_plugins() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo().join("bin"))
        .expect("bin/ is readable")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|f| f.strip_suffix(".rs").map(str::to_string))
        .filter(|n| n.starts_with("check_"))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no plugins found in bin/");
    names
}

/// The built binary of `name`, or `None` (with a note) when its cargo feature
/// is off in this build.
pub fn built(name: &str) -> Option<PathBuf> {
    let path = assert_cmd::cargo::cargo_bin(name);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("note: {name} is not built in this configuration (feature off?), skipped");
        None
    }
}

pub fn built_plugins() -> Vec<(String, PathBuf)> {
    all_plugins()
        .into_iter()
        .filter_map(|n| built(&n).map(|p| (n, p)))
        .collect()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs a command to completion; panics with its output when it fails.
pub fn run_ok(command: &mut Command) -> Output {
    let out = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?} failed ({}):\n{}{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

pub fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

pub fn is_root() -> bool {
    // SAFETY: geteuid(2) has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// The unprivileged account servers run as: the test user (created when
/// missing) as root, else whoever runs the tests.
pub struct Account {
    pub user: String,
    pub group: String,
}

pub const TEST_USER: &str = "opscheck-test";

pub fn account() -> Account {
    if is_root() {
        let exists = Command::new("id")
            .arg(TEST_USER)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success();
        if !exists {
            // Another test may create it, or hold the passwd lock, at the same
            // moment: retry until the account exists.
            poll("the test user", Duration::from_secs(60), || {
                let _ = Command::new("useradd")
                    .args(["--system", "--user-group", "--no-create-home", TEST_USER])
                    .stderr(Stdio::null())
                    .status();
                Command::new("id")
                    .arg(TEST_USER)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .unwrap()
                    .success()
                    .then_some(())
            });
        }
        Account {
            user: TEST_USER.to_string(),
            group: TEST_USER.to_string(),
        }
    } else {
        let user = text(&run_ok(Command::new("id").arg("-un")).stdout)
            .trim()
            .to_string();
        let group = text(&run_ok(Command::new("id").arg("-gn")).stdout)
            .trim()
            .to_string();
        Account { user, group }
    }
}

impl Account {
    /// A command run as this account (through runuser when root).
    pub fn command(&self, program: &str) -> Command {
        if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", &self.user, "--", program]);
            c
        } else {
            Command::new(program)
        }
    }

    /// Gives the account a directory tree (as root); no-op otherwise.
    pub fn own(&self, path: &Path) {
        if is_root() {
            // -h: change symbolic links themselves, never what they point to.
            run_ok(Command::new("chown").args([
                "-R",
                "-h",
                &format!("{}:{}", self.user, self.group),
                &path.display().to_string(),
            ]));
        }
    }
}

mod ports;
#[allow(unused_imports)]
pub use ports::free_port;

/// A server process killed (with its process group) when dropped, also when a
/// test fails.
pub struct Server {
    pub name: String,
    pub child: Child,
}

impl Server {
    /// Starts `command` in its own process group, output to `log`.
    pub fn start(name: &str, command: &mut Command, log: &Path) -> Server {
        use std::os::unix::process::CommandExt;
        let file = std::fs::File::create(log).unwrap();
        let child = command
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Server {
            name: name.to_string(),
            child,
        }
    }

    pub fn assert_running(&mut self, log: &Path) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!(
                "{} exited ({status}):\n{}",
                self.name,
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let pgid = self.child.id() as i32;
        // SAFETY: kill(2) on the process group this guard started.
        unsafe {
            libc::kill(-pgid, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                // Reap stragglers of the group (e.g. Icinga's umbrella process).
                unsafe {
                    libc::kill(-pgid, libc::SIGKILL);
                }
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

/// Polls `f` until it returns Some, or panics after `limit` with `what`.
pub fn poll<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = f() {
            return value;
        }
        if Instant::now() > deadline {
            panic!("timed out after {limit:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Copies a directory tree (files and directories only).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
