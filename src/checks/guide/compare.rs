//! `--compare BEFORE.json`: what changed between two runs of a guide, e.g.
//! before and after an upgrade. "No new issues" is the answer the upgrade
//! procedure wants; anything else is a list of regressions.

use super::record::{EntryResult, RunRecord};
use crate::perfdata;
use crate::status::State;
use serde::Serialize;

/// One difference between the runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// The entry's state got worse (a regression at the new state).
    Worse { from: Option<State>, to: State },
    /// The entry's state got better.
    Better { from: State, to: State },
    /// A long-output line that was not there before; a regression when it is a
    /// problem line (`[WARNING] …`, `[CRITICAL] …`, `[UNKNOWN] …`).
    NewLine { line: String, state: State },
    /// A metric moved by more than `--drift` percent (a WARNING regression).
    Drift {
        label: String,
        before: f64,
        after: f64,
        percent: Option<f64>,
    },
    /// The entry ran before and is not in this run (or was skipped).
    Gone,
    /// The entry is new in this run.
    Added { state: Option<State> },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryChange {
    pub id: String,
    pub title: String,
    pub change: Change,
    /// The state this change gives the comparison (OK when it is no regression).
    pub state: State,
}

impl EntryChange {
    pub fn is_regression(&self) -> bool {
        self.state != State::Ok
    }

    /// One line for people: "Global status: OK → CRITICAL".
    pub fn describe(&self) -> String {
        let what = match &self.change {
            Change::Worse { from, to } => format!(
                "{} → {to}",
                from.map_or("skipped".to_string(), |s| s.to_string())
            ),
            Change::Better { from, to } => format!("{from} → {to} (improved)"),
            Change::NewLine { line, .. } => format!("new: {}", line.trim()),
            Change::Drift {
                label,
                before,
                after,
                percent,
            } => match percent {
                Some(p) => format!("{label} moved {p:.0}% ({before} → {after})"),
                None => format!("{label} moved from 0 to {after}"),
            },
            Change::Gone => "no longer run".to_string(),
            Change::Added { state } => match state {
                Some(s) => format!("new check, {s}"),
                None => "new check, skipped".to_string(),
            },
        };
        format!("{}: {what}", self.title)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub before_started: String,
    pub after_started: String,
    pub compared: usize,
    pub changes: Vec<EntryChange>,
}

impl Comparison {
    pub fn regressions(&self) -> impl Iterator<Item = &EntryChange> {
        self.changes.iter().filter(|c| c.is_regression())
    }

    /// The worst regression's state; OK when there is none.
    pub fn state(&self) -> State {
        State::worst_of(self.regressions().map(|c| c.state))
    }

    /// "no new issues" or the regressions.
    pub fn summary(&self) -> String {
        let regressions: Vec<String> = self.regressions().map(|c| c.describe()).collect();
        if regressions.is_empty() {
            let improved = self
                .changes
                .iter()
                .filter(|c| matches!(c.change, Change::Better { .. }))
                .count();
            let mut text = format!(
                "no new issues: {} checks compared with the run of {}",
                self.compared, self.before_started
            );
            if improved > 0 {
                text.push_str(&format!(", {improved} improved"));
            }
            text
        } else {
            let refs: Vec<&str> = regressions.iter().map(String::as_str).collect();
            format!(
                "{} since {}: {}",
                crate::output::plural(regressions.len(), "regression"),
                self.before_started,
                super::record::shorten_list(&refs, 60)
            )
        }
    }
}

/// The state written in a suite plugin's long output line, `[CRITICAL] …` (also
/// indented, `\_ [WARNING] …`).
fn line_state(line: &str) -> Option<State> {
    let line = line.trim_start().trim_start_matches("\\_").trim_start();
    let rest = line.strip_prefix('[')?;
    let (word, _) = rest.split_once(']')?;
    word.parse().ok()
}

fn metrics(entry: &EntryResult) -> Vec<(String, f64)> {
    entry
        .perfdata
        .iter()
        .filter_map(|text| perfdata::parse(text).ok())
        .flatten()
        .filter_map(|p| p.value.map(|v| (p.label, v)))
        .collect()
}

/// Compares `after` with `before`. `drift` (percent) turns on the perfdata comparison.
pub fn compare(before: &RunRecord, after: &RunRecord, drift: Option<f64>) -> Comparison {
    let mut changes = Vec::new();
    let mut compared = 0;
    let change = |e: &EntryResult, change: Change, state: State| EntryChange {
        id: e.id.clone(),
        title: e.title.clone(),
        change,
        state,
    };
    for now in &after.entries {
        let Some(then) = before.entries.iter().find(|b| b.id == now.id) else {
            let state = now.state.filter(|s| *s != State::Ok).unwrap_or(State::Ok);
            changes.push(change(now, Change::Added { state: now.state }, state));
            continue;
        };
        let Some(now_state) = now.state else {
            if then.state.is_some() {
                changes.push(change(now, Change::Gone, State::Unknown));
            }
            continue;
        };
        compared += 1;
        match then.state {
            Some(then_state) if now_state.severity() > then_state.severity() => {
                changes.push(change(
                    now,
                    Change::Worse {
                        from: Some(then_state),
                        to: now_state,
                    },
                    now_state,
                ))
            }
            Some(then_state) if now_state.severity() < then_state.severity() => {
                changes.push(change(
                    now,
                    Change::Better {
                        from: then_state,
                        to: now_state,
                    },
                    State::Ok,
                ))
            }
            None if now_state != State::Ok => changes.push(change(
                now,
                Change::Worse {
                    from: None,
                    to: now_state,
                },
                now_state,
            )),
            _ => {}
        }
        for line in &now.long_output {
            if line.trim().is_empty() || then.long_output.contains(line) {
                continue;
            }
            let state = line_state(line).unwrap_or(State::Ok);
            changes.push(change(
                now,
                Change::NewLine {
                    line: line.clone(),
                    state,
                },
                state,
            ));
        }
        if let Some(limit) = drift {
            let old = metrics(then);
            for (label, value) in metrics(now) {
                let Some((_, was)) = old.iter().find(|(l, _)| *l == label) else {
                    continue;
                };
                let percent = (*was != 0.0).then(|| ((value - was) / was).abs() * 100.0);
                let moved = match percent {
                    Some(p) => p > limit,
                    None => value != 0.0,
                };
                if moved {
                    changes.push(change(
                        now,
                        Change::Drift {
                            label: format!("{}::{label}", now.id),
                            before: *was,
                            after: value,
                            percent,
                        },
                        State::Warning,
                    ));
                }
            }
        }
    }
    for then in &before.entries {
        if then.state.is_some() && !after.entries.iter().any(|a| a.id == then.id) {
            changes.push(change(then, Change::Gone, State::Unknown));
        }
    }
    Comparison {
        before_started: before.started.clone(),
        after_started: after.started.clone(),
        compared,
        changes,
    }
}

#[cfg(test)]
mod tests {
    use super::super::record::{Status, FORMAT};
    use super::*;

    fn entry(id: &str, state: State, lines: &[&str], perf: &[&str]) -> EntryResult {
        EntryResult {
            id: id.into(),
            title: id.to_uppercase(),
            source: String::new(),
            command: vec!["x".into()],
            status: Status::Ran,
            state: Some(state),
            duration_s: 0.1,
            first_line: format!("X {state} - fine"),
            long_output: lines.iter().map(|s| s.to_string()).collect(),
            perfdata: perf.iter().map(|s| s.to_string()).collect(),
            notes: vec![],
        }
    }

    fn record(entries: Vec<EntryResult>) -> RunRecord {
        RunRecord {
            format: FORMAT.into(),
            guide: "g".into(),
            guide_file: "/g.toml".into(),
            title: "G".into(),
            host: None,
            started: "2026-12-01T19:00:00Z".into(),
            duration_s: 1.0,
            jobs: 4,
            state: State::Ok,
            summary: String::new(),
            entries,
        }
    }

    #[test]
    fn unchanged_runs_have_no_new_issues() {
        let before = record(vec![entry("a", State::Ok, &["[OK] x"], &["t=1s"])]);
        let c = compare(&before, &before.clone(), Some(10.0));
        assert_eq!(c.state(), State::Ok);
        assert!(
            c.summary().starts_with("no new issues: 1 checks compared"),
            "{}",
            c.summary()
        );
    }

    #[test]
    fn regressions_improvements_new_lines_and_drift() {
        let before = record(vec![
            entry("a", State::Ok, &["[OK] db master em1"], &["conn=10"]),
            entry("b", State::Critical, &[], &[]),
            entry("c", State::Warning, &["[WARNING] cpu 85%"], &["cpu=85%"]),
            entry("gone", State::Ok, &[], &[]),
        ]);
        let after = record(vec![
            entry(
                "a",
                State::Critical,
                &["[OK] db master em1", "[CRITICAL] db master em2"],
                &["conn=10"],
            ),
            entry("b", State::Ok, &[], &[]),
            entry(
                "c",
                State::Warning,
                &["[WARNING] cpu 85%", "[WARNING] swap 50%"],
                &["cpu=95%"],
            ),
        ]);
        let c = compare(&before, &after, Some(10.0));
        assert_eq!(c.state(), State::Critical);
        let described: Vec<String> = c.changes.iter().map(|c| c.describe()).collect();
        assert!(
            described.contains(&"A: OK → CRITICAL".to_string()),
            "{described:?}"
        );
        assert!(
            described.contains(&"A: new: [CRITICAL] db master em2".to_string()),
            "{described:?}"
        );
        assert!(
            described.contains(&"B: CRITICAL → OK (improved)".to_string()),
            "{described:?}"
        );
        assert!(
            described.contains(&"C: new: [WARNING] swap 50%".to_string()),
            "{described:?}"
        );
        assert!(
            described.contains(&"C: c::cpu moved 12% (85 → 95)".to_string()),
            "{described:?}"
        );
        assert!(
            described.contains(&"GONE: no longer run".to_string()),
            "{described:?}"
        );
        let better = c.changes.iter().find(|c| c.id == "b").unwrap();
        assert!(!better.is_regression());
        assert!(
            c.summary()
                .starts_with("5 regressions since 2026-12-01T19:00:00Z: A: OK → CRITICAL"),
            "{}",
            c.summary()
        );
        // Without --drift, perfdata is not compared.
        let c = compare(&before, &after, None);
        assert!(!c
            .changes
            .iter()
            .any(|c| matches!(c.change, Change::Drift { .. })));
    }
}
