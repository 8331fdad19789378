//! check_sip_options: SIP OPTIONS ping to one agent or a list of agents.
use clap::Parser;
use opscheck::checks::sip_options::{self, Agent, Expect, Transport, DEFAULT_PORT};
use opscheck::cli::{CommonArgs, ThresholdArgs};
use opscheck::{CheckResult, Failure, Plugin, Range, Thresholds};
use std::path::PathBuf;

/// Sends a SIP OPTIONS request and waits for a final response.
///
/// One agent (-H, -p, --transport) is UP when it answers with a final response
/// (any code, or one of --expect), DOWN (CRITICAL) otherwise: no answer before
/// the timeout, a refused TCP connection, an ICMP port unreachable on UDP.
/// UDP requests are retransmitted as RFC 3261 says (500 ms, doubling up to 4 s).
/// With --agents FILE (`name,address,port,transport` per line, like the SRE
/// dashboard), all agents are probed concurrently and -w/-c judge the number
/// DOWN (or their share with --percent); without -w/-c any agent DOWN is
/// CRITICAL. Answers are awaited until -t minus 1 s (90% of -t below 10 s).
#[derive(Parser, Debug)]
#[command(name = "check_sip_options", version)]
struct Args {
    /// The agent's host name or address
    #[arg(
        short = 'H',
        long = "host",
        value_name = "HOST",
        conflicts_with = "agents"
    )]
    host: Option<String>,

    /// The agent's SIP port
    #[arg(
        short = 'p',
        long = "port",
        value_name = "PORT",
        default_value_t = DEFAULT_PORT,
        value_parser = clap::value_parser!(u16).range(1..)
    )]
    port: u16,

    /// udp or tcp
    #[arg(long, value_enum, default_value_t = Transport::Udp)]
    transport: Transport,

    /// A file of agents, one `name,address,port,transport` per line (port default 5060,
    /// transport default udp; `#` comments, blank lines and a `Name,Address,...` header allowed;
    /// at most 256 agents, all probed at once)
    #[arg(long, value_name = "FILE")]
    agents: Option<PathBuf>,

    /// A final response code that counts as UP (repeatable; `200` or a class like `2xx`).
    /// Default: any final response
    #[arg(long = "expect", value_name = "CODE")]
    expect: Vec<Expect>,

    /// Warning range on each agent's round-trip time in ms
    #[arg(long, value_name = "RANGE", allow_hyphen_values = true)]
    warning_rtt: Option<Range>,

    /// Critical range on each agent's round-trip time in ms
    #[arg(long, value_name = "RANGE", allow_hyphen_values = true)]
    critical_rtt: Option<Range>,

    /// With --agents: -w/-c judge the percentage of agents DOWN instead of their number
    #[arg(long, requires = "agents")]
    percent: bool,

    /// With --agents: -w/-c are ranges on the number of agents DOWN (e.g. -w 0 -c 1)
    #[command(flatten)]
    down: ThresholdArgs,

    #[command(flatten)]
    common: CommonArgs,
}

impl Plugin for Args {
    const SERVICE: &'static str = "SIP_OPTIONS";

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn check(&self) -> CheckResult {
        let rtt = Thresholds::new(self.warning_rtt.clone(), self.critical_rtt.clone());
        let deadline = opscheck::deadline::current().at();
        if let Some(path) = &self.agents {
            let text = opscheck::input::read_input(path, 4 * 1024 * 1024)?;
            let agents = sip_options::parse_agents(&text)
                .map_err(|e| Failure::unknown(format!("{}: {e}", path.display())))?;
            opscheck::timeout::set_activity(format!("probing {} SIP agents", agents.len()));
            let outcomes = sip_options::probe_all(&agents, deadline, &self.expect);
            return Ok(sip_options::evaluate_agents(
                &agents,
                &outcomes,
                &rtt,
                &self.down.thresholds(),
                self.percent,
            ));
        }
        let Some(host) = &self.host else {
            return Err(Failure::unknown(
                "nothing to probe: give -H HOST (with -p, --transport) or --agents FILE",
            ));
        };
        if self.down.warning.is_some() || self.down.critical.is_some() || self.percent {
            return Err(Failure::unknown(
                "-w/-c (and --percent) judge the agents DOWN and need --agents; \
                 use --warning-rtt/--critical-rtt for one agent",
            ));
        }
        let agent = Agent {
            name: host.clone(),
            host: sip_options::agent_host(host).map_err(Failure::unknown)?,
            port: self.port,
            transport: self.transport,
        };
        opscheck::timeout::set_activity(format!("probing {}", agent.target()));
        let outcome = sip_options::probe(&agent, deadline, &self.expect);
        Ok(sip_options::evaluate_single(&agent, &outcome, &rtt))
    }
}

fn main() {
    opscheck::run::<Args>()
}
