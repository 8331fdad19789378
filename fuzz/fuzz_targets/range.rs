//! Nagios ranges and `-t SECONDS[:STATE]`: whatever text an operator types.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opscheck::range::Range;
use opscheck::timeout::Timeout;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(range) = text.parse::<Range>() {
            // What parses prints back as a range that parses to the same thing.
            let again: Range = range.to_string().parse().expect("Display re-parses");
            assert_eq!(again.to_string(), range.to_string());
            let _ = range.alerts(0.0);
        }
        let _ = text.parse::<Timeout>();
    }
});
