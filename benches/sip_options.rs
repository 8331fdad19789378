//! Times check_sip_options against a SIPp single-OPTIONS run (`-m 1`) to the
//! same real Kamailio, over UDP and TCP: median wall time of each and the ratio.
//! Prints figures; skips cleanly when kamailio or sipp is not installed.
//!
//! cargo bench --bench sip_options   (or --profile bench-fast)

#[path = "../tests/support/sip.rs"]
mod sip_support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs per measurement under `cargo bench`; `cargo test --all-targets` runs
/// this binary without `--bench`, as a quick smoke test with fewer runs.
fn runs() -> usize {
    if std::env::args().any(|a| a == "--bench") {
        31
    } else {
        3
    }
}

fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time(mut command: impl FnMut() -> Command) -> Duration {
    let mut samples = Vec::with_capacity(runs());
    for _ in 0..runs() {
        let mut c = command();
        c.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let started = Instant::now();
        let status = c.status().expect("command runs");
        samples.push(started.elapsed());
        assert!(status.success(), "{c:?} failed: {status}");
    }
    median(samples)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    if !installed("kamailio") || !installed("sipp") {
        println!("sip_options bench skipped: kamailio and sipp (packages kamailio, sip-tester) are needed");
        return;
    }
    let kamailio = sip_support::Kamailio::start();
    let port = kamailio.sip_port.to_string();
    let plugin = env!("CARGO_BIN_EXE_check_sip_options");
    let scenario = sip_support::scenario("options.xml");
    println!("check_sip_options vs sipp -m 1, one OPTIONS to Kamailio on 127.0.0.1:{port}, median of {} runs", runs());
    for (transport, sipp_transport) in [("udp", "u1"), ("tcp", "t1")] {
        let ours = time(|| {
            let mut c = Command::new(plugin);
            c.args(["-H", "127.0.0.1", "-p", &port, "--transport", transport]);
            c
        });
        let theirs = time(|| {
            let mut c = Command::new("sipp");
            c.arg("-sf")
                .arg(&scenario)
                .args([
                    "-m",
                    "1",
                    "-nostdin",
                    "-i",
                    "127.0.0.1",
                    "-t",
                    sipp_transport,
                ])
                .args(["-p", &sip_support::free_port().to_string()])
                .arg(format!("127.0.0.1:{port}"))
                .current_dir(kamailio.dir.path());
            c
        });
        println!(
            "  {transport}: check_sip_options {}  sipp {}  ratio sipp/check_sip_options {:.1}x",
            ms(ours),
            ms(theirs),
            theirs.as_secs_f64() / ours.as_secs_f64()
        );
    }
}
