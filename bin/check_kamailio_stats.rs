//! check_kamailio_stats: Kamailio SIP stack statistics, as rates between runs.
use clap::Parser;
use opscheck::checks::kamailio_stats::{
    self, counters_for, normalise_ranges, Options, Source, DEFAULT_SOCKET,
};
use opscheck::cli::CommonArgs;
use opscheck::input::InputArgs;
use opscheck::state::StateArgs;
use opscheck::threshold::NamedRange;
use opscheck::{CheckResult, Plugin, Range, Thresholds};

/// Checks a Kamailio SIP stack through its statistics (`kamctl stats`).
///
/// Reads `kamcmd -s SOCKET stats.get_statistics all` (default), a command
/// printing `kamctl stats` output (--command 'kamctl stats'), JSON-RPC
/// `stats.fetch` over HTTP (--url), or a captured output (--input). The
/// previous sample is kept in the state directory, so counters become rates per
/// second between two runs: core:rcv_requests, core:rcv_requests_invite,
/// core:rcv_replies, core:fwd_requests, core:drop_requests, core:err_requests
/// and any --counter. The first run (no state yet) only records a baseline and
/// is OK ("collecting baseline"). A counter that went down means Kamailio
/// restarted or its statistics were reset: noted, baseline reset, no rate, OK.
/// Shared memory use (shmem:real_used_size / shmem:total_size) and active
/// dialogs are judged on every run. Kamailio unreachable is CRITICAL.
#[derive(Parser, Debug)]
#[command(name = "check_kamailio_stats", version)]
struct Args {
    /// Kamailio's ctl socket, as `kamcmd -s` takes it (unix:/path, tcp:host:port, udp:host:port)
    #[arg(long, value_name = "SOCKET", default_value = DEFAULT_SOCKET)]
    socket: String,

    /// JSON-RPC over HTTP (xhttp + jsonrpcs), e.g. http://127.0.0.1:5060/RPC. Each poll
    /// counts itself in core:rcv_requests: one request per poll is subtracted from its rate
    #[arg(long, value_name = "URL", conflicts_with_all = ["input", "command"])]
    url: Option<String>,

    #[command(flatten)]
    input: InputArgs,

    /// Another counter to report as a rate (repeatable), e.g. `sl:200_replies` or `tmx:UAS_transactions`
    #[arg(long = "counter", value_name = "NAME")]
    counters: Vec<String>,

    /// Warning range on a counter's rate per second, NAME=RANGE (repeatable),
    /// e.g. `core:drop_requests=5`; a counter named here is reported without --counter
    #[arg(long, value_name = "NAME=RANGE", allow_hyphen_values = true)]
    warning_rate: Vec<NamedRange>,

    /// Critical range on a counter's rate per second, NAME=RANGE (repeatable),
    /// e.g. `core:rcv_requests=@0` (traffic stopped)
    #[arg(long, value_name = "NAME=RANGE", allow_hyphen_values = true)]
    critical_rate: Vec<NamedRange>,

    /// Warning range on shared memory used, in % of shmem:total_size
    #[arg(
        long,
        value_name = "RANGE",
        default_value = "80",
        allow_hyphen_values = true
    )]
    warning_shmem: Range,

    /// Critical range on shared memory used, in % of shmem:total_size
    #[arg(
        long,
        value_name = "RANGE",
        default_value = "90",
        allow_hyphen_values = true
    )]
    critical_shmem: Range,

    /// Warning range on active dialogs (dialog:active_dialogs, or another module's *:active_dialogs)
    #[arg(long, value_name = "RANGE", allow_hyphen_values = true)]
    warning_dialogs: Option<Range>,

    /// Critical range on active dialogs
    #[arg(long, value_name = "RANGE", allow_hyphen_values = true)]
    critical_dialogs: Option<Range>,

    /// Name of this Kamailio instance in the state directory [default: the socket, URL, command or input file]
    #[arg(long, value_name = "NAME")]
    instance: Option<String>,

    #[command(flatten)]
    state: StateArgs,

    #[command(flatten)]
    common: CommonArgs,
}

impl Plugin for Args {
    const SERVICE: &'static str = "KAMAILIO_STATS";

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn check(&self) -> CheckResult {
        let (source, key) = match &self.url {
            Some(url) => (Source::Url(url.clone()), url.clone()),
            None => {
                let key = match (&self.input.input, &self.input.command) {
                    (Some(path), _) => format!("input:{}", path.display()),
                    (None, Some(command)) => format!("command:{command}"),
                    (None, None) => self.socket.clone(),
                };
                (Source::Text(self.input.clone(), self.socket.clone()), key)
            }
        };
        let warning_rate = normalise_ranges(&self.warning_rate);
        let critical_rate = normalise_ranges(&self.critical_rate);
        let options = Options {
            counters: counters_for(&self.counters, &warning_rate, &critical_rate),
            warning_rate,
            critical_rate,
            shmem: Thresholds::new(
                Some(self.warning_shmem.clone()),
                Some(self.critical_shmem.clone()),
            ),
            dialogs: Thresholds::new(self.warning_dialogs.clone(), self.critical_dialogs.clone()),
            self_counted: u64::from(self.url.is_some()),
        };
        // Answer before the watchdog does, so a hung HTTP server is CRITICAL, not a timeout.
        let budget = opscheck::deadline::current().remaining();
        kamailio_stats::check(
            &source,
            &self.state,
            self.instance.as_deref().unwrap_or(&key),
            &options,
            budget,
        )
    }
}

fn main() {
    opscheck::run::<Args>()
}
