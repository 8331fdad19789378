//! check_iepm_keepalive on real keep-alive files with chosen mtimes.

use assert_cmd::Command;
use std::fs::File;
use std::path::Path;
use std::time::{Duration, SystemTime};

const DAEMONS: [&str; 7] = [
    "bw-synchd",
    "load-datad",
    "load-scheduled",
    "owpingd",
    "pathchirpd",
    "pingd",
    "traced",
];

fn touch(dir: &Path, name: &str, age_secs: i64) {
    let file = File::create(dir.join(format!("{name}.alive"))).unwrap();
    let now = SystemTime::now();
    let mtime = if age_secs >= 0 {
        now - Duration::from_secs(age_secs as u64)
    } else {
        now + Duration::from_secs((-age_secs) as u64)
    };
    file.set_modified(mtime).unwrap();
}

/// The age in seconds the perfdata gives `label` (`label=360s;...`).
fn age(text: &str, label: &str) -> f64 {
    let start = text.find(&format!(" {label}=")).expect(label) + label.len() + 2;
    let value = &text[start..];
    value[..value.find('s').unwrap()].parse().unwrap()
}

/// `touch`ed `expected` seconds ago: a loaded machine may take a few seconds
/// between the touch and the plugin's clock.
fn assert_age(text: &str, label: &str, expected: f64) {
    let got = age(text, label);
    assert!(
        (expected..expected + 10.0).contains(&got),
        "{label}: {got} s, {expected} s expected: {text}"
    );
}

fn run(dir: &Path, extra: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("check_iepm_keepalive")
        .unwrap()
        .arg("--dir")
        .arg(dir)
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn all_fresh_is_ok_with_perfdata_per_daemon() {
    let tmp = tempfile::tempdir().unwrap();
    for (i, d) in DAEMONS.iter().enumerate() {
        touch(tmp.path(), d, 60 * i as i64);
    }
    let (code, text) = run(tmp.path(), &[]);
    assert_eq!(code, 0, "{text}");
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("IEPM_KEEPALIVE OK - 7 keep-alives fresh, oldest traced 6m"),
        "{first}"
    );
    for d in DAEMONS {
        assert!(first.contains(&format!("{d}_age=")), "{d}: {first}");
    }
    assert_age(first, "traced_age", 360.0);
    assert!(first.contains("s;900;1800;0"), "{first}");
}

#[test]
fn stale_and_missing_files() {
    let tmp = tempfile::tempdir().unwrap();
    for d in DAEMONS {
        touch(tmp.path(), d, 10);
    }
    touch(tmp.path(), "pingd", 1000);
    let (code, text) = run(tmp.path(), &[]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.starts_with("IEPM_KEEPALIVE WARNING - pingd: touched 16m "),
        "{text}"
    );
    assert!(
        text.lines().next().unwrap().contains("ago (stale) |"),
        "{text}"
    );
    assert_age(&text, "pingd_age", 1000.0);

    touch(tmp.path(), "pingd", 2000);
    assert_eq!(run(tmp.path(), &[]).0, 2);

    touch(tmp.path(), "pingd", 10);
    std::fs::remove_file(tmp.path().join("traced.alive")).unwrap();
    let (code, text) = run(tmp.path(), &[]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("traced: no keep-alive file"), "{text}");
    assert!(text.contains("traced_age=U"), "{text}");
    // Worst first in the long output.
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .starts_with("[CRITICAL] traced"),
        "{text}"
    );
}

#[test]
fn custom_daemons_and_thresholds() {
    let tmp = tempfile::tempdir().unwrap();
    touch(tmp.path(), "pingd", 120);
    let (code, text) = run(
        tmp.path(),
        &["--daemon", "pingd.alive", "-w", "60", "-c", "300"],
    );
    assert_eq!(code, 1, "{text}");
    assert_age(&text, "pingd_age", 120.0);
    assert!(text.contains("s;60;300;0"), "{text}");
    let (code, _) = run(
        tmp.path(),
        &["--daemon", "pingd", "-w", "~:600", "-c", "~:900"],
    );
    assert_eq!(code, 0);
}

#[test]
fn future_mtime_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    touch(tmp.path(), "pingd", -3600);
    let (code, text) = run(tmp.path(), &["--daemon", "pingd"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("in the future (clock skew?)"), "{text}");
    touch(tmp.path(), "pingd", -5);
    assert_eq!(
        run(tmp.path(), &["--daemon", "pingd"]).0,
        0,
        "a few seconds of skew is fine"
    );
}

#[test]
fn missing_directory_is_unknown() {
    let (code, text) = run(Path::new("/nonexistent/keepalives"), &[]);
    assert_eq!(code, 3);
    assert!(text.contains("/nonexistent/keepalives"), "{text}");
}
