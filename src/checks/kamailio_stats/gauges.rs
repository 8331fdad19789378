//! The gauges, judged on the current sample alone: shared memory used
//! (`real_used_size / total_size`, against `--*-shmem`) and active dialogs
//! (the dialog module's, or another group's `*:active_dialogs`, against
//! `--*-dialogs`). Unlike the rates they need no previous sample, so even a
//! first run judges them.

use super::{round1, round3, Options, Sample};
use crate::output::Item;
use crate::perfdata::Uom;
use crate::range::format_number;
use crate::status::State;
use crate::threshold::Thresholds;

/// Shared memory used, in %; UNKNOWN when the statistics lack it.
pub(super) fn shmem_item(current: &Sample, options: &Options, summary: &mut Vec<String>) -> Item {
    match (
        current.stats.get("shmem:real_used_size"),
        current.stats.get("shmem:total_size"),
    ) {
        (Some(&used), Some(&total)) if total > 0 => {
            let percent = round3(used as f64 * 100.0 / total as f64);
            summary.push(format!("shmem {}%", format_number(round1(percent))));
            options
                .shmem
                .judge("shmem_used", percent, Uom::Percent)
                .min(0.0)
                .max(100.0)
                .item(format!(
                    "shared memory {}% used ({} of {} MiB)",
                    format_number(round1(percent)),
                    format_number(round1(used as f64 / 1048576.0)),
                    format_number(round1(total as f64 / 1048576.0))
                ))
        }
        _ => Item::new(
            State::Unknown,
            "shared memory: shmem:real_used_size or shmem:total_size missing",
        )
        .perf(options.shmem.unmeasured("shmem_used", Uom::Percent)),
    }
}

/// Active dialogs: the dialog module's, or another group's (the SRE's
/// app_python3). None when there are none to report and no range asks for
/// them; UNKNOWN when a range asks and the statistic is missing.
pub(super) fn dialogs_item(
    current: &Sample,
    options: &Options,
    summary: &mut Vec<String>,
) -> Option<Item> {
    let dialogs = current
        .stats
        .get_key_value("dialog:active_dialogs")
        .or_else(|| {
            current
                .stats
                .iter()
                .find(|(k, _)| k.ends_with(":active_dialogs"))
        });
    match dialogs {
        Some((name, &count)) => {
            summary.push(format!("{count} dialogs"));
            Some(
                options
                    .dialogs
                    .judge("active_dialogs", count as f64, Uom::None)
                    .min(0.0)
                    .item(format!("{count} active dialogs ({name})")),
            )
        }
        None if options.dialogs != Thresholds::default() => Some(Item::new(
            State::Unknown,
            "active dialogs: no *:active_dialogs statistic (dialog module not loaded?)",
        )),
        None => None,
    }
}
