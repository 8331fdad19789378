//! replSetGetStatus as pasted: mongo shell / mongosh syntax and Extended JSON, then its reading.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opscheck::checks::mongo_rs;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = mongo_rs::shell::to_json(&text);
    let _ = mongo_rs::parse_iso_date(&text);
    if let Ok(doc) = mongo_rs::parse_input(&text) {
        let _ = mongo_rs::parse_status(&doc);
        let _ = mongo_rs::parse_config(&doc);
    }
});
