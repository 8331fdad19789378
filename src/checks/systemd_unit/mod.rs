//! check_systemd_unit: systemd units as the SRE guide checks them with
//! `systemctl status` (seed 000 §2.2–2.5): loaded, active, running, not
//! restarted lately, and the expected processes in the unit's cgroup.
//!
//! One `systemctl show -p …` for all units ([`show`]); the judging is pure
//! ([`assess`], [`uptime`], [`restarts`], [`count_expected`]); the cgroup and
//! the process table are read in [`cgroup_pids`] and through the core's
//! [`crate::procs`] and [`crate::proc_match`].
//!
//! One module per part of the `systemctl status` the guide reads: `states`
//! (the `Loaded:` and `Active:` lines), `started` (`since …`: the uptime),
//! `restarted` (restarts between two runs, through the state store) and
//! `processes` (the `CGroup:` listing). `options` holds what the command line
//! asks for, `source` runs systemctl or reads a capture; this module puts each
//! unit's parts together into one item.

mod options;
mod processes;
mod restarted;
pub mod show;
mod source;
mod started;
mod states;

pub use options::{unit_name, Expect, Options, Preset};
pub use processes::{cgroup_pids, cgroup_roots, count_expected};
pub use restarted::{restarts, Restarts, Sample};
pub use source::{systemctl_argv, Source};
pub use started::{uptime, Clock};
pub use states::assess;

use crate::output::{plural, Check, Item};
use crate::perfdata::Perfdata;
use crate::runner::Failure;
use crate::state::StateArgs;
use crate::status::State;
use show::Properties;
use std::path::PathBuf;

pub const PLUGIN: &str = "check_systemd_unit";

/// Outside text (systemd's, a unit name) as one output line: the core's
/// [`crate::output::one_line`] (no line breaks, no `|`, control bytes escaped),
/// so a unit name reads as every other plugin's quoted text does.
pub fn shown(text: &str) -> String {
    crate::output::one_line(text)
}

/// A perfdata label: no `=` or `'`.
fn label(prefix: &str, name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| if c == '=' || c == '\'' { '_' } else { c })
        .collect();
    format!("{prefix}{clean}")
}

/// One unit being judged: what systemd said of it, and what each part of
/// `systemctl status` found, gathered into one item by [`Unit::into_item`].
struct Unit<'a> {
    name: &'a str,
    props: &'a Properties,
    /// The perfdata label prefix (the unit's name when several are checked).
    prefix: &'a str,
    active: bool,
    /// The first is the unit's state; the others become its children.
    findings: Vec<Item>,
    perf: Vec<Perfdata>,
    /// The parts of the OK text.
    healthy: Vec<String>,
}

impl Unit<'_> {
    /// One item: the worst finding's text (or the healthy summary), the
    /// perfdata, the unit's details and the other findings as children.
    fn into_item(self) -> Item {
        let unit_shown = shown(self.name);
        let worst = State::worst_of(self.findings.iter().map(|f| f.state));
        let text = if worst == State::Ok {
            format!("{unit_shown} {}", self.healthy.join(", "))
        } else {
            let problems: Vec<&str> = self
                .findings
                .iter()
                .filter(|f| f.state == worst)
                .map(|f| f.text.as_str())
                .collect();
            format!("{unit_shown} {}", problems.join(", "))
        };
        let mut item = Item::new(worst, text);
        for p in self.perf {
            item = item.perf(p);
        }
        if let Some(pid) = self
            .props
            .number("MainPID")
            .ok()
            .flatten()
            .filter(|&p| p > 0)
        {
            item = item.detail(1, format!("MainPID {pid}"));
        }
        if let Some(cg) = self.props.get("ControlGroup") {
            item = item.detail(2, format!("ControlGroup {}", shown(cg)));
        }
        if let Some(ufs) = self.props.get("UnitFileState") {
            item = item.detail(2, format!("UnitFileState {}", shown(ufs)));
        }
        for finding in self.findings.into_iter().skip(1) {
            item = item.child(finding);
        }
        item
    }
}

/// Checks the units: one item per unit (with its expected processes when one
/// unit is checked), and with several units one more for the processes
/// expected in all their cgroups together.
pub fn check(options: &Options, state: &StateArgs) -> Result<Check, Failure> {
    let (units, live) = source::collect(options)?;
    let now = started::unix_now();
    let mono = if live {
        started::monotonic_now_us()
    } else {
        None
    };
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
        let item = processes::judge_processes_of_all(&units, &common, &roots)?;
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

/// One unit, part by part; a unit absent from a capture is UNKNOWN.
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
    if props.is_empty() {
        return Ok(Item::new(
            State::Unknown,
            format!("{}: not in the input", shown(name)),
        ));
    }
    let (state, text) = assess(props, &options.expect_sub_state);
    let mut unit = Unit {
        name,
        props,
        prefix,
        active: props.get("ActiveState") == Some("active"),
        findings: vec![Item::new(state, text.clone())],
        perf: Vec::new(),
        healthy: vec![text],
    };
    started::judge(&mut unit, options.min_uptime, now, mono);
    restarted::judge(&mut unit, options, state_args)?;
    if !expect.is_empty() {
        processes::judge(&mut unit, expect, roots)?;
    }
    Ok(unit.into_item())
}

#[cfg(test)]
mod tests {
    //! `systemctl show` properties for the tests of each part.
    use super::show::Properties;

    pub(super) fn props(pairs: &[(&str, &str)]) -> Properties {
        let mut p = Properties::default();
        for (k, v) in pairs {
            p.insert(k, v);
        }
        p
    }

    pub(super) fn service(active: &str, sub: &str, kind: &str, result: &str) -> Properties {
        props(&[
            ("LoadState", "loaded"),
            ("ActiveState", active),
            ("SubState", sub),
            ("Type", kind),
            ("Result", result),
        ])
    }
}
