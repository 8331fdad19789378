//! `core show channels` (1.4's `show channels`; `core show channels verbose`
//! too): active channels, active calls, calls processed.
//!
//! The listing starts with a header line beginning `Channel` (`Channel
//! Location State Application(Data)`, or the verbose `Channel Context
//! Extension Prio State …`), one row per channel (its name holds a `/`:
//! `SIP/SDO10003-08202b38`, `PJSIP/1000-00000001`, `Local/…;1`), and ends with
//! summary lines: `N active channel(s)`, `N active call(s)` or `N of M max
//! active call(s) (P% of capacity)`, and from 1.6 on `N call(s) processed`.
//!
//! The guide asks that "number of channels and calls are consistent": more
//! calls than channels, or a channel count that disagrees with the rows
//! listed, is WARNING.

use super::quote;
use crate::output::{plural, Check, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::status::State;
use crate::threshold::Thresholds;

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Channels {
    /// The channel names listed.
    pub rows: Vec<String>,
    pub channels: Option<u64>,
    pub calls: Option<u64>,
    /// `N of M max active calls`: M.
    pub max_calls: Option<u64>,
    pub processed: Option<u64>,
    pub garbled: Vec<(usize, String)>,
}

fn leading_number(line: &str) -> Option<(u64, &str)> {
    let (n, rest) = line.trim().split_once(' ')?;
    Some((n.parse().ok()?, rest))
}

/// Parses the listing; an error when the text has no channel header or summary.
pub fn parse(text: &str) -> Result<Channels, String> {
    let mut out = Channels::default();
    let mut in_rows = false;
    let mut header_seen = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if !header_seen && t.starts_with("Channel") && t.contains("State") {
            header_seen = true;
            in_rows = true;
            continue;
        }
        if let Some((n, rest)) = leading_number(t) {
            if rest == "active channel" || rest == "active channels" {
                out.channels = Some(n);
                in_rows = false;
                continue;
            }
            if rest == "active call" || rest == "active calls" {
                out.calls = Some(n);
                continue;
            }
            if let Some(max) = rest.strip_prefix("of ") {
                if let Some((m, tail)) = leading_number(max) {
                    if tail.starts_with("max active call") {
                        out.calls = Some(n);
                        out.max_calls = Some(m);
                        continue;
                    }
                }
            }
            if rest == "call processed" || rest == "calls processed" {
                out.processed = Some(n);
                continue;
            }
        }
        if in_rows {
            let name = t.split_whitespace().next().unwrap_or("");
            if name.contains('/') {
                out.rows.push(name.to_string());
                continue;
            }
        }
        if header_seen {
            out.garbled.push((i + 1, quote(line)));
        }
    }
    if !header_seen && out.channels.is_none() {
        let first = text.lines().map(str::trim).find(|l| !l.is_empty());
        return Err(match first {
            None => "the output is empty: no channel listing".to_string(),
            Some(l) => format!(
                "not a channel listing (no 'Channel … State' header, no 'N active channels'): '{}'",
                quote(l)
            ),
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub channels: Thresholds,
    pub calls: Thresholds,
}

pub fn evaluate(parsed: &Channels, options: &Options) -> Check {
    let mut check = Check::new();
    for (line, text) in &parsed.garbled {
        check.item(Item::new(
            State::Unknown,
            format!("line {line} not understood: '{text}'"),
        ));
    }
    let Some(channels) = parsed.channels else {
        check.item(Item::new(
            State::Unknown,
            "no 'N active channels' line: the output looks cut short",
        ));
        return check;
    };
    let rows = parsed.rows.len() as u64;
    if rows != channels {
        check.item(Item::new(
            State::Warning,
            format!(
                "Asterisk says {} but lists {rows}",
                plural(channels as usize, "active channel")
            ),
        ));
    }
    let mut judged = options
        .channels
        .judge("channels", channels as f64, Uom::None);
    judged.perfdata = judged.perfdata.min(0.0);
    check.item(judged.item(plural(channels as usize, "active channel")));
    match parsed.calls {
        Some(calls) => {
            let mut judged = options.calls.judge("calls", calls as f64, Uom::None);
            judged.perfdata = judged.perfdata.min(0.0);
            if let Some(max) = parsed.max_calls {
                judged.perfdata = judged.perfdata.max(max as f64);
            }
            let text = match parsed.max_calls {
                Some(max) => format!("{calls} of {max} max active calls"),
                None => plural(calls as usize, "active call"),
            };
            let mut item = judged.item(text);
            if let Some(processed) = parsed.processed {
                item = item.perf(
                    Perfdata::new("calls_processed", processed as f64, Uom::Counter).min(0.0),
                );
            }
            check.item(item);
            if calls > channels {
                check.item(Item::new(
                    State::Warning,
                    format!(
                        "{} but only {}: inconsistent",
                        plural(calls as usize, "active call"),
                        plural(channels as usize, "channel")
                    ),
                ));
            }
        }
        None => {
            check.item(Item::new(
                State::Unknown,
                "no 'N active calls' line: the output looks cut short",
            ));
        }
    }
    let mut summary = format!(
        "{}, {}",
        plural(channels as usize, "active channel"),
        parsed
            .calls
            .map_or("? active calls".to_string(), |c| plural(
                c as usize,
                "active call"
            ))
    );
    if let Some(processed) = parsed.processed {
        summary.push_str(&format!(", {}", plural(processed as usize, "call")));
        summary.push_str(" processed");
    }
    check.ok_summary(summary);
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    const V20: &str =
        "Channel              Location             State   Application(Data)             \n\
        PJSIP/SOA20003-00000 *11012@NoRestrict:1  Up      Queue(GeneralQueue,rt,,,600)  \n\
        PJSIP/SDO10003-00000 s@macro-dial:7       Up      AppQueue((Outgoing Line))     \n\
        2 active channels\n1 active call\n1042 calls processed\n";

    #[test]
    fn a_current_listing() {
        let parsed = parse(V20).unwrap();
        assert_eq!(parsed.rows.len(), 2);
        assert_eq!(
            (parsed.channels, parsed.calls, parsed.processed),
            (Some(2), Some(1), Some(1042))
        );
        let check = evaluate(&parsed, &Options::default());
        assert_eq!(check.state(), State::Ok);
        assert_eq!(
            check.render_text("C", 0).lines().next().unwrap(),
            "C OK - 2 active channels, 1 active call, 1042 calls processed | channels=2;;;0 calls=1;;;0 calls_processed=1042c;;;0"
        );
    }

    #[test]
    fn inconsistencies_warn() {
        let more_calls = V20.replace("1 active call\n", "3 active calls\n");
        let check = evaluate(&parse(&more_calls).unwrap(), &Options::default());
        assert_eq!(check.state(), State::Warning);
        assert!(check
            .summary()
            .contains("3 active calls but only 2 channels"));
        let wrong_count = V20.replace("2 active channels", "5 active channels");
        let check = evaluate(&parse(&wrong_count).unwrap(), &Options::default());
        assert_eq!(check.state(), State::Warning);
        assert!(check
            .summary()
            .contains("says 5 active channels but lists 2"));
    }

    #[test]
    fn old_and_capped_forms() {
        let text = "Channel              Location             State   Application(Data)\n\
            0 active channels\n0 of 50 max active calls ( 0.00% of capacity)\n";
        let parsed = parse(text).unwrap();
        assert_eq!((parsed.calls, parsed.max_calls), (Some(0), Some(50)));
        assert_eq!(parsed.processed, None);
        assert_eq!(evaluate(&parsed, &Options::default()).state(), State::Ok);
    }

    #[test]
    fn garbage_and_cut_outputs_are_never_ok() {
        assert!(parse("").is_err());
        assert!(parse("Welcome\n").is_err());
        let cut = "Channel              Location             State   Application(Data)\nSIP/x-1 s@a:1 Up Dial()\n";
        assert_eq!(
            evaluate(&parse(cut).unwrap(), &Options::default()).state(),
            State::Unknown
        );
        let garbled = V20.replace("PJSIP/SDO10003-00000", "#garbled#");
        let check = evaluate(&parse(&garbled).unwrap(), &Options::default());
        // Not counted as a channel, so the count disagrees too: WARNING, never OK.
        assert_eq!(check.state(), State::Warning);
        assert!(check
            .render_text("C", 0)
            .contains("[UNKNOWN] line 3 not understood: '#garbled#"));
    }

    #[test]
    fn thresholds() {
        let options = Options {
            channels: Thresholds::new(Some("1".parse().unwrap()), None),
            calls: Thresholds::new(None, Some("0".parse().unwrap())),
        };
        let check = evaluate(&parse(V20).unwrap(), &options);
        assert_eq!(check.state(), State::Critical);
    }
}
