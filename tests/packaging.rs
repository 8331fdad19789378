//! The .deb (cargo-deb) and .rpm (cargo-generate-rpm) made from Cargo.toml's
//! metadata and the release binaries `packaging/build-packages.sh` builds for
//! glibc 2.17 (cargo zigbuild): every plugin in bin/ (data-driven, so a plugin
//! added later is covered) needs no symbol above GLIBC_2.17 and no library
//! beyond glibc's; it lands in the distribution's plugin directory with its man
//! page; lintian and rpmlint find nothing that is not overridden with a reason;
//! the .deb installs with dpkg, runs, serves NRPE and purges without leaving a
//! file; and it installs and runs in a Debian 11 (bullseye, glibc 2.31) chroot.
//!
//! The release binaries are built once per test binary (`--binaries-only`;
//! cargo finds them fresh on later runs, ~5 min from scratch on 2 cores), and
//! every test here packages those same files. Skipped with a note when a tool
//! is missing outside CI (a failure in CI, which installs them), and the parts
//! that install when not root or when a package named opscheck is installed
//! on this machine already.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};
use support::*;

/// The target the release binaries are built for (cargo zigbuild, glibc 2.17).
const TARGET: &str = "x86_64-unknown-linux-gnu";
/// Where they land; the packaging tools map the asset lists' target/release/
/// here when given --target.
const RELEASE_DIR: &str = "target/x86_64-unknown-linux-gnu/release";
/// The oldest glibc the packages support: RHEL/CentOS 7's.
const GLIBC_MAX: (u32, u32) = (2, 17);
/// The only shared libraries a plugin may need: glibc's own.
const ALLOWED_LIBS: &[&str] = &[
    "libc.so.6",
    "libm.so.6",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    "ld-linux-x86-64.so.2",
];

fn ready(tool: &str) -> bool {
    if have(tool) {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{tool} is missing in CI (installed by .ci/run)");
    }
    eprintln!("note: {tool} not installed (see .ci/run): skipped");
    false
}

fn zig_ready() -> bool {
    let module = Command::new("python3")
        .args(["-m", "ziglang", "version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if module || have("zig") {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("Zig is missing in CI (ziglang, .ci/pip-packages)");
    }
    eprintln!("note: Zig not installed (python3 -m pip install ziglang): skipped");
    false
}

/// The release binaries and gzipped man pages, built once per test binary.
fn release() -> Option<PathBuf> {
    static BUILT: OnceLock<Option<PathBuf>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            if !ready("cargo-zigbuild") || !zig_ready() {
                return None;
            }
            let started = Instant::now();
            run_ok(
                Command::new(repo().join("packaging/build-packages.sh"))
                    .arg("--binaries-only")
                    .current_dir(repo()),
            );
            eprintln!(
                "release binaries (cargo zigbuild) ready in {:?}",
                started.elapsed()
            );
            Some(repo().join(RELEASE_DIR))
        })
        .clone()
}

/// Files (not directories) the package must hold, for plugin directory `plugins`.
fn expected_files(plugins: &str, man_suffix: &str, extra: &[&str]) -> BTreeSet<String> {
    let mut files = BTreeSet::new();
    for p in all_plugins() {
        files.insert(format!("{plugins}/{p}"));
        files.insert(format!("/usr/share/man/man1/{p}.1{man_suffix}"));
    }
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

fn size(path: &Path) -> String {
    let bytes = std::fs::metadata(path).unwrap().len();
    format!("{:.1} MiB ({bytes} bytes)", bytes as f64 / 1048576.0)
}

fn build_deb(out: &Path) -> PathBuf {
    let started = Instant::now();
    run_ok(
        Command::new("cargo")
            .args([
                "deb",
                "--no-build",
                "--target",
                TARGET,
                "--fast",
                "-q",
                "-o",
            ])
            .arg(out)
            .current_dir(repo()),
    );
    let deb = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "deb"))
        .expect("a .deb");
    eprintln!("cargo deb took {:?}: {}", started.elapsed(), size(&deb));
    deb
}

fn build_rpm(out: &Path) -> PathBuf {
    // The name rpm would give it (rpmlint checks).
    let rpm = out.join(format!(
        "opscheck-{}-1.x86_64.rpm",
        env!("CARGO_PKG_VERSION")
    ));
    let started = Instant::now();
    run_ok(
        Command::new("cargo")
            // As packaging/build-packages.sh: EL7's rpm reads no zstd payload.
            .args([
                "generate-rpm",
                "--target",
                TARGET,
                "--payload-compress",
                "gzip",
                "-o",
            ])
            .arg(&rpm)
            .current_dir(repo()),
    );
    eprintln!(
        "cargo generate-rpm took {:?}: {}",
        started.elapsed(),
        size(&rpm)
    );
    rpm
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

/// The release profile the packages are built with.
#[test]
fn release_profile_strips_the_plugins_and_checks_overflow() {
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let release = manifest
        .split("\n[profile.release]\n")
        .nth(1)
        .expect("[profile.release] in Cargo.toml");
    let section = release.split("\n[").next().unwrap();
    for line in [
        "strip = true",
        "lto = \"fat\"",
        "panic = \"abort\"",
        "overflow-checks = true",
    ] {
        assert!(
            section.lines().any(|l| l.trim() == line),
            "[profile.release] must have {line}:\n{section}"
        );
    }
}

/// `(2, 17)` from `GLIBC_2.17`, `(2, 3)` from `GLIBC_2.3.4`'s major.minor.
fn glibc_version(tag: &str) -> Option<(u32, u32)> {
    let rest = tag.strip_prefix("GLIBC_")?;
    let mut parts = rest.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().unwrap_or("0").parse().ok()?;
    Some((major, minor))
}

#[test]
fn release_binaries_need_glibc_2_17_and_glibc_libraries_only() {
    let Some(dir) = release() else { return };
    if !ready("objdump") {
        return;
    }
    let mut highest = (0, 0);
    for plugin in all_plugins() {
        let path = dir.join(&plugin);
        assert!(path.exists(), "{} not built", path.display());
        assert!(stripped(&path), "{plugin} is not stripped");
        // Dynamic symbols with their version: `... GLIBC_2.14  memcpy`.
        let symbols = text(&run_ok(Command::new("objdump").arg("-T").arg(&path)).stdout);
        let mut too_new = Vec::new();
        for line in symbols.lines() {
            for word in line.split_whitespace() {
                let word = word.trim_start_matches('(').trim_end_matches(')');
                if let Some(version) = glibc_version(word) {
                    highest = highest.max(version);
                    if version > GLIBC_MAX {
                        too_new.push(line.trim().to_string());
                    }
                }
            }
        }
        assert!(
            too_new.is_empty(),
            "{plugin} needs symbols newer than GLIBC_2.17:\n{}",
            too_new.join("\n")
        );
        assert!(
            symbols.contains("GLIBC_"),
            "{plugin}: no versioned glibc symbol found (not dynamically linked?):\n{symbols}"
        );
        let headers = text(&run_ok(Command::new("objdump").arg("-p").arg(&path)).stdout);
        let needed: Vec<&str> = headers
            .lines()
            .filter_map(|l| l.trim().strip_prefix("NEEDED"))
            .map(str::trim)
            .collect();
        assert!(!needed.is_empty(), "{plugin}: no NEEDED entries");
        for lib in &needed {
            assert!(
                ALLOWED_LIBS.contains(lib),
                "{plugin} needs {lib}; only glibc's libraries are allowed: {needed:?}"
            );
        }
        eprintln!("{plugin}: {needed:?}, {}", size(&path));
    }
    eprintln!(
        "highest glibc symbol version: GLIBC_{}.{}",
        highest.0, highest.1
    );
    assert!(highest <= GLIBC_MAX);
}

/// Output of a linter: the findings, one per line, with the ones to fail on.
fn lint(command: &mut Command) -> (String, Output) {
    let out = command.stdin(Stdio::null()).output().unwrap();
    let report = format!("{}{}", text(&out.stdout), text(&out.stderr));
    (report, out)
}

#[test]
fn rpm_lists_every_plugin_and_lints_clean() {
    if release().is_none() || !ready("cargo-generate-rpm") || !ready("rpm") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rpm = build_rpm(dir.path());
    let query = |what: &str| -> BTreeSet<String> {
        let out = run_ok(Command::new("rpm").args(["-qp", what]).arg(&rpm));
        text(&out.stdout).lines().map(str::to_string).collect()
    };
    let files = query("-l");
    assert_eq!(
        files,
        expected_files(
            "/usr/lib64/nagios/plugins",
            ".gz",
            &[
                "/etc/nagios/conf.d/opscheck.cfg",
                "/usr/share/licenses/opscheck/LICENSE",
                "/usr/share/doc/opscheck/changelog",
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
    // EL7's glibc is 2.17: no requirement on a newer symbol version.
    for r in &requires {
        if let Some(version) = r.split(['(', ')']).find_map(glibc_version) {
            assert!(version <= GLIBC_MAX, "{r}: EL7's glibc 2.17 lacks it");
        }
    }
    // EL7's rpm 4.11 knows these rpmlib features and no later ones (no zstd
    // payload, no rich dependencies): anything else and `rpm -i` fails there.
    let el7 = [
        "rpmlib(CompressedFileNames)",
        "rpmlib(FileDigests)",
        "rpmlib(PayloadFilesHavePrefix)",
        "rpmlib(PayloadIsXz)",
        "rpmlib(PayloadIsGzip)",
    ];
    for r in requires.iter().filter(|r| r.starts_with("rpmlib(")) {
        let name = r.split_whitespace().next().unwrap();
        assert!(
            el7.contains(&name),
            "{r}: EL7's rpm 4.11 cannot install this"
        );
    }
    let compressor = text(
        &run_ok(
            Command::new("rpm")
                .args(["-qp", "--qf", "%{PAYLOADCOMPRESSOR}"])
                .arg(&rpm),
        )
        .stdout,
    );
    assert_eq!(
        compressor, "gzip",
        "EL7's rpm 4.11 reads gzip or xz payloads"
    );
    let info = text(&run_ok(Command::new("rpm").args(["-qip"]).arg(&rpm)).stdout);
    assert!(info.contains("License     : MIT"), "{info}");
    // cargo-generate-rpm writes no %changelog: the changelog is a %doc file.
    assert!(
        query("--docfiles").contains("/usr/share/doc/opscheck/changelog"),
        "the changelog is %doc"
    );
    for plugin in all_plugins() {
        let page = format!("/usr/share/man/man1/{plugin}.1.gz");
        assert!(query("--docfiles").contains(&page), "{page} is not %doc");
    }

    if !ready("rpmlint") {
        return;
    }
    let (report, out) = lint(
        Command::new("rpmlint")
            .arg("-r")
            .arg(repo().join("packaging/rpm/opscheck.rpmlintrc"))
            .arg(&rpm),
    );
    eprintln!("rpmlint:\n{report}");
    assert!(out.status.success(), "rpmlint failed:\n{report}");
    assert!(
        report.contains(" 0 errors, 0 warnings"),
        "rpmlint: fix or filter each finding (with its reason) in packaging/rpm/opscheck.rpmlintrc:\n{report}"
    );
}

/// One dpkg install at a time in this test binary (both install the package).
fn dpkg_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Purges the package when the test ends, also on failure.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = dpkg(&["--purge", "opscheck"]);
    }
}

/// dpkg, waiting for the lock other installs on this machine may hold.
fn dpkg(args: &[&str]) -> Output {
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

fn opscheck_installed_already() -> bool {
    let installed = Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", "opscheck"])
        .output()
        .unwrap();
    text(&installed.stdout).contains("installed")
}

#[test]
fn deb_lints_clean_installs_runs_serves_nrpe_and_purges() {
    if release().is_none() || !ready("cargo-deb") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let deb = build_deb(dir.path());
    let files = deb_files(&deb);
    assert_eq!(
        files,
        expected_files(
            "/usr/lib/nagios/plugins",
            ".gz",
            &[
                "/etc/nagios-plugins/config/opscheck.cfg",
                "/usr/share/doc/opscheck/copyright",
                "/usr/share/doc/opscheck/changelog.Debian.gz",
                "/usr/share/lintian/overrides/opscheck",
            ],
        ),
        "dpkg-deb -c"
    );
    let control = text(&run_ok(Command::new("dpkg-deb").args(["-f"]).arg(&deb)).stdout);
    // What the glibc 2.17 build needs: installable on Debian 11 (2.31).
    assert!(
        control.contains("\nDepends: libc6 (>= 2.17)\n"),
        "{control}"
    );
    assert!(
        control.contains("Maintainer: opscheck maintainers <opscheck@opscheck.dev>"),
        "{control}"
    );
    assert!(
        control.contains("Recommends: monitoring-plugins-basic"),
        "{control}"
    );

    if ready("lintian") {
        // --fail-on warning: an unexplained warning fails like an error;
        // overridden tags (packaging/debian/lintian-overrides, shipped) do not.
        let (report, out) = lint(
            Command::new("lintian")
                .args([
                    "--fail-on",
                    "error,warning",
                    "--tag-display-limit",
                    "0",
                    "--display-level",
                    ">=warning",
                ])
                .arg(&deb),
        );
        eprintln!("lintian:\n{report}");
        assert!(
            out.status.success() && !report.lines().any(|l| l.starts_with("E: ") || l.starts_with("W: ")),
            "lintian: fix or override each finding (with its reason) in packaging/debian/lintian-overrides:\n{report}"
        );
    }

    if !is_root() {
        eprintln!("note: not root: dpkg -i skipped");
        return;
    }
    let _lock = dpkg_lock();
    if opscheck_installed_already() {
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
        if have("man") {
            let out = run_ok(
                Command::new("man")
                    .args(["1", &plugin])
                    .env("MANPAGER", "cat")
                    .env("MANWIDTH", "80"),
            );
            assert!(text(&out.stdout).contains("OPTIONS"), "man 1 {plugin}");
        }
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

    nrpe::serves_the_installed_plugins();

    let out = dpkg(&["--purge", "opscheck"]);
    assert!(out.status.success(), "dpkg --purge: {}", text(&out.stderr));
    std::mem::forget(guard);
    for file in &files {
        assert!(!Path::new(file).exists(), "{file} left after purge");
    }
    let doc = Path::new("/usr/share/doc/opscheck");
    assert!(!doc.exists(), "{} left after purge", doc.display());
}

/// A real NRPE daemon (Debian's nagios-nrpe-server, in the foreground, its own
/// config on a loopback port, no SSL) running the installed plugins, queried
/// with check_nrpe: exit code, line one and perfdata arrive as the plugin
/// printed them, and an output over NRPE's limit (65504 bytes arrive through
/// NRPE 4.1, measured here with `cat` of a bigger file) arrives with line one
/// whole because the plugin cut its long output first (src/output.rs,
/// OUTPUT_LIMIT, 64000 bytes).
mod nrpe {
    use super::*;

    const NRPE: &str = "/usr/sbin/nrpe";
    const CHECK_NRPE: &str = "/usr/lib/nagios/plugins/check_nrpe";
    const PLUGINS: &str = "/usr/lib/nagios/plugins";

    pub fn serves_the_installed_plugins() {
        if !ready(NRPE) || !ready(CHECK_NRPE) {
            return;
        }
        let account = account();
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path();
        copy_tree(&repo().join("examples"), &work.join("examples"));
        // A server list far longer than NRPE's limit: 3000 servers, none running.
        let mut list = String::from("# generated by tests/packaging.rs\n");
        for i in 0..3000 {
            list.push_str(&format!("opscheck-nrpe-missing-server-{i:05},bin,-p {i}\n"));
        }
        std::fs::write(work.join("many-servers.alive"), list).unwrap();
        // 80000 bytes of numbered lines: what NRPE itself lets through.
        let raw: String = (0..8000).map(|i| format!("{i:09}\n")).collect();
        std::fs::write(work.join("raw.txt"), &raw).unwrap();
        let ex = work.join("examples");
        let e = |p: &str| ex.join(p).display().to_string();
        let commands = [
            (
                "opscheck_ok",
                format!(
                    "{PLUGINS}/check_smith_stonith --dir {} --peer-dir {}",
                    e("smith-stonith/normal/primary"),
                    e("smith-stonith/normal/secondary")
                ),
                0,
            ),
            (
                "opscheck_warning",
                format!(
                    "{PLUGINS}/check_mongo_rs --input {}",
                    e("mongo-rs/lagging.canonical.json")
                ),
                1,
            ),
            (
                "opscheck_critical",
                format!(
                    "{PLUGINS}/check_iepm_servers --config {}",
                    e("iepm-config/servers.alive")
                ),
                2,
            ),
            (
                "opscheck_long",
                format!(
                    "{PLUGINS}/check_iepm_servers --config {}",
                    work.join("many-servers.alive").display()
                ),
                2,
            ),
        ];
        let raw_command = format!("/bin/cat {}", work.join("raw.txt").display());
        let port = free_port();
        let mut config = format!(
            "log_file={log}\ndebug=0\npid_file={pid}\nserver_port={port}\n\
             server_address=127.0.0.1\nallowed_hosts=127.0.0.1\ndont_blame_nrpe=0\n\
             allow_bash_command_substitution=0\ncommand_timeout=30\nconnection_timeout=60\n",
            log = work.join("nrpe.log").display(),
            pid = work.join("nrpe.pid").display(),
        );
        for (name, line, _) in &commands {
            config.push_str(&format!("command[{name}]={line}\n"));
        }
        config.push_str(&format!("command[opscheck_raw]={raw_command}\n"));
        std::fs::write(work.join("nrpe.cfg"), &config).unwrap();
        account.own(work);
        let log = work.join("server.log");
        let mut server = Server::start(
            "nrpe",
            account
                .command(NRPE)
                .arg("-c")
                .arg(work.join("nrpe.cfg"))
                .args(["-n", "-f"]),
            &log,
        );
        let addr = ["-H", "127.0.0.1", "-p", &port.to_string(), "-n", "-t", "60"];
        let version = poll("nrpe to answer", Duration::from_secs(30), || {
            server.assert_running(&log);
            let out = Command::new(CHECK_NRPE).args(addr).output().ok()?;
            out.status.success().then(|| text(&out.stdout))
        });
        assert!(version.starts_with("NRPE v4"), "{version}");

        // NRPE's own limit: the head of the output, cut mid-line.
        let out = Command::new(CHECK_NRPE)
            .args(addr)
            .args(["-c", "opscheck_raw"])
            .output()
            .unwrap();
        let arrived = out.stdout.len() - 1; // check_nrpe adds a newline
        eprintln!("NRPE carried {arrived} of {} bytes", raw.len());
        assert!(
            (64000..raw.len()).contains(&arrived),
            "NRPE carried {arrived} bytes: OUTPUT_LIMIT (64000) must stay below"
        );
        assert!(raw.starts_with(&text(&out.stdout[..arrived])));

        for (name, line, code) in &commands {
            let argv = shlex::split(line).unwrap();
            let direct = account.command(&argv[0]).args(&argv[1..]).output().unwrap();
            let direct_text = text(&direct.stdout);
            let out = Command::new(CHECK_NRPE)
                .args(addr)
                .args(["-c", name])
                .output()
                .unwrap();
            let got = text(&out.stdout);
            assert_eq!(
                direct.status.code(),
                Some(*code),
                "{name} run directly: {direct_text}"
            );
            assert_eq!(out.status.code(), Some(*code), "{name} over NRPE: {got}");
            let first = |s: &str| s.lines().next().unwrap_or_default().to_string();
            assert_eq!(
                first(&got),
                first(&direct_text),
                "{name}: line one over NRPE"
            );
            assert!(
                first(&got).contains(" | "),
                "{name}: perfdata on line one: {got}"
            );
            if *name == "opscheck_long" {
                assert!(
                    direct.stdout.len() <= 64000,
                    "the plugin keeps within its 64000 bytes: {} bytes",
                    direct.stdout.len()
                );
                assert!(
                    got.trim_end()
                        .ends_with("left out (output limit 64000 bytes)"),
                    "{name}: the plugin's own cut arrives: ...{}",
                    &got[got.len().saturating_sub(200)..]
                );
                eprintln!(
                    "NRPE long output: {} bytes, {} lines, line one {} bytes",
                    got.len(),
                    got.lines().count(),
                    first(&got).len()
                );
                // NRPE's old v2 packets carry 1023 bytes: NRPE cuts, line one
                // (under 1 KiB here) still whole.
                let v2 = Command::new(CHECK_NRPE)
                    .args(addr)
                    .args(["-2", "-c", name])
                    .output()
                    .unwrap();
                let v2_text = text(&v2.stdout);
                assert_eq!(v2.status.code(), Some(2), "{v2_text}");
                assert!(v2.stdout.len() <= 1024, "v2: {} bytes", v2.stdout.len());
                assert_eq!(first(&v2_text), first(&direct_text), "v2 line one");
            } else {
                assert_eq!(
                    got.trim_end(),
                    direct_text.trim_end(),
                    "{name}: whole output over NRPE"
                );
            }
        }
        server.assert_running(&log);
    }
}

/// A chroot of Debian 11 (bullseye, glibc 2.31) made with debootstrap in a
/// folder of the test's, removed after: the .deb installs there with dpkg and
/// its plugins run on the shipped examples with the same results as here.
#[test]
fn deb_installs_and_runs_on_debian_bullseye() {
    if release().is_none() || !ready("cargo-deb") || !ready("debootstrap") {
        return;
    }
    if !is_root() {
        eprintln!("note: not root: the bullseye chroot (debootstrap, chroot) skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let deb = build_deb(dir.path());
    // Not a TempDir: its drop would delete through a mount left behind;
    // Chroot's drop unmounts, checks, then removes.
    let folder = tempfile::Builder::new()
        .prefix("opscheck-bullseye-")
        .tempdir()
        .unwrap()
        .keep();
    let root = Chroot::bullseye(&folder.join("root"));
    let glibc = root.run(&["/usr/bin/ldd", "--version"]);
    let glibc = text(&glibc.stdout);
    assert!(
        glibc.lines().next().unwrap_or_default().ends_with(" 2.31"),
        "bullseye's glibc: {glibc}"
    );
    std::fs::copy(&deb, root.path.join("tmp/opscheck.deb")).unwrap();
    let out = root.run(&["/usr/bin/dpkg", "-i", "/tmp/opscheck.deb"]);
    assert!(
        out.status.success(),
        "dpkg -i in bullseye: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    copy_tree(
        &repo().join("examples"),
        &root.path.join("opscheck-examples"),
    );

    let mut ran = 0;
    for plugin in all_plugins() {
        let installed = format!("/usr/lib/nagios/plugins/{plugin}");
        for flag in ["--help", "--version"] {
            let out = root.run(&[&installed, flag]);
            assert_eq!(
                out.status.code(),
                Some(3),
                "{plugin} {flag} in bullseye: {}{}",
                text(&out.stdout),
                text(&out.stderr)
            );
            assert!(!out.stdout.is_empty(), "{plugin} {flag}: no output");
        }
        // Every recorded example of a plugin that reads --input: examples/
        // folders named after the plugin's first word (examples/mongo-rs/ for
        // check_mongo_rs), as the contributors' rules ask.
        let help = text(&root.run(&[&installed, "--help"]).stdout);
        if !help.contains("--input") {
            continue;
        }
        let stem = plugin.trim_start_matches("check_");
        let first_word = stem.split('_').next().unwrap();
        for folder in std::fs::read_dir(repo().join("examples")).unwrap() {
            let folder = folder.unwrap();
            let name = folder.file_name().to_string_lossy().into_owned();
            if !name.starts_with(first_word) || !folder.path().is_dir() {
                continue;
            }
            for file in std::fs::read_dir(folder.path()).unwrap() {
                let file = file.unwrap().path();
                let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
                if !file.is_file() || !["json", "txt"].contains(&ext) {
                    continue;
                }
                let file_name = file.file_name().unwrap().to_string_lossy().into_owned();
                let inside = format!("/opscheck-examples/{name}/{file_name}");
                // A fresh state directory per run: stateful plugins (rates)
                // start from a baseline in both places.
                let stateful = help.contains("--state-dir");
                let state_here = tempfile::tempdir().unwrap();
                let mut here = Command::new(repo().join(RELEASE_DIR).join(&plugin));
                here.arg("--input").arg(&file);
                if stateful {
                    here.arg("--state-dir").arg(state_here.path());
                }
                let here = here.stdin(Stdio::null()).output().unwrap();
                let state_there = format!("/tmp/opscheck-state-{plugin}-{file_name}");
                let mut argv = vec![installed.as_str(), "--input", &inside];
                if stateful {
                    argv.extend(["--state-dir", &state_there]);
                }
                let there = root.run(&argv);
                assert_eq!(
                    there.status.code(),
                    here.status.code(),
                    "{plugin} --input {inside} in bullseye: {}{}",
                    text(&there.stdout),
                    text(&there.stderr)
                );
                let (here, there) = (text(&here.stdout), text(&there.stdout));
                let line_one = |s: &str| s.lines().next().unwrap_or_default().to_string();
                assert_eq!(
                    line_one(&there),
                    line_one(&here),
                    "{plugin} --input {inside}"
                );
                assert!(
                    line_one(&there).contains(" - "),
                    "{plugin} --input {inside}: {there}"
                );
                ran += 1;
            }
        }
    }
    // check_smith_stonith reads flag folders, not --input: its three states.
    for (case, code, start) in [
        ("normal", 0, "SMITH_STONITH OK - "),
        ("failover", 1, "SMITH_STONITH WARNING - "),
        ("invalid", 2, "SMITH_STONITH CRITICAL - "),
    ] {
        let out = root.run(&[
            "/usr/lib/nagios/plugins/check_smith_stonith",
            "--dir",
            &format!("/opscheck-examples/smith-stonith/{case}/primary"),
            "--peer-dir",
            &format!("/opscheck-examples/smith-stonith/{case}/secondary"),
        ]);
        assert_eq!(out.status.code(), Some(code), "{}", text(&out.stdout));
        assert!(
            text(&out.stdout).starts_with(start),
            "{}",
            text(&out.stdout)
        );
        ran += 1;
    }
    eprintln!("bullseye: {ran} example runs matched this machine's");
    assert!(ran > 3, "only {ran} example runs");
}

/// A debootstrap'ed Debian in a folder, unmounted and removed when dropped.
struct Chroot {
    path: PathBuf,
}

impl Chroot {
    /// Makes the chroot at `path`, a new folder's only entry (the folder is
    /// removed with it).
    fn bullseye(path: &Path) -> Chroot {
        let started = Instant::now();
        let chroot = Chroot {
            path: path.to_path_buf(),
        };
        let out = Command::new("debootstrap")
            .args(["--variant=minbase", "bullseye"])
            .arg(path)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "debootstrap bullseye failed (is the Debian registry, deb.debian.org, reachable?): {}\n{}",
            text(&out.stderr),
            text(&out.stdout)
                .lines()
                .rev()
                .take(20)
                .collect::<Vec<_>>()
                .join("\n")
        );
        eprintln!("debootstrap bullseye took {:?}", started.elapsed());
        chroot
    }

    fn run(&self, argv: &[&str]) -> Output {
        Command::new("chroot")
            .arg(&self.path)
            .args(argv)
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .env("LANG", "C")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// Mount points at or below the chroot, deepest first.
    fn mounts(&self) -> Vec<String> {
        let root = self.path.display().to_string();
        let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let mut points: Vec<String> = info
            .lines()
            .filter_map(|l| l.split(' ').nth(4))
            .filter(|p| *p == root || p.starts_with(&format!("{root}/")))
            .map(str::to_string)
            .collect();
        points.sort_by_key(|p| std::cmp::Reverse(p.len()));
        points
    }
}

impl Drop for Chroot {
    fn drop(&mut self) {
        for point in self.mounts() {
            let _ = Command::new("umount").arg("-l").arg(&point).status();
        }
        let left = self.mounts();
        if !left.is_empty() {
            // Never delete through a mount (it could be the host's /dev).
            eprintln!(
                "note: {} still has mounts {left:?}: left in place",
                self.path.display()
            );
            return;
        }
        // The folder made for it, with the chroot in it.
        let folder = self.path.parent().unwrap_or(&self.path);
        if let Err(e) = std::fs::remove_dir_all(folder) {
            eprintln!("note: cannot remove {}: {e}", folder.display());
        }
    }
}
