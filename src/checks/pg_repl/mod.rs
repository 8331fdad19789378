//! PostgreSQL streaming replication (SRE guide, seed 000 §2.1, §2.3, §2.6): is
//! there exactly one writer, is every standby streaming from it, and how far
//! behind is each one, in bytes and in seconds.
//!
//! What the servers said ([`Node`], in `node`) is judged by pure functions:
//! `primary` and `standby` judge one server as the guide's sections say,
//! `lag` holds the lag rules both share, `single` and `cluster` are the two
//! modes, `hosts` reads `-H`. [`client`] (feature `postgres`) asks the
//! servers; the password file parser is in [`pgpass`]. This module holds the
//! options, and re-exports what the plugin, tests and fuzzers use.
//!
//! Judgement, in short:
//! - one host: its role (`--role` asserts it). A primary's clients in
//!   `pg_stat_replication`: fewer than `--min-standbys` streaming is CRITICAL, a
//!   client in another state (catchup, backup, startup) WARNING, each client's
//!   replay lag in bytes (from the primary's current LSN) and seconds
//!   (`replay_lag`) against the thresholds; replication slots: inactive (state
//!   of `--inactive-slot`), WAL retained above the `--*-retained` ranges, `lost`
//!   (PostgreSQL 13+) CRITICAL. A standby: its WAL receiver must be `streaming`,
//!   receive-vs-replay lag in bytes, replay delay in seconds
//!   (`now() - pg_last_xact_replay_timestamp()`), taken as 0 when everything
//!   received has been replayed and the sender reports no more WAL, so an idle
//!   primary never raises a delay alarm.
//! - several hosts (cluster mode): exactly one primary, and every other host a
//!   streaming standby that the primary lists in `pg_stat_replication`
//!   (matched as [`match_standby`] says).

mod cluster;
mod hosts;
mod lag;
mod node;
pub mod pgpass;
mod primary;
mod single;
mod standby;

#[cfg(feature = "postgres")]
pub mod client;
#[cfg(feature = "postgres")]
pub mod settings;

use crate::status::State;
use crate::threshold::Thresholds;

pub use cluster::{evaluate_cluster, match_standby, ClusterHost, StandbyIdentity};
pub use hosts::{parse_hosts, HostSpec};
pub use lag::format_bytes;
pub use node::{
    check_version, conninfo_value, Client, Node, PrimaryView, Probe, Slot, StandbyView, View,
    MIN_SERVER_VERSION,
};
pub use primary::{client_names, synchronous_count};
pub use single::evaluate_single;

use node::DEFAULT_RECEIVER_NAME;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    Primary,
    Standby,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Primary => "primary",
            Role::Standby => "standby",
        }
    }
}

/// How the servers are judged.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub role: Option<Role>,
    pub min_standbys: Option<u32>,
    /// Standbys that must be connected to the primary (application name or address).
    pub standbys: Vec<String>,
    pub bytes: Thresholds,
    pub seconds: Thresholds,
    pub retained: Thresholds,
    pub inactive_slot: State,
}

#[cfg(test)]
mod tests;
