//! What `systemctl show -p …` prints: one block of `KEY=VALUE` lines per unit,
//! blocks separated by a blank line, in the order the units were named.
//!
//! Older managers know fewer properties (systemd 219 of CentOS 7 has no
//! `NRestarts`) and silently leave out what they do not know, so an absent
//! property is never an error here: the caller decides what its absence means.
//! An empty value (`ControlGroup=`) is the same as an absent one.

use std::collections::BTreeMap;

/// The properties asked for, in the order given to `systemctl show -p`.
pub const PROPERTIES: &[&str] = &[
    "Id",
    "LoadState",
    "LoadError",
    "ActiveState",
    "SubState",
    "Result",
    "ActiveEnterTimestamp",
    "ActiveEnterTimestampMonotonic",
    "NRestarts",
    "MainPID",
    "ControlGroup",
    "Type",
    "UnitFileState",
];

/// One unit's block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Properties {
    values: BTreeMap<String, String>,
}

impl Properties {
    /// A property's value; `None` when absent or empty.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A numeric property: `Ok(None)` when absent, an error naming it when it is not a number.
    pub fn number(&self, key: &str) -> Result<Option<u64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(text) => {
                text.trim().parse::<u64>().map(Some).map_err(|_| {
                    format!("{key} '{}' is not a number", super::shown(&cut(text, 40)))
                })
            }
        }
    }

    pub fn insert(&mut self, key: &str, value: &str) {
        self.values.insert(key.to_string(), value.to_string());
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

fn cut(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

fn valid_key(key: &str) -> bool {
    !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parses the whole output into blocks. A line that is not `KEY=VALUE` means
/// this is not `systemctl show` output (an error message, a `systemctl status`
/// capture): an error naming the line, never a guess.
pub fn parse_show(text: &str) -> Result<Vec<Properties>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut blocks = Vec::new();
    let mut current = Properties::default();
    for (number, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
            continue;
        }
        match line.split_once('=') {
            Some((key, value)) if valid_key(key) => current.insert(key, value),
            _ => {
                return Err(format!(
                    "line {} is not a systemctl show property (KEY=VALUE): '{}'",
                    number + 1,
                    super::shown(&cut(line, 60))
                ))
            }
        }
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    if blocks.is_empty() {
        return Err("no unit properties in the output".to_string());
    }
    Ok(blocks)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn fields<const N: usize>(text: &str, sep: char) -> Option<[i64; N]> {
    let mut out = [0i64; N];
    let mut parts = text.split(sep);
    for slot in out.iter_mut() {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 4 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = part.parse().ok()?;
    }
    parts.next().is_none().then_some(out)
}

/// A numeric zone, `+0200`, `-05:00` or `+02`, in seconds east of UTC.
fn numeric_zone(zone: &str) -> Option<i64> {
    let (sign, digits) = match zone.as_bytes().first()? {
        b'+' => (1, &zone[1..]),
        b'-' => (-1, &zone[1..]),
        _ => return None,
    };
    let digits: String = digits.chars().filter(|&c| c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i64>().ok()?, 0),
        4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
        _ => return None,
    };
    (h <= 14 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

/// Seconds since the epoch of a systemd timestamp as `systemctl show` prints
/// it: `Tue 2026-12-01 10:00:00 UTC` (the weekday and the zone may be absent;
/// `UTC`, `GMT`, `Z` and numeric zones are read anywhere). A zone
/// abbreviation such as `CEST` is only read when it is this host's own for
/// that date (resolved through the C library's time zone); elsewhere it is
/// ambiguous, and the error says so — capture with `TZ=UTC systemctl show …`.
pub fn parse_timestamp(text: &str) -> Result<i64, String> {
    let bad = || format!("'{}' is not a systemd timestamp", cut(text, 60));
    let mut words: Vec<&str> = text.split_whitespace().collect();
    if words
        .first()
        .is_some_and(|w| w.len() == 3 && w.chars().all(|c| c.is_ascii_alphabetic()))
    {
        words.remove(0);
    }
    let (date, time, zone) = match words.as_slice() {
        [date, time] => (*date, *time, None),
        [date, time, zone] => (*date, *time, Some(*zone)),
        _ => return Err(bad()),
    };
    let [year, month, day] = fields::<3>(date, '-').ok_or_else(bad)?;
    let time = time.split('.').next().unwrap_or(time);
    let [hour, minute, second] = fields::<3>(time, ':').ok_or_else(bad)?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return Err(bad());
    }
    if second > 60 || !(1970..=9999).contains(&year) {
        return Err(bad());
    }
    let local = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    match zone {
        None | Some("UTC") | Some("GMT") | Some("Z") | Some("UCT") => Ok(local),
        Some(zone) => {
            if let Some(offset) = numeric_zone(zone) {
                return Ok(local - offset);
            }
            host_zone(year, month, day, hour, minute, second, zone).ok_or_else(|| {
                format!(
                    "time zone '{}' of '{}' is not this host's: capture with TZ=UTC",
                    cut(zone, 10),
                    cut(text, 60)
                )
            })
        }
    }
}

/// The local time given, read in this host's time zone, when that zone calls
/// itself `zone` at that time.
fn host_zone(
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    zone: &str,
) -> Option<i64> {
    if !zone.chars().all(|c| c.is_ascii_alphanumeric()) || zone.len() > 8 {
        return None;
    }
    for isdst in [0, 1] {
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        tm.tm_year = (year - 1900) as i32;
        tm.tm_mon = (month - 1) as i32;
        tm.tm_mday = day as i32;
        tm.tm_hour = hour as i32;
        tm.tm_min = minute as i32;
        tm.tm_sec = second as i32;
        tm.tm_isdst = isdst;
        let t = unsafe { libc::mktime(&mut tm) };
        if t == -1 || tm.tm_zone.is_null() {
            continue;
        }
        let name = unsafe { std::ffi::CStr::from_ptr(tm.tm_zone) };
        if name.to_str() == Ok(zone) && tm.tm_isdst == isdst {
            return Some(t);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_in_order_with_empty_and_absent_properties() {
        let text = "Id=sre.service\nLoadState=loaded\nControlGroup=/system.slice/sre.service\n\n\
                    Id=nosuch.service\nLoadState=not-found\nControlGroup=\nNRestarts=0\n";
        let blocks = parse_show(text).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].get("Id"), Some("sre.service"));
        assert_eq!(blocks[0].get("NRestarts"), None);
        assert_eq!(blocks[1].get("ControlGroup"), None);
        assert_eq!(blocks[1].number("NRestarts"), Ok(Some(0)));
        assert_eq!(blocks[0].number("NRestarts"), Ok(None));
    }

    #[test]
    fn crlf_several_blank_lines_and_values_with_equals() {
        let text = "\r\nId=a.service\r\nLoadError=org.freedesktop.systemd1.NoSuchUnit \"Unit a=b\"\r\n\r\n\r\n";
        let blocks = parse_show(text).unwrap();
        assert_eq!(blocks.len(), 1);
        assert_eq!(
            blocks[0].get("LoadError"),
            Some("org.freedesktop.systemd1.NoSuchUnit \"Unit a=b\"")
        );
    }

    #[test]
    fn other_text_is_refused() {
        assert!(parse_show("").unwrap_err().contains("no unit properties"));
        assert!(parse_show("\n \n").is_err());
        let status =
            "* sre.service - SRE\n   Loaded: loaded (/usr/lib/systemd/system/sre.service)\n";
        let err = parse_show(status).unwrap_err();
        assert!(err.contains("line 1"), "{err}");
        let err = parse_show("Failed to connect to bus: No such file or directory").unwrap_err();
        assert!(err.contains("line 1"), "{err}");
        assert!(parse_show("=x").is_err());
        assert!(parse_show("Bad Key=x").is_err());
        let mut p = Properties::default();
        p.insert("MainPID", "12a");
        assert!(p.number("MainPID").unwrap_err().contains("MainPID '12a'"));
    }

    #[test]
    fn timestamps() {
        assert_eq!(
            parse_timestamp("Tue 2026-12-01 10:00:00 UTC"),
            Ok(1_796_119_200)
        );
        assert_eq!(parse_timestamp("1970-01-01 00:00:00"), Ok(0));
        assert_eq!(
            parse_timestamp("Wed 2024-06-05 12:01:26 +0200"),
            parse_timestamp("Wed 2024-06-05 10:01:26 UTC")
        );
        assert_eq!(
            parse_timestamp("Wed 2024-06-05 05:01:26 -05:00"),
            parse_timestamp("Wed 2024-06-05 10:01:26 GMT")
        );
        assert_eq!(
            parse_timestamp("2024-02-29 00:00:00 UTC"),
            Ok(1_709_164_800)
        );
        for bad in [
            "",
            "n/a",
            "Tue 2026-13-01 10:00:00 UTC",
            "Tue 2026-12-01 10:00 UTC",
            "Tue 2026-12-01 25:00:00 UTC",
            "Tue 2026-12-01 10:00:00 UTC extra",
            "Tue -2026-12-01 10:00:00 UTC",
            "Tue 99999-12-01 10:00:00 UTC",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad}");
        }
        // An abbreviation that is not this host's (the tests run in UTC or another zone).
        let err = parse_timestamp("Wed 2024-06-05 12:01:26 XYZT").unwrap_err();
        assert!(err.contains("time zone 'XYZT'"), "{err}");
    }
}
