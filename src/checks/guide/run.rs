//! Running a guide's entries: each one child process through the core's
//! [`crate::exec::run_within`], at most `jobs` at once, each with its own time
//! limit inside the run's [`Deadline`]; and reading what each child printed.

use super::file::{fill, Entry, Guide};
use super::record::{EntryResult, Status};
use crate::deadline::Deadline;
use crate::exec::{self, ExecOptions, TimedOutput};
use crate::perfdata::{self, Perfdata};
use crate::status::State;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long past an entry's own `-t` check_guide waits before it kills the
/// child: the child should report its own timeout first.
const CHILD_GRACE: Duration = Duration::from_secs(1);

/// What a run needs besides the guide.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub plugin_dir: PathBuf,
    pub jobs: usize,
    pub vars: BTreeMap<String, String>,
    pub with: Vec<String>,
    pub skip_missing: bool,
    /// The remote host and the via template (argv, `{host}` filled), when remote.
    pub remote: Option<(String, Vec<String>)>,
    pub progress: bool,
}

/// What one child printed, as the plugin API defines it.
#[derive(Debug, Clone, PartialEq)]
pub struct Interpreted {
    pub state: State,
    pub status: Status,
    pub first_line: String,
    pub long_output: Vec<String>,
    pub perfdata: Vec<Perfdata>,
    pub notes: Vec<String>,
}

/// Text safe for one line: control characters replaced, `|` replaced.
pub fn clean(text: &str) -> String {
    let text: String = text
        .chars()
        .map(|c| if c.is_control() && c != '\t' { '?' } else { c })
        .collect();
    crate::output::one_line(text.trim())
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGSEGV => " (SIGSEGV)",
        libc::SIGABRT => " (SIGABRT)",
        libc::SIGKILL => " (SIGKILL)",
        libc::SIGTERM => " (SIGTERM)",
        libc::SIGBUS => " (SIGBUS)",
        libc::SIGFPE => " (SIGFPE)",
        libc::SIGILL => " (SIGILL)",
        _ => "",
    }
}

/// Reads a plugin's output: the state from its exit status (0..=3; anything
/// else, or a signal, is a crash and UNKNOWN), the first line without its
/// perfdata, the long output, and the perfdata of line one and of the long
/// output after its first `|` (Nagios 3 style), validated metric by metric:
/// an invalid metric is dropped with a note. Output with no text is UNKNOWN.
pub fn interpret(
    stdout: &str,
    stderr: &str,
    code: Option<i32>,
    signal: Option<i32>,
) -> Interpreted {
    let mut notes = Vec::new();
    let mut lines = stdout.lines();
    let first = lines.next().unwrap_or("");
    let (first_text, mut perf_text) = match first.split_once('|') {
        Some((text, perf)) => (text, perf.to_string()),
        None => (first, String::new()),
    };
    let mut long_output = Vec::new();
    let mut in_perf = false;
    for line in lines {
        if in_perf {
            perf_text.push(' ');
            perf_text.push_str(line);
        } else if let Some((text, perf)) = line.split_once('|') {
            if !text.trim().is_empty() {
                long_output.push(clean_long(text));
            }
            perf_text.push(' ');
            perf_text.push_str(perf);
            in_perf = true;
        } else {
            long_output.push(clean_long(line));
        }
    }
    while long_output.last().is_some_and(|l| l.trim().is_empty()) {
        long_output.pop();
    }
    let mut perf = Vec::new();
    for metric in perfdata::parse_each(&perf_text) {
        match metric {
            Ok(p) => perf.push(p),
            Err(e) => notes.push(format!(
                "invalid perfdata dropped: {}",
                clean(&e.to_string())
            )),
        }
    }
    let mut first_line = clean(first_text);
    let stderr_line = stderr
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(clean)
        .unwrap_or_default();
    let (state, status) = match (code, signal) {
        (Some(c @ 0..=3), _) => {
            let state = match c {
                0 => State::Ok,
                1 => State::Warning,
                2 => State::Critical,
                _ => State::Unknown,
            };
            if first_line.is_empty() {
                first_line = format!("printed nothing (exit status {c})");
                if !stderr_line.is_empty() {
                    first_line.push_str(&format!(": {stderr_line}"));
                }
                (State::Unknown, Status::Ran)
            } else {
                (state, Status::Ran)
            }
        }
        (code, signal) => {
            let how = match (code, signal) {
                (Some(c), _) => format!("exit status {c}"),
                (None, Some(s)) => format!("killed by signal {s}{}", signal_name(s)),
                _ => "unknown exit status".to_string(),
            };
            let said = if !first_line.is_empty() {
                first_line.clone()
            } else {
                stderr_line.clone()
            };
            first_line = if said.is_empty() {
                format!("crashed: {how}")
            } else {
                format!("crashed: {how}: {said}")
            };
            (State::Unknown, Status::Crashed)
        }
    };
    Interpreted {
        state,
        status,
        first_line,
        long_output,
        perfdata: perf,
        notes,
    }
}

fn clean_long(line: &str) -> String {
    line.chars()
        .map(|c| if c.is_control() && c != '\t' { '?' } else { c })
        .collect::<String>()
        .trim_end()
        .to_string()
}

/// Seconds for a child's `-t`: whole seconds (what the Monitoring Plugins
/// accept) from 1 s up, tenths below.
fn timeout_arg(limit: Duration) -> String {
    if limit >= Duration::from_secs(1) {
        limit.as_secs().to_string()
    } else {
        format!("{:.1}", limit.as_secs_f64().max(0.1))
    }
}

fn has_timeout_option(argv: &[String]) -> bool {
    argv.iter().skip(1).any(|a| {
        a == "-t"
            || a == "--timeout"
            || a.starts_with("--timeout=")
            || (a.starts_with("-t") && a.len() > 2 && !a.starts_with("--"))
    })
}

/// The program of an entry: a bare name in the plugin directory, a path as it is.
pub fn resolve(program: &str, plugin_dir: &Path) -> PathBuf {
    if program.contains('/') {
        PathBuf::from(program)
    } else {
        plugin_dir.join(program)
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// An entry's result before it runs: its identity and command.
fn base(entry: &Entry, command: Vec<String>) -> EntryResult {
    EntryResult {
        id: entry.id.clone(),
        title: entry.title.clone(),
        source: entry.source.clone(),
        command,
        status: Status::Ran,
        state: None,
        duration_s: 0.0,
        first_line: String::new(),
        long_output: Vec::new(),
        perfdata: Vec::new(),
        notes: Vec::new(),
    }
}

/// What to do with an entry, decided before anything runs.
enum Plan {
    Run {
        argv: Vec<String>,
        shown: Vec<String>,
    },
    Done(EntryResult),
}

fn plan(entry: &Entry, options: &RunOptions) -> Plan {
    let missing_flags: Vec<&String> = entry
        .requires
        .iter()
        .filter(|f| !options.with.contains(f))
        .collect();
    if !missing_flags.is_empty() {
        let mut r = base(entry, entry.command.clone());
        r.status = Status::Skipped;
        let flags: Vec<String> = missing_flags
            .iter()
            .map(|f| format!("--with {f}"))
            .collect();
        r.first_line = format!("needs {}", flags.join(" "));
        return Plan::Done(r);
    }
    let mut filled = Vec::with_capacity(entry.command.len());
    for word in &entry.command {
        match fill(word, &options.vars) {
            Ok(w) => filled.push(w),
            Err(e) => {
                let mut r = base(entry, entry.command.clone());
                r.status = Status::Error;
                r.state = Some(State::Unknown);
                r.first_line = format!("cannot run: {e}");
                return Plan::Done(r);
            }
        }
    }
    let program = resolve(&filled[0], &options.plugin_dir);
    if options.remote.is_none() && !is_executable(&program) {
        let mut r = base(entry, filled.clone());
        let where_ = if filled[0].contains('/') {
            format!("not available: {} not found", program.display())
        } else {
            format!(
                "not available: {} not found in {}",
                filled[0],
                options.plugin_dir.display()
            )
        };
        r.first_line = where_;
        if options.skip_missing {
            r.status = Status::Skipped;
        } else {
            r.status = Status::Missing;
            r.state = Some(State::Unknown);
        }
        return Plan::Done(r);
    }
    let mut argv = filled.clone();
    argv[0] = program.to_string_lossy().into_owned();
    Plan::Run {
        argv,
        shown: filled,
    }
}

/// Runs one planned entry within `limit`, the time its slot has.
fn run_entry(
    entry: &Entry,
    argv: Vec<String>,
    shown: Vec<String>,
    guide: &Guide,
    options: &RunOptions,
    deadline: &Deadline,
) -> EntryResult {
    let mut r = base(entry, shown);
    let remaining = deadline.remaining();
    if remaining < Duration::from_millis(100) {
        r.status = Status::NotStarted;
        r.state = Some(State::Unknown);
        r.first_line = format!(
            "not started: the guide's time ran out ({} s)",
            deadline.budget_text()
        );
        return r;
    }
    let own = entry.timeout.or(guide.timeout).unwrap_or(remaining);
    let child_limit = own.min(remaining);
    let kill_at = (child_limit + CHILD_GRACE).min(remaining);
    let mut argv = argv;
    if !has_timeout_option(&argv) {
        argv.push("-t".to_string());
        argv.push(timeout_arg(child_limit));
    }
    let argv = match &options.remote {
        Some((_, via)) => {
            let remote =
                shlex::try_join(argv.iter().map(String::as_str)).unwrap_or_else(|_| argv.join(" "));
            let mut words = via.clone();
            words.push(remote);
            words
        }
        None => argv,
    };
    let exec_options = ExecOptions {
        output_limit: 4 * 1024 * 1024,
        ..ExecOptions::default()
    };
    match exec::run_within(&argv, &exec_options, kill_at) {
        Err(failure) => {
            r.status = Status::Error;
            r.state = Some(State::Unknown);
            r.first_line = clean(&failure.message);
        }
        Ok(TimedOutput {
            output,
            timed_out,
            elapsed,
        }) => {
            use std::os::unix::process::ExitStatusExt;
            r.duration_s = elapsed.as_secs_f64();
            if timed_out {
                r.status = Status::TimedOut;
                r.state = Some(State::Unknown);
                r.first_line = if kill_at > child_limit {
                    format!(
                        "timed out: no result within its {} s, killed after {} s",
                        crate::duration::seconds(child_limit),
                        crate::duration::seconds(kill_at)
                    )
                } else {
                    format!(
                        "timed out: killed after {} s, the guide's time was up",
                        crate::duration::seconds(kill_at)
                    )
                };
                r.long_output = output.stdout.lines().map(clean_long).collect();
                return r;
            }
            let code = output.status.code();
            if let Some((host, _)) = &options.remote {
                let stderr_line = clean(output.first_error_line());
                if code == Some(255) {
                    r.status = Status::Error;
                    r.state = Some(State::Critical);
                    r.first_line = format!("cannot reach {host}: {stderr_line}");
                    return r;
                }
                if code == Some(127) {
                    r.status = Status::Missing;
                    r.state = Some(State::Unknown);
                    r.first_line = format!(
                        "not available: {} not found in {} on {host}",
                        r.command[0],
                        options.plugin_dir.display()
                    );
                    if options.skip_missing {
                        r.status = Status::Skipped;
                        r.state = None;
                    }
                    return r;
                }
            }
            let seen = interpret(&output.stdout, &output.stderr, code, output.status.signal());
            r.status = seen.status;
            r.state = Some(seen.state);
            r.first_line = seen.first_line;
            r.long_output = seen.long_output;
            r.perfdata = seen.perfdata.iter().map(|p| p.to_string()).collect();
            r.notes = seen.notes;
        }
    }
    r
}

/// Runs the guide's entries, at most `options.jobs` at once, and returns their
/// results in the guide's order.
pub fn run_guide(guide: &Guide, options: &RunOptions, deadline: &Deadline) -> Vec<EntryResult> {
    let plans: Vec<Plan> = guide.entries.iter().map(|e| plan(e, options)).collect();
    let to_run: Vec<usize> = plans
        .iter()
        .enumerate()
        .filter(|(_, p)| matches!(p, Plan::Run { .. }))
        .map(|(i, _)| i)
        .collect();
    let results: Vec<Mutex<Option<EntryResult>>> =
        guide.entries.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let progress = Progress::new(to_run.len());
    let jobs = options.jobs.clamp(1, to_run.len().max(1));
    crate::timeout::set_activity(format!(
        "running {} checks of guide {}",
        to_run.len(),
        guide.name
    ));
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let progress_ref = &progress;
        let stop_ref = &stop;
        let ticker = options.progress.then(|| {
            scope.spawn(move || {
                while !stop_ref.load(Ordering::SeqCst) {
                    progress_ref.draw(guide, false);
                    std::thread::sleep(Duration::from_millis(200));
                }
                progress_ref.draw(guide, true);
            })
        });
        let workers: Vec<_> = (0..jobs)
            .map(|_| {
                scope.spawn(|| loop {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    let Some(&index) = to_run.get(n) else { break };
                    let Plan::Run { argv, shown } = &plans[index] else {
                        continue;
                    };
                    let entry = &guide.entries[index];
                    progress.start(index);
                    let result =
                        run_entry(entry, argv.clone(), shown.clone(), guide, options, deadline);
                    progress.finish(index);
                    *results[index].lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
                })
            })
            .collect();
        for worker in workers {
            let _ = worker.join();
        }
        stop.store(true, Ordering::SeqCst);
        if let Some(ticker) = ticker {
            let _ = ticker.join();
        }
    });
    plans
        .into_iter()
        .zip(results)
        .map(|(plan, slot)| match plan {
            Plan::Done(r) => r,
            Plan::Run { .. } => slot
                .into_inner()
                .unwrap_or_else(|p| p.into_inner())
                .expect("every planned entry ran"),
        })
        .collect()
}

/// The live display on stderr: entries running and done, elapsed time.
struct Progress {
    started: Instant,
    total: usize,
    running: Mutex<Vec<usize>>,
    done: AtomicUsize,
}

impl Progress {
    fn new(total: usize) -> Progress {
        Progress {
            started: Instant::now(),
            total,
            running: Mutex::new(Vec::new()),
            done: AtomicUsize::new(0),
        }
    }

    fn start(&self, index: usize) {
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(index);
    }

    fn finish(&self, index: usize) {
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|&i| i != index);
        self.done.fetch_add(1, Ordering::SeqCst);
    }

    fn draw(&self, guide: &Guide, last: bool) {
        let mut err = std::io::stderr().lock();
        if last {
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
            return;
        }
        let running: Vec<String> = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|&i| guide.entries[i].id.clone())
            .collect();
        let mut line = format!(
            "{}: {}/{} done, {} running, {:.1} s",
            guide.name,
            self.done.load(Ordering::SeqCst),
            self.total,
            running.len(),
            self.started.elapsed().as_secs_f64()
        );
        if !running.is_empty() {
            line.push_str(": ");
            line.push_str(&running.join(" "));
        }
        let line: String = line.chars().take(150).collect();
        let _ = write!(err, "\r\x1b[K{line}");
        let _ = err.flush();
    }
}

/// True when a live progress display may be drawn: stderr is a terminal.
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plugin_result_is_read_as_the_api_says() {
        let out = "SRE_STATUS WARNING - sre-broker restarted | a=1s;2;3 'b c'=5%\n[WARNING] sre-broker uptime 10 s\n[OK] db master em1\n";
        let seen = interpret(out, "", Some(1), None);
        assert_eq!(seen.state, State::Warning);
        assert_eq!(seen.status, Status::Ran);
        assert_eq!(seen.first_line, "SRE_STATUS WARNING - sre-broker restarted");
        assert_eq!(seen.long_output.len(), 2);
        assert_eq!(seen.perfdata.len(), 2);
        assert_eq!(seen.perfdata[1].label, "b c");
        assert!(seen.notes.is_empty());
    }

    #[test]
    fn long_output_perfdata_nagios3_style() {
        let out = "X OK - fine | a=1\nline one\nline two | b=2\nc=3\n";
        let seen = interpret(out, "", Some(0), None);
        assert_eq!(seen.long_output, ["line one", "line two"]);
        let labels: Vec<&str> = seen.perfdata.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["a", "b", "c"]);
    }

    #[test]
    fn invalid_perfdata_is_dropped_with_a_note() {
        let seen = interpret("X OK - ok | good=1 bad=1,5 worse=abc\n", "", Some(0), None);
        assert_eq!(seen.perfdata.len(), 1);
        assert_eq!(seen.notes.len(), 2, "{:?}", seen.notes);
        assert!(seen.notes[0].contains("bad=1,5"), "{:?}", seen.notes);
    }

    #[test]
    fn crashes_and_silence_are_unknown() {
        let seen = interpret("", "thread 'main' panicked", Some(101), None);
        assert_eq!(seen.state, State::Unknown);
        assert_eq!(seen.status, Status::Crashed);
        assert_eq!(
            seen.first_line,
            "crashed: exit status 101: thread 'main' panicked"
        );
        let seen = interpret("half a line", "", None, Some(libc::SIGSEGV));
        assert_eq!(
            seen.first_line,
            "crashed: killed by signal 11 (SIGSEGV): half a line"
        );
        let seen = interpret("", "", Some(0), None);
        assert_eq!(seen.state, State::Unknown);
        assert_eq!(seen.first_line, "printed nothing (exit status 0)");
        let seen = interpret("\x1b[31mRED\x07 OK\n", "", Some(0), None);
        assert_eq!(seen.first_line, "?[31mRED? OK");
    }

    #[test]
    fn timeouts_are_passed_in_whole_seconds() {
        assert_eq!(timeout_arg(Duration::from_millis(9500)), "9");
        assert_eq!(timeout_arg(Duration::from_millis(400)), "0.4");
        let argv = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(has_timeout_option(&argv(&["x", "-t", "5"])));
        assert!(has_timeout_option(&argv(&["x", "--timeout=5"])));
        assert!(has_timeout_option(&argv(&["x", "-t5"])));
        assert!(!has_timeout_option(&argv(&["x", "--input", "f"])));
    }
}
