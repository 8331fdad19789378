//! Kamailio's three statistics forms read into one `group:name -> value` map:
//! kamcmd's `core:rcv_requests = 17` lines, kamctl's JSON-RPC array of such
//! strings, and `stats.fetch`'s object of `core.rcv_requests` keys. Pure text
//! in, [`Stats`] out, so the fuzzer and the recorded examples test it alone.

use crate::runner::Failure;
use std::collections::BTreeMap;

pub type Stats = BTreeMap<String, u64>;

/// Parses any of the three forms (see the module documentation). Values that
/// are not unsigned integers are skipped. An RPC error is returned as such.
pub fn parse(text: &str) -> Result<Stats, Failure> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        if let Ok(doc) = serde_json::from_str::<serde_json::Value>(trimmed) {
            return parse_json(&doc);
        }
        // Not valid JSON (cut or edited output): fall back to the line scan,
        // which reads the quoted `"group:name = value"` strings one by one.
    }
    let stats = parse_lines(text);
    if stats.is_empty() {
        return Err(Failure::unknown(format!(
            "no Kamailio statistics recognised{}",
            first_line_hint(text)
        )));
    }
    Ok(stats)
}

fn first_line_hint(text: &str) -> String {
    match text.lines().map(str::trim).find(|l| !l.is_empty()) {
        Some(line) => {
            let cut: String = line.chars().take(80).collect();
            format!(" (first line: '{cut}')")
        }
        None => " (empty output)".to_string(),
    }
}

fn parse_json(doc: &serde_json::Value) -> Result<Stats, Failure> {
    // `"error": null` beside a result (JSON-RPC 1.0 style, some proxies) is no error.
    if let Some(error) = doc.get("error").filter(|e| !e.is_null()) {
        let code = error.get("code").map(|c| c.to_string()).unwrap_or_default();
        let message = error
            .get("message")
            .and_then(|m| m.as_str())
            .unwrap_or("no message");
        return Err(Failure::unknown(format!(
            "Kamailio answered JSON-RPC error {code}: {message}"
        )));
    }
    let mut stats = Stats::new();
    match doc.get("result") {
        // kamctl stats: ["core:rcv_requests = 17", …]
        Some(serde_json::Value::Array(list)) => {
            for entry in list.iter().filter_map(|e| e.as_str()) {
                if let Some((name, value)) = parse_entry(entry) {
                    stats.insert(name, value);
                }
            }
        }
        // stats.fetch: {"core.rcv_requests": "17", …}
        Some(serde_json::Value::Object(map)) => {
            for (key, value) in map {
                let value = match value {
                    serde_json::Value::String(s) => s.trim().parse::<u64>().ok(),
                    serde_json::Value::Number(n) => n.as_u64(),
                    _ => None,
                };
                if let Some(value) = value {
                    stats.insert(normalise_name(key), value);
                }
            }
        }
        _ => {}
    }
    if stats.is_empty() {
        return Err(Failure::unknown(
            "no Kamailio statistics recognised in the JSON-RPC answer (no 'result' with statistics)",
        ));
    }
    Ok(stats)
}

/// `core.rcv_requests` (stats.fetch) → `core:rcv_requests`, the name kamcmd and kamctl use.
pub(super) fn normalise_name(key: &str) -> String {
    if key.contains(':') {
        return key.to_string();
    }
    match key.split_once('.') {
        Some((group, name)) => format!("{group}:{name}"),
        None => key.to_string(),
    }
}

/// `core:rcv_requests = 17`, possibly quoted and followed by a comma.
fn parse_entry(entry: &str) -> Option<(String, u64)> {
    let entry = entry.trim().trim_end_matches(',').trim();
    let entry = entry
        .strip_prefix('"')
        .and_then(|e| e.strip_suffix('"'))
        .unwrap_or(entry);
    let (name, value) = entry.split_once(" = ")?;
    let name = name.trim();
    let (group, stat) = name.split_once(':')?;
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    };
    if !valid(group) || !valid(stat) {
        return None;
    }
    Some((name.to_string(), value.trim().parse().ok()?))
}

fn parse_lines(text: &str) -> Stats {
    text.lines().filter_map(parse_entry).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::State;

    macro_rules! example {
        ($name:literal) => {
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/examples/kamailio/",
                $name
            ))
        };
    }

    const KAMCMD: &str = example!("kamcmd-stats-all.txt");
    const KAMCTL: &str = example!("kamctl-stats.json");
    const FETCH: &str = example!("jsonrpc-stats-fetch.json");
    const SEED: &str = example!("seed-kamctl-stats.json");

    #[test]
    fn the_three_recorded_forms_give_the_same_map() {
        let kamcmd = parse(KAMCMD).unwrap();
        let kamctl = parse(KAMCTL).unwrap();
        let fetch = parse(FETCH).unwrap();
        assert_eq!(kamcmd.len(), 133);
        assert_eq!(kamctl.len(), 133);
        assert_eq!(fetch.len(), 133);
        // Same names in every form (the samples were taken a few polls apart).
        assert!(kamcmd.keys().eq(kamctl.keys()));
        assert!(kamcmd.keys().eq(fetch.keys()));
        assert_eq!(kamcmd["shmem:total_size"], 67108864);
        assert!(fetch.contains_key("core:rcv_requests_invite"));
        assert!(fetch.contains_key("dialog:active_dialogs"));
    }

    #[test]
    fn the_seed_output_is_read() {
        let stats = parse(SEED).unwrap();
        assert_eq!(stats.len(), 48);
        assert_eq!(stats["core:rcv_requests"], 109766);
        assert_eq!(stats["core:rcv_requests_invite"], 25584);
        assert_eq!(stats["app_python3:active_dialogs"], 167);
        assert_eq!(stats["shmem:real_used_size"], 3506000);
    }

    #[test]
    fn the_seed_as_printed_in_the_guide_is_read_line_by_line() {
        // As in the guide: elided lines ("...") make it invalid JSON.
        let text = "{\n  \"jsonrpc\": \"2.0\",\n  \"result\": [\n    \"core:fwd_requests = 24173\",\n    ...\n    \"core:rcv_requests = 109766\",\n    ...\n  ],\n  \"id\": 22673\n}\n";
        let stats = parse(text).unwrap();
        assert_eq!(stats.len(), 2);
        assert_eq!(stats["core:rcv_requests"], 109766);
    }

    #[test]
    fn errors_and_garbage_are_unknown() {
        let err = parse("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":500,\"message\":\"Method Not Found\"},\"id\":1}").unwrap_err();
        assert_eq!(err.state, State::Unknown);
        assert!(
            err.message.contains("500: Method Not Found"),
            "{}",
            err.message
        );
        let err = parse("error: 500 - command not found\n").unwrap_err();
        assert!(
            err.message.contains("no Kamailio statistics"),
            "{}",
            err.message
        );
        assert!(parse("").unwrap_err().message.contains("empty output"));
        assert!(parse("{\"result\": []}").is_err());
        let stats = parse("{\"result\": [\"core:a = 1\"], \"error\": null, \"id\": 1}").unwrap();
        assert_eq!(stats["core:a"], 1);
        // A value that is not a counter is skipped, not misread.
        let stats = parse("core:a = 1\ncore:b = -3\ncore:c = x\nnot a stat = 4\n").unwrap();
        assert_eq!(stats.len(), 1);
    }
}
