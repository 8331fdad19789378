//! Connection settings as libpq resolves them: an option given on the command
//! line, else its `PG*` environment variable, else libpq's default. Kept out of
//! the binary so that the resolution order is unit-tested.

use super::client::{ConnectOptions, SslMode};
use super::{parse_hosts, HostSpec as Host};
use crate::runner::Failure;
use std::path::PathBuf;
use std::time::Instant;

/// What the command line gave (`None`: not given).
#[derive(Debug, Clone, Default)]
pub struct Given {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub dbname: Option<String>,
    pub sslmode: Option<SslMode>,
    pub sslrootcert: Option<PathBuf>,
}

/// Where the values not given come from: the environment and the OS user.
pub struct Environment<'a> {
    /// A variable's value when set and non-empty.
    pub var: &'a dyn Fn(&str) -> Option<String>,
    /// The effective user's name, from the password database.
    pub os_name: Option<String>,
    /// The home directory (`HOME`, else the password database's).
    pub home: Option<PathBuf>,
}

impl Environment<'static> {
    /// This process's environment.
    pub fn process() -> Environment<'static> {
        let (os_name, os_home) = crate::env::os_user();
        Environment {
            var: &crate::env::var,
            os_name,
            home: crate::env::var("HOME").map(PathBuf::from).or(os_home),
        }
    }
}

/// The hosts to ask and how to connect to them, by libpq's rules.
pub fn resolve(
    given: &Given,
    env: &Environment,
    deadline: Instant,
) -> Result<(Vec<Host>, ConnectOptions), Failure> {
    let var = env.var;
    let port = match (given.port, var("PGPORT")) {
        (Some(p), _) => p,
        (None, Some(p)) => match p.parse::<u16>() {
            Ok(p) if p > 0 => p,
            _ => {
                return Err(Failure::unknown(format!(
                    "PGPORT '{p}' is not a port number"
                )))
            }
        },
        (None, None) => 5432,
    };
    let host_list = given
        .host
        .clone()
        .or_else(|| var("PGHOST"))
        .unwrap_or_else(|| "localhost".to_string());
    let hosts = parse_hosts(&host_list, port).map_err(Failure::unknown)?;
    let sslmode = match (given.sslmode, var("PGSSLMODE")) {
        (Some(m), _) => m,
        (None, Some(m)) => m
            .parse()
            .map_err(|e| Failure::unknown(format!("PGSSLMODE: {e}")))?,
        (None, None) => SslMode::Prefer,
    };
    let user = given
        .user
        .clone()
        .or_else(|| var("PGUSER"))
        .or_else(|| env.os_name.clone())
        .ok_or_else(|| Failure::unknown("no user name: give -U or set PGUSER"))?;
    let sslrootcert = given
        .sslrootcert
        .clone()
        .or_else(|| var("PGSSLROOTCERT").map(PathBuf::from))
        .or_else(|| {
            let default = env.home.as_ref()?.join(".postgresql/root.crt");
            default.exists().then_some(default)
        });
    let connect = ConnectOptions {
        user,
        dbname: given
            .dbname
            .clone()
            .or_else(|| var("PGDATABASE"))
            .unwrap_or_else(|| "postgres".to_string()),
        // Empty counts as unset, as in libpq (the password file is read then).
        password: var("PGPASSWORD"),
        passfile: super::pgpass::default_path(var("PGPASSFILE").as_deref(), env.home.as_deref()),
        sslmode,
        sslrootcert,
        deadline,
    };
    Ok((hosts, connect))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve_with(
        given: &Given,
        vars: &[(&str, &str)],
    ) -> Result<(Vec<Host>, ConnectOptions), Failure> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = move |name: &str| {
            vars.iter()
                .find(|(k, v)| k == name && !v.is_empty())
                .map(|(_, v)| v.clone())
        };
        let env = Environment {
            var: &lookup,
            os_name: Some("nagios".into()),
            home: Some(PathBuf::from("/nonexistent-home")),
        };
        resolve(given, &env, Instant::now())
    }

    #[test]
    fn the_command_line_wins_over_the_environment_which_wins_over_defaults() {
        let (hosts, c) = resolve_with(&Given::default(), &[]).unwrap();
        assert_eq!(hosts.len(), 1);
        assert_eq!(c.user, "nagios");
        assert_eq!(c.dbname, "postgres");
        assert_eq!(c.sslmode, SslMode::Prefer);
        assert_eq!(c.passfile, Some(PathBuf::from("/nonexistent-home/.pgpass")));

        let env = [
            ("PGUSER", "monitor"),
            ("PGDATABASE", "sre"),
            ("PGHOST", "em1,em2"),
            ("PGSSLMODE", "require"),
        ];
        let (hosts, c) = resolve_with(&Given::default(), &env).unwrap();
        assert_eq!(hosts.len(), 2);
        assert_eq!(
            (c.user.as_str(), c.dbname.as_str(), c.sslmode),
            ("monitor", "sre", SslMode::Require)
        );

        let given = Given {
            user: Some("cli".into()),
            host: Some("db".into()),
            ..Given::default()
        };
        let (hosts, c) = resolve_with(&given, &env).unwrap();
        assert_eq!(hosts.len(), 1);
        assert_eq!(c.user, "cli");
    }

    #[test]
    fn bad_environment_values_are_unknown_and_name_the_variable() {
        for (var, value) in [("PGPORT", "x"), ("PGPORT", "0"), ("PGSSLMODE", "maybe")] {
            let e = resolve_with(&Given::default(), &[(var, value)])
                .err()
                .unwrap();
            assert_eq!(e.state, crate::State::Unknown);
            assert!(e.message.contains(var), "{}", e.message);
        }
        // Empty counts as unset, as in libpq.
        assert!(resolve_with(&Given::default(), &[("PGPORT", "")]).is_ok());
    }
}
