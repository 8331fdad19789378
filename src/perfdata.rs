//! Performance data: `'label'=value[UOM];[warn];[crit];[min];[max]`.
//!
//! Labels are quoted when they hold a space or a quote-worthy character, and
//! characters the format cannot carry (`=`, `'`, `|`) are replaced so that a
//! label stays the same from one run to the next whatever the state.
//!
//! [`parse`] and [`parse_each`] read perfdata another plugin printed (the text
//! after the `|`), as the Monitoring Plugins Development Guidelines define it,
//! so that a tool that passes it on (check_guide) never passes on a broken one.

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

    /// Carries the ranges that judged the value. Plugins do not call this:
    /// [`Thresholds::judge`] (a measured value) and [`Thresholds::unmeasured`]
    /// (`U`) set the ranges from the thresholds that judge, in one call.
    pub(crate) fn thresholds(mut self, thresholds: &Thresholds) -> Self {
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
        if self.label.contains(char::is_whitespace) || self.label.contains(';') {
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

/// Why a perfdata text, or one metric of it, is not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The offending metric as it was written (or the rest of the text).
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}': {}", self.text, self.reason)
    }
}

impl std::error::Error for ParseError {}

/// Parses a whole perfdata text (what follows the `|`): every metric must be
/// valid, else the first invalid one is the error. An empty text is no metric.
pub fn parse(text: &str) -> Result<Vec<Perfdata>, ParseError> {
    parse_each(text).into_iter().collect()
}

/// Parses a perfdata text metric by metric, so that a caller can keep the
/// valid ones and say which were dropped. Metrics are separated by whitespace;
/// a label in single quotes may hold spaces and `''` for a quote. A quote that
/// is never closed makes the rest of the text one error.
///
/// Accepted, as the guidelines say: `label=value[UOM];[warn];[crit];[min];[max]`
/// with UOM one of none, `s`, `ms`, `us`, `%`, `B`, `KB`, `MB`, `GB`, `TB`,
/// `c`; value a number in the C locale or `U`; warn and crit Nagios ranges;
/// min and max numbers; trailing fields may be left out. Refused: an empty
/// label, a label with `=` or a control character, a comma as decimal mark,
/// infinities and NaN, more than five fields, another unit.
pub fn parse_each(text: &str) -> Vec<Result<Perfdata, ParseError>> {
    let mut out = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let (token, label, fields) = match split_metric(rest) {
            Ok(split) => split,
            Err(reason) => {
                out.push(Err(ParseError {
                    text: rest.trim_end().to_string(),
                    reason,
                }));
                break;
            }
        };
        out.push(parse_metric(label, fields).map_err(|reason| ParseError {
            text: token.to_string(),
            reason,
        }));
        rest = rest[token.len()..].trim_start();
    }
    out
}

/// The first metric of `text`: (the whole token, its label unquoted or `None`
/// when the token has no `=`, the text after the `=`).
fn split_metric(text: &str) -> Result<(&str, Option<String>, &str), String> {
    let eq = if let Some(quoted) = text.strip_prefix('\'') {
        let mut label = String::new();
        let mut chars = quoted.char_indices();
        let close = loop {
            match chars.next() {
                None => return Err("the label's quote is never closed".to_string()),
                Some((i, '\'')) => {
                    if quoted[i + 1..].starts_with('\'') {
                        label.push('\'');
                        chars.next();
                    } else {
                        break i;
                    }
                }
                Some((_, c)) => label.push(c),
            }
        };
        if !quoted[close + 1..].starts_with('=') {
            return Err(format!("no '=' after the label '{label}'"));
        }
        let eq = 1 + close + 1;
        let end = token_end(text, eq + 1);
        return Ok((&text[..end], Some(label), &text[eq + 1..end]));
    } else {
        let end = token_end(text, 0);
        match text[..end].find('=') {
            Some(eq) => eq,
            // Reported alone; the next word is read as the next metric.
            None => return Ok((&text[..end], None, "")),
        }
    };
    let end = token_end(text, eq + 1);
    Ok((
        &text[..end],
        Some(text[..eq].to_string()),
        &text[eq + 1..end],
    ))
}

fn token_end(text: &str, from: usize) -> usize {
    text[from..]
        .find(char::is_whitespace)
        .map_or(text.len(), |i| from + i)
}

fn parse_metric(label: Option<String>, fields_text: &str) -> Result<Perfdata, String> {
    let label = label.ok_or_else(|| "not label=value".to_string())?;
    if label.trim().is_empty() {
        return Err("empty label".to_string());
    }
    if label.contains('=') || label.chars().any(char::is_control) {
        return Err("the label holds '=' or a control character".to_string());
    }
    let fields: Vec<&str> = fields_text.split(';').collect();
    if fields.len() > 5 {
        return Err(format!("{} fields, at most 5", fields.len()));
    }
    let value_text = fields[0];
    let (value, uom) = if value_text == "U" {
        (None, Uom::None)
    } else {
        let unit_at = unit_start(value_text);
        let (number, unit) = value_text.split_at(unit_at);
        (Some(parse_number(number, "value")?), parse_uom(unit)?)
    };
    let range = |i: usize, which: &str| -> Result<Option<Range>, String> {
        match fields.get(i).copied().unwrap_or("") {
            "" => Ok(None),
            text => text
                .parse::<Range>()
                .map(Some)
                .map_err(|e| format!("{which} range {e}")),
        }
    };
    let number = |i: usize, which: &str| -> Result<Option<f64>, String> {
        match fields.get(i).copied().unwrap_or("") {
            "" => Ok(None),
            text => parse_number(text, which).map(Some),
        }
    };
    Ok(Perfdata {
        // What the format cannot carry unquoted is replaced, as in Perfdata::new,
        // so that the metric prints back as one metric with a stable label.
        label: clean_label(&label),
        value,
        uom,
        warn: range(1, "warning")?,
        crit: range(2, "critical")?,
        min: number(3, "min")?,
        max: number(4, "max")?,
    })
}

/// Where the unit of a value begins: after the digits, signs, dots and an
/// exponent (`1.5e3`), so that `5ms` is 5 and `ms`.
fn unit_start(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let exponent = (c == b'e' || c == b'E')
            && i > 0
            && bytes[i - 1].is_ascii_digit()
            && bytes
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_digit() || *n == b'-' || *n == b'+');
        if c.is_ascii_digit() || c == b'.' || c == b'-' || c == b'+' || exponent {
            i += 1;
        } else {
            break;
        }
    }
    i
}

fn parse_number(text: &str, which: &str) -> Result<f64, String> {
    let plain = text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
        && text.chars().any(|c| c.is_ascii_digit());
    match text.parse::<f64>() {
        Ok(v) if plain && v.is_finite() => Ok(v),
        _ => Err(format!("{which} '{text}' is not a number")),
    }
}

fn parse_uom(text: &str) -> Result<Uom, String> {
    Ok(match text {
        "" => Uom::None,
        "s" => Uom::Seconds,
        "ms" => Uom::Milliseconds,
        "us" => Uom::Microseconds,
        "%" => Uom::Percent,
        "B" => Uom::Bytes,
        "KB" => Uom::Kilobytes,
        "MB" => Uom::Megabytes,
        "GB" => Uom::Gigabytes,
        "TB" => Uom::Terabytes,
        "c" => Uom::Counter,
        other => {
            return Err(format!(
                "unit '{other}' is not one of s ms us % B KB MB GB TB c"
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Perfdata {
        let mut all = parse(text).unwrap();
        assert_eq!(all.len(), 1, "{text}");
        all.remove(0)
    }

    #[test]
    fn parse_reads_what_display_writes() {
        let t = Thresholds::new(
            Some("900".parse().unwrap()),
            Some("@10:20".parse().unwrap()),
        );
        let samples = [
            Perfdata::new("pingd_age", 12.5, Uom::Seconds)
                .thresholds(&t)
                .min(0.0),
            Perfdata::new("response.200 (OPTIONS)", 1.0, Uom::Counter),
            Perfdata::new("shm", 40.0, Uom::Percent).min(0.0).max(100.0),
            Perfdata::unknown("lag", Uom::None),
            Perfdata::new("neg", -3.25, Uom::None),
        ];
        let text: Vec<String> = samples.iter().map(|p| p.to_string()).collect();
        let parsed = parse(&text.join(" ")).unwrap();
        assert_eq!(parsed, samples);
    }

    #[test]
    fn parse_handles_quotes_ranges_and_spacing() {
        let p = one("'it''s a label'=5ms;10;20;0;");
        assert_eq!(p.label, "it_s a label", "a quote cannot stand in a label");
        assert_eq!(p.value, Some(5.0));
        assert_eq!(p.uom, Uom::Milliseconds);
        assert_eq!(p.warn.unwrap().to_string(), "10");
        assert_eq!(p.min, Some(0.0));
        assert_eq!(p.max, None);
        let all = parse("  a=1   b=2;~:3;5:  c=U ").unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all[1].crit.as_ref().unwrap().to_string(), "5:");
        assert_eq!(all[2].value, None);
        assert!(parse("").unwrap().is_empty());
        assert_eq!(one("big=1.5e3B").value, Some(1500.0));
        assert_eq!(one("t=2e-3s").uom, Uom::Seconds);
    }

    #[test]
    fn parse_refuses_what_the_guidelines_forbid() {
        for bad in [
            "a=1,5",
            "a=1;2;3;4;5;6",
            "a=1xB",
            "=1",
            "a=",
            "a=x",
            "a=inf",
            "a=NaN",
            "a=1;10:5",
            "a=1;;;zero",
            "novalue",
            "'open=1",
            "'a'1",
            "a=1KiB",
            "a=1e",
        ] {
            assert!(parse(bad).is_err(), "{bad} should be invalid");
        }
    }

    #[test]
    fn parse_each_keeps_the_valid_metrics_and_names_the_bad_ones() {
        let all = parse_each("ok=1 bad=1,5 junk also=2s");
        assert_eq!(all.len(), 4);
        assert!(all[0].is_ok());
        let err = all[1].as_ref().unwrap_err();
        assert_eq!(err.text, "bad=1,5");
        assert!(err.reason.contains("',5'"), "{err}");
        assert_eq!(all[2].as_ref().unwrap_err().text, "junk");
        assert_eq!(all[3].as_ref().unwrap().uom, Uom::Seconds);
        // An unclosed quote swallows the rest: it cannot be split safely.
        let all = parse_each("a=1 'b c=2 d=3");
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].as_ref().unwrap_err().text, "'b c=2 d=3");
    }

    #[test]
    fn parsed_labels_print_back_as_one_metric() {
        for text in ["'it''s'=1", "'a\u{2003}b'=2", "'x|y'=3"] {
            let p = one(text);
            let again = one(&p.to_string());
            assert_eq!(again.label, p.label, "{text} -> {p}");
        }
        assert_eq!(one("'it''s'=1").label, "it_s");
    }

    #[test]
    fn parse_never_panics_on_odd_input() {
        for text in [
            "'",
            "''",
            "'''=1",
            "a==1",
            "a=1;;;;",
            "\u{0}=1",
            "é=1µs",
            "a=-",
            "a=.",
            "a=1e",
            "'é'=1 'x",
            "a=1 \t\n b=2",
        ] {
            let _ = parse_each(text);
        }
        assert_eq!(one("''''=1").label, "_");
        assert!(parse("a=1;;;;").is_ok());
        assert_eq!(parse("a=1 \t\n b=2").unwrap().len(), 2);
    }

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
