//! The peer's state listing: whatever the peer command (or a peer's shell) prints.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opscheck::checks::sre_accounting_sync::{evaluate, parse_listing, Options};
use opscheck::Thresholds;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(peer) = parse_listing(&text) {
        let options = Options {
            checksum: true,
            lag: Thresholds::new("300".parse().ok(), "900".parse().ok()),
            size_diff: Thresholds::default(),
        };
        let _ = evaluate(&peer, &peer, &options).render_text("S", 3);
    }
});
