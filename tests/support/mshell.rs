//! A stand-in for Escaux's `mshell` (the Felix remote shell client of the
//! net.Console SOP, which cannot run here): a shell script named `mshell` in a
//! temporary folder put first on PATH, so the plugins run their default command.
//! It prints a recorded output per subcommand (`MSHELL_PS`, `MSHELL_NCCTL`:
//! files) or misbehaves as `MSHELL_MODE` says: `down` (telnet's refusal on
//! stderr, exit 1), `down0` (the same on stdout, exit 0), `empty`, `hang`
//! (writes its pid to `MSHELL_PIDFILE` and sleeps).
#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

pub const SCRIPT: &str = r#"#!/bin/sh
case "$MSHELL_MODE" in
  down) echo "telnet: Unable to connect to remote host: Connection refused" >&2; exit 1 ;;
  down0) echo "Trying 127.0.0.1..."; echo "telnet: Unable to connect to remote host: Connection refused"; exit 0 ;;
  empty) exit 0 ;;
  hang) echo $$ > "$MSHELL_PIDFILE"; exec sleep 30 ;;
esac
case "$1" in
  ps) exec cat "$MSHELL_PS" ;;
  ncctl.list) exec cat "$MSHELL_NCCTL" ;;
  *) echo "Command not found: $1" >&2; exit 1 ;;
esac
"#;

/// A folder holding the stand-in `mshell`, to put first on PATH.
pub struct StandIn {
    pub dir: tempfile::TempDir,
}

impl StandIn {
    pub fn new() -> StandIn {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mshell");
        std::fs::write(&path, SCRIPT).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        StandIn { dir }
    }

    /// PATH with the stand-in first.
    pub fn path_var(&self) -> String {
        format!(
            "{}:{}",
            self.dir.path().display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }

    pub fn script(&self) -> PathBuf {
        self.dir.path().join("mshell")
    }
}

/// A recorded output under examples/.
pub fn example(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(path)
}

/// True while `pid` runs (a zombie waiting for its reaper does not count).
pub fn alive(pid: i32) -> bool {
    let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    state
        .rsplit(')')
        .next()
        .is_some_and(|rest| !rest.trim_start().is_empty() && !rest.trim_start().starts_with('Z'))
}

/// Waits up to 5 s for `pid` to be gone; true when it is.
pub fn gone(pid: i32) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while alive(pid) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    !alive(pid)
}
