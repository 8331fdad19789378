//! Where a log was left last run, and what became of it since.
//!
//! A position is the device and inode of the file read, the offset reached
//! (always just after a complete line), the size seen, and a fingerprint of the
//! file's first bytes. Comparing it with the file now at the path tells apart
//! the cases the peers get wrong ([`decide`]):
//! - same inode, same first bytes, size ≥ offset: new lines were appended;
//! - same inode, size below the offset: truncated (logrotate `copytruncate`);
//! - same inode, other first bytes: rewritten in place;
//! - another inode: rotated (renamed, a new file created), so the old file's
//!   unread tail is looked for by its inode among the rotated names.

use serde::{Deserialize, Serialize};
use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

/// How many first bytes make the fingerprint.
pub const FINGERPRINT_BYTES: u64 = 512;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub dev: u64,
    pub ino: u64,
    /// Where the next run starts: just after the last complete line read.
    pub offset: u64,
    /// The size when last read.
    pub size: u64,
    /// How many first bytes the fingerprint covers (fewer than
    /// [`FINGERPRINT_BYTES`] while the file was smaller).
    pub fp_len: u64,
    /// FNV-1a of those bytes, in hex.
    pub fp: String,
}

/// A file as seen now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
}

impl Seen {
    pub fn of(file: &File) -> std::io::Result<Seen> {
        let m = file.metadata()?;
        Ok(Seen {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
        })
    }
}

/// What to do with the file at the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Never seen: start at its end (or at 0 with `--from-start`).
    New,
    /// Appended to (or unchanged): read from this offset.
    Continue(u64),
    /// Same inode, now shorter than the offset: truncated in place (copytruncate).
    Truncated,
    /// Same inode and size, other first bytes: rewritten in place.
    Rewritten,
    /// Another inode at the path: the old file was rotated away.
    Rotated,
}

/// Compares the saved position with the file now at the path. `fp_now` is the
/// fingerprint of the file's first `saved.fp_len` bytes (`None` if it has fewer).
pub fn decide(saved: Option<&Position>, now: &Seen, fp_now: Option<&str>) -> Plan {
    let Some(saved) = saved else {
        return Plan::New;
    };
    let same_content = fp_now == Some(saved.fp.as_str());
    if (saved.dev, saved.ino) != (now.dev, now.ino) {
        return Plan::Rotated;
    }
    if now.size < saved.offset {
        return Plan::Truncated;
    }
    if !same_content {
        return Plan::Rewritten;
    }
    Plan::Continue(saved.offset)
}

/// FNV-1a of the first `len` bytes of `file`, or `None` when it has fewer.
pub fn fingerprint(file: &File, len: u64) -> std::io::Result<Option<String>> {
    let mut buf = vec![0u8; len as usize];
    let mut got = 0;
    while got < buf.len() {
        let n = file.read_at(&mut buf[got..], got as u64)?;
        if n == 0 {
            return Ok(None);
        }
        got += n;
    }
    Ok(Some(fnv1a_hex(&buf)))
}

pub fn fnv1a_hex(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf29ce484222325u64, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x100000001b3)
    });
    format!("{hash:016x}")
}

/// The position to save after reading `file` (seen as `now`) up to `offset`.
pub fn position_after(file: &File, now: &Seen, offset: u64) -> std::io::Result<Position> {
    let fp_len = now.size.min(FINGERPRINT_BYTES);
    let fp = fingerprint(file, fp_len)?.unwrap_or_else(|| fnv1a_hex(b""));
    Ok(Position {
        dev: now.dev,
        ino: now.ino,
        offset,
        size: now.size,
        fp_len,
        fp,
    })
}

/// Where a rotated log may be: `FILE.0`, `FILE.1`, `FILE-*` (dateext), `FILE.*`, then the
/// `--rotated-glob` patterns, without the file itself, each once.
pub fn rotated_candidates(path: &Path, globs: &[String]) -> Vec<PathBuf> {
    let text = path.to_string_lossy();
    let mut out: Vec<PathBuf> = vec![
        PathBuf::from(format!("{text}.0")),
        PathBuf::from(format!("{text}.1")),
    ];
    let escaped = glob::Pattern::escape(&text);
    let mut patterns = vec![format!("{escaped}-*"), format!("{escaped}.*")];
    patterns.extend(globs.iter().cloned());
    for pattern in patterns {
        if let Ok(paths) = glob::glob(&pattern) {
            let mut found: Vec<PathBuf> = paths.filter_map(Result::ok).collect();
            found.sort();
            out.extend(found);
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| p != path && seen.insert(p.clone()));
    out
}

/// A compressed archive, which is not read (its tail cannot be reached by offset).
pub fn is_compressed(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("gz" | "xz" | "bz2" | "zst" | "lz4" | "Z")
    )
}

/// The rotated file that is `saved`'s inode, opened, among `candidates`.
pub fn find_by_inode(candidates: &[PathBuf], saved: &Position) -> Option<(PathBuf, File, Seen)> {
    candidates
        .iter()
        .filter(|p| !is_compressed(p))
        .find_map(|p| {
            let m = std::fs::metadata(p).ok()?;
            if (m.dev(), m.ino()) != (saved.dev, saved.ino) {
                return None;
            }
            let file = File::open(p).ok()?;
            let seen = Seen::of(&file).ok()?;
            ((seen.dev, seen.ino) == (saved.dev, saved.ino)).then(|| (p.clone(), file, seen))
        })
}

/// A copy of the old content (copytruncate): a rotated file with the saved
/// first bytes and at least the saved offset's length.
pub fn find_copy(
    candidates: &[PathBuf],
    saved: &Position,
    not: &Seen,
) -> Option<(PathBuf, File, Seen)> {
    if saved.fp_len == 0 {
        return None;
    }
    candidates
        .iter()
        .filter(|p| !is_compressed(p))
        .find_map(|p| {
            let file = File::open(p).ok()?;
            let seen = Seen::of(&file).ok()?;
            if (seen.dev, seen.ino) == (not.dev, not.ino) || seen.size < saved.offset {
                return None;
            }
            let fp = fingerprint(&file, saved.fp_len).ok()??;
            (fp == saved.fp).then(|| (p.clone(), file, seen))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(ino: u64, offset: u64, fp: &str) -> Position {
        Position {
            dev: 1,
            ino,
            offset,
            size: offset,
            fp_len: 10,
            fp: fp.into(),
        }
    }

    fn seen(ino: u64, size: u64) -> Seen {
        Seen { dev: 1, ino, size }
    }

    #[test]
    fn the_cases() {
        assert_eq!(decide(None, &seen(5, 10), None), Plan::New);
        let p = pos(5, 100, "aa");
        assert_eq!(
            decide(Some(&p), &seen(5, 150), Some("aa")),
            Plan::Continue(100)
        );
        assert_eq!(
            decide(Some(&p), &seen(5, 100), Some("aa")),
            Plan::Continue(100)
        );
        assert_eq!(decide(Some(&p), &seen(5, 40), Some("aa")), Plan::Truncated);
        assert_eq!(decide(Some(&p), &seen(5, 40), None), Plan::Truncated);
        assert_eq!(decide(Some(&p), &seen(5, 100), Some("bb")), Plan::Rewritten);
        assert_eq!(decide(Some(&p), &seen(6, 500), Some("aa")), Plan::Rotated);
        let other_dev = Seen {
            dev: 2,
            ino: 5,
            size: 500,
        };
        assert_eq!(decide(Some(&p), &other_dev, Some("aa")), Plan::Rotated);
    }

    #[test]
    fn candidates_in_order_without_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("local.log");
        for name in [
            "local.log",
            "local.log.2.gz",
            "local.log-20261130",
            "local.log-20261129.gz",
            "other",
        ] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        let found = rotated_candidates(&log, &[format!("{}/oth*", dir.path().display())]);
        let names: Vec<String> = found
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "local.log.0",
                "local.log.1",
                "local.log-20261129.gz",
                "local.log-20261130",
                "local.log.2.gz",
                "other"
            ]
        );
        assert!(is_compressed(&found[2]));
    }

    #[test]
    fn fingerprints_of_first_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123456789abc").unwrap();
        let file = File::open(&path).unwrap();
        let now = Seen::of(&file).unwrap();
        let p = position_after(&file, &now, 13).unwrap();
        assert_eq!(p.fp_len, 13);
        assert_eq!(
            fingerprint(&file, 13).unwrap().as_deref(),
            Some(p.fp.as_str())
        );
        assert_eq!(fingerprint(&file, 20).unwrap(), None);
    }
}
