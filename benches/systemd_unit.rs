//! check_systemd_unit's cost per run against its floor: a real systemd user
//! manager (tests/support/systemd.rs) runs one unit, `sre.service`, a Python
//! "supervisord" with two Python daemons (sre-REST, sre-health-monitor). Each
//! command runs RUNS times, alternating, and the CPU time (user + system, from
//! getrusage(RUSAGE_CHILDREN)) and the median wall time per run are printed
//! side by side for
//!
//! - `/bin/true` (the cost of any fork + exec),
//! - `systemctl --user show -p … sre.service` alone (what the plugin forks),
//! - `check_systemd_unit --user -u sre --expect-process sre-REST --expect-process sre-health-monitor`.
//!
//! `cargo bench --bench systemd_unit --profile bench-fast` (or plain `cargo
//! bench`). Needs root and /lib/systemd/systemd, like the tests.

#[path = "../tests/support/systemd.rs"]
mod systemd;

use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 100;

fn children_cpu() -> Duration {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn main() {
    // `cargo test --all-targets` runs this too, without `--bench`: no timing there.
    if !std::env::args().any(|a| a == "--bench") {
        println!("systemd_unit bench: run it with `cargo bench --bench systemd_unit`");
        return;
    }
    let m = systemd::manager();
    let bin = m.dir.join("opt-sre-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let daemon = "import time\nwhile True:\n    time.sleep(3600)\n";
    std::fs::write(bin.join("sre-REST"), daemon).unwrap();
    std::fs::write(bin.join("sre-health-monitor"), daemon).unwrap();
    std::fs::write(
        bin.join("supervisord"),
        format!(
            "import subprocess, time\n\
             kids = [subprocess.Popen(['/usr/bin/python3', '{0}/sre-REST']),\n\
             \x20       subprocess.Popen(['/usr/bin/python3', '{0}/sre-health-monitor'])]\n\
             while True:\n    time.sleep(3600)\n",
            bin.display()
        ),
    )
    .unwrap();
    m.install(
        "sre.service",
        &format!(
            "[Service]\nExecStart=/usr/bin/python3 {}/supervisord -n\n",
            bin.display()
        ),
    );
    m.ok(&["start", "sre.service"]);
    std::thread::sleep(Duration::from_secs(1));

    let state = tempfile::tempdir().unwrap();
    let plugin = env!("CARGO_BIN_EXE_check_systemd_unit");
    let properties = "Id,LoadState,LoadError,ActiveState,SubState,Result,ActiveEnterTimestamp,\
                      ActiveEnterTimestampMonotonic,NRestarts,MainPID,ControlGroup,Type,UnitFileState";
    let commands: Vec<(&str, Vec<String>)> = vec![
        ("/bin/true", vec!["/bin/true".into()]),
        (
            "systemctl --user show -p … sre.service",
            [
                "systemctl",
                "--user",
                "show",
                "-p",
                properties,
                "--",
                "sre.service",
            ]
            .map(String::from)
            .to_vec(),
        ),
        (
            "check_systemd_unit, 2 expected processes",
            vec![
                plugin.to_string(),
                "--user".into(),
                "-u".into(),
                "sre".into(),
                "--min-uptime".into(),
                "0".into(),
                "--expect-process".into(),
                "sre-REST".into(),
                "--expect-process".into(),
                "sre-health-monitor".into(),
                "--state-dir".into(),
                state.path().display().to_string(),
            ],
        ),
    ];
    let mut cpu = vec![Duration::ZERO; commands.len()];
    let mut wall = vec![Vec::with_capacity(RUNS); commands.len()];
    let mut last = vec![String::new(); commands.len()];
    for _ in 0..RUNS {
        for (i, (_, argv)) in commands.iter().enumerate() {
            let before = children_cpu();
            let started = Instant::now();
            let out = Command::new(&argv[0])
                .args(&argv[1..])
                .env("XDG_RUNTIME_DIR", &m.runtime)
                .env_remove("DBUS_SESSION_BUS_ADDRESS")
                .output()
                .unwrap();
            wall[i].push(started.elapsed());
            cpu[i] += children_cpu() - before;
            last[i] = String::from_utf8_lossy(&out.stdout)
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(90)
                .collect();
        }
    }
    println!("{RUNS} runs each, alternating; CPU = user + system of the child");
    println!(
        "{:<42} {:>12} {:>12}",
        "command", "CPU ms/run", "wall median"
    );
    for (i, (name, _)) in commands.iter().enumerate() {
        wall[i].sort();
        println!(
            "{:<42} {:>12.2} {:>10.2}ms",
            name,
            cpu[i].as_secs_f64() * 1000.0 / RUNS as f64,
            wall[i][RUNS / 2].as_secs_f64() * 1000.0
        );
    }
    let c = |i: usize| cpu[i].as_secs_f64() / RUNS as f64;
    println!(
        "plugin − systemctl show: {:.2} ms CPU per run; plugin / systemctl show: {:.2}×",
        (c(2) - c(1)) * 1000.0,
        c(2) / c(1)
    );
    println!("last plugin line: {}", last[2]);
}
