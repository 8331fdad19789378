//! Reading a sample: `name value` lines (a command's output or `--input`), or
//! StarOS bulk statistics files: CSV rows made by a schema format such as
//! `EMS,pgwSch1,%date%,%time%,%vpnname%,%servname%,%sessstat-pdn-ttlsetup%`
//! (`--schema`, whose literal fields pick the schema's rows out of a file that
//! mixes several), or a header line naming the columns. Counters are named
//! `SCHEMA/KEY…/field`, where KEY are the row's non-numeric fields (VPN,
//! service). Kept apart from the comparison, which only sees named counters.

use crate::runner::Failure;
use std::collections::BTreeMap;

pub type Counters = BTreeMap<String, u64>;

/// `name value` lines (also `name = value`, `name: value`). Blank lines and
/// `#` comments are skipped; returns the counters and the lines not understood.
pub fn parse_lines(text: &str) -> (Counters, Vec<String>) {
    let mut counters = Counters::new();
    let mut rejected = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parsed = line
            .rsplit_once(|c: char| c.is_whitespace() || c == '=' || c == ':')
            .and_then(|(name, value)| {
                let name = name.trim().trim_end_matches(['=', ':']).trim();
                let value = value.trim().parse::<u64>().ok()?;
                (!name.is_empty() && !name.contains(char::is_control)).then_some((name, value))
            });
        match parsed {
            Some((name, value)) => {
                counters.insert(name.to_string(), value);
            }
            None => rejected.push(line.to_string()),
        }
    }
    (counters, rejected)
}

/// Fields that are the sample's time, never counters nor keys.
const TIME_FIELDS: [&str; 12] = [
    "date",
    "date3",
    "time",
    "time2",
    "time3",
    "epochtime",
    "localdate",
    "localdate3",
    "localtime",
    "localtime2",
    "localtime3",
    "uptime",
];

/// One column of a schema: a literal (`EMS`, `pgwSch1`) or a variable (`%vpnname%`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Literal(String),
    Variable(String),
}

/// A schema format as StarOS takes it: `EMS,pgwSch1,%date%,%time%,%vpnname%,…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    pub fields: Vec<Field>,
}

impl Schema {
    pub fn parse(format: &str) -> Result<Schema, Failure> {
        let format = format.trim().trim_matches('"');
        if format.is_empty() {
            return Err(Failure::unknown("--schema '' is empty"));
        }
        let fields: Vec<Field> = format
            .split(',')
            .map(|f| {
                let f = f.trim();
                match f.strip_prefix('%').and_then(|f| f.strip_suffix('%')) {
                    Some(name) if !name.is_empty() => Field::Variable(name.to_string()),
                    _ => Field::Literal(f.to_string()),
                }
            })
            .collect();
        if !fields.iter().any(|f| matches!(f, Field::Variable(_))) {
            return Err(Failure::unknown(format!(
                "--schema '{format}' names no %variable%"
            )));
        }
        Ok(Schema { fields })
    }

    /// A header line: every column is a variable name (`%` optional).
    fn from_header(line: &[String]) -> Schema {
        Schema {
            fields: line
                .iter()
                .map(|f| Field::Variable(f.trim().trim_matches('%').to_string()))
                .collect(),
        }
    }

    /// The schema's name: its literal fields after the first (`pgwSch1`), or all of them.
    fn name(&self) -> String {
        let literals: Vec<&str> = self
            .fields
            .iter()
            .filter_map(|f| match f {
                Field::Literal(l) if !l.is_empty() => Some(l.as_str()),
                _ => None,
            })
            .collect();
        match literals.len() {
            0 => String::new(),
            1 => literals[0].to_string(),
            _ => literals[1..].join("/"),
        }
    }

    fn matches(&self, row: &csv::StringRecord) -> bool {
        row.len() == self.fields.len()
            && self.fields.iter().zip(row.iter()).all(|(f, v)| match f {
                Field::Literal(l) => l == v.trim(),
                Field::Variable(_) => true,
            })
    }
}

/// The counters of a bulk statistics file, and when the newest row was taken
/// (seconds since the epoch, from `%epochtime%` or `%date%`+`%time%`, UTC).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bulk {
    pub counters: Counters,
    pub taken: Option<i64>,
    pub rows: usize,
    pub rejected: usize,
}

/// Reads a bulk statistics file. Rows of several samples of one key: the last wins.
pub fn parse_bulkstats(text: &str, schemas: &[Schema]) -> Result<Bulk, Failure> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let mut bulk = Bulk::default();
    let mut header: Option<Schema> = None;
    for record in reader.records() {
        let record = record.map_err(|e| Failure::unknown(format!("bulk statistics: {e}")))?;
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        let schema = if schemas.is_empty() {
            match &header {
                None => {
                    let names: Vec<String> = record.iter().map(str::to_string).collect();
                    header = Some(Schema::from_header(&names));
                    continue;
                }
                Some(h) if h.fields.len() == record.len() => h,
                Some(_) => {
                    bulk.rejected += 1;
                    continue;
                }
            }
        } else {
            match schemas.iter().find(|s| s.matches(&record)) {
                Some(s) => s,
                None => {
                    bulk.rejected += 1;
                    continue;
                }
            }
        };
        bulk.rows += 1;
        let mut key: Vec<String> = Vec::new();
        let name = schema.name();
        if !name.is_empty() {
            key.push(name);
        }
        let mut values: Vec<(&str, u64)> = Vec::new();
        let (mut date, mut time, mut epoch) = (None, None, None);
        for (field, value) in schema.fields.iter().zip(record.iter()) {
            let Field::Variable(var) = field else {
                continue;
            };
            match var.as_str() {
                "epochtime" => epoch = value.parse::<i64>().ok(),
                "date" => date = Some(value),
                "time" => time = Some(value),
                v if TIME_FIELDS.contains(&v) => {}
                v => match value.parse::<u64>() {
                    Ok(n) => values.push((v, n)),
                    // Information fields (VPN, service names) make the key;
                    // an empty value is a counter StarOS could not fill.
                    Err(_) if !value.is_empty() => key.push(value.to_string()),
                    Err(_) => {}
                },
            }
        }
        let taken = epoch.or_else(|| date.zip(time).and_then(|(d, t)| utc_seconds(d, t)));
        if let Some(t) = taken {
            bulk.taken = Some(bulk.taken.map_or(t, |old: i64| old.max(t)));
        }
        let prefix = key.join("/");
        for (var, n) in values {
            let name = if prefix.is_empty() {
                var.to_string()
            } else {
                format!("{prefix}/{var}")
            };
            bulk.counters.insert(name, n);
        }
    }
    if bulk.rows == 0 {
        return Err(Failure::unknown(if schemas.is_empty() {
            "no bulk statistics row after the header line (or no header: give --schema)".to_string()
        } else {
            format!(
                "no row matches the --schema given ({} rows of other schemas)",
                bulk.rejected
            )
        }));
    }
    Ok(bulk)
}

/// `YYYYMMDD` and `HHMMSS` (UTC, as StarOS's %date% and %time%) as epoch seconds.
pub fn utc_seconds(date: &str, time: &str) -> Option<i64> {
    let time = time.replace(':', "");
    if date.len() != 8 || time.len() != 6 {
        return None;
    }
    let n = |s: &str| s.parse::<i64>().ok();
    let (y, m, d) = (n(&date[..4])?, n(&date[4..6])?, n(&date[6..])?);
    let (hh, mm, ss) = (n(&time[..2])?, n(&time[2..4])?, n(&time[4..])?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    Some(days * 86400 + hh * 3600 + mm * 60 + ss)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_value_lines() {
        let (c, rejected) =
            parse_lines("# comment\nsess-ttlsetup 120\nx = 7\ny: 8\nbad line\n\nneg -1\n");
        assert_eq!(c.get("sess-ttlsetup"), Some(&120));
        assert_eq!(c.get("x"), Some(&7));
        assert_eq!(c.get("y"), Some(&8));
        assert_eq!(rejected, ["bad line", "neg -1"]);
    }

    const SCHEMA: &str = "EMS,pgwSch1,%date%,%time%,%vpnname%,%servname%,%sessstat-pdn-ttlsetup%,%sessstat-pdn-curactive%";

    #[test]
    fn bulkstats_with_a_schema() {
        let s = Schema::parse(SCHEMA).unwrap();
        let text = "EMS,systemSch1,20261201,193000,12\n\
                    EMS,pgwSch1,20261201,193000,ISP1,PGW1,1000,50\n\
                    EMS,pgwSch1,20261201,193500,ISP1,PGW1,1100,40\n\
                    EMS,pgwSch1,20261201,193500,ISP2,PGW2,7,\n";
        let b = parse_bulkstats(text, &[s]).unwrap();
        assert_eq!(b.rows, 3);
        assert_eq!(b.rejected, 1);
        assert_eq!(
            b.counters.get("pgwSch1/ISP2/PGW2/sessstat-pdn-ttlsetup"),
            Some(&7)
        );
        assert_eq!(
            b.counters.get("pgwSch1/ISP1/PGW1/sessstat-pdn-ttlsetup"),
            Some(&1100)
        );
        assert_eq!(
            b.counters.get("pgwSch1/ISP1/PGW1/sessstat-pdn-curactive"),
            Some(&40)
        );
        assert_eq!(b.taken, utc_seconds("20261201", "193500"));
        assert!(parse_bulkstats("EMS,other,1\n", &[Schema::parse(SCHEMA).unwrap()]).is_err());
    }

    #[test]
    fn bulkstats_with_a_header() {
        let text =
            "schema,epochtime,vpnname,servname,aaa-ttlreq\npgwSch1,1764617400,ISP1,PGW1,55\n";
        let b = parse_bulkstats(text, &[]).unwrap();
        assert_eq!(b.counters.get("pgwSch1/ISP1/PGW1/aaa-ttlreq"), Some(&55));
        assert_eq!(b.taken, Some(1764617400));
        assert!(parse_bulkstats("only,a,header\n", &[]).is_err());
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc_seconds("19700101", "000000"), Some(0));
        assert_eq!(utc_seconds("20261201", "19:30:00"), Some(1796153400));
        assert_eq!(utc_seconds("20261301", "000000"), None);
        assert_eq!(utc_seconds("2026", "000000"), None);
    }

    #[test]
    fn schemas_need_a_variable() {
        assert!(Schema::parse("").is_err());
        assert!(Schema::parse("EMS,x").is_err());
    }
}
