//! check_cdr_api: the net.Console CDR download through Apache.
use clap::Parser;
use opscheck::checks::cdr_api::{self, Options};
use opscheck::cli::CommonArgs;
use opscheck::{CheckResult, Plugin, Range, Thresholds};

/// Checks that the net.Console CDRs can be downloaded through Apache.
///
/// Sends GET URL/api/cdr/csv/getcdr?date=YYYYMMDD (the date is today in local
/// time, or --days-ago N days before), as the Escaux guide does with wget.
/// OK needs HTTP 200, a body that parses as CSV with at least --min-records
/// records, and an answer within --warning-time/--critical-time. 502 or 503
/// come from Apache: the CDR backend behind `ProxyPass /api/cdr/
/// http://127.0.0.1:4445/api/cdr/` answers garbage or is down (CRITICAL, said
/// so). Any other status, a redirect loop, no answer within -t, or a body that
/// is not CSV is CRITICAL; a body over --max-size is UNKNOWN. Chunked answers
/// and HTTPS (rustls; --insecure skips the certificate check, for a SOP's
/// self-signed certificate) are handled.
#[derive(Parser, Debug)]
#[command(name = "check_cdr_api", version)]
struct Args {
    /// Base URL of the SOP's web server: scheme, host, port and an optional prefix
    #[arg(
        short = 'u',
        long,
        value_name = "URL",
        default_value = "http://127.0.0.1"
    )]
    url: String,

    /// Ask for the CDRs of N days ago instead of today (1: yesterday's full day)
    #[arg(long, value_name = "N", default_value_t = 0)]
    days_ago: u32,

    /// Fewer CSV records than N is CRITICAL (0 accepts an empty day)
    #[arg(long, value_name = "N", default_value_t = 1)]
    min_records: u64,

    /// Warning range on the response time in seconds (request to the last byte)
    #[arg(
        long,
        value_name = "RANGE",
        default_value = "2",
        allow_hyphen_values = true
    )]
    warning_time: Range,

    /// Critical range on the response time in seconds
    #[arg(
        long,
        value_name = "RANGE",
        default_value = "5",
        allow_hyphen_values = true
    )]
    critical_time: Range,

    /// A body larger than SIZE bytes is not read (UNKNOWN). Suffixes K, M, G
    #[arg(long, value_name = "SIZE", default_value = "64M",
          value_parser = opscheck::checks::log_pattern::parse_size)]
    max_size: u64,

    /// Redirects followed at most; more is CRITICAL (a redirect loop)
    #[arg(long, value_name = "N", default_value_t = 5)]
    max_redirects: u32,

    /// Do not verify the server's TLS certificate (a self-signed certificate on
    /// the SOP). The connection is still encrypted, but anyone on the path could
    /// pose as the server: prefer a certificate the system trusts
    #[arg(long)]
    insecure: bool,

    #[command(flatten)]
    common: CommonArgs,
}

impl Plugin for Args {
    const SERVICE: &'static str = "CDR_API";
    const DEFINITION: opscheck::definitions::Hints = opscheck::definitions::Hints {
        vars: &[],
        defaults: &[("url", "http://$check_address$")],
        env: &[],
    };

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn check(&self) -> CheckResult {
        cdr_api::check(&Options {
            url: self.url.clone(),
            days_ago: self.days_ago,
            min_records: self.min_records,
            time: Thresholds::new(
                Some(self.warning_time.clone()),
                Some(self.critical_time.clone()),
            ),
            max_size: self.max_size,
            max_redirects: self.max_redirects,
            insecure: self.insecure,
        })
    }
}

fn main() {
    opscheck::run::<Args>()
}
