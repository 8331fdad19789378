//! check_guide: guides run over the suite's real plugins and recorded inputs
//! from examples/, stand-ins that misbehave (tests/guides/bin: a plugin that
//! hangs, one that crashes, invalid perfdata), a missing plugin, a guide with a
//! typo, 50 entries with --jobs 4, --compare on two saved runs, the HTML report
//! rendered by a real headless Chromium, and --via over a real sshd.

#[path = "support/ports.rs"]
mod ports;
#[path = "support/ssh.rs"]
mod ssh;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn guides() -> PathBuf {
    repo().join("tests/guides")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A plugin directory of symlinks: the suite's built plugins and the stand-ins.
fn plugin_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "check_smith_stonith",
        "check_kamailio_stats",
        "check_mongo_rs",
    ] {
        let path = assert_cmd::cargo::cargo_bin(name);
        if path.exists() {
            std::os::unix::fs::symlink(&path, dir.path().join(name)).unwrap();
        }
    }
    for entry in std::fs::read_dir(guides().join("bin")).unwrap() {
        let path = entry.unwrap().path();
        std::os::unix::fs::symlink(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    dir
}

fn guide_cmd(plugins: &Path) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("check_guide"));
    cmd.arg("--plugin-dir").arg(plugins).stdin(Stdio::null());
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("check_guide runs")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&out.stdout)))
}

fn item_texts(doc: &Value) -> Vec<(String, String)> {
    doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["state"].as_str().unwrap().to_string(),
                i["text"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn recorded_inputs_hangs_crashes_bad_perfdata_and_a_missing_plugin() {
    let plugins = plugin_dir();
    let state = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = run(guide_cmd(plugins.path())
        .arg("--guide")
        .arg(guides().join("local.toml"))
        .arg("--set")
        .arg(format!("state_dir={}", state.path().display()))
        .args(["-t", "20", "--output-format", "json"]));
    let took = started.elapsed();
    let doc = json(&out);
    assert_eq!(out.status.code(), Some(2), "{doc:#}");
    // The hung plugin was killed at its own timeout (1 s + 1 s grace); the rest did not wait for it.
    assert!(took < Duration::from_secs(6), "took {took:?}");
    let items = item_texts(&doc);
    let expect = [
        (
            "OK",
            "SMITH/STONITH flags, normal: SMITH_STONITH OK - normal operation",
        ),
        (
            "WARNING",
            "SMITH/STONITH flags, failover: SMITH_STONITH WARNING - failover mode",
        ),
        ("OK", "SIP stack statistics: KAMAILIO_STATS OK"),
        (
            "UNKNOWN",
            "A plugin that hangs: timed out: no result within its 1 s, killed after 2 s",
        ),
        (
            "UNKNOWN",
            "A plugin that crashes: crashed: killed by signal 11 (SIGSEGV): CRASH OK - half",
        ),
        ("OK", "Invalid perfdata: BADPERF OK - numbers"),
        (
            "UNKNOWN",
            "Global status (plugin not built yet): not available: check_sre_status not found in ",
        ),
        (
            "CRITICAL",
            "SMITH/STONITH flags, invalid: SMITH_STONITH CRITICAL - invalid",
        ),
    ];
    assert_eq!(items.len(), expect.len(), "{items:#?}");
    for ((state, text), (want_state, want)) in items.iter().zip(expect) {
        assert_eq!(state, want_state, "{text}");
        assert!(
            text.starts_with(want),
            "{text:?} should start with {want:?}"
        );
    }
    assert_eq!(
        doc["summary"],
        "3 OK, 1 WARNING, 1 CRITICAL, 3 UNKNOWN: SMITH/STONITH flags, invalid"
    );
    // Perfdata merged with id:: prefixes; the invalid metrics dropped with a note each.
    let labels: Vec<&str> = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["perfdata"].as_array().unwrap())
        .map(|p| p["label"].as_str().unwrap())
        .collect();
    for label in [
        "smith-normal::primary_smith",
        "smith-failover::primary_stonith",
        "kamailio::shmem_used",
        "badperf::good",
        "badperf::fine too",
    ] {
        assert!(labels.contains(&label), "{label} missing from {labels:?}");
    }
    assert!(!labels
        .iter()
        .any(|l| l.contains("bad::") || l.ends_with("::bad") || l.ends_with("::worse")));
    let notes: Vec<&str> = doc["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("badperf: invalid perfdata dropped: 'bad=1,5'")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("badperf: invalid perfdata dropped: 'worse=3furlongs'")),
        "{notes:?}"
    );
    assert!(
        notes.contains(&"1 skipped: cac (needs --with cac)"),
        "{notes:?}"
    );

    // The plugin text: line one with every merged metric, one long-output line per entry.
    let out = run(guide_cmd(plugins.path())
        .arg("--guide")
        .arg(guides().join("local.toml"))
        .arg("--set")
        .arg(format!("state_dir={}", state.path().display()))
        .args(["-t", "20"]));
    let stdout = text(&out.stdout);
    let first = stdout.lines().next().unwrap();
    assert!(
        first.starts_with("GUIDE CRITICAL - 3 OK, 1 WARNING, 1 CRITICAL, 3 UNKNOWN: "),
        "{first}"
    );
    assert!(
        first.contains(" | smith-normal::primary_smith=0;;;0;1 "),
        "{first}"
    );
    assert!(first.contains("'badperf::fine too'=2%;;;0;100"), "{first}");
    assert!(
        !first.contains("1,5") && !first.contains("furlongs"),
        "{first}"
    );
    assert!(
        stdout.contains("\n[UNKNOWN] A plugin that crashes: crashed: killed by signal 11"),
        "{stdout}"
    );
}

#[test]
fn skip_missing_and_with_flags() {
    let plugins = plugin_dir();
    let state = tempfile::tempdir().unwrap();
    let out = run(guide_cmd(plugins.path())
        .arg("--guide")
        .arg(guides().join("local.toml"))
        .arg("--set")
        .arg(format!("state_dir={}", state.path().display()))
        .args([
            "--skip-missing",
            "--with",
            "cac",
            "-t",
            "20",
            "--output-format",
            "json",
        ]));
    let doc = json(&out);
    let items = item_texts(&doc);
    assert!(
        !items.iter().any(|(_, t)| t.contains("not available")),
        "{items:#?}"
    );
    assert!(
        items
            .iter()
            .any(|(_, t)| t.starts_with("CAC replica set: MONGO_RS")),
        "{items:#?}"
    );
    let notes = doc["notes"].to_string();
    assert!(
        notes.contains("1 skipped: sre-status (not available: check_sre_status not found in "),
        "{notes}"
    );
}

#[test]
fn a_typo_in_a_guide_fails_the_whole_run_with_file_and_line() {
    let plugins = plugin_dir();
    let out = run(guide_cmd(plugins.path())
        .arg("--guide")
        .arg(guides().join("typo.toml")));
    assert_eq!(out.status.code(), Some(3));
    let stdout = text(&out.stdout);
    let first = stdout.lines().next().unwrap();
    assert!(
        first.starts_with(&format!(
            "GUIDE UNKNOWN - guide {} line 12: unknown field `comand`",
            guides().join("typo.toml").display()
        )),
        "{first}"
    );
    // A guide name that is nowhere, and a syntax error.
    let out = run(guide_cmd(plugins.path())
        .args(["--guide", "nosuch", "--guide-dir"])
        .arg(guides()));
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stdout).starts_with("GUIDE UNKNOWN - guide 'nosuch' not found in "),
        "{}",
        text(&out.stdout)
    );
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        "[[check]]\nid = \"a\"\ntitle = \"A\"\ncommand = [\"x\"\n",
    )
    .unwrap();
    let out = run(guide_cmd(plugins.path()).arg("--guide").arg(&broken));
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stdout).contains("broken.toml line 4: "),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn an_unset_placeholder_names_itself_and_the_others_run() {
    let plugins = plugin_dir();
    let out = run(guide_cmd(plugins.path())
        .arg("--guide")
        .arg(guides().join("local.toml"))
        .args(["-t", "20", "--output-format", "json"]));
    let items = item_texts(&json(&out));
    let kam = items
        .iter()
        .find(|(_, t)| t.starts_with("SIP stack statistics"))
        .unwrap();
    assert_eq!(kam.0, "UNKNOWN");
    assert!(
        kam.1
            .contains("{state_dir} is not set (--set state_dir=VALUE or --vars FILE)"),
        "{}",
        kam.1
    );
    assert!(items
        .iter()
        .any(|(s, t)| s == "OK" && t.starts_with("SMITH/STONITH flags, normal")));
}

fn write_sleep_guide(path: &Path, entries: usize) -> Vec<f64> {
    let mut guide = String::from("title = \"Fifty\"\n");
    let mut sleeps = Vec::new();
    for i in 0..entries {
        // Early entries sleep longest, so the finishing order is not the guide's.
        let secs = 0.05 * ((entries - i) % 7) as f64;
        sleeps.push(secs);
        guide.push_str(&format!(
            "\n[[check]]\nid = \"e{i:02}\"\ntitle = \"Entry {i:02}\"\ncommand = [\"check_sleep\", \"e{i:02}\", \"{secs:.2}\"]\n"
        ));
    }
    std::fs::write(path, guide).unwrap();
    sleeps
}

#[test]
fn fifty_entries_with_four_jobs_come_back_in_the_guide_order() {
    let plugins = plugin_dir();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fifty.toml");
    let sleeps = write_sleep_guide(&path, 50);
    let sum: f64 = sleeps.iter().sum();
    let started = Instant::now();
    let out = run(guide_cmd(plugins.path()).arg("--guide").arg(&path).args([
        "--jobs",
        "4",
        "-t",
        "30",
        "--output-format",
        "json",
    ]));
    let took = started.elapsed().as_secs_f64();
    let doc = json(&out);
    assert_eq!(out.status.code(), Some(0), "{doc:#}");
    assert_eq!(doc["summary"], "50 OK");
    let items = item_texts(&doc);
    for (i, (_, text)) in items.iter().enumerate() {
        assert!(
            text.starts_with(&format!("Entry {i:02}: SLEEP OK - e{i:02} slept")),
            "{i}: {text}"
        );
    }
    let labels: Vec<String> = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["perfdata"][0]["label"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        labels,
        (0..50)
            .map(|i| format!("e{i:02}::slept"))
            .collect::<Vec<_>>()
    );
    // Four at a time: well under the sum of the sleeps (the benchmark measures it).
    assert!(
        took < sum * 0.6,
        "took {took:.2} s for sleeps summing to {sum:.2} s"
    );
    eprintln!("50 entries, --jobs 4: {took:.2} s (sum of sleeps {sum:.2} s)");
}

#[test]
fn the_guide_deadline_stops_entries_without_a_timeout() {
    let plugins = plugin_dir();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hangs.toml");
    let mut guide = String::new();
    for i in 0..3 {
        guide.push_str(&format!(
            "[[check]]\nid = \"h{i}\"\ntitle = \"Hang {i}\"\ncommand = [\"check_hang\"]\n\n"
        ));
    }
    guide.push_str(
        "[[check]]\nid = \"quick\"\ntitle = \"Quick\"\ncommand = [\"check_sleep\", \"q\", \"0\"]\n",
    );
    std::fs::write(&path, guide).unwrap();
    for (jobs, summary, not_started) in [
        (
            "4",
            "GUIDE UNKNOWN - 1 OK, 3 UNKNOWN: Hang 0, Hang 1, Hang 2",
            None,
        ),
        // One slot: the first hang takes the guide's whole time, the rest never start.
        (
            "1",
            "GUIDE UNKNOWN - 4 UNKNOWN: Hang 0, Hang 1, Hang 2, Quick",
            Some("[UNKNOWN] Quick: not started: the guide's time ran out (2.4 s)"),
        ),
    ] {
        let started = Instant::now();
        let out = run(guide_cmd(plugins.path())
            .arg("--guide")
            .arg(&path)
            .args(["-t", "3", "--jobs", jobs]));
        let took = started.elapsed();
        let stdout = text(&out.stdout);
        // check_guide answers itself, before its watchdog (3 s): work ends at 2.4 s.
        assert!(took < Duration::from_secs(3), "took {took:?}: {stdout}");
        assert_eq!(out.status.code(), Some(3), "{stdout}");
        assert!(stdout.starts_with(summary), "{stdout}");
        assert!(
            stdout.contains(
                "[UNKNOWN] Hang 0: timed out: killed after 2.4 s, the guide's time was up"
            ),
            "{stdout}"
        );
        if let Some(line) = not_started {
            assert!(stdout.contains(line), "{stdout}");
        }
        assert!(
            !stdout.contains("timed out after 3 s"),
            "the watchdog fired: {stdout}"
        );
    }
}

/// A guide of three entries whose results come from files the test writes.
fn write_state_guide(dir: &Path) -> PathBuf {
    let path = dir.join("states.toml");
    let mut guide = String::from("title = \"States\"\n");
    for id in ["db", "sip", "cdr"] {
        guide.push_str(&format!(
            "\n[[check]]\nid = \"{id}\"\ntitle = \"{}\"\ncommand = [\"check_state_file\", \"{{dir}}/{id}\"]\n",
            id.to_uppercase()
        ));
    }
    std::fs::write(&path, guide).unwrap();
    path
}

fn set_result(dir: &Path, id: &str, code: u8, output: &str) {
    std::fs::write(dir.join(id), format!("{code}\n{output}\n")).unwrap();
}

#[test]
fn compare_two_saved_runs_names_the_regression_and_the_improvement() {
    let plugins = plugin_dir();
    let dir = tempfile::tempdir().unwrap();
    let guide = write_state_guide(dir.path());
    let d = dir.path();
    set_result(d, "db", 0, "DB OK - one master | conn=40");
    set_result(d, "sip", 2, "SIP CRITICAL - 3 peers offline | offline=3");
    set_result(
        d,
        "cdr",
        0,
        "CDR OK - 100 records | records=100\n[OK] today",
    );
    let before = d.join("before.json");
    let after = d.join("after.json");
    let guide_run = |extra: &[&str]| {
        run(guide_cmd(plugins.path())
            .arg("--guide")
            .arg(&guide)
            .arg("--set")
            .arg(format!("dir={}", d.display()))
            .args(extra))
    };
    let out = guide_run(&["--save", before.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&before).unwrap()).unwrap();
    assert_eq!(saved["format"], "opscheck-guide-run/1");
    assert_eq!(saved["entries"][1]["state"], "CRITICAL");

    // The same platform again: no new issues, though SIP is still CRITICAL.
    let out = guide_run(&["--compare", before.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.starts_with("GUIDE OK - no new issues: 3 checks compared with the run of "),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .next()
            .unwrap()
            .contains("; still not OK: SIP"),
        "{stdout}"
    );

    // After the "upgrade": the DB lost its master, SIP recovered, CDR gained a problem line.
    set_result(d, "db", 2, "DB CRITICAL - no writer | conn=0");
    set_result(d, "sip", 0, "SIP OK - all peers online | offline=0");
    set_result(
        d,
        "cdr",
        0,
        "CDR OK - 100 records | records=180\n[OK] today\n[WARNING] slow download",
    );
    let out = guide_run(&[
        "--compare",
        before.to_str().unwrap(),
        "--save",
        after.to_str().unwrap(),
        "--output-format",
        "json",
    ]);
    let doc = json(&out);
    assert_eq!(out.status.code(), Some(2), "{doc:#}");
    let summary = doc["summary"].as_str().unwrap();
    assert!(summary.starts_with("2 regressions since "), "{summary}");
    assert!(summary.contains("DB: OK → CRITICAL"), "{summary}");
    assert!(
        summary.contains("CDR: new: [WARNING] slow download"),
        "{summary}"
    );
    let items = item_texts(&doc);
    assert!(
        items.contains(&("OK".into(), "SIP: CRITICAL → OK (improved)".into())),
        "{items:?}"
    );
    // --drift: the records metric moved by 80%.
    let out = guide_run(&["--compare", before.to_str().unwrap(), "--drift", "50"]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("[WARNING] CDR: cdr::records moved 80% (100 → 180)"),
        "{stdout}"
    );
    // The two saved files compare as they are too (a markdown report for the ticket).
    let out = guide_run(&["--compare", after.to_str().unwrap(), "--report", "markdown"]);
    let md = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{md}");
    assert!(md.contains("**Result: OK** — no new issues"), "{md}");
    assert!(md.contains("| 1 | DB (`db`) |  | **CRITICAL** |"), "{md}");
}

#[test]
fn reports_in_every_format_carry_every_entry() {
    let plugins = plugin_dir();
    let state = tempfile::tempdir().unwrap();
    for (format, marks) in [
        (
            "text",
            &[
                "Guide Test guide: recorded inputs (local) on this host",
                "[CRITICAL]",
                "A plugin that hangs (hang)",
            ][..],
        ),
        (
            "markdown",
            &[
                "## Health check guide: Test guide",
                "| 9 | SMITH/STONITH flags, invalid (`smith-invalid`)",
                "<details><summary>smith-normal",
            ][..],
        ),
        (
            "json",
            &[
                "\"format\": \"opscheck-guide-run/1\"",
                "\"status\": \"timed_out\"",
                "\"status\": \"skipped\"",
            ][..],
        ),
        (
            "html",
            &[
                "<!DOCTYPE html>",
                "<span class=\"badge\">CRITICAL</span>",
                "<details><summary>",
            ][..],
        ),
    ] {
        let out = run(guide_cmd(plugins.path())
            .arg("--guide")
            .arg(guides().join("local.toml"))
            .arg("--set")
            .arg(format!("state_dir={}", state.path().display()))
            .args(["-t", "20", "--report", format]));
        assert_eq!(out.status.code(), Some(2), "{format}");
        let report = text(&out.stdout);
        for mark in marks {
            assert!(report.contains(mark), "{format} lacks {mark:?}:\n{report}");
        }
        assert!(
            out.stderr.is_empty(),
            "no progress when stderr is not a terminal: {}",
            text(&out.stderr)
        );
    }
}

/// The HTML report opened by a real headless Chromium (Debian `chromium`) and
/// saved as a PNG in target/guide-report/ for a person to look at.
#[test]
fn the_html_report_renders_in_headless_chromium() {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("chromium is missing: install Debian chromium (.ci/apt-packages)");
    let plugins = plugin_dir();
    let state = tempfile::tempdir().unwrap();
    let out_dir = repo().join("target/guide-report");
    std::fs::create_dir_all(&out_dir).unwrap();
    let html = out_dir.join("report.html");
    let png = out_dir.join("report.png");
    let _ = std::fs::remove_file(&png);
    let out = run(guide_cmd(plugins.path())
        .arg("--guide")
        .arg(guides().join("local.toml"))
        .arg("--set")
        .arg(format!("state_dir={}", state.path().display()))
        .args(["-t", "20", "--report", "html"]));
    std::fs::write(&html, &out.stdout).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1280,1100")
        .arg(format!("file://{}", html.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read;
            let _ = child.stderr.take().unwrap().read_to_string(&mut err);
            assert!(
                status.success() || png.exists(),
                "chromium failed ({status}): {err}"
            );
            break;
        }
        if started.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let bytes = std::fs::read(&png).expect("chromium wrote the screenshot");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    // A blank page compresses to a few KB; the table with its colours is much more.
    assert!(
        bytes.len() > 30_000,
        "screenshot of {} bytes looks empty",
        bytes.len()
    );
    eprintln!("HTML report screenshot: {}", png.display());
}

/// --host/--via over a real sshd on loopback: the entries run on the "remote"
/// host (this machine, through ssh), a plugin missing there is "not available",
/// and a host ssh cannot reach is CRITICAL with ssh's message.
#[test]
fn via_runs_the_entries_over_a_real_sshd() {
    let sshd = ssh::SshServer::start_on(ports::free_port());
    let plugins = plugin_dir();
    let state = tempfile::tempdir().unwrap();
    let out = run(guide_cmd(plugins.path())
        .arg("--guide")
        .arg(guides().join("local.toml"))
        .arg("--set")
        .arg(format!("state_dir={}", state.path().display()))
        .args(["--host", "127.0.0.1", "--via", &sshd.via()])
        .args(["-t", "30", "--output-format", "json"]));
    let doc = json(&out);
    let items = item_texts(&doc);
    assert!(
        items.contains(&("OK".into(), "SMITH/STONITH flags, normal: SMITH_STONITH OK - normal operation: both SOPs accept calls".into())),
        "{items:#?}"
    );
    assert!(
        items.iter().any(|(s, t)| s == "CRITICAL"
            && t.starts_with("SMITH/STONITH flags, invalid: SMITH_STONITH CRITICAL")),
        "{items:#?}"
    );
    let missing = items
        .iter()
        .find(|(_, t)| t.starts_with("Global status"))
        .unwrap();
    assert!(
        missing.1.ends_with(&format!(
            "not available: check_sre_status not found in {} on 127.0.0.1",
            plugins.path().display()
        )),
        "{missing:?}"
    );
    assert!(
        items
            .iter()
            .any(|(s, t)| s == "UNKNOWN" && t.starts_with("A plugin that hangs: timed out")),
        "{items:#?}"
    );

    // A port nobody listens on: every entry is CRITICAL "cannot reach".
    let closed = ports::free_port();
    let via = sshd
        .via()
        .replace(&format!("Port={}", sshd.port), &format!("Port={closed}"));
    let out = run(guide_cmd(plugins.path())
        .arg("--guide")
        .arg(guides().join("local.toml"))
        .args([
            "--set",
            "state_dir=/tmp",
            "--host",
            "127.0.0.1",
            "--via",
            &via,
            "-t",
            "20",
        ]));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("[CRITICAL] SMITH/STONITH flags, normal: cannot reach 127.0.0.1: ssh: connect to host 127.0.0.1 port"),
        "{stdout}"
    );
}

/// The shipped guides parse, and every entry's plugin is one of the suite's
/// (built now or being built: the coordinator fixes argument names at merge).
#[test]
fn the_shipped_guides_parse() {
    let dir = repo().join("packaging/guides");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "iepm.toml",
            "netconsole-sop-primary.toml",
            "netconsole-sop-secondary.toml",
            "seon.toml",
            "sre-cp.toml",
            "sre-em.toml",
            "sre-master-em.toml",
            "staros.toml"
        ]
    );
    for name in names {
        let out = run(Command::new(assert_cmd::cargo::cargo_bin("check_guide"))
            .arg("--guide")
            .arg(dir.join(&name))
            .args([
                "--plugin-dir",
                "/nonexistent",
                "--skip-missing",
                "--report",
                "json",
            ]));
        let doc: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{name}: {e}: {}", text(&out.stdout)));
        let entries = doc["entries"].as_array().unwrap();
        assert!(!entries.is_empty(), "{name}");
        for entry in entries {
            let program = entry["command"][0].as_str().unwrap();
            assert!(program.starts_with("check_"), "{name}: {program}");
        }
    }
}

/// The live progress is drawn on stderr when it is a terminal (a pty from
/// util-linux `script`), and never otherwise (every other test: a pipe).
#[test]
fn progress_is_drawn_on_a_terminal_only() {
    let plugins = plugin_dir();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slow.toml");
    let mut guide = String::new();
    for i in 0..3 {
        guide.push_str(&format!(
            "[[check]]\nid = \"s{i}\"\ntitle = \"S{i}\"\ncommand = [\"check_sleep\", \"s{i}\", \"0.6\"]\n\n"
        ));
    }
    std::fs::write(&path, guide).unwrap();
    let line = format!(
        "{} --guide {} --plugin-dir {} --jobs 1 2>&1 >/dev/null",
        assert_cmd::cargo::cargo_bin("check_guide").display(),
        path.display(),
        plugins.path().display()
    );
    let out = run(Command::new("script").args(["-qec", &line, "/dev/null"]));
    let shown = text(&out.stdout);
    assert!(shown.contains("slow: 1/3 done, 1 running"), "{shown:?}");
    assert!(shown.contains("\x1b[K"), "{shown:?}");
    // Not a terminal: nothing on stderr.
    let out = run(guide_cmd(plugins.path()).arg("--guide").arg(&path));
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}
