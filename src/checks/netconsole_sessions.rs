//! net.Console sessions on the primary and the secondary SOP, from
//! `mshell ncctl.list` on each (the Escaux guide's recovery procedure, steps 7
//! and 13, and its quick check list: "mshell ncctl.list on both active-active
//! SOP gives the same output").
//!
//! The rules, per session (matched by its id, the user must agree):
//!
//! - it exists on both SOPs; a session missing on one side is CRITICAL, named
//!   by user and id ("Each session must exist on the primary and secondary SOP");
//! - exactly one side is `PASSIVESTATE` ("on one SOP and only one SOP the state
//!   is PASSIVE"): passive on both (nobody serves the receptionist) or on
//!   neither (both think they do) is CRITICAL;
//! - the passive side is the secondary ("On the secondary SOP, the session
//!   should be in PASSIVESTATE"): passive on the primary and serving on the
//!   secondary is the failover mode, WARNING, as check_smith_stonith rates it.
//!
//! Without the peer's list (`--peer-command`/`--peer-input`) only this SOP is
//! judged by its role: on a secondary every session must be `PASSIVESTATE`
//! (CRITICAL otherwise), on a primary none should be (WARNING: failover).
//!
//! The list: `#controllers: N`, then per session `user:U id:I state:S` and
//! `l1:… l2:…` (the call on each line of the console), on one line or two, as
//! the seed shows. `#controllers` must match the sessions read, or the output is
//! not understood (UNKNOWN).

use crate::checks::mshell_bundles::{read_mshell, shell_noise, unreachable_line};
use crate::input::InputArgs;
use crate::output::{join_within, printable, Check, Item};
use crate::peer::{PeerSource, Role};
use crate::perfdata::{Perfdata, Uom};
use crate::runner::{CheckResult, Failure};
use crate::status::State;

/// What `mshell ncctl.list` is run as by default.
pub const DEFAULT_COMMAND: [&str; 2] = ["mshell", "ncctl.list"];

/// The state of a session that the other SOP serves.
pub const PASSIVE: &str = "PASSIVESTATE";
/// The state of a console whose receptionist is logged out.
pub const LOGGED_OUT: &str = "LOGGEDOUTSTATE";

/// One net.Console session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: String,
    pub id: String,
    pub state: String,
    /// The call on line 1 (`null` when none), line 2.
    pub l1: Option<String>,
    pub l2: Option<String>,
}

impl Session {
    pub fn passive(&self) -> bool {
        self.state == PASSIVE
    }
}

/// A parsed `ncctl.list`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionList {
    pub controllers: u64,
    pub sessions: Vec<Session>,
}

const KEYS: [&str; 5] = ["user", "id", "state", "l1", "l2"];

/// Splits `user:a id:b state:c l1:0(Technical test) l2:null` into its fields;
/// a value runs up to the next known key (l1 and l2 may hold spaces).
fn fields(line: &str) -> Option<Vec<(&'static str, String)>> {
    let mut starts: Vec<(usize, &'static str)> = Vec::new();
    for key in KEYS {
        let pattern = format!("{key}:");
        let mut from = 0;
        while let Some(at) = line[from..].find(&pattern) {
            let at = from + at;
            if at == 0 || line[..at].ends_with(char::is_whitespace) {
                starts.push((at, key));
                break;
            }
            from = at + pattern.len();
        }
    }
    starts.sort();
    if starts.first().map(|(at, _)| *at) != Some(0) {
        return None;
    }
    let mut out = Vec::new();
    for (n, (at, key)) in starts.iter().enumerate() {
        let end = starts.get(n + 1).map_or(line.len(), |(next, _)| *next);
        out.push((*key, line[at + key.len() + 1..end].trim().to_string()));
    }
    Some(out)
}

/// Parses the output of `mshell ncctl.list`.
pub fn parse_list(text: &str) -> Result<SessionList, String> {
    let mut controllers = None;
    let mut sessions: Vec<Session> = Vec::new();
    for (number, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if shell_noise(line) {
            continue;
        }
        let not_understood = || {
            format!(
                "line {} not understood: '{}'",
                number + 1,
                printable(line, 60)
            )
        };
        if let Some(rest) = line.strip_prefix("#controllers:") {
            if controllers.is_some() {
                return Err("'#controllers:' appears twice".into());
            }
            controllers = Some(rest.trim().parse::<u64>().map_err(|_| not_understood())?);
            continue;
        }
        if controllers.is_none() {
            // A shell client's banner or the echoed command; '#controllers:' is still required.
            continue;
        }
        let fields = fields(line).ok_or_else(not_understood)?;
        let get = |key: &str| {
            fields
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.clone())
        };
        if fields[0].0 == "user" {
            let (Some(user), Some(id), Some(state)) = (get("user"), get("id"), get("state")) else {
                return Err(format!("{}: user, id and state expected", not_understood()));
            };
            if [&user, &id, &state]
                .iter()
                .any(|v| v.is_empty() || v.contains(char::is_whitespace))
            {
                return Err(not_understood());
            }
            if sessions.iter().any(|s| s.id == id) {
                return Err(format!("session id {} is listed twice", printable(&id, 40)));
            }
            sessions.push(Session {
                user: printable(&user, 40),
                id: printable(&id, 60),
                state: printable(&state, 40),
                l1: get("l1").map(|v| printable(&v, 60)),
                l2: get("l2").map(|v| printable(&v, 60)),
            });
        } else if fields[0].0 == "l1" || fields[0].0 == "l2" {
            // The second line of a session.
            let last = sessions
                .last_mut()
                .filter(|s| s.l1.is_none() && s.l2.is_none())
                .ok_or_else(not_understood)?;
            last.l1 = get("l1").map(|v| printable(&v, 60));
            last.l2 = get("l2").map(|v| printable(&v, 60));
        } else {
            return Err(not_understood());
        }
    }
    let Some(controllers) = controllers else {
        return Err("no '#controllers:' line: not the output of ncctl.list".into());
    };
    if controllers != sessions.len() as u64 {
        return Err(format!(
            "'#controllers: {controllers}' but {} listed",
            crate::output::plural(sessions.len(), "session")
        ));
    }
    Ok(SessionList {
        controllers,
        sessions,
    })
}

fn describe(session: &Session) -> String {
    format!("{} ({})", session.user, session.id)
}

/// Perfdata of one SOP's list: sessions, passive, logged out, logged in (and not passive).
fn sop_perfdata(sop: &str, list: &SessionList, missing: Option<u64>) -> Vec<Perfdata> {
    let count = |f: &dyn Fn(&Session) -> bool| list.sessions.iter().filter(|s| f(s)).count() as f64;
    let mut out = vec![
        Perfdata::new(
            format!("{sop}_sessions"),
            list.sessions.len() as f64,
            Uom::None,
        )
        .min(0.0),
        Perfdata::new(format!("{sop}_passive"), count(&|s| s.passive()), Uom::None).min(0.0),
        Perfdata::new(
            format!("{sop}_logged_out"),
            count(&|s| s.state == LOGGED_OUT),
            Uom::None,
        )
        .min(0.0),
        Perfdata::new(
            format!("{sop}_logged_in"),
            count(&|s| !s.passive() && s.state != LOGGED_OUT),
            Uom::None,
        )
        .min(0.0),
    ];
    if let Some(missing) = missing {
        out.push(Perfdata::new(format!("{sop}_missing"), missing as f64, Uom::None).min(0.0));
    }
    out
}

/// Per-state counts for the `-v` lines: "2 PASSIVESTATE, 1 LOGGEDOUTSTATE".
fn state_counts(list: &SessionList) -> String {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for s in &list.sessions {
        match counts.iter_mut().find(|(state, _)| *state == s.state) {
            Some((_, n)) => *n += 1,
            None => counts.push((s.state.clone(), 1)),
        }
    }
    if counts.is_empty() {
        return "no session".into();
    }
    counts
        .iter()
        .map(|(state, n)| format!("{n} {state}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn finish(check: &mut Check, problems: &[(State, String)], ok: String) {
    check.ok_summary(ok);
    if let Some(worst) = problems
        .iter()
        .map(|(s, _)| *s)
        .max_by_key(|s| s.severity())
    {
        let phrases: Vec<String> = problems
            .iter()
            .filter(|(s, _)| *s == worst)
            .map(|(_, p)| p.clone())
            .collect();
        check.problem_summary(join_within(&phrases, 80));
    }
}

/// Judges both SOPs' lists.
pub fn evaluate_pair(primary: &SessionList, secondary: &SessionList) -> Check {
    let mut check = Check::new();
    let mut problems: Vec<(State, String)> = Vec::new();
    let mut missing_on = [0u64, 0u64]; // primary, secondary
    let find = |list: &SessionList, id: &str| list.sessions.iter().find(|s| s.id == id).cloned();
    let mut ids: Vec<String> = primary.sessions.iter().map(|s| s.id.clone()).collect();
    ids.extend(
        secondary
            .sessions
            .iter()
            .filter(|s| find(primary, &s.id).is_none())
            .map(|s| s.id.clone()),
    );
    for id in &ids {
        let (state, text, short) = match (find(primary, id), find(secondary, id)) {
            (Some(p), None) => {
                missing_on[1] += 1;
                (
                    State::Critical,
                    format!("session {} missing on the secondary SOP ({} on the primary)", describe(&p), p.state),
                    format!("{} missing on the secondary", p.user),
                )
            }
            (None, Some(s)) => {
                missing_on[0] += 1;
                (
                    State::Critical,
                    format!("session {} missing on the primary SOP ({} on the secondary)", describe(&s), s.state),
                    format!("{} missing on the primary", s.user),
                )
            }
            (Some(p), Some(s)) if p.user != s.user => (
                State::Critical,
                format!(
                    "session {id}: user {} on the primary SOP, {} on the secondary",
                    p.user, s.user
                ),
                format!("session of {} / {}: users differ", p.user, s.user),
            ),
            (Some(p), Some(s)) => match (p.passive(), s.passive()) {
                (false, true) => (
                    State::Ok,
                    format!("session {}: {} on the primary SOP, passive on the secondary", describe(&p), p.state),
                    String::new(),
                ),
                (true, false) => (
                    State::Warning,
                    format!(
                        "session {}: served by the secondary SOP ({}), passive on the primary (failover mode)",
                        describe(&p),
                        s.state
                    ),
                    format!("{} served by the secondary (failover)", p.user),
                ),
                (true, true) => (
                    State::Critical,
                    format!("session {}: passive on both SOPs, none serves it", describe(&p)),
                    format!("{} passive on both SOPs", p.user),
                ),
                (false, false) => (
                    State::Critical,
                    format!(
                        "session {}: passive on neither SOP ({} on the primary, {} on the secondary)",
                        describe(&p),
                        p.state,
                        s.state
                    ),
                    format!("{} passive on neither SOP", p.user),
                ),
            },
            (None, None) => continue,
        };
        if state != State::Ok {
            problems.push((state, short));
        }
        check.item(Item::new(state, text));
    }
    for (sop, list, missing) in [
        ("primary", primary, missing_on[0]),
        ("secondary", secondary, missing_on[1]),
    ] {
        for p in sop_perfdata(sop, list, Some(missing)) {
            check.perf(p);
        }
        check.note(format!("{sop} SOP: {}", state_counts(list)));
    }
    check.empty_ok("no net.Console session on either SOP");
    let n = primary.sessions.len();
    finish(
        &mut check,
        &problems,
        format!(
            "{} on both SOPs, passive on the secondary",
            crate::output::plural(n, "session")
        ),
    );
    if ids.is_empty() {
        check.ok_summary("no net.Console session on either SOP");
    }
    check
}

/// Judges this SOP's list alone, by its role.
pub fn evaluate_local(role: Role, list: &SessionList) -> Check {
    let mut check = Check::new();
    let mut problems = Vec::new();
    for s in &list.sessions {
        let (state, text, short) = match (role, s.passive()) {
            (Role::Secondary, true) => (
                State::Ok,
                format!("session {}: passive on the secondary SOP", describe(s)),
                String::new(),
            ),
            (Role::Secondary, false) => (
                State::Critical,
                format!(
                    "session {} is {} on the secondary SOP, expected {PASSIVE}",
                    describe(s),
                    s.state
                ),
                format!("{} {} on the secondary", s.user, s.state),
            ),
            (Role::Primary, false) => (
                State::Ok,
                format!("session {}: {} on the primary SOP", describe(s), s.state),
                String::new(),
            ),
            (Role::Primary, true) => (
                State::Warning,
                format!(
                    "session {} is {PASSIVE} on the primary SOP: served by the secondary (failover mode)",
                    describe(s)
                ),
                format!("{} passive on the primary (failover)", s.user),
            ),
        };
        if state != State::Ok {
            problems.push((state, short));
        }
        check.item(Item::new(state, text));
    }
    check.note(
        "the peer SOP's sessions were not given (--peer-command or --peer-input): only this SOP is judged",
    );
    for p in sop_perfdata(role.name(), list, None) {
        check.perf(p);
    }
    check.note(format!("{} SOP: {}", role.name(), state_counts(list)));
    check.empty_ok(format!("no net.Console session on the {} SOP", role.name()));
    let ok = match role {
        Role::Primary => format!(
            "{} on the primary SOP, none passive",
            crate::output::plural(list.sessions.len(), "session")
        ),
        Role::Secondary => format!(
            "{} on the secondary SOP, all passive",
            crate::output::plural(list.sessions.len(), "session")
        ),
    };
    finish(&mut check, &problems, ok);
    if list.sessions.is_empty() {
        check.ok_summary(format!("no net.Console session on the {} SOP", role.name()));
    }
    check
}

fn parse_or_fail(text: &str, whose: &str) -> Result<SessionList, Failure> {
    parse_list(text).map_err(|e| match unreachable_line(text) {
        Some(line) => Failure::critical(format!(
            "{whose} Application Management Server does not answer: {line}"
        )),
        None => Failure::unknown(format!("cannot parse {whose} session list: {e}")),
    })
}

pub struct Options {
    pub input: InputArgs,
    pub peer: PeerSource,
    pub role: Role,
}

/// Reads both lists as the options say and judges them.
pub fn check(options: &Options) -> CheckResult {
    let deadline = crate::deadline::current();
    // Two commands one after the other: this SOP's takes at most half of the time.
    let local_deadline = match options.peer {
        PeerSource::Command(_) => deadline.share(2),
        _ => deadline,
    };
    let this = format!("this ({}) SOP's", options.role.name());
    let local_text = read_mshell(
        &options.input,
        &DEFAULT_COMMAND,
        &format!("{this} sessions"),
        local_deadline,
    )?;
    let local = parse_or_fail(&local_text, &this)?;
    let peer_whose = format!("the peer ({}) SOP's", options.role.other().name());
    let Some(peer_text) = options
        .peer
        .read(&format!("{peer_whose} sessions"), deadline)?
    else {
        return Ok(evaluate_local(options.role, &local));
    };
    if peer_text.trim().is_empty() {
        return Err(Failure::unknown(format!(
            "cannot read {peer_whose} sessions: the peer printed nothing"
        )));
    }
    let peer = parse_or_fail(&peer_text, &peer_whose)?;
    Ok(match options.role {
        Role::Primary => evaluate_pair(&local, &peer),
        Role::Secondary => evaluate_pair(&peer, &local),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed's output, sessions over two lines.
    const SEED: &str = "#controllers: 2\n\
        user:netconsole6 id:490688df-06e1-42f4-ac96-bfdaaa35b6ef state:LOGGEDOUTSTATE \n\
        l1:null l2:null\n\n\
        user:netconsole4 id:c0f34d7c-173f-43be-8ca1-dcd7750b72f0 state:NEWINCOMINGSTATE \n\
        l1:0(Technical test) l2:null\n";

    fn secondary_of(text: &str) -> String {
        text.replace("LOGGEDOUTSTATE", PASSIVE)
            .replace("NEWINCOMINGSTATE", PASSIVE)
    }

    #[test]
    fn the_seeds_two_line_sessions() {
        let list = parse_list(SEED).unwrap();
        assert_eq!(list.controllers, 2);
        assert_eq!(
            list.sessions[1],
            Session {
                user: "netconsole4".into(),
                id: "c0f34d7c-173f-43be-8ca1-dcd7750b72f0".into(),
                state: "NEWINCOMINGSTATE".into(),
                l1: Some("0(Technical test)".into()),
                l2: Some("null".into()),
            }
        );
    }

    #[test]
    fn one_line_sessions() {
        let one = "#controllers: 1\nuser:a id:x-1 state:IDLESTATE l1:12(Some caller) l2:null\n";
        let list = parse_list(one).unwrap();
        assert_eq!(list.sessions[0].l1.as_deref(), Some("12(Some caller)"));
        let bare = "#controllers: 1\nuser:a id:x-1 state:IDLESTATE\n";
        assert_eq!(parse_list(bare).unwrap().sessions[0].l1, None);
        assert_eq!(parse_list("#controllers: 0\n").unwrap().sessions.len(), 0);
    }

    #[test]
    fn what_is_not_a_session_list() {
        assert!(parse_list("").unwrap_err().contains("#controllers"));
        assert!(parse_list("#controllers: 3\n".to_string().as_str())
            .unwrap_err()
            .contains("'#controllers: 3' but 0 sessions listed"));
        assert!(parse_list("user:a id:b state:c\n").is_err());
        let banner = format!(
            "Connected to localhost.\n-> ncctl.list\n{SEED}Connection closed by foreign host.\n"
        );
        assert_eq!(parse_list(&banner).unwrap(), parse_list(SEED).unwrap());
        assert!(parse_list("#controllers: x\n").is_err());
        let err = parse_list("#controllers: 1\nuser:a id:b state:c\nbanana\x07\n").unwrap_err();
        assert_eq!(err, "line 3 not understood: 'banana\\x07'");
        assert!(parse_list("#controllers: 1\nuser:a state:c\n").is_err());
        assert!(
            parse_list("#controllers: 2\nuser:a id:b state:c\nuser:z id:b state:c\n")
                .unwrap_err()
                .contains("twice")
        );
        assert!(parse_list("#controllers: 1\nl1:null l2:null\n").is_err());
    }

    #[test]
    fn consistent_pair_is_ok() {
        let p = parse_list(SEED).unwrap();
        let s = parse_list(&secondary_of(SEED)).unwrap();
        let check = evaluate_pair(&p, &s);
        assert_eq!(check.state(), State::Ok);
        let text = check.render_text("NETCONSOLE_SESSIONS", 1);
        assert!(text.starts_with("NETCONSOLE_SESSIONS OK - 2 sessions on both SOPs, passive on the secondary | primary_sessions=2;;;0 primary_passive=0;;;0 primary_logged_out=1;;;0 primary_logged_in=1;;;0 primary_missing=0;;;0 secondary_sessions=2;;;0 secondary_passive=2;;;0"), "{text}");
        assert!(text.contains("Note: primary SOP: 1 LOGGEDOUTSTATE, 1 NEWINCOMINGSTATE"));
    }

    #[test]
    fn missing_sessions_are_named() {
        let p = parse_list(SEED).unwrap();
        let s = parse_list(&format!(
            "#controllers: 2\nuser:netconsole6 id:490688df-06e1-42f4-ac96-bfdaaa35b6ef state:{PASSIVE}\n\
             user:netconsole9 id:99 state:{PASSIVE}\n"
        ))
        .unwrap();
        let check = evaluate_pair(&p, &s);
        assert_eq!(check.state(), State::Critical);
        let text = check.render_text("N", 0);
        assert!(text.starts_with("N CRITICAL - netconsole4 missing on the secondary, netconsole9 missing on the primary |"), "{text}");
        assert!(text.contains("[CRITICAL] session netconsole4 (c0f34d7c-173f-43be-8ca1-dcd7750b72f0) missing on the secondary SOP (NEWINCOMINGSTATE on the primary)"));
        assert!(text.contains("primary_missing=1;;;0") && text.contains("secondary_missing=1;;;0"));
    }

    #[test]
    fn exactly_one_side_passive() {
        let p = parse_list(SEED).unwrap();
        // Neither passive: the secondary shows the same states as the primary.
        let check = evaluate_pair(&p, &p);
        assert_eq!(check.state(), State::Critical);
        assert!(check
            .summary()
            .contains("netconsole6 passive on neither SOP"));
        let all_passive = parse_list(&secondary_of(SEED)).unwrap();
        let check = evaluate_pair(&all_passive, &all_passive);
        assert_eq!(check.state(), State::Critical);
        assert!(check.summary().contains("passive on both SOPs"));
        // Reversed: failover mode.
        let check = evaluate_pair(&all_passive, &p);
        assert_eq!(check.state(), State::Warning);
        assert!(check
            .summary()
            .contains("served by the secondary (failover)"));
        // Same id, another user.
        let other = parse_list(&secondary_of(SEED).replace("netconsole6", "netconsole7")).unwrap();
        assert!(evaluate_pair(&p, &other).summary().contains("users differ"));
        // Nobody logged in anywhere.
        let none = parse_list("#controllers: 0\n").unwrap();
        let check = evaluate_pair(&none, &none);
        assert_eq!(check.state(), State::Ok);
        assert_eq!(check.summary(), "no net.Console session on either SOP");
    }

    #[test]
    fn local_only_by_role() {
        let p = parse_list(SEED).unwrap();
        let s = parse_list(&secondary_of(SEED)).unwrap();
        assert_eq!(evaluate_local(Role::Primary, &p).state(), State::Ok);
        assert_eq!(evaluate_local(Role::Secondary, &s).state(), State::Ok);
        let check = evaluate_local(Role::Secondary, &p);
        assert_eq!(check.state(), State::Critical);
        assert!(check
            .summary()
            .starts_with("netconsole6 LOGGEDOUTSTATE on the secondary"));
        assert_eq!(evaluate_local(Role::Primary, &s).state(), State::Warning);
        let text = evaluate_local(Role::Secondary, &s).render_text("N", 0);
        assert!(
            text.starts_with(
                "N OK - 2 sessions on the secondary SOP, all passive | secondary_sessions=2"
            ),
            "{text}"
        );
        assert!(!text.contains("primary_"), "{text}");
    }
}
