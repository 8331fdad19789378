//! Data file names (`scheduleid.probetype`) and the overdue arithmetic of
//! opscheck::checks::iepm_schedule on any values a TOOLSPECS row can hold.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opscheck::checks::iepm_schedule::{self, Probe};

fuzz_target!(|data: &[u8]| {
    if let Ok(name) = std::str::from_utf8(data) {
        if let Some((_, kind)) = iepm_schedule::parse_data_file_name(name) {
            assert!(!kind.is_empty());
        }
    }
    if data.len() >= 24 {
        let word = |i: usize| i64::from_le_bytes(data[i..i + 8].try_into().unwrap());
        let probe = Probe {
            tool: "ping".into(),
            lastrun: Some(word(0)),
            interval: Some(word(8)),
            ..Probe::default()
        };
        // Never a panic, whatever the numbers (overflow is Invalid).
        let _ = iepm_schedule::lateness(&probe, word(16), 600);
    }
});
