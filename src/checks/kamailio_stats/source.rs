//! Where the statistics come from: kamcmd over the ctl socket (or another
//! command, or a captured input), or JSON-RPC `stats.fetch` over HTTP; and
//! which failures are Kamailio's (CRITICAL) and which are ours (UNKNOWN).
//! The only part of the check that talks to Kamailio.

use crate::runner::Failure;

/// Where the statistics come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// `kamcmd -s SOCKET stats.get_statistics all` (or `--command`, or `--input`).
    Text(crate::input::InputArgs, String),
    /// JSON-RPC `stats.fetch` over HTTP.
    Url(String),
}

pub const DEFAULT_SOCKET: &str = "unix:/run/kamailio/kamailio_ctl";

/// What HTTP answers may hold at most.
const HTTP_LIMIT: u64 = 16 * 1024 * 1024;

/// Fetches the statistics text. Kamailio unreachable is CRITICAL; our own
/// trouble (missing kamcmd, unreadable input) is UNKNOWN.
pub fn fetch(source: &Source, timeout: std::time::Duration) -> Result<String, Failure> {
    match source {
        Source::Text(input, socket) => {
            let default = [
                "kamcmd",
                "-s",
                socket.as_str(),
                "stats.get_statistics",
                "all",
            ];
            let collected = input.collect(&default, &crate::exec::ExecOptions::default())?;
            if let Some(output) = &collected.output {
                if !output.status.success() {
                    return Err(Failure::critical(format!(
                        "{} failed ({}): {}",
                        collected.origin,
                        output.describe_status(),
                        output.first_error_line()
                    )));
                }
            }
            Ok(collected.text)
        }
        Source::Url(url) => fetch_http(url, timeout),
    }
}

fn fetch_http(url: &str, timeout: std::time::Duration) -> Result<String, Failure> {
    crate::timeout::set_activity(format!("posting stats.fetch to {url}"));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .user_agent(concat!(
            "opscheck check_kamailio_stats/",
            env!("CARGO_PKG_VERSION")
        ))
        .build()
        .into();
    let body = r#"{"jsonrpc":"2.0","method":"stats.fetch","params":["all"],"id":1}"#;
    let mut response = agent
        .post(url)
        .header("Content-Type", "application/json")
        .send(body)
        .map_err(|e| match e {
            ureq::Error::BadUri(_) | ureq::Error::Http(_) => {
                Failure::unknown(format!("bad URL '{url}': {e}"))
            }
            e => Failure::critical(format!("cannot reach Kamailio JSON-RPC at {url}: {e}")),
        })?;
    let status = response.status();
    let text = response
        .body_mut()
        .with_config()
        .limit(HTTP_LIMIT)
        .read_to_string()
        .map_err(|e| Failure::critical(format!("cannot read the answer of {url}: {e}")))?;
    if !status.is_success() {
        let reason = status.canonical_reason().unwrap_or("");
        let message = format!("{url} answered HTTP {} {reason}", status.as_u16());
        return Err(if status.is_server_error() {
            Failure::critical(message)
        } else {
            Failure::unknown(format!(
                "{message} (is the xhttp route for JSON-RPC at this path?)"
            ))
        });
    }
    Ok(text)
}

/// Milliseconds since the Unix epoch (negative before 1970, for a badly set clock).
pub fn now_ms() -> i64 {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    }
}
