//! MySQL/MariaDB option files (`my.cnf`, `~/.my.cnf`, `--defaults-file`), read
//! the way the `mysql`/`mariadb` client reads them:
//!
//! - `[group]` starts a group (names compared without regard to case); lines
//!   before the first group are an error, as in the client;
//! - `name`, `name=value`, `name = value`; `-` and `_` are the same in names,
//!   a `loose-` prefix is dropped; leading and trailing blanks are removed;
//! - `#` and `;` at the start of a line are comments; `#` later on a line starts
//!   a comment unless it is inside quotes;
//! - a value may be quoted with `'` or `"` (the quotes are removed, and a `#`
//!   inside them is part of the value); the escapes `\b \t \n \r \\ \s \" \'`
//!   stand for backspace, tab, newline, carriage return, backslash, space and
//!   the quotes; a backslash before any other character stays as it is;
//! - `!include FILE` reads FILE there, `!includedir DIR` every `*.cnf` of DIR
//!   in name order; included files have their own groups (a group of the file
//!   that includes continues after the include). A missing included file is
//!   skipped with a note, as the client skips it silently.
//!
//! [`parse`] is a pure function of one file's text; [`load`] follows the
//! includes through a reader function, so both are tested without a disk.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One meaningful line of an option file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// `[name]`, the name lowercased.
    Group(String),
    /// An option of the current group: its name (normalised: lowercase, `_`
    /// for `-`, no `loose-`) and its value, `None` for a bare `name`.
    Option {
        name: String,
        value: Option<String>,
        line: usize,
    },
    /// `!include FILE`.
    Include(PathBuf),
    /// `!includedir DIR`.
    IncludeDir(PathBuf),
}

/// Why a file could not be read as an option file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(
                f,
                "{} line {}: {}",
                self.file.display(),
                self.line,
                self.message
            )
        }
    }
}

/// The normalised form of an option name.
pub fn normalise_name(name: &str) -> String {
    let name = name.trim().to_ascii_lowercase().replace('-', "_");
    match name.strip_prefix("loose_") {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => name,
    }
}

/// Parses one option file's text. Errors name `file` and the line.
pub fn parse(text: &str, file: &Path) -> Result<Vec<Line>, Error> {
    let err = |line: usize, message: String| Error {
        file: file.to_path_buf(),
        line,
        message,
    };
    let mut out = Vec::new();
    let mut in_group = false;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(directive) = line.strip_prefix('!') {
            let (word, rest) = split_word(directive);
            let target = strip_comment(rest).trim().to_string();
            match word {
                "include" | "includedir" if target.is_empty() => {
                    return Err(err(number, format!("!{word} without a path")));
                }
                "include" => out.push(Line::Include(PathBuf::from(target))),
                "includedir" => out.push(Line::IncludeDir(PathBuf::from(target))),
                _ => return Err(err(number, format!("unknown directive '!{word}'"))),
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let Some(end) = rest.find(']') else {
                return Err(err(number, "a group name without ']'".to_string()));
            };
            let after = rest[end + 1..].trim();
            if !after.is_empty() && !after.starts_with('#') {
                return Err(err(number, "text after the group name".to_string()));
            }
            let name = rest[..end].trim();
            if name.is_empty() {
                return Err(err(number, "an empty group name".to_string()));
            }
            out.push(Line::Group(name.to_ascii_lowercase()));
            in_group = true;
            continue;
        }
        if !in_group {
            return Err(err(
                number,
                "an option before the first [group]".to_string(),
            ));
        }
        let (name, value) = match line.find(['=', '#']) {
            Some(at) if line.as_bytes()[at] == b'=' => (
                &line[..at],
                Some(parse_value(&line[at + 1..], number, file)?),
            ),
            Some(at) => (&line[..at], None),
            None => (line, None),
        };
        let name = normalise_name(name);
        if name.is_empty() {
            return Err(err(number, "an option without a name".to_string()));
        }
        out.push(Line::Option {
            name,
            value,
            line: number,
        });
    }
    Ok(out)
}

fn split_word(text: &str) -> (&str, &str) {
    let end = text
        .find(|c: char| c.is_ascii_whitespace())
        .unwrap_or(text.len());
    (&text[..end], &text[end..])
}

/// Drops a trailing `# comment` from an unquoted directive argument.
fn strip_comment(text: &str) -> &str {
    match text.find('#') {
        Some(at) => &text[..at],
        None => text,
    }
}

/// A value after `=`: quotes, escapes and a trailing comment.
fn parse_value(raw: &str, line: usize, file: &Path) -> Result<String, Error> {
    let raw = raw.trim_start();
    let mut chars = raw.chars().peekable();
    let quote = match chars.peek() {
        Some('\'') | Some('"') => chars.next(),
        _ => None,
    };
    let mut value = String::new();
    let closed = quote.is_none();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('b') => value.push('\u{8}'),
                Some('t') => value.push('\t'),
                Some('n') => value.push('\n'),
                Some('r') => value.push('\r'),
                Some('s') => value.push(' '),
                Some('\\') => value.push('\\'),
                Some('"') => value.push('"'),
                Some('\'') => value.push('\''),
                Some(other) => {
                    value.push('\\');
                    value.push(other);
                }
                None => value.push('\\'),
            },
            c if Some(c) == quote => {
                let rest: String = chars.collect();
                let rest = rest.trim();
                if !rest.is_empty() && !rest.starts_with('#') {
                    return Err(Error {
                        file: file.to_path_buf(),
                        line,
                        message: "text after a quoted value".to_string(),
                    });
                }
                return Ok(value);
            }
            '#' if quote.is_none() => break,
            c => value.push(c),
        }
    }
    if !closed {
        return Err(Error {
            file: file.to_path_buf(),
            line,
            message: "a quoted value without its closing quote".to_string(),
        });
    }
    Ok(value.trim_end().to_string())
}

/// What a reader function returns for one path.
pub enum Source {
    /// The file's text.
    File(String),
    /// The sorted entries of a directory (for `!includedir`).
    Dir(Vec<PathBuf>),
    /// Nothing there.
    Missing,
}

/// The options of the wanted groups, later values overriding earlier ones,
/// and remarks (skipped includes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    pub values: BTreeMap<String, Option<String>>,
    pub notes: Vec<String>,
}

impl Options {
    /// The value of option `name` (normalised), if set with a value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(&normalise_name(name))
            .and_then(|v| v.as_deref())
    }
}

/// Includes nested deeper than this are an error (a file that includes itself).
pub const MAX_DEPTH: usize = 10;

/// Reads `file` and what it includes through `read`, keeping the options of
/// `groups` (lowercase names). A missing top file is an error: the caller
/// named it.
pub fn load(
    file: &Path,
    groups: &[&str],
    read: &mut dyn FnMut(&Path) -> Result<Source, String>,
) -> Result<Options, Error> {
    let mut options = Options::default();
    match read(file).map_err(|message| Error {
        file: file.to_path_buf(),
        line: 0,
        message,
    })? {
        Source::File(text) => load_text(&text, file, groups, read, 0, &mut options)?,
        Source::Dir(_) => {
            return Err(Error {
                file: file.to_path_buf(),
                line: 0,
                message: "is a directory, not an option file".to_string(),
            })
        }
        Source::Missing => {
            return Err(Error {
                file: file.to_path_buf(),
                line: 0,
                message: "no such file".to_string(),
            })
        }
    }
    Ok(options)
}

fn load_text(
    text: &str,
    file: &Path,
    groups: &[&str],
    read: &mut dyn FnMut(&Path) -> Result<Source, String>,
    depth: usize,
    options: &mut Options,
) -> Result<(), Error> {
    if depth > MAX_DEPTH {
        return Err(Error {
            file: file.to_path_buf(),
            line: 0,
            message: format!("includes nested deeper than {MAX_DEPTH} levels"),
        });
    }
    let mut wanted = false;
    for line in parse(text, file)? {
        match line {
            Line::Group(name) => wanted = groups.contains(&name.as_str()),
            Line::Option { name, value, .. } => {
                if wanted {
                    options.values.insert(name, value);
                }
            }
            Line::Include(path) => include(&path, groups, read, depth, options, false)?,
            Line::IncludeDir(dir) => match read(&dir).map_err(|message| Error {
                file: dir.clone(),
                line: 0,
                message,
            })? {
                Source::Dir(entries) => {
                    for entry in entries {
                        if entry.extension().is_some_and(|e| e == "cnf") {
                            include(&entry, groups, read, depth, options, true)?;
                        }
                    }
                }
                Source::File(_) => options.notes.push(format!(
                    "!includedir {} is not a directory, skipped",
                    dir.display()
                )),
                Source::Missing => options.notes.push(format!(
                    "!includedir {} does not exist, skipped",
                    dir.display()
                )),
            },
        }
    }
    Ok(())
}

fn include(
    path: &Path,
    groups: &[&str],
    read: &mut dyn FnMut(&Path) -> Result<Source, String>,
    depth: usize,
    options: &mut Options,
    from_dir: bool,
) -> Result<(), Error> {
    match read(path).map_err(|message| Error {
        file: path.to_path_buf(),
        line: 0,
        message,
    })? {
        Source::File(text) => load_text(&text, path, groups, read, depth + 1, options),
        Source::Dir(_) if from_dir => Ok(()),
        Source::Dir(_) => {
            options.notes.push(format!(
                "!include {} is a directory, skipped",
                path.display()
            ));
            Ok(())
        }
        Source::Missing => {
            options.notes.push(format!(
                "!include {} does not exist, skipped",
                path.display()
            ));
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn p(text: &str) -> Result<Vec<Line>, Error> {
        parse(text, Path::new("/x/my.cnf"))
    }

    fn opt(name: &str, value: Option<&str>, line: usize) -> Line {
        Line::Option {
            name: name.to_string(),
            value: value.map(str::to_string),
            line,
        }
    }

    #[test]
    fn groups_options_and_comments() {
        let text = "# comment\n; also\n\n[Client]\nuser = monitor\npassword=s3cret # trailing\n\
                    skip-ssl\nloose-default-character-set=utf8\n[mysqld]\nport=3306\n";
        assert_eq!(
            p(text).unwrap(),
            vec![
                Line::Group("client".into()),
                opt("user", Some("monitor"), 5),
                opt("password", Some("s3cret"), 6),
                opt("skip_ssl", None, 7),
                opt("default_character_set", Some("utf8"), 8),
                Line::Group("mysqld".into()),
                opt("port", Some("3306"), 10),
            ]
        );
    }

    #[test]
    fn quotes_and_escapes() {
        let text = "[client]\npassword = \"a#b c\"  # comment\nuser='it''s'\n\
                    host=a\\sb\\\\c\\Sd\nsocket = \"/run/my sql\\\"d\"\nempty=\npass2='x\\'y'\n";
        let lines = p("[client]\npassword = \"a#b c\"  # comment\n").unwrap();
        assert_eq!(lines[1], opt("password", Some("a#b c"), 2));
        // Text after the closing quote is an error, as the client says.
        assert!(p(text).is_err());
        let text =
            "[client]\nhost=a\\sb\\\\c\\Sd\nsocket = \"/run/my sql\\\"d\"\nempty=\npass2='x\\'y'\n";
        let lines = p(text).unwrap();
        assert_eq!(lines[1], opt("host", Some("a b\\c\\Sd"), 2));
        assert_eq!(lines[2], opt("socket", Some("/run/my sql\"d"), 3));
        assert_eq!(lines[3], opt("empty", Some(""), 4));
        assert_eq!(lines[4], opt("pass2", Some("x'y"), 5));
        assert!(p("[client]\npassword=\"open\n").is_err());
    }

    #[test]
    fn errors_name_the_line() {
        let e = p("user=x\n").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.to_string().contains("before the first [group]"), "{e}");
        assert_eq!(p("[client\n").unwrap_err().line, 1);
        assert_eq!(p("[]\n").unwrap_err().line, 1);
        assert_eq!(p("[client]\n=x\n").unwrap_err().line, 2);
        assert_eq!(p("!include\n").unwrap_err().line, 1);
        assert!(p("!frobnicate x\n").is_err());
        // A directive may come before any group.
        assert_eq!(
            p("!include /etc/a.cnf # x\n!includedir /etc/conf.d\n").unwrap(),
            vec![
                Line::Include("/etc/a.cnf".into()),
                Line::IncludeDir("/etc/conf.d".into())
            ]
        );
    }

    fn fs(files: &[(&str, &str)]) -> impl FnMut(&Path) -> Result<Source, String> {
        let map: HashMap<PathBuf, String> = files
            .iter()
            .map(|(k, v)| (PathBuf::from(k), v.to_string()))
            .collect();
        move |path: &Path| {
            if let Some(text) = map.get(path) {
                return Ok(Source::File(text.clone()));
            }
            let mut entries: Vec<PathBuf> = map
                .keys()
                .filter(|k| k.parent() == Some(path))
                .cloned()
                .collect();
            if entries.is_empty() {
                Ok(Source::Missing)
            } else {
                entries.sort();
                Ok(Source::Dir(entries))
            }
        }
    }

    #[test]
    fn includes_keep_their_own_groups_and_later_values_win() {
        let mut read = fs(&[
            (
                "/etc/my.cnf",
                "[client]\nuser=a\n!include /etc/extra.cnf\npassword=outer\n\
                 !includedir /etc/my.cnf.d\n!include /etc/missing.cnf\n",
            ),
            (
                "/etc/extra.cnf",
                "[client]\nuser=b\n[mysqld]\npassword=server\n",
            ),
            ("/etc/my.cnf.d/20-b.cnf", "[client]\nport=3307\n"),
            ("/etc/my.cnf.d/10-a.cnf", "[client]\nport=3306\nhost=db1\n"),
            ("/etc/my.cnf.d/readme.txt", "[client]\nhost=ignored\n"),
        ]);
        let o = load(Path::new("/etc/my.cnf"), &["client"], &mut read).unwrap();
        assert_eq!(o.get("user"), Some("b"));
        // The group of the including file goes on after the include.
        assert_eq!(o.get("password"), Some("outer"));
        assert_eq!(o.get("port"), Some("3307"));
        assert_eq!(o.get("host"), Some("db1"));
        assert_eq!(o.notes.len(), 1, "{:?}", o.notes);
        assert!(o.notes[0].contains("/etc/missing.cnf"));
    }

    #[test]
    fn named_groups_override_client() {
        let mut read = fs(&[(
            "/c.cnf",
            "[client]\nuser=a\npassword=x\n[check_mysql]\nuser=monitor\n",
        )]);
        let o = load(Path::new("/c.cnf"), &["client", "check_mysql"], &mut read).unwrap();
        assert_eq!(o.get("user"), Some("monitor"));
        assert_eq!(o.get("password"), Some("x"));
        let o = load(Path::new("/c.cnf"), &["client"], &mut read).unwrap();
        assert_eq!(o.get("user"), Some("a"));
    }

    #[test]
    fn a_missing_top_file_and_include_loops_are_errors() {
        let mut read = fs(&[("/loop.cnf", "!include /loop.cnf\n")]);
        let e = load(Path::new("/nope.cnf"), &["client"], &mut read).unwrap_err();
        assert!(e.to_string().contains("no such file"), "{e}");
        let e = load(Path::new("/loop.cnf"), &["client"], &mut read).unwrap_err();
        assert!(e.to_string().contains("nested deeper"), "{e}");
    }
}
