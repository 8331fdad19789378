//! Restarts between two runs, through the state store: the `NRestarts`
//! counter where systemd has it (235+), else a new `ActiveEnterTimestamp`
//! counts as at least one. A restart loop the unit recovers from between two
//! checks is seen this way, when its state alone would look healthy.

use super::show::Properties;
use super::source::Source;
use super::{label, Options, Unit, PLUGIN};
use crate::output::{plural, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::runner::Failure;
use crate::state::StateArgs;
use crate::status::State;
use serde::{Deserialize, Serialize};

/// What is kept between runs for one unit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub n_restarts: Option<u64>,
    /// `ActiveEnterTimestampMonotonic`, or else the timestamp text: changes when the unit (re)starts.
    pub active_enter: Option<String>,
}

impl Sample {
    pub fn of(p: &Properties) -> Result<Sample, String> {
        let active_enter = match p.number("ActiveEnterTimestampMonotonic")? {
            Some(0) | None => p.get("ActiveEnterTimestamp").map(str::to_string),
            Some(mono) => Some(mono.to_string()),
        };
        Ok(Sample {
            n_restarts: p.number("NRestarts")?,
            active_enter,
        })
    }
}

/// Restarts between the previous run and this one.
#[derive(Debug, Clone, PartialEq)]
pub enum Restarts {
    /// First run: nothing to compare with.
    Baseline,
    /// Automatic restarts counted by `NRestarts`, and a note when it was reset.
    Counted(u64, Option<String>),
    /// No `NRestarts` (systemd < 235): 1 when the unit entered the active state again.
    AtLeast(u64),
}

impl Restarts {
    pub fn value(&self) -> Option<u64> {
        match self {
            Restarts::Baseline => None,
            Restarts::Counted(n, _) | Restarts::AtLeast(n) => Some(*n),
        }
    }
}

pub fn restarts(previous: Option<&Sample>, current: &Sample) -> Restarts {
    let Some(previous) = previous else {
        return Restarts::Baseline;
    };
    match (previous.n_restarts, current.n_restarts) {
        (Some(before), Some(now)) if now >= before => Restarts::Counted(now - before, None),
        (Some(before), Some(now)) => Restarts::Counted(
            now,
            Some(format!(
                "NRestarts went from {before} to {now}: reset by a manual restart"
            )),
        ),
        (_, Some(now)) => Restarts::Counted(now, None),
        (_, None) => Restarts::AtLeast(u64::from(
            current.active_enter.is_some() && previous.active_enter != current.active_enter,
        )),
    }
}

fn state_key(options: &Options, unit: &str) -> String {
    let scope = match &options.source {
        Source::Systemctl { user: true, .. } => "user".to_string(),
        Source::Systemctl { user: false, .. } => "system".to_string(),
        Source::Input(path) => format!("input:{}", path.display()),
    };
    match &options.instance {
        Some(instance) => format!("{instance}:{scope}:{unit}"),
        None => format!("{scope}:{unit}"),
    }
}

/// The restarts section of one unit: the count since the previous run judged
/// by `--warning-restarts`/`--critical-restarts`, the sample kept for the next.
pub(super) fn judge(
    unit: &mut Unit,
    options: &Options,
    state_args: &StateArgs,
) -> Result<(), Failure> {
    let (name, props, prefix) = (unit.name, unit.props, unit.prefix);
    let loaded = props.get("LoadState") == Some("loaded");
    let restart_label = label(prefix, "restarts");
    match Sample::of(props) {
        Err(e) => {
            unit.findings
                .push(Item::new(State::Unknown, format!("restarts unknown: {e}")));
            unit.perf.push(Perfdata::unknown(restart_label, Uom::None));
        }
        Ok(sample) if loaded => {
            let file = state_args.open(PLUGIN, &state_key(options, name))?;
            let (previous, note) = file.load::<Sample>().into_parts();
            if let Some(note) = note {
                unit.findings.push(Item::new(State::Ok, note));
            }
            let delta = restarts(previous.as_ref(), &sample);
            file.save(&sample)?;
            match delta.value() {
                None => {
                    unit.findings.push(Item::new(
                        State::Ok,
                        match sample.n_restarts {
                            Some(n) => format!("first run: NRestarts {n} kept as the baseline"),
                            None => "first run: start time kept as the baseline".to_string(),
                        },
                    ));
                    unit.perf
                        .push(options.restarts.unmeasured(restart_label, Uom::None));
                }
                Some(n) => {
                    let judged = options.restarts.judge(restart_label, n as f64, Uom::None);
                    let mut text = match delta {
                        Restarts::AtLeast(_) if n > 0 => "restarted since the last check (no NRestarts in this systemd: at least 1)".to_string(),
                        _ => format!("{} since the last check", plural(n as usize, "automatic restart")),
                    };
                    if let Restarts::Counted(_, Some(note)) = &delta {
                        text.push_str(&format!(" ({note})"));
                    }
                    if n > 0 {
                        unit.healthy.push(plural(n as usize, "restart"));
                    }
                    unit.findings.push(judged.item(text).detail(
                        2,
                        match sample.n_restarts {
                            Some(total) => format!("NRestarts {total}"),
                            None => "NRestarts not reported".to_string(),
                        },
                    ));
                }
            }
        }
        // A unit that does not exist has no restarts to keep.
        Ok(_) => unit.perf.push(
            options
                .restarts
                .judge(restart_label, 0.0, Uom::None)
                .perfdata,
        ),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restarts_between_runs() {
        let s = |n: Option<u64>, a: &str| Sample {
            n_restarts: n,
            active_enter: Some(a.to_string()),
        };
        assert_eq!(restarts(None, &s(Some(3), "1")), Restarts::Baseline);
        assert_eq!(
            restarts(Some(&s(Some(3), "1")), &s(Some(7), "9")),
            Restarts::Counted(4, None)
        );
        assert_eq!(
            restarts(Some(&s(Some(3), "1")), &s(Some(3), "1")),
            Restarts::Counted(0, None)
        );
        match restarts(Some(&s(Some(5), "1")), &s(Some(1), "2")) {
            Restarts::Counted(1, Some(note)) => assert!(note.contains("from 5 to 1")),
            other => panic!("{other:?}"),
        }
        // systemd 219: no NRestarts, a new start time is at least one restart.
        assert_eq!(
            restarts(Some(&s(None, "1")), &s(None, "2")),
            Restarts::AtLeast(1)
        );
        assert_eq!(
            restarts(Some(&s(None, "1")), &s(None, "1")),
            Restarts::AtLeast(0)
        );
        // systemd upgraded between runs.
        assert_eq!(
            restarts(Some(&s(None, "1")), &s(Some(2), "1")),
            Restarts::Counted(2, None)
        );
    }
}
