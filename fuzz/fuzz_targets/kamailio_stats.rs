//! Kamailio's three statistics formats (kamctl JSON, kamcmd text, JSON-RPC stats.fetch).
#![no_main]
use libfuzzer_sys::fuzz_target;
use opscheck::checks::kamailio_stats;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = kamailio_stats::parse(&text);
});
