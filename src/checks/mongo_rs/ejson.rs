//! Extended JSON accessors (relaxed and canonical forms, and plain JSON):
//! numbers, dates and timestamps as the driver, `mongosh` and the shell
//! converter write them. Both the status reading and the shell converter read
//! values through these, so a value means the same whichever way it came.

use serde_json::Value;

/// A number: plain JSON, or `{"$numberInt"|"$numberLong"|"$numberDouble"|"$numberDecimal": "…"}`.
pub fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Object(o) if o.len() == 1 => {
            let (key, inner) = o.iter().next()?;
            match key.as_str() {
                "$numberInt" | "$numberLong" | "$numberDouble" | "$numberDecimal" => match inner {
                    Value::String(s) => s.trim().parse().ok(),
                    other => other.as_f64(),
                },
                _ => None,
            }
        }
        _ => None,
    }
}

/// A date in milliseconds since the epoch: `{"$date": "ISO" | {"$numberLong": "ms"} | ms}`.
pub fn date_ms(v: &Value) -> Option<i64> {
    let inner = v.as_object()?.get("$date")?;
    match inner {
        Value::String(s) => parse_iso_date(s),
        other => number(other).map(|n| n as i64),
    }
}

/// The seconds part of `{"$timestamp": {"t": …, "i": …}}`.
pub fn timestamp_secs(v: &Value) -> Option<i64> {
    number(v.as_object()?.get("$timestamp")?.get("t")?).map(|n| n as i64)
}

/// `2024-06-20T10:20:42.319Z`, `…+02:00`, `…+0200`, fractional seconds of any length.
pub fn parse_iso_date(s: &str) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    let digits = |from: usize, len: usize| -> Option<i64> {
        let part = s.get(from..from + len)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (year, month, day) = (digits(0, 4)?, digits(5, 2)?, digits(8, 2)?);
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (hour, minute, second) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut pos = 19;
    let mut millis = 0i64;
    if b.get(pos) == Some(&b'.') {
        pos += 1;
        let start = pos;
        while b.get(pos).is_some_and(u8::is_ascii_digit) {
            pos += 1;
        }
        let frac = &s[start..pos];
        if frac.is_empty() {
            return None;
        }
        let padded: String = frac.chars().chain("000".chars()).take(3).collect();
        millis = padded.parse().ok()?;
    }
    let offset_minutes = match &s[pos..] {
        "Z" | "z" => 0,
        "" => 0, // the shells always print Z; a bare time is read as UTC
        tz if tz.starts_with(['+', '-']) => {
            let sign = if tz.starts_with('-') { -1 } else { 1 };
            let rest = tz[1..].replace(':', "");
            if rest.len() != 4 || !rest.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let h: i64 = rest[..2].parse().ok()?;
            let m: i64 = rest[2..].parse().ok()?;
            sign * (h * 60 + m)
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(secs * 1000 + millis)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A double as Extended JSON writes it (`1.0`, `2.5`, `-Infinity`).
pub fn format_double(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.1}")
    } else {
        format!("{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn extended_json_accessors() {
        assert_eq!(number(&json!(3)), Some(3.0));
        assert_eq!(number(&json!({"$numberLong": "-7"})), Some(-7.0));
        assert_eq!(number(&json!({"$numberInt": "7"})), Some(7.0));
        assert_eq!(number(&json!({"$numberDouble": "2.5"})), Some(2.5));
        assert_eq!(number(&json!({"$numberDecimal": "1.25"})), Some(1.25));
        assert_eq!(number(&json!("3")), None);
        assert_eq!(
            date_ms(&json!({"$date": "1970-01-01T00:00:01.5Z"})),
            Some(1500)
        );
        assert_eq!(
            date_ms(&json!({"$date": {"$numberLong": "-1000"}})),
            Some(-1000)
        );
        assert_eq!(date_ms(&json!({"$date": 42})), Some(42));
        assert_eq!(
            timestamp_secs(&json!({"$timestamp": {"t": 5, "i": 1}})),
            Some(5)
        );
        assert_eq!(
            parse_iso_date("2024-06-20T10:20:42.319Z"),
            Some(1_718_878_842_319)
        );
        assert_eq!(
            parse_iso_date("2024-06-20T12:20:42.3194+02:00"),
            Some(1_718_878_842_319)
        );
        assert_eq!(
            parse_iso_date("2024-06-20T05:20:42-0500"),
            Some(1_718_878_842_000)
        );
        assert_eq!(
            parse_iso_date("2000-02-29T00:00:00Z"),
            Some(951_782_400_000)
        );
        assert_eq!(parse_iso_date("1969-12-31T23:59:59Z"), Some(-1000));
        for bad in [
            "",
            "2024-06-20",
            "2024-13-01T00:00:00Z",
            "2024-06-20T10:20:42.Z",
            "2024-06-20T10:20:42+2",
        ] {
            assert_eq!(parse_iso_date(bad), None, "{bad}");
        }
        assert_eq!(format_double(2.0), "2.0");
        assert_eq!(format_double(2.5), "2.5");
        assert_eq!(format_double(f64::NEG_INFINITY), "-Infinity");
    }
}
