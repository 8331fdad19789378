//! check_systemd_unit: systemd units as the SRE guide checks them with
//! `systemctl status` (seed 000 §2.2–2.5): loaded, active, running, not
//! restarted lately, and the expected processes in the unit's cgroup.
//!
//! One `systemctl show -p …` for all units ([`show`]); the judging is pure
//! ([`assess`], [`uptime`], [`restarts`], [`count_expected`]); the cgroup and
//! the process table are read in [`cgroup_pids`] and through the core's
//! [`crate::procs`] and [`crate::checks::proc_match`].

pub mod show;

use crate::checks::proc_match::{self, Filter, Table};
use crate::exec::{self, ExecOptions};
use crate::output::{plural, Check, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::range::Range;
use crate::runner::Failure;
use crate::state::StateArgs;
use crate::status::State;
use crate::threshold::Thresholds;
use serde::{Deserialize, Serialize};
use show::Properties;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub const PLUGIN: &str = "check_systemd_unit";

/// Outside text (systemd's, a unit name) as one output line: the core's
/// [`crate::output::one_line`] (no line breaks, no `|`, control bytes escaped),
/// so a unit name reads as every other plugin's quoted text does.
pub fn shown(text: &str) -> String {
    crate::output::one_line(text)
}

/// Unit suffixes systemd knows; a name without one is a service.
const SUFFIXES: &[&str] = &[
    ".service",
    ".socket",
    ".target",
    ".timer",
    ".mount",
    ".automount",
    ".path",
    ".slice",
    ".scope",
    ".device",
    ".swap",
];

/// `sre` → `sre.service`, as systemctl completes it. Names with blanks or
/// control characters are refused (they are a templating mistake).
pub fn unit_name(given: &str) -> Result<String, String> {
    let name = given.trim();
    if name.is_empty() {
        return Err("an empty unit name".to_string());
    }
    if name
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '/')
    {
        return Err(format!("'{}' is not a unit name", shown(name)));
    }
    if SUFFIXES
        .iter()
        .any(|s| name.ends_with(s) && name.len() > s.len())
    {
        Ok(name.to_string())
    } else {
        Ok(format!("{name}.service"))
    }
}

/// `--expect-process NAME[=RANGE]`: how many processes named NAME must be in
/// the unit's cgroup (default `1:`). NAME is a program (`sre-REST`, the script
/// after an interpreter) or, when it holds `: `, a process title (`postgres: walsender`).
#[derive(Debug, Clone, PartialEq)]
pub struct Expect {
    pub name: String,
    pub range: Range,
}

impl FromStr for Expect {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, range) = match s.rsplit_once('=') {
            Some((name, range)) => (name, range.parse::<Range>().map_err(|e| e.to_string())?),
            None => (s, Range::from_str("1:").expect("a valid range")),
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(format!("'{s}' names no process"));
        }
        if name.chars().any(|c| c.is_control() || c == '\'') {
            return Err(format!("'{}' is not a process name", shown(name)));
        }
        Ok(Expect {
            name: name.to_string(),
            range,
        })
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.name, self.range)
    }
}

/// Role presets for the SRE host templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Preset {
    /// `sre` on an element manager: supervisord and the EM daemons.
    SreEm,
    /// `sre` on a call processor: supervisord and the CP daemons.
    SreCp,
}

impl Preset {
    pub const UNIT: &'static str = "sre.service";

    /// The daemons of the role, from the guide's `systemctl status sre` CGroup
    /// listing (EM) and its platform process status table (which daemons run
    /// on the EMs and which on the CPs).
    pub fn processes(self) -> &'static [&'static str] {
        match self {
            Preset::SreEm => &[
                "supervisord",
                "sre-REST",
                "sre-cdr-collector",
                "sre-gui",
                "sre-health-monitor",
                "sre-http-processor",
                "sre-manager",
            ],
            Preset::SreCp => &[
                "supervisord",
                "sre-agents-monitor",
                "sre-broker",
                "sre-call-processor",
                "sre-cdr-sender",
                "sre-enum-processor",
                "sre-health-monitor",
                "sre-http-processor",
            ],
        }
    }
}

/// Where the properties come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Run `SYSTEMCTL [--user] show -p … -- UNITS`.
    Systemctl { program: String, user: bool },
    /// A captured `systemctl show` output (`-` for standard input).
    Input(PathBuf),
}

#[derive(Debug, Clone)]
pub struct Options {
    /// Normalised unit names, in order (the preset's unit included).
    pub units: Vec<String>,
    pub source: Source,
    /// Processes expected in the cgroups of all the units checked.
    pub expect: Vec<Expect>,
    pub preset: Option<Preset>,
    /// SubStates that are fine for an active unit (replaces the default rule).
    pub expect_sub_state: Vec<String>,
    pub min_uptime: u64,
    pub restarts: Thresholds,
    /// Where ControlGroup paths are looked up; `None`: see [`cgroup_roots`].
    pub cgroup_root: Option<PathBuf>,
    pub instance: Option<String>,
}

/// Service types whose main process is meant to keep running.
const LONG_RUNNING: &[&str] = &[
    "simple",
    "forking",
    "notify",
    "notify-reload",
    "exec",
    "dbus",
    "idle",
];

fn is_service(id: &str) -> bool {
    id.ends_with(".service")
}

/// The state of a unit from its Load/Active/Sub states, with the text that says why.
pub fn assess(p: &Properties, expect_sub_state: &[String]) -> (State, String) {
    let load = p.get("LoadState").unwrap_or("");
    let active = p.get("ActiveState").unwrap_or("");
    let sub = p.get("SubState").unwrap_or("");
    let result = p.get("Result");
    let kind = p.get("Type").unwrap_or("");
    match load {
        "loaded" => {}
        "" => return (State::Unknown, "no LoadState in the output".to_string()),
        "not-found" => return (State::Critical, "not found (no such unit)".to_string()),
        "masked" => return (State::Critical, "masked: it cannot be started".to_string()),
        other => {
            let why = p
                .get("LoadError")
                .and_then(|e| e.split_once(' ').map(|(_, m)| m.trim_matches('"')))
                .map(|m| format!(": {}", shown(m)))
                .unwrap_or_default();
            return (
                State::Critical,
                format!("not loaded ({}){why}", shown(other)),
            );
        }
    }
    let states = if sub.is_empty() {
        shown(active)
    } else {
        format!("{} ({})", shown(active), shown(sub))
    };
    match active {
        "active" => {
            if !expect_sub_state.is_empty() {
                if expect_sub_state.iter().any(|s| s == sub) {
                    (State::Ok, states)
                } else {
                    (
                        State::Warning,
                        format!("{states}, expected {}", expect_sub_state.join(" or ")),
                    )
                }
            } else if LONG_RUNNING.contains(&kind) && sub != "running" {
                (
                    State::Warning,
                    format!("{states}: its main process is not running"),
                )
            } else {
                (State::Ok, states)
            }
        }
        "inactive"
            if kind == "oneshot" && result == Some("success") && expect_sub_state.is_empty() =>
        {
            (
                State::Ok,
                format!("{states}, oneshot finished successfully"),
            )
        }
        "failed" | "inactive" => {
            let why = result
                .filter(|r| *r != "success")
                .map(|r| format!(", result {}", shown(r)))
                .unwrap_or_default();
            (State::Critical, format!("{states}{why}"))
        }
        "activating" if sub == "auto-restart" => (
            State::Warning,
            format!("{states}: restarting after a failure"),
        ),
        "activating" | "deactivating" | "reloading" | "refreshing" | "maintenance" => {
            (State::Warning, states)
        }
        "" => (State::Unknown, "no ActiveState in the output".to_string()),
        other => (
            State::Unknown,
            format!("ActiveState '{}' not understood", shown(other)),
        ),
    }
}

/// How the uptime was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// `ActiveEnterTimestampMonotonic` against this host's CLOCK_MONOTONIC.
    Monotonic,
    /// The `ActiveEnterTimestamp` text against the wall clock.
    Wall,
}

/// Seconds since the unit became active. `mono_now_us` is CLOCK_MONOTONIC in
/// µs when the output was taken live on this host (then the monotonic property
/// is used: immune to clock steps and time zones); captured output is read
/// from the timestamp text against `now_unix`. `Ok(None)`: never active.
pub fn uptime(
    p: &Properties,
    now_unix: i64,
    mono_now_us: Option<u64>,
) -> Result<Option<(u64, Clock)>, String> {
    if let (Some(now), Some(entered)) = (mono_now_us, p.number("ActiveEnterTimestampMonotonic")?) {
        if entered > 0 && entered <= now {
            return Ok(Some(((now - entered) / 1_000_000, Clock::Monotonic)));
        }
    }
    let Some(text) = p.get("ActiveEnterTimestamp") else {
        return Ok(None);
    };
    if text == "n/a" {
        return Ok(None);
    }
    let entered = show::parse_timestamp(text)?;
    let secs = now_unix
        .checked_sub(entered)
        .ok_or_else(|| "uptime out of range".to_string())?;
    // A timestamp ahead of the clock (a captured output from a host whose clock
    // runs ahead): zero, never negative.
    Ok(Some((secs.max(0) as u64, Clock::Wall)))
}

/// What is kept between runs for one unit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub n_restarts: Option<u64>,
    /// `ActiveEnterTimestampMonotonic`, or else the timestamp text: changes when the unit (re)starts.
    pub active_enter: Option<String>,
}

impl Sample {
    pub fn of(p: &Properties) -> Result<Sample, String> {
        let active_enter = match p.number("ActiveEnterTimestampMonotonic")? {
            Some(0) | None => p.get("ActiveEnterTimestamp").map(str::to_string),
            Some(mono) => Some(mono.to_string()),
        };
        Ok(Sample {
            n_restarts: p.number("NRestarts")?,
            active_enter,
        })
    }
}

/// Restarts between the previous run and this one.
#[derive(Debug, Clone, PartialEq)]
pub enum Restarts {
    /// First run: nothing to compare with.
    Baseline,
    /// Automatic restarts counted by `NRestarts`, and a note when it was reset.
    Counted(u64, Option<String>),
    /// No `NRestarts` (systemd < 235): 1 when the unit entered the active state again.
    AtLeast(u64),
}

impl Restarts {
    pub fn value(&self) -> Option<u64> {
        match self {
            Restarts::Baseline => None,
            Restarts::Counted(n, _) | Restarts::AtLeast(n) => Some(*n),
        }
    }
}

pub fn restarts(previous: Option<&Sample>, current: &Sample) -> Restarts {
    let Some(previous) = previous else {
        return Restarts::Baseline;
    };
    match (previous.n_restarts, current.n_restarts) {
        (Some(before), Some(now)) if now >= before => Restarts::Counted(now - before, None),
        (Some(before), Some(now)) => Restarts::Counted(
            now,
            Some(format!(
                "NRestarts went from {before} to {now}: reset by a manual restart"
            )),
        ),
        (_, Some(now)) => Restarts::Counted(now, None),
        (_, None) => Restarts::AtLeast(u64::from(
            current.active_enter.is_some() && previous.active_enter != current.active_enter,
        )),
    }
}

/// The cgroup hierarchies a ControlGroup path is looked up in, in order: the
/// unified hierarchy when `/sys/fs/cgroup` is cgroup v2, else the v1
/// `name=systemd` hierarchy, then a hybrid host's `unified` one.
pub fn cgroup_roots(root: Option<&Path>) -> Vec<PathBuf> {
    if let Some(root) = root {
        return vec![root.to_path_buf()];
    }
    let base = Path::new("/sys/fs/cgroup");
    if base.join("cgroup.controllers").exists() {
        vec![base.to_path_buf()]
    } else {
        vec![base.join("systemd"), base.join("unified")]
    }
}

/// The PIDs in cgroup `control_group` and the cgroups below it (sorted), read
/// from `cgroup.procs`; the directory it was found in.
pub fn cgroup_pids(roots: &[PathBuf], control_group: &str) -> Result<(Vec<i32>, PathBuf), String> {
    let relative = control_group.trim_start_matches('/');
    if relative.split('/').any(|c| c == "..") {
        return Err(format!(
            "ControlGroup '{}' is not a cgroup path",
            shown(control_group)
        ));
    }
    let Some(dir) = roots
        .iter()
        .map(|r| r.join(relative))
        .find(|d| d.join("cgroup.procs").exists())
    else {
        let looked: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
        return Err(format!(
            "cgroup {} not found under {}",
            shown(control_group),
            looked.join(" or ")
        ));
    };
    let mut pids = Vec::new();
    let mut pending = vec![(dir.clone(), 0usize)];
    let mut seen_dirs = 0usize;
    while let Some((current, depth)) = pending.pop() {
        seen_dirs += 1;
        let procs = current.join("cgroup.procs");
        match std::fs::read_to_string(&procs) {
            Ok(text) => pids.extend(text.lines().filter_map(|l| l.trim().parse::<i32>().ok())),
            // A sub-cgroup removed while it was read is not an error; the unit's own is.
            Err(e) if current == dir => {
                return Err(format!("cannot read {}: {e}", procs.display()))
            }
            Err(_) => continue,
        }
        if depth >= 16 || seen_dirs > 4096 {
            continue;
        }
        if let Ok(entries) = std::fs::read_dir(&current) {
            for entry in entries.flatten() {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    pending.push((entry.path(), depth + 1));
                }
            }
        }
    }
    pids.sort_unstable();
    pids.dedup();
    Ok((pids, dir))
}

/// How many processes of `table` each expected name has: instances of a
/// program (a process started by another process of the same name is one of
/// its workers, not another daemon; see [`proc_match::find_daemons`]), or every
/// process with the title.
pub fn count_expected(table: &Table, expect: &[Expect]) -> Vec<Vec<i32>> {
    let names: Vec<&str> = expect
        .iter()
        .filter(|e| !proc_match::is_title(&e.name))
        .map(|e| e.name.as_str())
        .collect();
    let daemons = proc_match::find_daemons(table, &names, &Filter::default());
    expect
        .iter()
        .map(|e| {
            if proc_match::is_title(&e.name) {
                table
                    .all()
                    .iter()
                    .filter(|p| proc_match::title_matches(p, &e.name))
                    .map(|p| p.pid)
                    .collect()
            } else {
                daemons
                    .iter()
                    .find(|d| d.name == e.name)
                    .map(|d| d.instance_pids())
                    .unwrap_or_default()
            }
        })
        .collect()
}

/// A perfdata label: no `=` or `'`.
fn label(prefix: &str, name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| if c == '=' || c == '\'' { '_' } else { c })
        .collect();
    format!("{prefix}{clean}")
}

/// CLOCK_MONOTONIC in µs.
fn monotonic_now_us() -> Option<u64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    if unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) } != 0 {
        return None;
    }
    u64::try_from(ts.tv_sec)
        .ok()?
        .checked_mul(1_000_000)?
        .checked_add(u64::try_from(ts.tv_nsec).ok()? / 1000)
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The `systemctl` argument vector.
pub fn systemctl_argv(program: &str, user: bool, units: &[String]) -> Vec<String> {
    let mut argv = vec![program.to_string()];
    if user {
        argv.push("--user".to_string());
    }
    argv.extend([
        "show".to_string(),
        "-p".to_string(),
        show::PROPERTIES.join(","),
    ]);
    argv.push("--".to_string());
    argv.extend(units.iter().cloned());
    argv
}

/// Reads the properties: each requested unit's block, or every block of a
/// captured output when no unit was named.
fn collect(options: &Options) -> Result<(Vec<(String, Properties)>, bool), Failure> {
    let (text, live) = match &options.source {
        Source::Input(path) => (
            crate::input::read_input(path, exec::DEFAULT_OUTPUT_LIMIT)?,
            false,
        ),
        Source::Systemctl { program, user } => {
            let argv = systemctl_argv(program, *user, &options.units);
            let exec_options = ExecOptions {
                // Timestamps in UTC whatever the host's zone, so the text can always be read.
                env: vec![("TZ".to_string(), "UTC".to_string())],
                ..ExecOptions::within(crate::deadline::current())
            };
            let out = exec::run(&argv, &exec_options)?;
            if !out.status.success() {
                return Err(Failure::critical(format!(
                    "systemctl show failed ({}): {}",
                    out.describe_status(),
                    shown(&out.first_error_line().chars().take(120).collect::<String>())
                )));
            }
            (out.stdout, true)
        }
    };
    let blocks = show::parse_show(&text).map_err(Failure::unknown)?;
    if options.units.is_empty() {
        return Ok((
            blocks
                .into_iter()
                .enumerate()
                .map(|(i, p)| {
                    let name = p.get("Id").map_or_else(|| format!("unit {}", i + 1), shown);
                    (name, p)
                })
                .collect(),
            live,
        ));
    }
    if blocks.len() == options.units.len() {
        return Ok((options.units.iter().cloned().zip(blocks).collect(), live));
    }
    if live {
        return Err(Failure::unknown(format!(
            "systemctl show printed {} for {}",
            plural(blocks.len(), "block"),
            plural(options.units.len(), "unit")
        )));
    }
    // A capture of other units too: each requested unit by its Id.
    Ok((
        options
            .units
            .iter()
            .map(|u| {
                let found = blocks.iter().find(|b| b.get("Id") == Some(u.as_str()));
                (u.clone(), found.cloned().unwrap_or_default())
            })
            .collect(),
        live,
    ))
}

fn state_key(options: &Options, unit: &str) -> String {
    let scope = match &options.source {
        Source::Systemctl { user: true, .. } => "user".to_string(),
        Source::Systemctl { user: false, .. } => "system".to_string(),
        Source::Input(path) => format!("input:{}", path.display()),
    };
    match &options.instance {
        Some(instance) => format!("{instance}:{scope}:{unit}"),
        None => format!("{scope}:{unit}"),
    }
}

pub fn check(options: &Options, state: &StateArgs) -> Result<Check, Failure> {
    let (units, live) = collect(options)?;
    let now = unix_now();
    let mono = if live { monotonic_now_us() } else { None };
    let roots = cgroup_roots(options.cgroup_root.as_deref());
    let prefixed = units.len() > 1;
    // Each name once (its first range): perfdata labels must be unique.
    let mut common: Vec<Expect> = Vec::new();
    for e in &options.expect {
        if !common.iter().any(|x| x.name == e.name) {
            common.push(e.clone());
        }
    }
    let mut check = Check::new();
    for (name, props) in &units {
        let stem = name.strip_suffix(".service").unwrap_or(name);
        let prefix = if prefixed {
            format!("{stem} ")
        } else {
            String::new()
        };
        // With one unit its expected processes are judged with it; with
        // several, --expect-process counts in all their cgroups together (below)
        // and only the preset's daemons belong to sre.service alone.
        let mut expect: Vec<Expect> = if prefixed { Vec::new() } else { common.clone() };
        if let Some(preset) = options.preset.filter(|_| name == Preset::UNIT) {
            for process in preset.processes() {
                if !expect.iter().any(|e| e.name == *process) {
                    expect.push(process.parse().expect("preset names parse"));
                }
            }
        }
        let item = judge_unit(
            name, props, options, &expect, &prefix, now, mono, &roots, state,
        )?;
        check.item(item);
    }
    if prefixed && !common.is_empty() {
        let item = judge_processes_of_all(&units, &common, &roots)?;
        check.item(item);
    }
    if check.items.len() == 1 {
        let text = check.items[0].text.clone();
        check.ok_summary(text);
    } else {
        let names: Vec<&str> = units.iter().map(|(n, _)| n.as_str()).collect();
        check.ok_summary(format!(
            "{} OK: {}",
            plural(names.len(), "unit"),
            names.join(", ")
        ));
    }
    Ok(check)
}

/// Counts `expect` among `pids` and judges each count: the items (each with
/// its perfdata), the perfdata alone, and how many expected processes were found.
fn judge_processes(
    pids: &[i32],
    expect: &[Expect],
    prefix: &str,
) -> Result<(Vec<Item>, Vec<Perfdata>, usize), Failure> {
    let table = crate::procs::snapshot_of(pids.iter().copied())
        .map_err(|e| Failure::unknown(format!("cannot read the process table: {e}")))?;
    let table = Table::new(&table);
    let counts = count_expected(&table, expect);
    let (mut items, mut perf, mut found) = (Vec::new(), Vec::new(), 0);
    for (e, matched) in expect.iter().zip(&counts) {
        let thresholds = Thresholds::new(None, Some(e.range.clone()));
        let judged = thresholds.judge(label(prefix, &e.name), matched.len() as f64, Uom::None);
        let name = shown(&e.name);
        let text = match (matched.len(), judged.state) {
            (0, State::Ok) => format!("no {name} (expected {})", e.range),
            (0, _) => format!("{name} missing"),
            (n, State::Ok) => format!("{name} ×{n}"),
            (n, _) => format!("{name} ×{n}, expected {}", e.range),
        };
        found += matched.len();
        perf.push(judged.perfdata.clone());
        let mut item = judged.item(text);
        if !matched.is_empty() {
            let list: Vec<String> = matched.iter().map(|p| p.to_string()).collect();
            item = item.detail(1, format!("PIDs {}", list.join(", ")));
        }
        items.push(item);
    }
    Ok((items, perf, found))
}

/// With several units, `--expect-process` counts in all their cgroups together.
fn judge_processes_of_all(
    units: &[(String, Properties)],
    expect: &[Expect],
    roots: &[PathBuf],
) -> Result<Item, Failure> {
    let mut pids = Vec::new();
    let mut problems = Vec::new();
    for (name, props) in units {
        if let Some(cg) = props.get("ControlGroup") {
            match cgroup_pids(roots, cg) {
                Ok((found, _)) => pids.extend(found),
                Err(e) if props.get("ActiveState") == Some("active") => {
                    problems.push(format!("{}: {e}", shown(name)))
                }
                Err(_) => {}
            }
        }
    }
    pids.sort_unstable();
    pids.dedup();
    let names: Vec<String> = units.iter().map(|(n, _)| shown(n)).collect();
    let (items, _, found) = judge_processes(&pids, expect, "")?;
    let worst = State::worst_of(items.iter().map(|i| i.state));
    let mut item = if !problems.is_empty() {
        Item::new(
            State::Unknown,
            format!("processes unknown: {}", problems.join("; ")),
        )
    } else if worst == State::Ok {
        Item::new(
            State::Ok,
            format!(
                "{found} expected {} of {} in the cgroups of {}",
                if found == 1 { "process" } else { "processes" },
                pids.len(),
                names.join(", ")
            ),
        )
    } else {
        let texts: Vec<&str> = items
            .iter()
            .filter(|i| i.state == worst)
            .map(|i| i.text.as_str())
            .collect();
        Item::new(
            worst,
            format!(
                "{} in the cgroups of {}",
                texts.join(", "),
                names.join(", ")
            ),
        )
    };
    for child in items {
        item = item.child(child);
    }
    Ok(item)
}

#[allow(clippy::too_many_arguments)]
fn judge_unit(
    name: &str,
    props: &Properties,
    options: &Options,
    expect: &[Expect],
    prefix: &str,
    now: i64,
    mono: Option<u64>,
    roots: &[PathBuf],
    state_args: &StateArgs,
) -> Result<Item, Failure> {
    let unit_shown = shown(name);
    if props.is_empty() {
        return Ok(Item::new(
            State::Unknown,
            format!("{unit_shown}: not in the input"),
        ));
    }
    let (state, text) = assess(props, &options.expect_sub_state);
    let active = props.get("ActiveState") == Some("active");
    let loaded = props.get("LoadState") == Some("loaded");
    let kind = props.get("Type").unwrap_or("");
    let mut findings: Vec<Item> = vec![Item::new(state, text.clone())];
    let mut perf: Vec<Perfdata> = Vec::new();
    let mut healthy = vec![text];

    // Uptime.
    match uptime(props, now, mono) {
        Ok(up) => {
            let secs = up.filter(|_| active).map(|(s, _)| s);
            let judged_type = is_service(name) && LONG_RUNNING.contains(&kind);
            let min = (options.min_uptime > 0 && judged_type).then(|| {
                Range::from_str(&format!("{}:", options.min_uptime)).expect("a valid range")
            });
            let thresholds = Thresholds::new(min, None);
            match secs {
                Some(secs) => {
                    let judged =
                        thresholds.judge(label(prefix, "uptime"), secs as f64, Uom::Seconds);
                    let clock = match up.map(|(_, c)| c) {
                        Some(Clock::Monotonic) => "ActiveEnterTimestampMonotonic",
                        _ => "ActiveEnterTimestamp",
                    };
                    let text = if judged.state == State::Ok {
                        format!("up {}", crate::duration::human(secs as f64))
                    } else {
                        format!("restarted {secs} s ago")
                    };
                    healthy.push(format!("up {}", crate::duration::human(secs as f64)));
                    findings.push(
                        Item::new(judged.state, text).detail(2, format!("uptime from {clock}")),
                    );
                    perf.push(judged.perfdata.min(0.0));
                }
                // Not active: the unit's state judges it, the graph keeps its ranges.
                None => perf.push(
                    thresholds
                        .judge(label(prefix, "uptime"), 0.0, Uom::Seconds)
                        .min(0.0)
                        .perfdata,
                ),
            }
        }
        Err(e) => {
            findings.push(Item::new(State::Unknown, format!("uptime unknown: {e}")));
            perf.push(Perfdata::unknown(label(prefix, "uptime"), Uom::Seconds));
        }
    }

    // Restarts since the previous run, through the state store.
    let restart_label = label(prefix, "restarts");
    match Sample::of(props) {
        Err(e) => {
            findings.push(Item::new(State::Unknown, format!("restarts unknown: {e}")));
            perf.push(Perfdata::unknown(restart_label, Uom::None));
        }
        Ok(sample) if loaded => {
            let file = state_args.open(PLUGIN, &state_key(options, name))?;
            let (previous, note) = file.load::<Sample>().into_parts();
            if let Some(note) = note {
                findings.push(Item::new(State::Ok, note));
            }
            let delta = restarts(previous.as_ref(), &sample);
            file.save(&sample)?;
            match delta.value() {
                None => {
                    findings.push(Item::new(
                        State::Ok,
                        match sample.n_restarts {
                            Some(n) => format!("first run: NRestarts {n} kept as the baseline"),
                            None => "first run: start time kept as the baseline".to_string(),
                        },
                    ));
                    perf.push(options.restarts.unmeasured(restart_label, Uom::None));
                }
                Some(n) => {
                    let judged = options.restarts.judge(restart_label, n as f64, Uom::None);
                    let mut text = match delta {
                        Restarts::AtLeast(_) if n > 0 => "restarted since the last check (no NRestarts in this systemd: at least 1)".to_string(),
                        _ => format!("{} since the last check", plural(n as usize, "automatic restart")),
                    };
                    if let Restarts::Counted(_, Some(note)) = &delta {
                        text.push_str(&format!(" ({note})"));
                    }
                    if n > 0 {
                        healthy.push(plural(n as usize, "restart"));
                    }
                    findings.push(judged.item(text).detail(
                        2,
                        match sample.n_restarts {
                            Some(total) => format!("NRestarts {total}"),
                            None => "NRestarts not reported".to_string(),
                        },
                    ));
                }
            }
        }
        // A unit that does not exist has no restarts to keep.
        Ok(_) => perf.push(
            options
                .restarts
                .judge(restart_label, 0.0, Uom::None)
                .perfdata,
        ),
    }

    // Processes in the unit's cgroup.
    if !expect.is_empty() {
        let cgroup = props.get("ControlGroup");
        let pids = match cgroup {
            None => Ok(Vec::new()),
            Some(cg) => cgroup_pids(roots, cg).map(|(pids, _)| pids),
        };
        match pids {
            Err(e) if active => {
                findings.push(Item::new(State::Unknown, format!("processes unknown: {e}")));
                for e in expect {
                    perf.push(Perfdata::unknown(label(prefix, &e.name), Uom::None));
                }
            }
            pids => {
                let pids = pids.unwrap_or_default();
                let (items, counts, found) = judge_processes(&pids, expect, prefix)?;
                if active {
                    findings.extend(items);
                    healthy.push(format!(
                        "{found} expected {} of {} in its cgroup",
                        if found == 1 { "process" } else { "processes" },
                        pids.len()
                    ));
                } else {
                    // The unit's state says it all; keep the perfdata only.
                    perf.extend(counts);
                }
            }
        }
    }

    let worst = State::worst_of(findings.iter().map(|f| f.state));
    let text = if worst == State::Ok {
        format!("{unit_shown} {}", healthy.join(", "))
    } else {
        let problems: Vec<&str> = findings
            .iter()
            .filter(|f| f.state == worst)
            .map(|f| f.text.as_str())
            .collect();
        format!("{unit_shown} {}", problems.join(", "))
    };
    let mut item = Item::new(worst, text);
    for p in perf {
        item = item.perf(p);
    }
    if let Some(pid) = props.number("MainPID").ok().flatten().filter(|&p| p > 0) {
        item = item.detail(1, format!("MainPID {pid}"));
    }
    if let Some(cg) = props.get("ControlGroup") {
        item = item.detail(2, format!("ControlGroup {}", shown(cg)));
    }
    if let Some(ufs) = props.get("UnitFileState") {
        item = item.detail(2, format!("UnitFileState {}", shown(ufs)));
    }
    for finding in findings.into_iter().skip(1) {
        item = item.child(finding);
    }
    Ok(item)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::proc_match::tests::proc;

    fn props(pairs: &[(&str, &str)]) -> Properties {
        let mut p = Properties::default();
        for (k, v) in pairs {
            p.insert(k, v);
        }
        p
    }

    fn service(active: &str, sub: &str, kind: &str, result: &str) -> Properties {
        props(&[
            ("LoadState", "loaded"),
            ("ActiveState", active),
            ("SubState", sub),
            ("Type", kind),
            ("Result", result),
        ])
    }

    #[test]
    fn control_bytes_never_reach_the_output() {
        let p = props(&[("LoadState", "weird\u{1b}[31m"), ("ActiveState", "x")]);
        let (_, text) = assess(&p, &[]);
        assert_eq!(text, "not loaded (weird\\x1b[31m)");
        assert_eq!(shown("a|b\nc\u{7}"), "a¦b c\\x07");
    }

    #[test]
    fn unit_names() {
        assert_eq!(unit_name("sre").unwrap(), "sre.service");
        assert_eq!(unit_name("postgresql-14").unwrap(), "postgresql-14.service");
        assert_eq!(unit_name("logrotate.timer").unwrap(), "logrotate.timer");
        assert_eq!(unit_name("getty@tty1").unwrap(), "getty@tty1.service");
        assert_eq!(unit_name(".service").unwrap(), ".service.service");
        assert!(unit_name("").is_err());
        assert!(unit_name("a b").is_err());
        assert!(unit_name("a\u{1b}[31m").is_err());
    }

    #[test]
    fn expectations() {
        let e: Expect = "sre-REST".parse().unwrap();
        assert_eq!(e.to_string(), "sre-REST=1:");
        let e: Expect = "postgres: walsender=3:".parse().unwrap();
        assert_eq!(e.name, "postgres: walsender");
        assert!(e.range.alerts(2.0) && !e.range.alerts(3.0));
        assert!("=1".parse::<Expect>().is_err());
        assert!("".parse::<Expect>().is_err());
        assert!("x=abc".parse::<Expect>().unwrap_err().contains("abc"));
    }

    #[test]
    fn load_states_are_never_ok() {
        let nf = props(&[("LoadState", "not-found"), ("ActiveState", "inactive")]);
        assert_eq!(assess(&nf, &[]).0, State::Critical);
        assert!(assess(&nf, &[]).1.contains("not found"));
        let masked = props(&[("LoadState", "masked"), ("ActiveState", "inactive")]);
        assert_eq!(
            assess(&masked, &[]),
            (State::Critical, "masked: it cannot be started".into())
        );
        let error = props(&[
            ("LoadState", "error"),
            ("LoadError", "org.freedesktop.systemd1.BadUnitSetting \"Unit x.service has a bad unit file setting.\""),
        ]);
        let (state, text) = assess(&error, &[]);
        assert_eq!(state, State::Critical);
        assert!(
            text.contains("not loaded (error): Unit x.service has a bad"),
            "{text}"
        );
        assert_eq!(
            assess(&props(&[("ActiveState", "active")]), &[]).0,
            State::Unknown
        );
        // Even an "active" claim does not make an unknown load state OK.
        let odd = props(&[("LoadState", "bad-setting"), ("ActiveState", "active")]);
        assert_eq!(assess(&odd, &[]).0, State::Critical);
    }

    #[test]
    fn active_states() {
        assert_eq!(
            assess(&service("active", "running", "simple", "success"), &[]).0,
            State::Ok
        );
        assert_eq!(
            assess(&service("failed", "failed", "simple", "exit-code"), &[]),
            (State::Critical, "failed (failed), result exit-code".into())
        );
        assert_eq!(
            assess(&service("inactive", "dead", "simple", "success"), &[]).0,
            State::Critical
        );
        assert_eq!(
            assess(
                &service("activating", "auto-restart", "simple", "exit-code"),
                &[]
            )
            .0,
            State::Warning
        );
        assert_eq!(
            assess(
                &service("deactivating", "stop-sigterm", "simple", "success"),
                &[]
            )
            .0,
            State::Warning
        );
        assert_eq!(
            assess(&service("reloading", "reload", "notify", "success"), &[]).0,
            State::Warning
        );
        assert_eq!(
            assess(&service("active", "exited", "forking", "success"), &[]).0,
            State::Warning
        );
        assert_eq!(
            assess(&service("bogus", "x", "simple", "success"), &[]).0,
            State::Unknown
        );
        assert_eq!(
            assess(&props(&[("LoadState", "loaded")]), &[]).0,
            State::Unknown
        );
    }

    #[test]
    fn oneshot_and_other_units_without_false_alarms() {
        let done = service("inactive", "dead", "oneshot", "success");
        assert_eq!(assess(&done, &[]).0, State::Ok);
        let kept = service("active", "exited", "oneshot", "success");
        assert_eq!(assess(&kept, &[]).0, State::Ok);
        let broken = service("failed", "failed", "oneshot", "exit-code");
        assert_eq!(assess(&broken, &[]).0, State::Critical);
        let timer = props(&[
            ("LoadState", "loaded"),
            ("ActiveState", "active"),
            ("SubState", "waiting"),
        ]);
        assert_eq!(assess(&timer, &[]).0, State::Ok);
        // --expect-sub-state says otherwise.
        let expect = vec!["running".to_string()];
        assert_eq!(assess(&done, &expect).0, State::Critical);
        assert_eq!(assess(&kept, &expect).0, State::Warning);
        assert_eq!(assess(&timer, &["waiting".to_string()]).0, State::Ok);
    }

    #[test]
    fn uptime_from_monotonic_live_and_from_text_captured() {
        let p = props(&[
            ("ActiveEnterTimestamp", "Tue 2026-12-01 10:00:00 UTC"),
            ("ActiveEnterTimestampMonotonic", "5000000"),
        ]);
        assert_eq!(
            uptime(&p, 1_796_119_200 + 90, None),
            Ok(Some((90, Clock::Wall)))
        );
        assert_eq!(
            uptime(&p, 0, Some(17_500_000)),
            Ok(Some((12, Clock::Monotonic)))
        );
        // A monotonic value ahead of this host's clock is another host's: the text then.
        assert_eq!(
            uptime(&p, 1_796_119_200 + 5, Some(1_000)),
            Ok(Some((5, Clock::Wall)))
        );
        // Never active.
        let never = props(&[
            ("ActiveEnterTimestamp", ""),
            ("ActiveEnterTimestampMonotonic", "0"),
        ]);
        assert_eq!(uptime(&never, 100, Some(100)), Ok(None));
        assert_eq!(uptime(&props(&[]), 100, None), Ok(None));
        let bad = props(&[("ActiveEnterTimestamp", "yesterday")]);
        assert!(uptime(&bad, 100, None).is_err());
        let bad = props(&[("ActiveEnterTimestampMonotonic", "-1")]);
        assert!(uptime(&bad, 100, Some(1)).is_err());
        // Arithmetic on outside numbers never overflows.
        let far = props(&[("ActiveEnterTimestamp", "9999-12-31 23:59:59 UTC")]);
        assert_eq!(
            uptime(&far, i64::MIN + 1, None),
            Err("uptime out of range".into())
        );
        assert_eq!(uptime(&far, 0, None), Ok(Some((0, Clock::Wall))));
    }

    #[test]
    fn restarts_between_runs() {
        let s = |n: Option<u64>, a: &str| Sample {
            n_restarts: n,
            active_enter: Some(a.to_string()),
        };
        assert_eq!(restarts(None, &s(Some(3), "1")), Restarts::Baseline);
        assert_eq!(
            restarts(Some(&s(Some(3), "1")), &s(Some(7), "9")),
            Restarts::Counted(4, None)
        );
        assert_eq!(
            restarts(Some(&s(Some(3), "1")), &s(Some(3), "1")),
            Restarts::Counted(0, None)
        );
        match restarts(Some(&s(Some(5), "1")), &s(Some(1), "2")) {
            Restarts::Counted(1, Some(note)) => assert!(note.contains("from 5 to 1")),
            other => panic!("{other:?}"),
        }
        // systemd 219: no NRestarts, a new start time is at least one restart.
        assert_eq!(
            restarts(Some(&s(None, "1")), &s(None, "2")),
            Restarts::AtLeast(1)
        );
        assert_eq!(
            restarts(Some(&s(None, "1")), &s(None, "1")),
            Restarts::AtLeast(0)
        );
        // systemd upgraded between runs.
        assert_eq!(
            restarts(Some(&s(None, "1")), &s(Some(2), "1")),
            Restarts::Counted(2, None)
        );
    }

    #[test]
    fn sre_daemons_and_postgres_titles_are_counted() {
        let table = vec![
            proc(
                18447,
                1,
                "supervisord",
                &["/opt/sre/bin/python", "/opt/sre/bin/supervisord", "-n"],
            ),
            proc(
                18463,
                18447,
                "sre-REST",
                &["/opt/sre/bin/python", "/opt/sre/bin/sre-REST"],
            ),
            proc(
                18464,
                18447,
                "python",
                &["/opt/sre/bin/python", "/opt/sre/bin/sre-cdr-collector"],
            ),
            proc(
                5234,
                1,
                "postmaster",
                &[
                    "/usr/pgsql-14/bin/postmaster",
                    "-D",
                    "/var/lib/pgsql/14/data/",
                ],
            ),
            proc(
                7353,
                5234,
                "postmaster",
                &["postgres: walsender repmgr 10.0.161.181(40814) streaming F/60DFDC00"],
            ),
            proc(
                8854,
                5234,
                "postmaster",
                &["postgres: walsender repmgr 10.0.161.182(47168) streaming F/60DFDC00"],
            ),
            proc(
                17337,
                5234,
                "postmaster",
                &["postgres: sre sre 127.0.0.1(43842) idle"],
            ),
        ];
        let t = Table::new(&table);
        let expect: Vec<Expect> = [
            "supervisord",
            "sre-REST",
            "sre-gui",
            "postgres: walsender",
            "postmaster",
        ]
        .iter()
        .map(|n| n.parse().unwrap())
        .collect();
        let counts = count_expected(&t, &expect);
        assert_eq!(
            counts,
            vec![
                vec![18447],
                vec![18463],
                vec![],
                vec![7353, 8854],
                vec![5234]
            ]
        );
    }

    #[test]
    fn cgroup_procs_are_read_with_the_cgroups_below() {
        let root = tempfile::tempdir().unwrap();
        let unit = root.path().join("system.slice/sre.service");
        std::fs::create_dir_all(unit.join("sub")).unwrap();
        std::fs::write(unit.join("cgroup.procs"), "18447\n18463\n").unwrap();
        std::fs::write(unit.join("sub/cgroup.procs"), "18463\n9\n").unwrap();
        let roots = vec![root.path().join("none"), root.path().to_path_buf()];
        let (pids, dir) = cgroup_pids(&roots, "/system.slice/sre.service").unwrap();
        assert_eq!(pids, vec![9, 18447, 18463]);
        assert_eq!(dir, unit);
        let err = cgroup_pids(&roots, "/system.slice/gone.service").unwrap_err();
        assert!(err.contains("not found under"), "{err}");
        assert!(cgroup_pids(&roots, "/../etc").is_err());
    }

    #[test]
    fn systemctl_is_asked_once_for_all_units() {
        let argv = systemctl_argv(
            "systemctl",
            true,
            &["sre.service".into(), "mongod.service".into()],
        );
        assert_eq!(argv[..4], ["systemctl", "--user", "show", "-p"]);
        assert!(argv[4].starts_with("Id,LoadState,"));
        assert_eq!(argv[5..], ["--", "sre.service", "mongod.service"]);
    }
}
