//! One rule for when a plugin gives up before its watchdog.
//!
//! The watchdog (`-t`, [`crate::timeout`]) is the last resort: it prints "timed
//! out" and names the activity, but it cannot say *what* was slow, which host
//! did not answer, or what the rest of the check found. So a plugin stops its
//! own work a little earlier and reports that itself. The rule, the same for
//! every plugin:
//!
//! > work ends at `-t` minus a reserve of one fifth of `-t`, at most 1 s,
//! > counted from the moment the plugin started (before option parsing).
//!
//! The reserve is the time kept to judge and print the result. A check asks the
//! [`Deadline`] for what is left ([`Deadline::remaining`]) before each blocking
//! step (a connect, a query, a child command) and uses it as that step's
//! timeout; steps that run one after another for several hosts take a fair
//! [`Deadline::share`] each. [`current`] is the deadline of this run, made by the
//! runner when it armed the watchdog.

use crate::timeout::Timeout;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The share of `-t` kept back to print the result, and its upper bound.
pub const RESERVE_FRACTION: f64 = 0.2;
/// At most this much of `-t` is kept back.
pub const RESERVE_MAX: Duration = Duration::from_secs(1);

/// When the work of this run must be over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    started: Instant,
    end: Instant,
}

impl Deadline {
    /// The deadline of a run that started at `started` with timeout `timeout`.
    pub fn new(started: Instant, timeout: Duration) -> Deadline {
        Deadline {
            started,
            end: started + work_time(timeout),
        }
    }

    /// The deadline for a `-t` value, counted from `started`.
    pub fn for_timeout(started: Instant, timeout: &Timeout) -> Deadline {
        Deadline::new(started, timeout.duration())
    }

    /// The instant the work must be done by.
    pub fn at(&self) -> Instant {
        self.end
    }

    /// The whole time the work was given.
    pub fn budget(&self) -> Duration {
        self.end.saturating_duration_since(self.started)
    }

    /// How long the work has run.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// What is left for the work: zero once the deadline has passed.
    pub fn remaining(&self) -> Duration {
        self.end.saturating_duration_since(Instant::now())
    }

    /// True once nothing is left.
    pub fn expired(&self) -> bool {
        self.remaining().is_zero()
    }

    /// The deadline of one of `parts` steps that run one after another: the
    /// time left divided evenly, so that a silent first host cannot take the
    /// time of the hosts behind it.
    pub fn share(&self, parts: usize) -> Deadline {
        let parts = parts.max(1) as u32;
        let now = Instant::now();
        Deadline {
            started: now,
            end: now + self.remaining() / parts,
        }
    }

    /// The budget in seconds as the messages print it ("within 9 s").
    pub fn budget_text(&self) -> String {
        crate::duration::seconds(self.budget())
    }
}

/// The work time the rule leaves of a timeout: `timeout − min(timeout/5, 1 s)`.
pub fn work_time(timeout: Duration) -> Duration {
    let reserve = timeout.mul_f64(RESERVE_FRACTION).min(RESERVE_MAX);
    timeout.saturating_sub(reserve)
}

static CURRENT: OnceLock<Deadline> = OnceLock::new();

/// The instant the process started, as near as the core can tell: the first
/// call of this function, made by the runner before option parsing.
pub fn process_start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// Sets the deadline of this run; called once by the runner when it arms the watchdog.
pub fn arm(timeout: &Timeout) -> Deadline {
    let deadline = *CURRENT.get_or_init(|| Deadline::for_timeout(process_start(), timeout));
    let _ = ARMED.set(deadline);
    deadline
}

/// The deadline of this run once the runner has armed it; `None` outside a
/// plugin run (unit tests, benches), where nothing should be cut short.
pub fn armed() -> Option<Deadline> {
    ARMED.get().copied()
}

static ARMED: OnceLock<Deadline> = OnceLock::new();

/// The deadline of this run. Outside a plugin run (unit tests, benches) it is the
/// default `-t` counted from the first call.
pub fn current() -> Deadline {
    *CURRENT.get_or_init(|| Deadline::for_timeout(process_start(), &Timeout::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn the_reserve_is_a_fifth_of_the_timeout_at_most_one_second() {
        assert_eq!(work_time(secs(10.0)), secs(9.0));
        assert_eq!(work_time(secs(60.0)), secs(59.0));
        assert_eq!(work_time(secs(2.0)), secs(1.6));
        assert_eq!(work_time(secs(1.0)), secs(0.8));
        assert_eq!(work_time(secs(0.5)), secs(0.4));
    }

    #[test]
    fn remaining_counts_down_from_the_start() {
        let started = Instant::now() - secs(3.0);
        let d = Deadline::new(started, secs(10.0));
        assert_eq!(d.budget(), secs(9.0));
        assert!(d.remaining() <= secs(6.0) && d.remaining() > secs(5.5));
        assert!(!d.expired());
        let past = Deadline::new(Instant::now() - secs(20.0), secs(10.0));
        assert!(past.expired());
        assert_eq!(past.remaining(), Duration::ZERO);
    }

    #[test]
    fn a_share_splits_what_is_left() {
        let d = Deadline::new(Instant::now(), secs(10.0));
        let one = d.share(3);
        assert!(one.budget() <= secs(3.0) && one.budget() > secs(2.9));
        assert!(one.at() <= d.at());
        // Zero parts is one part, not a division by zero.
        assert!(d.share(0).budget() > secs(8.9));
    }
}
