//! A real OpenSSH server for check_guide's `--via` tests (COMPONENTS.md recipe):
//! `sshd -D -e -f CONF` on a loopback port of its own, with its own host key and
//! a client key pair made for the test. Needs root (sshd's privilege separation)
//! and Debian's `openssh-server`; fails loudly otherwise.
#![allow(dead_code)]

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Sshd {
    pub port: u16,
    pub key: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn keygen(path: &Path) {
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .output()
        .expect("ssh-keygen runs (Debian openssh-client)");
    assert!(out.status.success(), "ssh-keygen: {out:?}");
}

impl Sshd {
    pub fn start(port: u16) -> Sshd {
        let sshd = Path::new("/usr/sbin/sshd");
        assert!(
            sshd.exists(),
            "/usr/sbin/sshd is missing: install Debian openssh-server (.ci/apt-packages)"
        );
        assert!(
            unsafe { libc::geteuid() } == 0,
            "sshd must run as root for these tests (privilege separation)"
        );
        std::fs::create_dir_all("/run/sshd").expect("mkdir /run/sshd");
        let dir = tempfile::tempdir().unwrap();
        let host_key = dir.path().join("host_key");
        let key = dir.path().join("client_key");
        keygen(&host_key);
        keygen(&key);
        let authorized = dir.path().join("authorized_keys");
        std::fs::copy(key.with_extension("pub"), &authorized).unwrap();
        let conf = dir.path().join("sshd_config");
        std::fs::write(
            &conf,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\n\
                 StrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 PermitRootLogin prohibit-password\nPidFile {}\nLogLevel ERROR\n",
                host_key.display(),
                authorized.display(),
                dir.path().join("sshd.pid").display()
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("sshd.log")).unwrap();
        let child = Command::new(sshd)
            .args(["-D", "-e", "-f"])
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("sshd starts");
        let mut server = Sshd {
            port,
            key,
            child,
            _dir: dir,
        };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                let log = std::fs::read_to_string(server._dir.path().join("sshd.log"))
                    .unwrap_or_default();
                panic!("sshd exited ({status}): {log}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "sshd did not listen on {port} within 10 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// The `--via` template for check_guide: ssh to root@{host} on this server's port.
    pub fn via(&self) -> String {
        format!(
            "ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
             -o LogLevel=ERROR -i {} -p {} root@{{host}}",
            self.key.display(),
            self.port
        )
    }
}
