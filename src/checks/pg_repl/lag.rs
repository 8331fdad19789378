//! A standby's replay lag, in bytes and in seconds: how it is judged, written
//! and published. The primary's clients, a standby's own view and each host of
//! a cluster are judged by these same rules, so they live here once.

use super::Options;
use crate::duration::human;
use crate::output::Item;
use crate::perfdata::{Perfdata, Uom};
use crate::status::State;
use crate::threshold::Thresholds;

/// `1.5 MiB`, `0 B`.
pub fn format_bytes(bytes: f64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    if !bytes.is_finite() {
        return "?".to_string();
    }
    let mut value = bytes.abs();
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let sign = if bytes < 0.0 { "-" } else { "" };
    if unit == 0 {
        format!("{sign}{value:.0} B")
    } else {
        format!("{sign}{value:.1} {}", UNITS[unit])
    }
}

/// `lag 3.1 MiB, 3s`, with `?` for what is not known.
pub(super) fn lag_text(bytes: Option<f64>, seconds: Option<f64>) -> String {
    let b = bytes.map_or("? B".to_string(), |b| format_bytes(b.max(0.0)));
    let s = seconds.map_or("?".to_string(), human);
    format!("lag {b}, {s}")
}

/// A replay lag judged: one state for its bytes and seconds, and their
/// perfdata made from the same ranges that judged them.
pub(super) struct Lag {
    /// The worst state of the byte and the second lag; an unknown value never
    /// alarms (the other metric, or the client state, says what is wrong).
    pub(super) state: State,
    /// `lag_bytes_NAME` and `lag_seconds_NAME`, `U` when not measured.
    pub(super) perfdata: [Perfdata; 2],
}

/// Judges the lag of standby `name` against `--*-bytes` and `--*-seconds`.
pub(super) fn judge_lag(
    opts: &Options,
    name: &str,
    bytes: Option<f64>,
    seconds: Option<f64>,
) -> Lag {
    let judge = |t: &Thresholds, label: String, value: Option<f64>, uom: Uom| match value {
        Some(v) => {
            let judged = t.judge(label, v, uom).min(0.0);
            (judged.state, judged.perfdata)
        }
        None => (State::Ok, t.unmeasured(label, uom).min(0.0)),
    };
    let (b, b_perf) = judge(
        &opts.bytes,
        format!("lag_bytes_{name}"),
        bytes.map(|b| b.max(0.0)),
        Uom::Bytes,
    );
    let (s, s_perf) = judge(
        &opts.seconds,
        format!("lag_seconds_{name}"),
        seconds,
        Uom::Seconds,
    );
    Lag {
        state: b.worst(s),
        perfdata: [b_perf, s_perf],
    }
}

/// `replay lag 3.1 MiB, 3s (replay paused)`, in the state `lag` was judged.
pub(super) fn lag_item(lag: &Lag, bytes: Option<f64>, seconds: Option<f64>, paused: bool) -> Item {
    let paused = if paused { " (replay paused)" } else { "" };
    Item::new(
        lag.state,
        format!("replay {}{paused}", lag_text(bytes, seconds)),
    )
}

/// The larger of two optional values; either alone when the other is missing.
pub(super) fn max_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_human() {
        assert_eq!(format_bytes(0.0), "0 B");
        assert_eq!(format_bytes(1023.0), "1023 B");
        assert_eq!(format_bytes(3_209_448.0), "3.1 MiB");
        assert_eq!(format_bytes(5.0 * 1024.0 * 1024.0 * 1024.0), "5.0 GiB");
    }
}
