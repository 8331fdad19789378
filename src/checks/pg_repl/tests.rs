//! The judgement on realistic server answers (the seed's three standbys em2,
//! cp1, cp2 of the master EM) and their failure variants.

use super::*;
use crate::output::Check;

fn range(text: &str) -> Option<crate::range::Range> {
    Some(text.parse().unwrap())
}

fn opts() -> Options {
    Options {
        inactive_slot: State::Warning,
        ..Options::default()
    }
}

fn spec(given: &str) -> HostSpec {
    parse_hosts(given, 5432).unwrap().remove(0)
}

pub(super) fn client(app: &str, addr: &str, replay_bytes: f64, replay_lag: Option<f64>) -> Client {
    Client {
        pid: 7353,
        application_name: app.to_string(),
        client_addr: Some(addr.to_string()),
        client_port: Some(40814),
        state: Some("streaming".into()),
        sync_state: Some("async".into()),
        sent_bytes: Some(0.0),
        write_bytes: Some(0.0),
        flush_bytes: Some(0.0),
        replay_bytes: Some(replay_bytes),
        replay_lag,
        slot_name: None,
        ..Client::default()
    }
}

fn seed_primary() -> Node {
    Node {
        version: "14.12".into(),
        version_num: 140_012,
        started: None,
        view: View::Primary(PrimaryView {
            clients: vec![
                client("cp2", "10.0.161.183", 0.0, None),
                client("em2", "10.0.161.181", 0.0, None),
                client("cp1", "10.0.161.182", 0.0, None),
            ],
            slots: vec![],
            synchronous_standby_names: String::new(),
        }),
    }
}

fn standby_view(lag_bytes: f64, replay_age: f64) -> StandbyView {
    StandbyView {
        receiver_status: Some("streaming".into()),
        sender_host: Some("10.0.161.180".into()),
        sender_port: Some(5432),
        application_name: "em2".into(),
        receive_lsn: Some("F/605F7F68".into()),
        replay_lsn: Some(
            if lag_bytes == 0.0 {
                "F/605F7F68"
            } else {
                "F/60000000"
            }
            .into(),
        ),
        lag_bytes: Some(lag_bytes),
        replay_age: Some(replay_age),
        ..StandbyView::default()
    }
}

fn standby(view: StandbyView) -> Probe {
    Probe::Reached(Box::new(Node {
        version: "14.12".into(),
        version_num: 140_012,
        started: None,
        view: View::Standby(view),
    }))
}

fn text(check: &Check) -> String {
    check.render_text("PG_REPL", 1)
}

#[test]
fn seed_primary_with_three_standbys_is_ok() {
    let mut o = opts();
    o.min_standbys = Some(3);
    o.standbys = vec!["em2".into(), "10.0.161.182".into()];
    let check = evaluate_single(&spec("em1"), &Probe::Reached(Box::new(seed_primary())), &o);
    assert_eq!(check.state(), State::Ok, "{}", text(&check));
    let out = text(&check);
    assert!(out.starts_with("PG_REPL OK - primary, 3 standbys streaming, max lag 0 B, 0s | standbys=3;;3:;0 lag_bytes_cp2=0B;;;0 lag_seconds_cp2=0s;;;0"), "{out}");
    assert!(
        out.contains("[OK] em2 (10.0.161.181): streaming async, lag 0 B, 0s"),
        "{out}"
    );
}

#[test]
fn primary_problems() {
    let mut node = seed_primary();
    let View::Primary(view) = &mut node.view else {
        unreachable!()
    };
    view.clients[0].state = Some("catchup".into());
    view.clients[1].replay_bytes = Some(64.0 * 1024.0 * 1024.0);
    view.clients[1].replay_lag = Some(42.0);
    view.slots = vec![
        Slot {
            name: "old_cp3".into(),
            slot_type: "physical".into(),
            active: false,
            retained_bytes: Some(2e9),
            wal_status: Some("extended".into()),
        },
        Slot {
            name: "lost_one".into(),
            slot_type: "physical".into(),
            active: false,
            retained_bytes: None,
            wal_status: Some("lost".into()),
        },
    ];
    let mut o = opts();
    o.min_standbys = Some(3);
    o.standbys = vec!["cp9".into()];
    o.bytes = Thresholds::new(range("16777216"), range("134217728"));
    o.seconds = Thresholds::new(range("30"), range("300"));
    let check = evaluate_single(&spec("em1"), &Probe::Reached(Box::new(node)), &o);
    let out = text(&check);
    assert_eq!(check.state(), State::Critical, "{out}");
    // catchup is not streaming: one short of the minimum, and a WARNING of its own.
    assert!(
        out.contains("[CRITICAL] only 2 of at least 3 standbys streaming"),
        "{out}"
    );
    assert!(
        out.contains("[WARNING] cp2 (10.0.161.183): catchup, not streaming"),
        "{out}"
    );
    assert!(
        out.contains("[WARNING] em2 (10.0.161.181): streaming async, lag 64.0 MiB, 42s"),
        "{out}"
    );
    assert!(
        out.contains("[CRITICAL] standby cp9 is not connected"),
        "{out}"
    );
    assert!(
        out.contains("[WARNING] slot old_cp3 (physical) inactive, retains 1.9 GiB"),
        "{out}"
    );
    assert!(
        out.contains("[CRITICAL] slot lost_one (physical) inactive, retains ?, WAL lost"),
        "{out}"
    );
    assert!(
        out.contains("lag_bytes_em2=67108864B;16777216;134217728;0"),
        "{out}"
    );
    assert!(out.contains("slot_retained_lost_one=U"), "{out}");
    // Either metric alone raises the alarm.
    let mut o2 = opts();
    o2.seconds = Thresholds::new(None, range("10"));
    let mut node = seed_primary();
    let View::Primary(view) = &mut node.view else {
        unreachable!()
    };
    view.clients[2].replay_lag = Some(11.0);
    let check = evaluate_single(&spec("em1"), &Probe::Reached(Box::new(node)), &o2);
    assert_eq!(check.state(), State::Critical);
    assert!(check
        .summary()
        .starts_with("cp1 (10.0.161.182): streaming async, lag 0 B, 11s"));
}

#[test]
fn hidden_details_are_unknown_with_the_fix() {
    let mut node = seed_primary();
    let View::Primary(view) = &mut node.view else {
        unreachable!()
    };
    view.clients[0].state = None;
    let check = evaluate_single(&spec("em1"), &Probe::Reached(Box::new(node)), &opts());
    assert_eq!(check.state(), State::Unknown);
    assert!(check.summary().contains("grant it pg_monitor"));
    let view = StandbyView {
        receiver_hidden: true,
        ..StandbyView::default()
    };
    let check = evaluate_single(&spec("em2"), &standby(view), &opts());
    assert_eq!(check.state(), State::Unknown);
}

#[test]
fn null_replay_lag_is_zero_only_when_caught_up() {
    let caught_up = client("em2", "10.0.161.181", 0.0, None);
    assert_eq!(caught_up.lag_seconds(), Some(0.0));
    let behind = client("em2", "10.0.161.181", 4096.0, None);
    assert_eq!(behind.lag_seconds(), None);
    let measured = client("em2", "10.0.161.181", 4096.0, Some(1.5));
    assert_eq!(measured.lag_seconds(), Some(1.5));
}

#[test]
fn idle_primary_raises_no_delay_alarm() {
    let mut o = opts();
    o.seconds = Thresholds::new(range("60"), range("300"));
    // The last transaction was replayed two hours ago, and nothing came since.
    let idle = standby_view(0.0, 7200.0);
    assert_eq!(idle.delay(), Some(0.0));
    let check = evaluate_single(&spec("em2"), &standby(idle), &o);
    assert_eq!(check.state(), State::Ok, "{}", text(&check));
    assert!(text(&check).contains("lag_seconds_em2=0s;60;300;0"));
    // The same age with WAL waiting to be replayed is a real delay.
    let stuck = standby_view(6_000_000.0, 7200.0);
    assert_eq!(stuck.delay(), Some(7200.0));
    let check = evaluate_single(&spec("em2"), &standby(stuck), &o);
    assert_eq!(check.state(), State::Critical);
    assert!(
        check.summary().starts_with("replay lag 5.7 MiB, 2h"),
        "{}",
        check.summary()
    );
}

#[test]
fn wal_not_yet_received_is_a_delay() {
    // Everything received is replayed, but the sender reported 36 MiB more
    // (a slow link or a stalled sender): the standby is behind, not idle.
    let mut o = opts();
    o.seconds = Thresholds::new(range("60"), range("300"));
    let mut behind = standby_view(0.0, 400.0);
    behind.unreceived_bytes = Some(37_748_736.0);
    behind.sender_end_lsn = Some("F/62800000".into());
    assert!(!behind.caught_up());
    assert_eq!(behind.delay(), Some(400.0));
    let check = evaluate_single(&spec("em2"), &standby(behind), &o);
    assert_eq!(check.state(), State::Critical, "{}", text(&check));
    assert!(text(&check).contains("the sender has WAL up to F/62800000"));
    // The sender at the replay position: idle, no delay.
    let mut idle = standby_view(0.0, 400.0);
    idle.unreceived_bytes = Some(0.0);
    assert_eq!(idle.delay(), Some(0.0));
}

#[test]
fn standby_receiver_must_stream() {
    let mut gone = standby_view(0.0, 1.0);
    gone.receiver_status = None;
    let check = evaluate_single(&spec("em2"), &standby(gone), &opts());
    assert_eq!(check.state(), State::Critical);
    assert_eq!(check.summary(), "WAL receiver not running: not streaming");
    let mut waiting = standby_view(0.0, 1.0);
    waiting.receiver_status = Some("waiting".into());
    let check = evaluate_single(&spec("em2"), &standby(waiting), &opts());
    assert_eq!(check.summary(), "WAL receiver is waiting, not streaming");
    let ok = evaluate_single(&spec("em2"), &standby(standby_view(0.0, 1.0)), &opts());
    assert_eq!(
        ok.summary(),
        "standby streaming from 10.0.161.180:5432, replay lag 0 B, 0s"
    );
}

#[test]
fn wrong_role_is_critical() {
    let mut o = opts();
    o.role = Some(Role::Primary);
    let check = evaluate_single(&spec("em1"), &standby(standby_view(0.0, 1.0)), &o);
    assert_eq!(check.state(), State::Critical);
    assert_eq!(
        check.summary(),
        "is a standby, expected a primary (a failover happened?)"
    );
}

#[test]
fn failures_keep_their_state() {
    let probe = Probe::Failed {
        state: State::Critical,
        reason: "em1:5432: error connecting to server: Connection refused (os error 111)".into(),
    };
    let check = evaluate_single(&spec("em1"), &probe, &opts());
    assert_eq!(check.state(), State::Critical);
    let probe = Probe::Failed {
        state: State::Unknown,
        reason: "em1:5432: PostgreSQL 9.6.24 is not supported".into(),
    };
    assert_eq!(
        evaluate_single(&spec("em1"), &probe, &opts()).state(),
        State::Unknown
    );
}

fn cluster_host(given: &str, probe: Probe) -> ClusterHost {
    ClusterHost {
        spec: spec(given),
        probe,
        addresses: vec![],
    }
}

fn seed_cluster() -> Vec<ClusterHost> {
    let mut hosts = vec![cluster_host(
        "em1",
        Probe::Reached(Box::new(seed_primary())),
    )];
    for name in ["em2", "cp1", "cp2"] {
        let mut view = standby_view(0.0, 3.0);
        view.application_name = name.into();
        hosts.push(cluster_host(name, standby(view)));
    }
    hosts
}

#[test]
fn seed_cluster_is_ok() {
    let check = evaluate_cluster(&seed_cluster(), &opts());
    let out = text(&check);
    assert_eq!(check.state(), State::Ok, "{out}");
    assert!(out.starts_with("PG_REPL OK - primary em1, 3 of 3 standbys streaming, max lag 0 B, 0s | primaries=1;;1:1;0 standbys=3;;;0 lag_bytes_em2=0B;;;0"), "{out}");
    assert!(
        out.contains("\\_ [OK] streaming to em1:5432 as em2"),
        "{out}"
    );
}

#[test]
fn cluster_no_writer_split_brain_and_strays() {
    // A failover left two writers.
    let mut hosts = seed_cluster();
    hosts[1].probe = Probe::Reached(Box::new(seed_primary()));
    let check = evaluate_cluster(&hosts, &opts());
    assert_eq!(check.state(), State::Critical);
    assert!(
        check
            .summary()
            .starts_with("split brain: 2 primaries: em1, em2"),
        "{}",
        check.summary()
    );
    // The writer is down and nobody was promoted.
    let mut hosts = seed_cluster();
    hosts[0].probe = Probe::Failed {
        state: State::Critical,
        reason: "em1:5432: error connecting to server: Connection refused (os error 111)".into(),
    };
    let check = evaluate_cluster(&hosts, &opts());
    let out = text(&check);
    assert!(
        out.contains("[CRITICAL] no writer: no primary among the 3 reachable hosts"),
        "{out}"
    );
    assert!(
        out.contains("[CRITICAL] em1:5432: error connecting to server"),
        "{out}"
    );
    // A standby streaming from somewhere else (not among the primary's clients).
    let mut hosts = seed_cluster();
    if let Probe::Reached(node) = &mut hosts[3].probe {
        if let View::Standby(v) = &mut node.view {
            v.application_name = "walreceiver".into();
        }
    }
    let check = evaluate_cluster(&hosts, &opts());
    assert_eq!(check.state(), State::Critical);
    assert!(
        check
            .summary()
            .starts_with("cp2:5432: not among the standbys of primary em1:5432"),
        "{}",
        check.summary()
    );
}

#[test]
fn a_server_given_twice_is_no_split_brain() {
    // The writer's VIP next to the writer itself: one server, two names.
    let mut hosts = seed_cluster();
    let start = "2026-11-20 03:14:15.926535+00";
    if let Probe::Reached(node) = &mut hosts[0].probe {
        node.started = Some(start.into());
    }
    let mut vip = seed_primary();
    vip.started = Some(start.into());
    hosts.push(cluster_host("pg-vip", Probe::Reached(Box::new(vip))));
    let check = evaluate_cluster(&hosts, &opts());
    let out = text(&check);
    assert!(!out.contains("split brain"), "{out}");
    assert_eq!(check.state(), State::Unknown, "{out}");
    assert!(
        out.contains(
            "[UNKNOWN] pg-vip:5432: the same server as em1:5432 (same start time): give each server once"
        ),
        "{out}"
    );
    assert!(out.contains("primaries=1;;1:1;0"), "{out}");
    // Two writers that started at different times are a split brain.
    if let Probe::Reached(node) = &mut hosts[4].probe {
        node.started = Some("2026-11-24 23:59:00.000001+00".into());
    }
    let check = evaluate_cluster(&hosts, &opts());
    assert!(
        check
            .summary()
            .starts_with("split brain: 2 primaries: em1, pg-vip"),
        "{}",
        check.summary()
    );
}

/// The perfdata labels (not the values) of a check's first line.
fn labels(check: &Check) -> Vec<String> {
    let out = text(check);
    let perf = out.lines().next().unwrap().split_once(" | ").unwrap().1;
    perf.split(' ')
        .map(|p| p.split_once('=').unwrap().0.to_string())
        .collect()
}

#[test]
fn cluster_labels_stay_when_a_standby_or_the_writer_is_lost() {
    let healthy = labels(&evaluate_cluster(&seed_cluster(), &opts()));
    // A standby unreachable: its lag labels stay, without a value.
    let mut hosts = seed_cluster();
    hosts[2].probe = Probe::Failed {
        state: State::Critical,
        reason: "cp1:5432: no answer within 9.5 s while connecting".into(),
    };
    let check = evaluate_cluster(&hosts, &opts());
    assert_eq!(labels(&check), healthy);
    assert!(
        text(&check).contains(" lag_bytes_cp1=U;;;0 "),
        "{}",
        text(&check)
    );
    // No writer: the standbys count stays, without a value.
    let mut hosts = seed_cluster();
    hosts[0].probe = Probe::Failed {
        state: State::Critical,
        reason: "em1:5432: error connecting to server".into(),
    };
    let check = evaluate_cluster(&hosts, &opts());
    assert!(
        text(&check).contains("primaries=0;;1:1;0 standbys=U;;;0 lag_bytes_em1=U;;;0 "),
        "{}",
        text(&check)
    );
    // Split brain: the count stays too.
    let mut hosts = seed_cluster();
    hosts[1].probe = Probe::Reached(Box::new(seed_primary()));
    let check = evaluate_cluster(&hosts, &opts());
    assert!(
        text(&check).contains("primaries=2;;1:1;0 standbys=U;;;0 lag_bytes_cp1="),
        "{}",
        text(&check)
    );
}

#[test]
fn cluster_lag_takes_the_primary_view_too() {
    // The standby has replayed all it received, but the primary has sent far more.
    let mut hosts = seed_cluster();
    if let Probe::Reached(node) = &mut hosts[0].probe {
        if let View::Primary(v) = &mut node.view {
            v.clients[1].replay_bytes = Some(50_000_000.0);
            v.clients[1].replay_lag = Some(20.0);
        }
    }
    let mut o = opts();
    o.bytes = Thresholds::new(range("16777216"), None);
    let check = evaluate_cluster(&hosts, &o);
    assert_eq!(check.state(), State::Warning, "{}", text(&check));
    assert!(
        check
            .summary()
            .starts_with("em2:5432: replay lag 47.7 MiB, 20s"),
        "{}",
        check.summary()
    );
}

#[test]
fn cluster_with_hidden_primary_details_blames_privileges_only() {
    let mut hosts = seed_cluster();
    if let Probe::Reached(node) = &mut hosts[0].probe {
        if let View::Primary(v) = &mut node.view {
            for c in &mut v.clients {
                c.state = None;
            }
        }
    }
    let check = evaluate_cluster(&hosts, &opts());
    assert_eq!(check.state(), State::Unknown, "{}", text(&check));
    assert!(
        check.summary().contains("grant it pg_monitor"),
        "{}",
        check.summary()
    );
}

#[test]
fn missing_synchronous_standby_blocks_commits() {
    let mut node = seed_primary();
    let View::Primary(view) = &mut node.view else {
        unreachable!()
    };
    view.synchronous_standby_names = "FIRST 1 (em2, cp1)".into();
    let check = evaluate_single(
        &spec("em1"),
        &Probe::Reached(Box::new(node.clone())),
        &opts(),
    );
    assert_eq!(check.state(), State::Critical);
    assert_eq!(
        check.summary(),
        "0 of 1 synchronous standbys connected: commits wait (synchronous_standby_names = 'FIRST 1 (em2, cp1)')"
    );
    let View::Primary(view) = &mut node.view else {
        unreachable!()
    };
    view.clients[1].sync_state = Some("sync".into());
    view.clients[2].sync_state = Some("potential".into());
    let check = evaluate_single(&spec("em1"), &Probe::Reached(Box::new(node)), &opts());
    assert_eq!(check.state(), State::Ok, "{}", text(&check));
    assert!(text(&check).contains("[OK] synchronous: em2 (synchronous_standby_names"));
}
