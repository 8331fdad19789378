//! What the MySQL/MariaDB plugins share: where to connect and with which
//! credentials ([`resolve`], from the options, the option files and
//! `MYSQL_PWD`), the option file reader ([`optfile`]) and, with the `mysql`
//! feature, the connection itself ([`conn`]).
//!
//! The password never comes from the command line. In order: the option file
//! named with `--defaults-file` (then no other file is read, as in the
//! client), `MYSQL_PWD`, then `~/.my.cnf`. The groups read are `[client]`,
//! `[client-server]` and `[client-mariadb]` (as the MariaDB client), then the
//! `--defaults-group` when one is given (its values win). Options given on the
//! command line win over the files.

pub mod args;
#[cfg(feature = "mysql")]
pub mod conn;
pub mod optfile;

use crate::runner::Failure;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The socket a server on Debian and Ubuntu listens on (MariaDB and MySQL packages).
pub const DEFAULT_SOCKET: &str = "/run/mysqld/mysqld.sock";
pub const DEFAULT_PORT: u16 = 3306;

/// The connection options as given on the command line.
#[derive(Debug, Clone, Default)]
pub struct Given {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub socket: Option<PathBuf>,
    pub user: Option<String>,
    pub database: Option<String>,
    pub defaults_file: Option<PathBuf>,
    pub defaults_group: Option<String>,
    pub ssl_mode: Option<SslMode>,
    pub ssl_ca: Option<PathBuf>,
}

/// How to reach the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    Tcp { host: String, port: u16 },
    Socket(PathBuf),
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Address::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Address::Tcp { host, port } => write!(f, "{host}:{port}"),
            Address::Socket(path) => write!(f, "socket {}", path.display()),
        }
    }
}

/// TLS as the mysql client's `--ssl-mode` (MySQL 5.7+ names); the default is
/// `DISABLED` here (the client's `PREFERRED` falls back to plain text
/// silently, which a check should not do behind its user's back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    #[default]
    Disabled,
    /// Encrypted; the certificate is not checked (unless a CA is given: then as VERIFY_CA).
    Required,
    /// Encrypted; the chain checked against `ssl-ca` (else the system's roots).
    VerifyCa,
    /// As VERIFY_CA, and the certificate must name the host.
    VerifyIdentity,
}

impl std::str::FromStr for SslMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().replace('-', "_").as_str() {
            "DISABLED" => Ok(SslMode::Disabled),
            "REQUIRED" => Ok(SslMode::Required),
            "VERIFY_CA" => Ok(SslMode::VerifyCa),
            "VERIFY_IDENTITY" => Ok(SslMode::VerifyIdentity),
            _ => Err(format!(
                "invalid ssl-mode '{s}' (DISABLED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY)"
            )),
        }
    }
}

/// Everything needed to connect, and remarks for the output (file warnings).
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    pub address: Address,
    pub user: String,
    pub password: Option<String>,
    pub database: Option<String>,
    pub ssl_mode: SslMode,
    /// CA certificate(s), PEM.
    pub ssl_ca: Option<PathBuf>,
    pub notes: Vec<String>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("address", &self.address)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("database", &self.database)
            .finish()
    }
}

/// The environment [`resolve`] looks at, so that it is tested without the process's own.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `MYSQL_PWD` (empty counts as unset).
    pub mysql_pwd: Option<String>,
    /// The home directory for `~/.my.cnf`.
    pub home: Option<PathBuf>,
    /// The user name when none is given (the client uses the login name).
    pub login: Option<String>,
}

impl Env {
    /// The process's environment.
    pub fn from_process() -> Env {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Env {
            mysql_pwd: var("MYSQL_PWD"),
            home: var("HOME").map(PathBuf::from),
            login: var("USER").or_else(|| var("LOGNAME")),
        }
    }
}

/// Reads an option file from disk for [`optfile::load`], with the client's
/// permission rules: a world-writable file is ignored (the client does the
/// same), a world-readable one is used with a warning (it holds a password).
fn disk_reader(
    notes: &mut Vec<String>,
) -> impl FnMut(&Path) -> Result<optfile::Source, String> + '_ {
    move |path: &Path| {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(optfile::Source::Missing)
            }
            Err(e) => return Err(format!("cannot read: {e}")),
        };
        if meta.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| format!("cannot list: {e}"))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            entries.sort();
            return Ok(optfile::Source::Dir(entries));
        }
        let mode = meta.permissions().mode();
        if mode & 0o002 != 0 {
            notes.push(format!(
                "WARNING: {} is world-writable and was ignored, as the mysql client ignores it",
                path.display()
            ));
            return Ok(optfile::Source::File(String::new()));
        }
        if mode & 0o004 != 0 {
            notes.push(format!(
                "WARNING: {} is readable by every user (mode {:o}); it holds credentials: chmod 600 it",
                path.display(),
                mode & 0o777
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
        Ok(optfile::Source::File(
            String::from_utf8_lossy(&bytes).into_owned(),
        ))
    }
}

/// Where to connect and as whom. A named option file that is missing or
/// malformed is UNKNOWN (the plugin cannot do what it was told); a malformed
/// `~/.my.cnf` too. An empty option value is UNKNOWN.
pub fn resolve(given: &Given, env: &Env) -> Result<Target, Failure> {
    let mut notes = Vec::new();
    let mut groups: Vec<String> = vec![
        "client".into(),
        "client-server".into(),
        "client-mariadb".into(),
    ];
    if let Some(group) = &given.defaults_group {
        if group.trim().is_empty() {
            return Err(Failure::unknown("--defaults-group is empty"));
        }
        groups.push(group.trim().to_ascii_lowercase());
    }
    let group_refs: Vec<&str> = groups.iter().map(String::as_str).collect();
    let (file_options, named) = match &given.defaults_file {
        Some(path) => {
            let mut reader = disk_reader(&mut notes);
            let options = optfile::load(path, &group_refs, &mut reader)
                .map_err(|e| Failure::unknown(format!("option file {e}")))?;
            (Some(options), true)
        }
        None => match &env.home {
            Some(home) => {
                let path = home.join(".my.cnf");
                if path.exists() {
                    let mut reader = disk_reader(&mut notes);
                    let options = optfile::load(&path, &group_refs, &mut reader)
                        .map_err(|e| Failure::unknown(format!("option file {e}")))?;
                    (Some(options), false)
                } else {
                    (None, false)
                }
            }
            None => (None, false),
        },
    };
    let file = |name: &str| {
        file_options
            .as_ref()
            .and_then(|o| o.get(name))
            .map(str::to_string)
    };
    if let Some(o) = &file_options {
        notes.extend(o.notes.iter().cloned());
    }
    let host = given.host.clone().or_else(|| file("host"));
    let port = match given.port {
        Some(p) => p,
        None => match file("port") {
            Some(text) => text.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
                Failure::unknown(format!("option file: port '{text}' is not a port number"))
            })?,
            None => DEFAULT_PORT,
        },
    };
    let socket = given
        .socket
        .clone()
        .or_else(|| file("socket").map(PathBuf::from));
    // As the client: -S or no host / "localhost" means the Unix socket.
    let address = match (&host, &socket) {
        (_, Some(socket)) if given.host.is_none() || given.socket.is_some() => {
            Address::Socket(socket.clone())
        }
        (None, _) => Address::Socket(PathBuf::from(DEFAULT_SOCKET)),
        (Some(h), _) if h == "localhost" => {
            Address::Socket(socket.unwrap_or_else(|| PathBuf::from(DEFAULT_SOCKET)))
        }
        (Some(h), _) => Address::Tcp {
            host: h.clone(),
            port,
        },
    };
    let user = given
        .user
        .clone()
        .or_else(|| file("user"))
        .or_else(|| env.login.clone())
        .ok_or_else(|| Failure::unknown("no user name: give -u or set user in an option file"))?;
    let password = if named {
        file("password").or_else(|| env.mysql_pwd.clone())
    } else {
        env.mysql_pwd.clone().or_else(|| file("password"))
    };
    let database = given.database.clone().or_else(|| file("database"));
    for (what, value) in [("host", &host), ("user", &Some(user.clone()))] {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(Failure::unknown(format!("the {what} is empty")));
        }
    }
    let ssl_mode = match (given.ssl_mode, file("ssl_mode")) {
        (Some(mode), _) => mode,
        (None, Some(text)) => text
            .parse()
            .map_err(|e| Failure::unknown(format!("option file: {e}")))?,
        // The client's `ssl` option alone asks for encryption.
        (None, None)
            if file_options
                .as_ref()
                .is_some_and(|o| o.values.contains_key("ssl")) =>
        {
            SslMode::Required
        }
        (None, None) => SslMode::Disabled,
    };
    let ssl_ca = given
        .ssl_ca
        .clone()
        .or_else(|| file("ssl_ca").map(PathBuf::from));
    Ok(Target {
        address,
        user,
        password,
        database,
        ssl_mode,
        ssl_ca,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn write(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    #[test]
    fn named_file_wins_over_the_environment_and_home_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            ".my.cnf",
            "[client]\nuser=home\npassword=pw-home\n",
            0o600,
        );
        let named = write(
            dir.path(),
            "mon.cnf",
            "[client]\nuser=mon\npassword=file\nhost=db1\nport=3307\n",
            0o600,
        );
        let env = Env {
            mysql_pwd: Some("env".into()),
            home: Some(dir.path().to_path_buf()),
            login: Some("me".into()),
        };
        let t = resolve(
            &Given {
                defaults_file: Some(named),
                ..Given::default()
            },
            &env,
        )
        .unwrap();
        assert_eq!(t.user, "mon");
        assert_eq!(t.password.as_deref(), Some("file"));
        assert_eq!(
            t.address,
            Address::Tcp {
                host: "db1".into(),
                port: 3307
            }
        );
        assert!(t.notes.is_empty(), "{:?}", t.notes);
        // Without a named file: MYSQL_PWD, then ~/.my.cnf.
        let t = resolve(&Given::default(), &env).unwrap();
        assert_eq!(t.user, "home");
        assert_eq!(t.password.as_deref(), Some("env"));
        assert_eq!(t.address, Address::Socket(DEFAULT_SOCKET.into()));
        let t = resolve(
            &Given::default(),
            &Env {
                mysql_pwd: None,
                ..env.clone()
            },
        )
        .unwrap();
        assert_eq!(t.password.as_deref(), Some("pw-home"));
        assert!(
            !format!("{t:?}").contains("pw-home"),
            "Debug hides the password"
        );
    }

    #[test]
    fn missing_named_file_is_unknown_and_world_readable_warns() {
        let dir = tempfile::tempdir().unwrap();
        let env = Env::default();
        let e = resolve(
            &Given {
                defaults_file: Some(dir.path().join("nope.cnf")),
                user: Some("u".into()),
                ..Given::default()
            },
            &env,
        )
        .unwrap_err();
        assert_eq!(e.state, crate::State::Unknown);
        assert!(
            e.message.contains("nope.cnf") && e.message.contains("no such file"),
            "{e}"
        );
        let open = write(
            dir.path(),
            "open.cnf",
            "[client]\npassword=x\nuser=u\n",
            0o644,
        );
        let t = resolve(
            &Given {
                defaults_file: Some(open),
                ..Given::default()
            },
            &env,
        )
        .unwrap();
        assert_eq!(t.password.as_deref(), Some("x"));
        assert_eq!(t.notes.len(), 1);
        assert!(
            t.notes[0].contains("readable by every user"),
            "{:?}",
            t.notes
        );
        let writable = write(dir.path(), "w.cnf", "[client]\npassword=x\nuser=u\n", 0o666);
        let t = resolve(
            &Given {
                defaults_file: Some(writable),
                user: Some("u".into()),
                ..Given::default()
            },
            &env,
        )
        .unwrap();
        assert_eq!(t.password, None);
        assert!(t.notes[0].contains("ignored"), "{:?}", t.notes);
    }

    #[test]
    fn ssl_modes() {
        assert_eq!(
            "verify-identity".parse::<SslMode>(),
            Ok(SslMode::VerifyIdentity)
        );
        assert_eq!("REQUIRED".parse::<SslMode>(), Ok(SslMode::Required));
        assert!("PREFERRED".parse::<SslMode>().is_err());
        let dir = tempfile::tempdir().unwrap();
        let f = write(
            dir.path(),
            "s.cnf",
            "[client]\nuser=u\nssl\nssl-ca=/etc/ca.pem\n",
            0o600,
        );
        let t = resolve(
            &Given {
                defaults_file: Some(f),
                ..Given::default()
            },
            &Env::default(),
        )
        .unwrap();
        assert_eq!(t.ssl_mode, SslMode::Required);
        assert_eq!(t.ssl_ca, Some(PathBuf::from("/etc/ca.pem")));
    }

    #[test]
    fn command_line_wins_and_socket_rules() {
        let dir = tempfile::tempdir().unwrap();
        let f = write(
            dir.path(),
            "a.cnf",
            "[client]\nhost=db1\nsocket=/tmp/s.sock\nuser=a\n[mon]\nuser=b\n",
            0o600,
        );
        let given = Given {
            defaults_file: Some(f.clone()),
            defaults_group: Some("mon".into()),
            ..Given::default()
        };
        let t = resolve(&given, &Env::default()).unwrap();
        assert_eq!(t.user, "b");
        // A socket in the file and a host in the file: the socket (no -H given).
        assert_eq!(t.address, Address::Socket("/tmp/s.sock".into()));
        let t = resolve(
            &Given {
                host: Some("127.0.0.1".into()),
                port: Some(3310),
                user: Some("c".into()),
                ..given.clone()
            },
            &Env::default(),
        )
        .unwrap();
        assert_eq!(t.user, "c");
        assert_eq!(t.address.to_string(), "127.0.0.1:3310");
        let e = resolve(
            &Given {
                defaults_group: Some(" ".into()),
                ..given
            },
            &Env::default(),
        )
        .unwrap_err();
        assert!(e.message.contains("--defaults-group"));
    }
}
