//! check_pg_repl against `check_postgres --action=hot_standby_delay` on the same
//! real primary + streaming standby: median wall time of N runs of each (one
//! after the other) and their ratio, printed. Not a timed test.
//!
//! `cargo bench --bench pg_repl` (N from OPSCHECK_BENCH_RUNS, default 30).
//! Skips cleanly when PostgreSQL or check_postgres is missing, and when run by
//! `cargo test --all-targets` (no `--bench` argument).

#[path = "../tests/support/pg.rs"]
mod pg;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    let n = samples.len();
    if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2
    }
}

/// Runs `command` `runs` times; the wall times, and the first run's output.
fn time(name: &str, runs: usize, mut command: impl FnMut() -> Command) -> (Vec<Duration>, String) {
    let mut samples = Vec::with_capacity(runs);
    let mut first = String::new();
    for i in 0..runs {
        let started = Instant::now();
        let out = command()
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        samples.push(started.elapsed());
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(out.status.code(), Some(0), "{name} is not OK: {text}");
        if i == 0 {
            first = text.lines().next().unwrap_or("").to_string();
        }
    }
    (samples, first)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("pg_repl benchmark: run it with `cargo bench --bench pg_repl`");
        return;
    }
    let check_postgres = Path::new("/usr/bin/check_postgres");
    if !check_postgres.exists() {
        println!(
            "pg_repl benchmark skipped: check_postgres is not installed (Debian check-postgres)"
        );
        return;
    }
    if pg::bindir().is_none() {
        println!("pg_repl benchmark skipped: PostgreSQL is not installed");
        return;
    }
    let runs: usize = std::env::var("OPSCHECK_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(30);
    let cluster = pg::Cluster::start().expect("PostgreSQL is installed");
    cluster
        .primary
        .sql("CREATE TABLE t (i int); INSERT INTO t VALUES (1)");
    cluster.wait_caught_up();
    let (p, s) = (cluster.primary.port, cluster.standby().port);
    let hosts = format!("127.0.0.1:{p},127.0.0.1:{s}");
    let ours = env!("CARGO_BIN_EXE_check_pg_repl");
    let (our_samples, our_line) = time("check_pg_repl", runs, || {
        let mut c = Command::new(ours);
        c.args(["-H", &hosts, "-U", pg::MONITOR_USER])
            .args([
                "--warning-bytes",
                "16777216",
                "--critical-bytes",
                "134217728",
            ])
            .env("PGPASSWORD", pg::MONITOR_PASSWORD);
        c
    });
    let (their_samples, their_line) = time("check_postgres", runs, || {
        let mut c = Command::new(check_postgres);
        c.arg("--action=hot_standby_delay")
            .arg("--dbhost=127.0.0.1,127.0.0.1")
            .arg(format!("--dbport={p},{s}"))
            .arg(format!("--dbuser={}", pg::MONITOR_USER))
            .args([
                "--dbname=postgres",
                "--warning=16777216",
                "--critical=134217728",
            ])
            .env("PGPASSWORD", pg::MONITOR_PASSWORD)
            .env("HOME", "/nonexistent");
        c
    });
    let (ours_median, theirs_median) = (median(our_samples), median(their_samples));
    println!("pg_repl benchmark: primary + streaming standby, {runs} runs each, median wall time");
    println!(
        "  check_pg_repl (cluster mode)            {:>8.1} ms   {our_line}",
        ours_median.as_secs_f64() * 1e3
    );
    println!(
        "  check_postgres --action=hot_standby_delay {:>6.1} ms   {their_line}",
        theirs_median.as_secs_f64() * 1e3
    );
    println!(
        "  ratio check_postgres / check_pg_repl: {:.1}x",
        theirs_median.as_secs_f64() / ours_median.as_secs_f64()
    );
}
