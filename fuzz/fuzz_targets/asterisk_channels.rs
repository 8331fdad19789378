//! check_asterisk_channels's parser and evaluation on any text Asterisk (or a garbled pipe) may print.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opscheck::checks::asterisk_channels;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text = opscheck::checks::asterisk::strip_terminal(&text);
    if let Ok(parsed) = asterisk_channels::parse(&text) {
        let check = asterisk_channels::evaluate(&parsed, &Default::default());
        // Whatever was parsed is judged and renders, without a panic.
        let _ = check.render_text("ASTERISK", 3);
        let _ = check.render_json("ASTERISK");
    }
    let _ = opscheck::checks::asterisk::source::classify(&text, "sip show peers", &|_| {
        opscheck::checks::asterisk::source::SocketAccess::Missing
    });
});
