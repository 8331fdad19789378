//! check_cdr_api: the net.Console CDRs can be downloaded through Apache (seed
//! 001, "How to investigate an issue to access the CDR files"):
//! `GET /api/cdr/csv/getcdr?date=YYYYMMDD`, proxied by Apache
//! (`ProxyPass /api/cdr/ http://127.0.0.1:4445/api/cdr/`) to the Call
//! Management's CDR backend.
//!
//! OK needs status 200, a body that parses as CSV with at least
//! `--min-records` records, and a response time within the thresholds. A 502 or
//! 503 comes from Apache itself: the backend on port 4445 is down or answers
//! garbage. HTTP through ureq (chunked bodies, redirects counted, a size limit),
//! TLS through rustls with the ring provider.

use crate::output::{plural, Check, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::runner::Failure;
use crate::status::State;
use crate::threshold::Thresholds;
use std::time::Instant;

pub const DEFAULT_PATH: &str = "/api/cdr/csv/getcdr";

#[derive(Debug, Clone)]
pub struct Options {
    /// Base URL: scheme, host, port and an optional prefix (`http://127.0.0.1`).
    pub url: String,
    pub days_ago: u32,
    pub min_records: u64,
    pub time: Thresholds,
    pub max_size: u64,
    pub max_redirects: u32,
    pub insecure: bool,
}

/// The request URL for a date.
pub fn request_url(base: &str, date: &str) -> Result<String, Failure> {
    let base = base.trim();
    if base.is_empty() {
        return Err(Failure::unknown("--url '' is empty"));
    }
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(Failure::unknown(format!(
            "--url '{base}' must start with http:// or https://"
        )));
    }
    Ok(format!(
        "{}{DEFAULT_PATH}?date={date}",
        base.trim_end_matches('/')
    ))
}

/// The date asked for: today in local time, or `days_ago` days before.
pub fn date_for(days_ago: u32) -> Result<String, Failure> {
    let now = crate::localtime::now_seconds()?;
    let then = now
        .checked_sub(i64::from(days_ago) * 86_400)
        .ok_or_else(|| Failure::unknown("--days-ago is out of range"))?;
    Ok(crate::localtime::local_time(then)?.yyyymmdd())
}

/// What the CSV body holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Csv {
    pub records: u64,
    pub fields: usize,
}

/// Counts the records of a CSV body (every record with the same number of
/// fields). An HTML page (a proxy's or an application server's error page
/// served with 200) is not CSV.
pub fn parse_csv(body: &[u8]) -> Result<Csv, String> {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    if body[start..].starts_with(b"<") {
        return Err("the body is HTML or XML, not CSV".to_string());
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .from_reader(body);
    let mut records = 0u64;
    let mut fields = 0;
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                records += 1;
                fields = record.len();
            }
            Err(e) => return Err(format!("the body is not CSV: {e}")),
        }
    }
    Ok(Csv { records, fields })
}

/// The state and words for an HTTP status other than 200.
pub fn judge_status(status: u16, url: &str, date: &str) -> Failure {
    let reason = match status {
        502 => "Bad Gateway: the proxy got no valid answer from the CDR backend (127.0.0.1:4445 on a SOP)",
        503 => "Service Unavailable: the proxy cannot reach the CDR backend (down? 127.0.0.1:4445 on a SOP)",
        504 => "Gateway Timeout: the CDR backend did not answer the proxy in time",
        404 => "Not Found: no CDR for this date, or no ProxyPass for /api/cdr/",
        401 | 403 => "access refused",
        _ => "",
    };
    let reason = if reason.is_empty() {
        String::new()
    } else {
        format!(" {reason}")
    };
    Failure::critical(format!(
        "{url} answered HTTP {status}{reason} (date {date})"
    ))
}

pub fn check(options: &Options) -> Result<Check, Failure> {
    let date = date_for(options.days_ago)?;
    let url = request_url(&options.url, &date)?;
    let deadline = crate::deadline::current();
    crate::timeout::set_activity(format!("fetching {url}"));
    let mut tls = ureq::tls::TlsConfig::builder().provider(ureq::tls::TlsProvider::Rustls);
    if options.insecure {
        tls = tls.disable_verification(true);
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(deadline.remaining()))
        .http_status_as_error(false)
        .max_redirects(options.max_redirects)
        .max_redirects_will_error(true)
        .tls_config(tls.build())
        .user_agent(concat!(
            "opscheck check_cdr_api/",
            env!("CARGO_PKG_VERSION")
        ))
        .build()
        .into();
    let started = Instant::now();
    let within = deadline.budget_text();
    let failed = |e: ureq::Error| -> Failure {
        match e {
            ureq::Error::BadUri(_) | ureq::Error::Http(_) => {
                Failure::unknown(format!("bad URL '{url}': {e}"))
            }
            ureq::Error::Timeout(_) => {
                Failure::critical(format!("no answer from {url} within {within}"))
            }
            ureq::Error::TooManyRedirects => Failure::critical(format!(
                "{url}: more than {} redirects (a redirect loop?)",
                options.max_redirects
            )),
            ureq::Error::BodyExceedsLimit(limit) => Failure::unknown(format!(
                "{url}: the answer is larger than --max-size ({limit} bytes)"
            )),
            e => Failure::critical(format!("cannot get {url}: {e}")),
        }
    };
    let mut response = agent.get(&url).call().map_err(failed)?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(options.max_size)
        .read_to_vec()
        .map_err(failed)?;
    let elapsed = started.elapsed().as_secs_f64();
    if status != 200 {
        return Err(judge_status(status, &url, &date));
    }
    let mut check = Check::new();
    let time = options.time.judge("time", elapsed, Uom::Seconds);
    let time_state = time.state;
    check.perf(time.perfdata.min(0.0));
    check.perf(Perfdata::new("size", body.len() as f64, Uom::Bytes).min(0.0));
    let records = match parse_csv(&body) {
        Ok(csv) => csv.records,
        Err(why) => {
            check.perf(Perfdata::unknown("records", Uom::None));
            check.item(Item::new(State::Critical, format!("CDRs of {date}: {why}")));
            return Ok(check);
        }
    };
    let enough = Thresholds::new(
        None,
        Some(crate::range::Range::below(options.min_records as f64)),
    );
    let count = enough.judge("records", records as f64, Uom::None).min(0.0);
    let too_few = count.state != State::Ok;
    check.perf(count.perfdata);
    let time_text = format!("{elapsed:.3} s");
    if too_few {
        let what = if body.iter().all(u8::is_ascii_whitespace) {
            "an empty body".to_string()
        } else {
            plural(records as usize, "record")
        };
        check.item(Item::new(
            State::Critical,
            format!(
                "CDRs of {date}: {what}, at least {} expected",
                options.min_records
            ),
        ));
    } else {
        check.item(Item::new(
            State::Ok,
            format!(
                "CDRs of {date}: {} ({})",
                plural(records as usize, "record"),
                plural(body.len(), "byte")
            ),
        ));
    }
    check.item(Item::new(time_state, format!("answered in {time_text}")));
    if check.state() == State::Ok {
        check.ok_summary(format!(
            "CDRs of {date}: {} in {time_text}",
            plural(records as usize, "record")
        ));
    }
    Ok(check)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            request_url("http://127.0.0.1", "20101002").unwrap(),
            "http://127.0.0.1/api/cdr/csv/getcdr?date=20101002"
        );
        assert_eq!(
            request_url("https://sop1:8443/pre/", "20101002").unwrap(),
            "https://sop1:8443/pre/api/cdr/csv/getcdr?date=20101002"
        );
        assert!(request_url("", "x").is_err());
        assert!(request_url("ftp://x", "x").is_err());
    }

    #[test]
    fn csv_bodies() {
        let body = b"\"1285860649.5535\",\"96568\",\"91313\",\"2010-10-02 10:40:42\",\"ANSWERED\"\n\
                     \"1285860650.5536\",\"96569\",\"91313\",\"2010-10-02 10:41:02\",\"NO ANSWER\"\n";
        assert_eq!(
            parse_csv(body),
            Ok(Csv {
                records: 2,
                fields: 5
            })
        );
        assert_eq!(
            parse_csv(b""),
            Ok(Csv {
                records: 0,
                fields: 0
            })
        );
        assert!(parse_csv(b"<html><body>Error</body></html>").is_err());
        assert!(parse_csv(b"a,b,c\nd,e\n").is_err());
    }

    #[test]
    fn statuses() {
        let f = judge_status(503, "u", "d");
        assert_eq!(f.state, State::Critical);
        assert!(f.message.contains("backend"));
        assert!(judge_status(404, "u", "d").message.contains("Not Found"));
        assert!(judge_status(418, "u", "d").message.contains("HTTP 418"));
    }

    #[test]
    fn dates() {
        let today = date_for(0).unwrap();
        assert_eq!(today.len(), 8);
        assert!(date_for(1).unwrap() < today);
    }
}
