//! IEPM-BW config/cleanup-list (`pattern,minutes` pairs).
#![no_main]
use libfuzzer_sys::fuzz_target;
use opscheck::checks::iepm_hung;

fuzz_target!(|data: &[u8]| {
    let _ = iepm_hung::parse_rules(&String::from_utf8_lossy(data));
});
