//! check_log_pattern on real files written by the test between runs, and
//! rotated by the real logrotate (create, copytruncate, dateext, delaycompress).

use assert_cmd::Command;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

const HEALTH: &str = "Aggregated netConsoleControllerService health is not OK";

/// The seed's mserver lines (unwrapped as local.log holds them).
const MSERVER_OK: &str = "\
2010-09-30 17:30:49,811 CallControl    INFO  New incoming call from event  [CallControl EP (65)]
2010-09-30 17:30:49,835 nc.ctl.impl    DEBUG Setting activity detected to true [CallControl EP (65)]
";
const MSERVER_TRACE: &str = "\
com.escaux.ucmodel.access.ModelException: Failed read probe:mysql.attribute_state
        at com.escaux.ucmodel.access.impl.ModelServiceImpl.getProbe(ModelServiceImpl.java:367)
        at com.escaux.netconsole.health.impl.NetConsoleControllerServiceOptionsHandlerSipListener.isHealthy(NetConsoleControllerServiceOptionsHandlerSipListener.java:72)
        at com.escaux.sip.impl.SipDispatcher$2.run(SipDispatcher.java:141)
        at java.lang.Thread.run(Unknown Source)
Caused by: com.mysql.jdbc.CommunicationsException: Communications link failure due to underlying exception:
2010-09-30 13:10:37,796 nc.health      WARN  Aggregated netConsoleControllerService health is not OK [SipDispatcher requestExecutor-441]
";

struct Log {
    dir: tempfile::TempDir,
    path: PathBuf,
}

impl Log {
    fn new(initial: &str) -> Log {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("local.log");
        fs::write(&path, initial).unwrap();
        Log { dir, path }
    }

    fn append(&self, text: &str) {
        self.append_bytes(text.as_bytes());
    }

    fn append_bytes(&self, bytes: &[u8]) {
        let mut f = OpenOptions::new().append(true).open(&self.path).unwrap();
        f.write_all(bytes).unwrap();
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    fn run(&self, extra: &[&str]) -> (i32, serde_json::Value) {
        let mut args: Vec<String> = vec![
            "--output-format".into(),
            "json".into(),
            "--state-dir".into(),
            self.state().display().to_string(),
            "--file".into(),
            self.path.display().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        run(&args)
    }

    /// The default check: the health line critical.
    fn check(&self) -> (i32, serde_json::Value) {
        self.run(&["--critical-pattern", HEALTH])
    }
}

fn run(args: &[String]) -> (i32, serde_json::Value) {
    let out = Command::cargo_bin("check_log_pattern")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let doc: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let code = out.status.code().unwrap();
    assert_eq!(doc["exit_code"].as_i64(), Some(code as i64), "{text}");
    (code, doc)
}

fn perf(doc: &serde_json::Value, label: &str) -> f64 {
    let mut all = Vec::new();
    all.extend(doc["perfdata"].as_array().unwrap().iter().cloned());
    for item in doc["items"].as_array().unwrap() {
        all.extend(item["perfdata"].as_array().unwrap().iter().cloned());
    }
    all.iter()
        .find(|p| p["label"] == label)
        .unwrap_or_else(|| panic!("no perfdata {label} in {doc}"))["value"]
        .as_f64()
        .unwrap()
}

fn details(doc: &serde_json::Value) -> String {
    doc.to_string()
}

fn health_line(n: usize) -> String {
    format!("2010-09-30 13:10:{n:02},796 nc.health      WARN  {HEALTH} [SipDispatcher requestExecutor-{n}]\n")
}

#[test]
fn first_run_starts_at_the_end_then_reads_appends() {
    let log = Log::new(&(MSERVER_TRACE.to_string() + MSERVER_OK));
    let (code, doc) = log.check();
    assert_eq!(code, 0, "{doc}");
    assert_eq!(perf(&doc, "lines"), 0.0);
    assert!(details(&doc).contains("first run, starting at its end"));
    log.append(MSERVER_OK);
    let (code, doc) = log.check();
    assert_eq!(code, 0, "{doc}");
    assert_eq!(perf(&doc, "lines"), 2.0);
    log.append(&health_line(1));
    let (code, doc) = log.check();
    assert_eq!(code, 2, "{doc}");
    assert_eq!(perf(&doc, "critical_matches"), 1.0);
    assert!(doc["summary"]
        .as_str()
        .unwrap()
        .contains("1 critical match"));
    // Read once: the next run has nothing new.
    let (code, doc) = log.check();
    assert_eq!(code, 0, "{doc}");
    assert_eq!(perf(&doc, "lines"), 0.0);
}

#[test]
fn from_start_reads_history_and_the_stack_trace_counts_once() {
    let log = Log::new(&(MSERVER_OK.to_string() + MSERVER_TRACE));
    let (code, doc) = log.run(&[
        "--from-start",
        "--critical-pattern",
        HEALTH,
        "--warning-pattern",
        "Exception",
        "--continuation",
        r"^\s+at |^Caused by:",
    ]);
    assert_eq!(code, 2, "{doc}");
    assert_eq!(perf(&doc, "critical_matches"), 1.0);
    assert_eq!(perf(&doc, "warning_matches"), 1.0);
    let warning = &doc["items"][1];
    assert!(
        warning["text"]
            .as_str()
            .unwrap()
            .contains("com.escaux.ucmodel.access.ModelException"),
        "{warning}"
    );
    // Without --continuation the trace's cause is a second match.
    let log = Log::new(&(MSERVER_OK.to_string() + MSERVER_TRACE));
    let (_, doc) = log.run(&["--from-start", "--warning-pattern", "Exception"]);
    assert_eq!(perf(&doc, "warning_matches"), 2.0);
}

#[test]
fn a_half_written_line_is_read_once_complete() {
    let log = Log::new(MSERVER_OK);
    log.check();
    log.append("2010-09-30 13:10:37,796 nc.health      WARN  Aggregated netConsole");
    let (code, doc) = log.check();
    assert_eq!(code, 0, "{doc}");
    assert_eq!(perf(&doc, "lines"), 0.0);
    log.append("ControllerService health is not OK [x]\n");
    let (code, doc) = log.check();
    assert_eq!(code, 2, "{doc}");
    assert_eq!(perf(&doc, "lines"), 1.0);
}

#[test]
fn rename_and_create_reads_the_old_tail_first() {
    let log = Log::new(MSERVER_OK);
    log.check();
    // Written after the last run, then the file is rotated away.
    log.append(&health_line(1));
    let rotated = log.dir.path().join("local.log.1");
    fs::rename(&log.path, &rotated).unwrap();
    // Same mtime for old and new: the plugin must not rely on it.
    fs::write(&log.path, health_line(2)).unwrap();
    let mtime = fs::metadata(&rotated).unwrap().modified().unwrap();
    fs::File::options()
        .write(true)
        .open(&log.path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let (code, doc) = log.check();
    assert_eq!(code, 2, "{doc}");
    assert_eq!(perf(&doc, "critical_matches"), 2.0, "{doc}");
    assert!(details(&doc).contains("was rotated"), "{doc}");
    let (code, _) = log.check();
    assert_eq!(code, 0);
}

#[test]
fn rotated_and_not_recreated_yet_then_created() {
    let log = Log::new(MSERVER_OK);
    log.check();
    log.append(&health_line(1));
    fs::rename(&log.path, log.dir.path().join("local.log-20101001")).unwrap();
    let (code, doc) = log.check();
    // The old tail was still read (critical), and the missing file said (UNKNOWN).
    assert_eq!(code, 2, "{doc}");
    assert_eq!(doc["items"][1]["state"], "UNKNOWN", "{doc}");
    assert_eq!(perf(&doc, "critical_matches"), 1.0);
    let (code, doc) = log.run(&["--critical-pattern", HEALTH, "--missing", "ok"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(perf(&doc, "critical_matches"), 0.0);
    fs::write(&log.path, health_line(2)).unwrap();
    let (code, doc) = log.check();
    assert_eq!(code, 2, "{doc}");
    assert_eq!(perf(&doc, "critical_matches"), 1.0);
}

#[test]
fn a_lost_rotated_file_is_said() {
    let log = Log::new(MSERVER_OK);
    log.check();
    log.append(&health_line(1));
    fs::rename(&log.path, log.dir.path().join("elsewhere")).unwrap();
    fs::write(&log.path, MSERVER_OK.replace("17:30", "17:31")).unwrap();
    fs::write(log.dir.path().join("local.log.1.gz"), b"\x1f\x8b").unwrap();
    let (code, doc) = log.check();
    assert_eq!(code, 0, "{doc}");
    let text = details(&doc);
    assert!(text.contains("was not found"), "{text}");
    assert!(text.contains("compressed archives are skipped"), "{text}");
    assert_eq!(perf(&doc, "lines"), 2.0);
    // --rotated-glob finds it.
    let log = Log::new(MSERVER_OK);
    log.check();
    log.append(&health_line(1));
    fs::create_dir(log.dir.path().join("archive")).unwrap();
    fs::rename(&log.path, log.dir.path().join("archive/old")).unwrap();
    fs::write(&log.path, "").unwrap();
    let glob = format!("{}/archive/*", log.dir.path().display());
    let (code, doc) = log.run(&["--critical-pattern", HEALTH, "--rotated-glob", &glob]);
    assert_eq!(code, 2, "{doc}");
}

#[test]
fn truncation_and_rewrite_in_place() {
    let log = Log::new(&(MSERVER_OK.repeat(5)));
    log.check();
    // copytruncate by hand: same inode, shorter.
    fs::OpenOptions::new()
        .write(true)
        .open(&log.path)
        .unwrap()
        .set_len(0)
        .unwrap();
    log.append(&health_line(1));
    let (code, doc) = log.check();
    assert_eq!(code, 2, "{doc}");
    assert!(details(&doc).contains("was truncated"), "{doc}");
    // Rewritten in place: same inode, same size, other first bytes.
    let len = fs::metadata(&log.path).unwrap().len() as usize;
    let mut replacement = health_line(2).into_bytes();
    replacement.resize(len, b'x');
    *replacement.last_mut().unwrap() = b'\n';
    fs::OpenOptions::new()
        .write(true)
        .open(&log.path)
        .unwrap()
        .write_all(&replacement)
        .unwrap();
    let (code, doc) = log.check();
    assert_eq!(code, 2, "{doc}");
    assert!(details(&doc).contains("rewritten in place"), "{doc}");
}

#[test]
fn two_checks_with_different_patterns_keep_their_own_positions() {
    let log = Log::new(MSERVER_OK);
    let a = ["--critical-pattern", HEALTH];
    let b = ["--warning-pattern", "Exception"];
    log.run(&a);
    log.run(&b);
    log.append(MSERVER_TRACE);
    let (code_a, doc_a) = log.run(&a);
    assert_eq!(code_a, 2, "{doc_a}");
    // B has not seen these lines yet, though A read them.
    let (code_b, doc_b) = log.run(&b);
    assert_eq!(code_b, 1, "{doc_b}");
    assert_eq!(perf(&doc_b, "lines"), perf(&doc_a, "lines"));
    assert_eq!(perf(&doc_b, "warning_matches"), 2.0);
}

#[test]
fn invalid_utf8_and_control_bytes_are_shown_cleanly() {
    let log = Log::new("");
    log.run(&["--critical-pattern", "ERROR"]);
    log.append_bytes(b"2010-09-30 \xff\xfe ERROR \x1b[31mdisk\x07 failed\n");
    let out = Command::cargo_bin("check_log_pattern")
        .unwrap()
        .args(["--state-dir"])
        .arg(log.state())
        .arg("--file")
        .arg(&log.path)
        .args(["--critical-pattern", "ERROR"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).expect("output is UTF-8");
    let first = text.lines().next().unwrap();
    assert!(first.contains("\u{fffd}\u{fffd} ERROR"), "{first}");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
}

#[test]
fn max_bytes_leaves_the_rest_for_the_next_run() {
    let log = Log::new("");
    log.check();
    let mut text = String::new();
    for n in 0..100 {
        text.push_str(&health_line(n % 60));
    }
    log.append(&text);
    let line = health_line(0).len();
    let (code, doc) = log.run(&["--critical-pattern", HEALTH, "--max-bytes", "4K"]);
    assert_eq!(code, 2);
    let first = perf(&doc, "critical_matches");
    assert_eq!(first, (4096 / line) as f64, "{doc}");
    assert!(details(&doc).contains("--max-bytes reached"), "{doc}");
    let mut total = first;
    for _ in 0..10 {
        let (_, doc) = log.run(&["--critical-pattern", HEALTH, "--max-bytes", "4K"]);
        total += perf(&doc, "critical_matches");
    }
    assert_eq!(total, 100.0);
}

#[test]
fn thresholds_ok_pattern_and_missing_files() {
    let log = Log::new("");
    log.check();
    log.append(&(health_line(1) + &health_line(2)));
    let (code, doc) = log.run(&["--critical-pattern", HEALTH, "-c", "5"]);
    assert_eq!(code, 0, "{doc}");
    assert!(doc["summary"]
        .as_str()
        .unwrap()
        .contains("within the thresholds"));
    log.append(&(health_line(3) + "2010-09-30 13:11:00,000 nc.health INFO health is OK again\n"));
    let (code, doc) = log.run(&[
        "--critical-pattern",
        HEALTH,
        "--ok-pattern",
        "health is OK again",
    ]);
    assert_eq!(code, 0, "{doc}");
    let missing = log.dir.path().join("nope.log").display().to_string();
    let state = log.state().display().to_string();
    let base = [
        "--output-format",
        "json",
        "--state-dir",
        &state,
        "--file",
        &missing,
        "--critical-pattern",
        "x",
    ];
    let args = |extra: &[&str]| -> Vec<String> {
        base.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    assert_eq!(run(&args(&[])).0, 3);
    assert_eq!(run(&args(&["--missing", "critical"])).0, 2);
    assert_eq!(run(&args(&["--missing", "ok"])).0, 0);
    assert_eq!(run(&args(&["--critical-pattern", "("])).0, 3);
    // An empty value is refused before the options are read: a plain usage error.
    let out = Command::cargo_bin("check_log_pattern")
        .unwrap()
        .args(["--file", ""])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout)
        .starts_with("LOG_PATTERN UNKNOWN - empty value for --file"));
}

// --- the real logrotate ---------------------------------------------------

fn logrotate(log: &Log, directives: &str) {
    let conf = log.dir.path().join("logrotate.conf");
    fs::write(
        &conf,
        format!(
            "{} {{\n    rotate 3\n    missingok\n{directives}\n}}\n",
            log.path.display()
        ),
    )
    .unwrap();
    let status = log.dir.path().join("logrotate.status");
    let out = std::process::Command::new("logrotate")
        .arg("-f")
        .arg("-s")
        .arg(&status)
        .arg(&conf)
        .output()
        .unwrap_or_else(|e| {
            panic!("logrotate is needed (Debian package logrotate, .ci/apt-packages): {e}")
        });
    assert!(
        out.status.success(),
        "logrotate failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn names(dir: &Path) -> Vec<String> {
    let mut n: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    n.sort();
    n
}

/// Written after the last run, then rotated by logrotate, then more in the new file:
/// both matches are counted, none twice, over three rotations.
fn survives(directives: &str) {
    let log = Log::new(MSERVER_OK);
    log.check();
    for round in 0..3 {
        if round > 0 && directives.contains("%s") {
            // dateformat with %s: one rotation per second keeps the names apart.
            std::thread::sleep(std::time::Duration::from_millis(1100));
        }
        log.append(&health_line(round * 2));
        logrotate(&log, directives);
        log.append(&health_line(round * 2 + 1));
        let (code, doc) = log.check();
        assert_eq!(
            code,
            2,
            "round {round} {directives}: {doc} {:?}",
            names(log.dir.path())
        );
        assert_eq!(
            perf(&doc, "critical_matches"),
            2.0,
            "round {round} {directives}: {doc} {:?}",
            names(log.dir.path())
        );
        let (code, doc) = log.check();
        assert_eq!(code, 0, "{doc}");
    }
}

#[test]
fn logrotate_create() {
    survives("    create");
}

#[test]
fn logrotate_copytruncate() {
    survives("    copytruncate");
}

#[test]
fn logrotate_dateext_delaycompress() {
    // dateext names the old file local.log-YYYYMMDD; a forced rotation on the same
    // day needs a format with the time to keep the names apart.
    survives("    create\n    dateext\n    dateformat -%Y%m%d-%s\n    compress\n    delaycompress");
}

#[test]
fn logrotate_compress_without_delay_is_said() {
    let log = Log::new(MSERVER_OK);
    log.check();
    log.append(&health_line(1));
    logrotate(&log, "    create\n    compress");
    let (_, doc) = log.check();
    let text = details(&doc);
    assert!(text.contains("compressed archives are skipped"), "{text}");
    assert!(text.contains("local.log.1.gz"), "{text}");
}

#[test]
fn a_date_named_log_is_finished_then_the_new_one_read_from_its_start() {
    // %H in the name, and two time zones an hour apart: the name changes
    // between two runs as it does at midnight with %Y%m%d.
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let spec = format!("{}/app-%H.log", dir.path().display());
    let hour = |tz: &str| -> String {
        let out = std::process::Command::new("date")
            .env("TZ", tz)
            .arg("+%H")
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let (old, new) = (hour("UTC0"), hour("<+01>-1"));
    assert_ne!(old, new);
    let old_path = dir.path().join(format!("app-{old}.log"));
    let new_path = dir.path().join(format!("app-{new}.log"));
    fs::write(&old_path, MSERVER_OK).unwrap();
    let run_tz = |tz: &str| -> (i32, serde_json::Value) {
        let out = Command::cargo_bin("check_log_pattern")
            .unwrap()
            .env("TZ", tz)
            .args([
                "--output-format",
                "json",
                "--critical-pattern",
                HEALTH,
                "--file",
                &spec,
            ])
            .arg("--state-dir")
            .arg(&state)
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code().unwrap(), doc)
    };
    let (code, doc) = run_tz("UTC0");
    assert_eq!(code, 0, "{doc}");
    // The last lines of the old hour's file, and the new file from its start.
    let mut f = OpenOptions::new().append(true).open(&old_path).unwrap();
    f.write_all(health_line(1).as_bytes()).unwrap();
    fs::write(&new_path, health_line(2)).unwrap();
    let (code, doc) = run_tz("<+01>-1");
    assert_eq!(code, 2, "{doc}");
    assert_eq!(perf(&doc, "critical_matches"), 2.0, "{doc}");
    let (code, doc) = run_tz("<+01>-1");
    assert_eq!(code, 0, "{doc}");
}
