//! The password file (.pgpass syntax, escapes) and -H host lists.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opscheck::checks::pg_repl::{self, pgpass};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let target = pgpass::Target {
        host: "db1",
        port: 5432,
        database: "postgres",
        user: "monitor",
    };
    let _ = pgpass::lookup(&text, &target);
    let _ = pg_repl::parse_hosts(&text, 5432);
});
