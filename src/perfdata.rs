//! Performance data: `'label'=value[UOM];[warn];[crit];[min];[max]`.
//!
//! Labels are quoted when they hold a space or a quote-worthy character, and
//! characters the format cannot carry (`=`, `'`, `|`) are replaced so that a
//! label stays the same from one run to the next whatever the state.

use crate::range::{format_number, Range};
use crate::threshold::Thresholds;
use std::fmt;

/// Units of measure the guidelines allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uom {
    /// A plain number.
    None,
    /// Seconds (`s`).
    Seconds,
    /// Milliseconds (`ms`).
    Milliseconds,
    /// Microseconds (`us`).
    Microseconds,
    /// A percentage (`%`), 0 to 100.
    Percent,
    /// Bytes (`B`).
    Bytes,
    /// Kilobytes (`KB`).
    Kilobytes,
    /// Megabytes (`MB`).
    Megabytes,
    /// Gigabytes (`GB`).
    Gigabytes,
    /// Terabytes (`TB`).
    Terabytes,
    /// A continuous counter (`c`).
    Counter,
}

impl Uom {
    /// The unit as perfdata writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Uom::None => "",
            Uom::Seconds => "s",
            Uom::Milliseconds => "ms",
            Uom::Microseconds => "us",
            Uom::Percent => "%",
            Uom::Bytes => "B",
            Uom::Kilobytes => "KB",
            Uom::Megabytes => "MB",
            Uom::Gigabytes => "GB",
            Uom::Terabytes => "TB",
            Uom::Counter => "c",
        }
    }
}

impl serde::Serialize for Uom {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One perfdata value: `'label'=value[UOM];warn;crit;min;max`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Perfdata {
    /// The label, cleaned of what cannot stand in one.
    pub label: String,
    /// `None` is rendered as `U` (value could not be determined).
    pub value: Option<f64>,
    /// The unit.
    pub uom: Uom,
    /// The warning range as given.
    #[serde(serialize_with = "serialize_range")]
    pub warn: Option<Range>,
    /// The critical range as given.
    #[serde(serialize_with = "serialize_range")]
    pub crit: Option<Range>,
    /// The lowest possible value, when known.
    pub min: Option<f64>,
    /// The highest possible value, when known.
    pub max: Option<f64>,
}

fn serialize_range<S: serde::Serializer>(r: &Option<Range>, s: S) -> Result<S::Ok, S::Error> {
    match r {
        Some(r) => s.serialize_some(&r.to_string()),
        None => s.serialize_none(),
    }
}

impl Perfdata {
    /// A value with its label and unit (a non-finite value is `U`).
    pub fn new(label: impl Into<String>, value: f64, uom: Uom) -> Perfdata {
        Perfdata {
            label: clean_label(&label.into()),
            value: value.is_finite().then_some(value),
            uom,
            warn: None,
            crit: None,
            min: None,
            max: None,
        }
    }

    /// A metric whose value could not be determined this run (`U`), so graphs keep the label.
    pub fn unknown(label: impl Into<String>, uom: Uom) -> Perfdata {
        Perfdata {
            value: None,
            ..Perfdata::new(label, 0.0, uom)
        }
    }

    /// Carries the ranges that judged the value (see [`Thresholds::judge`]).
    pub fn thresholds(mut self, thresholds: &Thresholds) -> Self {
        self.warn = thresholds.warning.clone();
        self.crit = thresholds.critical.clone();
        self
    }

    /// Sets the lowest possible value.
    pub fn min(mut self, min: f64) -> Self {
        self.min = Some(min);
        self
    }

    /// Sets the highest possible value.
    pub fn max(mut self, max: f64) -> Self {
        self.max = Some(max);
        self
    }
}

/// Replaces what cannot stand in a label; the result is stable for a given input.
fn clean_label(label: &str) -> String {
    label
        .chars()
        .map(|c| match c {
            '=' | '\'' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect()
}

impl fmt::Display for Perfdata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.label.contains(' ') || self.label.contains(';') {
            write!(f, "'{}'=", self.label)?;
        } else {
            write!(f, "{}=", self.label)?;
        }
        match self.value {
            Some(v) => write!(f, "{}{}", format_number(v), self.uom.as_str())?,
            None => f.write_str("U")?,
        }
        let opt_range = |r: &Option<Range>| r.as_ref().map(|r| r.to_string()).unwrap_or_default();
        let opt_num = |n: Option<f64>| n.map(format_number).unwrap_or_default();
        let fields = [
            opt_range(&self.warn),
            opt_range(&self.crit),
            opt_num(self.min),
            opt_num(self.max),
        ];
        // Trailing empty fields are dropped: `a=1` rather than `a=1;;;;`.
        let used = fields
            .iter()
            .rposition(|s| !s.is_empty())
            .map_or(0, |i| i + 1);
        for field in &fields[..used] {
            write!(f, ";{field}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_full_and_minimal_forms() {
        let t = Thresholds::new(Some("900".parse().unwrap()), Some("1800".parse().unwrap()));
        let p = Perfdata::new("pingd_age", 12.5, Uom::Seconds)
            .thresholds(&t)
            .min(0.0);
        assert_eq!(p.to_string(), "pingd_age=12.5s;900;1800;0");
        assert_eq!(Perfdata::new("x", 3.0, Uom::None).to_string(), "x=3");
        let p = Perfdata::new("shm", 40.0, Uom::Percent).min(0.0).max(100.0);
        assert_eq!(p.to_string(), "shm=40%;;;0;100");
    }

    #[test]
    fn quotes_labels_with_spaces_and_replaces_forbidden_characters() {
        let p = Perfdata::new("response.200 (OPTIONS)", 1.0, Uom::Counter);
        assert_eq!(p.to_string(), "'response.200 (OPTIONS)'=1c");
        let p = Perfdata::new("a=b's|c", 1.0, Uom::None);
        assert_eq!(p.to_string(), "a_b_s_c=1");
    }

    #[test]
    fn inverted_ranges_keep_their_at_sign() {
        let t = Thresholds::new(None, Some("@0".parse().unwrap()));
        let p = Perfdata::new("rate", 0.0, Uom::None).thresholds(&t);
        assert_eq!(p.to_string(), "rate=0;;@0:0");
    }

    #[test]
    fn no_exponent_and_unknown_values() {
        assert_eq!(
            Perfdata::new("big", 1.5e20, Uom::Bytes).to_string(),
            "big=150000000000000000000B"
        );
        assert_eq!(
            Perfdata::new("small", 2e-7, Uom::Seconds).to_string(),
            "small=0.0000002s"
        );
        assert_eq!(
            Perfdata::new("nan", f64::NAN, Uom::Seconds).to_string(),
            "nan=U"
        );
        assert_eq!(Perfdata::unknown("lag", Uom::Seconds).to_string(), "lag=U");
    }
}
