//! A standby's replay lag, in bytes and in seconds: how it is judged, written
//! and published. The primary's clients, a standby's own view and each host of
//! a cluster are judged by these same rules, so they live here once.

use super::Options;
use crate::duration::human;
use crate::output::Item;
use crate::perfdata::{Perfdata, Uom};
use crate::status::State;

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

pub(super) fn lag_text(bytes: Option<f64>, seconds: Option<f64>) -> String {
    let b = bytes.map_or("? B".to_string(), |b| format_bytes(b.max(0.0)));
    let s = seconds.map_or("?".to_string(), human);
    format!("lag {b}, {s}")
}

/// The worst state of a byte and a second lag; an unknown value never alarms
/// (the other metric, or the client state, says what is wrong).
pub(super) fn lag_state(opts: &Options, bytes: Option<f64>, seconds: Option<f64>) -> State {
    let b = bytes.map_or(State::Ok, |b| opts.bytes.evaluate(b.max(0.0)));
    let s = seconds.map_or(State::Ok, |s| opts.seconds.evaluate(s));
    b.worst(s)
}

pub(super) fn lag_perfdata(
    opts: &Options,
    name: &str,
    bytes: Option<f64>,
    seconds: Option<f64>,
) -> [Perfdata; 2] {
    let b = match bytes {
        Some(b) => Perfdata::new(format!("lag_bytes_{name}"), b.max(0.0), Uom::Bytes),
        None => Perfdata::unknown(format!("lag_bytes_{name}"), Uom::Bytes),
    };
    let s = match seconds {
        Some(s) => Perfdata::new(format!("lag_seconds_{name}"), s, Uom::Seconds),
        None => Perfdata::unknown(format!("lag_seconds_{name}"), Uom::Seconds),
    };
    [
        b.thresholds(&opts.bytes).min(0.0),
        s.thresholds(&opts.seconds).min(0.0),
    ]
}

pub(super) fn lag_item(
    opts: &Options,
    bytes: Option<f64>,
    seconds: Option<f64>,
    paused: bool,
) -> Item {
    let paused = if paused { " (replay paused)" } else { "" };
    Item::new(
        lag_state(opts, bytes, seconds),
        format!("replay {}{paused}", lag_text(bytes, seconds)),
    )
}

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
