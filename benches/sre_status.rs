//! check_sre_status --input on the seed's platform (examples/sre/status-healthy.txt)
//! against /bin/true: the CPU time (user + system, from getrusage of the
//! children) each costs per run, printed side by side. /bin/true is the floor
//! of any process a scheduler starts; the difference is what parsing and
//! judging the status costs.
//!
//! `cargo bench --bench sre_status --profile bench-fast` (or plain `cargo bench`).
//! `cargo test --all-targets` runs it without `--bench`: no timing then.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 200;

fn children_cpu() -> Duration {
    // SAFETY: getrusage(2) fills the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe {
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
    }
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// CPU and wall time per run of `argv`, over RUNS runs; and its exit code.
fn measure(argv: &[&str]) -> (Duration, Duration, i32) {
    let mut code = 0;
    let cpu0 = children_cpu();
    let wall0 = Instant::now();
    for _ in 0..RUNS {
        let status = Command::new(argv[0])
            .args(&argv[1..])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        code = status.code().unwrap_or(-1);
    }
    let per = |d: Duration| d / RUNS as u32;
    (per(children_cpu() - cpu0), per(wall0.elapsed()), code)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("sre_status bench: run it with `cargo bench --bench sre_status`");
        return;
    }
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/sre/status-healthy.txt"
    );
    let ours = env!("CARGO_BIN_EXE_check_sre_status");
    // Warm the page cache for both.
    measure(&[ours, "--input", fixture]);
    measure(&["/bin/true"]);
    let (cpu, wall, code) = measure(&[ours, "--input", fixture]);
    let (tcpu, twall, _) = measure(&["/bin/true"]);
    assert_eq!(code, 0, "the seed's platform must be OK");
    println!("{RUNS} runs each          cpu/run    wall/run");
    println!(
        "check_sre_status --input  {:>7.3} ms  {:>7.3} ms",
        cpu.as_secs_f64() * 1e3,
        wall.as_secs_f64() * 1e3
    );
    println!(
        "/bin/true                 {:>7.3} ms  {:>7.3} ms",
        tcpu.as_secs_f64() * 1e3,
        twall.as_secs_f64() * 1e3
    );
    println!(
        "difference                {:>7.3} ms  {:>7.3} ms",
        (cpu.as_secs_f64() - tcpu.as_secs_f64()) * 1e3,
        (wall.as_secs_f64() - twall.as_secs_f64()) * 1e3
    );
}
