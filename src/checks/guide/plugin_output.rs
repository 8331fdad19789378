//! What a child plugin printed, read as the plugin API defines it: the state
//! from the exit status (a crash or a signal is UNKNOWN), the first line, the
//! long output, and the perfdata of line one and of the long output (Nagios 3
//! style), checked metric by metric. Kept apart from running the children so
//! that any output (the fuzz target's too) is read by one pure function.

use super::record::Status;
use crate::perfdata::{self, Perfdata};
use crate::status::State;

/// What one child printed, as the plugin API defines it.
#[derive(Debug, Clone, PartialEq)]
pub struct Interpreted {
    pub state: State,
    pub status: Status,
    pub first_line: String,
    pub long_output: Vec<String>,
    pub perfdata: Vec<Perfdata>,
    pub notes: Vec<String>,
}

/// Text safe for one line: control characters replaced, `|` replaced.
pub fn clean(text: &str) -> String {
    let text: String = text
        .chars()
        .map(|c| if c.is_control() && c != '\t' { '?' } else { c })
        .collect();
    crate::output::one_line(text.trim())
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGSEGV => " (SIGSEGV)",
        libc::SIGABRT => " (SIGABRT)",
        libc::SIGKILL => " (SIGKILL)",
        libc::SIGTERM => " (SIGTERM)",
        libc::SIGBUS => " (SIGBUS)",
        libc::SIGFPE => " (SIGFPE)",
        libc::SIGILL => " (SIGILL)",
        _ => "",
    }
}

/// Reads a plugin's output: the state from its exit status (0..=3; anything
/// else, or a signal, is a crash and UNKNOWN), the first line without its
/// perfdata, the long output, and the perfdata of line one and of the long
/// output after its first `|` (Nagios 3 style), validated metric by metric:
/// an invalid metric is dropped with a note. Output with no text is UNKNOWN.
pub fn interpret(
    stdout: &str,
    stderr: &str,
    code: Option<i32>,
    signal: Option<i32>,
) -> Interpreted {
    let mut notes = Vec::new();
    let mut lines = stdout.lines();
    let first = lines.next().unwrap_or("");
    let (first_text, mut perf_text) = match first.split_once('|') {
        Some((text, perf)) => (text, perf.to_string()),
        None => (first, String::new()),
    };
    let mut long_output = Vec::new();
    let mut in_perf = false;
    for line in lines {
        if in_perf {
            perf_text.push(' ');
            perf_text.push_str(line);
        } else if let Some((text, perf)) = line.split_once('|') {
            if !text.trim().is_empty() {
                long_output.push(clean_long(text));
            }
            perf_text.push(' ');
            perf_text.push_str(perf);
            in_perf = true;
        } else {
            long_output.push(clean_long(line));
        }
    }
    while long_output.last().is_some_and(|l| l.trim().is_empty()) {
        long_output.pop();
    }
    let mut perf = Vec::new();
    for metric in perfdata::parse_each(&perf_text) {
        match metric {
            Ok(p) => perf.push(p),
            Err(e) => notes.push(format!(
                "invalid perfdata dropped: {}",
                clean(&e.to_string())
            )),
        }
    }
    let mut first_line = clean(first_text);
    let stderr_line = stderr
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(clean)
        .unwrap_or_default();
    let (state, status) = match (code, signal) {
        (Some(c @ 0..=3), _) => {
            let state = match c {
                0 => State::Ok,
                1 => State::Warning,
                2 => State::Critical,
                _ => State::Unknown,
            };
            if first_line.is_empty() {
                first_line = format!("printed nothing (exit status {c})");
                if !stderr_line.is_empty() {
                    first_line.push_str(&format!(": {stderr_line}"));
                }
                (State::Unknown, Status::Ran)
            } else {
                (state, Status::Ran)
            }
        }
        (code, signal) => {
            let how = match (code, signal) {
                (Some(c), _) => format!("exit status {c}"),
                (None, Some(s)) => format!("killed by signal {s}{}", signal_name(s)),
                _ => "unknown exit status".to_string(),
            };
            let said = if !first_line.is_empty() {
                first_line.clone()
            } else {
                stderr_line.clone()
            };
            first_line = if said.is_empty() {
                format!("crashed: {how}")
            } else {
                format!("crashed: {how}: {said}")
            };
            (State::Unknown, Status::Crashed)
        }
    };
    Interpreted {
        state,
        status,
        first_line,
        long_output,
        perfdata: perf,
        notes,
    }
}

/// A long output line: control characters replaced, trailing blanks cut.
pub(super) fn clean_long(line: &str) -> String {
    line.chars()
        .map(|c| if c.is_control() && c != '\t' { '?' } else { c })
        .collect::<String>()
        .trim_end()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plugin_result_is_read_as_the_api_says() {
        let out = "SRE_STATUS WARNING - sre-broker restarted | a=1s;2;3 'b c'=5%\n[WARNING] sre-broker uptime 10 s\n[OK] db master em1\n";
        let seen = interpret(out, "", Some(1), None);
        assert_eq!(seen.state, State::Warning);
        assert_eq!(seen.status, Status::Ran);
        assert_eq!(seen.first_line, "SRE_STATUS WARNING - sre-broker restarted");
        assert_eq!(seen.long_output.len(), 2);
        assert_eq!(seen.perfdata.len(), 2);
        assert_eq!(seen.perfdata[1].label, "b c");
        assert!(seen.notes.is_empty());
    }

    #[test]
    fn long_output_perfdata_nagios3_style() {
        let out = "X OK - fine | a=1\nline one\nline two | b=2\nc=3\n";
        let seen = interpret(out, "", Some(0), None);
        assert_eq!(seen.long_output, ["line one", "line two"]);
        let labels: Vec<&str> = seen.perfdata.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["a", "b", "c"]);
    }

    #[test]
    fn invalid_perfdata_is_dropped_with_a_note() {
        let seen = interpret("X OK - ok | good=1 bad=1,5 worse=abc\n", "", Some(0), None);
        assert_eq!(seen.perfdata.len(), 1);
        assert_eq!(seen.notes.len(), 2, "{:?}", seen.notes);
        assert!(seen.notes[0].contains("bad=1,5"), "{:?}", seen.notes);
    }

    #[test]
    fn crashes_and_silence_are_unknown() {
        let seen = interpret("", "thread 'main' panicked", Some(101), None);
        assert_eq!(seen.state, State::Unknown);
        assert_eq!(seen.status, Status::Crashed);
        assert_eq!(
            seen.first_line,
            "crashed: exit status 101: thread 'main' panicked"
        );
        let seen = interpret("half a line", "", None, Some(libc::SIGSEGV));
        assert_eq!(
            seen.first_line,
            "crashed: killed by signal 11 (SIGSEGV): half a line"
        );
        let seen = interpret("", "", Some(0), None);
        assert_eq!(seen.state, State::Unknown);
        assert_eq!(seen.first_line, "printed nothing (exit status 0)");
        let seen = interpret("\x1b[31mRED\x07 OK\n", "", Some(0), None);
        assert_eq!(seen.first_line, "?[31mRED? OK");
    }
}
