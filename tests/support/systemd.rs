//! A real systemd user manager for the tests of check_systemd_unit (and its
//! benchmark), started once per test binary. Needs root, `unshare` and
//! `/lib/systemd/systemd` (Debian package `systemd`; it need not be PID 1).
//!
//! # The recipe
//!
//! A shell run by `unshare --mount --propagation private` (a mount namespace
//! of its own, so nothing below is seen by the host) does:
//!
//! 1. `mount -t tmpfs tmpfs /run/systemd; mkdir /run/systemd/system`: without
//!    it the manager says the system was not booted with systemd and exits 1.
//! 2. moves itself into a cgroup of its own, `opscheck-test-PID`, and makes that
//!    the manager's whole world:
//!    - cgroup v1 or hybrid (this machine: v1 controllers, `name=systemd`, and
//!      an empty cgroup2 at `/sys/fs/cgroup/unified`): the cgroup is made in the
//!      `name=systemd` hierarchy, then a tmpfs is mounted over `/sys/fs/cgroup`
//!      *inside the namespace* with only `name=systemd` mounted again below it.
//!      This is not optional: a manager that sees the hybrid `unified`
//!      hierarchy takes the cgroup2 root for its own and moves every process
//!      of the root cgroup (PID 1 included) into its `init.scope`, in every
//!      controller hierarchy it sees.
//!    - cgroup v2 (`/sys/fs/cgroup/cgroup.controllers` exists): the cgroup is
//!      made directly under `/sys/fs/cgroup`.
//! 3. `exec /lib/systemd/systemd --user` with `XDG_RUNTIME_DIR` and
//!    `XDG_CONFIG_HOME` of the test's (units go to `$XDG_CONFIG_HOME/systemd/user/`).
//!
//! The manager is ready when `$XDG_RUNTIME_DIR/systemd/private` exists and
//! `systemctl --user is-system-running` answers. Units then live in
//! `/opscheck-test-PID/app.slice/UNIT` (their `ControlGroup`), which the host
//! sees too: `/sys/fs/cgroup/systemd/opscheck-test-PID/...` here.
//!
//! `systemctl --user` needs no namespace: it talks to the manager through
//! `$XDG_RUNTIME_DIR/systemd/private`. So the plugin runs as in production,
//! `check_systemd_unit --user`, with only `XDG_RUNTIME_DIR` set (and no
//! `DBUS_SESSION_BUS_ADDRESS`, which systemctl would try first).
//!
//! The manager stops (`systemctl --user exit`) when the test binary exits (an
//! `atexit` handler, which also runs when tests fail), and gets SIGKILL from
//! the kernel if the binary is killed (`PR_SET_PDEATHSIG`, set from a thread
//! that lives as long as the process); the processes and cgroups such a run
//! leaves are removed at the next start.
#![allow(dead_code)]

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const SYSTEMD: &str = "/lib/systemd/systemd";
const PREFIX: &str = "opscheck-test-";

pub struct UserManager {
    pub dir: PathBuf,
    pub runtime: PathBuf,
    pub config: PathBuf,
    /// The manager's cgroup, as in `ControlGroup` paths: `/opscheck-test-PID`.
    pub cgroup: String,
    pub log: PathBuf,
    pid: u32,
}

static MANAGER: OnceLock<UserManager> = OnceLock::new();

/// The manager of this test binary, started on first use. Panics with the
/// reason (and the manager's log) when it cannot start: never a silent skip.
pub fn manager() -> &'static UserManager {
    MANAGER.get_or_init(|| UserManager::start().unwrap_or_else(|e| panic!("{e}")))
}

fn cgroup_base() -> PathBuf {
    if Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        PathBuf::from("/sys/fs/cgroup")
    } else {
        PathBuf::from("/sys/fs/cgroup/systemd")
    }
}

/// Removes the (empty) cgroup tree at `dir`, deepest first.
fn remove_cgroup_tree(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                remove_cgroup_tree(&entry.path());
            }
        }
    }
    let _ = std::fs::remove_dir(dir);
}

/// Every PID in the cgroup tree at `dir`.
fn pids_in_tree(dir: &Path) -> Vec<i32> {
    let mut pids: Vec<i32> = std::fs::read_to_string(dir.join("cgroup.procs"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                pids.extend(pids_in_tree(&entry.path()));
            }
        }
    }
    pids
}

/// Cgroups of earlier runs whose manager is gone (a test binary killed hard:
/// its manager got SIGKILL from PR_SET_PDEATHSIG, the units' processes stayed):
/// those processes are killed, then the cgroups removed.
fn remove_stale_cgroups() {
    let Ok(entries) = std::fs::read_dir(cgroup_base()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix(PREFIX) {
            if !Path::new(&format!("/proc/{pid}")).exists() {
                for leftover in pids_in_tree(&entry.path()) {
                    unsafe {
                        libc::kill(leftover, libc::SIGKILL);
                    }
                }
                std::thread::sleep(Duration::from_millis(100));
                remove_cgroup_tree(&entry.path());
            }
        }
    }
}

const SCRIPT: &str = r#"set -e
mount -t tmpfs tmpfs /run/systemd
mkdir -p /run/systemd/system
name="$CG_PREFIX$$"
if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
    mkdir /sys/fs/cgroup/"$name"
    echo $$ > /sys/fs/cgroup/"$name"/cgroup.procs
else
    mkdir /sys/fs/cgroup/systemd/"$name"
    echo $$ > /sys/fs/cgroup/systemd/"$name"/cgroup.procs
    mount -t tmpfs tmpfs /sys/fs/cgroup
    mkdir /sys/fs/cgroup/systemd
    mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd
fi
echo "cgroup /$name"
exec /lib/systemd/systemd --user --log-target=console --log-level=info
"#;

extern "C" fn stop_at_exit() {
    if let Some(m) = MANAGER.get() {
        m.stop();
    }
}

impl UserManager {
    fn start() -> Result<UserManager, String> {
        if unsafe { libc::geteuid() } != 0 {
            return Err(
                "the systemd user manager tests need root (mount namespaces, cgroups)".into(),
            );
        }
        if !Path::new(SYSTEMD).exists() {
            return Err(format!(
                "{SYSTEMD} not found: install the Debian package systemd (.ci/apt-packages)"
            ));
        }
        remove_stale_cgroups();
        let pid1_before = std::fs::read_to_string("/proc/1/cgroup").unwrap_or_default();
        let dir = tempfile::Builder::new()
            .prefix("opscheck-systemd-")
            .tempdir()
            .map_err(|e| e.to_string())?
            .keep();
        let runtime = dir.join("runtime");
        let config = dir.join("config");
        std::fs::create_dir_all(config.join("systemd/user")).map_err(|e| e.to_string())?;
        std::fs::create_dir_all(&runtime).map_err(|e| e.to_string())?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| e.to_string())?;
        let log = dir.join("manager.log");
        let log_file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        // Spawned from a thread that never ends: PR_SET_PDEATHSIG fires when
        // the spawning *thread* exits, and test threads end with their test.
        let (tx, rx) = std::sync::mpsc::channel();
        {
            let (runtime, config) = (runtime.clone(), config.clone());
            std::thread::spawn(move || {
                let mut command = Command::new("unshare");
                command
                    .args(["--mount", "--propagation", "private", "sh", "-c", SCRIPT])
                    .env("CG_PREFIX", PREFIX)
                    .env("XDG_RUNTIME_DIR", &runtime)
                    .env("XDG_CONFIG_HOME", &config)
                    .env_remove("DBUS_SESSION_BUS_ADDRESS")
                    .stdin(Stdio::null())
                    .stdout(log_file.try_clone().unwrap())
                    .stderr(log_file);
                unsafe {
                    command.pre_exec(|| {
                        // SIGKILL: a user manager may not exit on SIGTERM
                        // (it starts exit.target, which can wait).
                        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                        Ok(())
                    });
                }
                let child = command.spawn();
                let _ = tx.send(child.map(|c| c.id()).map_err(|e| e.to_string()));
                loop {
                    std::thread::park();
                }
            });
        }
        let pid = rx
            .recv()
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("cannot run unshare: {e}"))?;
        let manager = UserManager {
            cgroup: format!("/{PREFIX}{pid}"),
            dir,
            runtime,
            config,
            log,
            pid,
        };
        unsafe {
            libc::atexit(stop_at_exit);
        }
        let started = Instant::now();
        loop {
            if manager.runtime.join("systemd/private").exists()
                && manager
                    .systemctl(&["is-system-running"])
                    .status
                    .code()
                    .is_some_and(|c| c <= 1)
            {
                // The recipe's promise: the host's processes stay where they were.
                let pid1_after = std::fs::read_to_string("/proc/1/cgroup").unwrap_or_default();
                if pid1_after != pid1_before {
                    return Err(format!(
                        "the user manager moved PID 1 to another cgroup:\n{pid1_before}->\n{pid1_after}"
                    ));
                }
                return Ok(manager);
            }
            let gone = !Path::new(&format!("/proc/{pid}")).exists()
                || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .is_ok_and(|s| s.contains(") Z "));
            if gone || started.elapsed() > Duration::from_secs(20) {
                let log = std::fs::read_to_string(&manager.log).unwrap_or_default();
                return Err(format!(
                    "the systemd user manager did not start ({}); its log:\n{log}",
                    if gone {
                        "it exited"
                    } else {
                        "no answer within 20 s"
                    }
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The environment a `systemctl --user` (or the plugin with `--user`) needs.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![("XDG_RUNTIME_DIR", self.runtime.display().to_string())]
    }

    pub fn systemctl(&self, args: &[&str]) -> Output {
        Command::new("systemctl")
            .arg("--user")
            .args(args)
            .env("XDG_RUNTIME_DIR", &self.runtime)
            // `mask`, `enable` … write the unit files from the client side.
            .env("XDG_CONFIG_HOME", &self.config)
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .output()
            .expect("systemctl runs")
    }

    /// `systemctl --user ARGS`, panicking with its stderr when it fails.
    pub fn ok(&self, args: &[&str]) {
        let out = self.systemctl(args);
        assert!(
            out.status.success(),
            "systemctl --user {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Writes unit file `name` and reloads the manager.
    pub fn install(&self, name: &str, text: &str) {
        std::fs::write(self.config.join("systemd/user").join(name), text).unwrap();
        self.ok(&["daemon-reload"]);
    }

    /// One property of a unit, as `systemctl show -p NAME --value` prints it.
    pub fn property(&self, unit: &str, name: &str) -> String {
        let out = self.systemctl(&["show", "-p", name, "--value", unit]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Waits until `unit`'s property satisfies `done`, or panics after `limit`.
    pub fn wait_for(
        &self,
        unit: &str,
        name: &str,
        limit: Duration,
        done: impl Fn(&str) -> bool,
    ) -> String {
        let started = Instant::now();
        loop {
            let value = self.property(unit, name);
            if done(&value) {
                return value;
            }
            assert!(
                started.elapsed() < limit,
                "{unit}: {name} is still '{value}' after {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Installs `name`, starts it and waits (10 s at most) until its cgroup
    /// holds `processes` processes: a service and the daemons it starts.
    pub fn start_service(&self, name: &str, text: &str, processes: usize) {
        self.install(name, text);
        self.ok(&["start", name]);
        let procs = self.cgroup_dir(name).join("cgroup.procs");
        let started = Instant::now();
        loop {
            let found = std::fs::read_to_string(&procs)
                .unwrap_or_default()
                .lines()
                .count();
            if found >= processes {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{name}: {found} of {processes} processes in its cgroup after 10 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The directory of a unit's cgroup as the host sees it.
    pub fn cgroup_dir(&self, unit: &str) -> PathBuf {
        let cg = self.property(unit, "ControlGroup");
        cgroup_base().join(cg.trim_start_matches('/'))
    }

    fn stop(&self) {
        let _ = self.systemctl(&["exit"]);
        // Reap the manager (our child), so that its cgroup is empty and can go.
        let pid = self.pid as i32;
        let started = Instant::now();
        let mut status = 0;
        while unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } == 0 {
            if started.elapsed() > Duration::from_secs(5) {
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                    libc::waitpid(pid, &mut status, 0);
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        remove_cgroup_tree(&cgroup_base().join(self.cgroup.trim_start_matches('/')));
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
