//! check_asterisk_peers on the net.Console guide's 38 peers (`sip show peers
//! like SDO`), read through a stand-in `asterisk` (a shell script printing the
//! recording, as `asterisk -rx` would), against `/bin/true`: what the plugin
//! costs on top of starting a process. Runs alternate; medians are printed side
//! by side, with the stand-in run alone for the share of the script itself.
//!
//! `cargo bench --bench asterisk_peers --profile bench-fast` (or plain `cargo bench`).

use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 100;

fn median_runs(commands: &[&[String]]) -> Vec<(Duration, String)> {
    let mut times = vec![Vec::with_capacity(RUNS); commands.len()];
    let mut lines = vec![String::new(); commands.len()];
    for _ in 0..RUNS {
        for (i, argv) in commands.iter().enumerate() {
            let started = Instant::now();
            let out = Command::new(&argv[0]).args(&argv[1..]).output().unwrap();
            times[i].push(started.elapsed());
            lines[i] = String::from_utf8_lossy(&out.stdout)
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
        }
    }
    times
        .into_iter()
        .zip(lines)
        .map(|(mut t, line)| {
            t.sort();
            (t[RUNS / 2], line)
        })
        .collect()
}

fn main() {
    // `cargo test --all-targets` runs this too, without `--bench`: no timing there.
    if !std::env::args().any(|a| a == "--bench") {
        println!("asterisk_peers bench: run it with `cargo bench --bench asterisk_peers`");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let recording = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/asterisk/1.4/sip-show-peers-like-SDO.txt"
    );
    let stand_in = dir.path().join("asterisk");
    std::fs::write(&stand_in, format!("#!/bin/sh\nexec cat '{recording}'\n")).unwrap();
    std::fs::set_permissions(&stand_in, std::fs::Permissions::from_mode(0o755)).unwrap();
    let stand_in = stand_in.to_string_lossy().into_owned();

    let plugin: Vec<String> = vec![
        env!("CARGO_BIN_EXE_check_asterisk_peers").to_string(),
        "--asterisk".into(),
        stand_in.clone(),
        "--like".into(),
        "SDO".into(),
    ];
    let script: Vec<String> = vec![
        stand_in.clone(),
        "-rx".into(),
        "sip show peers like SDO".into(),
    ];
    let truth: Vec<String> = vec!["/bin/true".into()];
    for argv in [&plugin, &script, &truth] {
        Command::new(&argv[0]).args(&argv[1..]).output().unwrap();
    }
    let results = median_runs(&[&plugin, &script, &truth]);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("{RUNS} runs each, alternated, median wall time");
    println!(
        "check_asterisk_peers --like SDO (38 peers, via stand-in): {:>8.2} ms  {}",
        ms(results[0].0),
        results[0].1.split(" | ").next().unwrap_or("")
    );
    println!(
        "stand-in asterisk -rx alone (sh + cat):                   {:>8.2} ms",
        ms(results[1].0)
    );
    println!(
        "/bin/true:                                                {:>8.2} ms",
        ms(results[2].0)
    );
    println!(
        "plugin / true: {:.1}x; plugin minus stand-in: {:.2} ms",
        results[0].0.as_secs_f64() / results[2].0.as_secs_f64(),
        ms(results[0].0.saturating_sub(results[1].0))
    );
}
