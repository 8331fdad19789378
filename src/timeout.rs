//! The plugin-wide timeout (`-t SECONDS[:STATE]`) and the single exit point.
//!
//! A watchdog thread fires even when the main thread is blocked in a read, a
//! connect or a child process: it kills the process groups of the children the
//! plugin started, prints `NAME STATE - timed out after N s (while ...)` and
//! exits. Every final line goes through [`emit`], so the watchdog, a panic and
//! the normal path can never print two results.

use crate::status::State;
use std::fmt;
use std::io::Write;
use std::str::FromStr;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// `SECONDS[:STATE]`, e.g. `10`, `2.5`, `30:critical`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timeout {
    /// Seconds before the watchdog fires.
    pub seconds: f64,
    /// The state it reports.
    pub state: State,
}

impl Default for Timeout {
    fn default() -> Self {
        Timeout {
            seconds: 10.0,
            state: State::Unknown,
        }
    }
}

impl Timeout {
    /// The timeout as a [`Duration`].
    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.seconds)
    }
}

impl FromStr for Timeout {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (secs, state) = match s.split_once(':') {
            Some((secs, state)) => (secs, state.parse::<State>()?),
            None => (s, State::Unknown),
        };
        let seconds: f64 = secs
            .trim()
            .parse()
            .map_err(|_| format!("timeout '{secs}' is not a number of seconds"))?;
        if !(seconds > 0.0 && seconds <= 86_400.0) {
            return Err(format!(
                "timeout '{secs}' must be above 0 and at most 86400 seconds"
            ));
        }
        Ok(Timeout { seconds, state })
    }
}

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", crate::range::format_number(self.seconds))
    }
}

struct Shared {
    emitted: bool,
    activity: String,
    child_groups: Vec<i32>,
    /// Every activity with the time it began, for the `-vvv` trace.
    trace: Vec<(Duration, String)>,
}

fn shared() -> &'static Mutex<Shared> {
    static SHARED: OnceLock<Mutex<Shared>> = OnceLock::new();
    SHARED.get_or_init(|| {
        Mutex::new(Shared {
            emitted: false,
            activity: "starting".to_string(),
            child_groups: Vec::new(),
            trace: Vec::new(),
        })
    })
}

fn lock() -> std::sync::MutexGuard<'static, Shared> {
    // A panic while holding the lock must not stop the result from being printed.
    shared()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// At most this many steps are kept for the trace (a plugin asking 1000 hosts
/// keeps the first ones; the trace is for people).
const TRACE_LIMIT: usize = 200;

/// Says what the plugin is doing now; a timeout message names it, and `-vvv`
/// lists every step with the time it began.
pub fn set_activity(activity: impl Into<String>) {
    let activity = activity.into();
    let at = crate::deadline::process_start().elapsed();
    let mut shared = lock();
    if shared.trace.len() < TRACE_LIMIT {
        shared.trace.push((at, activity.clone()));
    }
    shared.activity = activity;
}

/// The steps recorded by [`set_activity`] so far: when each began (from the
/// process start) and what it was.
pub fn trace() -> Vec<(Duration, String)> {
    lock().trace.clone()
}

/// Registers a child's process group, to be killed if the timeout fires.
pub fn register_child_group(pgid: i32) {
    lock().child_groups.push(pgid);
}

/// Forgets a child's process group once it has been reaped.
pub fn unregister_child_group(pgid: i32) {
    lock().child_groups.retain(|&g| g != pgid);
}

/// Takes the right to print the result: the first caller gets the lock with the
/// result marked as printed; a later caller waits forever (the process is exiting).
fn claim() -> std::sync::MutexGuard<'static, Shared> {
    let mut shared = lock();
    if shared.emitted {
        drop(shared);
        loop {
            std::thread::park();
        }
    }
    shared.emitted = true;
    shared
}

fn print_and_exit(text: &str, code: i32) -> ! {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
    std::process::exit(code)
}

/// Prints the plugin's result and exits with `code`. Only the first caller prints;
/// a later caller (the watchdog racing a normal exit) waits for the exit.
pub fn emit(text: &str, code: i32) -> ! {
    let _claimed = claim();
    print_and_exit(text, code)
}

/// Starts the watchdog. `service` names the plugin in the timeout message.
pub fn start_watchdog(service: &'static str, timeout: Timeout) {
    std::thread::Builder::new()
        .name("timeout".into())
        .spawn(move || {
            std::thread::sleep(timeout.duration());
            // Claim the output before killing the children: a main thread woken by
            // their death must not print "command failed" in place of the timeout.
            let shared = claim();
            for &pgid in &shared.child_groups {
                // SAFETY: kill(2) with a negative pid signals a process group we created.
                unsafe {
                    libc::kill(-pgid, libc::SIGKILL);
                }
            }
            let text = format!(
                "{service} {} - timed out after {timeout} s (while {})\n",
                timeout.state,
                crate::output::one_line(&shared.activity)
            );
            print_and_exit(&text, timeout.state.exit_code());
        })
        .expect("cannot start the timeout thread");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_seconds_and_optional_state() {
        assert_eq!(
            "10".parse::<Timeout>(),
            Ok(Timeout {
                seconds: 10.0,
                state: State::Unknown
            })
        );
        assert_eq!(
            "2.5:critical".parse::<Timeout>(),
            Ok(Timeout {
                seconds: 2.5,
                state: State::Critical
            })
        );
        assert_eq!("30:1".parse::<Timeout>().unwrap().state, State::Warning);
        for bad in ["0", "-1", "x", "10:maybe", ""] {
            assert!(bad.parse::<Timeout>().is_err(), "{bad}");
        }
    }
}
