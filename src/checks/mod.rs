//! The domain logic of each plugin: how to read its platform's data and judge it.
//! Each module reads through the core and keeps its parsing and evaluation in
//! pure functions with unit tests beside them.

pub mod asterisk;
pub mod cdr_api;
pub mod counter_reset;
pub mod guide;
pub mod iepm_hung;
pub mod iepm_keepalive;
pub mod iepm_schedule;
pub mod iepm_servers;
pub mod kamailio_stats;
pub mod log_pattern;
pub mod mongo_rs;
pub mod mshell_bundles;
pub mod mysql;
pub mod mysql_connections;
pub mod netconsole_sessions;
pub mod pg_repl;
pub mod seon_daemons;
pub mod sip_options;
pub mod smith_stonith;
pub mod sre;
pub mod sre_accounting;
pub mod sre_accounting_sync;
pub mod sre_counters;
pub mod sre_status;
pub mod systemd_unit;

// The three Asterisk plugins share one folder (one way to reach Asterisk);
// each is also reachable under its plugin's name.
pub use asterisk::channels as asterisk_channels;
pub use asterisk::peers as asterisk_peers;
pub use asterisk::queues as asterisk_queues;
