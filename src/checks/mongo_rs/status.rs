//! Reading the documents: a captured status (Extended JSON or the shells'
//! print form), a `replSetGetStatus` reply into [`Status`] and its members,
//! and a `replSetGetConfig` reply into each member's configured delay. Apart
//! from the judgement so that a document that cannot be trusted is refused
//! (UNKNOWN, naming the field) before anything is judged.

use super::ejson::{date_ms, number, timestamp_secs};
use super::shell;
use crate::runner::Failure;
use serde_json::Value;
use std::collections::HashMap;

/// Names of the numeric member states (`state` field) of replSetGetStatus.
pub fn state_name(code: i64) -> Option<&'static str> {
    Some(match code {
        0 => "STARTUP",
        1 => "PRIMARY",
        2 => "SECONDARY",
        3 => "RECOVERING",
        5 => "STARTUP2",
        6 => "UNKNOWN",
        7 => "ARBITER",
        8 => "DOWN",
        9 => "ROLLBACK",
        10 => "REMOVED",
        _ => return None,
    })
}

/// A captured status: Extended JSON (relaxed or canonical), or the shells' print form.
pub fn parse_input(text: &str) -> Result<Value, Failure> {
    let text = text.trim_start_matches('\u{feff}');
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        return Ok(value);
    }
    shell::to_json(text).map_err(|e| {
        Failure::unknown(format!(
            "cannot read the status (neither Extended JSON nor shell output): {e}"
        ))
    })
}

/// One entry of the status `members` array, with what the evaluation needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub id: Option<i64>,
    pub name: String,
    /// PRIMARY, SECONDARY, …: from the numeric `state`, else `stateStr`.
    pub state: String,
    /// `health`: 1 up, 0 down; absent (older servers' self entry) counts as up.
    pub healthy: bool,
    pub optime_ms: Option<i64>,
    pub last_heartbeat_ms: Option<i64>,
    pub last_applied_ms: Option<i64>,
    pub is_self: bool,
    /// `secondaryDelaySecs` / `slaveDelay` when the member entry carries one.
    pub delay_secs: Option<f64>,
    pub hidden: bool,
    pub messages: Vec<String>,
    pub sync_source: Option<String>,
    pub uptime_secs: Option<f64>,
    pub ping_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub set: Option<String>,
    pub date_ms: i64,
    pub members: Vec<Member>,
}

/// Reads a replSetGetStatus reply. A reply with `ok: 0` is the server saying
/// the set cannot be seen (not initialised, not a replica set): CRITICAL.
/// Anything that is not a status document is UNKNOWN.
pub fn parse_status(doc: &Value) -> Result<Status, Failure> {
    let obj = doc
        .as_object()
        .ok_or_else(|| Failure::unknown("the status is not a document"))?;
    if let Some(ok) = obj.get("ok").and_then(number) {
        if ok == 0.0 {
            let errmsg = obj
                .get("errmsg")
                .and_then(Value::as_str)
                .unwrap_or("no error message");
            let code = obj
                .get("codeName")
                .and_then(Value::as_str)
                .map(|c| format!(" ({c})"))
                .unwrap_or_default();
            return Err(Failure::critical(format!(
                "replSetGetStatus failed: {errmsg}{code}"
            )));
        }
    }
    let members = obj
        .get("members")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            Failure::unknown("no 'members' list: not a replSetGetStatus (rs.status()) document")
        })?;
    if members.is_empty() {
        return Err(Failure::unknown("the status lists no members"));
    }
    let date_ms = obj
        .get("date")
        .and_then(date_ms)
        .ok_or_else(|| Failure::unknown("the status has no 'date' to measure ages against"))?;
    let members = members
        .iter()
        .enumerate()
        .map(|(i, m)| parse_member(i, m, date_ms))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Status {
        set: obj.get("set").and_then(Value::as_str).map(str::to_string),
        date_ms,
        members,
    })
}

/// A day in milliseconds: how far past the status's date a member's date may lie.
const DAY_MS: i64 = 86_400_000;

fn parse_member(index: usize, m: &Value, status_date_ms: i64) -> Result<Member, Failure> {
    let o = m
        .as_object()
        .ok_or_else(|| Failure::unknown(format!("member {index} is not a document")))?;
    let name = o
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| Failure::unknown(format!("member {index} has no name")))?
        .to_string();
    // A field that is there must mean something: a state, health or date of the
    // wrong type or out of range is not read as healthy (UNKNOWN, naming it).
    let bad = |key: &str, value: &Value, what: &str| {
        Failure::unknown(format!(
            "member {name}: {key} {} is not {what}",
            crate::output::one_line(&crate::output::shorten(&value.to_string(), 40))
        ))
    };
    let state = match o.get("state") {
        Some(v) => {
            let code = number(v).filter(|c| c.fract() == 0.0 && c.is_finite());
            match code.and_then(|c| state_name(c as i64)) {
                Some(name) => name.to_string(),
                None => return Err(bad("state", v, "a replica set state code")),
            }
        }
        None => o
            .get("stateStr")
            .and_then(Value::as_str)
            .map(|s| s.trim().to_ascii_uppercase())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Failure::unknown(format!("member {name} has no state")))?,
    };
    let healthy = match o.get("health") {
        None => true,
        Some(v) => match number(v) {
            Some(1.0) => true,
            Some(0.0) => false,
            _ => return Err(bad("health", v, "0 or 1")),
        },
    };
    // A date that does not parse, or lies more than a day past the status's own
    // date, is not a date this member really reported.
    for key in [
        "optimeDate",
        "lastHeartbeat",
        "lastAppliedWallTime",
        "lastHeartbeatRecv",
    ] {
        if let Some(v) = o.get(key) {
            match date_ms(v) {
                None => return Err(bad(key, v, "a date")),
                Some(ms) if ms > status_date_ms.saturating_add(DAY_MS) => {
                    return Err(bad(
                        key,
                        v,
                        "a date within a day of the status's own (a broken clock or input)",
                    ))
                }
                Some(_) => {}
            }
        }
    }
    // Dates at the epoch ("never") are reported as absent.
    let date = |key: &str| o.get(key).and_then(date_ms).filter(|&ms| ms > 0);
    let optime_ms = match date("optimeDate") {
        Some(ms) => Some(ms),
        // Servers without optimeDate: the optime's timestamp (pv1 {ts, t} or
        // pv0 Timestamp), held to the same day as the dates above.
        None => match o.get("optime") {
            None => None,
            Some(optime) => match timestamp_secs(optime.get("ts").unwrap_or(optime)) {
                None => None,
                Some(s) if s <= 0 => None,
                Some(s) => match s.checked_mul(1000) {
                    None => return Err(bad("optime", optime, "a time")),
                    Some(ms) if ms > status_date_ms.saturating_add(DAY_MS) => {
                        return Err(bad(
                            "optime",
                            optime,
                            "a time within a day of the status's own (a broken clock or input)",
                        ))
                    }
                    Some(ms) => Some(ms),
                },
            },
        },
    };
    let text = |key: &str| {
        o.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let messages = ["lastHeartbeatMessage", "infoMessage"]
        .iter()
        .filter_map(|k| text(k))
        .collect();
    Ok(Member {
        id: o.get("_id").and_then(number).map(|n| n as i64),
        state,
        healthy,
        optime_ms,
        last_heartbeat_ms: date("lastHeartbeat"),
        last_applied_ms: date("lastAppliedWallTime"),
        is_self: o.get("self").and_then(Value::as_bool).unwrap_or(false),
        delay_secs: o
            .get("secondaryDelaySecs")
            .or_else(|| o.get("slaveDelay"))
            .and_then(number),
        hidden: o.get("hidden").and_then(Value::as_bool).unwrap_or(false),
        messages,
        sync_source: text("syncSourceHost").or_else(|| text("syncingTo")),
        uptime_secs: o.get("uptime").and_then(number),
        ping_ms: o.get("pingMs").and_then(number),
        name,
    })
}

/// Per member host (and `_id`): the configured delay and hidden flag, from a
/// replSetGetConfig reply (`{config: {members: […]}}`) or an `rs.conf()` document.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemberConfig {
    pub delay_secs: f64,
    pub hidden: bool,
}

pub fn parse_config(doc: &Value) -> HashMap<String, MemberConfig> {
    let config = doc.get("config").unwrap_or(doc);
    let mut out = HashMap::new();
    for m in config
        .get("members")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(host) = m.get("host").and_then(Value::as_str) else {
            continue;
        };
        let delay_secs = m
            .get("secondaryDelaySecs")
            .or_else(|| m.get("slaveDelay"))
            .and_then(number)
            .unwrap_or(0.0);
        let hidden = m.get("hidden").and_then(Value::as_bool).unwrap_or(false);
        out.insert(host.to_string(), MemberConfig { delay_secs, hidden });
    }
    out
}
