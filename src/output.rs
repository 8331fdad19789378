//! A check result as a tree of items, and its two renderings.
//!
//! A plugin builds a [`Check`]: items (one per member, host, daemon...), each
//! with a state, a line of text, optional detail lines shown at `-v`, perfdata
//! and child items. The overall state is the worst of the items. Text output
//! follows the plugin API: `NAME STATE - summary | perfdata`, then one line per
//! item, worst first. JSON output carries the same tree for tests and tools.

use crate::perfdata::Perfdata;
use crate::status::State;
use serde::Serialize;

/// Roughly how long the summary may grow before further problems are counted, not listed.
const SUMMARY_BUDGET: usize = 80;

/// The most bytes [`Check::render_text`] prints (line one, long output and the
/// final newline), so that NRPE carries the output whole. NRPE 3 and 4 read a
/// plugin's output into a 64 KiB buffer and drop the rest mid-line; through
/// Debian's NRPE 4.1.0 and check_nrpe (v4 packets) 65504 bytes arrived, not
/// 65535 (measured with a longer output, tests/packaging.rs), so the cap keeps
/// a margin below that.
/// NRPE's old v2 packets carry 1023 bytes (check_nrpe -2, not the default since
/// NRPE 3); Nagios Core and Icinga 2 take more. Within this cap the plugin
/// itself drops whole long-output lines from the end (the least severe items,
/// as items are sorted worst first) and says how many, so line one, with the
/// state, the summary and all the perfdata, always arrives whole.
pub const OUTPUT_LIMIT: usize = 64000;

/// One thing the check judged (a member, a host, a daemon), with its children.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Item {
    /// The item's own state (its children may make it worse: [`Item::effective_state`]).
    pub state: State,
    /// The item's line in the long output.
    pub text: String,
    /// Extra lines shown only at the given verbosity (1..=3).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<(u8, String)>,
    /// Perfdata of this item, rendered on line one with the rest.
    pub perfdata: Vec<Perfdata>,
    /// Sub-items, shown indented under this one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Item>,
}

impl Item {
    /// An item with a state and a line of text.
    pub fn new(state: State, text: impl Into<String>) -> Item {
        Item {
            state,
            text: text.into(),
            ..Item::default()
        }
    }

    /// Adds a perfdata value.
    pub fn perf(mut self, perfdata: Perfdata) -> Self {
        self.perfdata.push(perfdata);
        self
    }

    /// A line shown at `-v` (level 1) or more (`-vv` = 2, `-vvv` = 3).
    pub fn detail(mut self, level: u8, text: impl Into<String>) -> Self {
        self.details.push((level, text.into()));
        self
    }

    /// Adds a sub-item.
    pub fn child(mut self, child: Item) -> Self {
        self.children.push(child);
        self
    }

    /// The item's own state or the worst of its children's, whichever is worse.
    pub fn effective_state(&self) -> State {
        self.children
            .iter()
            .map(Item::effective_state)
            .fold(self.state, State::worst)
    }
}

/// A plugin's result: items, perfdata, summaries and notes; rendered by the runner.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Check {
    /// The items, in the order the check found them (rendered worst first).
    pub items: Vec<Item>,
    /// Perfdata that belongs to the check as a whole (counts, totals).
    pub perfdata: Vec<Perfdata>,
    /// The summary when everything is OK (e.g. "7 keep-alives fresh").
    pub ok_summary: Option<String>,
    /// Replaces the generated problem summary when set.
    pub problem_summary: Option<String>,
    /// Remarks that change no state (e.g. "state file was reset").
    pub notes: Vec<String>,
    /// A state the check has whatever its items say (a run that failed as a whole).
    pub fixed_state: Option<State>,
    /// The `-vvv` trace: the steps the plugin took, with their times.
    #[serde(skip)]
    pub trace: Vec<String>,
    /// Set by [`Check::empty_ok`]: what an empty result means when it is fine.
    /// Without it, a check with no items is UNKNOWN: nothing was checked.
    #[serde(skip)]
    pub empty_ok: Option<String>,
}

impl Check {
    /// An empty result (UNKNOWN until items are added or [`Check::empty_ok`] is called).
    pub fn new() -> Check {
        Check::default()
    }

    /// A check that could not be carried out: `state` with `message` as its summary.
    pub fn failed(state: State, message: impl Into<String>) -> Check {
        Check {
            fixed_state: Some(state),
            problem_summary: Some(message.into()),
            ..Check::default()
        }
    }

    /// Adds an item.
    pub fn item(&mut self, item: Item) -> &mut Self {
        self.items.push(item);
        self
    }

    /// Adds perfdata that belongs to the whole check (a count, a total).
    pub fn perf(&mut self, perfdata: Perfdata) -> &mut Self {
        self.perfdata.push(perfdata);
        self
    }

    /// The summary when everything is OK.
    pub fn ok_summary(&mut self, text: impl Into<String>) -> &mut Self {
        self.ok_summary = Some(text.into());
        self
    }

    /// The summary when something is not (replaces the list of the worst items).
    pub fn problem_summary(&mut self, text: impl Into<String>) -> &mut Self {
        self.problem_summary = Some(text.into());
        self
    }

    /// Adds a remark that changes no state.
    pub fn note(&mut self, text: impl Into<String>) -> &mut Self {
        self.notes.push(text.into());
        self
    }

    /// Says that a result with no items is OK here, and what it means
    /// ("no session in progress"). Without this call an empty check is UNKNOWN,
    /// so a parser that recognised nothing can never pass for a healthy host.
    pub fn empty_ok(&mut self, text: impl Into<String>) -> &mut Self {
        self.empty_ok = Some(text.into());
        self
    }

    /// Adds a line to the `-vvv` trace (the runner adds the recorded steps).
    pub fn trace(&mut self, line: impl Into<String>) -> &mut Self {
        self.trace.push(line.into());
        self
    }

    /// Perfdata labels are how graphs find their series: two metrics under one
    /// label (a name given twice, or `x=y` and `x'y`, equal once cleaned)
    /// would mix them. Such a result is refused: UNKNOWN, naming the label.
    pub fn refuse_duplicate_labels(&mut self) {
        let mut seen = std::collections::HashSet::new();
        let duplicate = self
            .all_perfdata()
            .into_iter()
            .map(|p| p.label.clone())
            .find(|label| !seen.insert(label.clone()));
        let Some(label) = duplicate else {
            return;
        };
        let message = format!(
            "two metrics share the perfdata label '{label}' (names that differ only in \
             characters a label cannot hold, or a name given twice): rename one"
        );
        // No perfdata at all rather than two series mixed under one label.
        fn strip(item: &mut Item) {
            item.perfdata.clear();
            item.children.iter_mut().for_each(strip);
        }
        self.perfdata.clear();
        self.items.iter_mut().for_each(strip);
        if matches!(self.state(), State::Critical | State::Warning) {
            // Refusing the labels never hides a page.
            self.notes.push(message);
        } else {
            self.fixed_state = Some(State::Unknown);
            self.problem_summary = Some(message);
        }
    }

    fn nothing_checked(&self) -> bool {
        self.items.is_empty() && self.fixed_state.is_none() && self.empty_ok.is_none()
    }

    /// The state of the whole check: the worst item's, or the fixed state if
    /// worse; UNKNOWN when nothing was checked (see [`Check::empty_ok`]).
    pub fn state(&self) -> State {
        if self.nothing_checked() {
            return State::Unknown;
        }
        let items = State::worst_of(self.items.iter().map(Item::effective_state));
        self.fixed_state.map_or(items, |fixed| fixed.worst(items))
    }

    /// The one-line summary: the OK text, or the worst items' texts.
    pub fn summary(&self) -> String {
        let state = self.state();
        if self.nothing_checked() {
            return self
                .problem_summary
                .clone()
                .unwrap_or_else(|| "nothing was checked".to_string());
        }
        if state == State::Ok {
            if self.items.is_empty() {
                if let Some(text) = &self.empty_ok {
                    return self.ok_summary.clone().unwrap_or_else(|| text.clone());
                }
            }
            return self.ok_summary.clone().unwrap_or_else(|| {
                format!("{} checked, all OK", plural(self.items.len(), "item"))
            });
        }
        if let Some(text) = &self.problem_summary {
            return text.clone();
        }
        let worst: Vec<&str> = self
            .items
            .iter()
            .filter(|i| i.effective_state() == state)
            .map(|i| i.text.as_str())
            .collect();
        let mut summary = String::new();
        for (shown, text) in worst.iter().enumerate() {
            let extra = if summary.is_empty() {
                text.len()
            } else {
                text.len() + 2
            };
            if !summary.is_empty() && summary.len() + extra > SUMMARY_BUDGET {
                summary.push_str(&format!(" and {} more", worst.len() - shown));
                break;
            }
            if !summary.is_empty() {
                summary.push_str(", ");
            }
            summary.push_str(text);
        }
        summary
    }

    /// All perfdata, the check's own first, then the items' in the order they were added.
    pub fn all_perfdata(&self) -> Vec<&Perfdata> {
        fn walk<'a>(item: &'a Item, out: &mut Vec<&'a Perfdata>) {
            out.extend(item.perfdata.iter());
            for child in &item.children {
                walk(child, out);
            }
        }
        let mut out: Vec<&Perfdata> = self.perfdata.iter().collect();
        for item in &self.items {
            walk(item, &mut out);
        }
        out
    }

    /// The plugin API text: first line with summary and perfdata, then long output.
    pub fn render_text(&self, service: &str, verbosity: u8) -> String {
        let state = self.state();
        let mut out = format!("{service} {state} - {}", one_line(&self.summary()));
        let perf: Vec<String> = self.all_perfdata().iter().map(|p| p.to_string()).collect();
        if !perf.is_empty() {
            out.push_str(" | ");
            out.push_str(&perf.join(" "));
        }
        out.push('\n');
        let mut items: Vec<&Item> = self.items.iter().collect();
        items.sort_by_key(|i| std::cmp::Reverse(i.effective_state().severity()));
        for item in items {
            render_item(item, 0, verbosity, &mut out);
        }
        for note in &self.notes {
            out.push_str(&format!("Note: {}\n", one_line(note)));
        }
        if verbosity >= 3 {
            for line in &self.trace {
                out.push_str(&format!("Trace: {}\n", one_line(line)));
            }
        }
        cap_output(out, OUTPUT_LIMIT)
    }

    /// The same result as JSON, for tests and tools that want structure.
    pub fn render_json(&self, service: &str) -> String {
        #[derive(Serialize)]
        struct Doc<'a> {
            service: &'a str,
            state: State,
            exit_code: i32,
            summary: String,
            items: &'a [Item],
            perfdata: &'a [Perfdata],
            notes: &'a [String],
        }
        let state = self.state();
        let doc = Doc {
            service,
            state,
            exit_code: state.exit_code(),
            summary: self.summary(),
            items: &self.items,
            perfdata: &self.perfdata,
            notes: &self.notes,
        };
        serde_json::to_string_pretty(&doc).expect("a check result always serializes") + "\n"
    }
}

fn render_item(item: &Item, depth: usize, verbosity: u8, out: &mut String) {
    let indent = "  ".repeat(depth);
    let marker = if depth == 0 { "" } else { "\\_ " };
    out.push_str(&format!(
        "{indent}{marker}[{}] {}\n",
        item.effective_state(),
        one_line(&item.text)
    ));
    for (level, detail) in &item.details {
        if *level <= verbosity {
            out.push_str(&format!("{indent}    {}\n", one_line(detail)));
        }
    }
    let mut children: Vec<&Item> = item.children.iter().collect();
    children.sort_by_key(|i| std::cmp::Reverse(i.effective_state().severity()));
    for child in children {
        render_item(child, depth + 1, verbosity, out);
    }
}

/// Keeps `text` (plugin output, each line ending in `\n`) within `limit`
/// bytes: line one whole, then as many whole long-output lines as fit with a
/// last line saying how many were left out. Line one alone may exceed the
/// limit (it is never cut: its perfdata would be wrong); the summary is
/// budgeted, so only thousands of perfdata values could make it so.
fn cap_output(text: String, limit: usize) -> String {
    if text.len() <= limit {
        return text;
    }
    let mut lines = text.split_inclusive('\n');
    let mut out = lines.next().unwrap_or_default().to_string();
    let rest: Vec<&str> = lines.collect();
    // The notice is at most this long (the count has at most 20 digits).
    let notice = |n: usize| {
        format!(
            "... {} left out (output limit {limit} bytes)\n",
            plural(n, "more line")
        )
    };
    let room = limit.saturating_sub(notice(usize::MAX).len());
    let mut kept = 0;
    for line in &rest {
        if out.len() + line.len() > room {
            break;
        }
        out.push_str(line);
        kept += 1;
    }
    out.push_str(&notice(rest.len() - kept));
    out
}

/// Text as one output line: no `|` (it starts perfdata) and no line breaks.
/// Text as one output line: no `|` (it starts perfdata), no line breaks, and
/// no control characters from the input (a NUL or an ESC copied from a vendor
/// tool's output would end or repaint a line in a scheduler's web page): they
/// are escaped as `\xNN`.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push('¦'),
            '\r' | '\n' | '\t' => out.push(' '),
            c if c.is_control() => {
                let code = c as u32;
                if code <= 0xff {
                    out.push_str(&format!("\\x{code:02x}"));
                } else {
                    out.push_str(&format!("\\u{{{code:x}}}"));
                }
            }
            c => out.push(c),
        }
    }
    out.truncate(out.trim_end().len());
    out
}

/// At most `max` characters of `text`, with `…` when cut (a command line, a
/// value quoted from the input).
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}

/// Outside text (a line a vendor tool printed) made safe to quote in a message:
/// trimmed, cut to `max` characters with `…`, control characters escaped as
/// [`one_line`] does.
pub fn printable(text: &str, max: usize) -> String {
    one_line(&shorten(text.trim(), max))
}

/// Phrases joined with ", " up to about `budget` characters, the rest counted:
/// "a, b and 3 more". For summaries built from many problems.
pub fn join_within(parts: &[String], budget: usize) -> String {
    let mut out = String::new();
    for (shown, part) in parts.iter().enumerate() {
        if !out.is_empty() && out.len() + part.len() + 2 > budget {
            out.push_str(&format!(" and {} more", parts.len() - shown));
            break;
        }
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(part);
    }
    out
}

/// "1 item", "3 items".
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::perfdata::Uom;

    fn sample() -> Check {
        let mut check = Check::new();
        check
            .item(Item::new(State::Ok, "pingd fresh").perf(Perfdata::new(
                "pingd",
                1.0,
                Uom::Seconds,
            )))
            .item(
                Item::new(State::Critical, "traced missing").detail(1, "expected /x/traced.alive"),
            )
            .item(Item::new(State::Warning, "owpingd stale | 20m"))
            .ok_summary("all fresh");
        check
    }

    #[test]
    fn long_output_is_cut_to_the_limit_keeping_line_one_whole() {
        let mut check = Check::new();
        for i in 0..5000 {
            let state = if i % 1000 == 7 {
                State::Critical
            } else {
                State::Ok
            };
            let mut item = Item::new(state, format!("daemon-number-{i} is running as expected"));
            if i % 10 == 0 {
                item = item.perf(Perfdata::new(format!("d{i}_age"), i as f64, Uom::Seconds));
            }
            check.item(item);
        }
        let full_perf: Vec<String> = check.all_perfdata().iter().map(|p| p.to_string()).collect();
        let text = check.render_text("DAEMONS", 0);
        assert!(text.len() <= OUTPUT_LIMIT, "{} bytes", text.len());
        let lines: Vec<&str> = text.lines().collect();
        let (head, perf) = lines[0].split_once(" | ").unwrap();
        assert!(head.starts_with("DAEMONS CRITICAL - "), "{head}");
        assert_eq!(perf, full_perf.join(" "), "all perfdata on line one");
        // The worst items come first and survive the cut; whole lines only.
        assert!(lines[1].starts_with("[CRITICAL] daemon-number-7 "));
        assert!(lines[5].starts_with("[CRITICAL] daemon-number-4007 "));
        let last = lines.last().unwrap();
        let kept = lines.len() - 2;
        assert_eq!(
            *last,
            format!(
                "... {} more lines left out (output limit 64000 bytes)",
                5000 - kept
            )
        );
        for line in &lines[1..lines.len() - 1] {
            assert!(line.ends_with(" is running as expected"), "{line}");
        }
        assert!(text.ends_with(")\n"));
        // Output within the limit is left alone.
        let small = sample().render_text("KEEPALIVE", 0);
        assert_eq!(cap_output(small.clone(), OUTPUT_LIMIT), small);
    }

    #[test]
    fn a_line_one_over_the_limit_is_kept_whole() {
        let text = format!("X OK - {} | a=1\nsecond\n", "y".repeat(100));
        let capped = cap_output(text, 50);
        assert_eq!(
            capped,
            format!(
                "X OK - {} | a=1\n... 1 more line left out (output limit 50 bytes)\n",
                "y".repeat(100)
            )
        );
    }

    #[test]
    fn overall_state_is_the_worst_and_worst_items_come_first() {
        let check = sample();
        assert_eq!(check.state(), State::Critical);
        let text = check.render_text("KEEPALIVE", 0);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "KEEPALIVE CRITICAL - traced missing | pingd=1s");
        assert_eq!(lines[1], "[CRITICAL] traced missing");
        assert_eq!(lines[2], "[WARNING] owpingd stale ¦ 20m");
        assert_eq!(lines[3], "[OK] pingd fresh");
        assert_eq!(lines.len(), 4, "details hidden without -v");
    }

    #[test]
    fn verbosity_adds_details_only() {
        let check = sample();
        let quiet = check.render_text("K", 0);
        let verbose = check.render_text("K", 1);
        assert_eq!(quiet.lines().next(), verbose.lines().next());
        assert!(verbose.contains("    expected /x/traced.alive"));
    }

    #[test]
    fn ok_summary_and_default_summary() {
        let mut check = Check::new();
        check.item(Item::new(State::Ok, "a"));
        assert_eq!(check.summary(), "1 item checked, all OK");
        check.ok_summary("fine");
        assert_eq!(
            check.render_text("S", 0).lines().next().unwrap(),
            "S OK - fine"
        );
    }

    #[test]
    fn an_empty_check_is_unknown_unless_the_plugin_says_what_empty_means() {
        let mut check = Check::new();
        assert_eq!(check.state(), State::Unknown);
        assert_eq!(
            check.render_text("S", 0).lines().next().unwrap(),
            "S UNKNOWN - nothing was checked"
        );
        check.empty_ok("no call in progress");
        assert_eq!(check.state(), State::Ok);
        assert_eq!(
            check.render_text("S", 0).lines().next().unwrap(),
            "S OK - no call in progress"
        );
    }

    #[test]
    fn control_characters_from_the_input_are_escaped() {
        assert_eq!(
            one_line("a\0b\x1b[31mc\u{85}d\te|f\r\n"),
            "a\\x00b\\x1b[31mc\\x85d e¦f"
        );
        let mut check = Check::new();
        check.item(Item::new(State::Critical, "peer \x07bell"));
        let text = check.render_text("S", 0);
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
    }

    #[test]
    fn labels_equal_once_cleaned_are_refused() {
        let mut check = Check::new();
        check
            .item(Item::new(State::Ok, "a").perf(Perfdata::new("x=y", 1.0, Uom::None)))
            .item(Item::new(State::Ok, "b").perf(Perfdata::new("x'y", 2.0, Uom::None)));
        check.refuse_duplicate_labels();
        assert_eq!(check.state(), State::Unknown);
        assert!(check.summary().contains("'x_y'"), "{}", check.summary());
        // A critical result stays critical: refusing the labels never hides a page.
        let mut critical = Check::new();
        critical
            .item(Item::new(State::Critical, "a").perf(Perfdata::new("n", 1.0, Uom::None)))
            .perf(Perfdata::new("n", 1.0, Uom::None));
        critical.refuse_duplicate_labels();
        assert_eq!(critical.state(), State::Critical);
        assert_eq!(critical.summary(), "a");
        assert!(critical.all_perfdata().is_empty());
        assert!(critical.notes[0].contains("'n'"));
    }

    #[test]
    fn the_trace_shows_at_vvv_only() {
        let mut check = sample();
        check.trace("0.001 s reading x");
        assert!(!check.render_text("S", 2).contains("Trace:"));
        assert!(check
            .render_text("S", 3)
            .contains("Trace: 0.001 s reading x\n"));
    }

    #[test]
    fn long_problem_lists_are_cut() {
        let mut check = Check::new();
        for i in 0..20 {
            check.item(Item::new(
                State::Critical,
                format!("daemon-number-{i} missing"),
            ));
        }
        let summary = check.summary();
        assert!(summary.len() < SUMMARY_BUDGET + 20, "{summary}");
        assert!(summary.ends_with("more"), "{summary}");
    }

    #[test]
    fn child_states_lift_their_parent() {
        let mut check = Check::new();
        check.item(Item::new(State::Ok, "host").child(Item::new(State::Warning, "lag")));
        assert_eq!(check.state(), State::Warning);
        assert!(check.render_text("S", 0).contains("  \\_ [WARNING] lag"));
    }

    #[test]
    fn a_failed_check_prints_its_reason_once() {
        let check = Check::failed(State::Unknown, "cannot read /x");
        assert_eq!(check.state(), State::Unknown);
        assert_eq!(check.render_text("S", 0), "S UNKNOWN - cannot read /x\n");
    }

    #[test]
    fn outside_text_is_made_printable_and_lists_are_cut() {
        assert_eq!(printable(" ab\x1b[31mc\x07 ", 20), "ab\\x1b[31mc\\x07");
        assert_eq!(printable("abcdef", 3), "abc…");
        let parts: Vec<String> = (0..30).map(|i| format!("part-{i}")).collect();
        let joined = join_within(&parts, 30);
        assert!(joined.starts_with("part-0, part-1, part-2"), "{joined}");
        assert!(joined.ends_with(" and 26 more"), "{joined}");
        assert_eq!(join_within(&parts[..2], 80), "part-0, part-1");
    }

    #[test]
    fn json_carries_the_tree() {
        let json: serde_json::Value =
            serde_json::from_str(&sample().render_json("KEEPALIVE")).unwrap();
        assert_eq!(json["state"], "CRITICAL");
        assert_eq!(json["exit_code"], 2);
        assert_eq!(json["items"][1]["state"], "CRITICAL");
        assert_eq!(json["items"][0]["perfdata"][0]["label"], "pingd");
    }
}
