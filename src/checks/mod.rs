//! The domain logic of each plugin: how to read its platform's data and judge it.
//! Each module reads through the core and keeps its parsing and evaluation in
//! pure functions with unit tests beside them.

pub mod iepm_hung;
pub mod iepm_keepalive;
pub mod iepm_schedule;
pub mod iepm_servers;
pub mod kamailio_stats;
pub mod mongo_rs;
pub mod mysql;
pub mod mysql_connections;
pub mod pg_repl;
pub mod proc_match;
pub mod seon_daemons;
pub mod sip_options;
pub mod smith_stonith;
