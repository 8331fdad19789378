//! The network path: `replSetGetStatus` (and `replSetGetConfig`, for the
//! members' configured delays) through the official MongoDB driver.
//!
//! A URI naming one host is opened with `directConnection=true`, so that the
//! member named is asked even when the set has no primary (during an election,
//! or when the primary is the member that failed). A seed list or a
//! `mongodb+srv://` URI discovers the set and asks the primary, or any member
//! when there is none. Server selection and connecting are bounded within the
//! plugin's `-t`, so an unreachable server is reported as CRITICAL with the
//! driver's reason before the watchdog would report a timeout.

use crate::runner::Failure;
use crate::timeout::set_activity;
use mongodb::bson::{doc, Bson, Document};
use mongodb::error::{Error, ErrorKind};
use mongodb::options::{
    AuthMechanism, ClientOptions, Credential, ReadPreference, ReadPreferenceOptions,
    SelectionCriteria, Tls, TlsOptions,
};
use mongodb::Client;
use serde_json::Value;
use std::future::IntoFuture;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// Where and how to connect.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    /// `mongodb://…` or `mongodb+srv://…`, possibly with credentials and options.
    pub uri: String,
    /// Credentials given apart from the URI (they override the URI's).
    pub username: Option<String>,
    pub password: Option<String>,
    pub auth_source: Option<String>,
    pub auth_mechanism: Option<String>,
    pub tls: bool,
    pub tls_ca_file: Option<PathBuf>,
    pub tls_cert_key_file: Option<PathBuf>,
    pub tls_insecure: bool,
    /// The time server selection, connecting and the commands may take: what
    /// the core's deadline leaves ([`crate::deadline`]).
    pub timeout: Duration,
}

/// What the server said.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The replSetGetStatus reply as canonical Extended JSON.
    pub status: Value,
    /// The replSetGetConfig reply, when it could be read.
    pub config: Option<Value>,
    /// Why it could not (the check goes on without configured delays).
    pub config_error: Option<String>,
}

/// Connects, runs replSetGetStatus and replSetGetConfig on the admin database.
pub fn fetch(connection: &Connection) -> Result<Fetched, Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::unknown(format!("cannot start the async runtime: {e}")))?;
    let result = runtime.block_on(fetch_async(connection));
    // Dropping the runtime would wait for the driver's monitors to wind down;
    // the process exits right after printing, so leave them be.
    std::mem::forget(runtime);
    result
}

async fn fetch_async(connection: &Connection) -> Result<Fetched, Failure> {
    let started = std::time::Instant::now();
    let srv = connection.uri.starts_with("mongodb+srv://");
    set_activity(if srv {
        "resolving the mongodb+srv URI".to_string()
    } else {
        "reading the connection URI".to_string()
    });
    let mut options = ClientOptions::parse(connection.uri.as_str())
        .await
        .map_err(|e| {
            if matches!(*e.kind, ErrorKind::DnsResolve { .. }) {
                Failure::critical(describe(&e))
            } else {
                Failure::unknown(format!("bad connection URI: {}", describe(&e)))
            }
        })?;
    check_files(connection)?;
    apply(connection, &mut options)?;
    let budget = connection.timeout;
    let hosts: Vec<String> = options.hosts.iter().map(|h| h.to_string()).collect();
    let hosts = hosts.join(",");
    // Any member will do: the status is each member's view of the whole set.
    let any_member = SelectionCriteria::ReadPreference(ReadPreference::PrimaryPreferred {
        options: Some(ReadPreferenceOptions::default()),
    });
    let client = Client::with_options(options)
        .map_err(|e| Failure::unknown(format!("bad connection options: {}", describe(&e))))?;
    let admin = client.database("admin");

    set_activity(format!("running replSetGetStatus on {hosts}"));
    let status = admin
        .run_command(doc! { "replSetGetStatus": 1 })
        .selection_criteria(any_member.clone())
        .await
        .map_err(|e| Failure::critical(located(&hosts, budget, &e)))?;

    // The config only adds the configured delays: it may use what is left of
    // the budget, and when it does not come the status read is still judged.
    set_activity(format!("running replSetGetConfig on {hosts}"));
    let left = budget.saturating_sub(started.elapsed());
    let config_reply = tokio::time::timeout(
        left,
        admin
            .run_command(doc! { "replSetGetConfig": 1 })
            .selection_criteria(any_member)
            .into_future(),
    )
    .await;
    let (config, config_error) = match config_reply {
        Ok(Ok(config)) => (Some(to_json(config)), None),
        Ok(Err(e)) => (None, Some(describe(&e))),
        Err(_) => (
            None,
            Some(format!(
                "no answer within {} s",
                crate::duration::seconds(budget)
            )),
        ),
    };
    Ok(Fetched {
        status: to_json(status),
        config,
        config_error,
    })
}

fn to_json(document: Document) -> Value {
    Bson::Document(document).into_canonical_extjson()
}

/// The TLS files are the plugin's own configuration: one that cannot be read
/// is UNKNOWN here, not a CRITICAL "cannot connect" from the driver later.
fn check_files(connection: &Connection) -> Result<(), Failure> {
    for (what, file) in [
        ("CA file", &connection.tls_ca_file),
        ("certificate and key file", &connection.tls_cert_key_file),
    ] {
        if let Some(path) = file {
            set_activity(format!("reading the TLS {what} {}", path.display()));
            std::fs::File::open(path).map_err(|e| {
                Failure::unknown(format!(
                    "cannot read the TLS {what} {}: {e}",
                    path.display()
                ))
            })?;
        }
    }
    Ok(())
}

/// Adds the options given apart from the URI, the timeouts and direct connection.
fn apply(connection: &Connection, options: &mut ClientOptions) -> Result<(), Failure> {
    let budget = connection.timeout;
    options.server_selection_timeout = Some(budget);
    options.connect_timeout = Some(budget);
    options
        .app_name
        .get_or_insert_with(|| "check_mongo_rs".to_string());
    // One member named and no set discovery asked for: ask that member, even without a primary.
    if options.direct_connection.is_none()
        && options.hosts.len() == 1
        && options.repl_set_name.is_none()
        && !connection.uri.starts_with("mongodb+srv://")
    {
        options.direct_connection = Some(true);
    }
    if connection.username.is_some()
        || connection.password.is_some()
        || connection.auth_source.is_some()
        || connection.auth_mechanism.is_some()
    {
        let credential = options.credential.get_or_insert_with(Credential::default);
        if let Some(user) = &connection.username {
            credential.username = Some(user.clone());
        }
        if let Some(password) = &connection.password {
            credential.password = Some(password.clone());
        }
        if let Some(source) = &connection.auth_source {
            credential.source = Some(source.clone());
        }
        if let Some(mechanism) = &connection.auth_mechanism {
            credential.mechanism = Some(AuthMechanism::from_str(mechanism).map_err(|e| {
                Failure::unknown(format!("bad authentication mechanism: {}", describe(&e)))
            })?);
        }
        if credential.username.is_none() && credential.mechanism != Some(AuthMechanism::MongoDbX509)
        {
            return Err(Failure::unknown(
                "a password or authentication option was given without a user name",
            ));
        }
    }
    if connection.tls
        || connection.tls_ca_file.is_some()
        || connection.tls_cert_key_file.is_some()
        || connection.tls_insecure
    {
        let mut tls = match options.tls.take() {
            Some(Tls::Enabled(tls)) => tls,
            _ => TlsOptions::default(),
        };
        if let Some(ca) = &connection.tls_ca_file {
            tls.ca_file_path = Some(ca.clone());
        }
        if let Some(cert) = &connection.tls_cert_key_file {
            tls.cert_key_file_path = Some(cert.clone());
        }
        if connection.tls_insecure {
            tls.allow_invalid_certificates = Some(true);
        }
        options.tls = Some(Tls::Enabled(tls));
    }
    Ok(())
}

/// The error with the servers it concerns, unless it names them already.
fn located(hosts: &str, budget: Duration, error: &Error) -> String {
    match &*error.kind {
        ErrorKind::ServerSelection { message, .. } if server_errors(message).is_empty() => {
            let within = crate::duration::seconds(budget);
            match set_name(message) {
                // No server left in the topology: they answered, but the driver
                // dropped them for another set name (or none: not a set member).
                Some(set) if !message.contains("Address:") => format!(
                    "{hosts}: no member of replica set {set} within {within} s: \
                     the servers answered for another set or none"
                ),
                // Connected (or still connecting) but no handshake answer in time.
                _ => format!("{hosts}: no answer within {within} s"),
            }
        }
        ErrorKind::ServerSelection { .. } => describe(error),
        _ => format!("{hosts}: {}", describe(error)),
    }
}

/// The driver's error, shortened to its reason: for a server selection timeout,
/// the reason each server could not be used rather than the whole topology dump.
pub fn describe(error: &Error) -> String {
    match &*error.kind {
        ErrorKind::Authentication { message, .. } => format!("authentication failed: {message}"),
        ErrorKind::Command(command) => {
            format!(
                "{} ({}, code {})",
                command.message, command.code_name, command.code
            )
        }
        ErrorKind::ServerSelection { message, .. } => {
            let reasons = server_errors(message);
            if reasons.is_empty() {
                message.clone()
            } else {
                format!("cannot reach {}", reasons.join("; "))
            }
        }
        ErrorKind::DnsResolve { message, .. } => format!("DNS lookup failed: {message}"),
        ErrorKind::InvalidArgument { message, .. } => message.clone(),
        _ => {
            let text = error.to_string();
            text.strip_prefix("Kind: ")
                .unwrap_or(&text)
                .trim_end_matches(", labels: {}")
                .to_string()
        }
    }
}

/// The `Set Name: NAME` of a server selection error's topology.
fn set_name(message: &str) -> Option<&str> {
    let rest = message.split_once("Set Name: ")?.1;
    let name = rest.split([',', ' ', '}']).next()?.trim();
    (!name.is_empty()).then_some(name)
}

/// `Address: h:p, Type: Unknown, Error: Kind: I/O error: Connection refused (os error 111), labels: {}`
/// → `h:p: I/O error: Connection refused (os error 111)`.
fn server_errors(message: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in message.split("Address: ").skip(1) {
        let address = part.split(',').next().unwrap_or("").trim();
        let Some((_, error)) = part.split_once("Error: ") else {
            continue;
        };
        let error = error.strip_prefix("Kind: ").unwrap_or(error);
        let error = error.strip_prefix("I/O error: ").unwrap_or(error);
        let error = error.split(", labels:").next().unwrap_or(error).trim();
        let error = error.trim_end_matches(['}', ']', ' ', ',']);
        out.push(format!("{address}: {error}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_selection_errors_are_shortened_to_their_reasons() {
        let message = "Server selection timeout: No available servers. Topology: { Type: Single, \
            Servers: [ { Address: 127.0.0.1:1, Type: Unknown, Error: Kind: I/O error: Connection \
            refused (os error 111), labels: {} } ] }";
        assert_eq!(
            server_errors(message),
            vec!["127.0.0.1:1: Connection refused (os error 111)"]
        );
        assert!(server_errors("Server selection timeout: none").is_empty());
        assert_eq!(
            set_name(
                "No available servers. Topology: { Type: ReplicaSetNoPrimary, Set Name: cac }"
            ),
            Some("cac")
        );
        assert_eq!(set_name("Topology: { Type: Single, Servers: [ ] }"), None);
    }

    #[test]
    fn direct_connection_for_a_single_host_only() {
        let run = |uri: &str| {
            let mut options = futures_lite(ClientOptions::parse(uri));
            apply(
                &Connection {
                    uri: uri.to_string(),
                    timeout: Duration::from_secs(10),
                    ..Connection::default()
                },
                &mut options,
            )
            .unwrap();
            options
        };
        let single = run("mongodb://10.0.161.62:27017/");
        assert_eq!(single.direct_connection, Some(true));
        assert_eq!(
            single.server_selection_timeout,
            Some(Duration::from_secs(10))
        );
        assert_eq!(single.app_name.as_deref(), Some("check_mongo_rs"));
        assert_eq!(run("mongodb://a:1,b:2/").direct_connection, None);
        assert_eq!(run("mongodb://a:1/?replicaSet=rs0").direct_connection, None);
        assert_eq!(
            run("mongodb://a:1/?directConnection=false").direct_connection,
            Some(false)
        );
    }

    #[test]
    fn credentials_and_tls_given_apart_from_the_uri() {
        let connection = Connection {
            uri: "mongodb://monitor@10.0.161.62:27017/?authSource=admin".into(),
            password: Some("secret".into()),
            tls: true,
            tls_ca_file: Some("/etc/ssl/mongo-ca.pem".into()),
            timeout: Duration::from_secs(10),
            ..Connection::default()
        };
        let mut options = futures_lite(ClientOptions::parse(connection.uri.as_str()));
        apply(&connection, &mut options).unwrap();
        let credential = options.credential.unwrap();
        assert_eq!(credential.username.as_deref(), Some("monitor"));
        assert_eq!(credential.password.as_deref(), Some("secret"));
        assert_eq!(credential.source.as_deref(), Some("admin"));
        match options.tls {
            Some(Tls::Enabled(tls)) => {
                assert_eq!(
                    tls.ca_file_path,
                    Some(PathBuf::from("/etc/ssl/mongo-ca.pem"))
                )
            }
            other => panic!("tls not enabled: {other:?}"),
        }
        let lone_password = Connection {
            uri: "mongodb://10.0.161.62:27017/".into(),
            password: Some("secret".into()),
            ..Connection::default()
        };
        let mut options = futures_lite(ClientOptions::parse(lone_password.uri.as_str()));
        let failure = apply(&lone_password, &mut options).unwrap_err();
        assert!(
            failure.message.contains("without a user name"),
            "{}",
            failure.message
        );
    }

    /// Parses a non-SRV URI (no I/O happens) on a throwaway runtime.
    fn futures_lite<F: std::future::IntoFuture<Output = mongodb::error::Result<ClientOptions>>>(
        f: F,
    ) -> ClientOptions {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f.into_future())
            .unwrap()
    }
}
