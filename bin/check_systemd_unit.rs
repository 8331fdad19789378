//! check_systemd_unit: systemd units (sre, postgresql-14, mongod, influxdb, …).
use clap::builder::NonEmptyStringValueParser;
use clap::Parser;
use opscheck::checks::systemd_unit::{self, unit_name, Expect, Options, Preset, Source};
use opscheck::cli::CommonArgs;
use opscheck::definitions::Hints;
use opscheck::state::StateArgs;
use opscheck::{CheckResult, Failure, Plugin, Range, Thresholds};
use std::path::PathBuf;

/// Checks systemd units, as `systemctl status UNIT` shows them, with one
/// `systemctl show` for all the units.
///
/// A unit that is not loaded (not-found: a typo in its name; masked; a broken
/// unit file) is CRITICAL, as is one that is failed or inactive; activating,
/// deactivating or reloading is WARNING, and so is a simple, forking or notify
/// service whose SubState is not running. A oneshot that finished with
/// Result=success is OK (--expect-sub-state to say otherwise). The uptime comes
/// from ActiveEnterTimestampMonotonic against this host's monotonic clock when
/// systemctl runs here, and from the ActiveEnterTimestamp text (systemctl is
/// run with TZ=UTC) for captured input: below --min-uptime it is WARNING
/// ("restarted N s ago"). Automatic restarts (NRestarts) are counted between
/// two runs through the state directory and judged by --warning-restarts and
/// --critical-restarts. --expect-process counts processes in the unit's cgroup
/// (cgroup.procs, cgroup v2 or the v1 systemd hierarchy): programs by name,
/// the script after an interpreter (`/opt/sre/bin/python /opt/sre/bin/sre-REST`
/// is sre-REST), or titles such as `postgres: walsender`. systemctl failing
/// (no manager, no bus) is CRITICAL; output that is not `systemctl show`
/// output is UNKNOWN.
#[derive(Parser, Debug)]
#[command(name = "check_systemd_unit", version)]
struct Args {
    /// The unit to check (repeatable); a name without a suffix is a service (`sre` is sre.service)
    #[arg(short = 'u', long = "unit", value_name = "NAME", value_parser = NonEmptyStringValueParser::new())]
    units: Vec<String>,

    /// Role preset for the SRE: `sre-em` (sre.service with supervisord, sre-REST,
    /// sre-cdr-collector, sre-gui, sre-health-monitor, sre-http-processor, sre-manager) or
    /// `sre-cp` (supervisord, sre-agents-monitor, sre-broker, sre-call-processor,
    /// sre-cdr-sender, sre-enum-processor, sre-health-monitor, sre-http-processor)
    #[arg(long, value_enum, value_name = "ROLE")]
    preset: Option<Preset>,

    /// A process that must run in the unit's cgroup, NAME[=RANGE] (repeatable; default
    /// range 1:, outside it is CRITICAL): a program or script name (`sre-REST`), or a
    /// title holding ': ' (`postgres: walsender=3:`). With several units, counted in
    /// all their cgroups together
    #[arg(long = "expect-process", value_name = "NAME[=RANGE]")]
    expect_process: Vec<Expect>,

    /// SubState an active unit must have (repeatable), instead of the default rule
    /// (running for simple, forking and notify services; anything for others). A
    /// oneshot that finished is then CRITICAL like any inactive unit
    #[arg(long = "expect-sub-state", value_name = "STATE", value_parser = NonEmptyStringValueParser::new())]
    expect_sub_state: Vec<String>,

    /// A service active for fewer seconds than this is WARNING ("restarted N s ago");
    /// 0 turns it off
    #[arg(long = "min-uptime", value_name = "SECONDS", default_value = "300")]
    min_uptime: u64,

    /// Warning range on automatic restarts since the previous run
    #[arg(
        long = "warning-restarts",
        value_name = "RANGE",
        default_value = "0",
        allow_hyphen_values = true
    )]
    warning_restarts: Range,

    /// Critical range on automatic restarts since the previous run
    #[arg(
        long = "critical-restarts",
        value_name = "RANGE",
        default_value = "3",
        allow_hyphen_values = true
    )]
    critical_restarts: Range,

    /// The systemctl to run (a path, or a wrapper that runs it elsewhere on this host)
    #[arg(long, value_name = "PATH", default_value = "systemctl", value_parser = NonEmptyStringValueParser::new())]
    systemctl: String,

    /// Ask the user's service manager (systemctl --user) instead of the system's
    #[arg(long)]
    user: bool,

    /// Read a captured `systemctl show -p …` output from FILE (`-` for standard input)
    /// instead of running systemctl; without --unit, every unit in it is checked
    #[arg(long, value_name = "FILE|-", value_parser = non_empty_path, conflicts_with_all = ["systemctl", "user"])]
    input: Option<PathBuf>,

    /// Where the units' ControlGroup paths are looked up [default: /sys/fs/cgroup on cgroup
    /// v2, else /sys/fs/cgroup/systemd, then /sys/fs/cgroup/unified]
    #[arg(long = "cgroup-root", value_name = "DIR", value_parser = non_empty_path)]
    cgroup_root: Option<PathBuf>,

    /// Name of this check in the state directory, when two checks watch the same unit
    #[arg(long, value_name = "NAME", value_parser = NonEmptyStringValueParser::new())]
    instance: Option<String>,

    #[command(flatten)]
    state: StateArgs,

    #[command(flatten)]
    common: CommonArgs,
}

fn non_empty_path(text: &str) -> Result<PathBuf, String> {
    if text.is_empty() {
        Err("an empty path".to_string())
    } else {
        Ok(PathBuf::from(text))
    }
}

impl Plugin for Args {
    const SERVICE: &'static str = "SYSTEMD_UNIT";

    /// The ITL's check_systemd names its unit `systemd_unit`: a host or service
    /// variable set for it serves this command too.
    const DEFINITION: Hints = Hints {
        vars: &[("unit", "systemd_unit")],
        defaults: &[],
        env: &[],
    };

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn check(&self) -> CheckResult {
        let mut units = Vec::new();
        for given in &self.units {
            let name = unit_name(given).map_err(|e| Failure::unknown(format!("--unit: {e}")))?;
            if !units.contains(&name) {
                units.push(name);
            }
        }
        if self.preset.is_some() && !units.iter().any(|u| u == Preset::UNIT) {
            units.push(Preset::UNIT.to_string());
        }
        let source = match &self.input {
            Some(path) => Source::Input(path.clone()),
            None => Source::Systemctl {
                program: self.systemctl.clone(),
                user: self.user,
            },
        };
        if units.is_empty() && self.input.is_none() {
            return Err(Failure::unknown(
                "no unit to check: give --unit NAME (repeatable) or --preset",
            ));
        }
        systemd_unit::check(
            &Options {
                units,
                source,
                expect: self.expect_process.clone(),
                preset: self.preset,
                expect_sub_state: self.expect_sub_state.clone(),
                min_uptime: self.min_uptime,
                restarts: Thresholds::new(
                    Some(self.warning_restarts.clone()),
                    Some(self.critical_restarts.clone()),
                ),
                cgroup_root: self.cgroup_root.clone(),
                instance: self.instance.clone(),
            },
            &self.state,
        )
    }
}

fn main() {
    opscheck::run::<Args>()
}
