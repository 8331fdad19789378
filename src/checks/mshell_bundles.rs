//! The OSGi bundles of the net.Console Application Management Server, from
//! `mshell ps` (the Apache Felix shell's bundle list, through Escaux's `mshell`).
//!
//! The Escaux guide: "mshell ps: show the status of all the Java OSGI Bundles
//! installed on the SOP. They must all be active." Every bundle is judged by
//! its state:
//!
//! - `Active`: OK.
//! - `Starting`, `Stopping`: WARNING (in transition, e.g. just after a restart
//!   of the management server; a bundle that stays `Starting` waits for a lazy
//!   activation that never came).
//! - `Resolved`, `Installed`, anything else: CRITICAL (never started, or could
//!   not even resolve its imports).
//! - Fragments: a fragment bundle never becomes `Active`; when the framework
//!   has attached it to its host it is `Resolved`, and that is OK. An
//!   `Installed` fragment is not attached to a host: CRITICAL. A bundle is a
//!   fragment when its row carries the host information Felix-based consoles
//!   print (`Hosts: 12`, `Fragment-Host`), or when it is named with `--fragment`
//!   (the Felix shell's own `ps`, as on the SOP, does not mark fragments).
//!
//! Two layouts are read, recognised by their header line, never by column
//! offsets: the Felix shell's `ps` (`ID State Level Name`, rows
//! `[  12] [Active     ] [    4] Escaux FSM (1.1.1)`, as on the SOP) and the
//! Felix Gogo `lb` (`ID|State|Level|Name`, rows `12|Active|4|Escaux FSM (1.1.1)`,
//! newer releases with a trailing `|1.1.1`). The `START LEVEL` line is kept: a
//! bundle whose start level is above the framework's is named as the cause.

use crate::deadline::Deadline;
use crate::exec::ExecOptions;
use crate::input::InputArgs;
use crate::output::{join_within, plural, printable, Check, Item};
use crate::perfdata::{Perfdata, Uom};
use crate::runner::{CheckResult, Failure};
use crate::status::State;

/// What `mshell ps` is run as by default.
pub const DEFAULT_COMMAND: [&str; 2] = ["mshell", "ps"];

/// The state Felix prints for a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleState {
    Active,
    Resolved,
    Installed,
    Starting,
    Stopping,
    Uninstalled,
    /// A word Felix does not print in the versions known here (kept for the message).
    Other(String),
}

impl BundleState {
    pub fn parse(word: &str) -> BundleState {
        match word.trim().to_ascii_lowercase().as_str() {
            "active" => BundleState::Active,
            "resolved" => BundleState::Resolved,
            "installed" => BundleState::Installed,
            "starting" => BundleState::Starting,
            "stopping" => BundleState::Stopping,
            "uninstalled" => BundleState::Uninstalled,
            _ => BundleState::Other(printable(word, 20)),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            BundleState::Active => "Active",
            BundleState::Resolved => "Resolved",
            BundleState::Installed => "Installed",
            BundleState::Starting => "Starting",
            BundleState::Stopping => "Stopping",
            BundleState::Uninstalled => "Uninstalled",
            BundleState::Other(word) => word,
        }
    }
}

/// One row of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    pub id: u64,
    pub state: BundleState,
    /// The bundle's start level, when the list shows it.
    pub level: Option<u64>,
    /// The name as listed, with its version: `Escaux FSM (1.1.1)`.
    pub name: String,
    /// The row says the bundle is a fragment (`Hosts: 12`, `Fragment-Host`).
    pub fragment: bool,
    /// The host bundles the row names (`Hosts: 12` → `12`), empty when none.
    pub hosts: String,
}

impl Bundle {
    /// The name without its `(version)`.
    pub fn base_name(&self) -> &str {
        match self.name.rsplit_once(" (") {
            Some((base, version)) if version.ends_with(')') => base.trim(),
            _ => self.name.trim(),
        }
    }
}

/// A parsed `ps` / `lb`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listing {
    /// The framework's start level (`START LEVEL 4`).
    pub start_level: Option<u64>,
    pub bundles: Vec<Bundle>,
}

#[derive(Clone, Copy, PartialEq)]
enum Layout {
    Brackets,
    Pipes,
}

/// Parses the output of `mshell ps` (Felix shell `ps`, or Gogo `lb`).
pub fn parse_ps(text: &str) -> Result<Listing, String> {
    let mut listing = Listing::default();
    let mut layout = None;
    for (number, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if shell_noise(line) {
            continue;
        }
        let not_understood = || {
            format!(
                "line {} not understood: '{}'",
                number + 1,
                printable(line, 60)
            )
        };
        if let Some(rest) = line.strip_prefix("START LEVEL") {
            let level = rest.trim().parse().map_err(|_| not_understood())?;
            listing.start_level = Some(level);
            continue;
        }
        let words: Vec<String> = line
            .split(|c: char| c == '|' || c.is_whitespace())
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        if words.first().is_some_and(|w| w == "id")
            && words.iter().any(|w| w == "state")
            && words.iter().any(|w| w == "name")
        {
            layout = Some(if line.contains('|') {
                Layout::Pipes
            } else {
                Layout::Brackets
            });
            continue;
        }
        let bundle = match layout {
            Some(Layout::Brackets) => parse_bracket_row(line),
            Some(Layout::Pipes) => parse_pipe_row(line),
            // What a shell client prints before the list (a banner, the echoed
            // command); the header is still required.
            None => continue,
        }
        .ok_or_else(not_understood)?;
        if listing.bundles.iter().any(|b| b.id == bundle.id) {
            return Err(format!("bundle {} is listed twice", bundle.id));
        }
        listing.bundles.push(bundle);
    }
    if layout.is_none() {
        return Err("no bundle list header (ID State Level Name) in the output".into());
    }
    if listing.bundles.is_empty() {
        return Err("the bundle list is empty (even the System Bundle 0 is missing)".into());
    }
    Ok(listing)
}

/// `[  12] [Active     ] [    4] Escaux FSM (1.1.1)`; the level column may be absent.
fn parse_bracket_row(line: &str) -> Option<Bundle> {
    fn field(text: &str) -> Option<(&str, &str)> {
        let rest = text.trim_start().strip_prefix('[')?;
        let (inside, after) = rest.split_once(']')?;
        Some((inside.trim(), after))
    }
    let (id, rest) = field(line)?;
    let (state, rest) = field(rest)?;
    let (level, name) = match field(rest) {
        Some((level, after)) if level.parse::<u64>().is_ok() => (level.parse().ok(), after),
        _ => (None, rest),
    };
    make_bundle(id, state, level, name)
}

/// `   12|Active     |    4|Escaux FSM (1.1.1)|1.1.1` (the version column is newer).
fn parse_pipe_row(line: &str) -> Option<Bundle> {
    let fields: Vec<&str> = line.split('|').collect();
    if fields.len() < 4 {
        return None;
    }
    let level = fields[2].trim().parse().ok()?;
    make_bundle(fields[0].trim(), fields[1], Some(level), fields[3])
}

fn make_bundle(id: &str, state: &str, level: Option<u64>, name: &str) -> Option<Bundle> {
    let id = id.parse().ok()?;
    if state.split_whitespace().count() != 1 {
        return None;
    }
    let (name, hosts) = match name.split_once("Hosts:") {
        Some((name, hosts)) => (name.trim().trim_end_matches(','), Some(hosts.trim())),
        None => (name.trim(), None),
    };
    if name.is_empty() {
        return None;
    }
    Some(Bundle {
        id,
        state: BundleState::parse(state),
        level,
        name: printable(name, 120),
        fragment: hosts.is_some() || name.contains("Fragment-Host"),
        hosts: printable(hosts.unwrap_or(""), 40),
    })
}

/// Lines of the shell around a command's output, never data: blank lines, a
/// prompt left at the end (`->`, `g!`), a telnet-style client's notices.
pub fn shell_noise(line: &str) -> bool {
    let line = line.trim();
    line.is_empty()
        || line == "->"
        || line == "g!"
        || line.starts_with("Connection closed by foreign host")
        || line.starts_with("Escape character is")
}

/// What the plugin was asked to check.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The number of bundles there must be (`--bundles`).
    pub expected: Option<u64>,
    /// Bundles to treat as fragments (names with or without the version).
    pub fragments: Vec<String>,
}

fn is_fragment(bundle: &Bundle, options: &Options) -> bool {
    bundle.fragment
        || options
            .fragments
            .iter()
            .any(|f| f.trim() == bundle.base_name() || f.trim() == bundle.name)
}

/// Judges a listing.
pub fn evaluate(listing: &Listing, options: &Options) -> Check {
    let mut check = Check::new();
    let mut problems: Vec<(State, String)> = Vec::new();
    let mut items = Vec::new();
    let (mut active, mut resolved, mut installed, mut starting, mut stopping, mut other) =
        (0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
    let mut fragments = 0u64;
    for bundle in &listing.bundles {
        let fragment = is_fragment(bundle, options);
        let label = format!("#{} {}", bundle.id, bundle.name);
        let (state, text) = match &bundle.state {
            BundleState::Active => {
                active += 1;
                continue;
            }
            BundleState::Resolved if fragment => {
                fragments += 1;
                resolved += 1;
                let host = if bundle.hosts.is_empty() {
                    "its host".to_string()
                } else {
                    format!("host {}", bundle.hosts)
                };
                (
                    State::Ok,
                    format!("{label} is a fragment, Resolved: attached to {host}"),
                )
            }
            BundleState::Installed if fragment => {
                installed += 1;
                (
                    State::Critical,
                    format!("{label} is a fragment not attached to a host (Installed)"),
                )
            }
            BundleState::Resolved => {
                resolved += 1;
                (State::Critical, format!("{label} is Resolved, not Active"))
            }
            BundleState::Installed => {
                installed += 1;
                (
                    State::Critical,
                    format!("{label} is Installed, not Active (its imports did not resolve)"),
                )
            }
            BundleState::Starting => {
                starting += 1;
                (State::Warning, format!("{label} is Starting"))
            }
            BundleState::Stopping => {
                stopping += 1;
                (State::Warning, format!("{label} is Stopping"))
            }
            state => {
                other += 1;
                (
                    State::Critical,
                    format!("{label} is {}, not Active", state.name()),
                )
            }
        };
        let mut text = text;
        if let (Some(level), Some(framework)) = (bundle.level, listing.start_level) {
            if level > framework && state != State::Ok {
                text.push_str(&format!(
                    " — its start level {level} is above the framework's {framework}"
                ));
            }
        }
        if state != State::Ok {
            problems.push((
                state,
                format!(
                    "#{} {} {}",
                    bundle.id,
                    bundle.base_name(),
                    bundle.state.name()
                ),
            ));
        }
        items.push(Item::new(state, text));
    }
    let total = listing.bundles.len() as u64;
    let mut summary_ok = format!("all {} Active", plural(total as usize, "bundle"));
    if fragments > 0 {
        summary_ok = format!(
            "{active} bundles Active, {} Resolved",
            plural(fragments as usize, "fragment")
        );
    }
    if let Some(level) = listing.start_level {
        summary_ok.push_str(&format!(" (start level {level})"));
    }
    check.item(Item::new(
        State::Ok,
        format!("{active} of {total} bundles Active"),
    ));
    if let Some(expected) = options.expected {
        let (state, text) = match total.cmp(&expected) {
            std::cmp::Ordering::Equal => (State::Ok, format!("{total} bundles, as expected")),
            std::cmp::Ordering::Less => (
                State::Critical,
                format!(
                    "{total} bundles listed, {expected} expected: {} missing",
                    expected - total
                ),
            ),
            std::cmp::Ordering::Greater => (
                State::Warning,
                format!(
                    "{total} bundles listed, {expected} expected: {} more",
                    total - expected
                ),
            ),
        };
        if state != State::Ok {
            problems.insert(0, (state, text.clone()));
        }
        check.item(Item::new(state, text));
    }
    for item in items {
        check.item(item);
    }
    let counts = [
        ("bundles", total),
        ("bundles_active", active),
        ("bundles_resolved", resolved),
        ("bundles_installed", installed),
        ("bundles_starting", starting),
        ("bundles_stopping", stopping),
        ("bundles_other", other),
        ("bundles_fragments", fragments),
    ];
    for (label, value) in counts {
        check.perf(Perfdata::new(label, value as f64, Uom::None).min(0.0));
    }
    check.ok_summary(summary_ok);
    if !problems.is_empty() {
        let worst = State::worst_of(problems.iter().map(|(s, _)| *s));
        let mut phrases: Vec<String> = problems
            .iter()
            .filter(|(s, _)| *s == worst)
            .map(|(_, p)| p.clone())
            .collect();
        let not_active = total.saturating_sub(active + fragments);
        if not_active > 0 {
            phrases.insert(0, format!("{not_active} of {total} not Active:"));
            let head = phrases.remove(0);
            let budget = 80usize.saturating_sub(head.len());
            check.problem_summary(format!("{head} {}", join_within(&phrases, budget)));
        } else {
            check.problem_summary(join_within(&phrases, 80));
        }
    }
    check
}

/// Phrases of a management server (or remote shell) that does not answer, as
/// telnet/nc-style clients print them, sometimes with exit status 0.
const UNREACHABLE: [&str; 5] = [
    "connection refused",
    "unable to connect",
    "no route to host",
    "connection timed out",
    "connection reset",
];

/// The line saying the management server cannot be reached, if the text has one.
pub fn unreachable_line(text: &str) -> Option<String> {
    text.lines()
        .find(|line| {
            let lower = line.to_ascii_lowercase();
            UNREACHABLE.iter().any(|p| lower.contains(p))
        })
        .map(|line| printable(line, 100))
}

/// Runs `mshell` (the default command, `--command`) or reads `--input`, and
/// returns its text. `what` names it in messages ("this SOP's bundles"). A
/// command that fails, or says the management server does not answer, is
/// CRITICAL: the Application Management Server is down or its shell is.
pub fn read_mshell(
    input: &InputArgs,
    default: &[&str],
    what: &str,
    deadline: Deadline,
) -> Result<String, Failure> {
    let collected = input
        .collect(default, &ExecOptions::within(deadline))
        .map_err(|f| Failure {
            state: f.state,
            message: format!("cannot read {what}: {}", f.message),
        })?;
    if let Some(output) = &collected.output {
        if !output.status.success() {
            return Err(Failure::critical(format!(
                "cannot read {what}: {} failed ({}): {}",
                collected.origin,
                output.describe_status(),
                printable(output.first_error_line(), 100)
            )));
        }
    }
    check_text(&collected.text, what, &collected.origin)?;
    Ok(collected.text)
}

/// An mshell output with nothing in it is UNKNOWN (the "does not answer"
/// phrases are looked for when the text does not parse).
pub fn check_text(text: &str, what: &str, origin: &str) -> Result<(), Failure> {
    if text.trim().is_empty() {
        return Err(Failure::unknown(format!(
            "cannot read {what}: {origin} printed nothing"
        )));
    }
    Ok(())
}

/// Parses a text known to be from `mshell ps`, or says why it is not.
fn parse_or_fail(text: &str) -> Result<Listing, Failure> {
    parse_ps(text).map_err(|e| match unreachable_line(text) {
        Some(line) => Failure::critical(format!(
            "the Application Management Server does not answer: {line}"
        )),
        None => Failure::unknown(format!("cannot parse the bundle list: {e}")),
    })
}

/// Reads the list as the options say and judges it.
pub fn check(input: &InputArgs, options: &Options) -> CheckResult {
    let text = read_mshell(
        input,
        &DEFAULT_COMMAND,
        "the bundle list",
        crate::deadline::current(),
    )?;
    let listing = parse_or_fail(&text)?;
    Ok(evaluate(&listing, options))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed's `mshell ps` (its whitespace collapsed by the guide's HTML), first rows.
    const SEED: &str = "START LEVEL 4\nID State Level Name\n\
        [ 0] [Active ] [ 0] System Bundle (2.0.1)\n\
        [ 1] [Active ] [ 3] Apache Felix File Install (2.0.0)\n\
        [ 12] [Active ] [ 4] Escaux FSM (1.1.1)\n";

    /// The Felix shell's own spacing.
    const FELIX: &str = "START LEVEL 4\n   ID   State         Level  Name\n\
        [   0] [Active     ] [    0] System Bundle (2.0.1)\n\
        [  12] [Resolved   ] [    4] Escaux FSM (1.1.1)\n\
        [  14] [Installed  ] [    5] Escaux netConsoleControllerSipServer (1.5.2)\n\
        [  21] [Starting   ] [    4] Escaux netConsoleFsm (1.8.1)\n\
        [  47] [Resolved   ] [    4] Escaux Logging Config (1.0.0)\n\
        -> \n";

    const GOGO: &str = "START LEVEL 4\n   ID|State      |Level|Name\n\
        \x20   0|Active     |    0|System Bundle (4.2.1)|4.2.1\n\
        \x20   5|Resolved   |    4|Escaux Logging Config (1.0.0), Hosts: 26|1.0.0\n\
        \x20  26|Active     |    4|Escaux LoggingOSGI (1.1.0)|1.1.0\n";

    #[test]
    fn the_seeds_collapsed_layout() {
        let listing = parse_ps(SEED).unwrap();
        assert_eq!(listing.start_level, Some(4));
        assert_eq!(listing.bundles.len(), 3);
        assert_eq!(
            listing.bundles[2],
            Bundle {
                id: 12,
                state: BundleState::Active,
                level: Some(4),
                name: "Escaux FSM (1.1.1)".into(),
                fragment: false,
                hosts: String::new(),
            }
        );
        let check = evaluate(&listing, &Options::default());
        assert_eq!(check.state(), State::Ok);
        let text = check.render_text("MSHELL_BUNDLES", 0);
        assert!(
            text.starts_with("MSHELL_BUNDLES OK - all 3 bundles Active (start level 4) | bundles=3;;;0 bundles_active=3;;;0 bundles_resolved=0;;;0"),
            "{text}"
        );
    }

    #[test]
    fn felix_spacing_and_every_state() {
        let listing = parse_ps(FELIX).unwrap();
        assert_eq!(listing.bundles.len(), 5);
        assert_eq!(listing.bundles[2].state, BundleState::Installed);
        assert_eq!(
            listing.bundles[2].base_name(),
            "Escaux netConsoleControllerSipServer"
        );
        let check = evaluate(&listing, &Options::default());
        assert_eq!(check.state(), State::Critical);
        let text = check.render_text("MSHELL_BUNDLES", 0);
        let first = text.lines().next().unwrap();
        assert!(
            first.starts_with(
                "MSHELL_BUNDLES CRITICAL - 4 of 5 not Active: #12 Escaux FSM Resolved and 2 more |"
            ),
            "{first}"
        );
        assert!(first.contains("bundles_starting=1;;;0"), "{first}");
        assert!(
            text.contains("[CRITICAL] #14 Escaux netConsoleControllerSipServer (1.5.2) is Installed, not Active (its imports did not resolve) — its start level 5 is above the framework's 4"),
            "{text}"
        );
        assert!(text.contains("[WARNING] #21 Escaux netConsoleFsm (1.8.1) is Starting"));
    }

    #[test]
    fn fragments_resolved_are_fine_installed_are_not() {
        // Gogo marks the fragment with its host.
        let listing = parse_ps(GOGO).unwrap();
        assert!(listing.bundles[1].fragment);
        assert_eq!(listing.bundles[1].name, "Escaux Logging Config (1.0.0)");
        assert_eq!(listing.bundles[1].hosts, "26");
        assert!(evaluate(&listing, &Options::default())
            .render_text("M", 0)
            .contains(
            "[OK] #5 Escaux Logging Config (1.0.0) is a fragment, Resolved: attached to host 26"
        ));
        assert_eq!(listing.bundles[1].level, Some(4));
        let check = evaluate(&listing, &Options::default());
        assert_eq!(check.state(), State::Ok, "{}", check.render_text("M", 0));
        assert!(check
            .render_text("M", 0)
            .starts_with("M OK - 2 bundles Active, 1 fragment Resolved (start level 4)"));
        // The Felix shell does not: --fragment names it.
        let listing = parse_ps(FELIX).unwrap();
        let options = Options {
            fragments: vec!["Escaux Logging Config".into()],
            ..Options::default()
        };
        let text = evaluate(&listing, &options).render_text("M", 0);
        assert!(text.contains("[OK] #47 Escaux Logging Config (1.0.0) is a fragment"));
        assert!(text.contains("bundles_fragments=1;;;0"), "{text}");
        let lonely = "ID State Level Name\n[ 0] [Active ] [ 0] System Bundle (2.0.1)\n[ 3] [Installed ] [ 1] Frag (1.0), Hosts: \n";
        let check = evaluate(&parse_ps(lonely).unwrap(), &Options::default());
        assert_eq!(check.state(), State::Critical);
    }

    #[test]
    fn expected_count() {
        let listing = parse_ps(SEED).unwrap();
        let with = |n| {
            evaluate(
                &listing,
                &Options {
                    expected: Some(n),
                    ..Options::default()
                },
            )
        };
        assert_eq!(with(3).state(), State::Ok);
        let fewer = with(47);
        assert_eq!(fewer.state(), State::Critical);
        assert!(fewer
            .render_text("M", 0)
            .starts_with("M CRITICAL - 3 bundles listed, 47 expected: 44 missing |"));
        assert_eq!(with(2).state(), State::Warning);
    }

    #[test]
    fn a_shell_clients_banner_and_goodbye_are_skipped() {
        let text = format!(
            "Trying 127.0.0.1...\nConnected to localhost.\nEscape character is '^]'.\n-> ps\n{FELIX}Connection closed by foreign host.\n"
        );
        assert_eq!(parse_ps(&text).unwrap(), parse_ps(FELIX).unwrap());
        // The header is still required.
        assert!(parse_ps("Trying 127.0.0.1...\nConnected to localhost.\n").is_err());
    }

    #[test]
    fn what_is_not_a_bundle_list() {
        assert!(parse_ps("").unwrap_err().contains("no bundle list header"));
        assert!(parse_ps("START LEVEL 4\nID State Level Name\n")
            .unwrap_err()
            .contains("empty"));
        let err = parse_ps(
            "ID State Level Name\n[ 0] [Active ] [ 0] System Bundle\nbanana \x1b[0m split\n",
        )
        .unwrap_err();
        assert_eq!(err, "line 3 not understood: 'banana \\x1b[0m split'");
        assert!(
            parse_ps("ID State Level Name\n[ 99999999999999999999999] [Active ] [ 0] X\n").is_err()
        );
        assert!(
            parse_ps("ID State Level Name\n[ 1] [Active ] [ 0] X\n[ 1] [Active ] [ 0] Y\n")
                .unwrap_err()
                .contains("twice")
        );
        assert!(parse_ps("START LEVEL four\n").is_err());
        assert_eq!(
            unreachable_line("telnet: Unable to connect to remote host: Connection refused\n")
                .as_deref(),
            Some("telnet: Unable to connect to remote host: Connection refused")
        );
        assert_eq!(unreachable_line(SEED), None);
    }
}
