//! check_asterisk_peers: SIP peers of Asterisk (chan_sip or PJSIP), as the net.Console guide checks them.
use clap::Parser;
use opscheck::checks::asterisk::peers::{self, Options};
use opscheck::checks::asterisk::source::SourceArgs;
use opscheck::cli::CommonArgs;
use opscheck::definitions::Hints;
use opscheck::{CheckResult, Plugin, Range, State, Thresholds};

/// Checks the SIP peers of Asterisk: `sip show peers [like PATTERN]` (chan_sip),
/// or with --pjsip `pjsip show contacts` (--endpoints: `pjsip show endpoints`).
///
/// Each peer is online (`OK (n ms)`, `Avail`), lagged (`LAGGED (n ms)`: WARNING
/// by default, --lagged-state), unreachable (`UNREACHABLE`, `Unavail`), not
/// qualified yet (`UNKNOWN` with an address), never registered (host
/// `(Unspecified)`, port 0; an endpoint without contacts) or unmonitored
/// (qualify off). Offline = unreachable + not qualified yet; never-registered
/// peers are counted apart and do not alarm unless --count-unregistered
/// (the guide's 8 never-registered phones are OK). -w/-c judge the number
/// offline (or their share with --percent). --warning-latency/--critical-latency
/// judge each peer's qualify time in ms; the worst is named. --peer NAME must
/// be reachable (CRITICAL otherwise), e.g. the net.Console availability
/// probe NPA10001. The summary line (`38 sip peers [30 online , 8 offline]`,
/// `[Monitored: … Unmonitored: …]`, `Objects found: N`) is checked against
/// the rows: a disagreement is WARNING. "No such command 'sip show peers'"
/// means chan_sip is not loaded: UNKNOWN, use --pjsip. Asterisk not running
/// ("Unable to connect to remote asterisk") is CRITICAL.
#[derive(Parser, Debug)]
#[command(name = "check_asterisk_peers", version)]
struct Args {
    /// Only peers whose name matches this regular expression (`sip show peers like SDO`):
    /// SDO for the Snom phones, SOA for the SIP trunks, NPA for the availability probe
    #[arg(long, value_name = "PATTERN", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    like: Option<String>,

    /// Read PJSIP (`pjsip show contacts`) instead of chan_sip
    #[arg(long)]
    pjsip: bool,

    /// With --pjsip: read `pjsip show endpoints` (one peer per endpoint) instead of contacts
    #[arg(long, requires = "pjsip")]
    endpoints: bool,

    /// Warning range on the number of offline peers (the share with --percent);
    /// the default 0 warns on any offline peer, `~:` never warns
    #[arg(
        short = 'w',
        long = "warning",
        value_name = "RANGE",
        default_value = "0",
        allow_hyphen_values = true
    )]
    warning: Range,

    /// Critical range on the number of offline peers (the share with --percent)
    #[arg(
        short = 'c',
        long = "critical",
        value_name = "RANGE",
        allow_hyphen_values = true
    )]
    critical: Option<Range>,

    /// -w/-c judge the percentage of peers offline instead of their number
    #[arg(long)]
    percent: bool,

    /// Warning range on each peer's latency (qualify round trip), in ms
    #[arg(long, value_name = "RANGE", allow_hyphen_values = true)]
    warning_latency: Option<Range>,

    /// Critical range on each peer's latency, in ms
    #[arg(long, value_name = "RANGE", allow_hyphen_values = true)]
    critical_latency: Option<Range>,

    /// A peer that must be reachable (repeatable), e.g. NPA10001
    #[arg(long = "peer", value_name = "NAME", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    peers: Vec<String>,

    /// The state of a LAGGED peer (ok, warning, critical, unknown)
    #[arg(long, value_name = "STATE", default_value = "warning")]
    lagged_state: State,

    /// Count never-registered peers as offline, as Asterisk's own summary does
    #[arg(long)]
    count_unregistered: bool,

    #[command(flatten)]
    source: SourceArgs,

    #[command(flatten)]
    common: CommonArgs,
}

impl Plugin for Args {
    const SERVICE: &'static str = "ASTERISK_PEERS";

    const DEFINITION: Hints = Hints {
        vars: &[],
        defaults: &[],
        env: &[("ASTERISK_AMI_SECRET", "asterisk_ami_secret")],
    };

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn check(&self) -> CheckResult {
        let mut cli = match (self.pjsip, self.endpoints) {
            (false, _) => "sip show peers".to_string(),
            (true, false) => "pjsip show contacts".to_string(),
            (true, true) => "pjsip show endpoints".to_string(),
        };
        if let Some(like) = &self.like {
            cli.push_str(&format!(" like {like}"));
        }
        let options = Options {
            offline: Thresholds::new(Some(self.warning.clone()), self.critical.clone()),
            percent: self.percent,
            latency: Thresholds::new(self.warning_latency.clone(), self.critical_latency.clone()),
            required: self.peers.clone(),
            lagged: self.lagged_state,
            count_unregistered: self.count_unregistered,
            like: self.like.clone(),
        };
        opscheck::checks::asterisk::run(&self.source, &cli, peers::parse, |listing| {
            peers::evaluate(listing, &options)
        })
    }
}

fn main() {
    opscheck::run::<Args>()
}
