//! What the command line asks for: the units (named as systemctl completes
//! them), the processes expected in their cgroups, the role presets and the
//! options of one run. Kept apart from the judging so that what is accepted
//! (and refused) is read in one place.

use super::shown;
use super::source::Source;
use crate::range::Range;
use crate::threshold::Thresholds;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

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

/// The options of one run, as the command line gave them.
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
    /// Where ControlGroup paths are looked up; `None`: see [`cgroup_roots`](super::cgroup_roots).
    pub cgroup_root: Option<PathBuf>,
    pub instance: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
