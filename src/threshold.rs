//! Warning and critical ranges for one metric, and how they judge a value.

use crate::perfdata::{Perfdata, Uom};
use crate::range::Range;
use crate::status::State;
use std::fmt;
use std::str::FromStr;

/// Warning and critical ranges for one metric.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Thresholds {
    /// The warning range, if any.
    pub warning: Option<Range>,
    /// The critical range, if any.
    pub critical: Option<Range>,
}

impl Thresholds {
    /// Ranges for one metric (either may be unset).
    pub fn new(warning: Option<Range>, critical: Option<Range>) -> Thresholds {
        Thresholds { warning, critical }
    }

    /// Critical is tested before warning; an unset range never alarms.
    pub fn evaluate(&self, value: f64) -> State {
        if self.critical.as_ref().is_some_and(|r| r.alerts(value)) {
            State::Critical
        } else if self.warning.as_ref().is_some_and(|r| r.alerts(value)) {
            State::Warning
        } else {
            State::Ok
        }
    }

    /// Judges `value` and makes its perfdata from the same ranges, so that the
    /// thresholds a scheduler graphs are always the ones that judged.
    pub fn judge(&self, label: impl Into<String>, value: f64, uom: Uom) -> Judged {
        Judged {
            state: self.evaluate(value),
            perfdata: Perfdata::new(label, value, uom).thresholds(self),
        }
    }

    /// The perfdata of a metric that could not be measured this run (`U`),
    /// still carrying the ranges, so a graph keeps its label and thresholds.
    /// The item's state comes from why it could not be measured.
    pub fn unmeasured(&self, label: impl Into<String>, uom: Uom) -> Perfdata {
        Perfdata::unknown(label, uom).thresholds(self)
    }

    /// Keeps the ranges given on the command line, and fills the ones left unset from `defaults`.
    pub fn or(self, defaults: Thresholds) -> Thresholds {
        Thresholds {
            warning: self.warning.or(defaults.warning),
            critical: self.critical.or(defaults.critical),
        }
    }
}

/// A value judged by [`Thresholds::judge`]: its state and its perfdata.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    /// The state the ranges give the value.
    pub state: State,
    /// The value's perfdata, carrying the same ranges.
    pub perfdata: Perfdata,
}

impl Judged {
    /// Sets the perfdata's lowest possible value.
    pub fn min(mut self, min: f64) -> Judged {
        self.perfdata = self.perfdata.min(min);
        self
    }

    /// Sets the perfdata's highest possible value.
    pub fn max(mut self, max: f64) -> Judged {
        self.perfdata = self.perfdata.max(max);
        self
    }

    /// An item with this state and `text`, carrying the perfdata.
    pub fn item(self, text: impl Into<String>) -> crate::output::Item {
        crate::output::Item::new(self.state, text).perf(self.perfdata)
    }
}

/// `NAME=RANGE`, for options that set a threshold on one named metric
/// (`--critical-rate core:rcv_requests=@0`).
#[derive(Debug, Clone, PartialEq)]
pub struct NamedRange {
    /// The metric's name.
    pub name: String,
    /// Its range.
    pub range: Range,
}

impl FromStr for NamedRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, range) = s
            .rsplit_once('=')
            .ok_or_else(|| format!("'{s}' is not NAME=RANGE"))?;
        if name.trim().is_empty() {
            return Err(format!("'{s}' has no metric name before '='"));
        }
        let range = range.parse::<Range>().map_err(|e| e.to_string())?;
        Ok(NamedRange {
            name: name.trim().to_string(),
            range,
        })
    }
}

impl fmt::Display for NamedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.name, self.range)
    }
}

/// Looks up the thresholds of metric `name` among `NAME=RANGE` options.
pub fn thresholds_for(name: &str, warning: &[NamedRange], critical: &[NamedRange]) -> Thresholds {
    let find = |list: &[NamedRange]| {
        list.iter()
            .rev()
            .find(|n| n.name == name)
            .map(|n| n.range.clone())
    };
    Thresholds::new(find(warning), find(critical))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(w: Option<&str>, c: Option<&str>) -> Thresholds {
        Thresholds::new(w.map(|s| s.parse().unwrap()), c.map(|s| s.parse().unwrap()))
    }

    #[test]
    fn critical_before_warning_and_unset_never_alarms() {
        let both = t(Some("10"), Some("20"));
        assert_eq!(both.evaluate(5.0), State::Ok);
        assert_eq!(both.evaluate(15.0), State::Warning);
        assert_eq!(both.evaluate(25.0), State::Critical);
        // A critical range that is wider than the warning one still wins when it fires.
        let odd = t(Some("~:5"), Some("@0:100"));
        assert_eq!(odd.evaluate(50.0), State::Critical);
        assert_eq!(t(None, None).evaluate(1e9), State::Ok);
    }

    #[test]
    fn judging_and_publishing_use_the_same_ranges() {
        let j = t(Some("10"), Some("20")).judge("calls", 15.0, Uom::None);
        assert_eq!(j.state, State::Warning);
        assert_eq!(j.perfdata.to_string(), "calls=15;10;20");
        let item = j.clone().min(0.0).max(100.0).item("15 calls");
        assert_eq!(item.state, State::Warning);
        assert_eq!(item.perfdata[0].to_string(), "calls=15;10;20;0;100");
        let u = t(Some("10"), None).unmeasured("calls", Uom::None);
        assert_eq!(u.to_string(), "calls=U;10");
    }

    #[test]
    fn defaults_fill_only_what_is_unset() {
        let merged = t(Some("1"), None).or(t(Some("9"), Some("20")));
        assert_eq!(merged, t(Some("1"), Some("20")));
    }

    #[test]
    fn named_ranges() {
        let n: NamedRange = "core:rcv_requests=@0".parse().unwrap();
        assert_eq!(n.name, "core:rcv_requests");
        assert!(n.range.alerts(0.0));
        assert_eq!(n.to_string(), "core:rcv_requests=@0:0");
        assert!("nope".parse::<NamedRange>().is_err());
        assert!("=10".parse::<NamedRange>().is_err());
        assert!("x=abc"
            .parse::<NamedRange>()
            .unwrap_err()
            .contains("invalid range 'abc'"));
        let list = vec![n];
        assert_eq!(
            thresholds_for("core:rcv_requests", &[], &list).evaluate(0.0),
            State::Critical
        );
        assert_eq!(thresholds_for("other", &[], &list).evaluate(0.0), State::Ok);
    }
}
