//! A real Kamailio for the tests: started in the foreground on free loopback
//! ports (SIP over UDP and TCP, xhttp for JSON-RPC, a ctl socket and a jsonrpcs
//! FIFO in a temporary directory), stopped by a Drop guard even when a test
//! fails; and SIPp to send it real traffic.
#![allow(dead_code)]

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CONFIG: &str = include_str!("../kamailio/kamailio.cfg");

pub fn scenario(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/kamailio")
        .join(name)
}

#[path = "ports.rs"]
mod ports;
#[allow(unused_imports)]
pub use ports::free_port;

pub struct Kamailio {
    pub dir: tempfile::TempDir,
    pub sip_port: u16,
    pub http_port: u16,
    child: Option<Child>,
}

impl Kamailio {
    pub fn start() -> Kamailio {
        assert!(
            Path::new("/usr/sbin/kamailio").exists() || which("kamailio"),
            "kamailio is not installed (Debian package 'kamailio', listed in .ci/apt-packages)"
        );
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut kamailio = Kamailio {
            dir,
            sip_port: free_port(),
            http_port: free_port(),
            child: None,
        };
        kamailio.launch();
        kamailio
    }

    pub fn socket(&self) -> String {
        format!("unix:{}/kamailio_ctl", self.dir.path().display())
    }

    pub fn fifo(&self) -> PathBuf {
        self.dir.path().join("kamailio_rpc.fifo")
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/RPC", self.http_port)
    }

    fn launch(&mut self) {
        let dir = self.dir.path();
        let config = CONFIG
            .replace("@SIP_PORT@", &self.sip_port.to_string())
            .replace("@HTTP_PORT@", &self.http_port.to_string())
            .replace("@DIR@", &dir.display().to_string());
        let cfg = dir.join("kamailio.cfg");
        std::fs::write(&cfg, config).unwrap();
        let log = std::fs::File::create(dir.join("kamailio.log")).unwrap();
        // -DD: no daemon, -E: log to stderr; small memory pools (many tests run at once).
        // Kamailio 5.6 runs as root when started as root; no -u/-g needed.
        let child = Command::new("kamailio")
            .arg("-f")
            .arg(&cfg)
            .args(["-DD", "-E", "-m", "32", "-M", "4", "-Y"])
            .arg(dir)
            .arg("-P")
            .arg(dir.join("kamailio.pid"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("start kamailio");
        self.child = Some(child);
        // Ready when kamcmd gets an answer through the ctl socket (the SIP
        // sockets are bound before the workers start).
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("kamailio exited at start ({status}):\n{}", self.log());
            }
            let ok = Command::new("kamcmd")
                .args(["-s", &self.socket(), "core.version"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if ok {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "kamailio did not answer on its ctl socket in 30 s:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("kamailio.log")).unwrap_or_default()
    }

    /// Stops Kamailio and starts it again on the same ports and sockets.
    pub fn restart(&mut self) {
        self.stop();
        // Stale sockets from the previous run would be reused or refused.
        for name in ["kamailio_ctl", "kamailio_rpc.fifo", "kamailio_rpc.sock"] {
            let _ = std::fs::remove_file(self.dir.path().join(name));
        }
        self.launch();
    }

    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pgid = child.id() as i32;
        // SAFETY: signals to the process group this guard created.
        unsafe {
            libc::kill(-pgid, libc::SIGTERM);
        }
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
        let _ = child.wait();
    }

    /// Runs a SIPp scenario `calls` times against this Kamailio; panics unless all succeed.
    pub fn sipp(&self, scenario_file: &str, calls: u32, transport: &str) {
        let mut command = Command::new("sipp");
        command
            .arg("-sf")
            .arg(scenario(scenario_file))
            .args(["-m", &calls.to_string(), "-r", "200", "-nostdin"])
            .args(["-i", "127.0.0.1", "-p", &free_port().to_string()])
            .args(["-timeout", "30", "-t", transport])
            .arg(format!("127.0.0.1:{}", self.sip_port))
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let out = command.output().expect("sipp runs (package sip-tester)");
        assert!(
            out.status.success(),
            "sipp {scenario_file} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Kamailio {
    fn drop(&mut self) {
        self.stop();
    }
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|p| p.join(program).exists()))
        .unwrap_or(false)
}

/// The JSON document a plugin printed with `--output-format json`.
pub fn json(stdout: &[u8]) -> serde_json::Value {
    serde_json::from_slice(stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(stdout)))
}

/// A perfdata value by label (None for `U`), searched in the whole tree.
pub fn perf(doc: &serde_json::Value, label: &str) -> Option<f64> {
    fn walk(v: &serde_json::Value, label: &str) -> Option<Option<f64>> {
        if let Some(list) = v.get("perfdata").and_then(|p| p.as_array()) {
            for p in list {
                if p["label"] == label {
                    return Some(p["value"].as_f64());
                }
            }
        }
        for key in ["items", "children"] {
            if let Some(list) = v.get(key).and_then(|i| i.as_array()) {
                for item in list {
                    if let Some(found) = walk(item, label) {
                        return Some(found);
                    }
                }
            }
        }
        None
    }
    walk(doc, label).unwrap_or_else(|| panic!("no perfdata '{label}' in {doc}"))
}
