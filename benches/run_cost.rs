//! The cost of one run of every plugin on its shipped example, beside
//! `/bin/true`: cpu per run (user + system, from wait4's rusage) and wall time,
//! medians of RUNS runs, and the peak RSS; each with its ratio to `/bin/true`'s.
//!
//! `cargo bench --bench run_cost` (release-like `bench` profile), or on the
//! shipped binaries: `OPSCHECK_BIN_DIR=target/x86_64-unknown-linux-gnu/release
//! cargo bench --bench run_cost` after `packaging/build-packages.sh --binaries-only`. A plugin that
//! reads a captured output runs on its first recorded example that it judges
//! (`examples/FIRSTWORD*/`, as the bad-input test finds it); the file and /proc
//! checks run on their example directories; the network plugins (which need a
//! live server) are left to their own benches and listed as such.

#[path = "support/cost.rs"]
mod cost;

use cost::{medians, ms, run_once};
use std::path::{Path, PathBuf};
use std::process::Command;

const RUNS: usize = 60;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The binary of `name`: in `OPSCHECK_BIN_DIR` when set (the shipped build,
/// `packaging/build-packages.sh --binaries-only` puts it in
/// target/x86_64-unknown-linux-gnu/release/), else the release-like one
/// `cargo bench` built.
fn binary(name: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os("OPSCHECK_BIN_DIR") {
        return PathBuf::from(dir).join(name);
    }
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/run_cost-… → target/<profile>/<name>
    exe.parent().unwrap().parent().unwrap().join(name)
}

/// `--help` mentions `--input`?
fn takes_input(path: &Path) -> (bool, bool) {
    let help = Command::new(path).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    (help.contains("--input"), help.contains("--state-dir"))
}

fn examples_of(name: &str) -> Vec<PathBuf> {
    let stem = name.trim_start_matches("check_");
    let first = stem.split('_').next().unwrap();
    let mut files = Vec::new();
    let mut stack: Vec<PathBuf> = std::fs::read_dir(repo().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && p.file_name().unwrap().to_string_lossy().starts_with(first))
        .collect();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if !matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("py" | "sh" | "md")
            ) {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// An accounting directory as the guide's §2.11 shows it, made now: the CDR
/// file in progress begun a moment ago (its name is its start, in local time:
/// the bench runs with TZ=UTC) and a closed one.
fn accounting_dir(state_dir: &Path) -> PathBuf {
    let dir = state_dir.join("accounting");
    std::fs::create_dir_all(&dir).unwrap();
    let stamp = |ago: u32| {
        let out = Command::new("date")
            .args([
                "-u",
                "-d",
                &format!("{ago} seconds ago"),
                "+%Y-%m-%dT%H:%M:%S",
            ])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    std::fs::write(
        dir.join(format!("cdr-{}.inprogress", stamp(60))),
        vec![b'x'; 4096],
    )
    .unwrap();
    std::fs::write(dir.join(format!("cdr-{}", stamp(960))), vec![b'x'; 4096]).unwrap();
    dir
}

/// The arguments that run `name` on a shipped example, or why it cannot.
fn example_args(name: &str, path: &Path, state_dir: &Path) -> Result<Vec<String>, &'static str> {
    let ex = |p: &str| repo().join("examples").join(p).display().to_string();
    let fixed: Option<Vec<String>> = match name {
        "check_smith_stonith" => Some(vec![
            "--dir".into(),
            ex("smith-stonith/normal/primary"),
            "--peer-dir".into(),
            ex("smith-stonith/normal/secondary"),
        ]),
        "check_iepm_keepalive" => Some(vec![
            "--dir".into(),
            ex("iepm-keepalives"),
            "-w".into(),
            "100000000".into(),
            "-c".into(),
            "100000000".into(),
        ]),
        "check_iepm_servers" => Some(vec!["--config".into(), ex("iepm-config/servers.alive")]),
        "check_iepm_hung" => Some(vec!["--config".into(), ex("iepm-config/cleanup-list")]),
        "check_seon_daemons" => Some(vec!["--pid-file".into(), ex("seon/recorded-pids")]),
        // The examples' own command lines (examples/*/README.md).
        "check_log_pattern" => Some(vec![
            "--state-dir".into(),
            state_dir.display().to_string(),
            "--from-start".into(),
            "--file".into(),
            ex("log-pattern/local.log"),
            "--critical-pattern".into(),
            "health is not OK".into(),
            "--warning-pattern".into(),
            "Exception".into(),
            "--continuation".into(),
            r"^\s+at |^Caused by:".into(),
        ]),
        "check_counter_reset" => Some(vec![
            "--state-dir".into(),
            state_dir.display().to_string(),
            "--instance".into(),
            "asr1".into(),
            "--bulkstats".into(),
            ex("staros/bulkstats-1930.csv"),
            "--schema".into(),
            "EMS,systemSch1,%date%,%time%,%sess-ttlarrived%,%sess-ttlconnected%,%sess-ttlrejected%,%sess-curttlact%".into(),
            "--schema".into(),
            "EMS,pgwSch1,%date%,%time%,%vpnname%,%servname%,%sessstat-pdn-ttlsetup%,%sessstat-pdn-ttlrelease%,%sess-curpdn%,%aaa-ttlacctreq%".into(),
            "--gauge".into(),
            "curttlact".into(),
            "--gauge".into(),
            "curpdn".into(),
        ]),
        "check_sre_counters" => Some(vec![
            "--file".into(),
            ex("sre/counters.csv"),
            "--warning-age".into(),
            "1000000000".into(),
            "--critical-age".into(),
            "1000000000".into(),
            "--per-host".into(),
            "-c".into(),
            "1:".into(),
        ]),
        "check_sre_accounting" => Some(vec![
            "--dir".into(),
            accounting_dir(state_dir).display().to_string(),
            "--input".into(),
            ex("sre/accounting-summary.txt"),
        ]),
        _ => None,
    };
    if let Some(args) = fixed {
        return Ok(args);
    }
    let (input, state) = takes_input(path);
    if !input {
        return Err("needs a live server: see its own bench");
    }
    for file in examples_of(name) {
        let mut args = vec!["--input".to_string(), file.display().to_string()];
        if state {
            args.extend(["--state-dir".to_string(), state_dir.display().to_string()]);
        }
        let mut argv = vec![path.display().to_string()];
        argv.extend(args.clone());
        if run_once(&argv).code != 3 {
            return Ok(args);
        }
    }
    Err("no recorded example it judges")
}

fn plugins() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo().join("bin"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.strip_suffix(".rs").map(str::to_string)
        })
        .collect();
    names.sort();
    names
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("run_cost bench: run it with `cargo bench --bench run_cost`");
        return;
    }
    // check_sre_accounting reads its CDR names' times as local time.
    std::env::set_var("TZ", "UTC");
    let state = tempfile::tempdir().unwrap();
    let truth = vec!["/bin/true".to_string()];
    let baseline = medians(&[&truth], RUNS).remove(0);
    println!("cost of one run, median of {RUNS} (cpu = user + system from wait4; RSS = peak)\n");
    println!(
        "{:<28} {:>9} {:>7} {:>9} {:>7} {:>9} {:>6}  answer",
        "plugin", "cpu ms", "×true", "wall ms", "×true", "RSS KiB", "×true"
    );
    println!(
        "{:<28} {:>9.3} {:>7} {:>9.3} {:>7} {:>9} {:>6}",
        "/bin/true",
        ms(baseline.cpu),
        "1.0",
        ms(baseline.wall),
        "1.0",
        baseline.rss_kb,
        "1.0"
    );
    let ratio = |a: f64, b: f64| {
        if b > 0.0 {
            format!("{:.1}", a / b)
        } else {
            "-".into()
        }
    };
    for name in plugins() {
        let path = binary(&name);
        if !path.exists() {
            println!("{name:<28} not built (feature off?)");
            continue;
        }
        let args = match example_args(&name, &path, state.path()) {
            Ok(args) => args,
            Err(why) => {
                println!("{name:<28} -- {why}");
                continue;
            }
        };
        let mut argv = vec![path.display().to_string()];
        argv.extend(args);
        let cost = medians(&[&argv], RUNS).remove(0);
        println!(
            "{:<28} {:>9.3} {:>7} {:>9.3} {:>7} {:>9} {:>6}  {}",
            name,
            ms(cost.cpu),
            ratio(ms(cost.cpu), ms(baseline.cpu)),
            ms(cost.wall),
            ratio(ms(cost.wall), ms(baseline.wall)),
            cost.rss_kb,
            ratio(cost.rss_kb as f64, baseline.rss_kb as f64),
            cost.line.chars().take(60).collect::<String>()
        );
    }
}
