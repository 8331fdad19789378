//! Running a guide's entries: each one child process through the core's
//! [`crate::exec::run_within`], at most `jobs` at once, each with its own time
//! limit inside the run's [`Deadline`]. What each child printed is read by
//! [`interpret`] (in `plugin_output`, re-exported here).

pub use super::plugin_output::{clean, interpret, Interpreted};

use super::file::{fill, Entry, Guide};
use super::plugin_output::clean_long;
use super::record::{EntryResult, Status};
use crate::deadline::Deadline;
use crate::exec::{self, ExecOptions, TimedOutput};
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
