//! `systemctl show` output and systemd timestamps: whatever a captured file holds.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opscheck::checks::systemd_unit::{self, show};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(blocks) = show::parse_show(&text) {
        for p in &blocks {
            let _ = systemd_unit::assess(p, &[]);
            let _ = systemd_unit::uptime(p, i64::MAX, Some(u64::MAX));
            let _ = systemd_unit::uptime(p, i64::MIN, None);
            if let Ok(sample) = systemd_unit::Sample::of(p) {
                let _ = systemd_unit::restarts(Some(&sample), &sample);
            }
        }
    }
    for line in text.lines() {
        let _ = show::parse_timestamp(line);
        let _ = systemd_unit::unit_name(line);
        let _ = line.parse::<systemd_unit::Expect>();
    }
});
