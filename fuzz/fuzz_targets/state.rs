//! State files as a disk may leave them (torn, edited, from another version):
//! the versioned envelope, each plugin's saved sample, and that sample compared
//! with a fresh one (ages, rates and deltas from whatever numbers the file held).
#![no_main]
use libfuzzer_sys::fuzz_target;
use opscheck::checks::log_pattern::position::{decide, Position, Seen};
use opscheck::checks::{counter_reset, kamailio_stats, systemd_unit};
use opscheck::state::{Loaded, StateFile};
use std::collections::BTreeMap;
use std::sync::OnceLock;

fn store() -> &'static StateFile {
    static STORE: OnceLock<(tempfile::TempDir, StateFile)> = OnceLock::new();
    let (_, file) = STORE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::open(dir.path(), "fuzz", "state").unwrap();
        (dir, file)
    });
    file
}

fuzz_target!(|data: &[u8]| {
    let store = store();
    if let Loaded::Found(positions) = store.decode::<BTreeMap<String, Position>>(data) {
        let now = Seen {
            dev: 2049,
            ino: 131_074,
            size: 4096,
        };
        for saved in positions.values() {
            let _ = decide(Some(saved), &now, Some(saved.fp.as_str()));
            let _ = decide(Some(saved), &now, None);
        }
    }
    if let Loaded::Found(saved) = store.decode::<kamailio_stats::Sample>(data) {
        let current = kamailio_stats::Sample {
            taken_ms: 1_764_620_000_000,
            stats: saved.stats.clone(),
        };
        let counters: Vec<String> = saved.stats.keys().cloned().collect();
        let _ = kamailio_stats::compare(Some(&saved), &current, &counters);
    }
    if let Loaded::Found(saved) = store.decode::<counter_reset::Sample>(data) {
        let current = counter_reset::Sample {
            taken_ms: 1_764_620_000_000,
            ..saved.clone()
        };
        let options = counter_reset::Options {
            gauges: regex::RegexSet::new(["cur"]).unwrap(),
            wrap: Some(32),
            warning_only: false,
            rates: regex::RegexSet::new(["ttl"]).unwrap(),
        };
        let _ = counter_reset::evaluate(Some(&saved), &current, &options).render_text("COUNTER_RESET", 3);
    }
    if let Loaded::Found(saved) = store.decode::<systemd_unit::Sample>(data) {
        let _ = systemd_unit::restarts(Some(&saved), &saved.clone());
    }
});
