//! The guide's stale PIDs: the PIDs the daemons recorded (a file, or a
//! command such as a query of Seon's database), read liberally, and each one
//! that no running daemon holds judged CRITICAL with the guide's remedy, since
//! a daemon refuses to start over a stale record.

use super::daemons::pids;
use super::{PidSource, FORCED_MODE_HINT};
use crate::exec::{self, ExecOptions};
use crate::output::{plural, Check, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::proc_match::{describe, identify, Daemon, Table};
use crate::status::State;
use crate::threshold::Thresholds;

/// A PID a daemon recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedPid {
    pub name: String,
    pub pid: i32,
}

/// What the PID source gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    NotGiven,
    Pids {
        origin: String,
        pids: Vec<RecordedPid>,
    },
    /// The source could not be read or parsed: `state` with the reason.
    Failed {
        state: State,
        message: String,
    },
}

/// Parses `name pid` lines, liberally: `name=pid`, `name: pid`, `name,pid`,
/// `name | pid` (psql), `pid name`, several PIDs after a name; comments, blank
/// lines, a header line and psql's `(N rows)` footer are skipped; a name with no
/// PID, or PID 0, recorded nothing.
pub fn parse_recorded(text: &str) -> Result<Vec<RecordedPid>, String> {
    let mut out = Vec::new();
    let mut seen_data = false;
    // A first line of words only is a header, if data follows it.
    let mut header: Option<String> = None;
    for (number, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty()
            || line.starts_with('#')
            || line.chars().all(|c| matches!(c, '-' | '+' | '=' | ' '))
            || (line.starts_with('(') && line.ends_with(')') && line.contains("row"))
        {
            continue;
        }
        if !crate::input::is_printable_name(line) {
            return Err(format!(
                "line {}: '{}' is not text (a binary or damaged file?)",
                number + 1,
                crate::output::one_line(&crate::output::shorten(line, 40))
            ));
        }
        let words: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || matches!(c, '=' | ':' | ',' | '|' | ';'))
            .filter(|w| !w.is_empty())
            .collect();
        let (numbers, names): (Vec<&str>, Vec<&str>) = words
            .iter()
            .partition(|w| w.chars().all(|c| c.is_ascii_digit()));
        match (names.as_slice(), numbers.as_slice()) {
            ([_, ..], []) if !seen_data && header.is_none() && names.len() > 1 => {
                header = Some(format!("line {}: '{line}'", number + 1));
                continue;
            }
            ([_], []) => {} // NULL PID
            ([name], pids) => {
                for pid in pids {
                    let pid: i32 = pid
                        .parse()
                        .map_err(|_| format!("line {}: PID '{pid}' out of range", number + 1))?;
                    if pid > 0 {
                        out.push(RecordedPid {
                            name: name.to_string(),
                            pid,
                        });
                    }
                }
            }
            _ => {
                return Err(format!(
                    "line {}: '{line}' is not a daemon name and a PID",
                    number + 1
                ))
            }
        }
        seen_data = true;
    }
    match header {
        Some(line) if !seen_data => Err(format!("{line} is not a daemon name and a PID")),
        _ => Ok(out),
    }
}

/// Reads the recorded PIDs; failures become a CRITICAL (command failed: the
/// database cannot be asked) or UNKNOWN (unreadable, unparsable) finding.
pub fn read_recorded(source: &PidSource) -> Recorded {
    let (origin, text) = match source {
        PidSource::None => return Recorded::NotGiven,
        PidSource::File(path) => {
            crate::timeout::set_activity(format!("reading {}", path.display()));
            match crate::proc_match::read_list(path) {
                Ok(text) => (format!("file {}", path.display()), text),
                Err(e) => {
                    return Recorded::Failed {
                        state: State::Unknown,
                        message: format!("cannot read the PID file {}: {e}", path.display()),
                    }
                }
            }
        }
        PidSource::Command(command) => {
            let result = exec::split_command(command)
                .and_then(|argv| exec::run(&argv, &ExecOptions::default()).map(|o| (argv, o)));
            match result {
                Err(failure) => {
                    return Recorded::Failed {
                        state: failure.state,
                        message: format!("cannot read the recorded PIDs: {}", failure.message),
                    }
                }
                Ok((argv, out)) if !out.status.success() => {
                    return Recorded::Failed {
                        state: State::Critical,
                        message: format!(
                            "cannot read the recorded PIDs: '{}' failed ({}): {}",
                            argv[0],
                            out.describe_status(),
                            out.first_error_line()
                        ),
                    }
                }
                Ok((_, out)) => (format!("command '{command}'"), out.stdout),
            }
        }
    };
    match parse_recorded(&text) {
        Ok(pids) => Recorded::Pids { origin, pids },
        Err(e) => Recorded::Failed {
            state: State::Unknown,
            message: format!("cannot parse the recorded PIDs from {origin}: {e}"),
        },
    }
}

pub(super) fn judge_recorded(
    recorded: &Recorded,
    names: &[String],
    table: &Table,
    daemons: &[Daemon],
    check: &mut Check,
) {
    let (origin, entries) = match recorded {
        Recorded::NotGiven => return,
        Recorded::Failed { state, message } => {
            check.item(Item::new(*state, message.clone()));
            check.perf(Perfdata::unknown("stale_pids", Uom::None));
            return;
        }
        Recorded::Pids { origin, pids } => (origin, pids),
    };
    let mut stale = 0;
    for entry in entries {
        let mut known: Vec<String> = names.to_vec();
        if !known.contains(&entry.name) {
            known.push(entry.name.clone());
        }
        let now = table.get(entry.pid);
        if now.is_some_and(|p| identify(p, &known) == Some(entry.name.as_str())) {
            continue;
        }
        stale += 1;
        let what = match now {
            None => "no such process".to_string(),
            Some(p) => format!("that PID is now {}", describe(p)),
        };
        let running = daemons
            .iter()
            .find(|d| d.name == entry.name)
            .filter(|d| !d.instances.is_empty());
        let remedy = match running {
            Some(d) => format!(
                "yet {} runs as {}: the recorded PID is out of date; do not start a second {}",
                d.name,
                pids(d),
                d.name
            ),
            None => format!("{} is not running: {FORCED_MODE_HINT}", entry.name),
        };
        check.item(
            Item::new(
                State::Critical,
                format!(
                    "stale PID {} recorded for {} ({what}): {remedy}",
                    entry.pid, entry.name
                ),
            )
            .detail(1, format!("recorded PIDs from {origin}")),
        );
    }
    if entries.is_empty() {
        check.item(
            Item::new(State::Ok, "no PIDs recorded")
                .detail(1, format!("recorded PIDs from {origin}")),
        );
    } else if stale == 0 {
        check.item(
            Item::new(
                State::Ok,
                format!(
                    "{} match running daemons",
                    plural(entries.len(), "recorded PID")
                ),
            )
            .detail(1, format!("recorded PIDs from {origin}")),
        );
    }
    // Each stale PID is its own CRITICAL item; the range says the same.
    check.perf(
        Thresholds::new(None, "0".parse().ok())
            .judge("stale_pids", stale as f64, Uom::None)
            .min(0.0)
            .perfdata,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::seon_daemons::evaluate;
    use crate::checks::seon_daemons::tests::{guide_table, options};

    #[test]
    fn stale_pids() {
        let t = guide_table();
        let recorded = |text: &str| Recorded::Pids {
            origin: "test".into(),
            pids: parse_recorded(text).unwrap(),
        };
        let eval = |r: &Recorded| {
            let c = evaluate(&options(), &t.0, &t.1, &t.2, r);
            (c.state(), c.render_text("S", 0))
        };
        let (state, text) = eval(&recorded("seonrd 3771\nseonrd_tcpip 3772\nseonsqd 3823\n"));
        assert_eq!(state, State::Ok, "{text}");
        assert!(
            text.contains("3 recorded PIDs match running daemons"),
            "{text}"
        );
        assert!(text.contains("stale_pids=0;;0;0"), "{text}");

        // The guide's critical situation: a PID in the database, no process.
        let mut gone = t.clone();
        gone.0.retain(|p| p.pid != 3823);
        let c = evaluate(
            &options(),
            &gone.0,
            &gone.1,
            &gone.2,
            &recorded("seonsqd 3823"),
        );
        let text = c.render_text("S", 0);
        assert_eq!(c.state(), State::Critical);
        assert!(
            text.contains("stale PID 3823 recorded for seonsqd (no such process): seonsqd is not running: start it in forced mode"),
            "{text}"
        );
        assert!(text.contains("stale_pids=1;;0;0"), "{text}");

        // The PID now belongs to another program, while the daemon runs elsewhere.
        let (state, text) = eval(&recorded("seondebugd 3772"));
        assert_eq!(state, State::Critical);
        assert!(
            text.contains("stale PID 3772 recorded for seondebugd (that PID is now PID 3772 (seonrd_tcpip)): yet seondebugd runs as PID 4724"),
            "{text}"
        );
        // A receiver's PID is not the master's, though its comm is seonrd.
        assert_eq!(eval(&recorded("seonrd 3772")).0, State::Critical);

        let failed = Recorded::Failed {
            state: State::Critical,
            message: "cannot read the recorded PIDs: 'psql' failed".into(),
        };
        let (state, text) = eval(&failed);
        assert_eq!(state, State::Critical);
        assert!(text.contains("stale_pids=U"), "{text}");
    }

    #[test]
    fn recorded_pid_formats() {
        let r = |name: &str, pid| RecordedPid {
            name: name.into(),
            pid,
        };
        assert_eq!(
            parse_recorded("# from the database\n\nseonrd 3771\nseonsqd=3823\n seondebugd : 4724 \n3772 seonrd_tcpip\nseonrd_capi_0,3774\n").unwrap(),
            vec![r("seonrd", 3771), r("seonsqd", 3823), r("seondebugd", 4724), r("seonrd_tcpip", 3772), r("seonrd_capi_0", 3774)]
        );
        // psql's aligned output, with a NULL and a zero PID.
        let psql = " daemon      | pid\n-------------+------\n seonrd      | 3771\n seonsqd     |\n seondebugd  | 0\n(3 rows)\n";
        assert_eq!(parse_recorded(psql).unwrap(), vec![r("seonrd", 3771)]);
        assert_eq!(
            parse_recorded("seonsqd 1 2").unwrap(),
            vec![r("seonsqd", 1), r("seonsqd", 2)]
        );
        assert_eq!(parse_recorded("").unwrap(), vec![]);
        assert!(
            parse_recorded("seonrd 3771\nERROR: relation does not exist")
                .unwrap_err()
                .contains("line 2")
        );
        assert!(parse_recorded("3771").is_err());
        assert!(parse_recorded("ERROR: no such table")
            .unwrap_err()
            .contains("line 1: 'ERROR: no such table' is not"));
        assert!(parse_recorded("seonrd 99999999999").is_err());
    }

    #[test]
    fn binary_garbage_is_not_a_name() {
        assert!(parse_recorded("seonrd\u{0} 123\n")
            .unwrap_err()
            .contains("is not text"));
    }
}
