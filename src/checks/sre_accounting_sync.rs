//! check_sre_accounting_sync: accounting state synchronised between the two
//! EMs (guide §2.12).
//!
//! `/data/sre/accounting/state` holds `<generation>.checkpoint` (the
//! accounting state at the last checkpoint, identical on both EMs) and
//! `<generation>.oplog` (the changes since, continuously synchronised, "about
//! the same size"). This EM's listing comes from the directory, the peer's from
//! a mounted directory or a command (default: ssh to the peer running `find`),
//! which prints one `NAME SIZE MTIME` line per file and, with --checksum,
//! `sha256sum` lines for the checkpoint.
//!
//! The oplogs grow at their own pace (the guide's example: 13.9 MB and 25.6 MB
//! a minute apart, healthy), so sizes alone do not show a failure: what does is
//! one side's oplog that stopped being written while the other's still is, i.e.
//! the difference of their mtimes; size difference ranges are optional.

use crate::checks::sre;
use crate::output::{one_line, Check, Item};
use crate::perfdata::Uom;
use crate::runner::{CheckResult, Failure};
use crate::status::State;
use crate::threshold::Thresholds;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const DEFAULT_DIR: &str = "/data/sre/accounting/state";

/// One file of a state directory.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub size: u64,
    /// Seconds since the epoch (fractions dropped).
    pub mtime: i64,
    pub sha256: Option<String>,
}

pub type Listing = BTreeMap<String, Entry>;

/// Reads a peer listing: `NAME SIZE MTIME` lines (`find -printf '%f %s %T@\n'`)
/// and `HEX  PATH` lines (`sha256sum`), in any order.
pub fn parse_listing(text: &str) -> Result<Listing, String> {
    let mut listing = Listing::new();
    let mut sums = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [] => continue,
            [hex, path] if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                let name = path
                    .rsplit('/')
                    .next()
                    .unwrap_or(path)
                    .trim_start_matches('*');
                sums.push((name.to_string(), hex.to_ascii_lowercase()));
            }
            [name, size, mtime] => {
                let size: u64 = size.parse().map_err(|_| {
                    format!("line {}: size '{}' is not a number", i + 1, one_line(size))
                })?;
                let mtime = mtime
                    .split('.')
                    .next()
                    .and_then(|s| s.parse::<i64>().ok())
                    .ok_or_else(|| {
                        format!("line {}: mtime '{}' is not a time", i + 1, one_line(mtime))
                    })?;
                listing.insert(
                    name.to_string(),
                    Entry {
                        size,
                        mtime,
                        sha256: None,
                    },
                );
            }
            _ => {
                return Err(format!(
                    "line {} is not 'NAME SIZE MTIME': '{}'",
                    i + 1,
                    one_line(line.trim()).chars().take(60).collect::<String>()
                ))
            }
        }
    }
    for (name, hex) in sums {
        if let Some(entry) = listing.get_mut(&name) {
            entry.sha256 = Some(hex);
        }
    }
    Ok(listing)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lists a state directory; with `checksum`, the SHA-256 of its checkpoints.
pub fn read_dir(dir: &Path, checksum: bool) -> Result<Listing, Failure> {
    use sha2::{Digest, Sha256};
    use std::os::unix::fs::MetadataExt;
    crate::timeout::set_activity(format!("listing {}", dir.display()));
    let cannot =
        |e: std::io::Error| Failure::unknown(format!("cannot list {}: {e}", dir.display()));
    let mut listing = Listing::new();
    for entry in std::fs::read_dir(dir).map_err(cannot)? {
        let entry = entry.map_err(cannot)?;
        let meta = entry.metadata().map_err(cannot)?;
        if !meta.is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let sha256 = if checksum && name.ends_with(".checkpoint") {
            let mut file = std::fs::File::open(entry.path()).map_err(cannot)?;
            let mut hasher = Sha256::new();
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = std::io::Read::read(&mut file, &mut buf).map_err(cannot)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
            }
            Some(hex(&hasher.finalize()))
        } else {
            None
        };
        listing.insert(
            name,
            Entry {
                size: meta.len(),
                mtime: meta.mtime(),
                sha256,
            },
        );
    }
    Ok(listing)
}

/// Where the peer's listing comes from.
#[derive(Debug, Clone)]
pub enum Peer {
    Dir(PathBuf),
    /// An argument vector run here without a shell.
    Command(Vec<String>),
}

/// The command run on the peer by the default ssh path (by the peer's shell,
/// as ssh always does): `find` printing name, size and mtime, and with
/// `checksum` `sha256sum` of the checkpoints.
pub fn remote_listing(dir: &str, checksum: bool) -> String {
    let quoted = shlex::try_quote(dir).map_or_else(|_| dir.to_string(), |q| q.into_owned());
    let mut command = format!("find {quoted} -maxdepth 1 -type f -printf '%f %s %T@\\n'");
    if checksum {
        command.push_str(" -name '*.checkpoint' -exec sha256sum {} +");
    }
    command
}

/// The default peer command: `ssh -o BatchMode=yes [-o OPTION…] PEER LISTING`.
pub fn ssh_command(peer: &str, options: &[String], dir: &str, checksum: bool) -> Vec<String> {
    let mut argv = vec![
        "ssh".to_string(),
        "-o".to_string(),
        "BatchMode=yes".to_string(),
    ];
    for o in options {
        argv.push("-o".to_string());
        argv.push(o.clone());
    }
    argv.push("--".to_string());
    argv.push(peer.to_string());
    argv.push(remote_listing(dir, checksum));
    argv
}

/// Gets the peer's listing. A command that fails is CRITICAL with its message
/// (the peer cannot be reached); output not understood is UNKNOWN.
pub fn read_peer(peer: &Peer, checksum: bool) -> Result<Listing, Failure> {
    match peer {
        Peer::Dir(dir) => read_dir(dir, checksum),
        Peer::Command(argv) => {
            let out = sre::run_command(argv, "C")?;
            if !out.status.success() {
                return Err(Failure::critical(format!(
                    "cannot list the peer's state: '{}' failed ({}): {}",
                    argv[0],
                    out.describe_status(),
                    one_line(out.first_error_line())
                )));
            }
            parse_listing(&out.stdout)
                .map_err(|e| Failure::unknown(format!("the peer's listing: {e}")))
        }
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub checksum: bool,
    /// On the difference of the oplogs' mtimes, in seconds.
    pub lag: Thresholds,
    /// On the difference of the oplogs' sizes, in bytes (optional).
    pub size_diff: Thresholds,
}

/// The newest file of `listing` with `suffix`, by name (generations are hex
/// numbers of a fixed width, so names sort by generation).
fn newest<'a>(listing: &'a Listing, suffix: &str) -> Option<(&'a str, &'a Entry)> {
    listing
        .iter()
        .filter(|(n, _)| n.ends_with(suffix))
        .max_by(|a, b| a.0.cmp(b.0))
        .map(|(n, e)| (n.as_str(), e))
}

/// Compares this EM's state with the peer's.
pub fn evaluate(local: &Listing, peer: &Listing, options: &Options) -> Check {
    let mut check = Check::new();
    let (lc, pc) = (newest(local, ".checkpoint"), newest(peer, ".checkpoint"));
    let generation = match (lc, pc) {
        (None, _) => {
            check.item(Item::new(State::Critical, "no .checkpoint file here"));
            None
        }
        (_, None) => {
            check.item(Item::new(
                State::Critical,
                "no .checkpoint file on the peer",
            ));
            None
        }
        (Some((ln, le)), Some((pn, pe))) => {
            let (ln_p, pn_p) = (one_line(ln), one_line(pn));
            if ln != pn {
                check.item(Item::new(
                    State::Critical,
                    format!("checkpoints differ: {ln_p} here, {pn_p} on the peer"),
                ));
                None
            } else if le.size != pe.size {
                check.item(Item::new(
                    State::Critical,
                    format!(
                        "checkpoint {ln_p} differs: {} B here, {} B on the peer",
                        le.size, pe.size
                    ),
                ));
                None
            } else if options.checksum && (le.sha256.is_none() || pe.sha256.is_none()) {
                check.item(Item::new(
                    State::Unknown,
                    format!(
                        "no SHA-256 of {ln_p} {}",
                        if le.sha256.is_none() {
                            "here"
                        } else {
                            "from the peer"
                        }
                    ),
                ));
                ln.strip_suffix(".checkpoint")
            } else if options.checksum && le.sha256 != pe.sha256 {
                check.item(Item::new(
                    State::Critical,
                    format!("checkpoint {ln_p} differs: same size, different SHA-256"),
                ));
                None
            } else {
                let how = if options.checksum {
                    "same size and SHA-256"
                } else {
                    "same size"
                };
                check.item(Item::new(
                    State::Ok,
                    format!("checkpoint {ln_p} identical ({} B, {how})", le.size),
                ));
                ln.strip_suffix(".checkpoint")
            }
        }
    };
    if let Some(generation) = generation {
        let name = format!("{generation}.oplog");
        let shown = one_line(&name);
        match (local.get(&name), peer.get(&name)) {
            (None, _) => {
                check.item(Item::new(State::Critical, format!("no {shown} here")));
            }
            (_, None) => {
                check.item(Item::new(
                    State::Critical,
                    format!("no {shown} on the peer"),
                ));
            }
            (Some(l), Some(p)) => {
                let Some(lag) = l.mtime.checked_sub(p.mtime).and_then(i64::checked_abs) else {
                    check.item(Item::new(State::Unknown, "oplog mtimes out of range"));
                    return check;
                };
                let behind = if l.mtime < p.mtime {
                    "here"
                } else {
                    "on the peer"
                };
                let judged = options
                    .lag
                    .judge("oplog_mtime_diff", lag as f64, Uom::Seconds);
                let text = if judged.state == State::Ok {
                    format!(
                        "oplog {shown} in sync: written {} apart ({} B here, {} B on the peer)",
                        crate::duration::human(lag as f64),
                        l.size,
                        p.size
                    )
                } else {
                    format!(
                        "oplog {shown} stopped {behind}: last written {} before the other side's",
                        crate::duration::human(lag as f64)
                    )
                };
                let diff = l.size.abs_diff(p.size);
                let size = options
                    .size_diff
                    .judge("oplog_size_diff", diff as f64, Uom::Bytes);
                let mut item = judged.item(text);
                if size.state != State::Ok {
                    item.children.push(Item::new(
                        size.state,
                        format!(
                            "oplog sizes differ by {diff} B ({} B here, {} B on the peer)",
                            l.size, p.size
                        ),
                    ));
                }
                item.perfdata.push(size.perfdata);
                check.item(item);
            }
        }
    }
    if check.state() == State::Ok {
        let texts: Vec<String> = check.items.iter().map(|i| i.text.clone()).collect();
        check.ok_summary(texts.join(", "));
    }
    check
}

/// Lists both sides and compares them.
pub fn check(dir: &Path, peer: &Peer, options: &Options) -> CheckResult {
    let local = read_dir(dir, options.checksum)?;
    let remote = read_peer(peer, options.checksum)?;
    Ok(evaluate(&local, &remote, options))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The guide's example (§2.12), EM1 here and EM2 the peer, mtimes a minute apart.
    const EM1: &str = "00000000000003ef3.checkpoint 29615256 1718889300.1\n00000000000003ef3.oplog 13976487 1718889300.5\n";
    const EM2: &str = "00000000000003ef3.checkpoint 29615256 1718889300.0\n00000000000003ef3.oplog 25596460 1718889360.2\n";

    fn options() -> Options {
        Options {
            checksum: false,
            lag: Thresholds::new("300".parse().ok(), "900".parse().ok()),
            size_diff: Thresholds::default(),
        }
    }

    #[test]
    fn the_seed_example_is_in_sync() {
        let (l, p) = (parse_listing(EM1).unwrap(), parse_listing(EM2).unwrap());
        assert_eq!(l["00000000000003ef3.oplog"].size, 13976487);
        let check = evaluate(&l, &p, &options());
        let text = check.render_text("S", 0);
        assert_eq!(check.state(), State::Ok, "{text}");
        assert!(
            text.contains(
                "checkpoint 00000000000003ef3.checkpoint identical (29615256 B, same size)"
            ),
            "{text}"
        );
        assert!(
            text.contains("written 1m apart (13976487 B here, 25596460 B on the peer)"),
            "{text}"
        );
        assert!(
            text.contains("oplog_mtime_diff=60s;300;900 oplog_size_diff=11619973B"),
            "{text}"
        );
    }

    #[test]
    fn out_of_sync() {
        let l = parse_listing(EM1).unwrap();
        let stopped = EM2.replace("1718889360.2", "1718890500.0");
        let check = evaluate(&l, &parse_listing(&stopped).unwrap(), &options());
        assert_eq!(check.state(), State::Critical);
        assert!(
            check
                .summary()
                .contains("stopped here: last written 20m before"),
            "{}",
            check.summary()
        );
        let other = EM2.replace("03ef3.checkpoint 29615256", "03ef4.checkpoint 29615256");
        let check = evaluate(&l, &parse_listing(&other).unwrap(), &options());
        assert!(
            check.summary().contains("checkpoints differ"),
            "{}",
            check.summary()
        );
        let size = EM2.replace("29615256", "29615000");
        let check = evaluate(&l, &parse_listing(&size).unwrap(), &options());
        assert!(check
            .summary()
            .contains("29615256 B here, 29615000 B on the peer"));
        let no_oplog = "00000000000003ef3.checkpoint 29615256 1718889300\n";
        let check = evaluate(&l, &parse_listing(no_oplog).unwrap(), &options());
        assert_eq!(check.summary(), "no 00000000000003ef3.oplog on the peer");
        let check = evaluate(&l, &Listing::new(), &options());
        assert_eq!(check.summary(), "no .checkpoint file on the peer");
        let sized = Options {
            size_diff: Thresholds::new("10000000".parse().ok(), None),
            ..options()
        };
        let check = evaluate(&l, &parse_listing(EM2).unwrap(), &sized);
        assert_eq!(check.state(), State::Warning);
    }

    #[test]
    fn checksums_and_bad_listings() {
        let a = "0".repeat(64);
        let b = "1".repeat(64);
        let with = |sum: &str| {
            format!("{EM2}{sum}  /data/sre/accounting/state/00000000000003ef3.checkpoint\n")
        };
        let l = parse_listing(&with(&a)).unwrap();
        assert_eq!(
            l["00000000000003ef3.checkpoint"].sha256.as_deref(),
            Some(a.as_str())
        );
        let on = Options {
            checksum: true,
            ..options()
        };
        assert_eq!(
            evaluate(&l, &parse_listing(&with(&a)).unwrap(), &on).state(),
            State::Ok
        );
        let check = evaluate(&l, &parse_listing(&with(&b)).unwrap(), &on);
        assert!(check.summary().contains("same size, different SHA-256"));
        assert!(parse_listing("garbage here")
            .unwrap_err()
            .contains("line 1"));
        assert!(parse_listing("a x 1").unwrap_err().contains("size 'x'"));
        assert!(parse_listing("a 1 x").unwrap_err().contains("mtime 'x'"));
        assert!(parse_listing("").unwrap().is_empty());
    }

    #[test]
    fn the_default_ssh_command() {
        let argv = ssh_command("em2", &["Port=2222".into()], DEFAULT_DIR, true);
        assert_eq!(
            &argv[..6],
            &["ssh", "-o", "BatchMode=yes", "-o", "Port=2222", "--"]
        );
        assert_eq!(argv[6], "em2");
        assert_eq!(
            argv[7],
            "find /data/sre/accounting/state -maxdepth 1 -type f -printf '%f %s %T@\\n' -name '*.checkpoint' -exec sha256sum {} +"
        );
    }
}
