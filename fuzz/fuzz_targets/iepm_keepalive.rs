//! IEPM-BW keep-alive names and ages as observed (any age a clock can give).
#![no_main]
use libfuzzer_sys::fuzz_target;
use opscheck::checks::iepm_keepalive::{self, Observation};
use opscheck::threshold::Thresholds;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let observations: Vec<(String, Observation)> = text
        .split('\n')
        .map(|line| {
            let (name, age) = line.split_once(' ').unwrap_or((line, ""));
            let observation = match age.parse::<f64>() {
                Ok(age) => Observation::Age(age),
                Err(_) if age.is_empty() => Observation::Missing,
                Err(_) => Observation::Unreadable(age.to_string()),
            };
            (iepm_keepalive::daemon_name(name).to_string(), observation)
        })
        .collect();
    let thresholds = Thresholds::new("600".parse().ok(), "1200".parse().ok());
    let check = iepm_keepalive::evaluate(&observations, &thresholds, std::path::Path::new("/k"));
    let _ = check.render_text("IEPM_KEEPALIVE", 3);
});
