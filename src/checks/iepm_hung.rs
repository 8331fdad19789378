//! IEPM-BW hung processes, as `bw-cleanup` sees them: `config/cleanup-list`
//! holds `pattern,minutes` lines; a process whose command line contains the
//! pattern and that has run longer than the minutes is hung (bw-cleanup kills
//! it from cron; this check only reports it, so that a probe that keeps
//! hanging, or a bw-cleanup that stopped running, gets seen). It never kills.

use crate::checks::iepm_servers::strip_comment;
use crate::duration::human;
use crate::output::{plural, shorten, Check, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::proc_match::Filter;
use crate::procs::{self, ProcessInfo};
use crate::runner::{CheckResult, Failure};
use crate::status::State;
use crate::threshold::Thresholds;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

pub const DEFAULT_CONFIG: &str = "/home/iepm/v3src/config/cleanup-list";

/// How much of a command line an item shows.
const COMMAND_SHOWN: usize = 100;

/// One line of `cleanup-list`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub line: usize,
    /// A string the command line contains, e.g. `gnuplot` or `/bin/ping`.
    pub pattern: String,
    pub minutes: f64,
}

/// Parses `cleanup-list`, liberally: comments, blank lines, spaces around the
/// fields. The minutes are the text after the last comma (a pattern may hold commas).
pub fn parse_rules(text: &str) -> Result<Vec<Rule>, String> {
    let mut rules = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        let bad = |why: &str| format!("line {}: '{line}' {why}", index + 1);
        // The guide's list as its web page shows it, pasted on one line
        // (`post-test,120 gnuplot,5 ...`), would be one pattern matching nothing.
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() > 1 && words.iter().all(|w| looks_like_rule(w)) {
            return Err(bad("holds several pattern,minutes entries: one per line"));
        }
        let (pattern, minutes) = line
            .rsplit_once(',')
            .ok_or_else(|| bad("is not pattern,minutes"))?;
        let pattern = pattern.trim();
        if pattern.is_empty() {
            return Err(bad("has no pattern"));
        }
        if !crate::input::is_printable_name(pattern) {
            return Err(bad("is not text (a binary or damaged file?)"));
        }
        let minutes: f64 = minutes
            .trim()
            .parse()
            .ok()
            .filter(|m: &f64| m.is_finite() && *m >= 0.0)
            .ok_or_else(|| bad("has no limit in minutes after the comma"))?;
        rules.push(Rule {
            line: index + 1,
            pattern: pattern.to_string(),
            minutes,
        });
    }
    Ok(rules)
}

/// `gnuplot,5`: a whole entry in one word.
fn looks_like_rule(word: &str) -> bool {
    word.rsplit_once(',')
        .is_some_and(|(p, m)| !p.is_empty() && m.parse::<f64>().is_ok())
}

/// A process over its limit.
#[derive(Debug, Clone)]
pub struct Hung<'a> {
    pub process: &'a ProcessInfo,
    pub rule: &'a Rule,
    pub age_secs: f64,
}

/// The rule a command line falls under: of the patterns it contains, the one
/// with the shortest limit (bw-cleanup would kill it first by that one).
pub fn rule_for<'r>(rules: &'r [Rule], command: &str) -> Option<&'r Rule> {
    rules
        .iter()
        .filter(|r| command.contains(&r.pattern))
        .min_by(|a, b| a.minutes.total_cmp(&b.minutes))
}

/// Matching processes and the hung ones among them, oldest first. Processes
/// without a command line (kernel threads, zombies) and `own_pid` are skipped.
pub fn find_hung<'a>(
    rules: &'a [Rule],
    procs: &'a [ProcessInfo],
    filter: &Filter,
    own_pid: i32,
    now: SystemTime,
) -> (usize, Vec<Hung<'a>>) {
    let mut matched = 0;
    let mut hung = Vec::new();
    for p in procs {
        if p.argv.is_empty() || p.pid == own_pid || !filter.admits(p) {
            continue;
        }
        let Some(rule) = rule_for(rules, &p.command_line()) else {
            continue;
        };
        matched += 1;
        let age_secs = p.age(now).as_secs_f64();
        if age_secs > rule.minutes * 60.0 {
            hung.push(Hung {
                process: p,
                rule,
                age_secs,
            });
        }
    }
    hung.sort_by(|a, b| b.age_secs.total_cmp(&a.age_secs));
    (matched, hung)
}

/// "1 hung process", "2 hung processes" (`plural` only adds an s).
fn processes(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}es")
    }
}

/// Judges the hung processes: their count against the thresholds (by default
/// any hung process is WARNING), each listed with PID, age and command.
pub fn evaluate(
    rules: &[Rule],
    procs: &[ProcessInfo],
    filter: &Filter,
    own_pid: i32,
    now: SystemTime,
    thresholds: &Thresholds,
) -> Check {
    let (matched, hung) = find_hung(rules, procs, filter, own_pid, now);
    let count = thresholds
        .judge("hung", hung.len() as f64, Uom::None)
        .min(0.0);
    let state = count.state;
    let mut check = Check::new();
    // What is judged is the count of hung processes: none found is a result.
    check.empty_ok("no hung processes");
    let mut summary = format!(
        "{} over their limit:",
        processes(hung.len(), "hung process")
    );
    let mut listed = 0;
    for h in &hung {
        let p = h.process;
        let short = format!(" {} PID {} ({})", h.rule.pattern, p.pid, human(h.age_secs));
        if listed == 0 || summary.len() + short.len() < 90 {
            if listed > 0 {
                summary.push(',');
            }
            summary.push_str(&short);
            listed += 1;
        }
        check.item(
            Item::new(
                state,
                format!(
                    "PID {} running {} (limit {} for '{}'): {}",
                    p.pid,
                    human(h.age_secs),
                    human(h.rule.minutes * 60.0),
                    h.rule.pattern,
                    shorten(&p.command_line(), COMMAND_SHOWN)
                ),
            )
            .detail(
                1,
                format!(
                    "user {}, parent PID {}, rule on line {}",
                    p.uid, p.ppid, h.rule.line
                ),
            )
            .detail(2, p.command_line()),
        );
    }
    if listed < hung.len() {
        summary.push_str(&format!(" and {} more", hung.len() - listed));
    }
    // With lenient thresholds the hung processes stay listed but the run is OK.
    if state != State::Ok {
        check.problem_summary(summary);
    } else if hung.is_empty() {
        check.ok_summary(format!(
            "no hung processes ({}, {} within their limits)",
            plural(rules.len(), "pattern"),
            processes(matched, "matching process")
        ));
    } else {
        check.ok_summary(summary);
    }
    check.perf(count.perfdata);
    check.perf(Perfdata::new("matching", matched as f64, Uom::None).min(0.0));
    check
}

pub struct Options {
    pub config: PathBuf,
    pub filter: Filter,
    pub thresholds: Thresholds,
}

/// Reads the list and the process table, and judges them.
pub fn check(options: &Options) -> CheckResult {
    let config: &Path = &options.config;
    crate::timeout::set_activity(format!("reading {}", config.display()));
    let text = crate::proc_match::read_list(config).map_err(|e| {
        Failure::unknown(format!(
            "cannot read the cleanup list {}: {e}",
            config.display()
        ))
    })?;
    let rules =
        parse_rules(&text).map_err(|e| Failure::unknown(format!("{}: {e}", config.display())))?;
    if rules.is_empty() {
        return Err(Failure::unknown(format!(
            "no patterns listed in {}",
            config.display()
        )));
    }
    crate::timeout::set_activity("reading the process table");
    let procs = procs::snapshot()
        .map_err(|e| Failure::unknown(format!("cannot read the process table: {e}")))?;
    Ok(evaluate(
        &rules,
        &procs,
        &options.filter,
        std::process::id() as i32,
        SystemTime::now(),
        &options.thresholds,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proc_match::tests::proc;
    use std::time::{Duration, UNIX_EPOCH};

    /// The guide's cleanup-list, one entry per line as the file has them.
    const GUIDE: &str = "post-test,120
gnuplot,5
triganal,120
runperiod,120
pathload_rcv,3
pathchirp_rcv,3
/bin/ping,3
/bin/owping,3
/bin/tlaytcp,3
/bin/bw-iperf-client,3
whois,3
asn.pl,3
";

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_000_000)
    }

    fn aged(pid: i32, argv: &[&str], minutes: f64) -> ProcessInfo {
        let mut p = proc(pid, 1, "x", argv);
        p.started = now() - Duration::from_secs_f64(minutes * 60.0);
        p
    }

    fn table() -> Vec<ProcessInfo> {
        vec![
            aged(10, &["gnuplot", "/tmp/plot.gp"], 7.2),
            aged(11, &["gnuplot", "/tmp/other.gp"], 1.0),
            aged(12, &["/bin/ping", "-c", "10", "slac.stanford.edu"], 45.0),
            aged(
                13,
                &["/home/iepm/v3src/post-test-processing-script", "-g", "1"],
                30.0,
            ),
            aged(14, &["bash"], 600.0),
            aged(15, &[], 600.0),
        ]
    }

    fn run(thresholds: &Thresholds) -> (State, String) {
        let rules = parse_rules(GUIDE).unwrap();
        let c = evaluate(&rules, &table(), &Filter::default(), 0, now(), thresholds);
        (c.state(), c.render_text("IEPM_HUNG", 0))
    }

    fn default_thresholds() -> Thresholds {
        Thresholds::new("0".parse().ok(), None)
    }

    #[test]
    fn parses_the_guides_list() {
        let rules = parse_rules(GUIDE).unwrap();
        assert_eq!(rules.len(), 12);
        assert_eq!(rules[6].pattern, "/bin/ping");
        assert_eq!(rules[0].minutes, 120.0);
        let odd =
            parse_rules("# patterns\n\n  gnuplot ,  5 \n a,b , 0.5 # half a minute\n").unwrap();
        assert_eq!(odd[0].pattern, "gnuplot");
        assert_eq!(odd[1].pattern, "a,b");
        assert_eq!(odd[1].minutes, 0.5);
        assert_eq!(odd[1].line, 4);
        assert!(parse_rules("gnuplot").unwrap_err().contains("line 1"));
        assert!(parse_rules("gnuplot,soon").is_err());
        assert!(parse_rules(",5").is_err());
        assert!(parse_rules("x,-1").is_err());
        // The guide's web page shows the list on one line: not one pattern.
        assert!(parse_rules("post-test,120 gnuplot,5 triganal,120")
            .unwrap_err()
            .contains("several pattern,minutes entries"));
        let spaced = parse_rules("sort -k1,2 big,5\n").unwrap();
        assert_eq!(spaced[0].pattern, "sort -k1,2 big");
    }

    #[test]
    fn hung_processes_are_a_warning_listing_pid_age_and_command() {
        let (state, text) = run(&default_thresholds());
        assert_eq!(state, State::Warning, "{text}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "IEPM_HUNG WARNING - 2 hung processes over their limit: /bin/ping PID 12 (45m), gnuplot PID 10 (7m 12s) | hung=2;0;;0 matching=4;;;0"
        );
        assert_eq!(
            lines[1],
            "[WARNING] PID 12 running 45m (limit 3m for '/bin/ping'): /bin/ping -c 10 slac.stanford.edu"
        );
        assert!(lines[2].starts_with("[WARNING] PID 10 running 7m 12s (limit 5m for 'gnuplot')"));
        assert_eq!(lines.len(), 3);
    }

    #[test]
    fn critical_count_range() {
        let c = Thresholds::new("0".parse().ok(), "1".parse().ok());
        let (state, text) = run(&c);
        assert_eq!(state, State::Critical);
        assert!(text.contains("hung=2;0;1;0"), "{text}");
        assert!(text.contains("[CRITICAL] PID 12"), "{text}");
        // Lenient thresholds keep the list but not the alarm.
        let (state, text) = run(&Thresholds::new("5".parse().ok(), None));
        assert_eq!(state, State::Ok);
        assert!(text.contains("[OK] PID 10"), "{text}");
    }

    #[test]
    fn nothing_hung_is_ok() {
        let rules = parse_rules("gnuplot,60\n").unwrap();
        let c = evaluate(
            &rules,
            &table(),
            &Filter::default(),
            0,
            now(),
            &default_thresholds(),
        );
        assert_eq!(c.state(), State::Ok);
        assert_eq!(
            c.render_text("IEPM_HUNG", 0),
            "IEPM_HUNG OK - no hung processes (1 pattern, 2 matching processes within their limits) | hung=0;0;;0 matching=2;;;0\n"
        );
    }

    #[test]
    fn own_process_users_and_the_shortest_limit() {
        let rules = parse_rules("ping,60\n/bin/ping,3\n").unwrap();
        assert_eq!(rule_for(&rules, "/bin/ping x").unwrap().minutes, 3.0);
        let all = table();
        let (_, hung) = find_hung(&rules, &all, &Filter::default(), 12, now());
        assert!(hung.is_empty(), "own PID skipped");
        let filter = Filter {
            user: Some("0".parse().unwrap()),
        };
        let (matched, hung) = find_hung(&rules, &all, &filter, 0, now());
        assert_eq!((matched, hung.len()), (0, 0), "another user's processes");
        // A zero-minute limit makes every matching process hung.
        let rules = parse_rules("gnuplot,0").unwrap();
        let (matched, hung) = find_hung(&rules, &all, &Filter::default(), 0, now());
        assert_eq!((matched, hung.len()), (2, 2));
    }

    #[test]
    fn binary_garbage_is_not_a_pattern() {
        assert!(parse_rules("gnu\u{fffd}\u{1}plot,60\n")
            .unwrap_err()
            .contains("is not text"));
    }
}
