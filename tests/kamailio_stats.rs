//! check_kamailio_stats against a real Kamailio 5.6 (kamcmd over the ctl
//! socket, `kamctl stats` over the jsonrpcs FIFO, JSON-RPC over HTTP) with real
//! SIPp traffic, and on the seed's `kamctl stats` output.

#[path = "support/sip.rs"]
mod sip_support;

use assert_cmd::Command;
use sip_support::{json, perf, Kamailio};
use std::path::Path;
use std::time::Duration;

const SEED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/kamailio/seed-kamctl-stats.json"
);

fn run(state: &Path, args: &[&str], env: &[(&str, String)]) -> (i32, String) {
    let mut command = Command::cargo_bin("check_kamailio_stats").unwrap();
    command.arg("--state-dir").arg(state).args(args);
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn run_json(state: &Path, args: &[&str], env: &[(&str, String)]) -> serde_json::Value {
    let mut all = vec!["--output-format", "json"];
    all.extend_from_slice(args);
    let (code, text) = run(state, &all, env);
    let doc = json(text.as_bytes());
    assert_eq!(doc["exit_code"].as_i64(), Some(code as i64), "{text}");
    doc
}

#[test]
fn the_seed_output_through_input_baseline_then_rates() {
    let state = tempfile::tempdir().unwrap();
    let (code, text) = run(state.path(), &["--input", SEED], &[]);
    assert_eq!(code, 0, "{text}");
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("KAMAILIO_STATS OK - collecting baseline, shmem 5.2%, 167 dialogs | "),
        "{first}"
    );
    for expected in [
        "core:rcv_requests_rate=U",
        "core:rcv_requests=109766c;;;0",
        "core:rcv_requests_invite=25584c;;;0",
        "core:rcv_replies=98268c;;;0",
        "core:fwd_requests=24173c;;;0",
        "core:drop_requests=465c;;;0",
        "shmem_used=5.224%;80;90;0;100",
        "active_dialogs=167;;;0",
    ] {
        assert!(first.contains(expected), "{expected} missing: {first}");
    }
    assert!(
        text.contains("Note: first run: collecting baseline"),
        "{text}"
    );

    // The same output again: the counters did not move, so every rate is 0, and
    // `@0` on the request rate is the "traffic stopped" alarm.
    std::thread::sleep(Duration::from_millis(20));
    let (code, text) = run(
        state.path(),
        &["--input", SEED, "--critical-rate", "core:rcv_requests=@0"],
        &[],
    );
    assert_eq!(code, 2, "{text}");
    assert!(
        text.starts_with("KAMAILIO_STATS CRITICAL - core:rcv_requests 0/s | "),
        "{text}"
    );
    assert!(text.contains("core:rcv_requests_rate=0;;@0:0;0"), "{text}");
    assert!(text.contains("core:rcv_replies_rate=0;;;0"), "{text}");

    // A threshold in the `group.name` spelling (which --counter accepts), and one
    // on a counter not watched by default: both are applied, never silently dropped.
    std::thread::sleep(Duration::from_millis(20));
    let (code, text) = run(
        state.path(),
        &[
            "--input",
            SEED,
            "--critical-rate",
            "core.rcv_requests=@0",
            "--warning-rate",
            "app_python3:processed_dialogs=@0",
        ],
        &[],
    );
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("core:rcv_requests_rate=0;;@0:0;0"), "{text}");
    assert!(
        text.contains("app_python3:processed_dialogs_rate=0;@0:0;;0"),
        "{text}"
    );
    assert!(
        text.contains("[WARNING] app_python3:processed_dialogs 0/s"),
        "{text}"
    );
}

#[test]
fn shmem_thresholds_on_the_seed_and_on_a_live_kamailio() {
    let state = tempfile::tempdir().unwrap();
    // The seed: 3506000 of 67108864 bytes = 5.2 %.
    let (code, text) = run(
        state.path(),
        &[
            "--input",
            SEED,
            "--warning-shmem",
            "4",
            "--critical-shmem",
            "6",
        ],
        &[],
    );
    assert_eq!(code, 1, "{text}");
    assert!(
        text.starts_with("KAMAILIO_STATS WARNING - shared memory 5.2% used (3.3 of 64 MiB)"),
        "{text}"
    );
    assert!(text.contains("shmem_used=5.224%;4;6;0;100"), "{text}");
    let (code, text) = run(
        state.path(),
        &["--input", SEED, "--critical-shmem", "5"],
        &[],
    );
    assert_eq!(code, 2, "{text}");

    // A live Kamailio started with -m 32: a few % used, judged the same way.
    let kamailio = Kamailio::start();
    let socket = kamailio.socket();
    let doc = run_json(state.path(), &["--socket", &socket], &[]);
    assert_eq!(doc["state"], "OK", "{doc}");
    let used = perf(&doc, "shmem_used").expect("a shmem value");
    assert!(used > 0.0 && used < 80.0, "{used}");
    let doc = run_json(
        state.path(),
        &[
            "--socket",
            &socket,
            "--critical-shmem",
            &format!("{}", used / 2.0),
        ],
        &[],
    );
    assert_eq!(doc["state"], "CRITICAL", "{doc}");
    // Dialog thresholds: the dialog module is loaded and has no dialogs.
    let doc = run_json(
        state.path(),
        &["--socket", &socket, "--critical-dialogs", "1:"],
        &[],
    );
    assert_eq!(doc["state"], "CRITICAL", "{doc}");
    assert_eq!(perf(&doc, "active_dialogs"), Some(0.0));
}

/// The guide's procedure: run it, send traffic, run it again, counters went up.
/// All three sources read the same Kamailio; each has its own baseline.
#[test]
fn counters_increase_between_two_runs_under_sipp_traffic() {
    let kamailio = Kamailio::start();
    let state = tempfile::tempdir().unwrap();
    let socket = kamailio.socket();
    let url = kamailio.url();
    let fifo_env = [("RPCFIFOPATH", kamailio.fifo().display().to_string())];
    let sources: [(&str, Vec<&str>); 3] = [
        ("kamcmd", vec!["--socket", &socket]),
        ("kamctl", vec!["--command", "kamctl stats"]),
        ("http", vec!["--url", &url]),
    ];
    let mut before = Vec::new();
    for (name, args) in &sources {
        let doc = run_json(state.path(), args, &fifo_env);
        assert_eq!(doc["state"], "OK", "{name}: {doc}");
        assert!(
            doc["summary"]
                .as_str()
                .unwrap()
                .starts_with("collecting baseline"),
            "{name}: {doc}"
        );
        assert_eq!(perf(&doc, "core:rcv_requests_rate"), None, "{name}");
        before.push(doc);
    }

    kamailio.sipp("options.xml", 20, "u1");
    kamailio.sipp("invite_486.xml", 10, "u1");
    kamailio.sipp("options.xml", 5, "t1");
    // Rates need time to pass; a second is plenty.
    std::thread::sleep(Duration::from_millis(1100));

    for ((name, args), before) in sources.iter().zip(&before) {
        let doc = run_json(state.path(), args, &fifo_env);
        assert_eq!(doc["state"], "OK", "{name}: {doc}");
        let counter = |d: &serde_json::Value, l: &str| perf(d, l).unwrap();
        let invites =
            counter(&doc, "core:rcv_requests_invite") - counter(before, "core:rcv_requests_invite");
        assert_eq!(invites, 10.0, "{name}: INVITEs counted by Kamailio");
        let requests = counter(&doc, "core:rcv_requests") - counter(before, "core:rcv_requests");
        // 25 OPTIONS + 10 INVITE + 10 ACK, plus the HTTP polls of the other sources.
        assert!(requests >= 45.0, "{name}: {requests}");
        for rate in ["core:rcv_requests_rate", "core:rcv_requests_invite_rate"] {
            let value = perf(&doc, rate).unwrap_or_else(|| panic!("{name}: {rate} is U"));
            assert!(value > 0.0, "{name}: {rate} = {value}");
        }
        assert!(
            doc["summary"].as_str().unwrap().contains(" requests/s, "),
            "{name}: {doc}"
        );
    }
}

#[test]
fn a_restart_between_two_runs_resets_the_baseline() {
    let mut kamailio = Kamailio::start();
    let state = tempfile::tempdir().unwrap();
    let socket = kamailio.socket();
    kamailio.sipp("options.xml", 10, "u1");
    let doc = run_json(state.path(), &["--socket", &socket], &[]);
    assert!(perf(&doc, "core:rcv_requests").unwrap() >= 10.0, "{doc}");

    kamailio.restart();
    let (code, text) = run(
        state.path(),
        &[
            "--socket",
            &socket,
            "--critical-rate",
            "core:rcv_requests=@0",
        ],
        &[],
    );
    // No bogus negative rate, no "traffic stopped" alarm: a note and a new baseline.
    assert_eq!(code, 0, "{text}");
    assert!(
        text.starts_with("KAMAILIO_STATS OK - restart detected, baseline reset"),
        "{text}"
    );
    assert!(text.contains("core:rcv_requests_rate=U"), "{text}");
    assert!(
        text.contains("Note: Kamailio restarted or its statistics were reset"),
        "{text}"
    );

    // Rates resume from the new baseline.
    kamailio.sipp("options.xml", 5, "u1");
    std::thread::sleep(Duration::from_millis(200));
    let doc = run_json(state.path(), &["--socket", &socket], &[]);
    assert_eq!(doc["state"], "OK", "{doc}");
    assert!(perf(&doc, "core:rcv_requests_rate").unwrap() > 0.0, "{doc}");
}

#[test]
fn an_unreachable_kamailio_is_critical() {
    let state = tempfile::tempdir().unwrap();
    let missing = format!("unix:{}/nothing_here", state.path().display());
    let (code, text) = run(state.path(), &["--socket", &missing], &[]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("failed (exit status"), "{text}");
    let port = sip_support::free_port();
    let (code, text) = run(
        state.path(),
        &["--url", &format!("http://127.0.0.1:{port}/RPC")],
        &[],
    );
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("cannot reach Kamailio JSON-RPC"), "{text}");
    // Garbage is never OK.
    let junk = state.path().join("junk.txt");
    std::fs::write(&junk, "Welcome to Kamailio\n").unwrap();
    let (code, text) = run(state.path(), &["--input", junk.to_str().unwrap()], &[]);
    assert_eq!(code, 3, "{text}");
    assert!(text.contains("no Kamailio statistics recognised"), "{text}");
}
