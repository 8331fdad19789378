//! Nagios threshold ranges, as the Monitoring Plugins Development Guidelines define them.
//!
//! | text      | alerts when the value is      |
//! |-----------|-------------------------------|
//! | `10`      | < 0 or > 10                   |
//! | `10:`     | < 10                          |
//! | `~:10`    | > 10                          |
//! | `10:20`   | < 10 or > 20                  |
//! | `@10:20`  | >= 10 and <= 20               |
//!
//! Bounds are inclusive, may be negative and fractional. A bare negative end such
//! as `-5` means "0..-5", an empty range, and is rejected (the C library does the
//! same); write `~:-5` or `-5:` instead. `Display` gives back text that parses to
//! the same range, `@` included, so a range can be echoed into perfdata.

use std::fmt;
use std::str::FromStr;

/// A Nagios threshold range (`10`, `10:`, `~:10`, `10:20`, `@10:20`).
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    /// Lower bound; `None` is negative infinity (`~`).
    start: Option<f64>,
    /// Upper bound; `None` is positive infinity (nothing after the colon).
    end: Option<f64>,
    /// `@`: alert inside the range instead of outside it.
    inside: bool,
}

/// Why a range could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeError {
    /// The text as given.
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for RangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid range '{}': {}", self.text, self.reason)
    }
}

impl std::error::Error for RangeError {}

impl Range {
    /// Alert when the value is above `max` (the range `max`, i.e. 0..max, but
    /// without alerting on negative values): `~:max`.
    pub fn above(max: f64) -> Range {
        Range {
            start: None,
            end: Some(max),
            inside: false,
        }
    }

    /// Alert when the value is below `min`: `min:`.
    pub fn below(min: f64) -> Range {
        Range {
            start: Some(min),
            end: None,
            inside: false,
        }
    }

    /// True when `value` lies where this range raises an alert.
    pub fn alerts(&self, value: f64) -> bool {
        if value.is_nan() {
            return true;
        }
        let within = self.start.is_none_or(|s| value >= s) && self.end.is_none_or(|e| value <= e);
        if self.inside {
            within
        } else {
            !within
        }
    }

    /// The lower bound (`None`: negative infinity).
    pub fn start(&self) -> Option<f64> {
        self.start
    }

    /// The upper bound (`None`: infinity).
    pub fn end(&self) -> Option<f64> {
        self.end
    }

    /// True for `@` ranges, which alert inside.
    pub fn is_inside(&self) -> bool {
        self.inside
    }
}

fn parse_bound(text: &str, whole: &str, which: &str) -> Result<f64, RangeError> {
    let value: f64 = text.parse().map_err(|_| RangeError {
        text: whole.to_string(),
        reason: format!("{which} '{text}' is not a number"),
    })?;
    if !value.is_finite() {
        return Err(RangeError {
            text: whole.to_string(),
            reason: format!("{which} '{text}' is not a finite number"),
        });
    }
    Ok(value)
}

impl FromStr for Range {
    type Err = RangeError;

    fn from_str(whole: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| RangeError {
            text: whole.to_string(),
            reason: reason.to_string(),
        };
        let text = whole.trim();
        if text.is_empty() {
            return Err(err("empty range"));
        }
        let (inside, body) = match text.strip_prefix('@') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        if body.is_empty() {
            return Err(err("nothing after '@'"));
        }
        let (start, end) = match body.split_once(':') {
            Some((start_text, end_text)) => {
                let start = match start_text {
                    "~" => None,
                    "" => Some(0.0),
                    s => Some(parse_bound(s, whole, "start")?),
                };
                let end = match end_text {
                    "" => None,
                    s => Some(parse_bound(s, whole, "end")?),
                };
                (start, end)
            }
            None => (Some(0.0), Some(parse_bound(body, whole, "end")?)),
        };
        if let (Some(s), Some(e)) = (start, end) {
            if s > e {
                let hint = if body.contains(':') {
                    "start is greater than end".to_string()
                } else {
                    format!("a bare number means 0:{body}, which is empty; write ~:{body} (alert above) or {body}: (alert below)")
                };
                return Err(err(&hint));
            }
        }
        Ok(Range { start, end, inside })
    }
}

/// Formats a number in the C locale without exponent notation.
pub(crate) fn format_number(value: f64) -> String {
    // Rust's Display for f64 never uses exponent notation and always uses a dot.
    // Round away binary noise such as 0.30000000000000004.
    let rounded = (value * 1e9).round() / 1e9;
    let v = if rounded.is_finite() && (rounded - value).abs() < 1e-9 * value.abs().max(1.0) {
        rounded
    } else {
        value
    };
    if v == 0.0 {
        return "0".to_string();
    }
    format!("{v}")
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.inside {
            f.write_str("@")?;
        }
        match (self.start, self.end) {
            (Some(s), Some(e)) if s == 0.0 && !self.inside => write!(f, "{}", format_number(e)),
            (Some(s), Some(e)) => write!(f, "{}:{}", format_number(s), format_number(e)),
            (Some(s), None) => write!(f, "{}:", format_number(s)),
            (None, Some(e)) => write!(f, "~:{}", format_number(e)),
            (None, None) => f.write_str("~:"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(text: &str) -> Range {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    /// The guidelines' table, row by row: (range, values that alert, values that don't).
    #[test]
    fn guidelines_table() {
        let table: &[(&str, &[f64], &[f64])] = &[
            ("10", &[-1.0, -0.001, 10.001, 11.0], &[0.0, 5.0, 10.0]),
            ("10:", &[9.999, -3.0], &[10.0, 11.0, 1e12]),
            ("~:10", &[10.001, 1e12], &[10.0, 0.0, -1e12]),
            ("10:20", &[9.0, 20.5], &[10.0, 15.0, 20.0]),
            ("@10:20", &[10.0, 15.0, 20.0], &[9.99, 20.01]),
        ];
        for (text, alerting, quiet) in table {
            let range = r(text);
            for v in *alerting {
                assert!(range.alerts(*v), "{text} should alert on {v}");
            }
            for v in *quiet {
                assert!(!range.alerts(*v), "{text} should not alert on {v}");
            }
        }
    }

    #[test]
    fn floats_and_negative_bounds() {
        let range = r("-10.5:-2.25");
        assert!(range.alerts(-11.0));
        assert!(!range.alerts(-10.5));
        assert!(!range.alerts(-3.0));
        assert!(range.alerts(-2.0));
        assert!(r("~:-5").alerts(-4.0));
        assert!(!r("~:-5").alerts(-6.0));
        assert!(r("-5:").alerts(-6.0));
        assert!(r("@-1:1").alerts(0.0));
        assert!(r("1e3").alerts(1001.0));
    }

    #[test]
    fn empty_start_is_zero() {
        let range = r(":10");
        assert!(range.alerts(-1.0));
        assert!(!range.alerts(10.0));
    }

    #[test]
    fn bad_text_is_rejected_with_the_text() {
        for bad in [
            "", "abc", "@", "10:5", "1:x", "x:1", "~", "-5", "nan", "inf", "10::20", "@@1",
        ] {
            let err = bad.parse::<Range>().expect_err(bad);
            assert_eq!(err.text, bad);
            assert!(err.to_string().contains("invalid range"), "{err}");
        }
        let err = "-5".parse::<Range>().unwrap_err();
        assert!(err.reason.contains("~:-5"), "{}", err.reason);
    }

    #[test]
    fn display_round_trips_including_at() {
        for text in [
            "10", "10:", "~:10", "10:20", "@10:20", "@0:5", "-3:2.5", "~:", "@~:0", "0.5",
        ] {
            let range = r(text);
            assert_eq!(range.to_string(), text, "display of {text}");
            assert_eq!(r(&range.to_string()), range);
        }
        assert_eq!(r("0:10").to_string(), "10");
    }

    #[test]
    fn nan_always_alerts() {
        assert!(r("~:").alerts(f64::NAN));
    }

    #[test]
    fn numbers_have_no_exponent() {
        assert_eq!(format_number(1e21), "1000000000000000000000");
        assert_eq!(format_number(0.000001), "0.000001");
        assert_eq!(format_number(0.1 + 0.2), "0.3");
        assert_eq!(format_number(-0.0), "0");
        assert_eq!(format_number(42.0), "42");
    }
}
