//! IEPM-BW servers: the probe responders listed in `config/servers.alive`
//! (`keep-servers-alive` restarts them from cron every 10 minutes). Each line
//! is `name,dir,params`: the server's program name, the directory it is in
//! (relative to the IEPM source tree, e.g. `bin`, or empty) and the parameters
//! it is started with; this check says which listed server is not running.
//!
//! Matching follows [`crate::proc_match`] (argv[0]'s program name, the
//! script an interpreter runs, or the cut `comm`), then the directory when the
//! entry gives one and the process was started by a path.

use crate::output::{plural, Check, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::proc_match::{describe, find_daemons, program, Filter, Table};
use crate::procs::{self, ProcessInfo};
use crate::range::Range;
use crate::runner::{CheckResult, Failure};
use crate::status::State;
use crate::threshold::Thresholds;
use std::path::{Path, PathBuf};

pub const DEFAULT_CONFIG: &str = "/home/iepm/v3src/config/servers.alive";

/// One line of `servers.alive`.
#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    pub line: usize,
    pub name: String,
    /// `bin`, an absolute directory, or `None` when the entry leaves it empty.
    pub dir: Option<String>,
    /// The parameters without the shell's redirections and `&` (`>& /tmp/owampd.log &`).
    pub params: Vec<String>,
}

impl Server {
    /// `bin/owampd -c /x -Z`, as the entry would start it.
    pub fn expected(&self) -> String {
        let mut words = vec![match &self.dir {
            Some(dir) => format!("{}/{}", dir.trim_end_matches('/'), self.name),
            None => self.name.clone(),
        }];
        words.extend(self.params.iter().cloned());
        words.join(" ")
    }
}

/// Removes a `#` comment: a whole line, or from a `#` that follows a blank.
pub fn strip_comment(line: &str) -> &str {
    if line.trim_start().starts_with('#') {
        return "";
    }
    match line.find(" #").or_else(|| line.find("\t#")) {
        Some(i) => &line[..i],
        None => line,
    }
}

/// True for a word where a shell would start redirecting or chaining:
/// `>`, `>>`, `>&`, `2>&1`, `</dev/null`, `&`, `;`, `|`, `&&`...
fn is_shell_operator(word: &str) -> bool {
    let digits = word.trim_start_matches(|c: char| c.is_ascii_digit());
    digits.starts_with('>')
        || digits.starts_with('<')
        || matches!(word, "&" | "&&" | ";" | "|" | "||")
}

/// The parameters as words, up to the first shell operator.
pub fn clean_params(text: &str) -> Vec<String> {
    let words =
        shlex::split(text).unwrap_or_else(|| text.split_whitespace().map(str::to_string).collect());
    let mut out = Vec::new();
    for word in words {
        if is_shell_operator(&word) {
            break;
        }
        // `-Z&` or `-Z;`: the operator glued to the last parameter.
        let trimmed = word.trim_end_matches(['&', ';']);
        if !trimmed.is_empty() {
            out.push(trimmed.to_string());
        }
        if trimmed.len() != word.len() {
            break;
        }
    }
    out
}

/// Parses `servers.alive`, liberally: comments, blank lines, spaces around the
/// fields, missing trailing fields (`map-updated,,` or just `map-updated`).
pub fn parse_servers(text: &str) -> Result<Vec<Server>, String> {
    let mut servers = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        let mut fields = line.splitn(3, ',');
        let name = fields.next().unwrap_or("").trim();
        let dir = fields.next().unwrap_or("").trim();
        let params = fields.next().unwrap_or("");
        if !crate::input::is_printable_name(line) {
            return Err(format!(
                "line {}: '{}' is not text (a binary or damaged file?)",
                index + 1,
                crate::output::one_line(&crate::output::shorten(line, 40))
            ));
        }
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(format!(
                "line {}: '{line}' does not start with a server name (name,dir,params)",
                index + 1
            ));
        }
        let params = clean_params(params);
        // The guide's list as its web page shows it, pasted on one line
        // (`...,-s -p 5000 -w 20M thrulayd,bin, pathload_snd,bin, -q -i ...`):
        // the other servers would pass for parameters and never be checked.
        if let Some(next) = params.iter().find(|w| looks_like_entry(w)) {
            return Err(format!(
                "line {}: '{next}' starts another entry (name,dir,params): one per line",
                index + 1
            ));
        }
        servers.push(Server {
            line: index + 1,
            name: name.to_string(),
            dir: (!dir.is_empty()).then(|| dir.to_string()),
            params,
        });
    }
    Ok(servers)
}

/// `thrulayd,bin,` or `map-updated,,`: a name and a directory with no parameters.
fn looks_like_entry(word: &str) -> bool {
    let fields: Vec<&str> = word.split(',').collect();
    fields.len() == 3
        && !fields[0].is_empty()
        && !fields[0].starts_with('-')
        && fields[2].is_empty()
}

fn components(path: &str) -> Vec<&str> {
    path.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect()
}

/// True when the process was started from `dir` or cannot say (a bare
/// program name found through PATH, or a process known only by its `comm`).
pub fn dir_matches(p: &ProcessInfo, name: &str, dir: &str) -> bool {
    let Some(program) = program(p) else {
        return false;
    };
    if program.name != name {
        return true; // matched by comm: argv[0] tells nothing about the server
    }
    let Some((parent, _)) = program.path.rsplit_once('/') else {
        return true; // started by bare name
    };
    let want = components(dir);
    if parent.starts_with('/') || parent.is_empty() {
        // An absolute path names the directory (`..` resolved).
        let mut have: Vec<&str> = Vec::new();
        for c in components(parent) {
            if c == ".." {
                have.pop();
            } else {
                have.push(c);
            }
        }
        if dir.starts_with('/') {
            have == want
        } else {
            have.ends_with(&want)
        }
    } else {
        // Relative to the process's working directory, unknown here: only the
        // components after the last `..` are known, as the directory's tail
        // (`./owampd` started from `bin` says nothing against `bin`).
        let have = components(parent);
        let known = match have.iter().rposition(|c| *c == "..") {
            Some(i) => &have[i + 1..],
            None => &have[..],
        };
        known.ends_with(&want) || want.ends_with(known)
    }
}

/// True when `params` appear in order among the command line's words.
pub fn params_match(p: &ProcessInfo, params: &[String]) -> bool {
    let mut words = p.argv.iter().flat_map(|a| a.split_whitespace()).skip(1);
    params.iter().all(|param| words.any(|w| w == param))
}

pub struct Options {
    pub config: PathBuf,
    pub filter: Filter,
    pub match_params: bool,
}

/// Judges each listed server against the process table.
pub fn evaluate(
    servers: &[Server],
    procs: &[ProcessInfo],
    filter: &Filter,
    match_params: bool,
    config: &Path,
) -> Check {
    let table = Table::new(procs);
    let names: Vec<&str> = servers.iter().map(|s| s.name.as_str()).collect();
    let found = find_daemons(&table, &names, filter);
    let mut check = Check::new();
    let mut running = 0;
    for server in servers {
        let daemon = found
            .iter()
            .find(|d| d.name == server.name)
            .expect("every name is looked for");
        let in_dir: Vec<&ProcessInfo> = daemon
            .instances
            .iter()
            .copied()
            .filter(|p| {
                server
                    .dir
                    .as_deref()
                    .is_none_or(|dir| dir_matches(p, &server.name, dir))
            })
            .collect();
        let matching: Vec<&ProcessInfo> = in_dir
            .iter()
            .copied()
            .filter(|p| !match_params || params_match(p, &server.params))
            .collect();
        let where_ = format!("line {} of {}", server.line, config.display());
        let item = if let Some(first) = matching.first() {
            running += 1;
            let pids: Vec<String> = matching.iter().map(|p| p.pid.to_string()).collect();
            Item::new(
                State::Ok,
                format!("{} running (PID {})", server.name, pids.join(", ")),
            )
            .detail(1, first.command_line())
        } else {
            let why = if let Some(other) = in_dir.first() {
                format!(
                    "{} not running with its parameters '{}' ({} has '{}')",
                    server.name,
                    server.params.join(" "),
                    describe(other),
                    other.command_line()
                )
            } else if let Some(other) = daemon.instances.first() {
                format!(
                    "{} not running from {} ({} runs {})",
                    server.name,
                    server.dir.as_deref().unwrap_or(""),
                    describe(other),
                    program(other).map_or("?", |p| p.path)
                )
            } else {
                format!("{} not running", server.name)
            };
            Item::new(State::Critical, why)
        };
        check.item(item.detail(1, format!("expected: {} ({where_})", server.expected())));
    }
    let expected = servers.len() as f64;
    check.perf(Perfdata::new("expected", expected, Uom::None).min(0.0));
    // Each server missing is already CRITICAL above; the range published is
    // the rule that judged them: fewer than all of them running.
    let all_running = Thresholds::new(None, Some(Range::below(expected)));
    check.perf(
        all_running
            .judge("running", running as f64, Uom::None)
            .min(0.0)
            .max(expected)
            .perfdata,
    );
    check.ok_summary(format!(
        "all {} listed in {} running",
        plural(servers.len(), "server"),
        config.file_name().map_or_else(
            || config.display().to_string(),
            |n| n.to_string_lossy().into_owned()
        )
    ));
    check
}

/// Reads the list and the process table, and judges them.
pub fn check(options: &Options) -> CheckResult {
    let config = &options.config;
    crate::timeout::set_activity(format!("reading {}", config.display()));
    let text = crate::proc_match::read_list(config).map_err(|e| {
        Failure::unknown(format!(
            "cannot read the server list {}: {e}",
            config.display()
        ))
    })?;
    let servers =
        parse_servers(&text).map_err(|e| Failure::unknown(format!("{}: {e}", config.display())))?;
    if servers.is_empty() {
        return Err(Failure::unknown(format!(
            "no servers listed in {}",
            config.display()
        )));
    }
    crate::timeout::set_activity("reading the process table");
    let procs = procs::snapshot()
        .map_err(|e| Failure::unknown(format!("cannot read the process table: {e}")))?;
    Ok(evaluate(
        &servers,
        &procs,
        &options.filter,
        options.match_params,
        config,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proc_match::tests::proc;

    /// The guide's servers.alive, one entry per line as the file has them.
    pub const GUIDE: &str = "bw-iperf-server,bin,-s -p 5000 -w 20M
thrulayd,bin,
pathload_snd,bin, -q -i
map-updated,,
pathchirp_snd,bin,
owampd,bin, -c /afs/slac/package/netmon/bandwidth-tests/v3src/config -Z >& /tmp/owampd.log &
";

    fn guide_procs() -> Vec<ProcessInfo> {
        vec![
            proc(1, 0, "init", &["/sbin/init"]),
            proc(
                100,
                1,
                "bw-iperf-server",
                &[
                    "/home/iepm/v3src/bin/bw-iperf-server",
                    "-s",
                    "-p",
                    "5000",
                    "-w",
                    "20M",
                ],
            ),
            proc(101, 1, "thrulayd", &["bin/thrulayd"]),
            proc(102, 1, "pathload_snd", &["./bin/pathload_snd", "-q", "-i"]),
            proc(
                103,
                1,
                "map-updated",
                &["/usr/bin/perl", "-w", "/home/iepm/v3src/map-updated"],
            ),
            proc(104, 1, "pathchirp_snd", &["pathchirp_snd"]),
            proc(
                105,
                1,
                "owampd",
                &[
                    "/home/iepm/v3src/bin/owampd",
                    "-c",
                    "/afs/slac/package/netmon/bandwidth-tests/v3src/config",
                    "-Z",
                ],
            ),
        ]
    }

    fn run(procs: &[ProcessInfo], match_params: bool) -> (State, String) {
        let servers = parse_servers(GUIDE).unwrap();
        let c = evaluate(
            &servers,
            procs,
            &Filter::default(),
            match_params,
            Path::new("/x/servers.alive"),
        );
        (c.state(), c.render_text("IEPM_SERVERS", 1))
    }

    #[test]
    fn parses_the_guides_list_and_shell_junk() {
        let s = parse_servers(GUIDE).unwrap();
        assert_eq!(s.len(), 6);
        assert_eq!(s[0].params, vec!["-s", "-p", "5000", "-w", "20M"]);
        assert_eq!(s[1].dir.as_deref(), Some("bin"));
        assert!(s[1].params.is_empty());
        assert_eq!(s[3].name, "map-updated");
        assert_eq!(s[3].dir, None);
        assert_eq!(
            s[5].params,
            vec![
                "-c",
                "/afs/slac/package/netmon/bandwidth-tests/v3src/config",
                "-Z"
            ]
        );
        assert_eq!(s[5].line, 6);
        assert_eq!(s[2].expected(), "bin/pathload_snd -q -i");
    }

    #[test]
    fn comments_blank_lines_and_odd_spacing() {
        let text = "# servers kept alive\n\n   owampd , bin ,  -c /etc/owamp  -Z 2>/dev/null &   # owamp\n\tthrulayd\n  map-updated,,   \n";
        let s = parse_servers(text).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].name, "owampd");
        assert_eq!(s[0].params, vec!["-c", "/etc/owamp", "-Z"]);
        assert_eq!(
            (s[1].name.as_str(), s[1].dir.as_deref()),
            ("thrulayd", None)
        );
        assert_eq!(s[2].line, 5);
        assert_eq!(clean_params("-Z&"), vec!["-Z"]);
        assert_eq!(clean_params("-a 'x y' > log"), vec!["-a", "x y"]);
        assert!(parse_servers("owamp d,bin,")
            .unwrap_err()
            .contains("line 1"));
        assert!(parse_servers(",bin,-x").is_err());
        // The guide's web page shows the list on one line: not one server.
        let flat = "bw-iperf-server,bin,-s -p 5000 -w 20M thrulayd,bin, pathload_snd,bin, -q -i map-updated,, owampd,bin, -Z";
        assert!(parse_servers(flat)
            .unwrap_err()
            .contains("line 1: 'thrulayd,bin,' starts another entry"));
        assert_eq!(
            parse_servers("x,bin,-o a,b,c -l y,z").unwrap()[0].params,
            vec!["-o", "a,b,c", "-l", "y,z"],
            "commas in parameters"
        );
        assert_eq!(parse_servers("# nothing\n\n").unwrap(), vec![]);
    }

    #[test]
    fn all_running_is_ok_with_perfdata() {
        let (state, text) = run(&guide_procs(), true);
        assert_eq!(state, State::Ok, "{text}");
        assert!(text.starts_with("IEPM_SERVERS OK - all 6 servers listed in servers.alive running | expected=6;;;0 running=6;;6:;0;6\n"), "{text}");
        assert!(
            text.contains("[OK] map-updated running (PID 103)"),
            "{text}"
        );
    }

    #[test]
    fn a_missing_server_is_critical_and_named() {
        let mut procs = guide_procs();
        procs.retain(|p| p.pid != 105);
        let (state, text) = run(&procs, false);
        assert_eq!(state, State::Critical);
        assert!(
            text.starts_with(
                "IEPM_SERVERS CRITICAL - owampd not running | expected=6;;;0 running=5;;6:;0;6"
            ),
            "{text}"
        );
        assert!(text.contains("expected: bin/owampd -c"), "{text}");
    }

    #[test]
    fn directory_and_parameters() {
        let mut procs = guide_procs();
        procs[2].argv = vec!["/usr/sbin/thrulayd".into()];
        let (state, text) = run(&procs, false);
        assert_eq!(state, State::Critical);
        assert!(
            text.contains(
                "thrulayd not running from bin (PID 101 (thrulayd) runs /usr/sbin/thrulayd)"
            ),
            "{text}"
        );

        let mut procs = guide_procs();
        procs[1].argv = vec![
            "/home/iepm/v3src/bin/bw-iperf-server".into(),
            "-s".into(),
            "-p".into(),
            "5001".into(),
        ];
        assert_eq!(
            run(&procs, false).0,
            State::Ok,
            "parameters ignored by default"
        );
        let (state, text) = run(&procs, true);
        assert_eq!(state, State::Critical);
        assert!(
            text.contains("bw-iperf-server not running with its parameters '-s -p 5000 -w 20M'"),
            "{text}"
        );

        // An absolute directory must be the directory.
        let p = proc(1, 0, "owampd", &["/opt/bin/owampd"]);
        assert!(dir_matches(&p, "owampd", "/opt/bin"));
        assert!(!dir_matches(&p, "owampd", "/usr/opt/bin"));
        assert!(dir_matches(&p, "owampd", "bin"));
        assert!(!dir_matches(&p, "owampd", "sbin"));
        let p = proc(1, 0, "owampd", &["/opt/x/../bin/owampd"]);
        assert!(dir_matches(&p, "owampd", "/opt/bin"));
        // A path relative to the working directory tells only its own part.
        let at = |path: &str, dir: &str| dir_matches(&proc(1, 0, "owampd", &[path]), "owampd", dir);
        assert!(at("./owampd", "bin"), "started from its directory");
        assert!(at("./owampd", "/home/iepm/v3src/bin"));
        assert!(at("bin/owampd", "/home/iepm/v3src/bin"));
        assert!(at("bin/owampd", "v3src/bin"));
        assert!(at("../bin/owampd", "bin"));
        assert!(!at("../sbin/owampd", "bin"));
        assert!(!at("sbin/owampd", "bin"));
        assert!(!at("sbin/owampd", "/home/iepm/v3src/bin"));
    }

    #[test]
    fn a_grep_or_an_editor_is_not_the_server() {
        let mut procs = guide_procs();
        procs.retain(|p| p.pid != 104);
        procs.push(proc(200, 1, "grep", &["grep", "pathchirp_snd"]));
        procs.push(proc(201, 1, "vi", &["vi", "bin/pathchirp_snd"]));
        assert_eq!(run(&procs, false).0, State::Critical);
    }

    #[test]
    fn binary_garbage_is_not_a_name() {
        assert!(parse_servers("map\u{fffd}\u{7}updated,bin,\n")
            .unwrap_err()
            .contains("is not text"));
    }
}
