//! Guide files: TOML, one per platform role, read with the `toml` crate.
//!
//! ```toml
//! title = "Netaxis SRE: EM"            # optional, shown in reports
//! source = "SRE Health Check Guide"    # optional
//! via = ["ssh", "-o", "BatchMode=yes", "{host}"]   # optional, used with --host
//! timeout = 20                         # optional default per entry, seconds
//! [vars]                               # optional defaults for {placeholders}
//! peer = "em2"
//!
//! [[check]]
//! id = "sre-status"                    # unique, [a-z0-9_-]+
//! title = "Global status"
//! source = "§2.1"
//! command = ["check_sre_status", "--em", "{em}"]   # argv, no shell
//! timeout = 30                         # optional, seconds
//! requires = ["cac"]                   # optional, run only with --with cac
//! ```
//!
//! Unknown keys are errors (a typo must not silently drop a check), reported
//! with the file and line, as are syntax errors and invalid values.

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

/// A guide, checked and ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Guide {
    /// The file's stem: `sre-em` for `sre-em.toml`.
    pub name: String,
    pub path: PathBuf,
    pub title: String,
    pub source: Option<String>,
    pub via: Option<Vec<String>>,
    pub timeout: Option<Duration>,
    pub vars: BTreeMap<String, String>,
    pub entries: Vec<Entry>,
}

/// One `[[check]]` of a guide.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: String,
    pub title: String,
    pub source: String,
    pub command: Vec<String>,
    pub timeout: Option<Duration>,
    pub requires: Vec<String>,
    /// The line of its `id`, for messages.
    pub line: usize,
}

/// A guide that cannot be used: the file, the line when known, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuideError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for GuideError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{} line {line}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGuide {
    title: Option<String>,
    source: Option<String>,
    via: Option<Spanned<Vec<String>>>,
    #[serde(default, deserialize_with = "seconds")]
    timeout: Option<f64>,
    #[serde(default)]
    vars: BTreeMap<String, String>,
    #[serde(default, rename = "check")]
    checks: Vec<RawCheck>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    id: Spanned<String>,
    title: String,
    #[serde(default)]
    source: String,
    command: Spanned<Vec<String>>,
    #[serde(default, deserialize_with = "seconds")]
    timeout: Option<f64>,
    #[serde(default)]
    requires: Vec<String>,
}

/// Seconds as a TOML integer or float.
fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    struct Secs;
    impl Visitor<'_> for Secs {
        type Value = Option<f64>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a number of seconds")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
    }
    d.deserialize_any(Secs)
}

/// The line (from 1) of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// True for `[a-z0-9_-]+`, the form of ids and flags.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn duration(secs: f64, what: &str) -> Result<Duration, String> {
    if secs.is_finite() && secs > 0.0 && secs <= 86_400.0 {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err(format!(
            "{what} {secs} must be above 0 and at most 86400 seconds"
        ))
    }
}

/// Parses and checks a guide's text; `path` names it in messages and gives its name.
pub fn parse_guide(text: &str, path: &Path) -> Result<Guide, GuideError> {
    let error = |line: Option<usize>, message: String| GuideError {
        path: path.to_path_buf(),
        line,
        message,
    };
    let raw: RawGuide = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start));
        error(line, e.message().trim().to_string())
    })?;
    let via = match raw.via {
        Some(via) => {
            let line = line_of(text, via.span().start);
            let words = via.into_inner();
            if words.is_empty() || words[0].trim().is_empty() {
                return Err(error(Some(line), "via is empty".into()));
            }
            Some(words)
        }
        None => None,
    };
    let timeout = match raw.timeout {
        Some(secs) => Some(duration(secs, "timeout").map_err(|m| error(None, m))?),
        None => None,
    };
    for name in raw.vars.keys() {
        if !valid_var(name) {
            return Err(error(
                None,
                format!("variable name '{name}' is not [a-z_][a-z0-9_]*"),
            ));
        }
    }
    if raw.checks.is_empty() {
        return Err(error(None, "no [[check]] in this guide".into()));
    }
    let mut entries: Vec<Entry> = Vec::with_capacity(raw.checks.len());
    for check in raw.checks {
        let line = line_of(text, check.id.span().start);
        let at = |message: String| error(Some(line), message);
        let id = check.id.into_inner();
        if !valid_id(&id) {
            return Err(at(format!("id '{id}' is not [a-z0-9_-]+")));
        }
        if let Some(first) = entries.iter().find(|e| e.id == id) {
            return Err(at(format!(
                "id '{id}' is used twice (first on line {})",
                first.line
            )));
        }
        if check.title.trim().is_empty() {
            return Err(at(format!("check '{id}' has an empty title")));
        }
        let command = check.command.into_inner();
        if command.is_empty() || command[0].trim().is_empty() {
            return Err(at(format!("check '{id}' has an empty command")));
        }
        let timeout = match check.timeout {
            Some(secs) => Some(duration(secs, &format!("check '{id}': timeout")).map_err(at)?),
            None => None,
        };
        for flag in &check.requires {
            if !valid_id(flag) {
                return Err(at(format!(
                    "check '{id}': requires '{flag}' is not [a-z0-9_-]+"
                )));
            }
        }
        entries.push(Entry {
            id,
            title: check.title,
            source: check.source,
            command,
            timeout,
            requires: check.requires,
            line,
        });
    }
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "guide".to_string());
    Ok(Guide {
        title: raw.title.unwrap_or_else(|| name.clone()),
        name,
        path: path.to_path_buf(),
        source: raw.source,
        via,
        timeout,
        vars: raw.vars,
        entries,
    })
}

/// Reads and parses a guide file.
pub fn load_guide(path: &Path) -> Result<Guide, GuideError> {
    let text = std::fs::read_to_string(path).map_err(|e| GuideError {
        path: path.to_path_buf(),
        line: None,
        message: format!("cannot read it: {e}"),
    })?;
    parse_guide(&text, path)
}

/// Where `--guide NAME|FILE` is: a path when it has a `/` or ends in `.toml`,
/// else `NAME.toml` in the first of `dirs` that has it.
pub fn locate(guide: &str, dirs: &[PathBuf]) -> Result<PathBuf, String> {
    if guide.contains('/') || guide.ends_with(".toml") {
        return Ok(PathBuf::from(guide));
    }
    if !valid_id(guide) {
        return Err(format!("guide name '{guide}' is not [a-z0-9_-]+"));
    }
    for dir in dirs {
        let path = dir.join(format!("{guide}.toml"));
        if path.is_file() {
            return Ok(path);
        }
    }
    let dirs: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    Err(format!(
        "guide '{guide}' not found in {}",
        if dirs.is_empty() {
            "no directory".to_string()
        } else {
            dirs.join(", ")
        }
    ))
}

/// `[a-z_][a-z0-9_]*`: the names `{placeholders}` use.
pub fn valid_var(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_lowercase() || b == b'_')
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Fills `{name}` placeholders of one argument from `vars`. `{{` and `}}` are
/// literal braces; braces around anything that is not a variable name (a regex
/// such as `\d{3}`) are left as they are. An unset variable is an error naming it.
pub fn fill(word: &str, vars: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(word.len());
    let mut rest = word;
    while let Some(open) = rest.find(['{', '}']) {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if tail.starts_with('{') {
            if let Some(close) = tail.find('}') {
                let name = &tail[1..close];
                if valid_var(name) {
                    match vars.get(name) {
                        Some(value) => out.push_str(value),
                        None => {
                            return Err(format!(
                                "{{{name}}} is not set (--set {name}=VALUE or --vars FILE)"
                            ))
                        }
                    }
                    rest = &tail[close + 1..];
                    continue;
                }
            }
        }
        out.push_str(&tail[..1]);
        rest = &tail[1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A `--vars FILE`: a TOML table of `name = "value"` (numbers and booleans are taken as text).
pub fn parse_vars(text: &str, path: &Path) -> Result<BTreeMap<String, String>, GuideError> {
    let error = |line: Option<usize>, message: String| GuideError {
        path: path.to_path_buf(),
        line,
        message,
    };
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start));
        error(line, e.message().trim().to_string())
    })?;
    let mut vars = BTreeMap::new();
    for (name, value) in table {
        if !valid_var(&name) {
            return Err(error(
                None,
                format!("variable name '{name}' is not [a-z_][a-z0-9_]*"),
            ));
        }
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            _ => {
                return Err(error(
                    None,
                    format!("variable '{name}' must be a string or a number"),
                ))
            }
        };
        vars.insert(name, value);
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
title = "Test"
via = ["ssh", "{host}"]
timeout = 5
[vars]
peer = "em2"

[[check]]
id = "one"
title = "First"
source = "§2.1"
command = ["check_a", "--x", "{peer}"]

[[check]]
id = "two_2"
title = "Second"
command = ["/bin/true"]
timeout = 1.5
requires = ["cac"]
"#;

    fn path() -> &'static Path {
        Path::new("/g/test.toml")
    }

    #[test]
    fn a_good_guide_parses() {
        let g = parse_guide(GOOD, path()).unwrap();
        assert_eq!(g.name, "test");
        assert_eq!(g.title, "Test");
        assert_eq!(g.via.as_deref().unwrap(), ["ssh", "{host}"]);
        assert_eq!(g.timeout, Some(Duration::from_secs(5)));
        assert_eq!(g.vars["peer"], "em2");
        assert_eq!(g.entries.len(), 2);
        assert_eq!(g.entries[0].line, 9);
        assert_eq!(g.entries[0].source, "§2.1");
        assert_eq!(g.entries[1].timeout, Some(Duration::from_millis(1500)));
        assert_eq!(g.entries[1].requires, ["cac"]);
    }

    fn err(text: &str) -> GuideError {
        parse_guide(text, path()).unwrap_err()
    }

    #[test]
    fn a_typo_in_a_key_names_the_file_and_line() {
        let e = err(&GOOD.replace("title = \"Second\"", "titel = \"Second\""));
        assert_eq!(e.line, Some(16), "{e}");
        assert!(e.message.contains("titel"), "{e}");
        assert!(e.to_string().starts_with("/g/test.toml line 16: "), "{e}");
        let e = err(&GOOD.replace("timeout = 5", "timout = 5"));
        assert!(e.message.contains("timout"), "{e}");
        assert_eq!(e.line, Some(4));
    }

    #[test]
    fn syntax_errors_and_bad_values_are_errors_with_lines() {
        let e = err(&GOOD.replace("id = \"one\"", "id = one"));
        assert_eq!(e.line, Some(9), "{e}");
        let e = err(&GOOD.replace("id = \"two_2\"", "id = \"one\""));
        assert!(e.message.contains("used twice (first on line 9)"), "{e}");
        assert_eq!(e.line, Some(15));
        let e = err(&GOOD.replace("id = \"one\"", "id = \"One!\""));
        assert!(e.message.contains("'One!'"), "{e}");
        let e = err(&GOOD.replace("[\"/bin/true\"]", "[]"));
        assert!(e.message.contains("empty command"), "{e}");
        let e = err(&GOOD.replace("timeout = 1.5", "timeout = 0"));
        assert!(e.message.contains("timeout 0"), "{e}");
        let e = err(&GOOD.replace("timeout = 1.5", "timeout = \"soon\""));
        assert!(e.message.contains("seconds"), "{e}");
        let e = err("title = \"x\"\n");
        assert!(e.message.contains("no [[check]]"), "{e}");
        let e = err(&GOOD.replace("requires = [\"cac\"]", "requires = [\"C A C\"]"));
        assert!(e.message.contains("C A C"), "{e}");
    }

    #[test]
    fn placeholders_are_filled_or_named() {
        let mut vars = BTreeMap::new();
        vars.insert("peer".to_string(), "em2".to_string());
        assert_eq!(fill("{peer}", &vars).unwrap(), "em2");
        assert_eq!(fill("a-{peer}-b", &vars).unwrap(), "a-em2-b");
        assert_eq!(
            fill(r"\d{3} {2,5} {{peer}}", &vars).unwrap(),
            r"\d{3} {2,5} {peer}"
        );
        assert_eq!(fill("{", &vars).unwrap(), "{");
        assert_eq!(fill("}x{", &vars).unwrap(), "}x{");
        let e = fill("--host={host}", &vars).unwrap_err();
        assert!(e.starts_with("{host} is not set"), "{e}");
    }

    #[test]
    fn guides_are_found_by_name_in_order() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        std::fs::write(b.path().join("seon.toml"), GOOD).unwrap();
        let dirs = [a.path().to_path_buf(), b.path().to_path_buf()];
        assert_eq!(locate("seon", &dirs).unwrap(), b.path().join("seon.toml"));
        std::fs::write(a.path().join("seon.toml"), GOOD).unwrap();
        assert_eq!(locate("seon", &dirs).unwrap(), a.path().join("seon.toml"));
        let e = locate("staros", &dirs).unwrap_err();
        assert!(e.starts_with("guide 'staros' not found in "), "{e}");
        assert_eq!(
            locate("./x.toml", &dirs).unwrap(),
            PathBuf::from("./x.toml")
        );
    }

    #[test]
    fn vars_files_take_strings_and_numbers() {
        let vars = parse_vars("peer = \"em2\"\nport = 5432\n", path()).unwrap();
        assert_eq!(vars["port"], "5432");
        assert!(parse_vars("peer = [1]\n", path()).is_err());
        assert!(parse_vars("Peer = \"x\"\n", path()).is_err());
        assert_eq!(parse_vars("peer = \n", path()).unwrap_err().line, Some(1));
    }
}
