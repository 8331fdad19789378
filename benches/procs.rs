//! check_seon_daemons against the Monitoring Plugins' check_procs on the same
//! process table: a stand-in Seon (master, three receivers listening, send
//! queue daemon, debug daemon) is started, then each plugin runs N times and
//! the median wall times and their ratio are printed.
//!
//! `cargo bench --bench procs --profile bench-fast` (or plain `cargo bench`).
//! Skips cleanly without /usr/lib/nagios/plugins/check_procs or /usr/bin/python3.

#[path = "../tests/support/procs.rs"]
mod procs_support;

use procs_support::{free_port, StandIn, PYTHON};
use serde_json::json;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const CHECK_PROCS: &str = "/usr/lib/nagios/plugins/check_procs";
const RUNS: usize = 50;

/// Runs each command `RUNS` times, alternating them so that the load of a shared
/// machine weighs on both alike; returns each one's median and last first line.
fn median_runs(commands: &[&[String]]) -> Vec<(Duration, String)> {
    let mut times = vec![Vec::with_capacity(RUNS); commands.len()];
    let mut lines = vec![String::new(); commands.len()];
    for _ in 0..RUNS {
        for (i, argv) in commands.iter().enumerate() {
            let started = Instant::now();
            let out = Command::new(&argv[0]).args(&argv[1..]).output().unwrap();
            times[i].push(started.elapsed());
            lines[i] = String::from_utf8_lossy(&out.stdout)
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
        }
    }
    times
        .into_iter()
        .zip(lines)
        .map(|(mut t, line)| {
            t.sort();
            (t[RUNS / 2], line)
        })
        .collect()
}

fn main() {
    // `cargo test --all-targets` runs this too, without `--bench`: no timing there.
    if !std::env::args().any(|a| a == "--bench") {
        println!("procs bench: run it with `cargo bench --bench procs`");
        return;
    }
    for needed in [CHECK_PROCS, PYTHON] {
        if !Path::new(needed).exists() {
            println!("procs bench skipped: {needed} not found (monitoring-plugins-basic, python3)");
            return;
        }
    }
    let ports = [free_port(), free_port(), free_port()];
    let child = |argv0: &str, port: Option<u16>| json!({"argv0": argv0, "spec": {"comm": "seonrd", "listen": port.into_iter().collect::<Vec<_>>()}});
    let _seonrd = StandIn::start(
        "/opt/seon/bin/seonrd",
        &[],
        json!({"comm": "seonrd", "children": [
            child("seonrd_tcpip", Some(ports[0])),
            child("seonrd_tcpip_tls", Some(ports[1])),
            child("seonrd_capi_0", None),
        ]}),
        None,
    );
    let _sqd = StandIn::start(
        "/opt/seon/bin/seonsqd",
        &[],
        json!({"comm": "seonsqd"}),
        None,
    );
    let _debugd = StandIn::start(
        "/opt/seon/bin/seondebugd",
        &[],
        json!({"comm": "seondebugd", "listen": [ports[2]]}),
        None,
    );
    let processes = std::fs::read_dir("/proc")
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
        })
        .count();

    let ours: Vec<String> = vec![
        env!("CARGO_BIN_EXE_check_seon_daemons").to_string(),
        format!("--listen=seonrd_tcpip={}", ports[0]),
        format!("--listen=seonrd_tcpip_tls={}", ports[1]),
        format!("--listen=seondebugd={}", ports[2]),
    ];
    let theirs: Vec<String> = [CHECK_PROCS, "-C", "seonrd", "-c", "1:"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    // Warm-up runs (page cache, dynamic loader), then the measured ones.
    for argv in [&ours, &theirs] {
        Command::new(&argv[0]).args(&argv[1..]).output().unwrap();
    }
    let results = median_runs(&[&ours, &theirs]);
    let (our_time, our_line) = results[0].clone();
    let (their_time, their_line) = results[1].clone();
    println!(
        "process table: {processes} processes; {RUNS} runs each, alternated, median wall time"
    );
    println!(
        "check_seon_daemons (4 daemons, 3 children, 3 ports): {:>8.2} ms  {}",
        our_time.as_secs_f64() * 1e3,
        our_line.split(" | ").next().unwrap_or("")
    );
    println!(
        "check_procs -C seonrd (one name, no ports):          {:>8.2} ms  {}",
        their_time.as_secs_f64() * 1e3,
        their_line.split(" | ").next().unwrap_or("")
    );
    println!(
        "ratio check_procs / check_seon_daemons: {:.2}",
        their_time.as_secs_f64() / our_time.as_secs_f64()
    );
}
