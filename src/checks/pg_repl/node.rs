//! What the servers said: a primary's clients and slots, a standby's view of
//! itself, and the outcome of asking a host. Plain data, filled by [`client`]
//! and judged by the rest of the check; its own module so that the judging
//! code and the client share one definition and neither holds the other.
//!
//! [`client`]: super::client

use super::Role;
use crate::status::State;

/// The oldest server this check understands (the `wal`/`lsn` function names).
pub const MIN_SERVER_VERSION: i32 = 100_000;

/// The application name a WAL receiver uses when none is configured.
pub(super) const DEFAULT_RECEIVER_NAME: &str = "walreceiver";

/// A value of a libpq conninfo string (`key=value key='quoted value'`), as
/// `pg_stat_wal_receiver.conninfo` shows it.
pub fn conninfo_value(conninfo: &str, key: &str) -> Option<String> {
    let mut chars = conninfo.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        chars.peek()?;
        let mut name = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            name.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        chars.next_if_eq(&'=')?;
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '\'' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
        }
        if name == key {
            return Some(value);
        }
    }
}

/// Refuses servers older than PostgreSQL 10 (other function names, no `pg_stat_wal_receiver`).
pub fn check_version(version_num: i32, version: &str) -> Result<(), String> {
    if version_num < MIN_SERVER_VERSION {
        Err(format!(
            "PostgreSQL {version} is not supported: check_pg_repl needs PostgreSQL 10 or later"
        ))
    } else {
        Ok(())
    }
}

/// A client of a primary, from `pg_stat_replication` (byte lags from the primary's current LSN).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Client {
    pub pid: i32,
    pub application_name: String,
    /// `host(client_addr)`; `None` for a Unix socket connection.
    pub client_addr: Option<String>,
    pub client_hostname: Option<String>,
    pub client_port: Option<i32>,
    /// `None` when the monitoring role may not see the details (needs pg_monitor).
    pub state: Option<String>,
    pub sync_state: Option<String>,
    pub sent_bytes: Option<f64>,
    pub write_bytes: Option<f64>,
    pub flush_bytes: Option<f64>,
    pub replay_bytes: Option<f64>,
    /// `replay_lag` in seconds; NULL when caught up and idle for a while.
    pub replay_lag: Option<f64>,
    /// The replication slot this walsender holds, if any.
    pub slot_name: Option<String>,
}

impl Client {
    /// The client's replay lag in seconds: `replay_lag`, or 0 when it is NULL
    /// because the standby has replayed everything (PostgreSQL clears it then).
    pub fn lag_seconds(&self) -> Option<f64> {
        self.replay_lag
            .or_else(|| (self.replay_bytes.is_some_and(|b| b <= 0.0)).then_some(0.0))
            .map(|s| s.max(0.0))
    }

    pub(super) fn describe_addr(&self) -> String {
        match (&self.client_hostname, &self.client_addr) {
            (Some(h), Some(a)) => format!("{h}/{a}"),
            (None, Some(a)) => a.clone(),
            (Some(h), None) => h.clone(),
            (None, None) => "local socket".to_string(),
        }
    }
}

/// A row of `pg_replication_slots`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Slot {
    pub name: String,
    pub slot_type: String,
    pub active: bool,
    /// WAL the slot keeps: current LSN − `restart_lsn`.
    pub retained_bytes: Option<f64>,
    /// PostgreSQL 13+: reserved, extended, unreserved, lost.
    pub wal_status: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PrimaryView {
    pub clients: Vec<Client>,
    pub slots: Vec<Slot>,
    /// `synchronous_standby_names`; empty when replication is asynchronous.
    pub synchronous_standby_names: String,
}

/// What a standby says about itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StandbyView {
    /// `pg_stat_wal_receiver.status`; `None` when there is no WAL receiver.
    pub receiver_status: Option<String>,
    /// A receiver row exists but its details are hidden (needs pg_monitor).
    pub receiver_hidden: bool,
    pub sender_host: Option<String>,
    pub sender_port: Option<i32>,
    pub receiver_slot: Option<String>,
    /// The application name the primary sees: from the receiver's conninfo,
    /// else `cluster_name`, else `walreceiver`.
    pub application_name: String,
    pub receive_lsn: Option<String>,
    pub replay_lsn: Option<String>,
    /// Received but not yet replayed.
    pub lag_bytes: Option<f64>,
    /// How far the end of WAL its sender last reported (`latest_end_lsn`) is
    /// ahead of the replay position: WAL that exists on the primary but has
    /// not reached this standby yet (a slow link, a stalled sender).
    pub unreceived_bytes: Option<f64>,
    /// `pg_stat_wal_receiver.latest_end_lsn`.
    pub sender_end_lsn: Option<String>,
    /// `now() - pg_last_xact_replay_timestamp()` as measured.
    pub replay_age: Option<f64>,
    pub paused: bool,
    /// Seconds since the receiver last heard from its sender.
    pub last_message_age: Option<f64>,
}

impl StandbyView {
    /// True when everything received has been replayed and the sender has
    /// reported no WAL beyond it.
    pub fn caught_up(&self) -> bool {
        if self.unreceived_bytes.is_some_and(|b| b > 0.0) {
            return false;
        }
        match (&self.receive_lsn, &self.replay_lsn, self.lag_bytes) {
            (Some(r), Some(p), _) if r == p => true,
            (_, _, Some(b)) => b <= 0.0,
            _ => false,
        }
    }

    /// The replay delay in seconds: 0 when nothing is left to replay (an idle
    /// primary makes the last replayed transaction old without any delay),
    /// else the age of the last replayed transaction. WAL the sender reported
    /// but the standby has not received yet is left to replay too.
    pub fn delay(&self) -> Option<f64> {
        if self.caught_up() {
            Some(0.0)
        } else {
            self.replay_age.map(|s| s.max(0.0))
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum View {
    Primary(PrimaryView),
    Standby(StandbyView),
}

/// What one server said.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub version: String,
    pub version_num: i32,
    /// `pg_postmaster_start_time()` to the microsecond: two hosts that report
    /// the same are one server under two names (a VIP and its host, an alias).
    pub started: Option<String>,
    pub view: View,
}

impl Node {
    pub fn role(&self) -> Role {
        match self.view {
            View::Primary(_) => Role::Primary,
            View::Standby(_) => Role::Standby,
        }
    }
}

/// The outcome of asking one host.
#[derive(Debug, Clone, PartialEq)]
pub enum Probe {
    Reached(Box<Node>),
    /// Could not ask: CRITICAL for an unreachable server, UNKNOWN for our own trouble.
    Failed {
        state: State,
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_before_10_are_refused() {
        assert!(check_version(100_000, "10.0").is_ok());
        assert!(check_version(170_002, "17.2").is_ok());
        let err = check_version(90_624, "9.6.24").unwrap_err();
        assert!(err.contains("PostgreSQL 9.6.24 is not supported"), "{err}");
    }

    #[test]
    fn conninfo_values() {
        let conninfo = "user=repmgr passfile=/var/lib/pgsql/.pgpass channel_binding=prefer \
                        dbname=replication host=10.0.161.180 port=5432 application_name='em 2' \
                        fallback_application_name=walreceiver sslmode=prefer";
        assert_eq!(
            conninfo_value(conninfo, "application_name").as_deref(),
            Some("em 2")
        );
        assert_eq!(
            conninfo_value(conninfo, "host").as_deref(),
            Some("10.0.161.180")
        );
        assert_eq!(
            conninfo_value(conninfo, "fallback_application_name").as_deref(),
            Some("walreceiver")
        );
        assert_eq!(conninfo_value(conninfo, "sslcert"), None);
        assert_eq!(
            conninfo_value("a='it\\'s' b=x\\ y", "a").as_deref(),
            Some("it's")
        );
        assert_eq!(
            conninfo_value("a='it\\'s' b=x\\ y", "b").as_deref(),
            Some("x y")
        );
    }
}
