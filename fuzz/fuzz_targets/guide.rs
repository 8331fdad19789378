//! check_guide's parsers of outside input: a guide file (TOML, whatever an
//! operator wrote), a `{placeholder}` argument, a saved run for --compare, and
//! a child plugin's output (any bytes, any exit status).
#![no_main]
use libfuzzer_sys::fuzz_target;
use opscheck::checks::guide::{self, record};
use std::collections::BTreeMap;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(g) = guide::parse_guide(&text, Path::new("fuzz.toml")) {
        assert!(!g.entries.is_empty());
        for entry in &g.entries {
            assert!(guide::file::valid_id(&entry.id));
            assert!(!entry.command.is_empty());
        }
    }
    let mut vars = BTreeMap::new();
    vars.insert("host".to_string(), "em1".to_string());
    let _ = guide::fill(&text, &vars);
    let _ = record::parse_record(&text);
    let code = data.first().map(|b| i32::from(*b) - 1);
    let seen = guide::interpret(&text, &text, code, None);
    // What is passed on is valid perfdata, and line one stays one line.
    for p in &seen.perfdata {
        opscheck::perfdata::parse(&p.to_string()).expect("passed-on perfdata re-parses");
    }
    assert!(!seen.first_line.contains('\n') && !seen.first_line.contains('|'));
});
