//! check_cdr_api's CSV body check on any bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opscheck::checks::cdr_api::parse_csv;

fuzz_target!(|data: &[u8]| {
    if let Ok(csv) = parse_csv(data) {
        assert!(csv.records <= data.len() as u64 + 1);
    }
});
