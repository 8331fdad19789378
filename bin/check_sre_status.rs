//! check_sre_status: the Netaxis SRE global status (`sre-admin status`).
use clap::Parser;
use opscheck::checks::sre_status::{self, Expect, Options, DEFAULT_LOCALE};
use opscheck::cli::CommonArgs;
use opscheck::input::InputArgs;
use opscheck::{CheckResult, Plugin, Range, Thresholds};

fn non_empty(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        Err("an empty value is not allowed".to_string())
    } else {
        Ok(text.to_string())
    }
}

/// Checks a Netaxis SRE platform through `sre-admin status`, on the master EM.
///
/// Runs `/opt/sre/bin/sre-admin status` (with LC_ALL set to --locale, as the SRE
/// guide advises) or --command, or reads a captured output (--input), and judges
/// its sections. Server DB status: exactly one master (none is CRITICAL "no
/// writer", two or more CRITICAL "split brain"). Server DB replication status:
/// every client streaming (else WARNING; fewer than --expect-clients CRITICAL),
/// byte lag = WAL sent − replayed, as 64-bit LSNs. Server DB activity:
/// connections (rows with a user) and connections idle in transaction longer
/// than --idle-in-transaction. Platform process status: each process must be
/// RUNNING where its role needs it (EMs: sre-REST, sre-cdr-collector, sre-gui,
/// sre-manager; CPs: sre-agents-monitor, sre-broker, sre-call-processor:0,
/// sre-cdr-sender, sre-enum-processor; every server: sre-health-monitor,
/// sre-http-processor), else CRITICAL; RUNNING for less than --min-uptime is a
/// restart (WARNING). A server's role comes from --em/--cp, else from its name
/// (a part `em`/`emN` or `cp`/`cpN`: SRE-33-EM1, sre-cp1-ams-dune); a server of
/// unknown role is WARNING. Platform system status: CPU, memory and swap % per
/// server. A missing section is WARNING; output with none of them UNKNOWN.
/// sre-admin failing is CRITICAL (UNKNOWN when it complains about the locale).
#[derive(Parser, Debug)]
#[command(name = "check_sre_status", version)]
struct Args {
    #[command(flatten)]
    input: InputArgs,

    /// LC_ALL for sre-admin (it refuses to run in an ASCII locale)
    #[arg(long, value_name = "LOCALE", default_value = DEFAULT_LOCALE, value_parser = non_empty)]
    locale: String,

    /// Servers that are EMs (comma-separated), whatever their names say
    #[arg(long, value_name = "HOST[,HOST…]", value_delimiter = ',', value_parser = non_empty)]
    em: Vec<String>,

    /// Servers that are CPs (comma-separated), whatever their names say
    #[arg(long, value_name = "HOST[,HOST…]", value_delimiter = ',', value_parser = non_empty)]
    cp: Vec<String>,

    /// Where a process must run, replacing its role rule (repeatable),
    /// e.g. 'sre-dns-updater=SRE-33-EM1' or 'sre-broker=SRE-33-CP1,SRE-33-CP2'
    #[arg(long, value_name = "PROCESS=HOST[,HOST…]")]
    expect: Vec<Expect>,

    /// A process never to judge (repeatable), e.g. sre-cdr-postprocessor
    #[arg(long, value_name = "PROCESS", value_parser = non_empty)]
    ignore: Vec<String>,

    /// A RUNNING process with a shorter uptime has restarted: WARNING
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    min_uptime: u64,

    /// Fewer replication clients listed than this is CRITICAL
    #[arg(long, value_name = "N")]
    expect_clients: Option<usize>,

    /// Warning range on each client's lag in bytes (WAL sent − replayed)
    #[arg(
        long,
        value_name = "RANGE",
        default_value = "16777216",
        allow_hyphen_values = true
    )]
    warning_lag_bytes: Range,

    /// Critical range on each client's lag in bytes
    #[arg(
        long,
        value_name = "RANGE",
        default_value = "134217728",
        allow_hyphen_values = true
    )]
    critical_lag_bytes: Range,

    /// Warning range on the number of DB connections
    #[arg(long, value_name = "RANGE", allow_hyphen_values = true)]
    warning_connections: Option<Range>,

    /// Critical range on the number of DB connections
    #[arg(long, value_name = "RANGE", allow_hyphen_values = true)]
    critical_connections: Option<Range>,

    /// A connection idle in transaction for longer (the seconds in parentheses) is WARNING
    #[arg(long, value_name = "SECONDS", default_value_t = 300.0)]
    idle_in_transaction: f64,

    /// Warning range on each server's CPU use in %
    #[arg(
        long,
        value_name = "RANGE",
        default_value = "85",
        allow_hyphen_values = true
    )]
    warning_cpu: Range,

    /// Critical range on each server's CPU use in %
    #[arg(
        long,
        value_name = "RANGE",
        default_value = "95",
        allow_hyphen_values = true
    )]
    critical_cpu: Range,

    /// Warning range on each server's memory use in %
    #[arg(
        long,
        value_name = "RANGE",
        default_value = "90",
        allow_hyphen_values = true
    )]
    warning_memory: Range,

    /// Critical range on each server's memory use in %
    #[arg(
        long,
        value_name = "RANGE",
        default_value = "95",
        allow_hyphen_values = true
    )]
    critical_memory: Range,

    /// Warning range on each server's swap use in %
    #[arg(
        long,
        value_name = "RANGE",
        default_value = "50",
        allow_hyphen_values = true
    )]
    warning_swap: Range,

    /// Critical range on each server's swap use in %
    #[arg(
        long,
        value_name = "RANGE",
        default_value = "80",
        allow_hyphen_values = true
    )]
    critical_swap: Range,

    #[command(flatten)]
    common: CommonArgs,
}

impl Plugin for Args {
    const SERVICE: &'static str = "SRE_STATUS";

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn check(&self) -> CheckResult {
        let pair = |w: &Range, c: &Range| Thresholds::new(Some(w.clone()), Some(c.clone()));
        if !(self.idle_in_transaction.is_finite() && self.idle_in_transaction >= 0.0) {
            return Err(opscheck::Failure::unknown(
                "--idle-in-transaction must be a number of seconds, 0 or more",
            ));
        }
        let options = Options {
            expect_clients: self.expect_clients,
            lag: pair(&self.warning_lag_bytes, &self.critical_lag_bytes),
            connections: Thresholds::new(
                self.warning_connections.clone(),
                self.critical_connections.clone(),
            ),
            idle_in_transaction: self.idle_in_transaction,
            em: self.em.clone(),
            cp: self.cp.clone(),
            expect: self.expect.clone(),
            ignore: self.ignore.clone(),
            min_uptime: self.min_uptime,
            cpu: pair(&self.warning_cpu, &self.critical_cpu),
            memory: pair(&self.warning_memory, &self.critical_memory),
            swap: pair(&self.warning_swap, &self.critical_swap),
        };
        sre_status::check(&self.input, &self.locale, &options)
    }
}

fn main() {
    opscheck::run::<Args>()
}
