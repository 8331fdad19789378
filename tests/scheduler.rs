//! The shipped definitions on the real schedulers: a real Icinga 2 master (in the
//! foreground, its own directories, loopback API, openssl-made certificates)
//! loads packaging/icinga2/opscheck-commands.conf and opscheck-hosts.conf and
//! runs the built plugins in OK, WARNING, CRITICAL and UNKNOWN cases; results,
//! exit statuses, outputs and Icinga's own parse of the perfdata come from the
//! REST API. A second Icinga 2 instance is an agent endpoint (own directories,
//! port and certificate signed by the master's CA) running `command_endpoint`
//! services whose results must reach the master. Nagios 4 runs the generated
//! `define command`s for an OK and a CRITICAL service (status.dat).
//!
//! Every built plugin also gets a smoke service through its generated
//! CheckCommand (data-driven over bin/). Servers run as an unprivileged user
//! (created when the tests run as root) from copies in a temporary directory.
//! Skipped with a note when icinga2/nagios4/openssl/curl are missing, except in
//! CI (CI set), where that is a failure.

mod support;

use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use support::*;

fn tools_present(tools: &[&str]) -> bool {
    let missing: Vec<&&str> = tools.iter().filter(|t| !have(t)).collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("missing in CI: {missing:?} (see .ci/apt-packages)");
    }
    eprintln!("note: {missing:?} not installed: scheduler test skipped");
    false
}

/// A work directory the server account owns, with the built plugins (and the
/// ITL's load/disk/http when installed) in `plugins/` and the examples in `inputs/`.
struct Work {
    dir: tempfile::TempDir,
    account: Account,
}

impl Work {
    /// With copies of `plugins` (built ones; all when `None`).
    fn new(plugins_wanted: Option<&[&str]>) -> Work {
        let dir = tempfile::Builder::new()
            .prefix("opscheck-sched-")
            .tempdir_in("/tmp")
            .unwrap();
        let work = Work {
            dir,
            account: account(),
        };
        let plugins = work.path("plugins");
        fs::create_dir_all(&plugins).unwrap();
        let wanted = |name: &str| plugins_wanted.is_none_or(|w| w.contains(&name));
        for (name, path) in built_plugins() {
            if wanted(&name) {
                fs::copy(&path, plugins.join(&name)).unwrap();
            }
        }
        for itl in ["check_load", "check_disk", "check_http", "check_dummy"] {
            let system = Path::new("/usr/lib/nagios/plugins").join(itl);
            if system.exists() {
                std::os::unix::fs::symlink(&system, plugins.join(itl)).unwrap();
            }
        }
        copy_tree(&repo().join("examples"), &work.path("inputs"));
        work
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn s(&self, rel: &str) -> String {
        self.path(rel).display().to_string()
    }

    fn give_to_account(&self) {
        // The temp dir itself is 0700 root: let the account in.
        self.account.own(self.dir.path());
    }
}

// ---------------------------------------------------------------- Icinga 2

fn openssl(dir: &Path, args: &[&str]) {
    run_ok(Command::new("openssl").args(args).current_dir(dir));
}

/// A CA and certificates for `nodes` (CN = node name), signed by the CA.
fn make_pki(dir: &Path, nodes: &[&str]) {
    fs::create_dir_all(dir).unwrap();
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "2",
            "-subj",
            "/CN=opscheck-test-ca",
        ],
    );
    for node in nodes {
        let (key, csr, crt) = (
            format!("{node}.key"),
            format!("{node}.csr"),
            format!("{node}.crt"),
        );
        openssl(
            dir,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                &key,
                "-out",
                &csr,
                "-subj",
                &format!("/CN={node}"),
            ],
        );
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &crt,
                "-days",
                "2",
            ],
        );
    }
}

struct Icinga {
    node: String,
    root: PathBuf,
    server: Option<Server>,
}

impl Icinga {
    /// Directories and certificates for `node` under `work/node`.
    fn prepare(work: &Work, node: &str) -> Icinga {
        let root = work.path(node);
        for sub in ["etc", "lib/certs", "log", "cache", "spool", "run"] {
            fs::create_dir_all(root.join(sub)).unwrap();
        }
        let pki = work.path("pki");
        for (from, to) in [
            (format!("{node}.crt"), format!("{node}.crt")),
            (format!("{node}.key"), format!("{node}.key")),
            ("ca.crt".to_string(), "ca.crt".to_string()),
        ] {
            fs::copy(pki.join(from), root.join("lib/certs").join(to)).unwrap();
        }
        for file in ["opscheck-commands.conf", "opscheck-hosts.conf"] {
            fs::copy(
                repo().join("packaging/icinga2").join(file),
                root.join("etc").join(file),
            )
            .unwrap();
        }
        Icinga {
            node: node.to_string(),
            root,
            server: None,
        }
    }

    fn defines(&self, account: &Account) -> Vec<String> {
        let r = |p: &str| self.root.join(p).display().to_string();
        vec![
            format!("-DConfigDir={}", r("etc")),
            format!("-DDataDir={}", r("lib")),
            format!("-DLogDir={}", r("log")),
            format!("-DCacheDir={}", r("cache")),
            format!("-DSpoolDir={}", r("spool")),
            format!("-DInitRunDir={}", r("run")),
            format!("-DStatePath={}", r("lib/icinga2.state")),
            format!("-DModAttrPath={}", r("lib/modified-attributes.conf")),
            format!("-DObjectsPath={}", r("cache/icinga2.debug")),
            format!("-DVarsPath={}", r("cache/icinga2.vars")),
            format!("-DPidPath={}", r("run/icinga2.pid")),
            format!("-DZonesDir={}", r("etc/zones.d")),
            format!("-DRunAsUser={}", account.user),
            format!("-DRunAsGroup={}", account.group),
        ]
    }

    fn config(&self) -> PathBuf {
        self.root.join("etc/icinga2.conf")
    }

    fn log(&self) -> PathBuf {
        self.root.join("log/foreground.log")
    }

    /// `icinga2 daemon -C`: the configuration validates.
    fn validate(&self, account: &Account) -> String {
        let out = account
            .command("icinga2")
            .args(["daemon", "-C", "-c"])
            .arg(self.config())
            .args(self.defines(account))
            .output()
            .unwrap();
        let all = text(&out.stdout) + &text(&out.stderr);
        assert!(out.status.success(), "{} config invalid:\n{all}", self.node);
        all
    }

    fn start(&mut self, account: &Account) {
        let mut command = account.command("icinga2");
        command
            .args(["daemon", "-c"])
            .arg(self.config())
            .args(self.defines(account));
        self.server = Some(Server::start(
            &format!("icinga2 {}", self.node),
            &mut command,
            &self.log(),
        ));
    }

    fn assert_running(&mut self) {
        let log = self.log();
        if let Some(server) = self.server.as_mut() {
            server.assert_running(&log);
        }
    }
}

const API_PASSWORD: &str = "opscheck-e2e";

/// A REST API call through curl, verifying the master's certificate against the CA.
fn api(
    work: &Work,
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<Value, String> {
    let mut command = Command::new("curl");
    command
        .args(["-sS", "--max-time", "30", "--cacert"])
        .arg(work.path("pki/ca.crt"))
        .args(["--resolve", &format!("master:{port}:127.0.0.1")])
        .args(["-u", &format!("root:{API_PASSWORD}")])
        .args(["-H", "Accept: application/json", "-X", method]);
    if let Some(body) = body {
        command.args(["-d", &body.to_string()]);
    }
    command.arg(format!("https://master:{port}{path}"));
    let out = command.output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("curl {path}: {}", text(&out.stderr)));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("{path}: {e}: {}", text(&out.stdout)))
}

fn reschedule_all(work: &Work, port: u16) {
    let answer = api(
        work,
        port,
        "POST",
        "/v1/actions/reschedule-check",
        Some(&json!({
            "type": "Service",
            // The hosts whose results are awaited; the others keep their interval.
            "filter": "host.name in [ \"e2e\", \"sop1\", \"sop2\", \"iepm1\" ]",
            "force": true
        })),
    );
    // Not answering yet is fine (polled again); a refused request is a bug.
    if let Ok(doc) = answer {
        assert!(doc.get("error").is_none(), "reschedule-check: {doc}");
    }
}

/// Service name ("host!service") → its attributes.
fn services(work: &Work, port: u16) -> Result<BTreeMap<String, Value>, String> {
    let doc = api(
        work,
        port,
        "GET",
        "/v1/objects/services?attrs=last_check_result&attrs=state&attrs=check_command",
        None,
    )?;
    Ok(doc["results"]
        .as_array()
        .ok_or("no results")?
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap_or("").to_string(),
                r["attrs"].clone(),
            )
        })
        .collect())
}

/// Icinga's own parse (PerfdataValue) of every service's perfdata.
fn parsed_perfdata(work: &Work, port: u16) -> Value {
    let script = "var r = {}; for (s in get_objects(Service)) { if (s.last_check_result) { \
                  r[s.__name] = s.last_check_result.performance_data.map(p => parse_performance_data(p)) } }; r";
    let doc = api(
        work,
        port,
        "POST",
        "/v1/console/execute-script",
        Some(&json!({"command": script, "session": "opscheck-e2e"})),
    )
    .unwrap();
    let result = &doc["results"][0];
    assert_eq!(
        result["code"], 200,
        "Icinga could not parse some perfdata: {doc}"
    );
    result["result"].clone()
}

/// Commands the host templates reference that no file defines on this branch
/// (plugins not in bin/ yet): defined here as Icinga's dummy check, so the
/// shipped templates still load. Empty once every plugin exists.
fn placeholders() -> (String, Vec<String>) {
    let hosts = fs::read_to_string(repo().join("packaging/icinga2/opscheck-hosts.conf")).unwrap();
    let commands =
        fs::read_to_string(repo().join("packaging/icinga2/opscheck-commands.conf")).unwrap();
    let itl: BTreeSet<&str> = ["load", "disk", "http", "hostalive", "dummy"].into();
    let mut missing = Vec::new();
    for line in hosts.lines() {
        let Some(rest) = line.trim().strip_prefix("check_command = \"") else {
            continue;
        };
        let name = rest.trim_end_matches('"');
        if !itl.contains(name)
            && !commands.contains(&format!("object CheckCommand \"{name}\" {{"))
            && !missing.contains(&name.to_string())
        {
            missing.push(name.to_string());
        }
    }
    let conf = missing
        .iter()
        .map(|n| {
            format!(
                "object CheckCommand \"{n}\" {{\n\timport \"dummy-check-command\"\n\tvars.dummy_state = 3\n\
                 \tvars.dummy_text = \"placeholder: check_{n} is not in bin/ on this branch\"\n}}\n"
            )
        })
        .collect();
    (conf, missing)
}

fn common_config(node: &str, port: u16, work: &Work) -> String {
    format!(
        r#"const PluginDir = "{plugins}"
const PluginContribDir = "{plugins}"
const ManubulonPluginDir = "{plugins}"
const NodeName = "{node}"
const ZoneName = "{node}"
include <itl>
include <plugins>
include <plugins-contrib>
include <manubulon>
include <windows-plugins>
include <nscp>
// What the package installs into plugins-contrib.d: loaded beside the stock
// includes of icinga2.conf, so a name clash with an ITL command fails here.
include "opscheck-commands.conf"
include "placeholders.conf"
object FileLogger "main-log" {{
	path = LogDir + "/icinga2.log"
	severity = "information"
}}
object CheckerComponent "checker" {{}}
object ApiListener "api" {{
	bind_host = "127.0.0.1"
	bind_port = {port}
	accept_commands = true
}}
"#,
        plugins = work.s("plugins"),
    )
}

/// A Graphite plaintext sink: Icinga's GraphiteWriter parses every perfdata
/// value (and logs "Ignoring invalid perfdata" when it cannot) and sends
/// `metric value timestamp` lines here.
fn graphite_sink() -> (u16, std::sync::Arc<std::sync::Mutex<String>>) {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let sink = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let sink = sink.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    sink.lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
    });
    (port, received)
}

/// Plugins whose generated CheckCommand has a required argument: a smoke run
/// with the defaults alone would be refused by Icinga before the plugin runs.
fn with_required_arguments() -> BTreeSet<String> {
    let commands =
        fs::read_to_string(repo().join("packaging/icinga2/opscheck-commands.conf")).unwrap();
    commands
        .split("object CheckCommand \"")
        .skip(1)
        .filter(|block| block.contains("\t\t\trequired = true\n"))
        .map(|block| format!("check_{}", block.split('"').next().unwrap()))
        .collect()
}

fn touch(path: &Path, seconds_ago: u64) {
    fs::write(path, b"").unwrap();
    let when = std::time::SystemTime::now() - Duration::from_secs(seconds_ago);
    let file = fs::File::options().write(true).open(path).unwrap();
    file.set_modified(when).unwrap();
}

const DAEMONS: [&str; 7] = [
    "bw-synchd",
    "load-datad",
    "load-scheduled",
    "owpingd",
    "pathchirpd",
    "pingd",
    "traced",
];

/// What the test expects of one service.
struct Expect {
    state: i64,
    output: &'static str,
    /// The endpoint that must have run the check.
    source: &'static str,
}

#[test]
fn icinga2_master_and_agent_run_the_shipped_definitions() {
    if !tools_present(&["icinga2", "openssl", "curl"]) {
        return;
    }
    let started = Instant::now();
    let work = Work::new(None);
    make_pki(&work.path("pki"), &["master", "agent"]);
    let (master_port, agent_port) = (free_port(), free_port());
    let mut master = Icinga::prepare(&work, "master");
    let mut agent = Icinga::prepare(&work, "agent");
    let (placeholder_conf, missing) = placeholders();
    if !missing.is_empty() {
        eprintln!("note: host templates reference commands of plugins not in bin/: {missing:?} (dummy placeholders)");
    }

    // Prepared inputs: keep-alive directories, fresh and with one stale daemon.
    for (dir, stale) in [
        ("keepalives-fresh", None),
        ("keepalives-stale", Some("pingd")),
    ] {
        fs::create_dir_all(work.path(dir)).unwrap();
        for daemon in DAEMONS {
            let age = if Some(daemon) == stale { 1000 } else { 5 };
            touch(&work.path(&format!("{dir}/{daemon}.alive")), age);
        }
    }

    let smith = |case: &str, side: &str| work.s(&format!("inputs/smith-stonith/{case}/{side}"));
    let (graphite_port, graphite) = graphite_sink();
    let mut config = common_config("master", master_port, &work);
    config.push_str(&format!(
        r#"object ApiUser "root" {{
	password = "{API_PASSWORD}"
	permissions = [ "*" ]
}}
object Endpoint "master" {{}}
object Zone "master" {{ endpoints = [ "master" ] }}
object Endpoint "agent" {{
	host = "127.0.0.1"
	port = {agent_port}
}}
object Zone "agent" {{
	endpoints = [ "agent" ]
	parent = "master"
}}
object GraphiteWriter "graphite" {{
	host = "127.0.0.1"
	port = {graphite_port}
}}
"#
    ));
    fs::write(master.config(), &config).unwrap();
    // Hosts and services live in the master's zone (zones.d/master), as they
    // must for command_endpoint; so do the shipped host templates.
    let mut config = String::from(
        r#"template Service "e2e" {
	max_check_attempts = 1
	check_interval = 5s
	retry_interval = 5s
}

object Host "e2e" {
	check_command = "dummy"
}
"#,
    );
    let cases = [
        ("ok", "normal", "primary", "primary"),
        ("warning", "failover", "primary", "primary"),
        ("critical", "invalid", "primary", "primary"),
    ];
    for (service, case, role, _) in cases {
        config.push_str(&format!(
            "object Service \"{service}\" {{\n\timport \"e2e\"\n\thost_name = \"e2e\"\n\tcheck_command = \"smith_stonith\"\n\
             \tvars.smith_stonith_dir = \"{}\"\n\tvars.smith_stonith_peer_dir = \"{}\"\n\tvars.smith_stonith_role = \"{role}\"\n}}\n",
            smith(case, "primary"),
            smith(case, "secondary"),
        ));
    }
    config.push_str(&format!(
        "object Service \"unknown\" {{\n\timport \"e2e\"\n\thost_name = \"e2e\"\n\tcheck_command = \"smith_stonith\"\n\
         \tvars.smith_stonith_dir = \"{}\"\n}}\n",
        work.s("inputs/no-such-dir")
    ));
    // Every built plugin through its generated CheckCommand, with its defaults.
    let required = with_required_arguments();
    let smoke_plugins: Vec<String> = built_plugins()
        .into_iter()
        .map(|(n, _)| n)
        .filter(|n| {
            let skip = required.contains(n);
            if skip {
                eprintln!("note: {n} has required options: no smoke service with defaults");
            }
            !skip
        })
        .collect();
    for name in &smoke_plugins {
        let command = name.strip_prefix("check_").unwrap();
        config.push_str(&format!(
            "object Service \"smoke-{command}\" {{\n\timport \"e2e\"\n\thost_name = \"e2e\"\n\tcheck_command = \"{command}\"\n\
             \tvars.{command}_timeout = \"5\"\n}}\n"
        ));
    }
    // The shipped host templates: a primary SOP (checked here) and an IEPM host
    // whose services run on its agent, plus a stale keep-alive case on the agent.
    config.push_str(&format!(
        r#"object Host "sop1" {{
	import "opscheck-netconsole-sop-primary"
	check_command = "dummy"
	address = "127.0.0.1"
	vars.smith_stonith_dir = "{sop_primary}"
	vars.smith_stonith_peer_dir = "{sop_secondary}"
	vars.mshell_bundles_input = "{inputs}/mshell/ps-healthy.txt"
	vars.mshell_bundles_bundles = 47
	vars.netconsole_sessions_input = "{inputs}/netconsole/ncctl-primary.txt"
	vars.netconsole_sessions_peer_input = "{inputs}/netconsole/ncctl-secondary-missing.txt"
	vars.asterisk_peers_input = "{sop_peers}"
}}
object Host "sop2" {{
	import "opscheck-netconsole-sop-secondary"
	check_command = "dummy"
	address = "127.0.0.1"
	vars.smith_stonith_dir = "{sop2_own}"
	vars.smith_stonith_peer_dir = "{sop2_peer}"
	vars.mshell_bundles_input = "{inputs}/mshell/ps-bundles-down.txt"
	vars.netconsole_sessions_input = "{inputs}/netconsole/ncctl-secondary.txt"
	vars.netconsole_sessions_peer_input = "{inputs}/netconsole/ncctl-primary.txt"
}}
object Host "sre-em1" {{
	import "opscheck-sre-em"
	check_command = "dummy"
	address = "127.0.0.1"
	vars.sre_master_em = true
	vars.sre_cac = true
}}
object Host "sre-cp1" {{
	import "opscheck-sre-cp"
	check_command = "dummy"
	address = "127.0.0.1"
}}
object Host "seon1" {{
	import "opscheck-seon"
	check_command = "dummy"
	address = "127.0.0.1"
}}
object Host "iepm1" {{
	import "opscheck-iepm"
	check_command = "dummy"
	address = "127.0.0.1"
	vars.agent_endpoint = "agent"
	vars.iepm_keepalive_dir = "{fresh}"
}}
object Service "keepalive-stale" {{
	import "e2e"
	host_name = "iepm1"
	check_command = "iepm_keepalive"
	command_endpoint = "agent"
	vars.iepm_keepalive_dir = "{stale}"
}}
"#,
        sop_primary = smith("failover", "primary"),
        // The guide's 38 phones, read with the template's --like SDO.
        sop_peers = work.s("inputs/asterisk/1.4/sip-show-peers-like-SDO.txt"),
        sop_secondary = smith("failover", "secondary"),
        // On the secondary SOP, its own flags are the secondary's: read as a
        // primary (the CheckCommand's default role) this would be WARNING.
        sop2_own = smith("invalid", "secondary"),
        sop2_peer = smith("invalid", "primary"),
        fresh = work.s("keepalives-fresh"),
        stale = work.s("keepalives-stale"),
        inputs = work.s("inputs"),
    ));
    let zone = master.root.join("etc/zones.d/master");
    fs::create_dir_all(&zone).unwrap();
    fs::write(zone.join("e2e.conf"), &config).unwrap();
    fs::rename(
        master.root.join("etc/opscheck-hosts.conf"),
        zone.join("opscheck-hosts.conf"),
    )
    .unwrap();
    fs::write(master.root.join("etc/placeholders.conf"), &placeholder_conf).unwrap();

    let mut agent_config = common_config("agent", agent_port, &work);
    agent_config.push_str(
        r#"object Endpoint "master" {}
object Zone "master" { endpoints = [ "master" ] }
object Endpoint "agent" {}
object Zone "agent" {
	endpoints = [ "agent" ]
	parent = "master"
}
"#,
    );
    fs::write(agent.config(), &agent_config).unwrap();
    fs::write(agent.root.join("etc/placeholders.conf"), &placeholder_conf).unwrap();
    work.give_to_account();

    let validation = master.validate(&work.account);
    agent.validate(&work.account);
    assert!(
        !validation.contains("warning/config"),
        "config warnings:\n{validation}"
    );
    agent.start(&work.account);
    // The master connects to the agent: have it listening first, so the first
    // attempt succeeds instead of waiting for Icinga's reconnect timer.
    poll("the agent's API port", Duration::from_secs(90), || {
        agent.assert_running();
        std::net::TcpStream::connect(("127.0.0.1", agent_port)).ok()
    });
    master.start(&work.account);

    // The API answers once the master is up.
    poll("the master's API", Duration::from_secs(90), || {
        master.assert_running();
        services(&work, master_port).ok()
    });

    let mut expected: BTreeMap<String, Expect> = BTreeMap::new();
    let e = |state, output, source| Expect {
        state,
        output,
        source,
    };
    expected.insert("e2e!ok".into(), e(0, "SMITH_STONITH OK - ", "master"));
    expected.insert(
        "e2e!warning".into(),
        e(1, "SMITH_STONITH WARNING - failover mode", "master"),
    );
    expected.insert(
        "e2e!critical".into(),
        e(2, "SMITH_STONITH CRITICAL - invalid", "master"),
    );
    expected.insert(
        "e2e!unknown".into(),
        e(3, "SMITH_STONITH UNKNOWN - ", "master"),
    );
    expected.insert(
        "sop1!smith-stonith".into(),
        e(1, "SMITH_STONITH WARNING - failover mode", "master"),
    );
    // The secondary template's role overrides the CheckCommand's default.
    expected.insert(
        "sop2!smith-stonith".into(),
        e(2, "SMITH_STONITH CRITICAL - invalid", "master"),
    );
    expected.insert(
        "sop1!mshell-bundles".into(),
        e(0, "MSHELL_BUNDLES OK - all 47 bundles Active", "master"),
    );
    expected.insert(
        "sop2!mshell-bundles".into(),
        e(2, "MSHELL_BUNDLES CRITICAL - 2 of 47 not Active", "master"),
    );
    expected.insert(
        "sop1!netconsole-sessions".into(),
        e(
            2,
            "NETCONSOLE_SESSIONS CRITICAL - netconsole4 missing on the secondary",
            "master",
        ),
    );
    // Read with the primary's (default) role, the secondary's own list would be
    // "passive on the primary": OK only with the secondary template's role.
    expected.insert(
        "sop2!netconsole-sessions".into(),
        e(
            0,
            "NETCONSOLE_SESSIONS OK - 2 sessions on both SOPs",
            "master",
        ),
    );
    expected.insert(
        "sop1!asterisk-phones".into(),
        e(
            0,
            "ASTERISK_PEERS OK - 38 peers like 'SDO': 30 online",
            "master",
        ),
    );
    expected.insert(
        "iepm1!iepm-keepalive".into(),
        e(0, "IEPM_KEEPALIVE OK - ", "agent"),
    );
    expected.insert(
        "iepm1!keepalive-stale".into(),
        e(1, "IEPM_KEEPALIVE WARNING - pingd", "agent"),
    );
    if Path::new("/usr/lib/nagios/plugins/check_load").exists() {
        expected.insert("iepm1!load".into(), e(-1, "LOAD ", "agent"));
    }
    let smoke: Vec<String> = smoke_plugins
        .iter()
        .map(|n| format!("e2e!smoke-{}", n.strip_prefix("check_").unwrap()))
        .collect();

    let mut last_reschedule = Instant::now() - Duration::from_secs(60);
    let mut last_pending: Vec<String> = Vec::new();
    let results = poll("every expected result", Duration::from_secs(240), || {
        master.assert_running();
        agent.assert_running();
        if last_reschedule.elapsed() > Duration::from_secs(5) {
            reschedule_all(&work, master_port);
            last_reschedule = Instant::now();
        }
        let all = services(&work, master_port).ok()?;
        let pending: Vec<String> = expected
            .iter()
            .filter(|(name, want)| {
                !all.get(*name).is_some_and(|attrs| {
                    let result = &attrs["last_check_result"];
                    result["check_source"] == want.source
                        && (want.state < 0 || result["exit_status"] == want.state)
                })
            })
            .map(|(name, _)| {
                format!(
                    "{name}: {}",
                    all.get(name)
                        .map(|a| a["last_check_result"]["output"].to_string())
                        .unwrap_or_default()
                )
            })
            .collect();
        if pending != last_pending {
            // Shown when the test fails: what was still awaited, and why.
            eprintln!("{:?} awaiting {pending:#?}", started.elapsed());
            last_pending = pending.clone();
        }
        let done = pending.is_empty()
            && smoke.iter().all(|name| {
                all.get(name)
                    .is_some_and(|a| !a["last_check_result"].is_null())
            });
        done.then_some(all)
    });

    // Each platform template attached its guide's probe list, with the right commands.
    let platforms: [(&str, &[(&str, &str)]); 6] = [
        (
            "sre-em1",
            &[
                ("load", "load"),
                ("disk", "disk"),
                ("http", "http"),
                ("pg-repl", "pg_repl"),
                ("cac-mongodb", "mongo_rs"),
                ("sip-agents", "sip_options"),
                ("sre-service", "systemd_unit"),
                ("postgresql-service", "systemd_unit"),
                ("mongod-service", "systemd_unit"),
                ("influxdb-service", "systemd_unit"),
                ("sre-status", "sre_status"),
                ("sre-counters", "sre_counters"),
                ("sre-accounting", "sre_accounting"),
            ],
        ),
        (
            "sre-cp1",
            &[
                ("load", "load"),
                ("disk", "disk"),
                ("pg-repl", "pg_repl"),
                ("cac-mongodb", "mongo_rs"),
                ("kamailio-stats", "kamailio_stats"),
                ("sre-service", "systemd_unit"),
                ("postgresql-service", "systemd_unit"),
                ("mongod-service", "systemd_unit"),
            ],
        ),
        (
            "sop1",
            &[
                ("load", "load"),
                ("disk", "disk"),
                ("http", "http"),
                ("smith-stonith", "smith_stonith"),
                ("mshell-bundles", "mshell_bundles"),
                ("netconsole-sessions", "netconsole_sessions"),
                ("asterisk-channels", "asterisk_channels"),
                ("asterisk-phones", "asterisk_peers"),
                ("netconsole-probe", "asterisk_peers"),
                ("asterisk-queues", "asterisk_queues"),
                ("mserver-log", "log_pattern"),
                ("cdr-api", "cdr_api"),
                ("mysql-connections", "mysql_connections"),
            ],
        ),
        (
            "sop2",
            &[
                ("load", "load"),
                ("disk", "disk"),
                ("http", "http"),
                ("smith-stonith", "smith_stonith"),
                ("mshell-bundles", "mshell_bundles"),
                ("netconsole-sessions", "netconsole_sessions"),
                ("asterisk-channels", "asterisk_channels"),
                ("asterisk-phones", "asterisk_peers"),
                ("netconsole-probe", "asterisk_peers"),
                ("asterisk-queues", "asterisk_queues"),
                ("mserver-log", "log_pattern"),
                ("cdr-api", "cdr_api"),
                ("mysql-connections", "mysql_connections"),
            ],
        ),
        (
            "seon1",
            &[
                ("load", "load"),
                ("disk", "disk"),
                ("seon-daemons", "seon_daemons"),
            ],
        ),
        (
            "iepm1",
            &[
                ("load", "load"),
                ("disk", "disk"),
                ("iepm-keepalive", "iepm_keepalive"),
                ("iepm-servers", "iepm_servers"),
                ("iepm-hung", "iepm_hung"),
                ("iepm-schedule", "iepm_schedule"),
                ("keepalive-stale", "iepm_keepalive"),
            ],
        ),
    ];
    for (host, want) in platforms {
        let got: BTreeSet<(String, String)> = results
            .iter()
            .filter_map(|(name, attrs)| {
                let (h, service) = name.split_once('!')?;
                (h == host).then(|| {
                    (
                        service.to_string(),
                        attrs["check_command"].as_str().unwrap_or("").to_string(),
                    )
                })
            })
            .collect();
        let want: BTreeSet<(String, String)> = want
            .iter()
            .map(|(s, c)| (s.to_string(), c.to_string()))
            .collect();
        assert_eq!(got, want, "services of {host}");
    }

    for (name, want) in &expected {
        let attrs = &results[name];
        let result = &attrs["last_check_result"];
        let output = result["output"].as_str().unwrap_or("");
        assert!(output.starts_with(want.output), "{name}: {output:?}");
        if want.state >= 0 {
            assert_eq!(attrs["state"], want.state as f64, "{name}: state");
        }
        assert_eq!(result["check_source"], want.source, "{name}");
    }
    // Every built plugin ran through its generated CheckCommand: its own
    // status line, a plugin exit status, and a state that agrees with it.
    for name in &smoke {
        let result = &results[name]["last_check_result"];
        let output = result["output"].as_str().unwrap_or("");
        let status = result["exit_status"].as_i64().unwrap();
        let state_word = ["OK", "WARNING", "CRITICAL", "UNKNOWN"][status.clamp(0, 3) as usize];
        let first = output.lines().next().unwrap_or("");
        assert!(
            (0..=3).contains(&status) && first.contains(&format!(" {state_word} - ")),
            "{name}: exit {status}, output {output:?}"
        );
    }

    // Icinga's own parse of the perfdata: every value of every service parses,
    // and the OK case carries the four flags with their bounds.
    let parsed = parsed_perfdata(&work, master_port);
    let ok = parsed["e2e!ok"].as_array().expect("perfdata of e2e!ok");
    let labels: Vec<&str> = ok.iter().map(|p| p["label"].as_str().unwrap()).collect();
    assert_eq!(
        labels,
        [
            "primary_smith",
            "primary_stonith",
            "secondary_smith",
            "secondary_stonith"
        ]
    );
    for p in ok {
        assert_eq!(
            (p["value"].as_f64(), p["min"].as_f64(), p["max"].as_f64()),
            (Some(0.0), Some(0.0), Some(1.0)),
            "{p}"
        );
    }
    let stale = parsed["iepm1!keepalive-stale"].as_array().unwrap();
    let pingd = stale
        .iter()
        .find(|p| p["label"] == "pingd_age")
        .expect("pingd_age");
    // Icinga normalises the UOM `s` to its unit name.
    assert_eq!(pingd["unit"], "seconds");
    assert_eq!(
        (pingd["warn"].as_f64(), pingd["crit"].as_f64()),
        (Some(900.0), Some(1800.0))
    );
    assert!(pingd["value"].as_f64().unwrap() >= 1000.0, "{pingd}");

    // The GraphiteWriter parsed the perfdata and exported the metrics.
    let metric = "icinga2.e2e.services.critical.smith_stonith.perfdata.secondary_stonith.value 1 ";
    poll(
        "the metrics at the Graphite sink",
        Duration::from_secs(60),
        || graphite.lock().unwrap().contains(metric).then_some(()),
    );

    let log = fs::read_to_string(master.root.join("log/icinga2.log")).unwrap_or_default()
        + &fs::read_to_string(master.log()).unwrap_or_default();
    let perfdata_warnings: Vec<&str> = log
        .lines()
        .filter(|l| {
            l.to_lowercase().contains("perfdata")
                && (l.contains("warning/") || l.contains("critical/"))
        })
        .collect();
    assert!(perfdata_warnings.is_empty(), "{perfdata_warnings:#?}");
    eprintln!("icinga2 master + agent test took {:?}", started.elapsed());
}

// ---------------------------------------------------------------- Nagios 4

/// `servicestatus` blocks of status.dat: service description → fields.
fn status_dat(path: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let text = fs::read_to_string(path).unwrap_or_default();
    let mut out = BTreeMap::new();
    for block in text.split("servicestatus {").skip(1) {
        let body = block.split('}').next().unwrap_or("");
        let fields: BTreeMap<String, String> = body
            .lines()
            .filter_map(|l| l.trim().split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if let Some(name) = fields.get("service_description") {
            out.insert(name.clone(), fields.clone());
        }
    }
    out
}

#[test]
fn nagios4_runs_the_generated_commands() {
    if !tools_present(&["nagios4"]) {
        return;
    }
    if built("check_smith_stonith").is_none() {
        return;
    }
    let started = Instant::now();
    let work = Work::new(Some(&["check_smith_stonith"]));
    let n = work.path("nagios");
    fs::create_dir_all(n.join("checkresults")).unwrap();
    fs::copy(
        repo().join("packaging/nagios/opscheck-commands.cfg"),
        n.join("commands.cfg"),
    )
    .unwrap();
    let ns = |p: &str| n.join(p).display().to_string();
    fs::write(
        n.join("resource.cfg"),
        format!("$USER1$={}\n", work.s("plugins")),
    )
    .unwrap();
    let user = &work.account.user;
    let group = &work.account.group;
    // Debian's nagios4 reads /etc/nagios-plugins/config/, where the .deb puts
    // these commands: load that directory too, so a name clash fails here.
    let debian_commands = Path::new("/etc/nagios-plugins/config");
    let cfg_dir = if debian_commands.is_dir() {
        format!("cfg_dir={}\n", debian_commands.display())
    } else {
        String::new()
    };
    fs::write(
        n.join("nagios.cfg"),
        cfg_dir + &format!(
            "log_file={log}\ncfg_file={commands}\ncfg_file={objects}\nresource_file={resource}\n\
             status_file={status}\nstatus_update_interval=1\ntemp_file={tmp}\ntemp_path={dir}\n\
             lock_file={lock}\ncheck_result_path={results}\nobject_cache_file={cache}\n\
             precached_object_file={precache}\nstate_retention_file={retention}\nretain_state_information=0\n\
             nagios_user={user}\nnagios_group={group}\ncheck_external_commands=0\ncommand_file={cmd}\n\
             interval_length=1\nmax_service_check_spread=1\nmax_host_check_spread=1\nuse_syslog=0\n\
             enable_notifications=0\nlog_rotation_method=n\nillegal_macro_output_chars=`~$&|'\"<>\n\
             enable_environment_macros=0\ncheck_result_reaper_frequency=1\nquery_socket={qh}\n",
            qh = ns("nagios.qh"),
            log = ns("nagios.log"),
            commands = ns("commands.cfg"),
            objects = ns("objects.cfg"),
            resource = ns("resource.cfg"),
            status = ns("status.dat"),
            tmp = ns("nagios.tmp"),
            dir = n.display(),
            lock = ns("nagios.lock"),
            results = ns("checkresults"),
            cache = ns("objects.cache"),
            precache = ns("objects.precache"),
            retention = ns("retention.dat"),
            cmd = ns("nagios.cmd"),
        ),
    )
    .unwrap();
    let smith = |case: &str| {
        format!(
            "--dir {} --peer-dir {}",
            work.s(&format!("inputs/smith-stonith/{case}/primary")),
            work.s(&format!("inputs/smith-stonith/{case}/secondary"))
        )
    };
    fs::write(
        n.join("objects.cfg"),
        format!(
            r#"define timeperiod {{
    timeperiod_name 24x7
    alias           always
    sunday 00:00-24:00
    monday 00:00-24:00
    tuesday 00:00-24:00
    wednesday 00:00-24:00
    thursday 00:00-24:00
    friday 00:00-24:00
    saturday 00:00-24:00
}}
define contact {{
    contact_name                  e2e
    host_notifications_enabled    0
    service_notifications_enabled 0
    host_notification_period      24x7
    service_notification_period   24x7
    host_notification_options     n
    service_notification_options  n
    host_notification_commands    check_smith_stonith
    service_notification_commands check_smith_stonith
}}
define host {{
    host_name             sop1
    address               127.0.0.1
    max_check_attempts    1
    check_period          24x7
    contacts              e2e
    notification_interval 0
    notification_period   24x7
    active_checks_enabled 0
}}
define service {{
    host_name             sop1
    service_description   smith-stonith-ok
    check_command         check_smith_stonith!{ok}
    max_check_attempts    1
    check_interval        2
    retry_interval        2
    check_period          24x7
    contacts              e2e
    notification_interval 0
    notification_period   24x7
}}
define service {{
    host_name             sop1
    service_description   smith-stonith-critical
    check_command         check_smith_stonith!{critical}
    max_check_attempts    1
    check_interval        2
    retry_interval        2
    check_period          24x7
    contacts              e2e
    notification_interval 0
    notification_period   24x7
}}
"#,
            ok = smith("normal"),
            critical = smith("invalid"),
        ),
    )
    .unwrap();
    work.give_to_account();
    let verify = work
        .account
        .command("nagios4")
        .arg("-v")
        .arg(n.join("nagios.cfg"))
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "nagios4 -v:\n{}",
        text(&verify.stdout)
    );
    let log = n.join("foreground.log");
    let mut command = work.account.command("nagios4");
    command.arg(n.join("nagios.cfg"));
    let mut server = Server::start("nagios4", &mut command, &log);
    let status = poll(
        "both services in status.dat",
        Duration::from_secs(120),
        || {
            server.assert_running(&log);
            let all = status_dat(&n.join("status.dat"));
            let checked = |s: &str| {
                all.get(s)
                    .is_some_and(|f| f.get("has_been_checked").map(String::as_str) == Some("1"))
            };
            (checked("smith-stonith-ok") && checked("smith-stonith-critical")).then_some(all)
        },
    );
    let ok = &status["smith-stonith-ok"];
    assert_eq!(ok["current_state"], "0", "{ok:?}");
    assert!(
        ok["plugin_output"].starts_with("SMITH_STONITH OK - "),
        "{ok:?}"
    );
    assert!(
        ok["performance_data"].contains("primary_smith=0;;;0;1"),
        "{ok:?}"
    );
    let critical = &status["smith-stonith-critical"];
    assert_eq!(critical["current_state"], "2", "{critical:?}");
    assert!(
        critical["plugin_output"].starts_with("SMITH_STONITH CRITICAL - invalid"),
        "{critical:?}"
    );
    assert!(critical["performance_data"].contains("secondary_stonith=1;;;0;1"));
    drop(server);
    eprintln!("nagios4 test took {:?}", started.elapsed());
}
