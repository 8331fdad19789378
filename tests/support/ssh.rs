//! A real OpenSSH server for tests of plugins that reach a peer over ssh
//! (Debian `openssh-server`; `openssh-client` for the client side): the
//! accounting sync's peer, and check_guide's `--via`.
//!
//! [`SshServer::start`] makes, in a temporary directory of its own, an ed25519
//! host key, a key pair for the test's client and an `sshd_config` (loopback
//! only, a free port, public-key authentication only, no PAM, `StrictModes no`),
//! then runs `sshd -D -e -f CONFIG` as a direct child and waits until it
//! accepts connections. Dropping the server stops it (SIGTERM, then SIGKILL).
//! [`SshServer::client_options`] gives the `-o` options a client needs to log
//! in (port, identity, no known-hosts file, batch mode), so a plugin's default
//! `ssh -o BatchMode=yes HOST …` path can be proven with only options added;
//! [`SshServer::via`] gives the same as a check_guide `--via` template.
//!
//! Self-contained (std, libc and tempfile only), so a test binary can include
//! it with `#[path = "support/ssh.rs"] mod ssh;`. sshd runs as root (it has to,
//! to switch to the logged-in user): a test that is not root fails loudly.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SSHD: &str = "/usr/sbin/sshd";

pub struct SshServer {
    pub port: u16,
    /// The user the client logs in as (the user running the tests: root).
    pub user: String,
    /// The client's private key (`IdentityFile`).
    pub identity: PathBuf,
    pub dir: tempfile::TempDir,
    child: Child,
}

fn run(command: &mut Command) {
    let out = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn keygen(path: &Path) {
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "opscheck-test", "-f"])
        .arg(path));
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind a loopback port")
        .local_addr()
        .unwrap()
        .port()
}

impl SshServer {
    /// Starts sshd on 127.0.0.1 and a free port; panics with sshd's log when it
    /// does not accept connections within 10 s, or when not run as root.
    pub fn start() -> SshServer {
        SshServer::start_on(free_port())
    }

    /// Starts sshd on 127.0.0.1 and `port` (a test binary that hands out its
    /// ports with `support/ports.rs` passes one of those).
    pub fn start_on(port: u16) -> SshServer {
        assert!(
            Path::new(SSHD).exists(),
            "{SSHD} not found: install openssh-server (listed in .ci/apt-packages)"
        );
        // SAFETY: geteuid(2) has no preconditions.
        assert!(
            unsafe { libc::geteuid() } == 0,
            "sshd must run as root to log a user in: run the tests as root"
        );
        let dir = tempfile::tempdir().unwrap();
        let host_key = dir.path().join("host_ed25519");
        let identity = dir.path().join("client_ed25519");
        keygen(&host_key);
        keygen(&identity);
        let authorized = dir.path().join("authorized_keys");
        std::fs::copy(identity.with_extension("pub"), &authorized).unwrap();
        // sshd refuses to start without its privilege separation directory.
        std::fs::create_dir_all("/run/sshd").unwrap();
        let config = dir.path().join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\n\
                 PidFile {}\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nPubkeyAuthentication yes\n\
                 PermitRootLogin prohibit-password\nLogLevel VERBOSE\n",
                host_key.display(),
                authorized.display(),
                dir.path().join("sshd.pid").display()
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("sshd.log")).unwrap();
        let child = {
            use std::os::unix::process::CommandExt;
            Command::new(SSHD)
                .args(["-D", "-e", "-f"])
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .process_group(0)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {SSHD}: {e}"))
        };
        let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_string();
        let mut server = SshServer {
            port,
            user,
            identity,
            dir,
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("sshd exited ({status}):\n{}", server.log());
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "sshd does not accept connections on port {port}:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// What sshd logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    /// The `-o` values a client needs: `Port=…`, `User=…`, `IdentityFile=…`,
    /// no known-hosts file (the host key is the test's own), batch mode.
    pub fn client_options(&self) -> Vec<String> {
        vec![
            format!("Port={}", self.port),
            format!("User={}", self.user),
            format!("IdentityFile={}", self.identity.display()),
            "IdentitiesOnly=yes".to_string(),
            "StrictHostKeyChecking=no".to_string(),
            "UserKnownHostsFile=/dev/null".to_string(),
            "LogLevel=ERROR".to_string(),
            "BatchMode=yes".to_string(),
        ]
    }

    /// `ssh -o … 127.0.0.1`, ready for a remote command to be appended.
    pub fn ssh_argv(&self) -> Vec<String> {
        let mut argv = vec!["ssh".to_string()];
        for o in self.client_options() {
            argv.push("-o".to_string());
            argv.push(o);
        }
        argv.push("127.0.0.1".to_string());
        argv
    }

    /// A check_guide `--via` template logging in to this server (`{host}` is
    /// where check_guide puts the host).
    pub fn via(&self) -> String {
        let options: Vec<String> = self
            .client_options()
            .into_iter()
            .map(|o| format!("-o {o}"))
            .collect();
        format!("ssh {} {{host}}", options.join(" "))
    }
}

impl Drop for SshServer {
    fn drop(&mut self) {
        let pgid = self.child.id() as i32;
        // SAFETY: kill(2) on the process group this server started.
        unsafe {
            libc::kill(-pgid, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                unsafe {
                    libc::kill(-pgid, libc::SIGKILL);
                }
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}
