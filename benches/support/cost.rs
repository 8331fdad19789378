//! What one run of a command costs, for the benches: cpu (user + system, from
//! wait4(2)'s rusage), wall time and peak RSS, and medians over repeated runs
//! with the commands alternated, so that a shared machine's load weighs on
//! each alike.
#![allow(dead_code)]

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One run, or the medians of several.
#[derive(Debug, Clone)]
pub struct Cost {
    pub cpu: Duration,
    pub wall: Duration,
    pub rss_kb: i64,
    pub code: i32,
    /// Line one of what it printed.
    pub line: String,
}

/// Runs `argv` once, its stderr discarded.
// The child is reaped with wait4(2) (for its rusage), which clippy cannot see.
#[allow(clippy::zombie_processes)]
pub fn run_once(argv: &[String]) -> Cost {
    use std::io::Read;
    let started = Instant::now();
    let mut child = Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{argv:?}: {e}"));
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: reaping the child this function spawned.
    unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Cost {
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        wall,
        rss_kb: usage.ru_maxrss,
        code: std::process::ExitStatus::from_raw(status)
            .code()
            .unwrap_or(-1),
        line: String::from_utf8_lossy(&out)
            .lines()
            .next()
            .unwrap_or("")
            .to_string(),
    }
}

/// Each command `runs` times, alternated (after one warm-up run each): the
/// median cpu and wall, the highest RSS, and the last answer.
pub fn medians(commands: &[&[String]], runs: usize) -> Vec<Cost> {
    for argv in commands {
        run_once(argv);
    }
    let mut all: Vec<Vec<Cost>> = vec![Vec::with_capacity(runs); commands.len()];
    for _ in 0..runs {
        for (i, argv) in commands.iter().enumerate() {
            all[i].push(run_once(argv));
        }
    }
    all.into_iter()
        .map(|mut costs| {
            let rss_kb = costs.iter().map(|c| c.rss_kb).max().unwrap_or(0);
            let mut cpu: Vec<Duration> = costs.iter().map(|c| c.cpu).collect();
            let mut wall: Vec<Duration> = costs.iter().map(|c| c.wall).collect();
            cpu.sort();
            wall.sort();
            let last = costs.pop().unwrap();
            Cost {
                cpu: cpu[runs / 2],
                wall: wall[runs / 2],
                rss_kb,
                ..last
            }
        })
        .collect()
}

/// Milliseconds, for the tables.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
