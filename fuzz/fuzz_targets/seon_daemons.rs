//! Seon's recorded PID files.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opscheck::checks::seon_daemons;

fuzz_target!(|data: &[u8]| {
    let _ = seon_daemons::parse_recorded(&String::from_utf8_lossy(data));
});
