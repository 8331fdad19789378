//! check_log_pattern's matcher on any bytes: the buffer-wide candidate search
//! must give what matching each line on its own gives, continuation or not.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opscheck::checks::log_pattern::matcher::{scan, PatternSpec, Patterns, Tally};
use std::sync::OnceLock;

/// The patterns without and with a continuation, compiled once: compiling
/// them on every input made ~40 executions a second.
fn compiled() -> &'static (Patterns, Patterns) {
    static PATTERNS: OnceLock<(Patterns, Patterns)> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let mut spec = PatternSpec {
            critical: vec![r"ERROR|health is not OK".into()],
            warning: vec![r"(?i)exception$".into()],
            ok: vec![r"^recovered".into()],
            ignore: vec![r"harmless".into()],
            ..PatternSpec::default()
        };
        let plain = Patterns::compile(&spec).unwrap();
        spec.continuation = Some(r"^\s+at |^Caused by:".into());
        (plain, Patterns::compile(&spec).unwrap())
    })
}

fuzz_target!(|data: &[u8]| {
    let (patterns, with_continuation) = compiled();
    let mut whole = Tally::new(3);
    scan(patterns, data, 0, &mut whole);
    // Line by line gives the same counts.
    let mut by_line = Tally::new(3);
    let mut offset = 0u64;
    for line in data.split_inclusive(|b| *b == b'\n') {
        scan(patterns, line, offset, &mut by_line);
        offset += line.len() as u64;
    }
    assert_eq!((whole.critical, whole.warning), (by_line.critical, by_line.warning));
    let mut events = Tally::new(3);
    scan(with_continuation, data, 0, &mut events);
    let _ = (events.critical, events.warning);
});
