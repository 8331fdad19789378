//! Durations as people read them in a status line: `45s`, `12m 5s`, `3h 2m`, `2d 4h`.

/// Seconds to one decimal, for "within 2.5 s" in messages: `2.5`, `10`.
pub fn seconds(duration: std::time::Duration) -> String {
    crate::range::format_number((duration.as_secs_f64() * 10.0).round() / 10.0)
}

/// Seconds to the millisecond, for traces: `0.004`, `1.250`.
pub fn millis(duration: std::time::Duration) -> String {
    format!("{:.3}", duration.as_secs_f64())
}

/// Formats whole seconds with the two largest units; negative values get a minus sign.
pub fn human(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "?".to_string();
    }
    let sign = if seconds < 0.0 { "-" } else { "" };
    let total = seconds.abs().round() as u64;
    let (d, h, m, s) = (
        total / 86_400,
        total / 3600 % 24,
        total / 60 % 60,
        total % 60,
    );
    let text = match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) if s == 0 => format!("{m}m"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) if m == 0 => format!("{h}h"),
        (0, _, _) => format!("{h}h {m}m"),
        _ if h == 0 => format!("{d}d"),
        _ => format!("{d}d {h}h"),
    };
    format!("{sign}{text}")
}

#[cfg(test)]
mod tests {
    use super::{human, seconds};
    use std::time::Duration;

    #[test]
    fn seconds_to_one_decimal() {
        assert_eq!(seconds(Duration::from_millis(2449)), "2.4");
        assert_eq!(seconds(Duration::from_secs(10)), "10");
        assert_eq!(seconds(Duration::ZERO), "0");
    }

    #[test]
    fn two_largest_units() {
        assert_eq!(human(0.0), "0s");
        assert_eq!(human(45.4), "45s");
        assert_eq!(human(600.0), "10m");
        assert_eq!(human(725.0), "12m 5s");
        assert_eq!(human(3600.0 * 3.0 + 125.0), "3h 2m");
        assert_eq!(human(86_400.0 * 2.0 + 3600.0 * 4.0 + 59.0), "2d 4h");
        assert_eq!(human(-90.0), "-1m 30s");
    }
}
