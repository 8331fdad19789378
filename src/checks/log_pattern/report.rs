//! The run's result: the critical and warning match counts against `-c`/`-w`
//! (with the last matching lines shown), one line per file read (missing ones
//! in the `--missing` state, with what the following noticed), and the notes
//! that say what was not read and why.

use super::follow::{Budget, FileReport};
use super::matcher::{display_line, Class, Tally};
use super::{Options, LINE_WIDTH};
use crate::output::{plural, Check, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::status::State;
use crate::threshold::Thresholds;

pub(super) fn result(
    options: &Options,
    tally: &Tally,
    reports: &[FileReport],
    budget: &Budget,
    notes: Vec<String>,
) -> Check {
    let mut check = Check::new();
    let one_file = reports.len() == 1;
    let shown = |class: Class| -> Vec<String> {
        tally
            .shown
            .iter()
            .filter(|e| e.class == class)
            .map(|e| display_line(&e.line, LINE_WIDTH))
            .collect()
    };
    let mut judged_item = |what: &str, count: u64, t: &Thresholds, class: Class| {
        let lines = shown(class);
        let mut text =
            plural(count as usize, &format!("{what} match")).replace("matchs", "matches");
        if let Some(last) = lines.last() {
            let cut: String = last.chars().take(60).collect();
            text.push_str(&format!(", last: {cut}"));
            if cut.len() < last.len() {
                text.push('…');
            }
        }
        let mut item = t
            .judge(format!("{what}_matches"), count as f64, Uom::None)
            .item(text);
        item.perfdata[0] = item.perfdata[0].clone().min(0.0);
        for line in lines {
            item = item.detail(0, line);
        }
        check.item(item);
    };
    judged_item(
        "critical",
        tally.critical,
        &options.critical_count,
        Class::Critical,
    );
    if !options.patterns.warning.is_empty() {
        judged_item(
            "warning",
            tally.warning,
            &options.warning_count,
            Class::Warning,
        );
    }
    for report in reports {
        let state = if report.missing {
            options.missing
        } else {
            State::Ok
        };
        let text = if report.missing {
            format!("{} is missing", report.path)
        } else {
            format!(
                "{}: {} ({}) read",
                report.path,
                plural(report.lines as usize, "new line"),
                plural(report.bytes as usize, "byte")
            )
        };
        let mut item = Item::new(state, text);
        for note in &report.notes {
            item = item.detail(0, note.clone());
        }
        check.item(item);
    }
    for note in notes {
        check.note(note);
    }
    if tally.cleared > 0 {
        check.note(format!(
            "an ok pattern matched {}: earlier matches cleared",
            plural(tally.cleared as usize, "time")
        ));
    }
    if let Some(reason) = &budget.stopped {
        check.note(format!("{reason}: the rest is read next run"));
    }
    let where_ = if one_file {
        format!(" of {}", reports[0].path)
    } else {
        format!(" in {}", plural(reports.len(), "file"))
    };
    let found = tally.critical + tally.warning;
    check.ok_summary(if found == 0 {
        format!(
            "no match in {}{where_}",
            plural(tally.lines as usize, "new line")
        )
    } else {
        format!(
            "{} within the thresholds in {}{where_}",
            plural(found as usize, "match").replace("matchs", "matches"),
            plural(tally.lines as usize, "new line")
        )
    });
    check.perf(Perfdata::new("lines", tally.lines as f64, Uom::None).min(0.0));
    check.perf(Perfdata::new("bytes", tally.bytes as f64, Uom::Bytes).min(0.0));
    check
}
