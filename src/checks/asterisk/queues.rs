//! `queue show` (1.4's `show queues`): per queue the calls waiting, hold and
//! talk time, completed and abandoned calls, service level, members and their
//! state, callers.
//!
//! app_queue prints, per queue:
//!
//! ```text
//! GeneralQueue has 0 calls (max unlimited) in 'rrmemory' strategy (0s holdtime), W:0, C:0, A:0, SL:0.0% within 0s
//!    Members:
//!       SIP/SDO10003 (dynamic) (Not in use) has taken no calls yet
//!    No Callers
//! ```
//!
//! Asterisk 1.4 pads (and cuts) the name to 12 characters; 13 adds `Ns
//! talktime`; 16+ adds `SL2:…%`, `(ringinuse …)`, `(paused:REASON was N secs
//! ago)`, `(in call)` and `(login was N secs ago)` to member lines, and may
//! colour them (stripped before parsing). "No queues." is an empty listing.
//! Members are `   No Members` or the lines after `   Members:`; callers
//! `      1. CHANNEL (wait: M:SS, prio: P)` after `   Callers:`.

use super::{label, quote, some_names};
use crate::output::{plural, Check, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::status::State;
use crate::threshold::Thresholds;
use std::collections::HashSet;

/// The device states Asterisk prints for members (devicestate.c).
pub const DEVICE_STATES: &[&str] = &[
    "Unknown",
    "Not in use",
    "In use",
    "Busy",
    "Invalid",
    "Unavailable",
    "Ringing",
    "Ring+Inuse",
    "On Hold",
];

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Member {
    pub name: String,
    pub state: String,
    pub paused: bool,
    pub dynamic: bool,
    pub in_call: bool,
}

impl Member {
    /// Can take a call: logged in, not paused, its device neither unavailable nor invalid.
    pub fn available(&self) -> bool {
        !self.paused && self.state != "Unavailable" && self.state != "Invalid"
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Queue {
    pub name: String,
    pub waiting: u64,
    pub max: Option<u64>,
    pub strategy: String,
    pub holdtime: u64,
    pub talktime: Option<u64>,
    pub completed: u64,
    pub abandoned: u64,
    pub service_level: f64,
    pub sl_within: u64,
    pub members: Vec<Member>,
    /// Seconds each listed caller has waited.
    pub callers: Vec<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Listing {
    pub queues: Vec<Queue>,
    /// "No queues." was printed.
    pub none: bool,
    pub garbled: Vec<(usize, String)>,
}

fn num<T: std::str::FromStr>(s: &str) -> Option<T> {
    s.trim().parse().ok()
}

/// The text between `start` and the next `end` after it.
fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let (_, rest) = s.split_once(start)?;
    Some(rest.split_once(end)?.0)
}

/// A queue's first line, or `None` when it is not one.
pub fn parse_header(line: &str) -> Option<Queue> {
    let t = line.trim();
    let (name, rest) = t.split_once(char::is_whitespace)?;
    let rest = rest.trim_start();
    let rest = rest.strip_prefix("has ")?;
    let (waiting, rest) = rest.split_once(' ')?;
    let waiting: u64 = num(waiting)?;
    let max = between(rest, "(max ", ")")?;
    let max = if max == "unlimited" {
        None
    } else {
        Some(num(max)?)
    };
    let strategy = between(rest, "in '", "' strategy")?.to_string();
    let times = between(rest, "strategy (", ")")?;
    let mut holdtime = None;
    let mut talktime = None;
    for part in times.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_suffix("s holdtime") {
            holdtime = num(v);
        } else if let Some(v) = part.strip_suffix("s talktime") {
            talktime = Some(num(v)?);
        }
    }
    let completed = num(between(rest, "C:", ",")?)?;
    let abandoned = num(between(rest, "A:", ",")?)?;
    let service_level: f64 = num(between(rest, "SL:", "%")?)?;
    let within = rest.rsplit_once("within ")?.1.strip_suffix('s')?;
    Some(Queue {
        name: name.to_string(),
        waiting,
        max,
        strategy,
        holdtime: holdtime?,
        talktime,
        completed,
        abandoned,
        service_level: service_level.is_finite().then_some(service_level)?,
        sl_within: num(within)?,
        members: Vec::new(),
        callers: Vec::new(),
    })
}

/// The parenthesised groups of a member line, outermost only.
fn groups(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for c in text.chars() {
        match c {
            '(' => {
                if depth > 0 {
                    current.push(c);
                }
                depth += 1;
            }
            ')' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    out.push(std::mem::take(&mut current));
                } else {
                    current.push(c);
                }
            }
            _ if depth > 0 => current.push(c),
            _ => {}
        }
    }
    out
}

/// A member line, or `None` when it has no device state.
pub fn parse_member(line: &str) -> Option<Member> {
    let t = line.trim();
    let cut = [" (", " with penalty ", " has taken "]
        .iter()
        .filter_map(|p| t.find(p))
        .min()?;
    let name = t[..cut].trim().to_string();
    if name.is_empty() {
        return None;
    }
    let details = t[cut..].split(" has taken ").next().unwrap_or("");
    let groups = groups(details);
    let state = groups
        .iter()
        .rev()
        .find(|g| DEVICE_STATES.contains(&g.as_str()))?
        .clone();
    let paused = groups
        .iter()
        .any(|g| g == "paused" || g.starts_with("paused:") || g.starts_with("paused was"));
    Some(Member {
        name,
        state,
        paused,
        dynamic: groups.iter().any(|g| g == "dynamic"),
        in_call: groups.iter().any(|g| g == "in call"),
    })
}

/// `1. SIP/x-1 (wait: 1:05, prio: 0)` → 65.
fn parse_caller(line: &str) -> Option<u64> {
    let wait = between(line, "(wait: ", ",")?;
    let (m, s) = wait.trim().split_once(':')?;
    let m: u64 = num(m)?;
    let s: u64 = num(s)?;
    m.checked_mul(60)?.checked_add(s)
}

#[derive(Clone, Copy, PartialEq)]
enum Section {
    Outside,
    Head,
    Members,
    Callers,
}

pub fn parse(text: &str) -> Result<Listing, String> {
    let mut listing = Listing::default();
    let mut section = Section::Outside;
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let number = i + 1;
        i += 1;
        let t = line.trim();
        if t.is_empty() {
            section = Section::Outside;
            continue;
        }
        if t == "No queues." {
            listing.none = true;
            continue;
        }
        if t.contains(" has ") && t.contains(" strategy (") {
            // The guide's own copy wraps `SL:… within Ns` onto the next line.
            let mut joined = t.to_string();
            if !joined.contains("within ") {
                if let Some(next) = lines.get(i) {
                    if next.trim_start().starts_with("SL:") {
                        joined = format!("{joined} {}", next.trim());
                        i += 1;
                    }
                }
            }
            match parse_header(&joined) {
                Some(q) => {
                    listing.queues.push(q);
                    section = Section::Head;
                }
                None => {
                    listing.garbled.push((number, quote(line)));
                    section = Section::Outside;
                }
            }
            continue;
        }
        let Some(queue) = listing
            .queues
            .last_mut()
            .filter(|_| section != Section::Outside)
        else {
            listing.garbled.push((number, quote(line)));
            continue;
        };
        if t.starts_with("Members:") {
            section = Section::Members;
        } else if t == "No Members" {
            section = Section::Head;
        } else if t.starts_with("Callers:") {
            section = Section::Callers;
        } else if t == "No Callers" {
            section = Section::Head;
        } else if section == Section::Members {
            match parse_member(t) {
                Some(m) => queue.members.push(m),
                None => listing.garbled.push((number, quote(line))),
            }
        } else if section == Section::Callers {
            match parse_caller(t) {
                Some(wait) => queue.callers.push(wait),
                None => listing.garbled.push((number, quote(line))),
            }
        } else {
            listing.garbled.push((number, quote(line)));
        }
    }
    if listing.queues.is_empty() && !listing.none {
        let first = lines.iter().map(|l| l.trim()).find(|l| !l.is_empty());
        return Err(match first {
            None => "the output is empty: no queue listing".to_string(),
            Some(l) => format!(
                "not a queue listing (no 'NAME has N calls' line): '{}'",
                quote(l)
            ),
        });
    }
    Ok(listing)
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Queues that must exist.
    pub required: Vec<String>,
    pub waiting: Thresholds,
    /// On the queue's average hold time, seconds.
    pub holdtime: Thresholds,
    /// The recovery procedure (step 4): every member must be paused.
    pub expect_paused: bool,
}

/// Finds `name` among the listed queues; Asterisk 1.4 cuts names to 12 characters.
fn find<'a>(queues: &'a [Queue], name: &str) -> Option<&'a Queue> {
    queues.iter().find(|q| q.name == name).or_else(|| {
        queues
            .iter()
            .find(|q| q.name.chars().count() == 12 && name.starts_with(&q.name))
    })
}

pub fn evaluate(listing: &Listing, options: &Options) -> Check {
    let mut check = Check::new();
    for (line, text) in &listing.garbled {
        check.item(Item::new(
            State::Unknown,
            format!("line {line} not understood: '{text}'"),
        ));
    }
    for name in &options.required {
        if find(&listing.queues, name).is_none() {
            check.item(Item::new(
                State::Critical,
                format!("queue {name} is not defined in Asterisk"),
            ));
        }
    }
    if listing.queues.is_empty() {
        check.empty_ok("Asterisk has no queues");
    }
    let mut taken = HashSet::new();
    let mut total_waiting = 0u64;
    let mut members_total = 0usize;
    for q in &listing.queues {
        let lbl = label(&q.name, &mut taken);
        let available = q.members.iter().filter(|m| m.available()).count();
        let paused = q.members.iter().filter(|m| m.paused).count();
        total_waiting = total_waiting.saturating_add(q.waiting);
        members_total += q.members.len();
        let waiting = options
            .waiting
            .judge(format!("{lbl}_waiting"), q.waiting as f64, Uom::None);
        let hold =
            options
                .holdtime
                .judge(format!("{lbl}_holdtime"), q.holdtime as f64, Uom::Seconds);
        let mut text = format!(
            "{}: {} waiting, {} of {} available",
            q.name,
            q.waiting,
            available,
            plural(q.members.len(), "member")
        );
        if paused > 0 {
            text.push_str(&format!(" ({paused} paused)"));
        }
        text.push_str(&format!(
            ", hold {}s, SL {}%",
            q.holdtime,
            crate::range::format_number(q.service_level)
        ));
        let mut item = Item::new(waiting.state.worst(hold.state), text)
            .perf(waiting.perfdata.min(0.0))
            .perf(hold.perfdata.min(0.0));
        if let Some(talk) = q.talktime {
            item = item
                .perf(Perfdata::new(format!("{lbl}_talktime"), talk as f64, Uom::Seconds).min(0.0));
        }
        item = item
            .perf(
                Perfdata::new(format!("{lbl}_completed"), q.completed as f64, Uom::Counter)
                    .min(0.0),
            )
            .perf(
                Perfdata::new(format!("{lbl}_abandoned"), q.abandoned as f64, Uom::Counter)
                    .min(0.0),
            )
            .perf(
                Perfdata::new(format!("{lbl}_sl"), q.service_level, Uom::Percent)
                    .min(0.0)
                    .max(100.0),
            )
            .perf(
                Perfdata::new(format!("{lbl}_members"), q.members.len() as f64, Uom::None).min(0.0),
            )
            .perf(Perfdata::new(format!("{lbl}_available"), available as f64, Uom::None).min(0.0))
            .perf(Perfdata::new(format!("{lbl}_paused"), paused as f64, Uom::None).min(0.0));
        for m in &q.members {
            let flags = [
                m.paused.then_some("paused"),
                m.dynamic.then_some("dynamic"),
                m.in_call.then_some("in call"),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
            let flags = if flags.is_empty() {
                String::new()
            } else {
                format!(", {flags}")
            };
            item = item.detail(1, format!("member {} ({}{flags})", m.name, m.state));
        }
        if let Some(longest) = q.callers.iter().max() {
            item = item.detail(
                1,
                format!(
                    "longest waiting caller: {}",
                    crate::duration::human(*longest as f64)
                ),
            );
        }
        let mut problems = Vec::new();
        if q.waiting as usize != q.callers.len() {
            problems.push(Item::new(
                State::Warning,
                format!(
                    "{} says {} calls but lists {}",
                    q.name,
                    q.waiting,
                    plural(q.callers.len(), "caller")
                ),
            ));
        }
        if q.waiting > 0 && available == 0 {
            problems.push(Item::new(
                State::Critical,
                format!(
                    "{}: {} waiting and no member available{}",
                    q.name,
                    plural(q.waiting as usize, "call"),
                    if q.members.is_empty() {
                        " (no members)".to_string()
                    } else {
                        String::new()
                    }
                ),
            ));
        }
        let invalid: Vec<String> = q
            .members
            .iter()
            .filter(|m| m.state == "Invalid")
            .map(|m| m.name.clone())
            .collect();
        if !invalid.is_empty() {
            problems.push(Item::new(
                State::Warning,
                format!(
                    "{}: member {} Invalid (unknown to Asterisk)",
                    q.name,
                    some_names(&invalid, 3)
                ),
            ));
        }
        if options.expect_paused {
            let unpaused: Vec<String> = q
                .members
                .iter()
                .filter(|m| !m.paused)
                .map(|m| m.name.clone())
                .collect();
            if !unpaused.is_empty() {
                problems.push(Item::new(
                    State::Warning,
                    format!(
                        "{}: {} not paused (recovery step 4: pause or remove them)",
                        q.name,
                        some_names(&unpaused, 3)
                    ),
                ));
            }
        }
        check.item(item);
        for problem in problems {
            check.item(problem);
        }
    }
    let mut summary = format!(
        "{}, {} waiting, {}",
        plural(listing.queues.len(), "queue"),
        total_waiting,
        plural(members_total, "member")
    );
    if options.expect_paused && members_total > 0 {
        summary.push_str(", all paused");
    }
    if !listing.queues.is_empty() {
        check.ok_summary(summary);
    }
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The guide's step 4, as its copy shows it (the SL part wrapped).
    const GUIDE: &str = "GeneralQueue has 0 calls (max unlimited) in 'rrmemory' strategy (0s holdtime), W:0, C:0, A:0, \n\
        SL:0.0% within 0s\n   Members: >\n      SIP/SDO10003 (dynamic) (Not in use) has taken no calls yet\n   No Callers\n\
        RcptQueue4   has 0 calls (max unlimited) in 'ringall' strategy (0s holdtime), W:0, C:0, A:0, \n\
        SL:0.0% within 0s\n   Members: >\n      SIP/SDO10003 (dynamic) (Not in use) has taken no calls yet\n   No Callers\n";

    #[test]
    fn the_guides_listing() {
        let l = parse(GUIDE).unwrap();
        assert!(l.garbled.is_empty(), "{:?}", l.garbled);
        assert_eq!(l.queues.len(), 2);
        assert_eq!(l.queues[1].name, "RcptQueue4");
        assert_eq!(l.queues[0].strategy, "rrmemory");
        let m = &l.queues[0].members[0];
        assert_eq!(
            (m.name.as_str(), m.state.as_str(), m.paused, m.dynamic),
            ("SIP/SDO10003", "Not in use", false, true)
        );
        let check = evaluate(&l, &Options::default());
        assert_eq!(check.state(), State::Ok);
        assert_eq!(check.summary(), "2 queues, 0 waiting, 2 members");
        // Recovery step 4: these members are not paused.
        let check = evaluate(
            &l,
            &Options {
                expect_paused: true,
                ..Options::default()
            },
        );
        assert_eq!(check.state(), State::Warning);
        assert!(
            check.summary().contains("SIP/SDO10003 not paused"),
            "{}",
            check.summary()
        );
    }

    #[test]
    fn current_member_lines() {
        let m = parse_member("PJSIP/SDO10003 (ringinuse disabled) (dynamic) (paused:lunch was 120 secs ago) (Not in use) has taken 3 calls (last was 200 secs ago) (login was 4000 secs ago)").unwrap();
        assert!(m.paused && m.dynamic);
        assert_eq!(m.state, "Not in use");
        let m = parse_member("Alice Smith (PJSIP/1001 from hint:1001@ext) with penalty 2 (ringinuse disabled) (in call) (In use) has taken no calls yet").unwrap();
        assert_eq!(m.name, "Alice Smith");
        assert!(m.in_call && !m.paused);
        assert_eq!(m.state, "In use");
        assert!(parse_member("SIP/x (dynamic) has taken no calls yet").is_none());
        let q = parse_header("support has 2 calls (max 10) in 'ringall' strategy (12s holdtime, 95s talktime), W:0, C:40, A:3, SL:92.5%, SL2:90.7% within 20s").unwrap();
        assert_eq!(
            (
                q.waiting,
                q.max,
                q.holdtime,
                q.talktime,
                q.completed,
                q.abandoned
            ),
            (2, Some(10), 12, Some(95), 40, 3)
        );
        assert_eq!(q.service_level, 92.5);
        assert_eq!(q.sl_within, 20);
    }

    #[test]
    fn calls_waiting_with_nobody_to_take_them_is_critical() {
        let text = "support has 1 calls (max unlimited) in 'ringall' strategy (5s holdtime, 0s talktime), W:0, C:1, A:0, SL:100.0%, SL2:100.0% within 20s\n\
            \x20  Members: \n      PJSIP/1 (ringinuse disabled) (paused was 10 secs ago) (Not in use) has taken no calls yet (login was 9 secs ago)\n\
            \x20     PJSIP/2 (ringinuse disabled) (Unavailable) has taken no calls yet (login was 9 secs ago)\n\
            \x20  Callers: \n      1. PJSIP/trunk-00000001 (wait: 0:42, prio: 0)\n\n";
        let l = parse(text).unwrap();
        assert!(l.garbled.is_empty(), "{:?}", l.garbled);
        assert_eq!(l.queues[0].callers, vec![42]);
        let check = evaluate(&l, &Options::default());
        assert_eq!(check.state(), State::Critical);
        assert!(check
            .render_text("Q", 0)
            .contains("1 call waiting and no member available"));
    }

    #[test]
    fn required_queues_and_empty_listings() {
        let l = parse("No queues.\n").unwrap();
        assert_eq!(evaluate(&l, &Options::default()).state(), State::Ok);
        let o = Options {
            required: vec!["GeneralQueue".into()],
            ..Options::default()
        };
        assert_eq!(evaluate(&l, &o).state(), State::Critical);
        // 1.4 cut this name to 12 characters: still found.
        let l = parse("PersonalQueu has 0 calls (max unlimited) in 'ringall' strategy (0s holdtime), W:0, C:0, A:0, SL:0.0% within 0s\n   No Members\n   No Callers\n").unwrap();
        let o = Options {
            required: vec!["PersonalQueue1".into()],
            ..Options::default()
        };
        assert_eq!(evaluate(&l, &o).state(), State::Ok);
        assert!(parse("").is_err());
        assert!(parse("Unable to do it\n").is_err());
    }
}
