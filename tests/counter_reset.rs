//! check_counter_reset on the StarOS bulk statistics recordings of
//! examples/staros/ (a SessMgr restart with the checkpoint recovered, lost, a
//! 32-bit wrap, a service gone) and on `name value` lines, and 100 concurrent
//! runs on one state file.

use assert_cmd::Command;
use std::path::Path;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/staros");
const SYSTEM: &str = "EMS,systemSch1,%date%,%time%,%sess-ttlarrived%,%sess-ttlconnected%,%sess-ttlrejected%,%sess-curttlact%";
const PGW: &str = "EMS,pgwSch1,%date%,%time%,%vpnname%,%servname%,%sessstat-pdn-ttlsetup%,%sessstat-pdn-ttlrelease%,%sess-curpdn%,%aaa-ttlacctreq%";

fn run(state: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let out = Command::cargo_bin("check_counter_reset")
        .unwrap()
        .args(["--output-format", "json", "--state-dir"])
        .arg(state)
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

fn bulk(state: &Path, file: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let path = format!("{DIR}/{file}");
    let mut args = vec![
        "--instance",
        "asr1",
        "--bulkstats",
        &path,
        "--schema",
        SYSTEM,
        "--schema",
        PGW,
        "--gauge",
        "curttlact|curpdn",
    ];
    args.extend_from_slice(extra);
    run(state, &args)
}

fn perf(doc: &serde_json::Value, label: &str) -> Option<serde_json::Value> {
    doc["perfdata"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["label"] == label)
        .map(|p| p["value"].clone())
}

#[test]
fn a_restart_with_recovered_counters_is_ok() {
    let state = tempfile::tempdir().unwrap();
    let (code, doc) = bulk(state.path(), "bulkstats-1930.csv", &[]);
    assert_eq!(code, 0, "{doc}");
    assert!(
        doc["summary"]
            .as_str()
            .unwrap()
            .contains("baseline of 12 counters"),
        "{doc}"
    );
    let (code, doc) = bulk(
        state.path(),
        "bulkstats-1935-recovered.csv",
        &["--rate", "ttlsetup"],
    );
    assert_eq!(code, 0, "{doc}");
    assert!(doc.to_string().contains("gauges"), "{doc}");
    // 3024 PDN set-ups in 300 s (the data's own times, not the run's clock).
    let rate = perf(&doc, "pgwSch1/ISP1/PGW1/sessstat-pdn-ttlsetup_rate").unwrap();
    assert!((rate.as_f64().unwrap() - 10.08).abs() < 1e-9, "{doc}");
    // The same file again: no new sample, nothing compared.
    let (code, doc) = bulk(state.path(), "bulkstats-1935-recovered.csv", &[]);
    assert_eq!(code, 0);
    assert!(
        doc["summary"].as_str().unwrap().contains("no new sample"),
        "{doc}"
    );
}

#[test]
fn a_lost_checkpoint_is_critical_with_old_and_new_values() {
    let state = tempfile::tempdir().unwrap();
    bulk(state.path(), "bulkstats-1930.csv", &[]);
    let (code, doc) = bulk(state.path(), "bulkstats-1935-lost.csv", &[]);
    assert_eq!(code, 2, "{doc}");
    let summary = doc["summary"].as_str().unwrap();
    assert!(
        summary.contains("pgwSch1/ISP1/PGW1/aaa-ttlacctreq went down from 4294967001 to 15207"),
        "{summary}"
    );
    assert_eq!(perf(&doc, "decreased").unwrap(), 3.0);
    let text = doc.to_string();
    assert!(
        text.contains("sessstat-pdn-ttlsetup went down from 30211877 to 3024"),
        "{text}"
    );
    // --warning-only downgrades.
    let state = tempfile::tempdir().unwrap();
    bulk(state.path(), "bulkstats-1930.csv", &[]);
    let (code, _) = bulk(state.path(), "bulkstats-1935-lost.csv", &["--warning-only"]);
    assert_eq!(code, 1);
}

#[test]
fn a_32_bit_wrap_is_not_a_reset() {
    let state = tempfile::tempdir().unwrap();
    bulk(state.path(), "bulkstats-1930.csv", &[]);
    let (code, doc) = bulk(
        state.path(),
        "bulkstats-1935-wrap32.csv",
        &["--wrap", "32", "--rate", "acctreq"],
    );
    assert_eq!(code, 0, "{doc}");
    assert!(doc.to_string().contains("wrapped at 2^32"), "{doc}");
    let rate = perf(&doc, "pgwSch1/ISP1/PGW1/aaa-ttlacctreq_rate").unwrap();
    // (2^32 - 1 - 4294967001) + 1812 + 1 = 2107 requests in 300 s.
    assert!(
        (rate.as_f64().unwrap() - 2107.0 / 300.0).abs() < 1e-9,
        "{doc}"
    );
    let state = tempfile::tempdir().unwrap();
    bulk(state.path(), "bulkstats-1930.csv", &[]);
    let (code, _) = bulk(state.path(), "bulkstats-1935-wrap32.csv", &[]);
    assert_eq!(code, 2);
}

#[test]
fn a_counter_that_disappears_is_a_warning() {
    let state = tempfile::tempdir().unwrap();
    bulk(state.path(), "bulkstats-1930.csv", &[]);
    let (code, doc) = bulk(state.path(), "bulkstats-1935-pgw2-gone.csv", &[]);
    assert_eq!(code, 1, "{doc}");
    assert!(doc["summary"].as_str().unwrap().contains("PGW2"), "{doc}");
}

#[test]
fn name_value_lines_and_a_gauge_going_down() {
    let state = tempfile::tempdir().unwrap();
    let input = |f: &str| format!("{DIR}/{f}");
    let before = input("counters-before.txt");
    let args = |file: &str| -> Vec<String> {
        ["--instance", "pgw1", "--input", file, "--gauge", "curpdn"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    let a = args(&before);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    assert_eq!(run(state.path(), &a).0, 0);
    let recovered = input("counters-recovered.txt");
    let r = args(&recovered);
    let r: Vec<&str> = r.iter().map(String::as_str).collect();
    let (code, doc) = run(state.path(), &r);
    assert_eq!(code, 0, "{doc}");
    let lost = input("counters-lost.txt");
    let l = args(&lost);
    let l: Vec<&str> = l.iter().map(String::as_str).collect();
    // recovered → lost: the counters went down.
    let (code, doc) = run(state.path(), &l);
    assert_eq!(code, 2, "{doc}");
    // A command's output works the same way.
    let state = tempfile::tempdir().unwrap();
    let cmd = format!("cat {before}");
    let (code, _) = run(state.path(), &["--command", &cmd]);
    assert_eq!(code, 0);
    // Nothing understood is UNKNOWN; no source is UNKNOWN.
    let (code, _) = run(state.path(), &["--input", "/dev/null"]);
    assert_eq!(code, 3);
    let (code, _) = run(state.path(), &[]);
    assert_eq!(code, 3);
    // An empty value is refused before the options are read: a plain usage error.
    let out = Command::cargo_bin("check_counter_reset")
        .unwrap()
        .args(["--input", &before, "--gauge", ""])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout)
        .starts_with("COUNTER_RESET UNKNOWN - empty value for --gauge"));
}

#[test]
fn a_hundred_concurrent_runs_on_one_state_file_lose_nothing() {
    let state = tempfile::tempdir().unwrap();
    let input = format!("{DIR}/counters-before.txt");
    let bin = assert_cmd::cargo::cargo_bin("check_counter_reset");
    let children: Vec<_> = (0..100)
        .map(|_| {
            std::process::Command::new(&bin)
                .args(["--instance", "shared", "--input", &input, "--state-dir"])
                .arg(state.path())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut baselines = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{text}");
        if text.contains("baseline") {
            baselines += 1;
        }
    }
    // Exactly one run found no state; every other one compared with a saved sample.
    assert_eq!(baselines, 1);
    let file = std::fs::read_dir(state.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .unwrap();
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    assert_eq!(saved["data"]["samples"], 100, "{saved}");
}
