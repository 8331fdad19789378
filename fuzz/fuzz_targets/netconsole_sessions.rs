//! `mshell ncctl.list`: whatever either SOP's shell prints.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opscheck::checks::netconsole_sessions::{evaluate_local, evaluate_pair, parse_list};
use opscheck::peer::Role;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(list) = parse_list(&text) {
        assert_eq!(list.controllers, list.sessions.len() as u64);
        for check in [
            evaluate_pair(&list, &list),
            evaluate_local(Role::Primary, &list),
            evaluate_local(Role::Secondary, &list),
        ] {
            let out = check.render_text("NETCONSOLE_SESSIONS", 3);
            let first = out.lines().next().unwrap_or("");
            assert!(!first.chars().any(|c| c.is_control()));
        }
    }
});
