//! Asks the servers, with tokio-postgres on a current-thread tokio runtime:
//! all hosts at once, each within the deadline taken from `-t`, so that a host
//! that does not answer is reported CRITICAL by name before the plugin-wide
//! watchdog would fire.
//!
//! This module connects and turns failures into states; what is asked is in
//! `queries`, TLS ([`tls_config`]) in `tls`. TLS is rustls with the ring
//! provider (no OpenSSL to link or keep patched on the monitoring hosts, one
//! TLS stack for the whole suite).

mod queries;
mod tls;

pub use tls::tls_config;

use super::{ClusterHost, HostSpec, Probe};
use crate::status::State;
use queries::{query_node, QueryError};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_postgres::error::SqlState;
use tokio_postgres_rustls::MakeRustlsConnect;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl std::str::FromStr for SslMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        <SslMode as clap::ValueEnum>::from_str(s, true).map_err(|_| {
            format!("invalid sslmode '{s}' (disable, prefer, require, verify-ca, verify-full)")
        })
    }
}

/// How to connect, the same for every host.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub user: String,
    pub dbname: String,
    /// `PGPASSWORD`; wins over the password file, as in libpq.
    pub password: Option<String>,
    /// The password file to read when there is no `PGPASSWORD`.
    pub passfile: Option<PathBuf>,
    pub sslmode: SslMode,
    pub sslrootcert: Option<PathBuf>,
    /// When every host must have answered.
    pub deadline: Instant,
}

/// What the servers said, and remarks that change no state (password file warnings).
pub struct Outcome {
    pub hosts: Vec<ClusterHost>,
    pub notes: Vec<String>,
}

/// Asks every host concurrently. `Err` only for our own trouble before any
/// connection (e.g. an unreadable root certificate): UNKNOWN.
pub fn probe_all(
    hosts: &[HostSpec],
    opts: &ConnectOptions,
    resolve: bool,
) -> Result<Outcome, String> {
    let tls = MakeRustlsConnect::new(tls_config(opts.sslmode, opts.sslrootcert.as_deref())?);
    let mut notes = Vec::new();
    let passfile = match (&opts.password, &opts.passfile) {
        (None, Some(path)) => match super::pgpass::read(path) {
            Ok(content) => content,
            Err(warning) => {
                notes.push(format!("WARNING: {warning}"));
                None
            }
        },
        _ => None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| format!("cannot start the I/O runtime: {e}"))?;
    let activity = Arc::new(Mutex::new(vec![None::<String>; hosts.len()]));
    let started = Instant::now();
    let results = runtime.block_on(async {
        let mut tasks = Vec::new();
        for (i, spec) in hosts.iter().enumerate() {
            let password = opts.password.clone().or_else(|| {
                let content = passfile.as_deref()?;
                super::pgpass::lookup(
                    content,
                    &super::pgpass::Target {
                        host: &spec.host,
                        port: spec.port,
                        database: &opts.dbname,
                        user: &opts.user,
                    },
                )
            });
            let job = Job {
                index: i,
                spec: spec.clone(),
                opts: opts.clone(),
                password,
                tls: tls.clone(),
                activity: Arc::clone(&activity),
                resolve,
                started,
            };
            tasks.push(tokio::spawn(job.run()));
        }
        let mut out = Vec::new();
        for task in tasks {
            out.push(task.await);
        }
        out
    });
    // A name lookup stuck in the blocking pool must not hold the result back.
    runtime.shutdown_background();
    let hosts = hosts
        .iter()
        .zip(results)
        .map(|(spec, result)| match result {
            Ok(host) => host,
            Err(e) => ClusterHost {
                spec: spec.clone(),
                probe: Probe::Failed {
                    state: State::Unknown,
                    reason: format!("{}: internal error: {e}", spec.address()),
                },
                addresses: Vec::new(),
            },
        })
        .collect();
    Ok(Outcome { hosts, notes })
}

struct Job {
    index: usize,
    spec: HostSpec,
    opts: ConnectOptions,
    password: Option<String>,
    tls: MakeRustlsConnect,
    activity: Arc<Mutex<Vec<Option<String>>>>,
    resolve: bool,
    /// When the probes started, for the "within N s" messages.
    started: Instant,
}

impl Job {
    /// Tells the watchdog what every unfinished host is doing.
    fn phase(&self, phase: Option<String>) {
        let mut all = self.activity.lock().unwrap_or_else(|p| p.into_inner());
        all[self.index] = phase;
        let pending: Vec<&str> = all.iter().flatten().map(String::as_str).collect();
        if !pending.is_empty() {
            crate::timeout::set_activity(pending.join(", "));
        }
    }

    async fn run(self) -> ClusterHost {
        // The name is looked up for address matching while the connection (which
        // resolves it again) goes on: one after the other, a slow nameserver would
        // spend the host's budget twice.
        let lookup = (self.resolve && !self.spec.is_socket()).then(|| {
            let (host, port) = (self.spec.host.clone(), self.spec.port);
            let deadline = tokio::time::Instant::from_std(self.opts.deadline);
            tokio::spawn(async move {
                let lookup = tokio::net::lookup_host((host.as_str(), port));
                match tokio::time::timeout_at(deadline, lookup).await {
                    Ok(Ok(addrs)) => addrs.map(|a| a.ip().to_string()).collect(),
                    _ => Vec::new(),
                }
            })
        });
        let probe = self.probe().await;
        let addresses = match lookup {
            Some(task) => task.await.unwrap_or_default(),
            None => Vec::new(),
        };
        self.phase(None);
        ClusterHost {
            spec: self.spec.clone(),
            probe,
            addresses,
        }
    }

    /// The time this host was given, for the "no answer within N s" messages.
    fn budget_seconds(&self) -> String {
        let total = self.opts.deadline.saturating_duration_since(self.started);
        crate::duration::seconds(total)
    }

    async fn probe(&self) -> Probe {
        let addr = self.spec.address();
        let mut config = tokio_postgres::Config::new();
        config
            .user(&self.opts.user)
            .dbname(&self.opts.dbname)
            .application_name("check_pg_repl")
            .port(self.spec.port)
            .ssl_mode(match self.opts.sslmode {
                // As in libpq: no TLS over a Unix socket, whatever the mode.
                _ if self.spec.is_socket() => tokio_postgres::config::SslMode::Disable,
                SslMode::Disable => tokio_postgres::config::SslMode::Disable,
                SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
                _ => tokio_postgres::config::SslMode::Require,
            })
            .connect_timeout(
                self.opts
                    .deadline
                    .saturating_duration_since(Instant::now())
                    .max(Duration::from_millis(1)),
            );
        if self.spec.is_socket() {
            config.host_path(&self.spec.host);
        } else {
            config.host(&self.spec.host);
        }
        if let Some(password) = &self.password {
            config.password(password);
        }
        self.phase(Some(format!("connecting to {addr} as {}", self.opts.user)));
        let deadline = tokio::time::Instant::from_std(self.opts.deadline);
        let connected = tokio::time::timeout_at(deadline, config.connect(self.tls.clone())).await;
        let (client, connection) = match connected {
            Err(_) => {
                return critical(format!(
                    "{addr}: no answer within {} s while connecting",
                    self.budget_seconds()
                ))
            }
            Ok(Err(e)) => return critical(format!("{addr}: {}", self.connect_error(&e))),
            Ok(Ok(pair)) => pair,
        };
        let connection = tokio::spawn(async move {
            let _ = connection.await;
        });
        self.phase(Some(format!("querying {addr}")));
        let answer =
            tokio::time::timeout_at(deadline, query_node(&client, self.opts.deadline)).await;
        // Say goodbye (Terminate) rather than vanish, briefly.
        drop(client);
        let goodbye = deadline.min(tokio::time::Instant::now() + Duration::from_millis(200));
        let _ = tokio::time::timeout_at(goodbye, connection).await;
        match answer {
            Err(_) => critical(format!(
                "{addr}: no answer to the queries within {} s",
                self.budget_seconds()
            )),
            Ok(Err(QueryError::Unsupported(reason))) => Probe::Failed {
                state: State::Unknown,
                reason: format!("{addr}: {reason}"),
            },
            Ok(Err(QueryError::Db(e))) => query_failure(&addr, &e),
            Ok(Ok(node)) => Probe::Reached(Box::new(node)),
        }
    }

    fn connect_error(&self, e: &tokio_postgres::Error) -> String {
        if let Some(db) = e.as_db_error() {
            return format!("{}: {}", db.severity(), db.message());
        }
        let text = chain(e);
        if text.contains("password missing") {
            return format!(
                "the server asks for a password for user {} and none was found (PGPASSWORD, PGPASSFILE or ~/.pgpass)",
                self.opts.user
            );
        }
        text
    }
}

fn critical(reason: String) -> Probe {
    Probe::Failed {
        state: State::Critical,
        reason,
    }
}

/// After connecting: a lost connection, or the server ending the session
/// (shut down, crashed, our backend terminated), is CRITICAL; an error the
/// server reports about our queries (e.g. permission denied) is our own
/// trouble, UNKNOWN.
fn query_failure(addr: &str, e: &tokio_postgres::Error) -> Probe {
    match e.as_db_error() {
        Some(db) if ends_session(db.parsed_severity(), db.code()) => {
            critical(format!("{addr}: {}: {}", db.severity(), db.message()))
        }
        Some(db) => {
            let hint = if db.code() == &SqlState::INSUFFICIENT_PRIVILEGE {
                " (grant the monitoring role pg_monitor)"
            } else {
                ""
            };
            Probe::Failed {
                state: State::Unknown,
                reason: format!("{addr}: query failed: {}{hint}", db.message()),
            }
        }
        None => critical(format!("{addr}: {}", chain(e))),
    }
}

/// Does this server error end the session rather than fail a query? FATAL and
/// PANIC do (57P01 administrator shutdown, 57P02 crash of another server
/// process, …), and so do the operator-intervention and connection classes.
fn ends_session(severity: Option<tokio_postgres::error::Severity>, code: &SqlState) -> bool {
    use tokio_postgres::error::Severity;
    matches!(severity, Some(Severity::Fatal | Severity::Panic))
        || code.code().starts_with("57P")
        || code.code().starts_with("08")
}

/// An error with its causes: "error connecting to server: Connection refused (os error 111)".
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_postgres::error::Severity;

    #[test]
    fn a_server_that_ends_the_session_is_critical_a_refused_query_unknown() {
        // Shut down, crashed, terminated while answering: the server's trouble.
        assert!(ends_session(
            Some(Severity::Fatal),
            &SqlState::ADMIN_SHUTDOWN
        ));
        assert!(ends_session(
            Some(Severity::Fatal),
            &SqlState::CRASH_SHUTDOWN
        ));
        assert!(ends_session(
            Some(Severity::Panic),
            &SqlState::INTERNAL_ERROR
        ));
        assert!(ends_session(None, &SqlState::ADMIN_SHUTDOWN));
        assert!(ends_session(None, &SqlState::CONNECTION_FAILURE));
        // A query the server refuses: ours.
        assert!(!ends_session(
            Some(Severity::Error),
            &SqlState::INSUFFICIENT_PRIVILEGE
        ));
        assert!(!ends_session(
            Some(Severity::Error),
            &SqlState::UNDEFINED_FUNCTION
        ));
        assert!(!ends_session(
            Some(Severity::Error),
            &SqlState::QUERY_CANCELED
        ));
    }
}
