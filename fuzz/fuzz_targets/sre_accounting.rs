//! The accounting summary and CDR file names: whatever sre-admin prints or the directory holds.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opscheck::checks::sre_accounting::{parse_name, parse_summary};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_summary(&text);
    for line in text.lines() {
        let _ = parse_name(line);
    }
});
