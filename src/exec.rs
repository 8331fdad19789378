//! Running a vendor command: an argument vector (never a shell), a clean
//! locale, no stdin, its own process group (killed by the timeout), and a
//! bounded read of what it prints.

use crate::runner::Failure;
use crate::timeout::{register_child_group, set_activity, unregister_child_group};
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// What a plugin reads at most from a command or an input file.
pub const DEFAULT_OUTPUT_LIMIT: usize = 16 * 1024 * 1024;
const STDERR_LIMIT: usize = 64 * 1024;

/// How a vendor command is run.
#[derive(Debug, Clone)]
pub struct ExecOptions {
    /// The value of `LC_ALL` (and `LANG`) for the child: `C` unless a vendor tool needs UTF-8.
    pub locale: String,
    /// At most this many bytes of its stdout are read.
    pub output_limit: usize,
    /// Extra environment variables for the child.
    pub env: Vec<(String, String)>,
    /// Kill the command (its whole process group) after this long and report
    /// "no answer from ... within N s" (CRITICAL) instead of leaving it to the
    /// watchdog. Take it from the run's deadline:
    /// `crate::deadline::current().remaining()` (see [`ExecOptions::within`]).
    pub timeout: Option<Duration>,
}

impl ExecOptions {
    /// The default options with the time left of `deadline` as the timeout.
    pub fn within(deadline: crate::deadline::Deadline) -> ExecOptions {
        ExecOptions {
            timeout: Some(deadline.remaining()),
            ..ExecOptions::default()
        }
    }
}

impl Default for ExecOptions {
    fn default() -> Self {
        ExecOptions {
            locale: "C".to_string(),
            output_limit: DEFAULT_OUTPUT_LIMIT,
            env: Vec::new(),
            timeout: None,
        }
    }
}

/// What a command printed and how it ended.
#[derive(Debug, Clone)]
pub struct CommandOutput {
    /// How it ended.
    pub status: ExitStatus,
    /// Its standard output (lossy UTF-8, bounded).
    pub stdout: String,
    /// Its standard error (lossy UTF-8, bounded).
    pub stderr: String,
}

impl CommandOutput {
    /// "exit status 1", "killed by signal 9".
    pub fn describe_status(&self) -> String {
        describe_status(&self.status)
    }

    /// The first non-empty line of stderr, or of stdout, to quote in a message.
    pub fn first_error_line(&self) -> &str {
        self.stderr
            .lines()
            .chain(self.stdout.lines())
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("")
    }
}

/// "exit status 1", "killed by signal 9".
pub fn describe_status(status: &ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        _ => "unknown exit status".to_string(),
    }
}

/// Splits a `--command` value into words the way a shell would (quotes and
/// backslashes), without running a shell: no globbing, no variables, no pipes.
pub fn split_command(text: &str) -> Result<Vec<String>, Failure> {
    let words = shlex::split(text).ok_or_else(|| {
        Failure::unknown(format!("cannot split command '{text}': unbalanced quotes"))
    })?;
    if words.is_empty() {
        return Err(Failure::unknown("the command is empty"));
    }
    Ok(words)
}

/// Runs `argv` and returns what it printed, whatever its exit status.
///
/// A command that cannot be started is UNKNOWN (the plugin's own setup); one
/// that prints more than the limit is UNKNOWN and is killed; one still running
/// after `options.timeout` is killed and CRITICAL (what it talks to does not answer).
/// Without a timeout of its own, a command run by a plugin gets what the run's
/// deadline leaves ([`crate::deadline::armed`]): no vendor command can hang a
/// plugin until its watchdog.
pub fn run(argv: &[String], options: &ExecOptions) -> Result<CommandOutput, Failure> {
    let shown = shlex::try_join(argv.iter().map(String::as_str)).unwrap_or_else(|_| argv.join(" "));
    set_activity(format!("running {shown}"));
    let limit = options
        .timeout
        .or_else(|| crate::deadline::armed().map(|d| d.remaining()));
    // No limit at all (outside a plugin run): only the watchdog, if any, bounds it.
    let timed = run_within(argv, options, limit.unwrap_or(UNLIMITED))?;
    if timed.timed_out {
        return Err(Failure::critical(format!(
            "no answer from '{}' within {} s",
            crate::output::shorten(&shown, 60),
            crate::duration::seconds(limit.unwrap_or_default())
        )));
    }
    Ok(timed.output)
}

/// A limit that is no limit: ten years.
const UNLIMITED: Duration = Duration::from_secs(10 * 365 * 86_400);

/// What [`run_within`] saw of a command that had a time limit.
#[derive(Debug, Clone)]
pub struct TimedOutput {
    /// What it printed (up to the moment it was killed, if it was).
    pub output: CommandOutput,
    /// True when the limit passed and its process group was killed.
    pub timed_out: bool,
    /// How long it ran.
    pub elapsed: Duration,
}

/// Like [`run`], but the command gets at most `limit`: past it, its whole
/// process group is killed (SIGKILL) and the result says `timed_out`, with
/// what it had printed so far. Safe to call from several threads at once
/// (each child has its own group, waiter and readers), which is what a plugin
/// that runs other plugins in parallel needs; the process-wide watchdog still
/// kills the group if the whole run times out first. Output beyond
/// `options.output_limit` is refused as in [`run`].
pub fn run_within(
    argv: &[String],
    options: &ExecOptions,
    limit: Duration,
) -> Result<TimedOutput, Failure> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| Failure::unknown("the command is empty"))?;
    let started = Instant::now();
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("LANGUAGE")
        .env("LC_ALL", &options.locale)
        .env("LANG", &options.locale)
        .process_group(0);
    for (key, value) in &options.env {
        command.env(key, value);
    }
    let mut child = command
        .spawn()
        .map_err(|e| Failure::unknown(format!("cannot run '{program}': {e}")))?;
    let pgid = child.id() as i32;
    register_child_group(pgid);
    let kill_group = move || {
        // SAFETY: kill(2) on the process group this function created.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    };

    let (events, inbox) = mpsc::channel::<Event>();
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    spawn_reader(stdout, options.output_limit, true, events.clone());
    spawn_reader(stderr, STDERR_LIMIT, false, events.clone());
    let waiter_events = events;
    std::thread::spawn(move || {
        let status = child.wait();
        let _ = waiter_events.send(Event::Exited(status));
    });

    let deadline = started + limit;
    let mut stdout_bytes = None;
    let mut stderr_bytes = None;
    let mut status = None;
    let mut timed_out = false;
    let mut too_large = false;
    // Wait for the exit and both pipes' ends; after the exit (or the kill), a
    // grandchild that left the group may still hold a pipe: give it a moment.
    let mut linger_until: Option<Instant> = None;
    while status.is_none() || stdout_bytes.is_none() || stderr_bytes.is_none() {
        let until = linger_until.unwrap_or(deadline);
        let wait = until.saturating_duration_since(Instant::now());
        match inbox.recv_timeout(wait) {
            Ok(Event::Exited(s)) => {
                status = Some(s);
                linger_until.get_or_insert(Instant::now() + PIPE_LINGER);
            }
            Ok(Event::Stdout(bytes, over)) => {
                if over {
                    too_large = true;
                    kill_group();
                }
                stdout_bytes = Some(bytes);
            }
            Ok(Event::Stderr(bytes)) => stderr_bytes = Some(bytes),
            Err(mpsc::RecvTimeoutError::Timeout) if linger_until.is_none() => {
                timed_out = true;
                kill_group();
                linger_until = Some(Instant::now() + PIPE_LINGER);
            }
            Err(_) => break,
        }
    }
    unregister_child_group(pgid);
    let elapsed = started.elapsed();
    if too_large {
        return Err(Failure::unknown(format!(
            "'{program}' printed more than {} bytes; refusing to parse it",
            options.output_limit
        )));
    }
    let status = match status {
        Some(status) => {
            status.map_err(|e| Failure::unknown(format!("cannot wait for '{program}': {e}")))?
        }
        None => {
            return Err(Failure::unknown(format!(
                "'{program}' did not end after it was killed"
            )))
        }
    };
    let text =
        |bytes: Option<Vec<u8>>| String::from_utf8_lossy(&bytes.unwrap_or_default()).into_owned();
    Ok(TimedOutput {
        output: CommandOutput {
            status,
            stdout: text(stdout_bytes),
            stderr: text(stderr_bytes),
        },
        timed_out,
        elapsed,
    })
}

/// How long [`run_within`] still reads a pipe after the child ended.
const PIPE_LINGER: Duration = Duration::from_millis(200);

enum Event {
    Exited(std::io::Result<ExitStatus>),
    /// What a pipe gave, and whether it went past the limit.
    Stdout(Vec<u8>, bool),
    Stderr(Vec<u8>),
}

fn spawn_reader(
    mut pipe: impl Read + Send + 'static,
    limit: usize,
    is_stdout: bool,
    events: mpsc::Sender<Event>,
) {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let _ = (&mut pipe).take(limit as u64 + 1).read_to_end(&mut kept);
        let over = kept.len() > limit;
        kept.truncate(limit);
        if !is_stdout {
            // Drain the rest so the child never blocks on a full pipe.
            let _ = std::io::copy(&mut pipe, &mut std::io::sink());
        }
        let event = if is_stdout {
            Event::Stdout(kept, over)
        } else {
            Event::Stderr(kept)
        };
        let _ = events.send(event);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn runs_without_a_shell_in_the_c_locale() {
        let out = run(
            &argv(&["sh", "-c", "echo \"$LC_ALL\"; echo oops >&2; exit 3"]),
            &ExecOptions::default(),
        )
        .unwrap();
        assert_eq!(out.stdout, "C\n");
        assert_eq!(out.stderr, "oops\n");
        assert_eq!(out.status.code(), Some(3));
        assert_eq!(out.describe_status(), "exit status 3");
        assert_eq!(out.first_error_line(), "oops");
        // Words are passed as they are: no globbing or expansion.
        let out = run(&argv(&["echo", "*", "$HOME"]), &ExecOptions::default()).unwrap();
        assert_eq!(out.stdout, "* $HOME\n");
    }

    #[test]
    fn missing_program_is_unknown() {
        let err = run(&argv(&["/nonexistent/tool"]), &ExecOptions::default()).unwrap_err();
        assert_eq!(err.state, crate::State::Unknown);
        assert!(err.message.contains("/nonexistent/tool"), "{}", err.message);
    }

    #[test]
    fn output_is_bounded() {
        let options = ExecOptions {
            output_limit: 1000,
            ..ExecOptions::default()
        };
        let err = run(&argv(&["yes"]), &options).unwrap_err();
        assert!(
            err.message.contains("more than 1000 bytes"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_command_past_its_timeout_is_killed_and_critical() {
        let options = ExecOptions {
            timeout: Some(Duration::from_millis(200)),
            ..ExecOptions::default()
        };
        let started = std::time::Instant::now();
        // The grandchild (sleep) holds the pipes too: the whole group must die.
        let err = run(&argv(&["sh", "-c", "sleep 30; echo late"]), &options).unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(err.state, crate::State::Critical);
        assert_eq!(
            err.message,
            "no answer from 'sh -c 'sleep 30; echo late'' within 0.2 s"
        );
        // A quick command is not affected by its timeout.
        let out = run(&argv(&["echo", "hi"]), &options).unwrap();
        assert_eq!(out.stdout, "hi\n");
    }

    #[test]
    fn split_command_respects_quotes() {
        assert_eq!(
            split_command("asterisk -rx 'sip show peers'").unwrap(),
            argv(&["asterisk", "-rx", "sip show peers"])
        );
        assert!(split_command("a 'b").is_err());
        assert!(split_command("  ").is_err());
    }

    #[test]
    fn run_within_returns_what_a_quick_command_printed() {
        let out = run_within(
            &argv(&["sh", "-c", "echo \"$LC_ALL\"; echo err >&2; exit 2"]),
            &ExecOptions::default(),
            Duration::from_secs(5),
        )
        .unwrap();
        assert!(!out.timed_out);
        assert_eq!(out.output.stdout, "C\n");
        assert_eq!(out.output.stderr, "err\n");
        assert_eq!(out.output.status.code(), Some(2));
    }

    #[test]
    fn run_within_kills_the_whole_group_at_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("grandchild-lived");
        // The grandchild would write the marker after 1.5 s if it survived the kill.
        let script = format!(
            "echo started; (sleep 1.5; touch {}) & sleep 30",
            marker.display()
        );
        let started = Instant::now();
        let out = run_within(
            &argv(&["sh", "-c", &script]),
            &ExecOptions::default(),
            Duration::from_millis(300),
        )
        .unwrap();
        assert!(out.timed_out);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(out.output.stdout, "started\n");
        assert_eq!(out.output.describe_status(), "killed by signal 9");
        std::thread::sleep(Duration::from_secs(2));
        assert!(!marker.exists(), "the grandchild outlived the kill");
    }

    #[test]
    fn run_within_runs_children_side_by_side() {
        let started = Instant::now();
        let handles: Vec<_> = (0..4)
            .map(|i| {
                std::thread::spawn(move || {
                    run_within(
                        &argv(&["sh", "-c", &format!("sleep 0.4; echo {i}")]),
                        &ExecOptions::default(),
                        Duration::from_secs(5),
                    )
                    .unwrap()
                })
            })
            .collect();
        for (i, handle) in handles.into_iter().enumerate() {
            let out = handle.join().unwrap();
            assert_eq!(out.output.stdout, format!("{i}\n"));
        }
        // Four sleeps of 0.4 s at once, not one after another.
        assert!(
            started.elapsed() < Duration::from_millis(1400),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn run_within_bounds_the_output_and_reports_a_missing_program() {
        let options = ExecOptions {
            output_limit: 1000,
            ..ExecOptions::default()
        };
        let err = run_within(&argv(&["yes"]), &options, Duration::from_secs(5)).unwrap_err();
        assert!(
            err.message.contains("more than 1000 bytes"),
            "{}",
            err.message
        );
        let err = run_within(
            &argv(&["/nonexistent/tool"]),
            &ExecOptions::default(),
            Duration::from_secs(1),
        )
        .unwrap_err();
        assert!(err.message.contains("/nonexistent/tool"), "{}", err.message);
    }
}
