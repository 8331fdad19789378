//! State kept between runs (counter samples, log offsets): one JSON file per
//! plugin and instance key, locked against concurrent runs, written atomically
//! (temp file + rename) with mode 0600. A corrupt file is reset with a note.
//!
//! Each file carries the version of the sample's shape
//! (`{"version": N, "data": …}`): a plugin whose sample changes shape raises
//! its [`StateFile::version`], and the old files start afresh with one quiet
//! note instead of a "corrupt, reset" on every host. Fields the current
//! version does not know (a file written by a newer release) are ignored. A
//! save killed half-way leaves its temp file, removed by the next run that
//! holds the same lock.

use crate::runner::Failure;
use crate::timeout::set_activity;
use clap::Args;
use serde::{de::DeserializeOwned, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

const SUITE_DIR: &str = "opscheck";

/// `--state-dir`, to flatten into a plugin that keeps state.
#[derive(Args, Debug, Clone, Default)]
pub struct StateArgs {
    /// Where state files live [default: /var/lib/opscheck as root, else
    /// $XDG_STATE_HOME/opscheck or ~/.local/state/opscheck]
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

impl StateArgs {
    /// The state directory: the option, else [`default_state_dir`].
    pub fn dir(&self) -> PathBuf {
        self.state_dir.clone().unwrap_or_else(default_state_dir)
    }

    /// Opens (and locks) the state of `plugin` for the instance named by `key`.
    pub fn open(&self, plugin: &str, key: &str) -> Result<StateFile, Failure> {
        StateFile::open(&self.dir(), plugin, key)
    }
}

/// `/var/lib/opscheck` as root, else the user's state directory.
pub fn default_state_dir() -> PathBuf {
    // SAFETY: geteuid(2) has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return PathBuf::from("/var/lib").join(SUITE_DIR);
    }
    if let Some(dir) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join(SUITE_DIR);
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(home) => PathBuf::from(home).join(".local/state").join(SUITE_DIR),
        None => std::env::temp_dir().join(SUITE_DIR),
    }
}

/// What was found in the state file.
#[derive(Debug)]
pub enum Loaded<T> {
    /// No state yet (first run).
    Missing,
    /// The sample saved by the last run.
    Found(T),
    /// The file could not be read as state; the text says why. It will be overwritten.
    Corrupt(String),
    /// The file holds a sample of another shape (another version of the plugin):
    /// the run starts afresh; the text is a quiet note saying so.
    Outdated(String),
}

impl<T> Loaded<T> {
    /// The sample when there is one, and the note to add when the file was reset.
    pub fn into_parts(self) -> (Option<T>, Option<String>) {
        match self {
            Loaded::Missing => (None, None),
            Loaded::Found(value) => (Some(value), None),
            Loaded::Corrupt(note) | Loaded::Outdated(note) => (None, Some(note)),
        }
    }
}

/// The shape of a sample, as saved: see the module's documentation.
#[derive(Serialize)]
struct Envelope<'a, T> {
    version: u32,
    data: &'a T,
}

#[derive(serde::Deserialize)]
struct RawEnvelope {
    version: u32,
    data: serde_json::Value,
}

/// An open, locked state file. The lock is released when this is dropped.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    version: u32,
    _lock: File,
}

impl StateFile {
    /// Opens (creating the directory) and locks the state of `plugin` for `key`.
    pub fn open(dir: &Path, plugin: &str, key: &str) -> Result<StateFile, Failure> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| {
                Failure::unknown(format!(
                    "cannot create state directory {}: {e} (set --state-dir to a writable directory)",
                    dir.display()
                ))
            })?;
        let path = dir.join(format!("{}.json", file_stem(plugin, key)));
        let lock_path = path.with_extension("lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&lock_path)
            .map_err(|e| {
                Failure::unknown(format!(
                    "cannot open lock file {}: {e}",
                    lock_path.display()
                ))
            })?;
        set_activity(format!("waiting for the lock on {}", lock_path.display()));
        lock.lock()
            .map_err(|e| Failure::unknown(format!("cannot lock {}: {e}", lock_path.display())))?;
        let state = StateFile {
            path,
            version: 1,
            _lock: lock,
        };
        state.remove_stale_temp_files();
        Ok(state)
    }

    /// Sets the version of the sample's shape (default 1). Raise it when the
    /// saved type changes in a way old files cannot be read as.
    pub fn version(mut self, version: u32) -> StateFile {
        self.version = version;
        self
    }

    /// The prefix of this file's temp files: its own name, so that the holder
    /// of its lock knows every such file is a leftover of a killed save.
    fn temp_prefix(&self) -> String {
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!(".{name}.tmp-")
    }

    fn remove_stale_temp_files(&self) {
        let (Some(dir), prefix) = (self.path.parent(), self.temp_prefix()) else {
            return;
        };
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    /// The state file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the sample saved by the last run.
    pub fn load<T: DeserializeOwned>(&self) -> Loaded<T> {
        match fs::read(&self.path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Loaded::Missing,
            Err(e) => Loaded::Corrupt(format!("cannot read {}: {e}", self.path.display())),
            Ok(bytes) => self.decode(&bytes),
        }
    }

    /// What [`load`](Self::load) makes of a file's bytes (public for the
    /// fuzz target: a state file is outside input, whatever a disk left there).
    pub fn decode<T: DeserializeOwned>(&self, bytes: &[u8]) -> Loaded<T> {
        let corrupt = |e: &dyn std::fmt::Display| {
            Loaded::Corrupt(format!(
                "state file {} was unreadable ({e}) and has been reset",
                self.path.display()
            ))
        };
        match serde_json::from_slice::<RawEnvelope>(bytes) {
            Ok(envelope) if envelope.version == self.version => {
                match serde_json::from_value(envelope.data) {
                    Ok(value) => Loaded::Found(value),
                    Err(e) => corrupt(&e),
                }
            }
            Ok(envelope) => Loaded::Outdated(format!(
                "the saved sample is of another version ({} here, {} in the file): started afresh",
                self.version, envelope.version
            )),
            // A file from before versioned state: the bare sample, read as version 1.
            Err(_) if self.version == 1 => match serde_json::from_slice(bytes) {
                Ok(value) => Loaded::Found(value),
                Err(e) => corrupt(&e),
            },
            Err(e) => corrupt(&e),
        }
    }

    /// Writes `value` atomically: a crash leaves either the old state or the new one.
    pub fn save<T: Serialize>(&self, value: &T) -> Result<(), Failure> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let fail = |e: &dyn std::fmt::Display| {
            Failure::unknown(format!(
                "cannot write state file {}: {e}",
                self.path.display()
            ))
        };
        let prefix = self.temp_prefix();
        let mut temp = tempfile::Builder::new()
            .prefix(&prefix)
            .tempfile_in(dir)
            .map_err(|e| fail(&e))?;
        let envelope = Envelope {
            version: self.version,
            data: value,
        };
        let bytes = serde_json::to_vec(&envelope).map_err(|e| fail(&e))?;
        temp.write_all(&bytes).map_err(|e| fail(&e))?;
        temp.as_file().sync_all().map_err(|e| fail(&e))?;
        // tempfile creates the file with mode 0600 already.
        temp.persist(&self.path).map_err(|e| fail(&e.error))?;
        Ok(())
    }
}

/// A file name for plugin + key: readable where the key is simple, and with a
/// hash of the key when characters had to be replaced, so two keys never collide.
fn file_stem(plugin: &str, key: &str) -> String {
    let clean: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    let clean = clean.trim_start_matches('.');
    if clean == key && !key.is_empty() {
        format!("{plugin}_{clean}")
    } else {
        format!("{plugin}_{clean}_{:016x}", fnv1a(key.as_bytes()))
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Sample {
        counter: u64,
    }

    #[test]
    fn round_trip_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateFile::open(dir.path(), "check_x", "host1").unwrap();
        assert!(matches!(state.load::<Sample>(), Loaded::Missing));
        state.save(&Sample { counter: 7 }).unwrap();
        match state.load::<Sample>() {
            Loaded::Found(s) => assert_eq!(s, Sample { counter: 7 }),
            other => panic!("{other:?}"),
        }
        let mode = fs::metadata(state.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(state.path().file_name().unwrap(), "check_x_host1.json");
    }

    #[test]
    fn corrupt_file_is_reported_then_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateFile::open(dir.path(), "check_x", "k").unwrap();
        fs::write(state.path(), b"{not json").unwrap();
        match state.load::<Sample>() {
            Loaded::Corrupt(note) => assert!(note.contains("has been reset"), "{note}"),
            other => panic!("{other:?}"),
        }
        state.save(&Sample { counter: 1 }).unwrap();
        assert!(matches!(state.load::<Sample>(), Loaded::Found(_)));
        // No temporary files are left behind.
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn versions_unknown_fields_and_files_from_before_versioning() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateFile::open(dir.path(), "check_x", "v").unwrap();
        // A bare sample written before state files had a version reads as version 1.
        fs::write(state.path(), br#"{"counter":3}"#).unwrap();
        assert!(matches!(
            state.load::<Sample>(),
            Loaded::Found(Sample { counter: 3 })
        ));
        // A newer release's extra fields are ignored.
        fs::write(
            state.path(),
            br#"{"version":1,"data":{"counter":4,"rate":1.5},"x":1}"#,
        )
        .unwrap();
        assert!(matches!(
            state.load::<Sample>(),
            Loaded::Found(Sample { counter: 4 })
        ));
        // Another shape: one quiet note, not "unreadable".
        let state = state.version(2);
        match state.load::<Sample>() {
            Loaded::Outdated(note) => assert!(note.contains("another version"), "{note}"),
            other => panic!("{other:?}"),
        }
        state.save(&Sample { counter: 5 }).unwrap();
        let text = fs::read_to_string(state.path()).unwrap();
        assert_eq!(text, r#"{"version":2,"data":{"counter":5}}"#);
        assert!(matches!(
            state.load::<Sample>(),
            Loaded::Found(Sample { counter: 5 })
        ));
    }

    #[test]
    fn a_killed_save_leaves_a_temp_file_that_the_next_run_removes() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateFile::open(dir.path(), "check_x", "t").unwrap();
        state.save(&Sample { counter: 1 }).unwrap();
        let leftover = dir.path().join(format!("{}abc123", state.temp_prefix()));
        fs::write(&leftover, b"{\"version\":1,\"da").unwrap();
        // Another key's temp file is not ours to remove.
        let other = dir.path().join(".check_x_u.json.tmp-zzz");
        fs::write(&other, b"").unwrap();
        drop(state);
        let state = StateFile::open(dir.path(), "check_x", "t").unwrap();
        assert!(!leftover.exists());
        assert!(other.exists());
        assert!(matches!(
            state.load::<Sample>(),
            Loaded::Found(Sample { counter: 1 })
        ));
    }

    #[test]
    fn keys_with_odd_characters_do_not_collide() {
        let a = file_stem("p", "unix:/run/a");
        let b = file_stem("p", "unix:_run_a");
        assert_ne!(a, b);
        assert!(!a.contains('/'));
        assert_eq!(file_stem("p", "simple-key.1"), "p_simple-key.1");
        assert_ne!(file_stem("p", ""), file_stem("p", "_"));
    }

    #[test]
    fn a_second_opener_waits_for_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let first = StateFile::open(dir.path(), "p", "k").unwrap();
        let path = dir.path().to_path_buf();
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let second = StateFile::open(&path, "p", "k").unwrap();
            tx.send(()).unwrap();
            drop(second);
        });
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(200))
                .is_err(),
            "lock not held"
        );
        drop(first);
        rx.recv_timeout(std::time::Duration::from_secs(5))
            .expect("lock never released");
        waiter.join().unwrap();
    }
}
