//! check_sre_accounting on real accounting directories: the guide's §2.11
//! listing (http, events, enum, state subdirectories, closed CDR files, one in
//! progress) rebuilt around the present, with names written in Europe/Brussels
//! local time (`TZ=Europe/Brussels date`) and mtimes set with `touch -d`; the
//! plugin runs with that TZ. The open calls come from the recorded summary
//! (--input) or a stand-in sre-admin.

use assert_cmd::Command;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

const TZ: &str = "Europe/Brussels";

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// `epoch` as the name's local time in TZ: 2024-06-20T13:10:00.
fn local(epoch: i64) -> String {
    let out = std::process::Command::new("date")
        .env("TZ", TZ)
        .arg("-d")
        .arg(format!("@{epoch}"))
        .arg("+%Y-%m-%dT%H:%M:%S")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn touch(path: &Path, epoch: i64) {
    let ok = std::process::Command::new("touch")
        .arg("-d")
        .arg(format!("@{epoch}"))
        .arg(path)
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

/// The guide's directory, 5-minute files: two closed, the third in progress
/// since `open_age` seconds, last written `written_age` seconds ago.
struct Dir {
    dir: tempfile::TempDir,
    start: i64,
}

impl Dir {
    fn new(open_age: i64, written_age: i64) -> Dir {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["http", "events", "enum", "state"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        let open = now() - open_age;
        let start = open - 600;
        let d = Dir { dir, start };
        d.file(&format!("cdr-{}", local(start)), start + 240);
        d.file(&format!("cdr-{}", local(start + 300)), start + 540);
        d.file(
            &format!("cdr-{}.inprogress", local(open)),
            now() - written_age,
        );
        d
    }

    fn file(&self, name: &str, mtime: i64) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, "record\n").unwrap();
        touch(&path, mtime);
        path
    }

    fn path(&self) -> &str {
        self.dir.path().to_str().unwrap()
    }
}

fn summary(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/sre")
        .join(name)
        .display()
        .to_string()
}

fn run(tz: &str, args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("check_sre_accounting")
        .unwrap()
        .env("TZ", tz)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn the_seed_shape_in_local_time_is_ok() {
    let d = Dir::new(200, 20);
    let (code, out) = run(
        TZ,
        &[
            "--dir",
            d.path(),
            "--input",
            &summary("accounting-summary.txt"),
        ],
    );
    assert_eq!(code, 0, "{out}");
    let first = out.lines().next().unwrap();
    assert!(first.contains("open_calls=7"), "{first}");
    assert!(first.contains("inprogress_age=2"), "{first}");
    assert!(out.contains("7 calls open"), "{out}");
    assert!(
        out.contains("2 closed CDR files no longer written"),
        "{out}"
    );
    // The same directory read as UTC: the name's local time (UTC+1 or +2)
    // lies in the future, which only a wrong clock or TZ explains.
    let (code, out) = run("UTC", &["--dir", d.path(), "--no-summary"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("in the future (clock or TZ?)"), "{out}");
}

#[test]
fn open_calls_thresholds_and_a_stand_in_sre_admin() {
    let d = Dir::new(100, 10);
    let (code, out) = run(
        TZ,
        &[
            "--dir",
            d.path(),
            "--input",
            &summary("accounting-summary-idle.txt"),
            "-c",
            "1:",
        ],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.lines().next().unwrap().contains("0 calls open"),
        "{out}"
    );
    let bin = tempfile::tempdir().unwrap();
    let tool = bin.path().join("sre-admin");
    std::fs::write(
        &tool,
        format!(
            "#!/bin/sh\n[ \"$*\" = 'monitor accounting summary' ] || exit 2\ncat '{}'\n",
            summary("accounting-summary.txt")
        ),
    )
    .unwrap();
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    let command = format!("{} monitor accounting summary", tool.display());
    let (code, out) = run(TZ, &["--dir", d.path(), "--command", &command, "-w", "5"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("open_calls=7;5"), "{out}");
    std::fs::write(&tool, "#!/bin/sh\necho 'connection refused' >&2\nexit 1\n").unwrap();
    let (code, out) = run(TZ, &["--dir", d.path(), "--command", &command]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("connection refused"), "{out}");
    // Click refusing an ASCII locale is the plugin's configuration: UNKNOWN,
    // saying what to change (as check_sre_status does; the same code now).
    std::fs::write(
        &tool,
        "#!/bin/sh\necho 'RuntimeError: Click will abort further execution because Python was configured to use ASCII as encoding for the environment.' >&2\nexit 1\n",
    )
    .unwrap();
    let (code, out) = run(TZ, &["--dir", d.path(), "--command", &command]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("set --locale to one installed"), "{out}");
}

#[test]
fn none_two_stale_and_growing() {
    // Two in progress.
    let d = Dir::new(100, 10);
    let extra = format!("cdr-{}.inprogress", local(d.start + 300));
    d.file(&extra, now());
    let (code, out) = run(TZ, &["--dir", d.path(), "--no-summary"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("2 files in progress: cdr-"), "{out}");

    // None in progress.
    let d = Dir::new(100, 10);
    for entry in std::fs::read_dir(d.dir.path()).unwrap() {
        let p = entry.unwrap().path();
        if p.to_string_lossy().ends_with(".inprogress") {
            std::fs::remove_file(p).unwrap();
        }
    }
    let (code, out) = run(TZ, &["--dir", d.path(), "--no-summary"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no accounting file in progress"), "{out}");

    // Begun 40 minutes ago and not written for 20: rotation stopped.
    let d = Dir::new(2400, 1200);
    let (code, out) = run(TZ, &["--dir", d.path(), "--no-summary"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("begun 40m ago"), "{out}");
    assert!(out.contains("last written 20m ago"), "{out}");

    // A closed file modified after the next one began.
    let d = Dir::new(100, 10);
    let first = d.dir.path().join(format!("cdr-{}", local(d.start)));
    touch(&first, now() - 30);
    let (code, out) = run(TZ, &["--dir", d.path(), "--no-summary"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("1 closed CDR file still growing"), "{out}");

    // A cdr- name that is not understood; a missing directory.
    let d = Dir::new(100, 10);
    d.file("cdr-latest", now());
    let (code, out) = run(TZ, &["--dir", d.path(), "--no-summary"]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("cdr-latest: 'latest' is not a timestamp"),
        "{out}"
    );
    let (code, out) = run(TZ, &["--dir", "/nonexistent/accounting", "--no-summary"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("cannot list /nonexistent/accounting"), "{out}");
}
