//! The .deb (cargo-deb) and .rpm (cargo-generate-rpm) built from Cargo.toml's
//! metadata: every plugin in bin/ lands in the distribution's plugin directory,
//! stripped, with the definitions, README and licence and nothing else; the .deb
//! installs with dpkg, its plugins run, and it purges without leaving a file.
//!
//! To keep CI fast the packages are made from the binaries this `cargo test`
//! already built (`--no-build --profile dev`; cargo-deb strips them) instead of
//! another full build: what is tested is the package metadata, layout and
//! installation. `packaging/build-packages.sh` makes the real ones from the
//! release profile. Skipped with a note when the tools are missing (a failure
//! in CI, which installs them), when a plugin's feature is off (the packages
//! ship every plugin), and the dpkg part when not root or when a package named
//! opscheck is already installed on this machine.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use support::*;

fn ready(tool: &str) -> bool {
    if have(tool) {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{tool} is missing in CI (installed by .ci/run)");
    }
    eprintln!("note: {tool} not installed (cargo install --locked {tool}): skipped");
    false
}

fn all_built() -> bool {
    let missing: Vec<String> = all_plugins()
        .into_iter()
        .filter(|p| built(p).is_none())
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "note: {missing:?} not built (feature off): the packages ship every plugin, skipped"
        );
    }
    missing.is_empty()
}

/// Files (not directories) the package must hold, for plugin directory `plugins`.
fn expected_files(plugins: &str, extra: &[&str]) -> BTreeSet<String> {
    let mut files: BTreeSet<String> = all_plugins()
        .iter()
        .map(|p| format!("{plugins}/{p}"))
        .collect();
    files.insert("/usr/share/icinga2/include/plugins-contrib.d/opscheck.conf".into());
    files.insert("/usr/share/doc/opscheck/examples/icinga2/opscheck-hosts.conf".into());
    files.insert("/usr/share/doc/opscheck/README.md".into());
    // check_guide's guides, every file of packaging/guides/.
    for entry in std::fs::read_dir(repo().join("packaging/guides")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        files.insert(format!("/usr/share/opscheck/guides/{name}"));
    }
    files.extend(extra.iter().map(|s| s.to_string()));
    files
}

/// True when the ELF file has neither a symbol table nor debug sections.
fn stripped(path: &Path) -> bool {
    let bytes = std::fs::read(path).unwrap();
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    !has(b".symtab\0") && !has(b".debug_info\0")
}

fn build_deb(out: &Path) -> PathBuf {
    let started = Instant::now();
    run_ok(
        Command::new("cargo")
            .args([
                "deb",
                "--no-build",
                "--profile",
                "dev",
                "--fast",
                "-q",
                "-o",
            ])
            .arg(out)
            .current_dir(repo()),
    );
    eprintln!("cargo deb took {:?}", started.elapsed());
    std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "deb"))
        .expect("a .deb")
}

fn deb_files(deb: &Path) -> BTreeSet<String> {
    let out = run_ok(Command::new("dpkg-deb").arg("-c").arg(deb));
    text(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('d'))
        .filter_map(|l| l.split_whitespace().nth(5))
        .map(|p| p.trim_start_matches('.').to_string())
        .collect()
}

/// The packages take the release profile's binaries as they are: that profile
/// must strip them (cargo-generate-rpm does not strip; cargo-deb would).
#[test]
fn release_profile_strips_the_plugins() {
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let release = manifest
        .split("\n[profile.release]\n")
        .nth(1)
        .expect("[profile.release] in Cargo.toml");
    let section = release.split("\n[").next().unwrap();
    assert!(
        section.lines().any(|l| l.trim() == "strip = true"),
        "[profile.release] must have strip = true:\n{section}"
    );
}

#[test]
fn rpm_lists_every_plugin_and_the_definitions() {
    if !ready("cargo-generate-rpm") || !ready("rpm") || !all_built() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rpm = dir.path().join("opscheck.rpm");
    let started = Instant::now();
    run_ok(
        Command::new("cargo")
            .args([
                "generate-rpm",
                "--profile",
                "dev",
                "--payload-compress",
                "none",
                "-o",
            ])
            .arg(&rpm)
            .current_dir(repo()),
    );
    eprintln!("cargo generate-rpm took {:?}", started.elapsed());
    let query = |what: &str| -> BTreeSet<String> {
        let out = run_ok(Command::new("rpm").args(["-qp", what]).arg(&rpm));
        text(&out.stdout).lines().map(str::to_string).collect()
    };
    let files = query("-l");
    assert_eq!(
        files,
        expected_files(
            "/usr/lib64/nagios/plugins",
            &[
                "/etc/nagios/conf.d/opscheck.cfg",
                "/usr/share/licenses/opscheck/LICENSE"
            ],
        ),
        "rpm -qlp"
    );
    assert_eq!(
        query("--configfiles"),
        BTreeSet::from(["/etc/nagios/conf.d/opscheck.cfg".to_string()])
    );
    let requires = query("--requires");
    assert!(
        requires.iter().any(|r| r.starts_with("libc.so.6(")),
        "{requires:?}"
    );
    let info = text(&run_ok(Command::new("rpm").args(["-qip"]).arg(&rpm)).stdout);
    assert!(info.contains("License     : MIT"), "{info}");
}

/// Purges the package when the test ends, also on failure.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = dpkg(&["--purge", "opscheck"]);
    }
}

/// dpkg, waiting for the lock other installs on this machine may hold.
fn dpkg(args: &[&str]) -> std::process::Output {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let out = Command::new("dpkg")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output()
            .unwrap();
        let stderr = text(&out.stderr);
        if out.status.success() || !stderr.contains("lock") || Instant::now() > deadline {
            return out;
        }
        std::thread::sleep(Duration::from_secs(2));
    }
}

#[test]
fn deb_installs_runs_and_purges_cleanly() {
    if !ready("cargo-deb") || !all_built() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let deb = build_deb(dir.path());
    let files = deb_files(&deb);
    assert_eq!(
        files,
        expected_files(
            "/usr/lib/nagios/plugins",
            &[
                "/etc/nagios-plugins/config/opscheck.cfg",
                "/usr/share/doc/opscheck/copyright"
            ],
        ),
        "dpkg-deb -c"
    );
    let control = text(&run_ok(Command::new("dpkg-deb").args(["-f"]).arg(&deb)).stdout);
    assert!(control.contains("\nDepends: libc6"), "{control}");
    assert!(
        control.contains("Recommends: monitoring-plugins-basic"),
        "{control}"
    );

    if !is_root() {
        eprintln!("note: not root: dpkg -i skipped");
        return;
    }
    let installed = Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", "opscheck"])
        .output()
        .unwrap();
    if text(&installed.stdout).contains("installed") {
        eprintln!("note: a package named opscheck is installed here already: dpkg -i skipped");
        return;
    }
    let out = dpkg(&["-i", &deb.display().to_string()]);
    let guard = Installed;
    assert!(
        out.status.success(),
        "dpkg -i: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );

    // Every file is in place, the plugins stripped and runnable.
    for file in &files {
        assert!(Path::new(file).exists(), "{file} not installed");
    }
    for plugin in all_plugins() {
        let path = Path::new("/usr/lib/nagios/plugins").join(&plugin);
        assert!(stripped(&path), "{plugin} is not stripped");
        let out = Command::new(&path).arg("--version").output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{plugin} --version");
        assert!(text(&out.stdout).starts_with(&plugin), "{plugin} --version");
    }
    let examples = repo().join("examples/smith-stonith/normal");
    let out = Command::new("/usr/lib/nagios/plugins/check_smith_stonith")
        .arg("--dir")
        .arg(examples.join("primary"))
        .arg("--peer-dir")
        .arg(examples.join("secondary"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).starts_with("SMITH_STONITH OK - "),
        "{}",
        text(&out.stdout)
    );
    // check_guide finds the installed guides by name and the plugins beside itself.
    let out = Command::new("/usr/lib/nagios/plugins/check_guide")
        .args(["--guide", "seon", "--report", "json", "-t", "20"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("check_guide --guide seon: {e}: {}", text(&out.stdout)));
    assert_eq!(
        report["guide_file"], "/usr/share/opscheck/guides/seon.toml",
        "{report}"
    );
    assert_eq!(report["entries"][0]["status"], "ran", "{report}");
    // The conffile is registered as one.
    let conffiles = text(
        &run_ok(Command::new("dpkg-query").args(["-W", "-f=${Conffiles}", "opscheck"])).stdout,
    );
    assert!(
        conffiles.contains("/etc/nagios-plugins/config/opscheck.cfg"),
        "{conffiles}"
    );

    let out = dpkg(&["--purge", "opscheck"]);
    assert!(out.status.success(), "dpkg --purge: {}", text(&out.stderr));
    std::mem::forget(guard);
    for file in &files {
        assert!(!Path::new(file).exists(), "{file} left after purge");
    }
    let doc = Path::new("/usr/share/doc/opscheck");
    assert!(!doc.exists(), "{} left after purge", doc.display());
}
