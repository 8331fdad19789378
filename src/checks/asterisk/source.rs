//! The text of one Asterisk CLI command, whichever way it is reached, and the
//! failures every command shares.
//!
//! - default: `asterisk -rx "COMMAND"` (the local control socket, as the guide
//!   does it; `--asterisk` replaces the program, e.g. `sudo -n /usr/sbin/asterisk`);
//! - `--command`: any command printing the same text (e.g. over ssh);
//! - `--input FILE|-`: a captured output;
//! - `--ami HOST[:PORT]`: the Manager Interface, `Action: Command`.
//!
//! Whatever the way, the text then goes through [`classify`]: "Unable to
//! connect to remote asterisk" is CRITICAL (Asterisk is down), "No such
//! command 'sip show peers'" says which module is missing (UNKNOWN: the
//! plugin is asked for what this Asterisk cannot answer).

use super::ami::{self, AmiOptions};
use super::strip_terminal;
use crate::exec::{self, ExecOptions};
use crate::input::InputArgs;
use crate::runner::Failure;
use clap::Args;
use std::path::{Path, PathBuf};

/// The environment variable the AMI secret is read from unless
/// `--ami-secret-file` or `--ami-secret-env` says otherwise.
pub const DEFAULT_SECRET_ENV: &str = "ASTERISK_AMI_SECRET";

/// How to reach Asterisk; shared by the three Asterisk plugins.
#[derive(Args, Debug, Clone, Default)]
pub struct SourceArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// The program run as `PROGRAM -rx "COMMAND"`; split like a shell would, never run by
    /// one, e.g. `sudo -n /usr/sbin/asterisk`. It needs the control socket
    /// (/var/run/asterisk/asterisk.ctl): run as root or a member of the asterisk group
    #[arg(
        long,
        value_name = "PROGRAM",
        default_value = "asterisk",
        value_parser = clap::builder::NonEmptyStringValueParser::new()
    )]
    pub asterisk: String,

    /// Ask Asterisk through its Manager Interface (AMI) at HOST[:PORT] (default port 5038)
    /// instead of the local CLI; the manager user needs the `command` write privilege
    #[arg(
        long,
        value_name = "HOST[:PORT]",
        conflicts_with_all = ["input", "command"],
        requires = "ami_user",
        value_parser = clap::builder::NonEmptyStringValueParser::new()
    )]
    pub ami: Option<String>,

    /// The AMI user (a [section] of manager.conf)
    #[arg(
        long,
        value_name = "USER",
        requires = "ami",
        value_parser = clap::builder::NonEmptyStringValueParser::new()
    )]
    pub ami_user: Option<String>,

    /// File holding the AMI secret (its first line). Without it, the secret is read from
    /// the environment variable named by --ami-secret-env; never from the command line
    #[arg(long, value_name = "FILE", requires = "ami")]
    pub ami_secret_file: Option<PathBuf>,

    /// The environment variable holding the AMI secret when no --ami-secret-file is given
    #[arg(
        long,
        value_name = "NAME",
        default_value = DEFAULT_SECRET_ENV,
        value_parser = clap::builder::NonEmptyStringValueParser::new()
    )]
    pub ami_secret_env: String,
}

/// The command's text and where it came from.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub text: String,
    /// "asterisk -rx 'sip show peers'", "AMI 192.0.2.1:5038", "file x".
    pub origin: String,
    /// Remarks for the check's notes (a secret file readable by others).
    pub notes: Vec<String>,
}

impl SourceArgs {
    /// The text of CLI command `cli` (e.g. `sip show peers like SDO`), checked by [`classify`].
    pub fn fetch(&self, cli: &str) -> Result<Fetched, Failure> {
        let deadline = crate::deadline::current();
        let options = ExecOptions::within(deadline);
        let mut notes = Vec::new();
        let (text, origin) = if let Some(address) = &self.ami {
            let (host, port) = ami::parse_address(address).map_err(Failure::unknown)?;
            let user = self.ami_user.clone().unwrap_or_default();
            let secret = self.secret(&mut notes)?;
            let text = ami::command(
                &AmiOptions {
                    host: host.clone(),
                    port,
                    user,
                    secret,
                },
                cli,
                deadline,
            )?;
            (text, format!("AMI {}", ami::show_address(&host, port)))
        } else if self.input.input.is_some() || self.input.command.is_some() {
            let collected = self.input.collect(&[], &options)?;
            let mut text = collected.text;
            if let Some(output) = &collected.output {
                text.push_str(&output.stderr);
                if text.trim().is_empty() && !output.status.success() {
                    return Err(Failure::unknown(format!(
                        "{} failed ({}) and printed nothing",
                        collected.origin,
                        output.describe_status()
                    )));
                }
            }
            (text, collected.origin)
        } else {
            let mut argv = exec::split_command(&self.asterisk)?;
            argv.push("-rx".to_string());
            argv.push(cli.to_string());
            let output = exec::run(&argv, &options)?;
            let shown = format!("{} -rx '{cli}'", self.asterisk);
            let mut text = output.stdout.clone();
            text.push_str(&output.stderr);
            if text.trim().is_empty() && !output.status.success() {
                return Err(Failure::unknown(format!(
                    "{shown} failed ({}) and printed nothing",
                    output.describe_status()
                )));
            }
            (text, shown)
        };
        let text = strip_terminal(&text);
        classify(&text, cli, &|path| socket_access(path))?;
        Ok(Fetched {
            text,
            origin,
            notes,
        })
    }

    fn secret(&self, notes: &mut Vec<String>) -> Result<String, Failure> {
        if let Some(path) = &self.ami_secret_file {
            let text = crate::input::read_input(path, 64 * 1024)?;
            {
                use std::os::unix::fs::PermissionsExt;
                if let Ok(meta) = std::fs::metadata(path) {
                    if meta.permissions().mode() & 0o077 != 0 {
                        notes.push(format!(
                            "{} is readable by others: chmod 600 it",
                            path.display()
                        ));
                    }
                }
            }
            let secret = text.lines().next().unwrap_or("").trim_end().to_string();
            if secret.is_empty() {
                return Err(Failure::unknown(format!(
                    "the AMI secret file {} is empty",
                    path.display()
                )));
            }
            return Ok(secret);
        }
        match std::env::var(&self.ami_secret_env) {
            Ok(secret) if !secret.is_empty() => Ok(secret),
            _ => Err(Failure::unknown(format!(
                "no AMI secret: set {} or give --ami-secret-file",
                self.ami_secret_env
            ))),
        }
    }
}

/// What the plugin's user can do with a control socket that Asterisk says it
/// could not connect to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketAccess {
    /// The socket is not there (or not a socket we could test): Asterisk is down.
    Missing,
    /// It exists and we may write to it: a stale socket, Asterisk is down.
    Writable,
    /// It exists but this user may not use it: the plugin's own setup.
    Denied,
}

/// Tests `path` with access(2) as the plugin's real user.
pub fn socket_access(path: &str) -> SocketAccess {
    let Ok(c_path) = std::ffi::CString::new(path) else {
        return SocketAccess::Missing;
    };
    // SAFETY: access(2) on a NUL-terminated path.
    if unsafe { libc::access(c_path.as_ptr(), libc::W_OK) } == 0 {
        return SocketAccess::Writable;
    }
    match std::io::Error::last_os_error().raw_os_error() {
        Some(libc::EACCES) | Some(libc::EPERM) => SocketAccess::Denied,
        _ if Path::new(path).exists() => SocketAccess::Denied,
        _ => SocketAccess::Missing,
    }
}

/// The failures every command's text may carry, whichever way it came:
/// Asterisk not running (CRITICAL, or UNKNOWN when the socket is there but this
/// user may not use it), a command this Asterisk does not have (UNKNOWN,
/// naming the module), a permission refusal.
pub fn classify(
    text: &str,
    cli: &str,
    access: &dyn Fn(&str) -> SocketAccess,
) -> Result<(), Failure> {
    for line in text.lines().map(str::trim).take(20) {
        if line.contains("Unable to connect to remote asterisk") {
            let socket = line
                .split_once("(does ")
                .and_then(|(_, rest)| rest.split_once(" exist?)"))
                .map(|(path, _)| path.to_string());
            if let Some(path) = &socket {
                if access(path) == SocketAccess::Denied {
                    return Err(Failure::unknown(format!(
                        "permission denied on {path}: run the plugin as root or as a member of \
                         Asterisk's group (or use --asterisk 'sudo -n asterisk', or --ami)"
                    )));
                }
            }
            return Err(Failure::critical(format!(
                "Asterisk is not running: {}",
                super::quote(line)
            )));
        }
        if let Some(rest) = line.strip_prefix("No such command '") {
            let missing = rest.split('\'').next().unwrap_or("");
            return Err(Failure::unknown(missing_module(missing, cli)));
        }
        if line.starts_with("Unable to connect to") || line == "Permission denied" {
            return Err(Failure::unknown(super::quote(line)));
        }
    }
    Ok(())
}

fn missing_module(missing: &str, cli: &str) -> String {
    let first = if missing.is_empty() { cli } else { missing };
    if first.starts_with("sip ") {
        format!("chan_sip not loaded, use --pjsip (Asterisk said: No such command '{first}')")
    } else if first.starts_with("pjsip ") {
        format!("res_pjsip not loaded (Asterisk said: No such command '{first}'); chan_sip is read without --pjsip")
    } else if first.starts_with("queue ") || first == "show queues" {
        format!("app_queue not loaded (Asterisk said: No such command '{first}')")
    } else {
        format!(
            "this Asterisk has no command '{}' (use --command for another version's command)",
            super::quote(first)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::State;

    fn missing(_: &str) -> SocketAccess {
        SocketAccess::Missing
    }

    fn denied(_: &str) -> SocketAccess {
        SocketAccess::Denied
    }

    #[test]
    fn asterisk_down_is_critical() {
        let text =
            "Unable to connect to remote asterisk (does /var/run/asterisk/asterisk.ctl exist?)\n";
        let err = classify(text, "sip show peers", &missing).unwrap_err();
        assert_eq!(err.state, State::Critical);
        assert!(err.message.starts_with("Asterisk is not running: Unable"));
        // The same socket present but not ours: the plugin's setup, not an outage.
        let err = classify(text, "sip show peers", &denied).unwrap_err();
        assert_eq!(err.state, State::Unknown);
        assert!(err
            .message
            .starts_with("permission denied on /var/run/asterisk/asterisk.ctl"));
    }

    #[test]
    fn a_missing_module_is_named() {
        let err = classify(
            "No such command 'sip show peers' (type 'core show help sip show' for other possible commands)\n",
            "sip show peers like SDO",
            &missing,
        )
        .unwrap_err();
        assert_eq!(err.state, State::Unknown);
        assert!(
            err.message.starts_with("chan_sip not loaded, use --pjsip"),
            "{}",
            err.message
        );
        let err = classify("No such command 'queue show'.\n", "queue show", &missing).unwrap_err();
        assert!(err.message.starts_with("app_queue not loaded"));
        let err = classify("No such command 'pjsip show contacts'\n", "", &missing).unwrap_err();
        assert!(err.message.starts_with("res_pjsip not loaded"));
    }

    #[test]
    fn a_listing_passes() {
        assert!(classify("Name/username Host\n0 sip peers [x]\n", "", &missing).is_ok());
    }
}
