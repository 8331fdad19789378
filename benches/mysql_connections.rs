//! check_mysql_connections against the Monitoring Plugins' check_mysql and a
//! bare `mariadb -e 'show processlist'` on the same real MariaDB with 40 idle
//! client connections (the seed's healthy SOP): median wall time and median
//! CPU time (user + system of the child) of N runs of each, one after the
//! other, and the ratios, printed side by side. Not a timed test.
//!
//! `cargo bench --bench mysql_connections` (N from OPSCHECK_BENCH_RUNS,
//! default 30). Needs mariadb-server, mariadb-client and, for check_mysql,
//! monitoring-plugins-standard (not in .ci/apt-packages: CI runs no
//! benchmark); skips cleanly without them and when run by `cargo test
//! --all-targets` (no `--bench` argument). All three read the same option file.
#[path = "../tests/support/mysql.rs"]
mod mysql;

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

/// User + system CPU of every child waited for so far.
fn children_cpu() -> Duration {
    // SAFETY: getrusage fills the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

struct Timed {
    wall: Duration,
    cpu: Duration,
    first: String,
}

/// Runs `command` `runs` times: median wall and CPU time, and the first run's first line.
fn time(name: &str, runs: usize, mut command: impl FnMut() -> Command) -> Timed {
    let mut walls = Vec::with_capacity(runs);
    let mut cpus = Vec::with_capacity(runs);
    let mut first = String::new();
    for i in 0..runs {
        let cpu_before = children_cpu();
        let started = Instant::now();
        let out = command()
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        walls.push(started.elapsed());
        cpus.push(children_cpu().saturating_sub(cpu_before));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(out.status.code(), Some(0), "{name} failed: {text}");
        if i == 0 {
            first = text.lines().next().unwrap_or("").chars().take(70).collect();
        }
    }
    Timed {
        wall: median(walls),
        cpu: median(cpus),
        first,
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!(
            "mysql_connections benchmark: run it with `cargo bench --bench mysql_connections`"
        );
        return;
    }
    let check_mysql = Path::new("/usr/lib/nagios/plugins/check_mysql");
    if !check_mysql.exists() {
        println!("mysql_connections benchmark skipped: check_mysql is not installed (Debian monitoring-plugins-standard)");
        return;
    }
    let runs: usize = std::env::var("OPSCHECK_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(30);
    let server = mysql::server();
    let (clients, error) = mysql::Clients::open(server, "sop", 40);
    assert!(error.is_none(), "{error:?}");
    server.wait_threads(mysql::APP_USER, 40);
    let dir = tempfile::tempdir().unwrap();
    let cnf = dir.path().join("monitor.cnf");
    std::fs::write(
        &cnf,
        format!(
            "[client]\nuser={}\npassword={}\nhost=127.0.0.1\nport={}\n",
            mysql::MONITOR_USER,
            mysql::MONITOR_PASSWORD,
            server.port
        ),
    )
    .unwrap();
    let ours = env!("CARGO_BIN_EXE_check_mysql_connections");
    let a = time("check_mysql_connections", runs, || {
        let mut c = Command::new(ours);
        c.arg("--defaults-file")
            .arg(&cnf)
            .env("HOME", "/nonexistent");
        c
    });
    let b = time("check_mysql", runs, || {
        let mut c = Command::new(check_mysql);
        c.arg("-f")
            .arg(&cnf)
            .args(["-H", "127.0.0.1", "-P", &server.port.to_string()])
            .env("HOME", "/nonexistent");
        c
    });
    let m = time("mariadb -e 'show processlist'", runs, || {
        let mut c = Command::new("mariadb");
        c.arg(format!("--defaults-file={}", cnf.display()))
            .args(["-e", "show processlist"])
            .env("HOME", "/nonexistent");
        c
    });
    drop(clients);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "mysql_connections benchmark: MariaDB with 40 idle clients, {runs} runs each, medians"
    );
    println!(
        "  {:<34} {:>9} {:>9} {:>8} {:>8}",
        "", "wall ms", "cpu ms", "wall x", "cpu x"
    );
    for (name, t) in [
        ("check_mysql_connections", &a),
        ("check_mysql (Monitoring Plugins)", &b),
        ("mariadb -e 'show processlist'", &m),
    ] {
        println!(
            "  {name:<34} {:>9.2} {:>9.2} {:>8.2} {:>8.2}   {}",
            ms(t.wall),
            ms(t.cpu),
            t.wall.as_secs_f64() / a.wall.as_secs_f64(),
            t.cpu.as_secs_f64() / a.cpu.as_secs_f64().max(1e-9),
            t.first
        );
    }
    println!("  (x: the row's median over check_mysql_connections')");
}
