//! The connection options both MySQL plugins take, as one clap group to
//! flatten (the database stays each plugin's own: its default differs), and
//! the ITL `mysql` variable names they map to.

use super::{Given, SslMode};
use clap::builder::NonEmptyStringValueParser;
use std::path::PathBuf;

/// `-H/-P/-S/-u`, the option files and TLS. Passwords never come from here.
#[derive(clap::Args, Debug, Clone)]
pub struct ConnectionArgs {
    /// Server host name or address (TCP). Without it, or with `localhost`, the Unix socket
    #[arg(short = 'H', long = "host", value_name = "HOST", value_parser = NonEmptyStringValueParser::new())]
    pub host: Option<String>,

    /// TCP port (default 3306, or `port` from the option file)
    #[arg(short = 'P', long = "port", value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,

    /// Unix socket (default /run/mysqld/mysqld.sock, or `socket` from the option file)
    #[arg(short = 'S', long = "socket", value_name = "PATH")]
    pub socket: Option<PathBuf>,

    /// User name (default `user` from the option file, else the login name)
    #[arg(short = 'u', long = "user", value_name = "USER", value_parser = NonEmptyStringValueParser::new())]
    pub user: Option<String>,

    /// Read credentials and connection options from this option file only (my.cnf syntax)
    #[arg(long = "defaults-file", value_name = "FILE")]
    pub defaults_file: Option<PathBuf>,

    /// Also read this group of the option files (after [client]; its values win)
    #[arg(long = "defaults-group", value_name = "GROUP", value_parser = NonEmptyStringValueParser::new())]
    pub defaults_group: Option<String>,

    /// TLS: DISABLED (default, or `ssl-mode` of the option file), REQUIRED (encrypted, the
    /// certificate unchecked unless --ssl-ca is given), VERIFY_CA, VERIFY_IDENTITY (also the
    /// host name). rustls; no fallback to plain text
    #[arg(long = "ssl-mode", value_name = "MODE")]
    pub ssl_mode: Option<SslMode>,

    /// CA certificate(s), PEM, to check the server's certificate with (or `ssl-ca` of the
    /// option file); without it VERIFY_CA uses the system's roots
    #[arg(long = "ssl-ca", value_name = "FILE")]
    pub ssl_ca: Option<PathBuf>,
}

impl ConnectionArgs {
    /// What the command line gave, with the plugin's `database`.
    pub fn given(&self, database: Option<String>) -> Given {
        Given {
            host: self.host.clone(),
            port: self.port,
            socket: self.socket.clone(),
            user: self.user.clone(),
            database,
            defaults_file: self.defaults_file.clone(),
            defaults_group: self.defaults_group.clone(),
            ssl_mode: self.ssl_mode,
            ssl_ca: self.ssl_ca.clone(),
        }
    }
}
