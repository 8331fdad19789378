//! Running a vendor command: an argument vector (never a shell), a clean
//! locale, no stdin, its own process group (killed by the timeout), and a
//! bounded read of what it prints.

use crate::runner::Failure;
use crate::timeout::{register_child_group, set_activity, unregister_child_group};
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// What a plugin reads at most from a command or an input file.
pub const DEFAULT_OUTPUT_LIMIT: usize = 16 * 1024 * 1024;
const STDERR_LIMIT: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub struct ExecOptions {
    /// The value of `LC_ALL` (and `LANG`) for the child: `C` unless a vendor tool needs UTF-8.
    pub locale: String,
    pub output_limit: usize,
    /// Extra environment variables for the child.
    pub env: Vec<(String, String)>,
    /// Kill the child (its whole process group) when it has not finished after
    /// this long, and report "no answer within N s" (CRITICAL: the tool or the
    /// host behind it hangs). Take it from [`crate::deadline::current`]'s
    /// `remaining()` so the plugin answers before the watchdog. `None`: only
    /// the watchdog bounds the run.
    pub timeout: Option<Duration>,
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

#[derive(Debug, Clone)]
pub struct CommandOutput {
    pub status: ExitStatus,
    pub stdout: String,
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
/// that prints more than the limit is UNKNOWN and is killed.
pub fn run(argv: &[String], options: &ExecOptions) -> Result<CommandOutput, Failure> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| Failure::unknown("the command is empty"))?;
    let shown = shlex::try_join(argv.iter().map(String::as_str)).unwrap_or_else(|_| argv.join(" "));
    set_activity(format!("running {shown}"));
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
    let timed_out = Arc::new(AtomicBool::new(false));
    let (done, finished) = mpsc::channel::<()>();
    let killer = options.timeout.map(|limit| {
        let timed_out = Arc::clone(&timed_out);
        std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(limit) {
                timed_out.store(true, Ordering::SeqCst);
                // SAFETY: kill(2) on the process group this run started; it is
                // still registered (not yet reaped) while this thread waits.
                unsafe {
                    libc::kill(-pgid, libc::SIGKILL);
                }
            }
        })
    });

    let mut stderr = child.stderr.take().expect("stderr is piped");
    let stderr_reader = std::thread::spawn(move || {
        let mut kept = Vec::new();
        let _ = (&mut stderr)
            .take(STDERR_LIMIT as u64)
            .read_to_end(&mut kept);
        // Drain the rest so the child never blocks on a full pipe.
        let _ = std::io::copy(&mut stderr, &mut std::io::sink());
        kept
    });
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut out = Vec::new();
    let read = (&mut stdout)
        .take(options.output_limit as u64 + 1)
        .read_to_end(&mut out);
    let too_large = out.len() > options.output_limit;
    if too_large {
        // SAFETY: kill(2) on the process group we just created.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
    let status = child.wait();
    drop(done);
    if let Some(killer) = killer {
        let _ = killer.join();
    }
    let err_bytes = stderr_reader.join().unwrap_or_default();
    unregister_child_group(pgid);
    if timed_out.load(Ordering::SeqCst) {
        let limit = options.timeout.unwrap_or_default();
        return Err(Failure::critical(format!(
            "no answer from '{program}' within {} s",
            crate::duration::seconds(limit)
        )));
    }
    if too_large {
        return Err(Failure::unknown(format!(
            "'{program}' printed more than {} bytes; refusing to parse it",
            options.output_limit
        )));
    }
    read.map_err(|e| Failure::unknown(format!("cannot read the output of '{program}': {e}")))?;
    let status =
        status.map_err(|e| Failure::unknown(format!("cannot wait for '{program}': {e}")))?;
    Ok(CommandOutput {
        status,
        stdout: String::from_utf8_lossy(&out).into_owned(),
        stderr: String::from_utf8_lossy(&err_bytes).into_owned(),
    })
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
            timeout: Some(Duration::from_millis(300)),
            ..ExecOptions::default()
        };
        let started = std::time::Instant::now();
        let err = run(&argv(&["sh", "-c", "sleep 30 & sleep 30"]), &options).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(err.state, crate::State::Critical);
        assert_eq!(err.message, "no answer from 'sh' within 0.3 s");
        let quick = run(&argv(&["true"]), &options).unwrap();
        assert!(quick.status.success());
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
}
