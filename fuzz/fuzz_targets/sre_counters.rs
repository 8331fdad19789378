//! counters.csv: whatever sre-manager (or a half-written file) leaves there.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opscheck::checks::sre_counters::{evaluate, parse, Options};
use opscheck::Thresholds;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let counters = parse(&text);
    let options = Options {
        age: Thresholds::new("180".parse().ok(), "600".parse().ok()),
        metrics: vec!["request.INVITE".to_string()],
        minutes: 5,
        per_host: true,
        volume: Thresholds::new(None, "1:".parse().ok()),
    };
    let _ = evaluate(&counters, Some(1_718_879_940), 1_718_879_970, &options).render_text("S", 3);
});
