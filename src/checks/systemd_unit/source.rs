//! Where the properties come from: one `systemctl show -p …` for all the
//! units (run with `TZ=UTC` so its timestamps can always be read), or a
//! captured output. The parsing itself is in [`super::show`].

use super::options::Options;
use super::show::{self, Properties};
use super::shown;
use crate::exec::{self, ExecOptions};
use crate::output::plural;
use crate::runner::Failure;
use std::path::PathBuf;

/// Where the properties come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Run `SYSTEMCTL [--user] show -p … -- UNITS`.
    Systemctl { program: String, user: bool },
    /// A captured `systemctl show` output (`-` for standard input).
    Input(PathBuf),
}

/// The `systemctl` argument vector.
pub fn systemctl_argv(program: &str, user: bool, units: &[String]) -> Vec<String> {
    let mut argv = vec![program.to_string()];
    if user {
        argv.push("--user".to_string());
    }
    argv.extend([
        "show".to_string(),
        "-p".to_string(),
        show::PROPERTIES.join(","),
    ]);
    argv.push("--".to_string());
    argv.extend(units.iter().cloned());
    argv
}

/// Reads the properties: each requested unit's block, or every block of a
/// captured output when no unit was named.
pub(super) fn collect(options: &Options) -> Result<(Vec<(String, Properties)>, bool), Failure> {
    let (text, live) = match &options.source {
        Source::Input(path) => (
            crate::input::read_input(path, exec::DEFAULT_OUTPUT_LIMIT)?,
            false,
        ),
        Source::Systemctl { program, user } => {
            let argv = systemctl_argv(program, *user, &options.units);
            let exec_options = ExecOptions {
                // Timestamps in UTC whatever the host's zone, so the text can always be read.
                env: vec![("TZ".to_string(), "UTC".to_string())],
                ..ExecOptions::within(crate::deadline::current())
            };
            let out = exec::run(&argv, &exec_options)?;
            if !out.status.success() {
                return Err(Failure::critical(format!(
                    "systemctl show failed ({}): {}",
                    out.describe_status(),
                    shown(&out.first_error_line().chars().take(120).collect::<String>())
                )));
            }
            (out.stdout, true)
        }
    };
    let blocks = show::parse_show(&text).map_err(Failure::unknown)?;
    if options.units.is_empty() {
        return Ok((
            blocks
                .into_iter()
                .enumerate()
                .map(|(i, p)| {
                    let name = p.get("Id").map_or_else(|| format!("unit {}", i + 1), shown);
                    (name, p)
                })
                .collect(),
            live,
        ));
    }
    if blocks.len() == options.units.len() {
        return Ok((options.units.iter().cloned().zip(blocks).collect(), live));
    }
    if live {
        return Err(Failure::unknown(format!(
            "systemctl show printed {} for {}",
            plural(blocks.len(), "block"),
            plural(options.units.len(), "unit")
        )));
    }
    // A capture of other units too: each requested unit by its Id.
    Ok((
        options
            .units
            .iter()
            .map(|u| {
                let found = blocks.iter().find(|b| b.get("Id") == Some(u.as_str()));
                (u.clone(), found.cloned().unwrap_or_default())
            })
            .collect(),
        live,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn systemctl_is_asked_once_for_all_units() {
        let argv = systemctl_argv(
            "systemctl",
            true,
            &["sre.service".into(), "mongod.service".into()],
        );
        assert_eq!(argv[..4], ["systemctl", "--user", "show", "-p"]);
        assert!(argv[4].starts_with("Id,LoadState,"));
        assert_eq!(argv[5..], ["--", "sre.service", "mongod.service"]);
    }
}
