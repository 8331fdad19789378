//! The four plugin states, their exit codes, and how several states combine.

use std::fmt;
use std::str::FromStr;

/// A plugin state as the scheduler sees it (exit status 0..=3).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    /// OK (exit 0).
    #[default]
    Ok,
    /// WARNING (exit 1).
    Warning,
    /// CRITICAL (exit 2).
    Critical,
    /// UNKNOWN (exit 3).
    Unknown,
}

impl State {
    /// The exit status of the plugin API.
    pub fn exit_code(self) -> i32 {
        match self {
            State::Ok => 0,
            State::Warning => 1,
            State::Critical => 2,
            State::Unknown => 3,
        }
    }

    /// The state's word in line one.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ok => "OK",
            State::Warning => "WARNING",
            State::Critical => "CRITICAL",
            State::Unknown => "UNKNOWN",
        }
    }

    /// Severity for aggregation: CRITICAL > WARNING > UNKNOWN > OK.
    ///
    /// UNKNOWN ranks below WARNING so that a real problem found on one item is
    /// not hidden by another item the plugin could not evaluate.
    pub fn severity(self) -> u8 {
        match self {
            State::Ok => 0,
            State::Unknown => 1,
            State::Warning => 2,
            State::Critical => 3,
        }
    }

    /// The worse of two states.
    pub fn worst(self, other: State) -> State {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }

    /// The worst of any number of states; OK when there are none.
    pub fn worst_of(states: impl IntoIterator<Item = State>) -> State {
        states.into_iter().fold(State::Ok, State::worst)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for State {
    type Err = String;

    /// Accepts the names (any case, `OK`, `warn`, `crit`) and the exit codes 0..=3.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "0" | "ok" => Ok(State::Ok),
            "1" | "warning" | "warn" => Ok(State::Warning),
            "2" | "critical" | "crit" => Ok(State::Critical),
            "3" | "unknown" => Ok(State::Unknown),
            other => Err(format!(
                "'{other}' is not a state (use ok, warning, critical or unknown)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_guidelines() {
        assert_eq!(State::Ok.exit_code(), 0);
        assert_eq!(State::Warning.exit_code(), 1);
        assert_eq!(State::Critical.exit_code(), 2);
        assert_eq!(State::Unknown.exit_code(), 3);
    }

    #[test]
    fn aggregation_ranks_critical_warning_unknown_ok() {
        use State::*;
        assert_eq!(State::worst_of([]), Ok);
        assert_eq!(State::worst_of([Ok, Unknown]), Unknown);
        assert_eq!(State::worst_of([Unknown, Warning, Ok]), Warning);
        assert_eq!(State::worst_of([Warning, Critical, Unknown]), Critical);
    }

    #[test]
    fn parses_names_and_numbers() {
        assert_eq!("CRITICAL".parse::<State>(), Ok(State::Critical));
        assert_eq!("warn".parse::<State>(), Ok(State::Warning));
        assert_eq!("3".parse::<State>(), Ok(State::Unknown));
        assert!("4".parse::<State>().is_err());
    }
}
