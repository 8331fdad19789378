//! The unit's `Loaded:` and `Active:` lines of `systemctl status` (seed 000
//! §2.2–2.5): LoadState, ActiveState and SubState judged together, with the
//! text that says why. Pure, so every state systemd knows is unit-tested.

use super::show::Properties;
use super::shown;
use crate::status::State;

/// Service types whose main process is meant to keep running.
pub(super) const LONG_RUNNING: &[&str] = &[
    "simple",
    "forking",
    "notify",
    "notify-reload",
    "exec",
    "dbus",
    "idle",
];

pub(super) fn is_service(id: &str) -> bool {
    id.ends_with(".service")
}

/// The state of a unit from its Load/Active/Sub states, with the text that says why.
pub fn assess(p: &Properties, expect_sub_state: &[String]) -> (State, String) {
    let load = p.get("LoadState").unwrap_or("");
    let active = p.get("ActiveState").unwrap_or("");
    let sub = p.get("SubState").unwrap_or("");
    let result = p.get("Result");
    let kind = p.get("Type").unwrap_or("");
    match load {
        "loaded" => {}
        "" => return (State::Unknown, "no LoadState in the output".to_string()),
        "not-found" => return (State::Critical, "not found (no such unit)".to_string()),
        "masked" => return (State::Critical, "masked: it cannot be started".to_string()),
        other => {
            let why = p
                .get("LoadError")
                .and_then(|e| e.split_once(' ').map(|(_, m)| m.trim_matches('"')))
                .map(|m| format!(": {}", shown(m)))
                .unwrap_or_default();
            return (
                State::Critical,
                format!("not loaded ({}){why}", shown(other)),
            );
        }
    }
    let states = if sub.is_empty() {
        shown(active)
    } else {
        format!("{} ({})", shown(active), shown(sub))
    };
    match active {
        "active" => {
            if !expect_sub_state.is_empty() {
                if expect_sub_state.iter().any(|s| s == sub) {
                    (State::Ok, states)
                } else {
                    (
                        State::Warning,
                        format!("{states}, expected {}", expect_sub_state.join(" or ")),
                    )
                }
            } else if LONG_RUNNING.contains(&kind) && sub != "running" {
                (
                    State::Warning,
                    format!("{states}: its main process is not running"),
                )
            } else {
                (State::Ok, states)
            }
        }
        "inactive"
            if kind == "oneshot" && result == Some("success") && expect_sub_state.is_empty() =>
        {
            (
                State::Ok,
                format!("{states}, oneshot finished successfully"),
            )
        }
        "failed" | "inactive" => {
            let why = result
                .filter(|r| *r != "success")
                .map(|r| format!(", result {}", shown(r)))
                .unwrap_or_default();
            (State::Critical, format!("{states}{why}"))
        }
        "activating" if sub == "auto-restart" => (
            State::Warning,
            format!("{states}: restarting after a failure"),
        ),
        "activating" | "deactivating" | "reloading" | "refreshing" | "maintenance" => {
            (State::Warning, states)
        }
        "" => (State::Unknown, "no ActiveState in the output".to_string()),
        other => (
            State::Unknown,
            format!("ActiveState '{}' not understood", shown(other)),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::systemd_unit::shown;
    use crate::checks::systemd_unit::tests::{props, service};

    #[test]
    fn control_bytes_never_reach_the_output() {
        let p = props(&[("LoadState", "weird\u{1b}[31m"), ("ActiveState", "x")]);
        let (_, text) = assess(&p, &[]);
        assert_eq!(text, "not loaded (weird\\x1b[31m)");
        assert_eq!(shown("a|b\nc\u{7}"), "a¦b c\\x07");
    }

    #[test]
    fn load_states_are_never_ok() {
        let nf = props(&[("LoadState", "not-found"), ("ActiveState", "inactive")]);
        assert_eq!(assess(&nf, &[]).0, State::Critical);
        assert!(assess(&nf, &[]).1.contains("not found"));
        let masked = props(&[("LoadState", "masked"), ("ActiveState", "inactive")]);
        assert_eq!(
            assess(&masked, &[]),
            (State::Critical, "masked: it cannot be started".into())
        );
        let error = props(&[
            ("LoadState", "error"),
            ("LoadError", "org.freedesktop.systemd1.BadUnitSetting \"Unit x.service has a bad unit file setting.\""),
        ]);
        let (state, text) = assess(&error, &[]);
        assert_eq!(state, State::Critical);
        assert!(
            text.contains("not loaded (error): Unit x.service has a bad"),
            "{text}"
        );
        assert_eq!(
            assess(&props(&[("ActiveState", "active")]), &[]).0,
            State::Unknown
        );
        // Even an "active" claim does not make an unknown load state OK.
        let odd = props(&[("LoadState", "bad-setting"), ("ActiveState", "active")]);
        assert_eq!(assess(&odd, &[]).0, State::Critical);
    }

    #[test]
    fn active_states() {
        assert_eq!(
            assess(&service("active", "running", "simple", "success"), &[]).0,
            State::Ok
        );
        assert_eq!(
            assess(&service("failed", "failed", "simple", "exit-code"), &[]),
            (State::Critical, "failed (failed), result exit-code".into())
        );
        assert_eq!(
            assess(&service("inactive", "dead", "simple", "success"), &[]).0,
            State::Critical
        );
        assert_eq!(
            assess(
                &service("activating", "auto-restart", "simple", "exit-code"),
                &[]
            )
            .0,
            State::Warning
        );
        assert_eq!(
            assess(
                &service("deactivating", "stop-sigterm", "simple", "success"),
                &[]
            )
            .0,
            State::Warning
        );
        assert_eq!(
            assess(&service("reloading", "reload", "notify", "success"), &[]).0,
            State::Warning
        );
        assert_eq!(
            assess(&service("active", "exited", "forking", "success"), &[]).0,
            State::Warning
        );
        assert_eq!(
            assess(&service("bogus", "x", "simple", "success"), &[]).0,
            State::Unknown
        );
        assert_eq!(
            assess(&props(&[("LoadState", "loaded")]), &[]).0,
            State::Unknown
        );
    }

    #[test]
    fn oneshot_and_other_units_without_false_alarms() {
        let done = service("inactive", "dead", "oneshot", "success");
        assert_eq!(assess(&done, &[]).0, State::Ok);
        let kept = service("active", "exited", "oneshot", "success");
        assert_eq!(assess(&kept, &[]).0, State::Ok);
        let broken = service("failed", "failed", "oneshot", "exit-code");
        assert_eq!(assess(&broken, &[]).0, State::Critical);
        let timer = props(&[
            ("LoadState", "loaded"),
            ("ActiveState", "active"),
            ("SubState", "waiting"),
        ]);
        assert_eq!(assess(&timer, &[]).0, State::Ok);
        // --expect-sub-state says otherwise.
        let expect = vec!["running".to_string()];
        assert_eq!(assess(&done, &expect).0, State::Critical);
        assert_eq!(assess(&kept, &expect).0, State::Warning);
        assert_eq!(assess(&timer, &["waiting".to_string()]).0, State::Ok);
    }
}
