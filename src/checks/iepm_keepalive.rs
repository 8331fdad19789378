//! IEPM-BW daemon keep-alives: each daemon touches `<name>.alive` in
//! `/home/iepm/mysql/keepalives` every time it cycles, and `keep-em-alive`
//! (cron, every 10 minutes) restarts the ones whose file went stale. This
//! check pages before that safety net has failed twice in a row.

use crate::duration::human;
use crate::output::{plural, Check, Item};
use crate::perfdata::Uom;
use crate::runner::{CheckResult, Failure};
use crate::status::State;
use crate::threshold::Thresholds;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

pub const DEFAULT_DIR: &str = "/home/iepm/mysql/keepalives";

/// The daemons of the IEPM-BW guide.
pub const DEFAULT_DAEMONS: [&str; 7] = [
    "bw-synchd",
    "load-datad",
    "load-scheduled",
    "owpingd",
    "pathchirpd",
    "pingd",
    "traced",
];

/// A file this far in the future is clock skew worth reporting; closer than
/// this it is treated as just touched (NFS and coarse clocks).
pub const FUTURE_TOLERANCE_SECS: f64 = 60.0;

/// What was found for one daemon.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    /// Seconds since the file was last touched (negative: in the future).
    Age(f64),
    Missing,
    Unreadable(String),
}

/// `pingd` and `pingd.alive` both name the daemon `pingd`.
pub fn daemon_name(arg: &str) -> &str {
    arg.strip_suffix(".alive").unwrap_or(arg)
}

/// Looks at each daemon's keep-alive file in `dir`.
pub fn observe(
    dir: &Path,
    daemons: &[String],
    now: SystemTime,
) -> Result<Vec<(String, Observation)>, Failure> {
    crate::timeout::set_activity(format!("reading {}", dir.display()));
    let meta = std::fs::metadata(dir).map_err(|e| {
        Failure::unknown(format!(
            "cannot read keep-alive directory {}: {e}",
            dir.display()
        ))
    })?;
    if !meta.is_dir() {
        return Err(Failure::unknown(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    Ok(daemons
        .iter()
        .map(|arg| {
            let name = daemon_name(arg).to_string();
            let path = dir.join(format!("{name}.alive"));
            let observation = match std::fs::metadata(&path).and_then(|m| m.modified()) {
                // Whole seconds: the cycle is minutes long, and graphs need no noise.
                Ok(mtime) => Observation::Age(match now.duration_since(mtime) {
                    Ok(age) => age.as_secs_f64().round(),
                    Err(ahead) => -ahead.duration().as_secs_f64().round(),
                }),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Observation::Missing,
                Err(e) => Observation::Unreadable(e.to_string()),
            };
            (name, observation)
        })
        .collect())
}

/// Judges the observations: thresholds on the age in seconds; missing is CRITICAL.
pub fn evaluate(
    observations: &[(String, Observation)],
    thresholds: &Thresholds,
    dir: &Path,
) -> Check {
    let mut check = Check::new();
    let mut oldest: Option<(&str, f64)> = None;
    for (name, observation) in observations {
        let label = format!("{name}_age");
        let item = match observation {
            Observation::Missing => Item::new(
                State::Critical,
                format!(
                    "{name}: no keep-alive file {}",
                    dir.join(format!("{name}.alive")).display()
                ),
            )
            .perf(thresholds.unmeasured(label, Uom::Seconds).min(0.0)),
            Observation::Unreadable(error) => Item::new(
                State::Unknown,
                format!("{name}: cannot read keep-alive: {error}"),
            )
            .perf(thresholds.unmeasured(label, Uom::Seconds).min(0.0)),
            Observation::Age(age) if *age < -FUTURE_TOLERANCE_SECS => Item::new(
                State::Warning,
                format!(
                    "{name}: keep-alive dated {} in the future (clock skew?)",
                    human(-age)
                ),
            )
            // Judged WARNING for the skew itself, whatever its age says.
            .perf(
                thresholds
                    .judge(label, *age, Uom::Seconds)
                    .min(0.0)
                    .perfdata,
            ),
            Observation::Age(age) => {
                let age = age.max(0.0);
                if oldest.is_none_or(|(_, a)| age > a) {
                    oldest = Some((name, age));
                }
                let judged = thresholds.judge(label, age, Uom::Seconds).min(0.0);
                let stale = if judged.state == State::Ok {
                    ""
                } else {
                    " (stale)"
                };
                judged.item(format!("{name}: touched {} ago{stale}", human(age)))
            }
        };
        check.item(item);
    }
    let fresh = match oldest {
        Some((name, age)) => format!(
            "{} fresh, oldest {name} {} ago",
            plural(observations.len(), "keep-alive"),
            human(age)
        ),
        None => "no keep-alive files to check".to_string(),
    };
    check.ok_summary(fresh);
    check
}

pub struct Options {
    pub dir: PathBuf,
    pub daemons: Vec<String>,
    pub thresholds: Thresholds,
}

pub fn check(options: &Options) -> CheckResult {
    let observations = observe(&options.dir, &options.daemons, SystemTime::now())?;
    Ok(evaluate(&observations, &options.thresholds, &options.dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thresholds() -> Thresholds {
        Thresholds::new(Some("900".parse().unwrap()), Some("1800".parse().unwrap()))
    }

    fn obs(list: &[(&str, Observation)]) -> Vec<(String, Observation)> {
        list.iter()
            .map(|(n, o)| (n.to_string(), o.clone()))
            .collect()
    }

    #[test]
    fn fresh_stale_and_missing() {
        let dir = Path::new("/k");
        let check = evaluate(
            &obs(&[
                ("pingd", Observation::Age(30.0)),
                ("traced", Observation::Age(1000.0)),
            ]),
            &thresholds(),
            dir,
        );
        assert_eq!(check.state(), State::Warning);
        let text = check.render_text("IEPM_KEEPALIVE", 0);
        assert!(
            text.starts_with("IEPM_KEEPALIVE WARNING - traced: touched 16m 40s ago (stale) | "),
            "{text}"
        );
        assert!(
            text.contains("pingd_age=30s;900;1800;0 traced_age=1000s;900;1800;0"),
            "{text}"
        );

        let check = evaluate(
            &obs(&[("traced", Observation::Missing)]),
            &thresholds(),
            dir,
        );
        assert_eq!(check.state(), State::Critical);
        let text = check.render_text("IEPM_KEEPALIVE", 0);
        assert!(
            text.contains("no keep-alive file /k/traced.alive"),
            "{text}"
        );
        assert!(text.contains("traced_age=U"), "{text}");

        let check = evaluate(&obs(&[("a", Observation::Age(1801.0))]), &thresholds(), dir);
        assert_eq!(check.state(), State::Critical);
    }

    #[test]
    fn ok_summary_names_the_oldest() {
        let check = evaluate(
            &obs(&[
                ("pingd", Observation::Age(30.0)),
                ("traced", Observation::Age(312.0)),
            ]),
            &thresholds(),
            Path::new("/k"),
        );
        assert_eq!(
            check.summary(),
            "2 keep-alives fresh, oldest traced 5m 12s ago"
        );
    }

    #[test]
    fn small_future_skew_is_fresh_large_is_reported() {
        let check = evaluate(
            &obs(&[("a", Observation::Age(-5.0))]),
            &thresholds(),
            Path::new("/k"),
        );
        assert_eq!(check.state(), State::Ok);
        let check = evaluate(
            &obs(&[("a", Observation::Age(-7200.0))]),
            &thresholds(),
            Path::new("/k"),
        );
        assert_eq!(check.state(), State::Warning);
        assert!(
            check.summary().contains("2h in the future"),
            "{}",
            check.summary()
        );
    }

    #[test]
    fn daemon_names_with_or_without_suffix() {
        assert_eq!(daemon_name("pingd.alive"), "pingd");
        assert_eq!(daemon_name("pingd"), "pingd");
    }
}
