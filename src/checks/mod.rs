//! The domain logic of each plugin: how to read its platform's data and judge it.
//! Each module reads through the core and keeps its parsing and evaluation in
//! pure functions with unit tests beside them.

pub mod iepm_keepalive;
pub mod pg_repl;
pub mod smith_stonith;
