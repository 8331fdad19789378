//! Asterisk, as the net.Console guide's quick check list reads it: SIP peers,
//! channels and queues, through the CLI (`asterisk -rx "…"`) or the Asterisk
//! Manager Interface (`Action: Command` over TCP).
//!
//! - [`source`]: where the text of a CLI command comes from (the local CLI,
//!   `--command`, `--input`, or AMI) and the failures every command shares
//!   (Asterisk not running, a module not loaded). One place for all three plugins.
//! - [`ami`]: the AMI client (Login, Command in both response framings, Logoff).
//! - [`peers`], [`channels`], [`queues`]: one pure parser per CLI output, and
//!   the evaluation of what it found. The parsers recognise a listing by its
//!   header and summary lines (not by column offsets, which differ between
//!   Asterisk 1.4, 13 and 20) and report every line they do not understand.

pub mod ami;
pub mod channels;
pub mod peers;
pub mod queues;
pub mod source;

use crate::output::Check;
use crate::runner::{CheckResult, Failure};
use source::SourceArgs;

/// The run of each Asterisk plugin: the text of `cli` from wherever `source`
/// says, parsed by `parse` (a text it does not recognise is UNKNOWN, naming
/// where it came from), judged by `evaluate`.
pub fn run<T>(
    source: &SourceArgs,
    cli: &str,
    parse: fn(&str) -> Result<T, String>,
    evaluate: impl Fn(&T) -> Check,
) -> CheckResult {
    let fetched = source.fetch(cli)?;
    let parsed =
        parse(&fetched.text).map_err(|e| Failure::unknown(format!("{}: {e}", fetched.origin)))?;
    let mut check = evaluate(&parsed);
    for note in fetched.notes {
        check.note(note);
    }
    Ok(check)
}

/// Text from Asterisk without terminal colour sequences (`ESC [ … m`, which
/// `queue show` prints around member states) and carriage returns; other
/// control characters (but line feeds and tabs) become `?`, so that none
/// reaches a status line raw.
pub fn strip_terminal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => {
                if chars.peek() == Some(&'[') {
                    chars.next();
                    // Parameters and intermediates, then one final byte in @..~.
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
            }
            '\r' => {}
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push('?'),
            _ => out.push(c),
        }
    }
    out
}

/// A line of input as it may be quoted in a message: control characters
/// replaced, at most 80 characters.
pub fn quote(line: &str) -> String {
    let cleaned: String = line
        .trim()
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if cleaned.chars().count() > 80 {
        let cut: String = cleaned.chars().take(77).collect();
        format!("{cut}...")
    } else {
        cleaned
    }
}

/// A perfdata label from a peer or queue name: characters the format cannot
/// carry replaced, made unique among `taken` with a `_2`, `_3` suffix.
pub fn label(name: &str, taken: &mut std::collections::HashSet<String>) -> String {
    let base: String = name
        .chars()
        .map(|c| match c {
            '=' | '\'' | '|' | '"' => '_',
            c if c.is_control() || c.is_whitespace() => '_',
            c => c,
        })
        .collect();
    let base = if base.is_empty() {
        "unnamed".to_string()
    } else {
        base
    };
    let mut candidate = base.clone();
    let mut n = 2;
    while !taken.insert(candidate.clone()) {
        candidate = format!("{base}_{n}");
        n += 1;
    }
    candidate
}

/// "a, b, c and 4 more" for at most `shown` names.
pub fn some_names(names: &[String], shown: usize) -> String {
    if names.len() <= shown {
        return names.join(", ");
    }
    format!(
        "{} and {} more",
        names[..shown].join(", "),
        names.len() - shown
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_and_carriage_returns_go() {
        assert_eq!(
            strip_terminal("a \u{1b}[1;32;40m(Not in use)\u{1b}[0m\r\n"),
            "a (Not in use)\n"
        );
        assert_eq!(strip_terminal("plain\tx"), "plain\tx");
        assert_eq!(strip_terminal("bell\u{7}\u{0}"), "bell??");
    }

    #[test]
    fn quotes_are_printable_and_short() {
        assert_eq!(quote(" a\u{7}b "), "a?b");
        assert_eq!(quote(&"x".repeat(100)).len(), 80);
    }

    #[test]
    fn labels_are_clean_and_unique() {
        let mut taken = Default::default();
        assert_eq!(label("SDO20038", &mut taken), "SDO20038");
        assert_eq!(label("SDO20038", &mut taken), "SDO20038_2");
        assert_eq!(label("a=b'c d", &mut taken), "a_b_c_d");
        assert_eq!(label("", &mut taken), "unnamed");
    }

    #[test]
    fn names_are_cut() {
        let names: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(some_names(&names, 5), "a, b, c");
        assert_eq!(some_names(&names, 2), "a, b and 1 more");
    }
}
