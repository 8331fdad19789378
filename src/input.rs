//! Where a parser's text comes from: the vendor command (default or
//! `--command`), or a captured output (`--input FILE`, `-` for stdin).

use crate::exec::{self, CommandOutput, ExecOptions};
use crate::runner::Failure;
use crate::timeout::set_activity;
use clap::Args;
use std::io::Read;
use std::path::{Path, PathBuf};

/// `--input` and `--command`, to flatten into a plugin that reads a vendor command's output.
#[derive(Args, Debug, Clone, Default)]
pub struct InputArgs {
    /// Read a captured output from FILE (`-` for standard input) instead of running the command
    #[arg(long, value_name = "FILE|-", conflicts_with = "command")]
    pub input: Option<PathBuf>,

    /// Run this command instead of the default one. It is split into words like a
    /// shell would, but never run by a shell (no pipes, globs or variables)
    #[arg(long, value_name = "COMMAND")]
    pub command: Option<String>,
}

/// Text to parse and where it came from.
#[derive(Debug, Clone)]
pub struct Collected {
    /// The text itself.
    pub text: String,
    /// `None` for captured input; the command's result otherwise.
    pub output: Option<CommandOutput>,
    /// "file /tmp/x", "standard input", "command 'sre-admin status'".
    pub origin: String,
}

impl InputArgs {
    /// Reads the captured input, or runs `--command` or else `default_command`.
    pub fn collect(
        &self,
        default_command: &[&str],
        options: &ExecOptions,
    ) -> Result<Collected, Failure> {
        if let Some(path) = &self.input {
            let text = read_input(path, options.output_limit)?;
            let origin = if path == Path::new("-") {
                "standard input".to_string()
            } else {
                format!("file {}", path.display())
            };
            return Ok(Collected {
                text,
                output: None,
                origin,
            });
        }
        let argv = match &self.command {
            Some(text) => exec::split_command(text)?,
            None => default_command.iter().map(|s| s.to_string()).collect(),
        };
        let output = exec::run(&argv, options)?;
        Ok(Collected {
            text: output.stdout.clone(),
            origin: format!("command '{}'", argv.join(" ")),
            output: Some(output),
        })
    }
}

/// Reads a file, or stdin for `-`, up to `limit` bytes, as lossy UTF-8.
pub fn read_input(path: &Path, limit: usize) -> Result<String, Failure> {
    let mut bytes = Vec::new();
    let result = if path == Path::new("-") {
        set_activity("reading standard input");
        std::io::stdin()
            .lock()
            .take(limit as u64 + 1)
            .read_to_end(&mut bytes)
    } else {
        set_activity(format!("reading {}", path.display()));
        std::fs::File::open(path).and_then(|f| f.take(limit as u64 + 1).read_to_end(&mut bytes))
    };
    let name = if path == Path::new("-") {
        "standard input".to_string()
    } else {
        path.display().to_string()
    };
    result.map_err(|e| Failure::unknown(format!("cannot read {name}: {e}")))?;
    if bytes.len() > limit {
        return Err(Failure::unknown(format!(
            "{name} is larger than {limit} bytes"
        )));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Whether `text` can be a name an operator wrote in a config or a vendor tool
/// printed (a daemon, a server, a peer): printable, with no U+FFFD (invalid
/// UTF-8 read lossily). Binary garbage must never be read as names to look for.
pub fn is_printable_name(text: &str) -> bool {
    !text.is_empty()
        && !text
            .chars()
            .any(|c| c.is_control() || c == char::REPLACEMENT_CHARACTER)
}
