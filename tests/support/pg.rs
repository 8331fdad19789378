//! A real PostgreSQL primary and streaming standby on loopback ports, for the
//! tests and the benchmark (used as a module: `#[path = …] mod pg;`).
//!
//! The servers run as an unprivileged user when the tests run as root
//! (PostgreSQL refuses root): `opscheck-pg`, created with useradd if missing.
//! The server processes are direct children, started through setpriv (which
//! execs, so signals reach the postmaster itself); one-shot tools (initdb,
//! pg_basebackup) run through runuser. Ports are picked free at run time; a
//! Drop guard stops every server, also when a test fails.
//!
//! Roles: `postgres` (superuser, trust on loopback) for the harness, and
//! `monitor` (password `secret`, scram-sha-256, member of pg_monitor) for the
//! plugin, so that authentication and privileges are those of production.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MONITOR_USER: &str = "monitor";
pub const MONITOR_PASSWORD: &str = "secret";
const SERVICE_USER: &str = "opscheck-pg";

/// The newest installed PostgreSQL's binaries: `OPSCHECK_PG_BINDIR`, else
/// `/usr/lib/postgresql/<highest>/bin`.
pub fn bindir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("OPSCHECK_PG_BINDIR") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let version: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// The PostgreSQL binaries, or None (with a note) when PostgreSQL is not
/// installed. Under CI (`CI` set) a missing PostgreSQL fails the test instead.
pub fn require() -> Option<PathBuf> {
    match bindir() {
        Some(dir) => Some(dir),
        None if std::env::var_os("CI").is_some() => {
            panic!("PostgreSQL is not installed (.ci/apt-packages lists postgresql)")
        }
        None => {
            eprintln!("note: PostgreSQL not installed, test skipped");
            None
        }
    }
}

#[path = "ports.rs"]
mod ports;
#[allow(unused_imports)]
pub use ports::free_port;

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// The user the servers run as: `opscheck-pg` when root (created if missing), else ourselves.
fn service_user() -> Option<(String, u32, u32)> {
    static LOCK: Mutex<()> = Mutex::new(());
    if !is_root() {
        return None;
    }
    let _guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let lookup = || {
        let name = std::ffi::CString::new(SERVICE_USER).unwrap();
        // SAFETY: getpwnam with a valid C string; fields copied at once.
        unsafe {
            let pw = libc::getpwnam(name.as_ptr());
            (!pw.is_null()).then(|| ((*pw).pw_uid, (*pw).pw_gid))
        }
    };
    if lookup().is_none() {
        let status = Command::new("useradd")
            .args(["--system", "--user-group", "--no-create-home"])
            .args(["--shell", "/usr/sbin/nologin", SERVICE_USER])
            .status()
            .expect("useradd runs");
        assert!(
            status.success() || lookup().is_some(),
            "useradd {SERVICE_USER} failed"
        );
    }
    let (uid, gid) = lookup().expect("the service user exists");
    Some((SERVICE_USER.to_string(), uid, gid))
}

/// A command run as the service user (runuser), for one-shot tools.
fn as_user(program: &Path) -> Command {
    match service_user() {
        Some((name, _, _)) => {
            let mut c = Command::new("runuser");
            c.args(["-u", &name, "--"]).arg(program);
            c
        }
        None => Command::new(program),
    }
}

fn run_ok(mut command: Command, what: &str) {
    let out = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn chown(path: &Path) {
    if let Some((_, uid, gid)) = service_user() {
        let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: chown with a valid path.
        assert_eq!(
            unsafe { libc::chown(c.as_ptr(), uid, gid) },
            0,
            "chown {path:?}"
        );
    }
}

/// One postmaster.
pub struct Server {
    pub name: String,
    pub port: u16,
    pub data: PathBuf,
    bin: PathBuf,
    log: PathBuf,
    child: Option<Child>,
    extra: Vec<String>,
}

impl Server {
    /// `host:port` for `-H`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn start(&mut self) {
        assert!(self.child.is_none(), "{} already running", self.name);
        let log = std::fs::File::create(&self.log).unwrap();
        chown(&self.log);
        let postgres = self.bin.join("postgres");
        let mut command = match service_user() {
            Some((_, uid, gid)) => {
                let mut c = Command::new("setpriv");
                c.arg(format!("--reuid={uid}"))
                    .arg(format!("--regid={gid}"))
                    .arg("--clear-groups")
                    .arg("--")
                    .arg(&postgres);
                c
            }
            None => Command::new(&postgres),
        };
        command
            .arg("-D")
            .arg(&self.data)
            .arg("-c")
            .arg(format!("port={}", self.port))
            .arg("-c")
            .arg(format!("unix_socket_directories={}", self.data.display()))
            .args(
                self.extra
                    .iter()
                    .flat_map(|e| ["-c".to_string(), e.clone()]),
            )
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        self.child = Some(command.spawn().expect("postgres starts"));
        self.wait_ready();
    }

    fn wait_ready(&mut self) {
        let until = Instant::now() + Duration::from_secs(90);
        loop {
            if self.try_sql("SELECT 1").is_ok() {
                return;
            }
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.child = None;
                    panic!("{} exited ({status}): {}", self.name, self.log_text());
                }
            }
            assert!(
                Instant::now() < until,
                "{} not ready: {}",
                self.name,
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Runs SQL as the superuser; the unaligned output.
    pub fn try_sql(&self, sql: &str) -> Result<String, String> {
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-X",
                "-A",
                "-t",
                "-q",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "postgres",
            ])
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-c")
            .arg(sql)
            .env_remove("PGPASSWORD")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    pub fn sql(&self, sql: &str) -> String {
        self.try_sql(sql)
            .unwrap_or_else(|e| panic!("{} {sql}: {e}", self.name))
    }

    fn signal_and_wait(&mut self, signal: i32, patience: Duration) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // SAFETY: signalling our own child.
        unsafe {
            libc::kill(child.id() as i32, signal);
        }
        let until = Instant::now() + patience;
        while Instant::now() < until {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Fast shutdown (SIGINT): clients are disconnected, as when a server is stopped.
    pub fn stop(&mut self) {
        self.signal_and_wait(libc::SIGINT, Duration::from_secs(30));
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Immediate shutdown: nothing to keep.
        self.signal_and_wait(libc::SIGQUIT, Duration::from_secs(10));
    }
}

/// What a cluster is made of.
#[derive(Default, Clone)]
pub struct Setup {
    /// Extra `postgresql.conf` lines for the primary (copied to the standby).
    pub conf: Vec<String>,
    /// Replaces the default `pg_hba.conf`.
    pub hba: Option<String>,
    /// Also make a streaming standby.
    pub standby: bool,
    /// Files to put in the primary's data directory before it starts (name,
    /// content), owned by the server's user, mode 0600 (e.g. a TLS key).
    pub files: Vec<(String, Vec<u8>)>,
}

/// A primary and, if asked, a streaming standby (slot `standby1_slot`,
/// `cluster_name` `standby1`, which is its application name on the primary).
pub struct Cluster {
    pub primary: Server,
    pub standby: Option<Server>,
    pub dir: PathBuf,
    // Dropped last, after the servers have stopped.
    _tmp: tempfile::TempDir,
}

const DEFAULT_HBA: &str = "local all all trust\n\
host replication all 127.0.0.1/32 trust\n\
host all postgres 127.0.0.1/32 trust\n\
host all all 127.0.0.1/32 scram-sha-256\n";

impl Cluster {
    /// A primary with a streaming standby; None when PostgreSQL is missing (test skipped).
    pub fn start() -> Option<Cluster> {
        Cluster::with(Setup {
            standby: true,
            ..Setup::default()
        })
    }

    pub fn with(setup: Setup) -> Option<Cluster> {
        let bin = require()?;
        let tmp = tempfile::Builder::new()
            .prefix("opscheck-pg-")
            .tempdir()
            .unwrap();
        let dir = tmp.path().to_path_buf();
        chown(&dir);
        let data = dir.join("primary");
        let mut initdb = as_user(&bin.join("initdb"));
        initdb.arg("-D").arg(&data).args([
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        ]);
        run_ok(initdb, "initdb");
        let mut conf = vec![
            "listen_addresses = '127.0.0.1'".to_string(),
            "wal_level = replica".into(),
            "max_wal_senders = 10".into(),
            "max_replication_slots = 10".into(),
            "hot_standby = on".into(),
            "fsync = off".into(),
            "full_page_writes = off".into(),
            "autovacuum = off".into(),
            "shared_buffers = 16MB".into(),
            "max_connections = 30".into(),
            // Standbys report their positions every second, so lags settle quickly.
            "wal_receiver_status_interval = 1s".into(),
        ];
        conf.extend(setup.conf.iter().cloned());
        let conf_path = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf_path).unwrap();
        text.push_str(&format!("\n{}\n", conf.join("\n")));
        std::fs::write(&conf_path, text).unwrap();
        std::fs::write(
            data.join("pg_hba.conf"),
            setup.hba.as_deref().unwrap_or(DEFAULT_HBA),
        )
        .unwrap();
        for (name, content) in &setup.files {
            use std::os::unix::fs::PermissionsExt;
            let path = data.join(name);
            std::fs::write(&path, content).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
            chown(&path);
        }
        let mut primary = Server {
            name: "primary".into(),
            port: free_port(),
            data: data.clone(),
            bin: bin.clone(),
            log: dir.join("primary.log"),
            child: None,
            extra: Vec::new(),
        };
        primary.start();
        primary.sql(&format!(
            "CREATE ROLE {MONITOR_USER} LOGIN PASSWORD '{MONITOR_PASSWORD}' IN ROLE pg_monitor"
        ));
        let mut cluster = Cluster {
            primary,
            standby: None,
            dir: dir.clone(),
            _tmp: tmp,
        };
        if setup.standby {
            let sdata = dir.join("standby");
            let mut backup = as_user(&bin.join("pg_basebackup"));
            backup
                .args([
                    "-h",
                    "127.0.0.1",
                    "-U",
                    "postgres",
                    "-X",
                    "stream",
                    "-R",
                    "-C",
                ])
                .args(["-S", "standby1_slot", "--checkpoint=fast", "--no-sync"])
                .arg("-p")
                .arg(cluster.primary.port.to_string())
                .arg("-D")
                .arg(&sdata);
            run_ok(backup, "pg_basebackup");
            let mut standby = Server {
                name: "standby".into(),
                port: free_port(),
                data: sdata,
                bin,
                log: dir.join("standby.log"),
                child: None,
                extra: vec!["cluster_name=standby1".into()],
            };
            standby.start();
            cluster.standby = Some(standby);
            cluster.wait_streaming();
        }
        Some(cluster)
    }

    pub fn standby(&self) -> &Server {
        self.standby.as_ref().expect("a standby")
    }

    pub fn standby_mut(&mut self) -> &mut Server {
        self.standby.as_mut().expect("a standby")
    }

    /// Waits until the primary sees its standby streaming.
    pub fn wait_streaming(&self) {
        wait_for("the standby to stream", || {
            self.primary
                .sql("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
                == "1"
        });
    }

    /// Waits until the standby has replayed everything the primary wrote, and
    /// the primary knows it.
    pub fn wait_caught_up(&self) {
        wait_for("the standby to catch up", || {
            self.primary.sql(
                "SELECT count(*) FROM pg_stat_replication \
                 WHERE replay_lsn = pg_current_wal_lsn()",
            ) == "1"
        });
    }
}

/// Polls `condition` every 100 ms for up to 60 s.
pub fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(60);
    while !condition() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
