//! `mshell ps` (Felix shell ps / Gogo lb): whatever the management server's shell prints.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opscheck::checks::mshell_bundles::{evaluate, parse_ps, unreachable_line, Options};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = unreachable_line(&text);
    if let Ok(listing) = parse_ps(&text) {
        assert!(!listing.bundles.is_empty());
        let check = evaluate(&listing, &Options { expected: Some(47), fragments: vec!["x".into()] });
        // Line one never carries a raw control character from the input.
        let text = check.render_text("MSHELL_BUNDLES", 3);
        let first = text.lines().next().unwrap_or("");
        assert!(!first.chars().any(|c| c.is_control()));
    }
});
