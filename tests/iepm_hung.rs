//! check_iepm_hung on real stand-in processes, under a UID of each test's own
//! passed with --user. A limit of 0 minutes makes any running match hung.

#[path = "support/procs.rs"]
mod procs_support;

use assert_cmd::Command;
use procs_support::{require_root, run_with_config, unique_uid, StandIn};
use serde_json::json;

const CLEANUP_LIST: &str = "# known troublesome processes
post-test,120

  gnuplot ,  0
/bin/ping,0   # ping can and will hang
whois,3
";

fn run(uid: u32, config: &str, extra: &[&str]) -> (i32, String) {
    run_with_config("check_iepm_hung", "cleanup-list", uid, config, extra)
}

#[test]
fn processes_over_their_limit_are_listed_and_never_killed() {
    require_root("processes_over_their_limit_are_listed_and_never_killed");
    let uid = unique_uid();
    let gnuplot = StandIn::start(
        "gnuplot",
        &["/tmp/plot.gp"],
        json!({"comm": "gnuplot"}),
        Some(uid),
    );
    let ping = StandIn::start(
        "/bin/ping",
        &["-c", "10", "slac.stanford.edu"],
        json!({"comm": "ping"}),
        Some(uid),
    );
    let whois = StandIn::start(
        "whois",
        &["example.org"],
        json!({"comm": "whois"}),
        Some(uid),
    );

    let (code, text) = run(uid, CLEANUP_LIST, &["-v"]);
    assert_eq!(code, 1, "{text}");
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("IEPM_HUNG WARNING - 2 hung processes over their limit: "),
        "{first}"
    );
    assert!(first.ends_with("| hung=2;0;;0 matching=3;;;0"), "{first}");
    for (standin, pattern, command) in [
        (&gnuplot, "gnuplot", "gnuplot -c "),
        (&ping, "/bin/ping", "/bin/ping -c "),
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("[WARNING] PID {} running ", standin.pid())))
            .unwrap_or_else(|| panic!("{pattern} listed: {text}"));
        assert!(
            line.contains(&format!("(limit 0s for '{pattern}'): {command}")),
            "{line}"
        );
    }
    assert!(
        !text.contains(&format!("PID {} ", whois.pid())),
        "whois is within its 3 minutes: {text}"
    );
    // Listing is all it does.
    for standin in [&gnuplot, &ping, &whois] {
        assert!(StandIn::alive(standin.pid()));
    }

    // -c on the count makes it critical.
    let (code, text) = run(uid, CLEANUP_LIST, &["-c", "1"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("hung=2;0;1;0"), "{text}");
}

#[test]
fn nothing_over_its_limit_is_ok() {
    require_root("nothing_over_its_limit_is_ok");
    let uid = unique_uid();
    let _gnuplot = StandIn::start(
        "gnuplot",
        &["/tmp/plot.gp"],
        json!({"comm": "gnuplot"}),
        Some(uid),
    );
    let (code, text) = run(uid, "gnuplot,5\nwhois,3\n", &[]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        text,
        "IEPM_HUNG OK - no hung processes (2 patterns, 1 matching process within their limits) | hung=0;0;;0 matching=1;;;0\n"
    );
}

#[test]
fn bad_lists_are_unknown() {
    let (code, text) = run(0, "gnuplot 5\n", &[]);
    assert_eq!(code, 3);
    assert!(
        text.contains("line 1: 'gnuplot 5' is not pattern,minutes"),
        "{text}"
    );
    // The guide's list as its web page shows it, pasted on one line.
    let (code, text) = run(0, "post-test,120 gnuplot,5 triganal,120 /bin/ping,3\n", &[]);
    assert_eq!(code, 3, "{text}");
    assert!(text.contains("several pattern,minutes entries"), "{text}");
    let (code, text) = run(0, "\n# empty\n", &[]);
    assert_eq!(code, 3);
    assert!(text.contains("no patterns listed in"), "{text}");
    // A wrong path to something endless is refused, not read into memory.
    let out = Command::cargo_bin("check_iepm_hung")
        .unwrap()
        .args(["--config", "/dev/zero"])
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.starts_with("IEPM_HUNG UNKNOWN - cannot read the cleanup list /dev/zero: larger than"),
        "{text}"
    );
}

/// The guide's list as shipped in examples/: all twelve patterns parsed.
#[test]
fn shipped_example_list() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/iepm-config/cleanup-list"
    );
    let out = Command::cargo_bin("check_iepm_hung")
        .unwrap()
        .args(["--config", path])
        .arg(format!("--user={}", unique_uid()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "IEPM_HUNG OK - no hung processes (12 patterns, 0 matching processes within their limits) | hung=0;0;;0 matching=0;;;0\n"
    );
}
