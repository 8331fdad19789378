//! check_seon_daemons against the Monitoring Plugins' check_procs on the same
//! process table: a stand-in Seon (master, three receivers listening, send
//! queue daemon, debug daemon) is started, then each plugin runs N times and
//! the median wall times and their ratio are printed.
//!
//! `cargo bench --bench procs --profile bench-fast` (or plain `cargo bench`).
//! Skips cleanly without /usr/lib/nagios/plugins/check_procs or /usr/bin/python3.

#[path = "../tests/support/procs.rs"]
mod procs_support;

#[path = "support/cost.rs"]
mod cost;

use cost::{medians, ms};
use procs_support::{free_port, StandIn, PYTHON};
use serde_json::json;
use std::path::Path;

const CHECK_PROCS: &str = "/usr/lib/nagios/plugins/check_procs";
const RUNS: usize = 50;

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
    let truth = vec!["/bin/true".to_string()];
    let results = medians(&[&ours, &theirs, &truth], RUNS);
    let (o, t, base) = (&results[0], &results[1], &results[2]);
    println!(
        "process table: {processes} processes; {RUNS} runs each, alternated, medians (cpu = user + system)"
    );
    println!("{:<52} {:>9} {:>9}", "", "cpu ms", "wall ms");
    println!(
        "{:<52} {:>9.3} {:>9.3}  {}",
        "check_seon_daemons (4 daemons, 3 children, 3 ports)",
        ms(o.cpu),
        ms(o.wall),
        o.line.split(" | ").next().unwrap_or("")
    );
    println!(
        "{:<52} {:>9.3} {:>9.3}  {}",
        "check_procs -C seonrd (one name, no ports)",
        ms(t.cpu),
        ms(t.wall),
        t.line.split(" | ").next().unwrap_or("")
    );
    println!(
        "{:<52} {:>9.3} {:>9.3}",
        "/bin/true",
        ms(base.cpu),
        ms(base.wall)
    );
    println!(
        "cpu: check_procs / check_seon_daemons {:.2}; wall: {:.2}",
        t.cpu.as_secs_f64() / o.cpu.as_secs_f64().max(1e-9),
        t.wall.as_secs_f64() / o.wall.as_secs_f64().max(1e-9)
    );
}
