//! How long the unit has been up, from the `Active: … since …` of `systemctl
//! status`: ActiveEnterTimestampMonotonic against this host's monotonic clock
//! when systemctl ran here, else the timestamp text against the wall clock. A
//! recent start is a restart the guide wants seen (`--min-uptime`).

use super::show::{self, Properties};
use super::states::{is_service, LONG_RUNNING};
use super::{label, Unit};
use crate::output::Item;
use crate::perfdata::{Perfdata, Uom};
use crate::range::Range;
use crate::status::State;
use crate::threshold::Thresholds;
use std::str::FromStr;

/// How the uptime was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// `ActiveEnterTimestampMonotonic` against this host's CLOCK_MONOTONIC.
    Monotonic,
    /// The `ActiveEnterTimestamp` text against the wall clock.
    Wall,
}

/// Seconds since the unit became active. `mono_now_us` is CLOCK_MONOTONIC in
/// µs when the output was taken live on this host (then the monotonic property
/// is used: immune to clock steps and time zones); captured output is read
/// from the timestamp text against `now_unix`. `Ok(None)`: never active.
pub fn uptime(
    p: &Properties,
    now_unix: i64,
    mono_now_us: Option<u64>,
) -> Result<Option<(u64, Clock)>, String> {
    if let (Some(now), Some(entered)) = (mono_now_us, p.number("ActiveEnterTimestampMonotonic")?) {
        if entered > 0 && entered <= now {
            return Ok(Some(((now - entered) / 1_000_000, Clock::Monotonic)));
        }
    }
    let Some(text) = p.get("ActiveEnterTimestamp") else {
        return Ok(None);
    };
    if text == "n/a" {
        return Ok(None);
    }
    let entered = show::parse_timestamp(text)?;
    let secs = now_unix
        .checked_sub(entered)
        .ok_or_else(|| "uptime out of range".to_string())?;
    // A timestamp ahead of the clock (a captured output from a host whose clock
    // runs ahead): zero, never negative.
    Ok(Some((secs.max(0) as u64, Clock::Wall)))
}

/// CLOCK_MONOTONIC in µs.
pub(super) fn monotonic_now_us() -> Option<u64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    if unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) } != 0 {
        return None;
    }
    u64::try_from(ts.tv_sec)
        .ok()?
        .checked_mul(1_000_000)?
        .checked_add(u64::try_from(ts.tv_nsec).ok()? / 1000)
}

pub(super) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The uptime section of one unit: below `min_uptime` (long-running services
/// only) it is a recent restart; a unit that is not active keeps its perfdata only.
pub(super) fn judge(unit: &mut Unit, min_uptime: u64, now: i64, mono: Option<u64>) {
    let (name, props, prefix, active) = (unit.name, unit.props, unit.prefix, unit.active);
    let kind = props.get("Type").unwrap_or("");
    match uptime(props, now, mono) {
        Ok(up) => {
            let secs = up.filter(|_| active).map(|(s, _)| s);
            let judged_type = is_service(name) && LONG_RUNNING.contains(&kind);
            let min = (min_uptime > 0 && judged_type)
                .then(|| Range::from_str(&format!("{min_uptime}:")).expect("a valid range"));
            let thresholds = Thresholds::new(min, None);
            match secs {
                Some(secs) => {
                    let judged =
                        thresholds.judge(label(prefix, "uptime"), secs as f64, Uom::Seconds);
                    let clock = match up.map(|(_, c)| c) {
                        Some(Clock::Monotonic) => "ActiveEnterTimestampMonotonic",
                        _ => "ActiveEnterTimestamp",
                    };
                    let text = if judged.state == State::Ok {
                        format!("up {}", crate::duration::human(secs as f64))
                    } else {
                        format!("restarted {secs} s ago")
                    };
                    unit.healthy
                        .push(format!("up {}", crate::duration::human(secs as f64)));
                    unit.findings.push(
                        Item::new(judged.state, text).detail(2, format!("uptime from {clock}")),
                    );
                    unit.perf.push(judged.perfdata.min(0.0));
                }
                // Not active: the unit's state judges it, the graph keeps its ranges.
                None => unit.perf.push(
                    thresholds
                        .judge(label(prefix, "uptime"), 0.0, Uom::Seconds)
                        .min(0.0)
                        .perfdata,
                ),
            }
        }
        Err(e) => {
            unit.findings
                .push(Item::new(State::Unknown, format!("uptime unknown: {e}")));
            unit.perf
                .push(Perfdata::unknown(label(prefix, "uptime"), Uom::Seconds));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::systemd_unit::tests::props;

    #[test]
    fn uptime_from_monotonic_live_and_from_text_captured() {
        let p = props(&[
            ("ActiveEnterTimestamp", "Tue 2026-12-01 10:00:00 UTC"),
            ("ActiveEnterTimestampMonotonic", "5000000"),
        ]);
        assert_eq!(
            uptime(&p, 1_796_119_200 + 90, None),
            Ok(Some((90, Clock::Wall)))
        );
        assert_eq!(
            uptime(&p, 0, Some(17_500_000)),
            Ok(Some((12, Clock::Monotonic)))
        );
        // A monotonic value ahead of this host's clock is another host's: the text then.
        assert_eq!(
            uptime(&p, 1_796_119_200 + 5, Some(1_000)),
            Ok(Some((5, Clock::Wall)))
        );
        // Never active.
        let never = props(&[
            ("ActiveEnterTimestamp", ""),
            ("ActiveEnterTimestampMonotonic", "0"),
        ]);
        assert_eq!(uptime(&never, 100, Some(100)), Ok(None));
        assert_eq!(uptime(&props(&[]), 100, None), Ok(None));
        let bad = props(&[("ActiveEnterTimestamp", "yesterday")]);
        assert!(uptime(&bad, 100, None).is_err());
        let bad = props(&[("ActiveEnterTimestampMonotonic", "-1")]);
        assert!(uptime(&bad, 100, Some(1)).is_err());
        // Arithmetic on outside numbers never overflows.
        let far = props(&[("ActiveEnterTimestamp", "9999-12-31 23:59:59 UTC")]);
        assert_eq!(
            uptime(&far, i64::MIN + 1, None),
            Err("uptime out of range".into())
        );
        assert_eq!(uptime(&far, 0, None), Ok(Some((0, Clock::Wall))));
    }
}
