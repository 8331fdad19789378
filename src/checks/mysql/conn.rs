//! The connection to a MySQL/MariaDB server: `mysql_async` on a
//! current-thread tokio runtime (the one the PostgreSQL plugin uses), every
//! step within what the run's deadline leaves ([`crate::deadline`]).
//!
//! Failures to reach the server are CRITICAL with the server's or the
//! system's own words: refused, unknown host, access denied, and above all
//! "Too many connections" (error 1040), the failure the connection check
//! exists to catch. A step that gets no answer in time is CRITICAL "no answer
//! from ADDRESS within N s". An error in a query once connected is UNKNOWN
//! (the plugin asked something the server would not answer).

use super::{Address, Target};
use crate::deadline::Deadline;
use crate::runner::Failure;
use crate::timeout::set_activity;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder, Row, Value};
use std::future::Future;
use std::time::Duration;

/// ER_CON_COUNT_ERROR: the server's max_connections is reached.
pub const ER_CON_COUNT_ERROR: u16 = 1040;
/// ER_TOO_MANY_USER_CONNECTIONS: the account's max_user_connections is reached.
pub const ER_TOO_MANY_USER_CONNECTIONS: u16 = 1203;

/// One cell of a result row as the text protocol sends it: bytes or NULL.
pub type Cell = Option<Vec<u8>>;

/// An open connection and the runtime it lives on.
pub struct Session {
    runtime: tokio::runtime::Runtime,
    conn: Option<Conn>,
    address: String,
    deadline: Deadline,
}

fn within(deadline: &Deadline) -> String {
    crate::duration::seconds(deadline.budget())
}

/// Runs `fut` within what is left of `deadline`; `Err(())` on time out.
async fn timed<T>(deadline: &Deadline, fut: impl Future<Output = T>) -> Result<T, ()> {
    // A deadline already past still gets a moment, so the failure names the step.
    let left = deadline.remaining().max(Duration::from_millis(1));
    tokio::time::timeout(left, fut).await.map_err(|_| ())
}

/// Connects and logs in. Every failure is CRITICAL, with the server's message.
pub fn connect(target: &Target, deadline: Deadline) -> Result<Session, Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| Failure::unknown(format!("cannot start the I/O runtime: {e}")))?;
    let address = target.address.to_string();
    let mut opts = OptsBuilder::default()
        .user(Some(target.user.clone()))
        .pass(target.password.clone())
        .db_name(target.database.clone())
        .prefer_socket(false)
        .wait_timeout(None::<usize>)
        .stmt_cache_size(0);
    opts = opts.ssl_opts(ssl_opts(target)?);
    opts = match &target.address {
        Address::Tcp { host, port } => opts.ip_or_hostname(host.clone()).tcp_port(*port),
        Address::Socket(path) => opts.socket(Some(path.display().to_string())),
    };
    set_activity(format!("connecting to {address}"));
    let result = runtime.block_on(timed(&deadline, Conn::new(opts)));
    let failure = match result {
        Ok(Ok(conn)) => {
            return Ok(Session {
                runtime,
                conn: Some(conn),
                address,
                deadline,
            })
        }
        Err(()) => Failure::critical(format!(
            "no answer from {address} within {} s while connecting",
            within(&deadline)
        )),
        Ok(Err(e)) => connect_failure(&address, e),
    };
    // A name lookup still hanging in a blocking thread must not hold the
    // plugin: dropping the runtime would wait for it.
    runtime.shutdown_background();
    Err(failure)
}

/// TLS settings for `target`: none when disabled. A CA file that cannot be
/// read is UNKNOWN (our own trouble), before any connection.
fn ssl_opts(target: &Target) -> Result<Option<mysql_async::SslOpts>, Failure> {
    use super::SslMode;
    if target.ssl_mode == SslMode::Disabled {
        return Ok(None);
    }
    let mut ssl = mysql_async::SslOpts::default();
    let mut verify = target.ssl_mode != SslMode::Required;
    if let Some(ca) = &target.ssl_ca {
        let pem = std::fs::read(ca)
            .map_err(|e| Failure::unknown(format!("cannot read ssl-ca {}: {e}", ca.display())))?;
        ssl = ssl
            .with_root_certs(vec![pem.into()])
            .with_disable_built_in_roots(true);
        // As the client: a CA given with REQUIRED is checked (as VERIFY_CA).
        verify = true;
    }
    if !verify {
        ssl = ssl.with_danger_accept_invalid_certs(true);
    }
    if target.ssl_mode != SslMode::VerifyIdentity {
        ssl = ssl.with_danger_skip_domain_validation(true);
    }
    Ok(Some(ssl))
}

/// The message and state for a failed login.
fn connect_failure(address: &str, error: mysql_async::Error) -> Failure {
    match error {
        mysql_async::Error::Server(e) if e.code == ER_CON_COUNT_ERROR => {
            Failure::critical(format!(
                "{address}: Too many connections (error {}): the server accepts no more clients, \
             max_connections is reached; this is the failure this check exists to catch",
                e.code
            ))
        }
        mysql_async::Error::Server(e) => {
            Failure::critical(format!("{address}: {} (error {})", e.message, e.code))
        }
        mysql_async::Error::Io(e) => Failure::critical(format!("{address}: {}", io_text(&e))),
        other => Failure::critical(format!("{address}: {other}")),
    }
}

fn io_text(e: &mysql_async::IoError) -> String {
    let text = e.to_string();
    // "Input/output error: Connection refused (os error 111)" → the system's words.
    text.strip_prefix("Input/output error: ")
        .unwrap_or(&text)
        .to_string()
}

impl Session {
    /// The address connected to, as messages print it.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Runs one statement (text protocol) and returns its rows; `what` names it
    /// in messages ("reading the process list").
    pub fn query(&mut self, sql: &str, what: &str) -> Result<Vec<Vec<Cell>>, Failure> {
        let conn = self
            .conn
            .as_mut()
            .ok_or_else(|| Failure::unknown("the connection was lost"))?;
        set_activity(format!("{what} on {}", self.address));
        let deadline = self.deadline;
        let result = self
            .runtime
            .block_on(timed(&deadline, conn.query::<Row, _>(sql)));
        match result {
            Err(()) => {
                // The connection is in an unknown state now: do not reuse it.
                self.conn = None;
                Err(Failure::critical(format!(
                    "no answer from {} within {} s while {what}",
                    self.address,
                    within(&deadline)
                )))
            }
            Ok(Err(mysql_async::Error::Server(e))) => Err(Failure::unknown(format!(
                "{what}: the server said: {} (error {})",
                e.message, e.code
            ))),
            Ok(Err(mysql_async::Error::Io(e))) => {
                self.conn = None;
                Err(Failure::critical(format!(
                    "{}: connection lost while {what}: {}",
                    self.address,
                    io_text(&e)
                )))
            }
            Ok(Err(e)) => Err(Failure::unknown(format!("{what}: {e}"))),
            Ok(Ok(rows)) => Ok(rows.into_iter().map(cells).collect()),
        }
    }

    /// Says goodbye to the server (within a short time, errors ignored).
    pub fn close(mut self) {
        if let Some(conn) = self.conn.take() {
            let left = self.deadline.remaining().min(Duration::from_millis(500));
            let _ = self
                .runtime
                .block_on(async { tokio::time::timeout(left, conn.disconnect()).await });
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // A Conn dropped without disconnect wants a runtime to finish on;
        // closing the socket with the runtime is enough here.
        if let Some(conn) = self.conn.take() {
            let _guard = self.runtime.enter();
            drop(conn);
        }
    }
}

fn cells(row: Row) -> Vec<Cell> {
    row.unwrap()
        .into_iter()
        .map(|value| match value {
            Value::NULL => None,
            Value::Bytes(bytes) => Some(bytes),
            // The text protocol sends only bytes; other kinds as their text.
            other => Some(other.as_sql(true).into_bytes()),
        })
        .collect()
}

/// A cell as text (lossy UTF-8), `None` for NULL.
pub fn text(cell: &Cell) -> Option<String> {
    cell.as_ref()
        .map(|b| String::from_utf8_lossy(b).into_owned())
}

/// A cell as a signed integer; NULL, or text that is not one, is `None`.
pub fn int(cell: &Cell) -> Option<i64> {
    text(cell)?.trim().parse().ok()
}
