//! `sre-admin status` output: whatever the tool (or a captured file) prints.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opscheck::checks::sre_status::{evaluate, parse, parse_lsn, Options};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(status) = parse(&text) {
        let check = evaluate(&status, &Options::default());
        let _ = check.render_text("SRE_STATUS", 3);
    }
    let _ = parse_lsn(&text);
    let _ = opscheck::checks::sre::parse_proc_state(&text);
});
