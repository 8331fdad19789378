//! The `-H` host list: host names, addresses (IPv6 in brackets before a port)
//! and Unix socket directories, each with its port. Its own module because
//! both the single-host and the cluster mode, and the client that connects,
//! start from it.

/// One `-H` entry: a host name, an address, or a Unix socket directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSpec {
    /// The entry as given: used in perfdata labels so they stay stable.
    pub given: String,
    pub host: String,
    pub port: u16,
}

impl HostSpec {
    pub fn is_socket(&self) -> bool {
        self.host.starts_with('/')
    }

    /// `em1:5432`, `[::1]:5432`, `/var/run/postgresql:5432`.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// Parses `-H host[:port][,host[:port]…]`: IPv6 addresses in brackets when a
/// port follows (`[::1]:5433`), a path starting with `/` is a socket directory.
pub fn parse_hosts(list: &str, default_port: u16) -> Result<Vec<HostSpec>, String> {
    let mut hosts: Vec<HostSpec> = Vec::new();
    for token in list.split(',').map(str::trim) {
        if token.is_empty() {
            return Err(format!("empty host in '{list}'"));
        }
        let port_of = |text: &str| -> Result<u16, String> {
            text.parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("invalid port '{text}' in host '{token}'"))
        };
        let (host, port) = if token.starts_with('/') {
            (token.to_string(), default_port)
        } else if let Some(rest) = token.strip_prefix('[') {
            let (addr, after) = rest
                .split_once(']')
                .ok_or_else(|| format!("missing ']' in host '{token}'"))?;
            match after {
                "" => (addr.to_string(), default_port),
                _ => match after.strip_prefix(':') {
                    Some(p) => (addr.to_string(), port_of(p)?),
                    None => return Err(format!("unexpected '{after}' in host '{token}'")),
                },
            }
        } else if token.matches(':').count() == 1 {
            let (h, p) = token.split_once(':').unwrap_or((token, ""));
            if h.is_empty() {
                return Err(format!("no host name in '{token}'"));
            }
            (h.to_string(), port_of(p)?)
        } else {
            // A bare IPv6 address (several colons) or a plain name.
            (token.to_string(), default_port)
        };
        let spec = HostSpec {
            given: token.to_string(),
            host,
            port,
        };
        if hosts
            .iter()
            .any(|h| h.host == spec.host && h.port == spec.port)
        {
            return Err(format!("host '{token}' is given twice"));
        }
        hosts.push(spec);
    }
    Ok(hosts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_ports_ipv6_and_sockets() {
        let hosts =
            parse_hosts("em1, em2:5433,[::1]:5434,fe80::1,/var/run/postgresql", 5432).unwrap();
        let got: Vec<(&str, u16)> = hosts.iter().map(|h| (h.host.as_str(), h.port)).collect();
        assert_eq!(
            got,
            [
                ("em1", 5432),
                ("em2", 5433),
                ("::1", 5434),
                ("fe80::1", 5432),
                ("/var/run/postgresql", 5432)
            ]
        );
        assert_eq!(hosts[1].given, "em2:5433");
        assert_eq!(hosts[2].address(), "[::1]:5434");
        assert!(hosts[4].is_socket());
        for bad in [
            "",
            "em1,,em2",
            "em1:0",
            "em1:x",
            "[::1",
            "[::1]x",
            ":5432",
            "em1,em1:5432",
        ] {
            assert!(parse_hosts(bad, 5432).is_err(), "{bad}");
        }
    }
}
