//! The core's perfdata parser: whatever another plugin printed after its `|`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opscheck::perfdata;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for metric in perfdata::parse_each(text).into_iter().flatten() {
            // A valid metric prints back as one metric with the same label.
            let again = perfdata::parse(&metric.to_string()).expect("Display re-parses");
            assert_eq!(again.len(), 1, "{metric}");
            assert_eq!(again[0].label, metric.label);
        }
    }
});
