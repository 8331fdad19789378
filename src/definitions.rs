//! Scheduler definitions generated from a plugin's own clap options, so the
//! shipped Icinga 2 `CheckCommand`s and Nagios `define command`s can never
//! drift from the binaries.
//!
//! Every plugin prints its own definition when run with
//! `OPSCHECK_PRINT_DEFINITION=icinga2` (or `nagios`) in its environment; the
//! runner checks this before parsing options, so a plugin added later gets it
//! for free. An environment variable rather than a hidden option: it takes no
//! name out of the plugins' option namespace, is unaffected by required options
//! or conflicts, and a scheduler's argument list can never trigger it by accident.
//! `packaging/generate.sh` runs every built plugin this way and writes
//! `packaging/icinga2/opscheck-commands.conf` and
//! `packaging/nagios/opscheck-commands.cfg`; `tests/definitions.rs` fails when a
//! checked-in file differs from what the binaries print.
//!
//! Icinga 2 mapping (ITL style): the command is `check_NAME`, the CheckCommand
//! `NAME`, each option `--long-name` an argument whose value is
//! `$NAME_long_name$`; flags use `set_if`, repeatable options `repeat_key`,
//! required options `required`; the description is the option's help. An
//! option's clap default becomes `vars.NAME_long_name` (so it shows in Icinga
//! Web and can be overridden per host or service), except for options that
//! conflict with another one, where passing the default explicitly would turn
//! the other option into a usage error. `--output-format` is left out: a
//! scheduler needs the plugin API text.

use clap::{ArgAction, Command};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// Environment variable naming the scheduler whose definition a plugin prints
/// instead of running its check.
pub const PRINT_DEFINITION_ENV: &str = "OPSCHECK_PRINT_DEFINITION";

/// The schedulers definitions are generated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheduler {
    /// Icinga 2 `object CheckCommand`.
    Icinga2,
    /// Nagios `define command`.
    Nagios,
}

impl Scheduler {
    /// `icinga2` or `nagios`, as the environment variable gives it.
    pub fn parse(text: &str) -> Option<Scheduler> {
        match text {
            "icinga2" => Some(Scheduler::Icinga2),
            "nagios" => Some(Scheduler::Nagios),
            _ => None,
        }
    }
}

/// What a plugin may add to its generated definitions, through
/// [`crate::Plugin::DEFINITION`]; options are named by their long name.
#[derive(Debug, Clone, Copy)]
pub struct Hints {
    /// Custom variable names instead of `<command>_<long_name>`: the ITL's where
    /// the ITL has one (e.g. `("host", "mongodb_host")`), so host variables set
    /// for the ITL's command serve this one too.
    pub vars: &'static [(&'static str, &'static str)],
    /// Icinga 2 defaults instead of the clap default, macros allowed: e.g.
    /// `("host", "$check_address$")` checks the host's own address.
    pub defaults: &'static [(&'static str, &'static str)],
    /// Environment variables the plugin reads secrets from, each filled from a
    /// custom variable (`("PGPASSWORD", "postgres_dbpass")`): Icinga 2 passes
    /// them as `env`, so a password never appears in a process listing. The
    /// plugins treat an empty value as unset.
    pub env: &'static [(&'static str, &'static str)],
}

impl Hints {
    /// No hints: every option maps to a `<plugin>_<option>` variable.
    pub const NONE: Hints = Hints {
        vars: &[],
        defaults: &[],
        env: &[],
    };
}

/// Options never offered to a scheduler.
const LEFT_OUT: &[&str] = &["output-format"];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// Takes one value.
    Value,
    /// Takes one value per occurrence and may be repeated.
    Repeated,
    /// Takes no value.
    Flag,
}

#[derive(Debug, Clone)]
struct Opt {
    /// `--dir`, `-x`, or the value name of a positional argument.
    key: String,
    /// The Icinga 2 custom variable, e.g. `smith_stonith_dir`.
    var: String,
    kind: Kind,
    positional: bool,
    required: bool,
    /// Help text on one line.
    help: String,
    /// Value placeholder for the Nagios comment, e.g. `DIR`.
    value_name: String,
    possible: Vec<String>,
    defaults: Vec<String>,
    /// The variable's default in Icinga 2 syntax, when it gets one.
    icinga_default: Option<String>,
}

/// The scheduler's name for the plugin `check_NAME`: `NAME`.
pub fn command_name(binary: &str) -> &str {
    binary.strip_prefix("check_").unwrap_or(binary)
}

/// The definition of `command` (a plugin's `P::command()`) for `scheduler`.
pub fn definition(command: &Command, scheduler: Scheduler) -> String {
    definition_with(command, scheduler, &Hints::NONE)
}

/// [`definition`] with the plugin's [`Hints`]. Panics when a hint names an
/// option the plugin does not have (a programming error the tests catch).
pub fn definition_with(command: &Command, scheduler: Scheduler, hints: &Hints) -> String {
    let mut command = command.clone();
    command.build();
    let binary = command.get_name().to_string();
    let about = command
        .get_about()
        .map(|s| one_line(&s.to_string()))
        .unwrap_or_default();
    let opts = options(&command, command_name(&binary), hints);
    match scheduler {
        Scheduler::Icinga2 => icinga2(&binary, &about, &opts, hints.env),
        Scheduler::Nagios => nagios(&binary, &about, &opts, hints.env),
    }
}

fn options(command: &Command, prefix: &str, hints: &Hints) -> Vec<Opt> {
    for (long, _) in hints.vars.iter().chain(hints.defaults) {
        assert!(
            command.get_arguments().any(|a| a.get_long() == Some(long)),
            "definition hint for --{long}: no such option"
        );
    }
    let hint = |table: &[(&str, &'static str)], arg: &clap::Arg| {
        let long = arg.get_long()?;
        table.iter().find(|(l, _)| *l == long).map(|(_, v)| *v)
    };
    let conflicting = conflicting_ids(command);
    let mut opts = Vec::new();
    for arg in command.get_arguments() {
        if arg.is_hide_set()
            || matches!(
                arg.get_action(),
                ArgAction::Help | ArgAction::HelpShort | ArgAction::HelpLong | ArgAction::Version
            )
            || arg.get_long().is_some_and(|l| LEFT_OUT.contains(&l))
        {
            continue;
        }
        let kind = match arg.get_action() {
            ArgAction::SetTrue | ArgAction::SetFalse | ArgAction::Count => Kind::Flag,
            ArgAction::Append => Kind::Repeated,
            _ => Kind::Value,
        };
        let id = arg.get_id().as_str().to_string();
        let value_name = arg
            .get_value_names()
            .and_then(|names| names.first())
            .map(|n| n.to_string())
            .unwrap_or_else(|| id.to_uppercase());
        let (key, suffix) = match (arg.get_long(), arg.get_short()) {
            _ if arg.is_positional() => (value_name.clone(), id.clone()),
            (Some(long), _) => (format!("--{long}"), long.to_string()),
            (None, Some(short)) => (format!("-{short}"), short.to_string()),
            (None, None) => (id.clone(), id.clone()),
        };
        let var = match hint(hints.vars, arg) {
            Some(var) => var.to_string(),
            None => format!("{prefix}_{}", suffix.replace('-', "_")),
        };
        let possible = if arg.is_hide_possible_values_set() {
            Vec::new()
        } else {
            arg.get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_string())
                .collect()
        };
        let defaults: Vec<String> = if kind == Kind::Flag || arg.is_hide_default_value_set() {
            Vec::new()
        } else {
            arg.get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .collect()
        };
        opts.push(Opt {
            key,
            var,
            positional: arg.is_positional(),
            required: arg.is_required_set(),
            help: arg
                .get_help()
                .map(|s| one_line(&s.to_string()))
                .unwrap_or_default(),
            value_name,
            possible,
            icinga_default: match hint(hints.defaults, arg) {
                Some(expression) => Some(quote(expression)),
                None if defaults.is_empty() || conflicting.contains(&id) => None,
                None if kind == Kind::Repeated => Some(format!(
                    "[ {} ]",
                    defaults
                        .iter()
                        .map(|d| quote(&no_macros(d)))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                None => Some(quote(&no_macros(&defaults.join(",")))),
            },
            defaults,
            kind,
        });
    }
    opts
}

/// Ids of the arguments that conflict with another: declared on either side,
/// or members of a group that allows only one of them.
fn conflicting_ids(command: &Command) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for arg in command.get_arguments() {
        let others = command.get_arg_conflicts_with(arg);
        if !others.is_empty() {
            ids.insert(arg.get_id().to_string());
            ids.extend(others.iter().map(|o| o.get_id().to_string()));
        }
    }
    for group in command.get_groups() {
        let mut group = group.clone();
        if !group.is_multiple() {
            ids.extend(group.get_args().map(|id| id.to_string()));
        }
    }
    ids
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An Icinga 2 DSL string literal.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A literal value for a custom variable: Icinga resolves `$...$` macros in
/// variables, so a dollar is written `$$`.
fn no_macros(text: &str) -> String {
    text.replace('$', "$$")
}

/// The help with what a reader of the definition needs besides it.
fn description(opt: &Opt, scheduler: Scheduler) -> String {
    let mut text = opt.help.trim_end_matches('.').to_string();
    if !opt.possible.is_empty() {
        let _ = write!(text, " (one of: {})", opt.possible.join(", "));
    }
    if opt.kind == Kind::Repeated && !text.contains("repeat") {
        text.push_str(" (repeatable)");
    }
    if opt.kind == Kind::Repeated && scheduler == Scheduler::Icinga2 {
        text.push_str(" (an array gives it once per element)");
    }
    if !opt.defaults.is_empty() && !text.contains("default") {
        let _ = write!(text, " (default: {})", opt.defaults.join(", "));
    }
    text
}

fn icinga2(binary: &str, about: &str, opts: &[Opt], env: &[(&str, &str)]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// {binary}: generated from the plugin's options by packaging/generate.sh; do not edit."
    );
    if !about.is_empty() {
        let _ = writeln!(out, "// {about}");
    }
    let _ = writeln!(
        out,
        "object CheckCommand {} {{",
        quote(command_name(binary))
    );
    let _ = writeln!(
        out,
        "\tcommand = [ PluginDir + {} ]",
        quote(&format!("/{binary}"))
    );
    out.push('\n');
    out.push_str("\targuments = {\n");
    let mut position = 0;
    for opt in opts {
        let _ = writeln!(out, "\t\t{} = {{", quote(&opt.key));
        let macro_ = quote(&format!("${}$", opt.var));
        match opt.kind {
            Kind::Flag => {
                let _ = writeln!(out, "\t\t\tset_if = {macro_}");
            }
            Kind::Value | Kind::Repeated => {
                let _ = writeln!(out, "\t\t\tvalue = {macro_}");
            }
        }
        if opt.kind == Kind::Repeated {
            out.push_str("\t\t\trepeat_key = true\n");
        }
        if opt.positional {
            position += 1;
            out.push_str("\t\t\tskip_key = true\n");
            let _ = writeln!(out, "\t\t\torder = {}", 100 + position);
        }
        if opt.required {
            out.push_str("\t\t\trequired = true\n");
        }
        let _ = writeln!(
            out,
            "\t\t\tdescription = {}",
            quote(&description(opt, Scheduler::Icinga2))
        );
        out.push_str("\t\t}\n");
    }
    out.push_str("\t}\n");
    if !env.is_empty() {
        out.push('\n');
    }
    for (name, var) in env {
        let _ = writeln!(out, "\tenv.{name} = {}", quote(&format!("${var}$")));
    }
    let defaults: Vec<(&str, &str)> = opts
        .iter()
        .filter_map(|o| Some((o.var.as_str(), o.icinga_default.as_deref()?)))
        .collect();
    if !defaults.is_empty() {
        out.push('\n');
    }
    for (var, value) in defaults {
        let _ = writeln!(out, "\tvars.{var} = {value}");
    }
    out.push_str("}\n");
    out
}

fn nagios(binary: &str, about: &str, opts: &[Opt], env: &[(&str, &str)]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {binary}: generated from the plugin's options by packaging/generate.sh; do not edit."
    );
    if !about.is_empty() {
        let _ = writeln!(out, "# {about}");
    }
    let _ = writeln!(
        out,
        "# $ARG1$ is the plugin's options, e.g. check_command {binary}!-t 20 (a ! inside them is written \\!):"
    );
    let usages: Vec<(String, String)> = opts
        .iter()
        .map(|opt| {
            let usage = match (&opt.kind, opt.positional) {
                (_, true) => opt.value_name.clone(),
                (Kind::Flag, _) => opt.key.clone(),
                _ => format!("{} {}", opt.key, opt.value_name),
            };
            let mut text = description(opt, Scheduler::Nagios);
            if opt.required {
                text.push_str(" (required)");
            }
            (usage, text)
        })
        .collect();
    let width = usages.iter().map(|(u, _)| u.len()).max().unwrap_or(0);
    for (usage, text) in usages {
        let _ = writeln!(out, "#   {usage:width$}  {text}");
    }
    if !env.is_empty() {
        let names: Vec<&str> = env.iter().map(|(name, _)| *name).collect();
        let _ = writeln!(
            out,
            "# Secrets are read from the environment, never the command line: set {} for the Nagios process.",
            names.join(", ")
        );
    }
    out.push_str("define command {\n");
    let _ = writeln!(out, "    command_name    {binary}");
    let _ = writeln!(out, "    command_line    $USER1$/{binary} $ARG1$");
    out.push_str("}\n");
    out
}

/// The plugin's manual page (roff, section 1) from its clap definition, for
/// `OPSCHECK_PRINT_DEFINITION=man`: name, synopsis, the long help as the
/// description, every option, then the plugin API's exit status and where
/// the package puts the scheduler definitions. `packaging/generate.sh` writes
/// it to `packaging/man/check_NAME.1` (checked by tests/definitions.rs);
/// `packaging/build-packages.sh` gzips it into the packages.
pub fn man_page(command: &Command) -> String {
    let mut command = command.clone();
    command.build();
    let binary = command.get_name().to_string();
    let version = command.get_version().unwrap_or_default().to_string();
    let man = clap_mangen::Man::new(command)
        .manual("opscheck monitoring plugins")
        .source(format!("opscheck {version}"));
    let mut out: Vec<u8> = Vec::new();
    // Writing to a Vec cannot fail.
    man.render_title(&mut out).expect("roff into memory");
    man.render_name_section(&mut out).expect("roff into memory");
    man.render_synopsis_section(&mut out)
        .expect("roff into memory");
    man.render_description_section(&mut out)
        .expect("roff into memory");
    man.render_options_section(&mut out)
        .expect("roff into memory");
    let name = command_name(&binary);
    let tail = format!(
        r#".SH "EXIT STATUS"
The Nagios plugin API: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also for
usage errors, \fB\-\-help\fR and \fB\-\-version\fR). The first line of the
output is the summary, \fIperformance data\fR follows a \fB|\fR.
.SH FILES
.TP
\fI/usr/share/icinga2/include/plugins\-contrib.d/opscheck.conf\fR
the Icinga 2 CheckCommand \fB{name}\fR (loaded by \fBinclude <plugins\-contrib>\fR).
.TP
\fI/etc/nagios\-plugins/config/opscheck.cfg\fR (Debian), \fI/etc/nagios/conf.d/opscheck.cfg\fR (RPM)
the Nagios command \fB{binary}\fR.
.SH "SEE ALSO"
/usr/share/doc/opscheck/README.md
"#
    );
    out.extend_from_slice(tail.as_bytes());
    man.render_version_section(&mut out)
        .expect("roff into memory");
    String::from_utf8(out).expect("roff from UTF-8 help is UTF-8")
}

/// What the runner does when [`PRINT_DEFINITION_ENV`] is set: prints the
/// definition (or, for `man`, the manual page) and exits 0, or exits 3 naming
/// the accepted values.
pub fn print_and_exit(
    service: &str,
    command: &Command,
    hints: &Hints,
    requested: &std::ffi::OsStr,
) -> ! {
    let requested = requested.to_string_lossy();
    if requested == "man" {
        crate::timeout::emit(&man_page(command), 0);
    }
    match Scheduler::parse(&requested) {
        Some(scheduler) => crate::timeout::emit(&definition_with(command, scheduler, hints), 0),
        None => crate::timeout::emit(
            &format!(
                "{service} UNKNOWN - {PRINT_DEFINITION_ENV}={requested:?}: expected icinga2, nagios or man\n"
            ),
            3,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// Options of every shape the generator has to map.
    #[derive(Parser, Debug)]
    #[command(name = "check_demo", version, about = "Checks \"demo\" things.")]
    #[allow(dead_code)]
    struct Demo {
        /// Where to look
        #[arg(long, value_name = "DIR", default_value = "/var/demo")]
        dir: String,

        /// Read this file instead
        #[arg(long, conflicts_with = "dir", default_value = "x")]
        file: String,

        /// A daemon (repeatable)
        #[arg(long = "daemon", value_name = "NAME", default_values = ["a", "b"])]
        daemons: Vec<String>,

        /// Be strict
        #[arg(long)]
        strict: bool,

        /// Warning range
        #[arg(short = 'w', long = "warning", value_name = "RANGE")]
        warning: Option<String>,

        /// The mode
        #[arg(long, value_enum, default_value_t = Mode::Fast)]
        mode: Mode,

        /// Hidden helper
        #[arg(long, hide = true)]
        secret: Option<String>,

        /// The target host
        #[arg(value_name = "HOST")]
        host: String,

        #[command(flatten)]
        common: crate::cli::CommonArgs,
    }

    #[derive(clap::ValueEnum, Clone, Debug)]
    enum Mode {
        Fast,
        Slow,
    }

    fn icinga() -> String {
        definition(
            &<Demo as clap::CommandFactory>::command(),
            Scheduler::Icinga2,
        )
    }

    #[test]
    fn icinga2_maps_every_kind_of_option() {
        let text = icinga();
        assert!(text.contains("object CheckCommand \"demo\" {"), "{text}");
        assert!(text.contains("command = [ PluginDir + \"/check_demo\" ]"));
        assert!(text.contains("\"--dir\" = {\n\t\t\tvalue = \"$demo_dir$\"\n"));
        assert!(text.contains(
            "\"--daemon\" = {\n\t\t\tvalue = \"$demo_daemon$\"\n\t\t\trepeat_key = true\n"
        ));
        assert!(text.contains("\"--strict\" = {\n\t\t\tset_if = \"$demo_strict$\"\n"));
        assert!(text.contains("\"--verbose\" = {\n\t\t\tset_if = \"$demo_verbose$\"\n"));
        assert!(text.contains("\"--warning\" = {\n\t\t\tvalue = \"$demo_warning$\"\n"));
        assert!(text.contains("\"HOST\" = {\n\t\t\tvalue = \"$demo_host$\"\n\t\t\tskip_key = true\n\t\t\torder = 101\n\t\t\trequired = true\n"), "{text}");
        assert!(text.contains("description = \"The mode (one of: fast, slow) (default: fast)\""));
        assert!(text.contains("// Checks \"demo\" things."));
    }

    #[test]
    fn icinga2_defaults_become_vars_unless_the_option_conflicts() {
        let text = icinga();
        assert!(
            text.contains("\tvars.demo_daemon = [ \"a\", \"b\" ]\n"),
            "{text}"
        );
        assert!(text.contains("\tvars.demo_mode = \"fast\"\n"));
        assert!(text.contains("\tvars.demo_timeout = \"10\"\n"));
        // --dir and --file conflict: passing a default explicitly would break the other.
        assert!(!text.contains("vars.demo_dir"), "{text}");
        assert!(!text.contains("vars.demo_file"));
        assert!(!text.contains("vars.demo_strict"));
    }

    #[test]
    fn left_out_and_hidden_options_are_not_offered() {
        let text = icinga();
        for absent in ["--output-format", "--secret", "--help", "--version"] {
            assert!(!text.contains(absent), "{absent} in {text}");
        }
        let nagios = definition(
            &<Demo as clap::CommandFactory>::command(),
            Scheduler::Nagios,
        );
        assert!(!nagios.contains("--output-format"));
    }

    #[test]
    fn nagios_passes_the_options_through_arg1_and_documents_them() {
        let text = definition(
            &<Demo as clap::CommandFactory>::command(),
            Scheduler::Nagios,
        );
        assert!(text.contains("    command_name    check_demo\n"), "{text}");
        assert!(text.contains("    command_line    $USER1$/check_demo $ARG1$\n"));
        assert!(text.contains("#   --dir DIR "), "{text}");
        assert!(text.contains("  Where to look (default: /var/demo)\n"));
        assert!(text.contains("The target host (required)"));
        assert!(text.lines().all(|l| l.starts_with('#')
            || l.starts_with("define")
            || l.starts_with("    ")
            || l == "}"));
    }

    #[test]
    fn hints_rename_variables_and_set_macro_defaults() {
        let hints = Hints {
            vars: &[("dir", "itl_dir"), ("daemon", "demo_daemons")],
            defaults: &[("warning", "$check_address$")],
            env: &[("DEMO_PASSWORD", "demo_pass")],
        };
        let command = <Demo as clap::CommandFactory>::command();
        let text = definition_with(&command, Scheduler::Icinga2, &hints);
        assert!(
            text.contains("\"--dir\" = {\n\t\t\tvalue = \"$itl_dir$\"\n"),
            "{text}"
        );
        assert!(text.contains("value = \"$demo_daemons$\""));
        assert!(text.contains("\tvars.demo_daemons = [ \"a\", \"b\" ]\n"));
        // A hinted default is an Icinga expression: its macro is kept.
        assert!(
            text.contains("\tvars.demo_warning = \"$check_address$\"\n"),
            "{text}"
        );
        // Secrets go through the environment, not the arguments.
        assert!(
            text.contains("\tenv.DEMO_PASSWORD = \"$demo_pass$\"\n"),
            "{text}"
        );
        let nagios = definition_with(&command, Scheduler::Nagios, &hints);
        assert!(
            nagios.contains("set DEMO_PASSWORD for the Nagios process"),
            "{nagios}"
        );
    }

    #[test]
    #[should_panic(expected = "definition hint for --no-such: no such option")]
    fn a_hint_for_a_missing_option_is_a_bug() {
        let bad = Hints {
            vars: &[("no-such", "x")],
            defaults: &[],
            env: &[],
        };
        let command = <Demo as clap::CommandFactory>::command();
        definition_with(&command, Scheduler::Icinga2, &bad);
    }

    #[test]
    fn icinga2_strings_are_escaped() {
        assert_eq!(quote(r#"a "b" \c"#), r#""a \"b\" \\c""#);
        assert_eq!(no_macros("a$b"), "a$$b");
        assert_eq!(command_name("check_pg_repl"), "pg_repl");
        assert_eq!(Scheduler::parse("icinga2"), Some(Scheduler::Icinga2));
        assert_eq!(Scheduler::parse("naemon"), None);
    }
}
