//! A real MariaDB server for the tests and the benchmark (used as a module:
//! `#[path = "support/mysql.rs"] mod mysql;`), started once per test binary.
//!
//! The recipe of COMPONENTS.md: an unprivileged user (`opscheck-mysql`,
//! created with useradd when the tests run as root), `mariadb-install-db
//! --no-defaults` into a fresh directory, `mariadbd --no-defaults` on a free
//! loopback port and its own socket. The server is started by a thread that
//! lives as long as the test process, through `setpriv --pdeathsig KILL`, so
//! it dies with the process even when a test aborts; an exit handler stops it
//! and removes its directory on a normal exit.
//!
//! Accounts (all over TCP, `--skip-name-resolve`, so `'user'@'%'`):
//! `monitor`/`secret` with PROCESS (the plugin's), `noproc`/`secret` without
//! it, `app`/`app` for the test's own client connections; `root` without a
//! password on the socket for the harness.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

pub const MONITOR_USER: &str = "monitor";
pub const MONITOR_PASSWORD: &str = "secret";
pub const NOPROC_USER: &str = "noproc";
pub const APP_USER: &str = "app";
pub const APP_PASSWORD: &str = "app";
const SERVICE_USER: &str = "opscheck-mysql";

#[path = "ports.rs"]
mod ports;
#[allow(unused_imports)]
pub use ports::free_port;

pub struct Server {
    pub port: u16,
    pub socket: PathBuf,
    pub dir: PathBuf,
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
static PID: AtomicI32 = AtomicI32::new(0);
static DIR: Mutex<Option<PathBuf>> = Mutex::new(None);
/// Tests that count connections or change server settings run one at a time.
static EXCLUSIVE: Mutex<()> = Mutex::new(());

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// The shared server, started on first use. A server that cannot start fails
/// the test with the reason (never a silent skip).
pub fn server() -> &'static Server {
    match SERVER.get_or_init(start) {
        Ok(server) => server,
        Err(why) => panic!("MariaDB could not be started: {why}"),
    }
}

/// Serialises the tests of one binary: the counts they assert include every
/// connection to the server.
pub fn exclusive() -> MutexGuard<'static, ()> {
    EXCLUSIVE.lock().unwrap_or_else(|p| p.into_inner())
}

fn service_user() -> Option<(u32, u32)> {
    if !is_root() {
        return None;
    }
    let lookup = || {
        let name = std::ffi::CString::new(SERVICE_USER).unwrap();
        // SAFETY: getpwnam with a valid C string; fields copied at once.
        unsafe {
            let pw = libc::getpwnam(name.as_ptr());
            (!pw.is_null()).then(|| ((*pw).pw_uid, (*pw).pw_gid))
        }
    };
    if lookup().is_none() {
        let _ = Command::new("useradd")
            .args(["--system", "--user-group", "--no-create-home"])
            .args(["--shell", "/usr/sbin/nologin", SERVICE_USER])
            .status();
    }
    lookup()
}

extern "C" fn stop_at_exit() {
    let pid = PID.load(Ordering::SeqCst);
    if pid > 0 {
        // SAFETY: signals the server this harness started.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
            libc::waitpid(pid, std::ptr::null_mut(), 0);
        }
    }
    if let Some(dir) = DIR.lock().ok().and_then(|d| d.clone()) {
        let _ = std::fs::remove_dir_all(dir);
    }
}

fn start() -> Result<Server, String> {
    for program in ["mariadbd", "mariadb-install-db", "mariadb"] {
        let found = Command::new("sh")
            .args([
                "-c",
                &format!("command -v {program} || test -x /usr/sbin/{program}"),
            ])
            .stdout(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !found {
            return Err(format!(
                "{program} is not installed (.ci/apt-packages lists mariadb-server and mariadb-client)"
            ));
        }
    }
    let ids = service_user();
    if is_root() && ids.is_none() {
        return Err(format!("cannot create the user {SERVICE_USER}"));
    }
    let dir = tempfile::Builder::new()
        .prefix("opscheck-mysql-")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    *DIR.lock().unwrap() = Some(dir.clone());
    // SAFETY: registers a plain function to run at exit.
    unsafe {
        libc::atexit(stop_at_exit);
    }
    let data = dir.join("data");
    let socket = dir.join("mysqld.sock");
    std::fs::create_dir(&data).map_err(|e| e.to_string())?;
    if let Some((uid, gid)) = ids {
        for path in [&dir, &data] {
            let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
            // SAFETY: chown with a valid path.
            unsafe { libc::chown(c.as_ptr(), uid, gid) };
        }
    }
    let as_service = |program: &str| -> Command {
        match ids {
            Some((uid, gid)) => {
                let mut c = Command::new("setpriv");
                c.arg(format!("--reuid={uid}"))
                    .arg(format!("--regid={gid}"))
                    .args(["--clear-groups", "--pdeathsig", "KILL", "--"])
                    .arg(program);
                c
            }
            None => Command::new(program),
        }
    };
    let user = if ids.is_some() {
        SERVICE_USER.to_string()
    } else {
        String::from_utf8_lossy(&Command::new("id").arg("-un").output().unwrap().stdout)
            .trim()
            .to_string()
    };
    let out = as_service("mariadb-install-db")
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .arg("--auth-root-authentication-method=normal")
        .arg("--skip-test-db")
        .arg(format!("--user={user}"))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("mariadb-install-db: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "mariadb-install-db failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    make_certificates(&dir)?;
    if let Some((uid, gid)) = ids {
        for name in ["server.key", "server.crt", "ca.crt"] {
            let c = std::ffi::CString::new(dir.join(name).to_str().unwrap()).unwrap();
            // SAFETY: chown with a valid path.
            unsafe { libc::chown(c.as_ptr(), uid, gid) };
        }
    }
    let port = ports::free_port();
    let log = dir.join("mariadbd.log");
    let mut command = as_service("mariadbd");
    command
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .arg(format!("--socket={}", socket.display()))
        .arg(format!("--port={port}"))
        .arg(format!("--pid-file={}", dir.join("mariadbd.pid").display()))
        .arg(format!("--log-error={}", log.display()))
        .arg(format!("--ssl-cert={}", dir.join("server.crt").display()))
        .arg(format!("--ssl-key={}", dir.join("server.key").display()))
        .arg(format!("--ssl-ca={}", dir.join("ca.crt").display()))
        .args([
            "--bind-address=127.0.0.1",
            "--skip-log-bin",
            "--skip-name-resolve",
            "--innodb-buffer-pool-size=32M",
            "--innodb-log-file-size=16M",
            "--max-connections=151",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // Spawned from a thread that never ends, so that --pdeathsig fires only
    // when the whole test process goes.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let result = command.spawn().map(|c| c.id() as i32);
        let _ = tx.send(result.map_err(|e| e.to_string()));
        loop {
            std::thread::park();
        }
    });
    let pid = rx
        .recv()
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot start mariadbd: {e}"))?;
    PID.store(pid, Ordering::SeqCst);
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let ok = Command::new("mariadb")
            .arg("--no-defaults")
            .arg(format!("--socket={}", socket.display()))
            .args(["-u", "root", "-e", "SELECT 1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if ok {
            break;
        }
        let mut status = 0;
        // SAFETY: non-blocking wait on our own child.
        if unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } == pid {
            return Err(format!(
                "mariadbd exited: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            ));
        }
        if Instant::now() > until {
            return Err(format!(
                "mariadbd did not answer within 60 s: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let server = Server { port, socket, dir };
    server.root_sql(&format!(
        "DROP USER IF EXISTS ''@'localhost';
         CREATE USER '{MONITOR_USER}'@'%' IDENTIFIED BY '{MONITOR_PASSWORD}';
         GRANT PROCESS ON *.* TO '{MONITOR_USER}'@'%';
         CREATE USER '{NOPROC_USER}'@'%' IDENTIFIED BY '{MONITOR_PASSWORD}';
         CREATE USER '{APP_USER}'@'%' IDENTIFIED BY '{APP_PASSWORD}';
         CREATE DATABASE sop; CREATE DATABASE cdrdb;
         GRANT ALL ON sop.* TO '{APP_USER}'@'%'; GRANT ALL ON cdrdb.* TO '{APP_USER}'@'%';"
    ))?;
    Ok(server)
}

/// A CA (`ca.crt`) and a server certificate for `localhost` and 127.0.0.1
/// (`server.crt`, `server.key`) in `dir`, made with the openssl tool.
fn make_certificates(dir: &Path) -> Result<(), String> {
    let run = |args: &[&str]| -> Result<(), String> {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("openssl (Debian openssl): {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=opscheck test CA",
    ])?;
    run(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ])?;
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .map_err(|e| e.to_string())?;
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    ])
}

impl Server {
    /// The CA that signed the server's certificate.
    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }

    /// Runs SQL as root on the socket.
    pub fn root_sql(&self, sql: &str) -> Result<String, String> {
        let out = Command::new("mariadb")
            .arg("--no-defaults")
            .arg(format!("--socket={}", self.socket.display()))
            // No TLS on the harness's own sessions (newer clients turn it on
            // by default): the TLS test counts the server's handshakes.
            .args(["--skip-ssl", "-u", "root", "-N", "-B", "-e", sql])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "SQL failed: {sql}\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Like [`Server::root_sql`], panicking on failure.
    pub fn sql(&self, sql: &str) -> String {
        self.root_sql(sql).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Client connections (threads of `user`) the server has, as it counts them.
    pub fn threads_of(&self, user: &str) -> usize {
        self.sql(&format!(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '{user}'"
        ))
        .trim()
        .parse()
        .unwrap()
    }

    /// Waits until the server shows `n` threads of `user` (closing is asynchronous).
    pub fn wait_threads(&self, user: &str, n: usize) {
        let until = Instant::now() + Duration::from_secs(20);
        while self.threads_of(user) != n {
            assert!(
                Instant::now() < until,
                "the server still shows {} threads of {user}, not {n}",
                self.threads_of(user)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn tcp_url(&self, user: &str, password: &str, db: &str) -> String {
        format!("mysql://{user}:{password}@127.0.0.1:{}/{db}", self.port)
    }
}

/// Real client connections the test holds open (idle, `Sleep`), closed on drop.
pub struct Clients {
    runtime: tokio::runtime::Runtime,
    url: String,
    conns: Vec<mysql_async::Conn>,
}

impl Clients {
    /// Opens up to `n` connections as `app` to `db`; stops at the first the
    /// server refuses and returns its error with what was opened.
    pub fn open(server: &Server, db: &str, n: usize) -> (Clients, Option<String>) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let url = server.tcp_url(APP_USER, APP_PASSWORD, db);
        let mut clients = Clients {
            runtime,
            url,
            conns: Vec::new(),
        };
        let error = clients.open_more(n);
        (clients, error)
    }

    /// Opens up to `n` more connections; the error of the first refused.
    fn open_more(&mut self, n: usize) -> Option<String> {
        for _ in 0..n {
            let opts = mysql_async::Opts::from_url(&self.url).unwrap();
            match self.runtime.block_on(mysql_async::Conn::new(opts)) {
                Ok(c) => self.conns.push(c),
                Err(e) => return Some(e.to_string()),
            }
        }
        None
    }

    /// Takes every connection slot the server frees (a client that just quit
    /// is let go asynchronously, the server's thread ending a moment later):
    /// returns once 300 ms pass without a slot freed, or after 5 s.
    pub fn hold_every_slot(&mut self) {
        let started = Instant::now();
        let mut quiet_since = Instant::now();
        while quiet_since.elapsed() < Duration::from_millis(300)
            && started.elapsed() < Duration::from_secs(5)
        {
            let before = self.conns.len();
            self.open_more(100);
            if self.conns.len() > before {
                quiet_since = Instant::now();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn len(&self) -> usize {
        self.conns.len()
    }
}

impl Drop for Clients {
    fn drop(&mut self) {
        for conn in self.conns.drain(..) {
            let _ = self.runtime.block_on(conn.disconnect());
        }
    }
}

/// A `SELECT SLEEP(seconds)` running on its own connection (as `app` on
/// `sop`), until it ends or is dropped (then killed on the server).
pub struct Sleeper {
    child: std::process::Child,
}

impl Sleeper {
    pub fn start(server: &Server, seconds: u32) -> Sleeper {
        let child = Command::new("mariadb")
            .arg("--no-defaults")
            .args(["-h", "127.0.0.1", "-P", &server.port.to_string()])
            .args(["-u", APP_USER, &format!("-p{APP_PASSWORD}"), "sop"])
            .args(["-e", &format!("SELECT SLEEP({seconds})")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Sleeper { child }
    }
}

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(Ok(server)) = SERVER.get() {
            let ids = server
                .root_sql(
                    "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP%'",
                )
                .unwrap_or_default();
            for id in ids.split_whitespace() {
                let _ = server.root_sql(&format!("KILL {id}"));
            }
        }
    }
}

/// Sets a file's modification time to `age` seconds ago.
pub fn set_age(path: &Path, age: Duration) {
    let when = std::time::SystemTime::now() - age;
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(when).unwrap();
}
