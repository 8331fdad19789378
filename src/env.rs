//! What a plugin reads from its environment: variables (empty counts as unset,
//! as libpq and the MySQL client treat them) and the effective user's name and
//! home directory, for the per-user option files (`~/.pgpass`, `~/.my.cnf`).

use std::path::PathBuf;

/// The variable `name` when it is set to something; empty counts as unset.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The effective user's name and home directory, from the password database.
pub fn os_user() -> (Option<String>, Option<PathBuf>) {
    // SAFETY: getpwuid returns a pointer into static storage or NULL; the strings
    // are copied out at once, before any other call could reuse that storage.
    unsafe {
        let pw = libc::getpwuid(libc::geteuid());
        if pw.is_null() {
            return (None, None);
        }
        let text = |p: *const libc::c_char| {
            (!p.is_null()).then(|| std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned())
        };
        (text((*pw).pw_name), text((*pw).pw_dir).map(PathBuf::from))
    }
}

/// The home directory: `HOME`, else the password database's.
pub fn home() -> Option<PathBuf> {
    var("HOME").map(PathBuf::from).or_else(|| os_user().1)
}
