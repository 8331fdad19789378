//! Seon (OFTP2 / ISDN file transfer) daemons, as the Seon guide "check running
//! daemons" checks them by hand with `ps -ef | grep` and `lsof -p PID | grep
//! LISTEN`: the receive master `seonrd` once, its receivers as its children, the
//! send queue daemon `seonsqd` once (its running actions allowed), the debug
//! daemon `seondebugd` once, with Seon Enterprise the client daemon
//! `seonclientd` at least once (its children must not hold its listening
//! port), each listening where it should; and the PIDs the daemons recorded
//! must belong to running daemons, or a daemon will refuse to start.
//!
//! Process names follow [`crate::proc_match`]: argv[0]'s program name,
//! else the kernel's `comm` (cut at 15 characters).
//!
//! `daemons` judges each daemon as the guide lists them, `recorded` the PIDs
//! they recorded; this module holds the options and the run.

mod daemons;
mod recorded;

pub use daemons::evaluate;
pub use recorded::{parse_recorded, read_recorded, Recorded, RecordedPid};

use crate::proc_match::{identify, read_sockets, Filter};
use crate::procs;
use crate::runner::{CheckResult, Failure};
use std::collections::HashSet;
use std::path::PathBuf;
use std::str::FromStr;

pub const MASTER: &str = "seonrd";
pub const SEND_QUEUE: &str = "seonsqd";
pub const DEBUG: &str = "seondebugd";
pub const CLIENT: &str = "seonclientd";
/// The receivers of the guide other than the ISDN ones (`seonrd_capi_N`).
pub const DEFAULT_RECEIVERS: [&str; 2] = ["seonrd_tcpip", "seonrd_tcpip_tls"];

/// The guide's listening ports.
pub const DEFAULT_PORTS: [(&str, u16); 4] = [
    ("seonrd_tcpip", 3305),
    ("seonrd_tcpip_tls", 6619),
    (DEBUG, 10001),
    (CLIENT, 60000),
];

/// The guide's remedy for a PID recorded in the database with no daemon behind it.
pub const FORCED_MODE_HINT: &str =
    "start it in forced mode, which overrides the PID check at daemon start";

/// `--listen NAME=PORT` (or `NAME=none` to check no port for NAME).
#[derive(Debug, Clone, PartialEq)]
pub struct Listen {
    pub name: String,
    pub port: Option<u16>,
}

impl FromStr for Listen {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, port) = s
            .split_once('=')
            .ok_or_else(|| format!("'{s}' is not NAME=PORT"))?;
        let name = name.trim();
        if name.is_empty() {
            return Err(format!("'{s}' has no daemon name before '='"));
        }
        let port = match port.trim() {
            "none" | "-" => None,
            p => Some(
                p.parse::<u16>()
                    .ok()
                    .filter(|&p| p > 0)
                    .ok_or_else(|| format!("'{p}' in '{s}' is not a TCP port (1-65535)"))?,
            ),
        };
        Ok(Listen {
            name: name.to_string(),
            port,
        })
    }
}

/// Where the PIDs the daemons recorded come from.
#[derive(Debug, Clone, Default)]
pub enum PidSource {
    #[default]
    None,
    File(PathBuf),
    /// A command (split like a shell would, never run by one) printing `name pid` lines.
    Command(String),
}

pub struct Options {
    /// Every child expected under the master, ISDN receivers included.
    pub receivers: Vec<String>,
    pub enterprise: bool,
    pub listen: Vec<Listen>,
    pub filter: Filter,
    pub pid_source: PidSource,
}

impl Options {
    /// The receivers from `--receiver` (default the guide's two) and `--capi N`.
    pub fn receivers(given: &[String], capi: u32) -> Vec<String> {
        let mut list: Vec<String> = if given.is_empty() {
            DEFAULT_RECEIVERS.iter().map(|s| s.to_string()).collect()
        } else {
            given.to_vec()
        };
        list.extend((0..capi).map(|n| format!("seonrd_capi_{n}")));
        let mut seen = HashSet::new();
        list.retain(|name| seen.insert(name.clone()));
        list
    }

    /// The daemons to look for, in the guide's order.
    pub fn names(&self) -> Vec<String> {
        let mut names = vec![MASTER.to_string()];
        names.extend(self.receivers.iter().cloned());
        names.push(SEND_QUEUE.to_string());
        names.push(DEBUG.to_string());
        if self.enterprise {
            names.push(CLIENT.to_string());
        }
        names
    }

    /// The port `name` must listen on: `--listen` wins over the guide's default.
    pub fn port(&self, name: &str) -> Option<u16> {
        match self.listen.iter().rev().find(|l| l.name == name) {
            Some(l) => l.port,
            None => DEFAULT_PORTS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, p)| *p),
        }
    }
}

/// A `--listen` for a daemon this check never looks at is a typo: say so
/// rather than check nothing (`seonclientd` is accepted without `--enterprise`).
pub fn validate(options: &Options) -> Result<(), Failure> {
    // A name no program can have would page "not running" forever (and an
    // empty one breaks the perfdata).
    if let Some(bad) = options
        .receivers
        .iter()
        .find(|r| r.is_empty() || r.contains(char::is_whitespace))
    {
        return Err(Failure::unknown(format!(
            "--receiver '{bad}': not a program name (empty or with blanks)"
        )));
    }
    let names = options.names();
    for listen in &options.listen {
        if !names.contains(&listen.name) && listen.name != CLIENT {
            return Err(Failure::unknown(format!(
                "--listen {}: not a daemon this check looks at ({})",
                listen.name,
                names.join(", ")
            )));
        }
    }
    Ok(())
}

/// Reads the process table, the sockets and the recorded PIDs, and judges them.
pub fn check(options: &Options) -> CheckResult {
    validate(options)?;
    // The recorded PIDs first: a daemon that starts while the source is read
    // (a database query can take seconds) is then in the process table, not
    // taken for a stale PID.
    let recorded = read_recorded(&options.pid_source);
    crate::timeout::set_activity("reading the process table");
    let procs = procs::snapshot()
        .map_err(|e| Failure::unknown(format!("cannot read the process table: {e}")))?;
    let names = options.names();
    // The sockets of the daemons and of everything they started.
    let mut candidates: HashSet<i32> = procs
        .iter()
        .filter(|p| identify(p, &names).is_some())
        .map(|p| p.pid)
        .collect();
    loop {
        let before = candidates.len();
        candidates.extend(
            procs
                .iter()
                .filter(|p| candidates.contains(&p.ppid))
                .map(|p| p.pid)
                .collect::<Vec<_>>(),
        );
        if candidates.len() == before {
            break;
        }
    }
    let mut ports: Vec<u16> = names.iter().filter_map(|n| options.port(n)).collect();
    ports.sort_unstable();
    ports.dedup();
    let (listeners, owners) = read_sockets(&candidates, &ports)
        .map_err(|e| Failure::unknown(format!("cannot read the listening sockets: {e}")))?;
    Ok(evaluate(options, &procs, &listeners, &owners, &recorded))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proc_match::tests::{listener, proc};
    use crate::procs::{Listener, ProcessInfo};
    use crate::status::State;
    use std::collections::HashMap;

    pub(super) fn options() -> Options {
        Options {
            receivers: Options::receivers(&[], 1),
            enterprise: false,
            listen: Vec::new(),
            filter: Filter::default(),
            pid_source: PidSource::None,
        }
    }

    /// The guide's `ps -ef` output, with the sockets `lsof` showed.
    pub(super) fn guide_table() -> (Vec<ProcessInfo>, Vec<Listener>, HashMap<u64, Vec<i32>>) {
        let procs = vec![
            proc(1, 0, "init", &["/sbin/init"]),
            proc(3771, 1, "seonrd", &["/opt/seon/bin/seonrd"]),
            proc(3772, 3771, "seonrd", &["seonrd_tcpip        "]),
            proc(3773, 3771, "seonrd", &["seonrd_tcpip_tls    "]),
            proc(3774, 3771, "seonrd", &["seonrd_capi_0       "]),
            proc(3823, 1, "seonsqd", &["/opt/seon/bin/seonsqd"]),
            proc(4724, 1, "seondebugd", &["/opt/seon/bin/seondebugd"]),
            proc(4979, 1, "seonclientd", &["/opt/seon/bin/seonclientd"]),
        ];
        let listeners = vec![
            listener(3305, 84960962, false),
            listener(6619, 84960964, false),
            listener(10001, 84970858, false),
            listener(60000, 84639858, true),
        ];
        let owners = HashMap::from([
            (84960962, vec![3772]),
            (84960964, vec![3773]),
            (84970858, vec![4724]),
            (84639858, vec![4979]),
        ]);
        (procs, listeners, owners)
    }

    pub(super) fn run(
        options: &Options,
        t: &(Vec<ProcessInfo>, Vec<Listener>, HashMap<u64, Vec<i32>>),
    ) -> (State, String) {
        let check = evaluate(options, &t.0, &t.1, &t.2, &Recorded::NotGiven);
        (check.state(), check.render_text("SEON_DAEMONS", 1))
    }

    #[test]
    fn listen_option() {
        assert_eq!(
            "seonrd_tcpip=3306".parse::<Listen>().unwrap(),
            Listen {
                name: "seonrd_tcpip".into(),
                port: Some(3306)
            }
        );
        assert_eq!("x=none".parse::<Listen>().unwrap().port, None);
        assert!("x=0".parse::<Listen>().is_err());
        assert!("x=70000".parse::<Listen>().unwrap_err().contains("70000"));
        assert!("3305".parse::<Listen>().is_err());
        let mut o = options();
        assert_eq!(o.port("seonrd_tcpip_tls"), Some(6619));
        assert_eq!(o.port("seonrd_capi_0"), None);
        o.listen = vec!["seonrd_capi_0=7000".parse().unwrap()];
        assert_eq!(o.port("seonrd_capi_0"), Some(7000));
        assert!(validate(&o).is_ok());
        o.listen.push("seonclientd=60001".parse().unwrap());
        assert!(
            validate(&o).is_ok(),
            "clientd's port may be set without --enterprise"
        );
        let mut blank = options();
        blank.receivers = Options::receivers(&["".into()], 0);
        assert!(validate(&blank)
            .unwrap_err()
            .message
            .contains("--receiver ''"));
        blank.receivers = Options::receivers(&["seonrd tcpip".into()], 0);
        assert!(validate(&blank).is_err());
        o.listen.push("seonrd_tcip=3305".parse().unwrap());
        assert!(validate(&o)
            .unwrap_err()
            .message
            .contains("--listen seonrd_tcip: not a daemon this check looks at"));
        assert_eq!(
            Options::receivers(&["seonrd_x".into()], 2),
            vec!["seonrd_x", "seonrd_capi_0", "seonrd_capi_1"]
        );
    }
}
