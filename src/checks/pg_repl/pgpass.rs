//! libpq's password file (`~/.pgpass`, or the file `PGPASSFILE` names), read the
//! way libpq reads it, so that a monitoring host configured for `psql` works
//! unchanged.
//!
//! Each line is `hostname:port:database:username:password`; `*` in one of the
//! first four fields matches anything; `\` escapes the next character (`\:`,
//! `\\`); lines starting with `#` are comments; the first matching line wins. A
//! connection through a Unix socket matches its socket directory (as libpq
//! does for a directory other than its default one) and the host name
//! `localhost` (as libpq does for its default directory). As in
//! libpq, a file that is not a plain file, or that the group or others can
//! access, is ignored with a warning (the password stays secret only if the
//! file does).
//!
//! No well-kept crate does this (the few on crates.io are unmaintained and skip
//! the permission rule), so this is a small parser with its tests beside it.

use std::path::{Path, PathBuf};

/// What identifies a connection in the password file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target<'a> {
    /// The host as given (not resolved); the directory for a Unix socket.
    pub host: &'a str,
    pub port: u16,
    pub database: &'a str,
    pub user: &'a str,
}

/// Splits a line into its fields, removing escapes. A field's bool is true when
/// it was a bare `*` (a wildcard); `\*` is a literal star.
fn fields(line: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut escaped_any = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                escaped_any = true;
                if let Some(next) = chars.next() {
                    field.push(next);
                }
            }
            ':' if out.len() < 4 => {
                let wildcard = field == "*" && !escaped_any;
                out.push((std::mem::take(&mut field), wildcard));
                escaped_any = false;
            }
            c => field.push(c),
        }
    }
    out.push((field, false));
    out
}

/// The password of the first line of `content` that matches `target`.
pub fn lookup(content: &str, target: &Target) -> Option<String> {
    let port = target.port.to_string();
    for raw in content.lines() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields = fields(line);
        if fields.len() < 5 {
            continue;
        }
        let wanted = [target.host, port.as_str(), target.database, target.user];
        let socket = target.host.starts_with('/');
        let matches =
            fields
                .iter()
                .zip(wanted)
                .enumerate()
                .all(|(i, ((value, wildcard), want))| {
                    *wildcard || value == want || (i == 0 && socket && value == "localhost")
                });
        if matches {
            return Some(fields[4].0.clone());
        }
    }
    None
}

/// Where the password file is: `PGPASSFILE`, else `~/.pgpass`.
pub fn default_path(pgpassfile: Option<&str>, home: Option<&Path>) -> Option<PathBuf> {
    match pgpassfile {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => home.map(|h| h.join(".pgpass")),
    }
}

/// Reads the password file at `path` as libpq does. `Ok(None)` when it does not
/// exist; `Err(warning)` when it exists but must be ignored or cannot be read.
pub fn read(path: &Path) -> Result<Option<String>, String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("password file {} unreadable: {e}", path.display())),
    };
    if !meta.is_file() {
        return Err(format!(
            "password file {} is not a plain file, ignored",
            path.display()
        ));
    }
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(format!(
            "password file {} has group or world access, ignored; permissions should be u=rw (0600) or less",
            path.display()
        ));
    }
    std::fs::read_to_string(path)
        .map(Some)
        .map_err(|e| format!("password file {} unreadable: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn t<'a>(host: &'a str, port: u16, database: &'a str, user: &'a str) -> Target<'a> {
        Target {
            host,
            port,
            database,
            user,
        }
    }

    #[test]
    fn first_matching_line_wins_and_wildcards_match() {
        let file = "# comment\n\
                    em1:5432:postgres:monitor:first\n\
                    *:5432:*:monitor:second\n\
                    *:*:*:*:fallback\n";
        assert_eq!(
            lookup(file, &t("em1", 5432, "postgres", "monitor")).as_deref(),
            Some("first")
        );
        assert_eq!(
            lookup(file, &t("em2", 5432, "sre", "monitor")).as_deref(),
            Some("second")
        );
        assert_eq!(
            lookup(file, &t("em2", 5433, "sre", "monitor")).as_deref(),
            Some("fallback")
        );
        assert_eq!(
            lookup(
                "em1:5432:postgres:monitor:x\n",
                &t("em2", 5432, "postgres", "monitor")
            ),
            None
        );
    }

    #[test]
    fn escapes_short_lines_and_crlf() {
        let file = "short:line\n\
                    db\\:host:5432:*:mon:pa\\:ss\\\\word:with:colons\r\n\
                    \\*:5432:*:*:literal-star\n";
        assert_eq!(
            lookup(file, &t("db:host", 5432, "x", "mon")).as_deref(),
            Some("pa:ss\\word:with:colons")
        );
        // `\*` is a host literally named "*", not a wildcard.
        assert_eq!(lookup(file, &t("other", 5432, "x", "y")), None);
        assert_eq!(
            lookup(file, &t("*", 5432, "x", "y")).as_deref(),
            Some("literal-star")
        );
        // An empty password is a password.
        assert_eq!(
            lookup("*:*:*:*:\n", &t("a", 1, "b", "c")).as_deref(),
            Some("")
        );
    }

    #[test]
    fn a_socket_matches_its_directory_or_localhost() {
        let file = "/run/pg-em1:5432:*:monitor:by-path\n\
                    localhost:5432:*:monitor:local\n";
        // A socket directory of its own, written as libpq wants it.
        assert_eq!(
            lookup(file, &t("/run/pg-em1", 5432, "postgres", "monitor")).as_deref(),
            Some("by-path")
        );
        // The default directory, written as localhost.
        assert_eq!(
            lookup(file, &t("/var/run/postgresql", 5432, "postgres", "monitor")).as_deref(),
            Some("local")
        );
        // A TCP host is not a socket.
        assert_eq!(lookup(file, &t("em1", 5432, "postgres", "monitor")), None);
    }

    #[test]
    fn pgpassfile_overrides_home() {
        assert_eq!(
            default_path(Some("/etc/x"), Some(Path::new("/home/n"))),
            Some(PathBuf::from("/etc/x"))
        );
        assert_eq!(
            default_path(None, Some(Path::new("/home/n"))),
            Some(PathBuf::from("/home/n/.pgpass"))
        );
        assert_eq!(
            default_path(Some(""), Some(Path::new("/h"))),
            Some(PathBuf::from("/h/.pgpass"))
        );
        assert_eq!(default_path(None, None), None);
    }

    #[test]
    fn permissions_rule_like_libpq() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pgpass");
        assert_eq!(read(&path), Ok(None), "a missing file is no error");
        std::fs::write(&path, "*:*:*:*:s\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read(&path), Ok(Some("*:*:*:*:s\n".to_string())));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let warning = read(&path).unwrap_err();
        assert!(warning.contains("group or world access"), "{warning}");
        assert!(read(dir.path()).unwrap_err().contains("not a plain file"));
    }
}
