//! check_log_pattern on a generated 1 GiB mserver log, beside `grep -c` and, when
//! installed, ConSol's check_logfiles (Debian monitoring-plugins-contrib).
//!
//! `cargo bench --profile bench-fast --bench log_pattern` (LOG_BENCH_MIB=N for
//! another size). The file is read once first so that every tool finds it in the
//! page cache; each figure is the best of three runs, wall clock.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const HEALTH: &str = "Aggregated netConsoleControllerService health is not OK";
const CHECK_LOGFILES: &str = "/usr/lib/nagios/plugins/check_logfiles";

fn generate(path: &Path, bytes: u64) -> (u64, u64, u64) {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let (mut written, mut lines, mut health, mut traces) = (0u64, 0u64, 0u64, 0u64);
    let mut n: u64 = 0;
    while written < bytes {
        n += 1;
        let ms = n % 1000;
        let s = (n / 1000) % 60;
        let line = match n % 50_000 {
            0 => {
                health += 1;
                format!("2010-09-30 13:10:{s:02},{ms:03} nc.health      WARN  {HEALTH} [SipDispatcher requestExecutor-{n}]\n")
            }
            25_000 => {
                traces += 1;
                "com.escaux.ucmodel.access.ModelException: Failed read probe:mysql.attribute_state\n\
                 \x20       at com.escaux.ucmodel.access.impl.ModelServiceImpl.getProbe(ModelServiceImpl.java:367)\n\
                 \x20       at com.escaux.sip.impl.SipDispatcher$2.run(SipDispatcher.java:141)\n\
                 \x20       at java.lang.Thread.run(Unknown Source)\n\
                 Caused by: com.mysql.jdbc.CommunicationsException: Communications link failure due to underlying exception:\n"
                    .to_string()
            }
            k if k % 3 == 0 => format!("2010-09-30 17:30:{s:02},{ms:03} CallControl    DEBUG [AED][Event: NewChannel] [channel=SIP/10.126.201.4-0818b5e8,uid=1285860649.{n},channelstatedesc=Ring,calleridnum=96568,calledid=91313] [CallControl EP (65)]\n"),
            k if k % 3 == 1 => format!("2010-09-30 17:30:{s:02},{ms:03} fsm.cc         DEBUG [call_{n}] command: DetectedCallEventCallCommand [call=1285860649.5535;ch=SIP/10.126.201.4-0818b5e8;phone=10.126.201.4] [CallControl EP (65)]\n"),
            _ => format!("2010-09-30 17:30:{s:02},{ms:03} CallControl    INFO  New incoming call from event  [CallControl EP (65)]\n"),
        };
        lines += line.bytes().filter(|&b| b == b'\n').count() as u64;
        written += line.len() as u64;
        out.write_all(line.as_bytes()).unwrap();
    }
    out.flush().unwrap();
    (lines, health, traces)
}

/// Best of three wall-clock runs, and the last run's stdout.
fn time(mut make: impl FnMut() -> Command) -> (Duration, String) {
    let mut best = Duration::MAX;
    let mut last = String::new();
    for _ in 0..3 {
        let mut command = make();
        let start = Instant::now();
        let out = command.stderr(Stdio::null()).output().unwrap();
        best = best.min(start.elapsed());
        last = String::from_utf8_lossy(&out.stdout).into_owned();
    }
    (best, last)
}

fn main() {
    // `cargo test --all-targets` runs this too, without `--bench`: no 1 GiB file there.
    if !std::env::args().any(|a| a == "--bench") {
        println!("log_pattern bench: run it with `cargo bench --profile bench-fast --no-default-features --bench log_pattern`");
        return;
    }
    let mib: u64 = std::env::var("LOG_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("local.log");
    let t = Instant::now();
    let (lines, health, traces) = generate(&log, mib << 20);
    let size = std::fs::metadata(&log).unwrap().len();
    println!(
        "generated {} ({size} bytes, {lines} lines, {health} health lines, {traces} stack traces) in {:.1} s",
        log.display(),
        t.elapsed().as_secs_f64()
    );
    // Into the page cache.
    Command::new("cat")
        .arg(&log)
        .stdout(Stdio::null())
        .status()
        .unwrap();

    let plugin = env!("CARGO_BIN_EXE_check_log_pattern");
    let state = dir.path().join("state");
    let logs = log.display().to_string();
    let ours = |extra: &[&str]| {
        let mut c = Command::new(plugin);
        // A fresh state directory per run: every run reads the whole file.
        let _ = std::fs::remove_dir_all(&state);
        c.args([
            "--from-start",
            "--max-bytes",
            "4G",
            "-t",
            "300",
            "--file",
            &logs,
        ])
        .arg("--state-dir")
        .arg(&state)
        .args(extra);
        c
    };
    let mut rows: Vec<(String, Duration, String)> = Vec::new();
    let (d, out) = time(|| {
        let mut c = Command::new("grep");
        c.args(["-c", "-F", HEALTH, &logs]);
        c
    });
    rows.push(("grep -c -F 'health is not OK'".into(), d, out));
    let (d, out) = time(|| {
        let mut c = Command::new("grep");
        c.args(["-c", "-E", &format!("{HEALTH}|Exception"), &logs]);
        c
    });
    rows.push(("grep -c -E 'health…|Exception'".into(), d, out));
    let (d, out) = time(|| ours(&["--critical-pattern", HEALTH]));
    rows.push(("check_log_pattern, 1 pattern".into(), d, out));
    let (d, out) = time(|| {
        ours(&[
            "--critical-pattern",
            HEALTH,
            "--warning-pattern",
            "Exception",
        ])
    });
    rows.push(("check_log_pattern, 2 patterns".into(), d, out));
    let (d, out) = time(|| {
        ours(&[
            "--critical-pattern",
            HEALTH,
            "--warning-pattern",
            "Exception",
            "--continuation",
            r"^\s+at |^Caused by:",
        ])
    });
    rows.push(("check_log_pattern, 2 + --continuation".into(), d, out));
    if Path::new(CHECK_LOGFILES).exists() {
        let seek = dir.path().join("seek");
        let (d, out) = time(|| {
            let _ = std::fs::remove_dir_all(&seek);
            std::fs::create_dir_all(&seek).unwrap();
            let mut c = Command::new(CHECK_LOGFILES);
            c.arg(format!("--seekfilesdir={}", seek.display()))
                .arg(format!("--protocolsdir={}", seek.display()))
                .arg(format!("--logfile={logs}"))
                .arg(format!("--criticalpattern={HEALTH}"))
                .arg("--warningpattern=Exception")
                .arg("--tag=bench")
                .arg("--allyoucaneat")
                .arg("--timeout=600");
            c
        });
        rows.push(("check_logfiles (allyoucaneat)".into(), d, out));
    } else {
        println!("note: {CHECK_LOGFILES} not installed (Debian monitoring-plugins-contrib): not compared");
    }
    println!(
        "\n{:<40} {:>9} {:>10}  result",
        "tool, whole file", "seconds", "MiB/s"
    );
    for (name, d, out) in rows {
        let first = out.lines().next().unwrap_or("").trim();
        let first: String = first
            .split(" | ")
            .next()
            .unwrap_or("")
            .chars()
            .take(70)
            .collect();
        println!(
            "{name:<40} {:>9.3} {:>10.0}  {first}",
            d.as_secs_f64(),
            size as f64 / (1 << 20) as f64 / d.as_secs_f64()
        );
    }
}
