//! check_mongo_rs: MongoDB replica set health (replSetGetStatus).
use clap::Parser;
use opscheck::checks::mongo_rs::client::{self, Connection};
use opscheck::checks::mongo_rs::{self, Options, OTHER_STATES};
use opscheck::cli::CommonArgs;
use opscheck::definitions::Hints;
use opscheck::input::read_input;
use opscheck::{CheckResult, Failure, Plugin, Range, Thresholds};
use std::path::PathBuf;

/// Checks a MongoDB replica set from one member's replSetGetStatus (rs.status()).
///
/// Exactly one PRIMARY is expected (none or two is CRITICAL); SECONDARY and
/// ARBITER members are fine; any other state (STARTUP, STARTUP2, RECOVERING,
/// ROLLBACK, DOWN, UNKNOWN, REMOVED) or health 0 is CRITICAL, or WARNING with
/// --warn-state. Lag of each secondary = primary optimeDate − its optimeDate,
/// minus its configured delay (secondaryDelaySecs/slaveDelay from
/// replSetGetConfig, or --delay). Ages of each member's lastHeartbeat and of the
/// primary's lastAppliedWallTime are taken against the status's own date.
///
/// One host (-H, or a URI with one host and no replicaSet=) is asked directly,
/// so it answers even when the set has no primary. Credentials: in the URI (--uri or $MONGODB_URI),
/// or -u with the password in $MONGODB_PASSWORD or --password-file; never needed
/// on the command line. Unreachable server or failed authentication is CRITICAL.
#[derive(Parser, Debug)]
#[command(name = "check_mongo_rs", version)]
struct Args {
    /// Connection URI: mongodb://[user:pass@]host[:port][,host…]/?options or mongodb+srv://…
    /// (replicaSet=, tls=true, authSource=, authMechanism=… as the driver documents).
    /// Without --uri: -H/-P when given, else $MONGODB_URI, else mongodb://127.0.0.1:27017
    #[arg(long, value_name = "URI", conflicts_with_all = ["host", "port"])]
    uri: Option<String>,

    /// Member to ask (HOST or HOST:PORT; IPv6 as [ADDR]:PORT)
    #[arg(short = 'H', long, value_name = "HOST")]
    host: Option<String>,

    /// Port, when --host has none (default 27017)
    #[arg(short = 'P', long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    port: Option<u16>,

    /// User name (the password comes from $MONGODB_PASSWORD or --password-file)
    #[arg(short = 'u', long, value_name = "USER")]
    username: Option<String>,

    /// File whose first line is the password (keep it mode 0600)
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,

    /// Authentication database (default: the URI's authSource, else admin)
    #[arg(short = 'a', long = "authdb", value_name = "DB")]
    authdb: Option<String>,

    /// Authentication mechanism: SCRAM-SHA-256, SCRAM-SHA-1, MONGODB-X509, PLAIN
    #[arg(long, value_name = "MECHANISM")]
    auth_mechanism: Option<String>,

    /// Connect with TLS (also tls=true in the URI)
    #[arg(long)]
    tls: bool,

    /// CA certificates to verify the server with (PEM)
    #[arg(long, value_name = "FILE")]
    tls_ca_file: Option<PathBuf>,

    /// Client certificate and key (PEM), for MONGODB-X509 or mutual TLS
    #[arg(long, value_name = "FILE")]
    tls_cert_key_file: Option<PathBuf>,

    /// Accept any server certificate (testing only)
    #[arg(long)]
    tls_insecure: bool,

    /// Name the replica set must have (CRITICAL if the status names another)
    #[arg(long, value_name = "NAME")]
    replica_set: Option<String>,

    /// Expected number of members: fewer is CRITICAL, more is WARNING
    #[arg(long, value_name = "N")]
    members: Option<usize>,

    /// A member state that is WARNING instead of CRITICAL (repeatable), e.g. STARTUP2
    /// during an initial sync: STARTUP, STARTUP2, RECOVERING, ROLLBACK, DOWN, UNKNOWN, REMOVED
    #[arg(long = "warn-state", value_name = "STATE", value_parser = parse_state)]
    warn_states: Vec<String>,

    /// Warning range on each secondary's lag in seconds, after its configured delay
    #[arg(
        long,
        value_name = "RANGE",
        default_value = "30",
        allow_hyphen_values = true
    )]
    warning_lag: Range,

    /// Critical range on each secondary's lag in seconds
    #[arg(
        long,
        value_name = "RANGE",
        default_value = "120",
        allow_hyphen_values = true
    )]
    critical_lag: Range,

    /// Warning range on the age of each member's last heartbeat answer in seconds
    /// (heartbeats go every 2 s; after 10 s without one a member is declared down)
    #[arg(
        long,
        value_name = "RANGE",
        default_value = "10",
        allow_hyphen_values = true
    )]
    warning_heartbeat: Range,

    /// Critical range on the age of each member's last heartbeat answer in seconds
    #[arg(
        long,
        value_name = "RANGE",
        default_value = "30",
        allow_hyphen_values = true
    )]
    critical_heartbeat: Range,

    /// Warning range on the age of the primary's last applied write (lastAppliedWallTime)
    /// in seconds (an idle primary writes a no-op every 10 s)
    #[arg(
        long,
        value_name = "RANGE",
        default_value = "30",
        allow_hyphen_values = true
    )]
    warning_applied: Range,

    /// Critical range on the age of the primary's last applied write in seconds
    #[arg(
        long,
        value_name = "RANGE",
        default_value = "120",
        allow_hyphen_values = true
    )]
    critical_applied: Range,

    /// A member's configured delay, HOST:PORT=SECONDS (repeatable). Overrides the
    /// delay read with replSetGetConfig; needed with --input, where no config is read
    #[arg(long = "delay", value_name = "HOST:PORT=SECONDS", value_parser = parse_delay)]
    delays: Vec<(String, f64)>,

    /// Judge a captured status instead of connecting (`-` for standard input):
    /// Extended JSON (relaxed or canonical), or rs.status() as the mongo or mongosh shell prints it
    #[arg(long, value_name = "FILE|-", conflicts_with_all = ["uri", "host", "port", "username", "password_file"])]
    input: Option<PathBuf>,

    #[command(flatten)]
    common: CommonArgs,
}

fn parse_state(s: &str) -> Result<String, String> {
    let upper = s.trim().to_ascii_uppercase();
    if OTHER_STATES.contains(&upper.as_str()) {
        Ok(upper)
    } else {
        Err(format!("'{s}' is not one of {}", OTHER_STATES.join(", ")))
    }
}

fn parse_delay(s: &str) -> Result<(String, f64), String> {
    let (name, secs) = s
        .rsplit_once('=')
        .ok_or_else(|| format!("'{s}' is not HOST:PORT=SECONDS"))?;
    let secs: f64 = secs
        .trim()
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| format!("'{secs}' is not a number of seconds"))?;
    Ok((name.trim().to_string(), secs))
}

impl Args {
    fn uri(&self) -> String {
        if let Some(uri) = &self.uri {
            return uri.clone();
        }
        if self.host.is_none() && self.port.is_none() {
            if let Some(uri) = std::env::var("MONGODB_URI")
                .ok()
                .filter(|u| !u.trim().is_empty())
            {
                return uri;
            }
        }
        let host = self.host.as_deref().unwrap_or("127.0.0.1");
        let port = self.port.unwrap_or(27017);
        let has_port = if let Some(rest) = host.strip_prefix('[') {
            rest.contains("]:")
        } else {
            host.matches(':').count() == 1
        };
        if has_port {
            format!("mongodb://{host}/")
        } else if host.contains(':') && !host.starts_with('[') {
            format!("mongodb://[{host}]:{port}/")
        } else {
            format!("mongodb://{host}:{port}/")
        }
    }

    fn password(&self) -> Result<Option<String>, Failure> {
        if let Some(path) = &self.password_file {
            let text = read_input(path, 64 * 1024)?;
            let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
            return Ok(Some(line.to_string()));
        }
        Ok(std::env::var("MONGODB_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty()))
    }
}

impl Plugin for Args {
    const SERVICE: &'static str = "MONGO_RS";

    // The ITL `mongodb` command's variables where the options overlap; the
    // password (or a URI holding one) goes through the environment.
    const DEFINITION: Hints = Hints {
        vars: &[
            ("host", "mongodb_host"),
            ("port", "mongodb_port"),
            ("username", "mongodb_user"),
            ("authdb", "mongodb_authdb"),
            ("replica-set", "mongodb_replicaset"),
            ("tls", "mongodb_ssl"),
        ],
        defaults: &[],
        env: &[
            ("MONGODB_PASSWORD", "mongodb_passwd"),
            ("MONGODB_URI", "mongo_rs_uri_env"),
        ],
    };

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn check(&self) -> CheckResult {
        let options = Options {
            expected_members: self.members,
            warn_states: self.warn_states.clone(),
            lag: Thresholds::new(
                Some(self.warning_lag.clone()),
                Some(self.critical_lag.clone()),
            ),
            heartbeat: Thresholds::new(
                Some(self.warning_heartbeat.clone()),
                Some(self.critical_heartbeat.clone()),
            ),
            applied: Thresholds::new(
                Some(self.warning_applied.clone()),
                Some(self.critical_applied.clone()),
            ),
            delays: self.delays.clone(),
            replica_set: self.replica_set.clone(),
        };
        if let Some(path) = &self.input {
            let text = read_input(path, 16 * 1024 * 1024)?;
            let status = mongo_rs::parse_input(&text)?;
            return mongo_rs::evaluate(&status, None, &options);
        }
        let fetched = client::fetch(&Connection {
            uri: self.uri(),
            username: self.username.clone(),
            password: self.password()?,
            auth_source: self.authdb.clone(),
            auth_mechanism: self.auth_mechanism.clone(),
            tls: self.tls,
            tls_ca_file: self.tls_ca_file.clone(),
            tls_cert_key_file: self.tls_cert_key_file.clone(),
            tls_insecure: self.tls_insecure,
            timeout: opscheck::deadline::current().remaining(),
        })?;
        let mut check = mongo_rs::evaluate(&fetched.status, fetched.config.as_ref(), &options)?;
        if let Some(error) = fetched.config_error {
            check.note(format!(
                "replSetGetConfig failed, configured delays unknown (use --delay): {error}"
            ));
        }
        Ok(check)
    }
}

fn main() {
    opscheck::run::<Args>()
}
