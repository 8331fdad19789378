//! A captured `show processlist` (boxed table or `mysql -B`), its evaluation,
//! statement excerpts, and the my.cnf parser of opscheck::checks::mysql::optfile
//! (the option files the MySQL plugins read): whatever bytes a file holds.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opscheck::checks::mysql::optfile;
use opscheck::checks::mysql_connections::{self, Options, Snapshot};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(threads) = opscheck::checks::mysql_connections::parse_processlist(&text) {
        let snapshot = Snapshot {
            threads,
            ..Snapshot::default()
        };
        let check = mysql_connections::evaluate(&snapshot, &Options::default());
        let out = check.render_text("MYSQL_CONNECTIONS", 3);
        assert!(!out.lines().next().unwrap_or("").contains('\r'));
    }
    let excerpt = mysql_connections::statement_excerpt(&text, 80);
    assert!(excerpt.chars().count() <= 81);
    assert!(!excerpt.chars().any(char::is_control));
    let _ = optfile::parse(&text, Path::new("/fuzz/my.cnf"));
});
