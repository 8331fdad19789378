//! Matching: every pattern compiled once, lines classified in one pass.
//!
//! The patterns (critical, warning, ok, ignore, continuation) live in one
//! [`regex::bytes::RegexSet`], the authority on what a line matches. To read a
//! large log fast, a buffer of complete lines is not split into lines first:
//! one combined regex (the alternation of the critical, warning and ok
//! patterns, in multi-line mode) finds the next *candidate* line, and only that
//! line goes through the set. Lines with no candidate match are only counted.
//! A combined match that spans lines is checked line by line, so the result is
//! exactly what matching each line on its own would give.
//!
//! With a continuation pattern (`^\s+at |^Caused by:`), a line matching it
//! belongs to the event started by the nearest line before it that does not:
//! a Java stack trace is one event, counted once, shown by its first line.

use crate::runner::Failure;
use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

/// What a line (or an event) was classified as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// Matches an ok pattern: clears the matches counted before it in this run.
    Ok,
    Warning,
    Critical,
}

/// The patterns of one check, compiled once.
#[derive(Debug, Clone)]
pub struct Patterns {
    set: RegexSet,
    /// Alternation of the critical, warning and ok patterns (`None` when there are none).
    combined: Option<Regex>,
    continuation: Option<Regex>,
    critical: std::ops::Range<usize>,
    warning: std::ops::Range<usize>,
    ok: std::ops::Range<usize>,
    ignore: std::ops::Range<usize>,
}

/// The pattern options as given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PatternSpec {
    pub critical: Vec<String>,
    pub warning: Vec<String>,
    pub ok: Vec<String>,
    pub ignore: Vec<String>,
    pub continuation: Option<String>,
    pub case_insensitive: bool,
}

impl PatternSpec {
    /// A stable text naming the pattern set, for the state key: two checks with
    /// different patterns on one file keep independent positions.
    pub fn signature(&self) -> String {
        let mut text = String::new();
        for (tag, list) in [
            ("c", &self.critical),
            ("w", &self.warning),
            ("o", &self.ok),
            ("i", &self.ignore),
        ] {
            for p in list {
                text.push_str(&format!("{tag}{}:{p}\n", p.len()));
            }
        }
        if let Some(c) = &self.continuation {
            text.push_str(&format!("n{}:{c}\n", c.len()));
        }
        if self.case_insensitive {
            text.push_str("I\n");
        }
        text
    }
}

/// Bytes of compiled program a pattern set may use (the default 10 MiB is small
/// for a dozen patterns with Unicode classes).
const SIZE_LIMIT: usize = 64 * 1024 * 1024;

impl Patterns {
    pub fn compile(spec: &PatternSpec) -> Result<Patterns, Failure> {
        for (what, list) in [
            ("--critical-pattern", &spec.critical),
            ("--warning-pattern", &spec.warning),
            ("--ok-pattern", &spec.ok),
            ("--ignore-pattern", &spec.ignore),
        ] {
            for p in list {
                if p.is_empty() {
                    return Err(Failure::unknown(format!(
                        "{what} '' is empty: it would match every line"
                    )));
                }
                // Compile alone first, so the error names the pattern.
                RegexBuilder::new(p)
                    .case_insensitive(spec.case_insensitive)
                    .size_limit(SIZE_LIMIT)
                    .build()
                    .map_err(|e| {
                        Failure::unknown(format!("{what} '{p}' is not a valid regex: {e}"))
                    })?;
            }
        }
        let mut all: Vec<&str> = Vec::new();
        fn span<'a>(list: &'a [String], all: &mut Vec<&'a str>) -> std::ops::Range<usize> {
            let start = all.len();
            all.extend(list.iter().map(String::as_str));
            start..all.len()
        }
        let critical = span(&spec.critical, &mut all);
        let warning = span(&spec.warning, &mut all);
        let ok = span(&spec.ok, &mut all);
        let ignore = span(&spec.ignore, &mut all);
        if critical.is_empty() && warning.is_empty() && ok.is_empty() {
            return Err(Failure::unknown(
                "no pattern: give --critical-pattern or --warning-pattern (repeatable)",
            ));
        }
        let set = RegexSetBuilder::new(&all)
            .case_insensitive(spec.case_insensitive)
            .size_limit(SIZE_LIMIT)
            .build()
            .map_err(|e| Failure::unknown(format!("the patterns do not compile together: {e}")))?;
        let alternation: Vec<String> = all[..ok.end].iter().map(|p| format!("(?:{p})")).collect();
        let combined = Some(
            RegexBuilder::new(&alternation.join("|"))
                .multi_line(true)
                .crlf(true)
                .case_insensitive(spec.case_insensitive)
                .size_limit(SIZE_LIMIT)
                .build()
                .map_err(|e| {
                    Failure::unknown(format!("the patterns do not compile together: {e}"))
                })?,
        );
        let continuation = match &spec.continuation {
            None => None,
            Some(p) if p.is_empty() => {
                return Err(Failure::unknown(
                    "--continuation '' is empty: every line would continue the first",
                ))
            }
            Some(p) => Some(
                RegexBuilder::new(p)
                    .case_insensitive(spec.case_insensitive)
                    .build()
                    .map_err(|e| {
                        Failure::unknown(format!("--continuation '{p}' is not a valid regex: {e}"))
                    })?,
            ),
        };
        Ok(Patterns {
            set,
            combined,
            continuation,
            critical,
            warning,
            ok,
            ignore,
        })
    }

    /// How one line is classified on its own: ignore first, then critical,
    /// warning, ok; `None` when it matches nothing that counts.
    pub fn classify(&self, line: &[u8]) -> Option<Class> {
        let hits = self.set.matches(line);
        if !hits.matched_any() {
            return None;
        }
        let any = |r: &std::ops::Range<usize>| r.clone().any(|i| hits.matched(i));
        if any(&self.ignore) {
            None
        } else if any(&self.critical) {
            Some(Class::Critical)
        } else if any(&self.warning) {
            Some(Class::Warning)
        } else if any(&self.ok) {
            Some(Class::Ok)
        } else {
            None
        }
    }

    pub fn is_continuation(&self, line: &[u8]) -> bool {
        self.continuation.as_ref().is_some_and(|c| c.is_match(line))
    }

    pub fn has_continuation(&self) -> bool {
        self.continuation.is_some()
    }
}

/// One event that matched: where its first line starts, the class, the first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Offset of the event's first line in the file.
    pub offset: u64,
    pub class: Class,
    pub line: Vec<u8>,
}

/// What the scan of one run has found so far (it carries across buffers and files).
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub lines: u64,
    pub bytes: u64,
    pub critical: u64,
    pub warning: u64,
    /// How many times an ok pattern cleared the counts.
    pub cleared: u64,
    /// The last matching events (at most `show`), oldest first.
    pub shown: std::collections::VecDeque<Event>,
    pub show: usize,
    /// The event being built, for continuation lines: its head's offset and
    /// line, and the class it has so far (`None`: nothing matched yet).
    head: Option<(u64, Vec<u8>)>,
    head_class: Option<Class>,
    /// The head's class has been counted already.
    head_counted: bool,
}

impl Tally {
    pub fn new(show: usize) -> Tally {
        Tally {
            show,
            ..Tally::default()
        }
    }

    /// Forgets the event being built (at the end of a file: events never span files).
    pub fn end_of_file(&mut self) {
        self.head = None;
        self.head_class = None;
        self.head_counted = false;
    }

    fn count(&mut self, class: Class, offset: u64, line: &[u8]) {
        match class {
            Class::Critical => self.critical += 1,
            Class::Warning => self.warning += 1,
            Class::Ok => {
                self.critical = 0;
                self.warning = 0;
                self.cleared += 1;
                self.shown.clear();
                return;
            }
        }
        if self.show == 0 {
            return;
        }
        if self.shown.len() == self.show {
            self.shown.pop_front();
        }
        self.shown.push_back(Event {
            offset,
            class,
            line: line.to_vec(),
        });
    }

    /// A continuation line raised the class of the event it belongs to.
    fn raise(&mut self, class: Class) {
        let Some((offset, line)) = self.head.clone() else {
            return;
        };
        match (self.head_class, self.head_counted) {
            (Some(old), true) if class > old && old != Class::Ok => {
                // Warning → critical: move the event to the critical count.
                self.warning = self.warning.saturating_sub(1);
                self.critical += 1;
                if let Some(last) = self.shown.back_mut() {
                    if last.offset == offset {
                        last.class = class;
                    }
                }
                self.head_class = Some(class);
            }
            (Some(_), true) => {}
            _ => {
                self.count(class, offset, &line);
                self.head_class = Some(class);
                self.head_counted = true;
            }
        }
    }
}

/// Scans `buf`, a run of complete lines that starts at file offset `base`.
pub fn scan(patterns: &Patterns, buf: &[u8], base: u64, tally: &mut Tally) {
    tally.bytes += buf.len() as u64;
    tally.lines += count_lines(buf);
    if patterns.has_continuation() {
        scan_events(patterns, buf, base, tally);
        return;
    }
    let Some(combined) = &patterns.combined else {
        return;
    };
    let mut at = 0;
    while at < buf.len() {
        let Some(found) = combined.find_at(buf, at) else {
            break;
        };
        let start = line_start(buf, found.start());
        let end = line_end(buf, found.start());
        let line = trim_eol(&buf[start..end]);
        if let Some(class) = patterns.classify(line) {
            tally.count(class, base + start as u64, line);
        }
        at = (end + 1).max(at + 1);
    }
}

/// Line by line with events: each line is checked for continuation, only
/// candidate lines (found by the combined regex) are classified.
fn scan_events(patterns: &Patterns, buf: &[u8], base: u64, tally: &mut Tally) {
    let combined = patterns.combined.as_ref();
    // The start of the next candidate line at or after `start`; `None`: not searched yet.
    let mut next_candidate: Option<usize> = None;
    let mut start = 0;
    while start < buf.len() {
        let end = line_end(buf, start);
        let line = trim_eol(&buf[start..end]);
        if next_candidate.is_none_or(|c| c < start) {
            next_candidate = Some(
                combined
                    .and_then(|re| re.find_at(buf, start))
                    .map_or(usize::MAX, |m| line_start(buf, m.start()).max(start)),
            );
        }
        let candidate = next_candidate == Some(start);
        if patterns.is_continuation(line) && tally.head.is_some() {
            if candidate {
                if let Some(class) = patterns.classify(line) {
                    if class != Class::Ok {
                        tally.raise(class);
                    }
                }
            }
        } else {
            tally.head = Some((base + start as u64, line.to_vec()));
            tally.head_class = None;
            tally.head_counted = false;
            if candidate {
                if let Some(class) = patterns.classify(line) {
                    tally.head_class = Some(class);
                    tally.head_counted = true;
                    tally.count(class, base + start as u64, line);
                }
            }
        }
        if candidate {
            next_candidate = None;
        }
        start = end + 1;
    }
}

fn count_lines(buf: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', buf).count() as u64
}

fn line_start(buf: &[u8], at: usize) -> usize {
    memchr::memrchr(b'\n', &buf[..at]).map_or(0, |i| i + 1)
}

/// The index of the `\n` ending the line that holds `at`, or `buf.len()`.
fn line_end(buf: &[u8], at: usize) -> usize {
    memchr::memchr(b'\n', &buf[at..]).map_or(buf.len(), |i| at + i)
}

fn trim_eol(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The end of the last complete line in `buf` (just after its `\n`), or 0.
pub fn complete_lines(buf: &[u8]) -> usize {
    memchr::memrchr(b'\n', buf).map_or(0, |i| i + 1)
}

/// A matched line as output text: lossy UTF-8, control characters replaced,
/// cut to `width` characters.
pub fn display_line(line: &[u8], width: usize) -> String {
    let text = String::from_utf8_lossy(line);
    let mut out = String::new();
    for (n, c) in text.chars().enumerate() {
        if n == width {
            out.push('…');
            break;
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(critical: &[&str], warning: &[&str]) -> PatternSpec {
        PatternSpec {
            critical: critical.iter().map(|s| s.to_string()).collect(),
            warning: warning.iter().map(|s| s.to_string()).collect(),
            ..PatternSpec::default()
        }
    }

    fn run(spec: &PatternSpec, text: &str) -> Tally {
        let p = Patterns::compile(spec).unwrap();
        let mut t = Tally::new(5);
        scan(&p, text.as_bytes(), 0, &mut t);
        t
    }

    const MSERVER: &str = "\
2010-09-30 13:10:37,790 CallControl    DEBUG statechange: [RECEIVED] -> [ESTABLISHED] [CallControl EP (36)]
com.escaux.ucmodel.access.ModelException: Failed read probe:mysql.attribute_state
        at com.escaux.ucmodel.access.impl.ModelServiceImpl.getProbe(ModelServiceImpl.java:367)
        at java.lang.Thread.run(Unknown Source)
Caused by: com.mysql.jdbc.CommunicationsException: Communications link failure due to underlying exception:
2010-09-30 13:10:37,796 nc.health      WARN  Aggregated netConsoleControllerService health is not OK [SipDispatcher requestExecutor-441]
";

    #[test]
    fn counts_lines_and_classes() {
        let t = run(&spec(&["health is not OK"], &["Exception"]), MSERVER);
        assert_eq!(t.lines, 6);
        assert_eq!(t.critical, 1);
        // Without --continuation, the exception and its cause are two lines.
        assert_eq!(t.warning, 2);
        assert_eq!(t.shown.len(), 3);
        assert_eq!(t.shown[2].class, Class::Critical);
    }

    #[test]
    fn a_stack_trace_is_one_event_shown_by_its_first_line() {
        let mut s = spec(&["health is not OK"], &["Exception"]);
        s.continuation = Some(r"^\s+at |^Caused by:".into());
        let t = run(&s, MSERVER);
        assert_eq!((t.critical, t.warning), (1, 1));
        assert!(t.shown[0]
            .line
            .starts_with(b"com.escaux.ucmodel.access.ModelException"));
        assert_eq!(
            t.shown[0].offset,
            MSERVER.find("com.escaux").unwrap() as u64
        );
    }

    #[test]
    fn a_cause_raises_its_event_and_counts_it_once() {
        let mut s = spec(&["CommunicationsException"], &["ModelException"]);
        s.continuation = Some(r"^\s+at |^Caused by:".into());
        let t = run(&s, MSERVER);
        assert_eq!((t.critical, t.warning), (1, 0));
        assert_eq!(t.shown.len(), 1);
        assert_eq!(t.shown[0].class, Class::Critical);
        // A head that matched nothing is counted when its cause matches.
        let mut s = spec(&["CommunicationsException"], &[]);
        s.continuation = Some(r"^\s+at |^Caused by:".into());
        let t = run(&s, MSERVER);
        assert_eq!(t.critical, 1);
        assert!(t.shown[0].line.starts_with(b"com.escaux"));
    }

    #[test]
    fn ignore_wins_and_ok_clears() {
        let mut s = spec(&["ERROR"], &[]);
        s.ignore = vec!["ERROR.*harmless".into()];
        s.ok = vec!["recovered".into()];
        let t = run(&s, "ERROR a\nERROR harmless\nrecovered\nERROR b\n");
        assert_eq!(t.critical, 1);
        assert_eq!(t.cleared, 1);
        assert_eq!(t.shown.len(), 1);
        assert_eq!(t.shown[0].line, b"ERROR b");
    }

    #[test]
    fn a_match_spanning_lines_is_judged_per_line() {
        // `a\s+b` would span "a\nb" in the buffer; per line nothing matches.
        let t = run(&spec(&[r"a\s+b"], &[]), "xa\nb\na  b\n");
        assert_eq!(t.critical, 1);
        assert_eq!(t.shown[0].line, b"a  b");
        let t = run(&spec(&["^b$"], &[]), "a\nb\r\nb c\n");
        assert_eq!(t.critical, 1);
    }

    #[test]
    fn show_keeps_the_last_lines() {
        let text: String = (0..20).map(|i| format!("ERROR {i}\n")).collect();
        let t = run(&spec(&["ERROR"], &[]), &text);
        assert_eq!(t.critical, 20);
        assert_eq!(t.shown.len(), 5);
        assert_eq!(t.shown[4].line, b"ERROR 19");
    }

    #[test]
    fn bad_and_empty_patterns_are_usage_errors() {
        let e = Patterns::compile(&spec(&["("], &[])).unwrap_err();
        assert!(e.message.contains("--critical-pattern '('"), "{e}");
        assert!(Patterns::compile(&spec(&[""], &[])).is_err());
        assert!(Patterns::compile(&spec(&[], &[])).is_err());
        let mut s = spec(&["x"], &[]);
        s.continuation = Some(String::new());
        assert!(Patterns::compile(&s).is_err());
    }

    #[test]
    fn invalid_utf8_is_matched_and_shown_lossily() {
        let p = Patterns::compile(&spec(&["ERROR"], &[])).unwrap();
        let mut t = Tally::new(5);
        scan(&p, b"\xff\xfe ERROR \x1b[31mred\n", 0, &mut t);
        assert_eq!(t.critical, 1);
        let shown = display_line(&t.shown[0].line, 200);
        assert_eq!(shown, "\u{fffd}\u{fffd} ERROR  [31mred");
        assert_eq!(display_line(b"abcdef", 3), "abc…");
    }

    #[test]
    fn signatures_differ_with_the_patterns() {
        let a = spec(&["x"], &[]).signature();
        let b = spec(&[], &["x"]).signature();
        assert_ne!(a, b);
        assert_eq!(complete_lines(b"a\nb"), 2);
        assert_eq!(complete_lines(b"ab"), 0);
    }
}
