//! IEPM-BW config/servers.alive.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opscheck::checks::iepm_servers;

fuzz_target!(|data: &[u8]| {
    let _ = iepm_servers::parse_servers(&String::from_utf8_lossy(data));
});
