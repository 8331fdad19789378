//! check_counter_reset's parsers: `name value` lines and StarOS bulk statistics CSV.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opscheck::checks::counter_reset::{delta, parse_bulkstats, parse_lines, Schema};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_lines(&text);
    let schema = Schema::parse("EMS,pgwSch1,%date%,%time%,%vpnname%,%servname%,%sessstat-pdn-ttlsetup%")
        .unwrap();
    let _ = parse_bulkstats(&text, &[schema]);
    let _ = parse_bulkstats(&text, &[]);
    if let Some((a, b)) = text.split_once(' ') {
        if let (Ok(a), Ok(b)) = (a.parse::<u64>(), b.trim().parse::<u64>()) {
            let _ = delta(a, b, Some(32));
            let _ = delta(a, b, Some(64));
        }
    }
});
