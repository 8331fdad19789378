//! SMITH / STONITH flag files and a peer command's flag output.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opscheck::checks::smith_stonith;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = smith_stonith::parse_flag(&text);
    let _ = smith_stonith::parse_peer_output(&text);
});
