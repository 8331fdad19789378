//! net.Console failover flags: `/opt/mserver/SMITH` ("Shoot Myself In The Head")
//! and `/opt/mserver/STONITH` ("Shoot The Other Node In The Head") on the
//! primary and the secondary SOP, judged with the table of the Escaux guide
//! ("Failover and recovery status").
//!
//! With both SOPs' flags each of the table's 16 rows is recognised: all zero is
//! normal operation (OK), a valid non-normal scenario is WARNING with the table's
//! meaning, an invalid one CRITICAL with the table's note. With only this SOP's
//! flags, the plugin says what they mean for this SOP.

use crate::output::{Check, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::runner::{CheckResult, Failure};
use crate::status::State;
use std::path::{Path, PathBuf};

/// The role of this SOP (`--role`), shared with the other pair checks.
pub use crate::peer::Role;

/// The two flags of one SOP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags {
    pub smith: bool,
    pub stonith: bool,
}

impl Flags {
    fn describe(self) -> String {
        format!("SMITH={} STONITH={}", self.smith as u8, self.stonith as u8)
    }
}

/// One row of the guide's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    pub valid: bool,
    /// A short name for the status line.
    pub summary: &'static str,
    pub primary_healthy: bool,
    pub primary_behaviour: &'static str,
    pub secondary_behaviour: &'static str,
    pub note: &'static str,
}

const DOESNT_STONITH: &str = "Primary SOP doesn't STONITH the secondary SOP!";
const SMITH_IF_RUNNING: &str =
    "Not healthy (refusing calls). If mserver is running, it will also do a SMITH.";
const STONITHED: &str =
    "Not healthy (refusing calls). The secondary SOP has done a STONITH on the primary SOP.";

/// The table, indexed by the bits primary SMITH, primary STONITH, secondary SMITH, secondary STONITH.
const TABLE: [Scenario; 16] = [
    Scenario { valid: true, summary: "normal operation: both SOPs accept calls", primary_healthy: true,
        primary_behaviour: "Healthy.", secondary_behaviour: "Healthy.",
        note: "This is what you should see in normal operation." },
    Scenario { valid: false, summary: "invalid: STONITH flag set on the secondary SOP", primary_healthy: true,
        primary_behaviour: "Healthy.",
        secondary_behaviour: "Healthy. Failover mechanism is disabled, clients won't be notified about activity to do the failover.",
        note: DOESNT_STONITH },
    Scenario { valid: true, summary: "failover disabled: secondary SOP deactivated or has a problem", primary_healthy: true,
        primary_behaviour: "Healthy.",
        secondary_behaviour: "Healthy. Failover mechanism is disabled, clients won't be notified about activity to do the failover.",
        note: "Secondary SOP was either deactivated or has a problem." },
    Scenario { valid: false, summary: "invalid: STONITH flag set on the secondary SOP", primary_healthy: true,
        primary_behaviour: "Healthy.",
        secondary_behaviour: "Healthy. Failover mechanism is disabled, clients won't be notified about activity to do the failover.",
        note: DOESNT_STONITH },
    Scenario { valid: true, summary: "failover mode: the secondary SOP has STONITHed the primary", primary_healthy: false,
        primary_behaviour: SMITH_IF_RUNNING,
        secondary_behaviour: "Healthy. Activity was detected and clients will receive a notification for switch-over activity which triggered STONITH to the primary SOP.",
        note: "This is the behavior when working in failover mode when the secondary SOP has detected a call." },
    Scenario { valid: false, summary: "invalid: STONITH flag set on the secondary SOP", primary_healthy: false,
        primary_behaviour: SMITH_IF_RUNNING,
        secondary_behaviour: "Healthy. It will not notify clients on activity detection, nor STONITH the primary SOP (although STONITH is enabled on the primary SOP).",
        note: DOESNT_STONITH },
    Scenario { valid: true, summary: "restore: primary refuses calls, secondary detection deactivated", primary_healthy: false,
        primary_behaviour: SMITH_IF_RUNNING,
        secondary_behaviour: "Healthy. The secondary SOP's activity detection mechanism is disabled by the deactivate command.",
        note: "This is the case when a restore is done." },
    Scenario { valid: false, summary: "invalid: STONITH flag set on the secondary SOP", primary_healthy: false,
        primary_behaviour: SMITH_IF_RUNNING,
        secondary_behaviour: "Healthy. The secondary SOP's activity detection mechanism is disabled by the deactivate command.",
        note: DOESNT_STONITH },
    Scenario { valid: true, summary: "primary SOP did a SMITH: intermediate state, failover enabled", primary_healthy: false,
        primary_behaviour: "Not healthy (refusing calls).",
        secondary_behaviour: "Healthy. Failover mechanism is enabled, clients will be notified from the moment activity is detected and STONITH will be enabled on the primary SOP.",
        note: "This is an intermediate state." },
    Scenario { valid: false, summary: "invalid: STONITH flag set on the secondary SOP", primary_healthy: false,
        primary_behaviour: "Not healthy (refusing calls).",
        secondary_behaviour: "Healthy. Failover mechanism is disabled, clients won't be notified about activity.",
        note: DOESNT_STONITH },
    Scenario { valid: true, summary: "recovery after a SMITH: failover disabled on the secondary", primary_healthy: false,
        primary_behaviour: "Not healthy (refusing calls).",
        secondary_behaviour: "Healthy. Failover mechanism is disabled, clients won't be notified about activity. This is done to prevent the failover from being triggered during recovery.",
        note: "This scenario can only occur in case there was a SMITH on the primary SOP, no activity was detected yet on the secondary SOP and the recovery started." },
    Scenario { valid: false, summary: "invalid: STONITH flag set on the secondary SOP", primary_healthy: false,
        primary_behaviour: "Not healthy (refusing calls).",
        secondary_behaviour: "Healthy. Failover mechanism is disabled, clients will not be notified about activity to do the failover.",
        note: DOESNT_STONITH },
    Scenario { valid: true, summary: "failover mode: primary did a SMITH and was STONITHed", primary_healthy: false,
        primary_behaviour: "Not healthy (refusing calls). The secondary SOP has done a STONITH on the primary SOP. SMITH was also triggered. (To determine which happened first, see logging on primary SOP.)",
        secondary_behaviour: "Healthy. Clients will be notified on activity detection and repeatedly STONITH the primary SOP.",
        note: "This scenario occurs when working in failover mode." },
    Scenario { valid: false, summary: "invalid: STONITH flag set on the secondary SOP", primary_healthy: false,
        primary_behaviour: STONITHED,
        secondary_behaviour: "Healthy. The secondary SOP is no longer requesting the primary SOP to go in standby.",
        note: DOESNT_STONITH },
    Scenario { valid: true, summary: "recovery taking place: primary STONITHed, secondary silent", primary_healthy: false,
        primary_behaviour: STONITHED,
        secondary_behaviour: "Healthy. The secondary SOP is accepting calls but is not reporting activity anymore to the clients.",
        note: "The recovery is taking place." },
    Scenario { valid: false, summary: "invalid: STONITH flag set on the secondary SOP", primary_healthy: false,
        primary_behaviour: STONITHED,
        secondary_behaviour: "Healthy. The secondary SOP is accepting calls but is not reporting activity anymore to the clients.",
        note: DOESNT_STONITH },
];

/// The table's row for these flags.
pub fn scenario(primary: Flags, secondary: Flags) -> &'static Scenario {
    let index = (primary.smith as usize) << 3
        | (primary.stonith as usize) << 2
        | (secondary.smith as usize) << 1
        | secondary.stonith as usize;
    &TABLE[index]
}

/// The state of a table row: normal OK, valid WARNING, invalid CRITICAL.
pub fn scenario_state(primary: Flags, secondary: Flags) -> State {
    let row = scenario(primary, secondary);
    if !row.valid {
        State::Critical
    } else if primary
        == (Flags {
            smith: false,
            stonith: false,
        })
        && secondary == primary
    {
        State::Ok
    } else {
        State::Warning
    }
}

/// Parses a flag file's content: `0` or `1`, surrounding whitespace allowed.
pub fn parse_flag(content: &str) -> Option<bool> {
    match content.trim() {
        "0" => Some(false),
        "1" => Some(true),
        _ => None,
    }
}

fn read_flag(path: &Path) -> Result<bool, Failure> {
    crate::timeout::set_activity(format!("reading {}", path.display()));
    let content = std::fs::read_to_string(path)
        .map_err(|e| Failure::unknown(format!("cannot read flag file {}: {e}", path.display())))?;
    parse_flag(&content).ok_or_else(|| {
        let shown: String = content.trim().chars().take(20).collect();
        Failure::unknown(format!(
            "flag file {} contains '{shown}', expected 0 or 1",
            path.display()
        ))
    })
}

/// Reads `SMITH` and `STONITH` in `dir`.
pub fn read_flags(dir: &Path) -> Result<Flags, Failure> {
    Ok(Flags {
        smith: read_flag(&dir.join("SMITH"))?,
        stonith: read_flag(&dir.join("STONITH"))?,
    })
}

/// Parses what a peer command prints: either two values in the order SMITH,
/// STONITH (`0 1`, one per line), or named values such as `SMITH=0`,
/// `STONITH: 1` or `grep -H` output (`/opt/mserver/SMITH:0`).
pub fn parse_peer_output(text: &str) -> Result<Flags, String> {
    let mut smith = None;
    let mut stonith = None;
    let mut bare = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let named = line
            .split_once(|c: char| c == '=' || c == ':' || c.is_whitespace())
            .map(|(k, v)| {
                (
                    k.trim().rsplit('/').next().unwrap_or(""),
                    v.trim_start_matches([':', '=']).trim(),
                )
            });
        match named {
            Some((key, value))
                if key.eq_ignore_ascii_case("SMITH") || key.eq_ignore_ascii_case("STONITH") =>
            {
                let flag = parse_flag(value)
                    .ok_or_else(|| format!("{key} is '{value}', expected 0 or 1"))?;
                let slot = if key.eq_ignore_ascii_case("SMITH") {
                    &mut smith
                } else {
                    &mut stonith
                };
                // The same flag twice with two values: which one is the SOP's?
                if slot.is_some_and(|old| old != flag) {
                    return Err(format!(
                        "{} given twice with two values",
                        key.to_ascii_uppercase()
                    ));
                }
                *slot = Some(flag);
            }
            _ => bare.push(line),
        }
    }
    // Named values leave no room for other lines: an ssh warning or error
    // beside them means the output is not (only) the flags.
    if smith.is_some() || stonith.is_some() {
        if let Some(line) = bare.first() {
            return Err(format!(
                "unexpected line '{}' beside the flags",
                crate::output::shorten(line, 60)
            ));
        }
    }
    let bare: Vec<&str> = bare.iter().flat_map(|l| l.split_whitespace()).collect();
    if smith.is_none() && stonith.is_none() {
        if let [s, t] = bare[..] {
            if let (Some(s), Some(t)) = (parse_flag(s), parse_flag(t)) {
                return Ok(Flags {
                    smith: s,
                    stonith: t,
                });
            }
        }
        return Err(
            "expected two flags (SMITH then STONITH, 0 or 1) or SMITH=.. STONITH=.. lines".into(),
        );
    }
    match (smith, stonith) {
        (Some(smith), Some(stonith)) => Ok(Flags { smith, stonith }),
        (None, _) => Err("no SMITH value".into()),
        (_, None) => Err("no STONITH value".into()),
    }
}

/// Where the other SOP's flags come from.
#[derive(Debug, Clone)]
pub enum Peer {
    None,
    Dir(PathBuf),
    /// A command (split like a shell would) that prints the peer's flags.
    Command(String),
}

pub struct Options {
    pub dir: PathBuf,
    pub peer: Peer,
    pub role: Role,
}

fn read_peer(peer: &Peer) -> Result<Option<Flags>, Failure> {
    match peer {
        Peer::None => Ok(None),
        Peer::Dir(dir) => read_flags(dir).map(Some),
        Peer::Command(text) => {
            // A peer that cannot be asked (ssh down, host unreachable) is CRITICAL:
            // a failover pair we cannot see, which the on-call must hear about.
            let out =
                crate::peer::run_command(text, "the peer SOP's flags", crate::deadline::current())?;
            parse_peer_output(&out).map(Some).map_err(|e| {
                Failure::unknown(format!("cannot parse the peer command's output: {e}"))
            })
        }
    }
}

fn flag_perfdata(sop: &str, flags: Flags) -> [Perfdata; 2] {
    [
        Perfdata::new(format!("{sop}_smith"), flags.smith as u8 as f64, Uom::None)
            .min(0.0)
            .max(1.0),
        Perfdata::new(
            format!("{sop}_stonith"),
            flags.stonith as u8 as f64,
            Uom::None,
        )
        .min(0.0)
        .max(1.0),
    ]
}

/// Judges both SOPs' flags with the table.
pub fn evaluate_pair(primary: Flags, secondary: Flags) -> Check {
    let row = scenario(primary, secondary);
    let state = scenario_state(primary, secondary);
    let sop_state = |healthy: bool| if healthy { State::Ok } else { state };
    let mut check = Check::new();
    let mut item = Item::new(state, format!("{} — {}", row.summary, row.note))
        .child(Item::new(
            sop_state(row.primary_healthy),
            format!(
                "primary SOP {}: {}",
                primary.describe(),
                row.primary_behaviour
            ),
        ))
        .child(Item::new(
            State::Ok,
            format!(
                "secondary SOP {}: {}",
                secondary.describe(),
                row.secondary_behaviour
            ),
        ));
    for p in flag_perfdata("primary", primary)
        .into_iter()
        .chain(flag_perfdata("secondary", secondary))
    {
        item = item.perf(p);
    }
    check.item(item);
    check.ok_summary(row.summary).problem_summary(row.summary);
    check
}

/// Judges this SOP's flags alone: what can be concluded without the peer's.
pub fn evaluate_local(role: Role, flags: Flags) -> Check {
    let (state, text) = match (role, flags.smith, flags.stonith) {
        (Role::Primary, false, false) => (State::Ok, "primary SOP accepts calls"),
        (Role::Primary, true, false) => (State::Warning, "primary SOP refuses calls: it did a SMITH"),
        (Role::Primary, false, true) => (
            State::Warning,
            "primary SOP refuses calls: the secondary SOP has STONITHed it",
        ),
        (Role::Primary, true, true) => (
            State::Warning,
            "primary SOP refuses calls: SMITH, and STONITHed by the secondary SOP",
        ),
        (Role::Secondary, _, true) => (
            State::Critical,
            "invalid: STONITH flag set on the secondary SOP (the primary SOP doesn't STONITH the secondary SOP)",
        ),
        (Role::Secondary, true, false) => (
            State::Warning,
            "secondary SOP accepts calls, but its failover mechanism is disabled (deactivated, restore or recovery)",
        ),
        (Role::Secondary, false, false) => (State::Ok, "secondary SOP accepts calls, failover mechanism enabled"),
    };
    let mut item = Item::new(state, format!("{text} ({})", flags.describe()))
        .detail(1, "the peer SOP's flags were not given (--peer-dir or --peer-command): only this SOP is judged");
    for p in flag_perfdata(role.name(), flags) {
        item = item.perf(p);
    }
    let mut check = Check::new();
    check.item(item);
    check.ok_summary(text).problem_summary(text);
    check
}

/// Reads the flags as the options say and judges them.
pub fn check(options: &Options) -> CheckResult {
    let local = read_flags(&options.dir)?;
    let Some(peer) = read_peer(&options.peer)? else {
        return Ok(evaluate_local(options.role, local));
    };
    Ok(match options.role {
        Role::Primary => evaluate_pair(local, peer),
        Role::Secondary => evaluate_pair(peer, local),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(bits: &str) -> (Flags, Flags) {
        let b: Vec<bool> = bits.chars().map(|c| c == '1').collect();
        (
            Flags {
                smith: b[0],
                stonith: b[1],
            },
            Flags {
                smith: b[2],
                stonith: b[3],
            },
        )
    }

    /// Every row of the guide's table: (P SMITH, P STONITH, S SMITH, S STONITH), state, words of its meaning.
    #[test]
    fn all_sixteen_rows_of_the_table() {
        let rows: [(&str, State, &str); 16] = [
            ("0000", State::Ok, "normal operation"),
            ("0001", State::Critical, "doesn't STONITH the secondary"),
            (
                "0010",
                State::Warning,
                "either deactivated or has a problem",
            ),
            ("0011", State::Critical, "doesn't STONITH the secondary"),
            (
                "0100",
                State::Warning,
                "failover mode when the secondary SOP has detected a call",
            ),
            ("0101", State::Critical, "doesn't STONITH the secondary"),
            ("0110", State::Warning, "when a restore is done"),
            ("0111", State::Critical, "doesn't STONITH the secondary"),
            ("1000", State::Warning, "intermediate state"),
            ("1001", State::Critical, "doesn't STONITH the secondary"),
            ("1010", State::Warning, "the recovery started"),
            ("1011", State::Critical, "doesn't STONITH the secondary"),
            (
                "1100",
                State::Warning,
                "occurs when working in failover mode",
            ),
            ("1101", State::Critical, "doesn't STONITH the secondary"),
            ("1110", State::Warning, "recovery is taking place"),
            ("1111", State::Critical, "doesn't STONITH the secondary"),
        ];
        for (bits, state, words) in rows {
            let (p, s) = flags(bits);
            let check = evaluate_pair(p, s);
            assert_eq!(check.state(), state, "row {bits}");
            let text = check.render_text("SMITH_STONITH", 0);
            assert!(text.contains(words), "row {bits}: {text}");
            assert!(text.lines().next().unwrap().len() < 200, "row {bits}");
            let first = text.lines().next().unwrap();
            assert!(
                first.starts_with(&format!("SMITH_STONITH {state} - ")),
                "{first}"
            );
            for (label, bit) in [
                "primary_smith",
                "primary_stonith",
                "secondary_smith",
                "secondary_stonith",
            ]
            .iter()
            .zip(bits.chars())
            {
                assert!(
                    first.contains(&format!("{label}={bit};;;0;1")),
                    "row {bits}: {first}"
                );
            }
        }
    }

    #[test]
    fn primary_health_follows_the_table() {
        let (p, s) = flags("0100");
        let text = evaluate_pair(p, s).render_text("S", 0);
        assert!(
            text.contains("[WARNING] primary SOP SMITH=0 STONITH=1: Not healthy"),
            "{text}"
        );
        assert!(
            text.contains("[OK] secondary SOP SMITH=0 STONITH=0: Healthy."),
            "{text}"
        );
    }

    #[test]
    fn local_flags_only() {
        let f = |smith, stonith| Flags { smith, stonith };
        assert_eq!(
            evaluate_local(Role::Primary, f(false, false)).state(),
            State::Ok
        );
        assert_eq!(
            evaluate_local(Role::Primary, f(true, false)).state(),
            State::Warning
        );
        assert_eq!(
            evaluate_local(Role::Primary, f(false, true)).state(),
            State::Warning
        );
        assert_eq!(
            evaluate_local(Role::Secondary, f(false, false)).state(),
            State::Ok
        );
        assert_eq!(
            evaluate_local(Role::Secondary, f(true, false)).state(),
            State::Warning
        );
        assert_eq!(
            evaluate_local(Role::Secondary, f(false, true)).state(),
            State::Critical
        );
        assert_eq!(
            evaluate_local(Role::Secondary, f(true, true)).state(),
            State::Critical
        );
        let text = evaluate_local(Role::Primary, f(false, true)).render_text("S", 0);
        assert!(text.contains("refuses calls"), "{text}");
        assert!(text.contains("primary_stonith=1;;;0;1"), "{text}");
        assert!(!text.contains("secondary_"), "{text}");
    }

    #[test]
    fn flag_content() {
        assert_eq!(parse_flag("0"), Some(false));
        assert_eq!(parse_flag(" 1\n"), Some(true));
        assert_eq!(parse_flag(""), None);
        assert_eq!(parse_flag("01"), None);
        assert_eq!(parse_flag("yes"), None);
    }

    #[test]
    fn peer_output_forms() {
        let both = |smith, stonith| Ok(Flags { smith, stonith });
        assert_eq!(parse_peer_output("0\n1\n"), both(false, true));
        assert_eq!(parse_peer_output("1 0"), both(true, false));
        assert_eq!(parse_peer_output("SMITH=1\nSTONITH=0\n"), both(true, false));
        assert_eq!(parse_peer_output("STONITH: 1\nSMITH: 0"), both(false, true));
        assert_eq!(
            parse_peer_output("/opt/mserver/SMITH:0\n/opt/mserver/STONITH:1\n"),
            both(false, true)
        );
        assert!(parse_peer_output("").is_err());
        assert!(parse_peer_output("0").is_err());
        assert!(parse_peer_output("SMITH=0")
            .unwrap_err()
            .contains("STONITH"));
        assert!(parse_peer_output("SMITH=2\nSTONITH=0").is_err());
        assert!(
            parse_peer_output("ssh: connect to host sop2 port 22: Connection refused").is_err()
        );
        // Lines that are not flags beside named flags, and a flag given twice.
        assert!(parse_peer_output(
            "Warning: Permanently added 'sop2' to the list of known hosts.\nSMITH=0\nSTONITH=0"
        )
        .unwrap_err()
        .contains("unexpected line 'Warning: Permanently"));
        assert!(parse_peer_output("SMITH=0\nSTONITH=0\nSMITH=1")
            .unwrap_err()
            .contains("SMITH given twice"));
        // The same value twice is still one value.
        assert_eq!(
            parse_peer_output("SMITH=1\nSMITH=1\nSTONITH=0"),
            both(true, false)
        );
        // Three bare values: which two are the flags?
        assert!(parse_peer_output("0 1 1").is_err());
    }
}
