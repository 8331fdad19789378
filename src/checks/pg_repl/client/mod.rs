//! Asks the servers, with tokio-postgres on a current-thread tokio runtime:
//! all hosts at once, each within the deadline taken from `-t`, so that a host
//! that does not answer is reported CRITICAL by name before the plugin-wide
//! watchdog would fire.
//!
//! TLS is rustls with the ring provider (no OpenSSL to link or keep patched on
//! the monitoring hosts, one TLS stack for the whole suite). `--sslmode` follows
//! libpq: `prefer` and `require` encrypt without checking the certificate unless
//! a root certificate is there (then as `verify-ca`), `verify-ca` checks the
//! chain, `verify-full` the chain and the host name.

use super::{
    check_version, conninfo_value, Client, ClusterHost, HostSpec, Node, PrimaryView, Probe, Slot,
    StandbyView, View, DEFAULT_RECEIVER_NAME,
};
use crate::status::State;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_postgres::error::SqlState;
use tokio_postgres::{SimpleQueryMessage, SimpleQueryRow};
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

enum QueryError {
    Unsupported(String),
    Db(tokio_postgres::Error),
}

impl From<tokio_postgres::Error> for QueryError {
    fn from(e: tokio_postgres::Error) -> Self {
        QueryError::Db(e)
    }
}

/// The rows of each statement of a simple query.
async fn batch(
    client: &tokio_postgres::Client,
    sql: &str,
) -> Result<Vec<Vec<SimpleQueryRow>>, tokio_postgres::Error> {
    let mut statements = vec![Vec::new()];
    for message in client.simple_query(sql).await? {
        match message {
            SimpleQueryMessage::Row(row) => statements.last_mut().expect("never empty").push(row),
            SimpleQueryMessage::CommandComplete(_) => statements.push(Vec::new()),
            _ => {}
        }
    }
    statements.pop();
    Ok(statements)
}

fn text(row: &SimpleQueryRow, i: usize) -> Option<String> {
    row.get(i).map(str::to_string)
}

fn number(row: &SimpleQueryRow, i: usize) -> Option<f64> {
    row.get(i)
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| v.is_finite())
}

fn flag(row: &SimpleQueryRow, i: usize) -> bool {
    row.get(i) == Some("t")
}

async fn query_node(
    client: &tokio_postgres::Client,
    deadline: Instant,
) -> Result<Node, QueryError> {
    let first = batch(
        client,
        "SELECT current_setting('server_version_num'), current_setting('server_version'), pg_is_in_recovery(), \
                pg_postmaster_start_time()",
    )
    .await?;
    let row = first
        .first()
        .and_then(|rows| rows.first())
        .ok_or_else(|| QueryError::Unsupported("the server returned no version".into()))?;
    let version = text(row, 1).unwrap_or_default();
    let version_num: i32 = row.get(0).and_then(|v| v.parse().ok()).unwrap_or(0);
    check_version(version_num, &version).map_err(QueryError::Unsupported)?;
    let view = if flag(row, 2) {
        let mut standby = query_standby(client, version_num).await?;
        // A transaction that arrived just now after a long idle period makes the
        // last replayed one look old until it is replayed, a few milliseconds
        // later: look again once before believing in a delay.
        if !standby.caught_up() && standby.replay_age.is_some_and(|a| a > 1.0) {
            let pause = Duration::from_millis(300);
            if deadline.saturating_duration_since(Instant::now()) > pause * 3 {
                tokio::time::sleep(pause).await;
                standby = query_standby(client, version_num).await?;
            }
        }
        View::Standby(standby)
    } else {
        View::Primary(query_primary(client, version_num).await?)
    };
    Ok(Node {
        version,
        version_num,
        started: text(row, 3),
        view,
    })
}

async fn query_primary(
    client: &tokio_postgres::Client,
    version_num: i32,
) -> Result<PrimaryView, QueryError> {
    let wal_status = if version_num >= 130_000 {
        "wal_status"
    } else {
        "NULL"
    };
    let sql = format!(
        "SELECT r.pid, r.application_name, host(r.client_addr), r.client_hostname, r.client_port, \
                r.state, r.sync_state, \
                pg_wal_lsn_diff(pg_current_wal_lsn(), r.sent_lsn), \
                pg_wal_lsn_diff(pg_current_wal_lsn(), r.write_lsn), \
                pg_wal_lsn_diff(pg_current_wal_lsn(), r.flush_lsn), \
                pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn), \
                extract(epoch from r.replay_lag), s.slot_name \
         FROM pg_stat_replication r LEFT JOIN pg_replication_slots s ON s.active_pid = r.pid \
         ORDER BY r.application_name, host(r.client_addr), r.pid; \
         SELECT slot_name, slot_type, active, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), {wal_status} \
         FROM pg_replication_slots ORDER BY slot_name; \
         SELECT current_setting('synchronous_standby_names')"
    );
    let results = batch(client, &sql).await?;
    let clients = results
        .first()
        .map(|rows| {
            rows.iter()
                .map(|r| Client {
                    pid: r.get(0).and_then(|v| v.parse().ok()).unwrap_or(0),
                    application_name: text(r, 1).unwrap_or_default(),
                    client_addr: text(r, 2),
                    client_hostname: text(r, 3),
                    client_port: r.get(4).and_then(|v| v.parse().ok()),
                    state: text(r, 5),
                    sync_state: text(r, 6),
                    sent_bytes: number(r, 7),
                    write_bytes: number(r, 8),
                    flush_bytes: number(r, 9),
                    replay_bytes: number(r, 10),
                    replay_lag: number(r, 11),
                    slot_name: text(r, 12),
                })
                .collect()
        })
        .unwrap_or_default();
    let slots = results
        .get(1)
        .map(|rows| {
            rows.iter()
                .map(|r| Slot {
                    name: text(r, 0).unwrap_or_default(),
                    slot_type: text(r, 1).unwrap_or_default(),
                    active: flag(r, 2),
                    retained_bytes: number(r, 3),
                    wal_status: text(r, 4),
                })
                .collect()
        })
        .unwrap_or_default();
    let synchronous_standby_names = results
        .get(2)
        .and_then(|rows| rows.first())
        .and_then(|r| text(r, 0))
        .unwrap_or_default();
    Ok(PrimaryView {
        clients,
        slots,
        synchronous_standby_names,
    })
}

async fn query_standby(
    client: &tokio_postgres::Client,
    version_num: i32,
) -> Result<StandbyView, QueryError> {
    let sender = if version_num >= 110_000 {
        "sender_host, sender_port"
    } else {
        "NULL::text, NULL::int"
    };
    let sql = format!(
        "SELECT pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn(), \
                pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), \
                extract(epoch from now() - pg_last_xact_replay_timestamp()), \
                pg_is_wal_replay_paused(); \
         SELECT status, slot_name, conninfo, {sender}, \
                extract(epoch from now() - last_msg_receipt_time), \
                pg_wal_lsn_diff(latest_end_lsn, pg_last_wal_replay_lsn()), latest_end_lsn \
         FROM pg_stat_wal_receiver"
    );
    let results = batch(client, &sql).await?;
    let mut view = StandbyView {
        application_name: DEFAULT_RECEIVER_NAME.to_string(),
        ..StandbyView::default()
    };
    if let Some(r) = results.first().and_then(|rows| rows.first()) {
        view.receive_lsn = text(r, 0);
        view.replay_lsn = text(r, 1);
        view.lag_bytes = number(r, 2);
        view.replay_age = number(r, 3);
        view.paused = flag(r, 4);
    }
    if let Some(r) = results.get(1).and_then(|rows| rows.first()) {
        view.receiver_status = text(r, 0);
        view.receiver_hidden = view.receiver_status.is_none();
        view.receiver_slot = text(r, 1);
        if let Some(conninfo) = r.get(2) {
            if let Some(name) = conninfo_value(conninfo, "application_name")
                .or_else(|| conninfo_value(conninfo, "fallback_application_name"))
            {
                view.application_name = name;
            }
        }
        view.sender_host = text(r, 3);
        view.sender_port = r.get(4).and_then(|v| v.parse().ok());
        view.last_message_age = number(r, 5);
        view.unreceived_bytes = number(r, 6);
        view.sender_end_lsn = text(r, 7);
    }
    Ok(view)
}

/// The rustls configuration for `mode` (ring provider).
pub fn tls_config(mode: SslMode, rootcert: Option<&Path>) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up failed: {e}"))?;
    // libpq: prefer/require check the certificate only when a root certificate is there.
    let roots = match (mode, rootcert) {
        (SslMode::Disable, _) => None,
        (SslMode::Prefer | SslMode::Require, Some(path)) if path.exists() => Some(load_roots(path)?),
        (SslMode::Prefer | SslMode::Require, _) => None,
        (SslMode::VerifyCa | SslMode::VerifyFull, Some(path)) => Some(load_roots(path)?),
        (SslMode::VerifyCa | SslMode::VerifyFull, None) => {
            return Err(
                "--sslmode verify-ca/verify-full needs a root certificate: --sslrootcert, PGSSLROOTCERT or ~/.postgresql/root.crt"
                    .into(),
            )
        }
    };
    let Some(roots) = roots else {
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
            .with_no_client_auth());
    };
    if mode == SslMode::VerifyFull {
        return Ok(builder.with_root_certificates(roots).with_no_client_auth());
    }
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| format!("TLS set-up failed: {e}"))?;
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(ChainOnly(inner)))
        .with_no_client_auth())
}

fn load_roots(path: &Path) -> Result<rustls::RootCertStore, String> {
    crate::timeout::set_activity(format!("reading root certificate {}", path.display()));
    let mut roots = rustls::RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read root certificate {}: {e}", path.display()))?;
    for cert in certs {
        let cert =
            cert.map_err(|e| format!("cannot read root certificate {}: {e}", path.display()))?;
        roots
            .add(cert)
            .map_err(|e| format!("bad root certificate in {}: {e}", path.display()))?;
    }
    if roots.is_empty() {
        return Err(format!("no certificate in {}", path.display()));
    }
    Ok(roots)
}

/// `prefer`/`require` without a root certificate: encryption, no identity check
/// (what libpq does); the handshake signatures are still verified.
#[derive(Debug)]
struct EncryptOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain must lead to the root certificate; the name is not checked.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            // webpki checks the name after the chain: a name mismatch means the chain is good.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
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
