//! The set as a whole, the guide's "only one PRIMARY node and several
//! SECONDARY nodes": its name against `--replica-set`, the members counted by
//! state, their number against `--members`, and exactly one primary, whose
//! last applied write must be recent. Also which member the lag of the others
//! is measured from.

use super::{ms_round, secs, Member, Options, Problems, Status};
use crate::duration::human;
use crate::output::{plural, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::status::State;

/// The set's name, when the caller says which set this must be.
pub(super) fn name_item(
    status: &Status,
    options: &Options,
    problems: &mut Problems,
) -> Option<Item> {
    let expected = options.replica_set.as_ref()?;
    let (state, text) = match &status.set {
        Some(name) if name == expected => (State::Ok, format!("replica set {name}")),
        Some(name) => (
            State::Critical,
            format!("replica set is {name}, expected {expected}"),
        ),
        None => (
            State::Critical,
            format!("no set name in the status, expected {expected}"),
        ),
    };
    problems.add(state, text.clone());
    Some(Item::new(state, text))
}

/// The members by state: healthy ones only; anything else is "other".
pub(super) struct Counts {
    pub(super) members: usize,
    pub(super) primaries: usize,
    pub(super) secondaries: usize,
    pub(super) arbiters: usize,
    pub(super) others: usize,
}

impl Counts {
    pub(super) fn of(status: &Status) -> Counts {
        let count = |state: &str| {
            status
                .members
                .iter()
                .filter(|m| m.healthy && m.state == state)
                .count()
        };
        let (primaries, secondaries, arbiters) =
            (count("PRIMARY"), count("SECONDARY"), count("ARBITER"));
        Counts {
            members: status.members.len(),
            primaries,
            secondaries,
            arbiters,
            others: status.members.len() - primaries - secondaries - arbiters,
        }
    }

    /// `members`, `primary`, `secondary`, `arbiter` and `other`.
    pub(super) fn perfdata(&self) -> [Perfdata; 5] {
        [
            Perfdata::new("members", self.members as f64, Uom::None).min(0.0),
            Perfdata::new("primary", self.primaries as f64, Uom::None).min(0.0),
            Perfdata::new("secondary", self.secondaries as f64, Uom::None).min(0.0),
            Perfdata::new("arbiter", self.arbiters as f64, Uom::None).min(0.0),
            Perfdata::new("other", self.others as f64, Uom::None).min(0.0),
        ]
    }
}

/// `--members N`: fewer is CRITICAL, more is WARNING.
pub(super) fn member_count_item(
    status: &Status,
    options: &Options,
    problems: &mut Problems,
) -> Option<Item> {
    let expected = options.expected_members?;
    let n = status.members.len();
    let state = match n.cmp(&expected) {
        std::cmp::Ordering::Less => State::Critical,
        std::cmp::Ordering::Greater => State::Warning,
        std::cmp::Ordering::Equal => State::Ok,
    };
    let text = if state == State::Ok {
        format!("{} (as expected)", plural(n, "member"))
    } else {
        format!("{}, expected {expected}", plural(n, "member"))
    };
    problems.add(state, text.clone());
    Some(Item::new(state, text))
}

/// The healthy primaries: exactly one is expected.
pub(super) fn primaries(status: &Status) -> Vec<&Member> {
    status
        .members
        .iter()
        .filter(|m| m.healthy && m.state == "PRIMARY")
        .collect()
}

/// What lag is measured from, with its optime: the primary (the most advanced
/// of two); with none (an election), the most advanced secondary, as
/// `rs.printSecondaryReplicationInfo()` does.
pub(super) fn reference<'a>(
    status: &'a Status,
    primaries: &[&'a Member],
) -> Option<(i64, &'a Member)> {
    primaries
        .iter()
        .filter_map(|m| m.optime_ms.map(|t| (t, *m)))
        .max_by_key(|(t, _)| *t)
        .or_else(|| {
            status
                .members
                .iter()
                .filter(|m| m.healthy && m.state == "SECONDARY")
                .filter_map(|m| m.optime_ms.map(|t| (t, m)))
                .max_by_key(|(t, _)| *t)
        })
}

/// The primary's line: none or several is CRITICAL; one is judged by the age
/// of its last applied write. `primary_applied_age` is always published.
pub(super) fn primary_item(
    set: &str,
    primaries: &[&Member],
    reference: Option<(i64, &Member)>,
    now: i64,
    options: &Options,
    problems: &mut Problems,
) -> Item {
    let applied_label = "primary_applied_age";
    match primaries {
        [] => {
            problems.add(State::Critical, "no primary".into());
            let mut item = Item::new(State::Critical, format!("{set}: no primary"));
            if let Some((_, m)) = reference {
                item = item.detail(
                    1,
                    format!("lag measured from the most advanced member, {}", m.name),
                );
            }
            item.perf(options.applied.unmeasured(applied_label, Uom::Seconds))
        }
        [primary] => {
            let applied = primary.last_applied_ms.or(primary.optime_ms);
            match applied {
                Some(ms) => {
                    let age = secs(ms, now).max(0.0);
                    // A whole number of milliseconds: rounding leaves it as it is.
                    let judged = options
                        .applied
                        .judge(applied_label, ms_round(age), Uom::Seconds)
                        .min(0.0);
                    problems.add(
                        judged.state,
                        format!("primary last applied a write {} ago", human(age)),
                    );
                    judged.item(format!(
                        "{set}: primary {}, last write applied {} ago",
                        primary.name,
                        human(age)
                    ))
                }
                None => Item::new(
                    State::Ok,
                    format!("{set}: primary {} (no lastAppliedWallTime)", primary.name),
                )
                .perf(options.applied.unmeasured(applied_label, Uom::Seconds)),
            }
        }
        several => {
            let names: Vec<&str> = several.iter().map(|m| m.name.as_str()).collect();
            problems.add(
                State::Critical,
                format!("{} primaries ({})", several.len(), names.join(", ")),
            );
            Item::new(
                State::Critical,
                format!("{set}: {} primaries: {}", several.len(), names.join(", ")),
            )
            .perf(options.applied.unmeasured(applied_label, Uom::Seconds))
        }
    }
}
