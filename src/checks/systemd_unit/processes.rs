//! The `CGroup:` part of `systemctl status`: the PIDs in the unit's cgroup
//! (`cgroup.procs`, cgroup v2 or the v1 systemd hierarchy) and the
//! `--expect-process` counts among them, through the core's
//! [`crate::procs`] and [`crate::proc_match`].

use super::show::Properties;
use super::{label, shown, Expect, Unit};
use crate::output::Item;
use crate::perfdata::{Perfdata, Uom};
use crate::proc_match::{self, Filter, Table};
use crate::runner::Failure;
use crate::status::State;
use crate::threshold::Thresholds;
use std::path::{Path, PathBuf};

/// The cgroup hierarchies a ControlGroup path is looked up in, in order: the
/// unified hierarchy when `/sys/fs/cgroup` is cgroup v2, else the v1
/// `name=systemd` hierarchy, then a hybrid host's `unified` one.
pub fn cgroup_roots(root: Option<&Path>) -> Vec<PathBuf> {
    if let Some(root) = root {
        return vec![root.to_path_buf()];
    }
    let base = Path::new("/sys/fs/cgroup");
    if base.join("cgroup.controllers").exists() {
        vec![base.to_path_buf()]
    } else {
        vec![base.join("systemd"), base.join("unified")]
    }
}

/// The PIDs in cgroup `control_group` and the cgroups below it (sorted), read
/// from `cgroup.procs`; the directory it was found in.
pub fn cgroup_pids(roots: &[PathBuf], control_group: &str) -> Result<(Vec<i32>, PathBuf), String> {
    let relative = control_group.trim_start_matches('/');
    if relative.split('/').any(|c| c == "..") {
        return Err(format!(
            "ControlGroup '{}' is not a cgroup path",
            shown(control_group)
        ));
    }
    let Some(dir) = roots
        .iter()
        .map(|r| r.join(relative))
        .find(|d| d.join("cgroup.procs").exists())
    else {
        let looked: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
        return Err(format!(
            "cgroup {} not found under {}",
            shown(control_group),
            looked.join(" or ")
        ));
    };
    let mut pids = Vec::new();
    let mut pending = vec![(dir.clone(), 0usize)];
    let mut seen_dirs = 0usize;
    while let Some((current, depth)) = pending.pop() {
        seen_dirs += 1;
        let procs = current.join("cgroup.procs");
        match std::fs::read_to_string(&procs) {
            Ok(text) => pids.extend(text.lines().filter_map(|l| l.trim().parse::<i32>().ok())),
            // A sub-cgroup removed while it was read is not an error; the unit's own is.
            Err(e) if current == dir => {
                return Err(format!("cannot read {}: {e}", procs.display()))
            }
            Err(_) => continue,
        }
        if depth >= 16 || seen_dirs > 4096 {
            continue;
        }
        if let Ok(entries) = std::fs::read_dir(&current) {
            for entry in entries.flatten() {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    pending.push((entry.path(), depth + 1));
                }
            }
        }
    }
    pids.sort_unstable();
    pids.dedup();
    Ok((pids, dir))
}

/// How many processes of `table` each expected name has: instances of a
/// program (a process started by another process of the same name is one of
/// its workers, not another daemon; see [`proc_match::find_daemons`]), or every
/// process with the title.
pub fn count_expected(table: &Table, expect: &[Expect]) -> Vec<Vec<i32>> {
    let names: Vec<&str> = expect
        .iter()
        .filter(|e| !proc_match::is_title(&e.name))
        .map(|e| e.name.as_str())
        .collect();
    let daemons = proc_match::find_daemons(table, &names, &Filter::default());
    expect
        .iter()
        .map(|e| {
            if proc_match::is_title(&e.name) {
                table
                    .all()
                    .iter()
                    .filter(|p| proc_match::title_matches(p, &e.name))
                    .map(|p| p.pid)
                    .collect()
            } else {
                daemons
                    .iter()
                    .find(|d| d.name == e.name)
                    .map(|d| d.instance_pids())
                    .unwrap_or_default()
            }
        })
        .collect()
}

/// Counts `expect` among `pids` and judges each count: the items (each with
/// its perfdata), the perfdata alone, and how many expected processes were found.
fn judge_processes(
    pids: &[i32],
    expect: &[Expect],
    prefix: &str,
) -> Result<(Vec<Item>, Vec<Perfdata>, usize), Failure> {
    let table = crate::procs::snapshot_of(pids.iter().copied())
        .map_err(|e| Failure::unknown(format!("cannot read the process table: {e}")))?;
    let table = Table::new(&table);
    let counts = count_expected(&table, expect);
    let (mut items, mut perf, mut found) = (Vec::new(), Vec::new(), 0);
    for (e, matched) in expect.iter().zip(&counts) {
        let thresholds = Thresholds::new(None, Some(e.range.clone()));
        let judged = thresholds.judge(label(prefix, &e.name), matched.len() as f64, Uom::None);
        let name = shown(&e.name);
        let text = match (matched.len(), judged.state) {
            (0, State::Ok) => format!("no {name} (expected {})", e.range),
            (0, _) => format!("{name} missing"),
            (n, State::Ok) => format!("{name} ×{n}"),
            (n, _) => format!("{name} ×{n}, expected {}", e.range),
        };
        found += matched.len();
        perf.push(judged.perfdata.clone());
        let mut item = judged.item(text);
        if !matched.is_empty() {
            let list: Vec<String> = matched.iter().map(|p| p.to_string()).collect();
            item = item.detail(1, format!("PIDs {}", list.join(", ")));
        }
        items.push(item);
    }
    Ok((items, perf, found))
}

/// With several units, `--expect-process` counts in all their cgroups together.
pub(super) fn judge_processes_of_all(
    units: &[(String, Properties)],
    expect: &[Expect],
    roots: &[PathBuf],
) -> Result<Item, Failure> {
    let mut pids = Vec::new();
    let mut problems = Vec::new();
    for (name, props) in units {
        if let Some(cg) = props.get("ControlGroup") {
            match cgroup_pids(roots, cg) {
                Ok((found, _)) => pids.extend(found),
                Err(e) if props.get("ActiveState") == Some("active") => {
                    problems.push(format!("{}: {e}", shown(name)))
                }
                Err(_) => {}
            }
        }
    }
    pids.sort_unstable();
    pids.dedup();
    let names: Vec<String> = units.iter().map(|(n, _)| shown(n)).collect();
    let (items, _, found) = judge_processes(&pids, expect, "")?;
    let worst = State::worst_of(items.iter().map(|i| i.state));
    let mut item = if !problems.is_empty() {
        Item::new(
            State::Unknown,
            format!("processes unknown: {}", problems.join("; ")),
        )
    } else if worst == State::Ok {
        Item::new(
            State::Ok,
            format!(
                "{found} expected {} of {} in the cgroups of {}",
                if found == 1 { "process" } else { "processes" },
                pids.len(),
                names.join(", ")
            ),
        )
    } else {
        let texts: Vec<&str> = items
            .iter()
            .filter(|i| i.state == worst)
            .map(|i| i.text.as_str())
            .collect();
        Item::new(
            worst,
            format!(
                "{} in the cgroups of {}",
                texts.join(", "),
                names.join(", ")
            ),
        )
    };
    for child in items {
        item = item.child(child);
    }
    Ok(item)
}

/// The processes section of one unit: each expected process counted in its
/// cgroup; a unit that is not active keeps the perfdata only.
pub(super) fn judge(unit: &mut Unit, expect: &[Expect], roots: &[PathBuf]) -> Result<(), Failure> {
    let (props, prefix, active) = (unit.props, unit.prefix, unit.active);
    let cgroup = props.get("ControlGroup");
    let pids = match cgroup {
        None => Ok(Vec::new()),
        Some(cg) => cgroup_pids(roots, cg).map(|(pids, _)| pids),
    };
    match pids {
        Err(e) if active => {
            unit.findings
                .push(Item::new(State::Unknown, format!("processes unknown: {e}")));
            for e in expect {
                unit.perf
                    .push(Perfdata::unknown(label(prefix, &e.name), Uom::None));
            }
        }
        pids => {
            let pids = pids.unwrap_or_default();
            let (items, counts, found) = judge_processes(&pids, expect, prefix)?;
            if active {
                unit.findings.extend(items);
                unit.healthy.push(format!(
                    "{found} expected {} of {} in its cgroup",
                    if found == 1 { "process" } else { "processes" },
                    pids.len()
                ));
            } else {
                // The unit's state says it all; keep the perfdata only.
                unit.perf.extend(counts);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proc_match::tests::proc;

    #[test]
    fn sre_daemons_and_postgres_titles_are_counted() {
        let table = vec![
            proc(
                18447,
                1,
                "supervisord",
                &["/opt/sre/bin/python", "/opt/sre/bin/supervisord", "-n"],
            ),
            proc(
                18463,
                18447,
                "sre-REST",
                &["/opt/sre/bin/python", "/opt/sre/bin/sre-REST"],
            ),
            proc(
                18464,
                18447,
                "python",
                &["/opt/sre/bin/python", "/opt/sre/bin/sre-cdr-collector"],
            ),
            proc(
                5234,
                1,
                "postmaster",
                &[
                    "/usr/pgsql-14/bin/postmaster",
                    "-D",
                    "/var/lib/pgsql/14/data/",
                ],
            ),
            proc(
                7353,
                5234,
                "postmaster",
                &["postgres: walsender repmgr 10.0.161.181(40814) streaming F/60DFDC00"],
            ),
            proc(
                8854,
                5234,
                "postmaster",
                &["postgres: walsender repmgr 10.0.161.182(47168) streaming F/60DFDC00"],
            ),
            proc(
                17337,
                5234,
                "postmaster",
                &["postgres: sre sre 127.0.0.1(43842) idle"],
            ),
        ];
        let t = Table::new(&table);
        let expect: Vec<Expect> = [
            "supervisord",
            "sre-REST",
            "sre-gui",
            "postgres: walsender",
            "postmaster",
        ]
        .iter()
        .map(|n| n.parse().unwrap())
        .collect();
        let counts = count_expected(&t, &expect);
        assert_eq!(
            counts,
            vec![
                vec![18447],
                vec![18463],
                vec![],
                vec![7353, 8854],
                vec![5234]
            ]
        );
    }

    #[test]
    fn cgroup_procs_are_read_with_the_cgroups_below() {
        let root = tempfile::tempdir().unwrap();
        let unit = root.path().join("system.slice/sre.service");
        std::fs::create_dir_all(unit.join("sub")).unwrap();
        std::fs::write(unit.join("cgroup.procs"), "18447\n18463\n").unwrap();
        std::fs::write(unit.join("sub/cgroup.procs"), "18463\n9\n").unwrap();
        let roots = vec![root.path().join("none"), root.path().to_path_buf()];
        let (pids, dir) = cgroup_pids(&roots, "/system.slice/sre.service").unwrap();
        assert_eq!(pids, vec![9, 18447, 18463]);
        assert_eq!(dir, unit);
        let err = cgroup_pids(&roots, "/system.slice/gone.service").unwrap_err();
        assert!(err.contains("not found under"), "{err}");
        assert!(cgroup_pids(&roots, "/../etc").is_err());
    }
}
