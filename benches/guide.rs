//! check_guide on the sre-em guide over recorded inputs
//! (benches/guides/sre-em-recorded.toml: the real check_mongo_rs on the seed's
//! replica set, recorded results replayed for the live-system plugins), with
//! `--jobs 1` against the default (twice the CPUs): median wall time and CPU
//! time (user + system of check_guide and all its children, from
//! getrusage(RUSAGE_CHILDREN)) side by side. Then 50 entries that each sleep
//! 0.1 s, `--jobs 1` vs `--jobs 4`, to show the parallel gain when the checks
//! wait on something (as real ones do: ssh, a database, systemctl).
//!
//! `cargo bench --bench guide` (the debug binaries of `cargo build --bins`
//! are used when no release build exists: say which in the output).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 21;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn binary_dir() -> PathBuf {
    for profile in ["bench-fast", "release", "debug"] {
        let dir = repo().join("target").join(profile);
        if dir.join("check_guide").exists() && dir.join("check_mongo_rs").exists() {
            return dir;
        }
    }
    panic!("build the plugins first: cargo build --bins (or --release)");
}

fn children_cpu() -> Duration {
    // SAFETY: getrusage fills the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Median wall and CPU time of `RUNS` runs of each argument list, alternated.
fn measure(bin: &Path, variants: &[Vec<String>]) -> Vec<(Duration, Duration, String)> {
    let mut walls = vec![Vec::new(); variants.len()];
    let mut cpus = vec![Vec::new(); variants.len()];
    let mut lines = vec![String::new(); variants.len()];
    for _ in 0..RUNS {
        for (i, args) in variants.iter().enumerate() {
            let cpu_before = children_cpu();
            let started = Instant::now();
            let out = Command::new(bin)
                .args(args)
                .stdin(Stdio::null())
                .output()
                .unwrap();
            walls[i].push(started.elapsed());
            cpus[i].push(children_cpu() - cpu_before);
            lines[i] = String::from_utf8_lossy(&out.stdout)
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(60)
                .collect();
        }
    }
    (0..variants.len())
        .map(|i| {
            walls[i].sort();
            cpus[i].sort();
            (walls[i][RUNS / 2], cpus[i][RUNS / 2], lines[i].clone())
        })
        .collect()
}

fn ms(d: Duration) -> String {
    format!("{:8.1} ms", d.as_secs_f64() * 1000.0)
}

fn table(title: &str, names: &[&str], results: &[(Duration, Duration, String)]) {
    println!("\n{title} (median of {RUNS} runs)");
    println!("{:<22} {:>11} {:>11}  first line", "", "wall", "cpu");
    for (name, (wall, cpu, line)) in names.iter().zip(results) {
        println!("{name:<22} {} {}  {line}", ms(*wall), ms(*cpu));
    }
}

fn main() {
    // `cargo test --all-targets` runs this too, without `--bench`: no timing there.
    if !std::env::args().any(|a| a == "--bench") {
        println!("guide bench: run it with `cargo bench --bench guide`");
        return;
    }
    let bins = binary_dir();
    println!("binaries: {}", bins.display());
    let plugins = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        bins.join("check_mongo_rs"),
        plugins.path().join("check_mongo_rs"),
    )
    .unwrap();
    for name in ["check_state_file", "check_sleep"] {
        std::os::unix::fs::symlink(
            repo().join("tests/guides/bin").join(name),
            plugins.path().join(name),
        )
        .unwrap();
    }
    let guide_bin = bins.join("check_guide");
    let base = |jobs: Option<&str>, guide: &Path| {
        let mut args: Vec<String> = vec![
            "--guide".into(),
            guide.display().to_string(),
            "--plugin-dir".into(),
            plugins.path().display().to_string(),
            "--with".into(),
            "cac".into(),
            "-t".into(),
            "60".into(),
        ];
        if let Some(jobs) = jobs {
            args.push("--jobs".into());
            args.push(jobs.into());
        }
        args
    };
    let sre_em = repo().join("benches/guides/sre-em-recorded.toml");
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let results = measure(&guide_bin, &[base(Some("1"), &sre_em), base(None, &sre_em)]);
    let default = format!("default (--jobs {})", cpus * 2);
    table(
        "sre-em guide over recorded inputs, 7 entries",
        &["--jobs 1", &default],
        &results,
    );

    let dir = tempfile::tempdir().unwrap();
    let fifty = dir.path().join("fifty.toml");
    let mut text = String::new();
    for i in 0..50 {
        text.push_str(&format!(
            "[[check]]\nid = \"e{i}\"\ntitle = \"E{i}\"\ncommand = [\"check_sleep\", \"e{i}\", \"0.1\"]\n\n"
        ));
    }
    std::fs::write(&fifty, text).unwrap();
    let results = measure(
        &guide_bin,
        &[base(Some("1"), &fifty), base(Some("4"), &fifty)],
    );
    table(
        "50 entries sleeping 0.1 s each",
        &["--jobs 1", "--jobs 4"],
        &results,
    );
}
