//! The status logic on the documents of examples/mongo-rs/ (see generate.py there):
//! the seed's, and the variants, in the shells' print forms and Extended JSON.

use super::*;
use crate::range::Range;
use serde_json::json;

macro_rules! example {
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/mongo-rs/",
            $name
        ))
    };
}

fn t(w: &str, c: &str) -> Thresholds {
    Thresholds::new(
        Some(w.parse::<Range>().unwrap()),
        Some(c.parse::<Range>().unwrap()),
    )
}

/// The plugin's defaults (bin/check_mongo_rs.rs).
fn defaults() -> Options {
    Options {
        lag: t("30", "120"),
        heartbeat: t("10", "30"),
        applied: t("30", "120"),
        ..Options::default()
    }
}

fn run(text: &str, options: &Options) -> Check {
    let doc = parse_input(text).unwrap();
    evaluate(&doc, None, options).unwrap()
}

fn first_line(check: &Check) -> String {
    check
        .render_text("MONGO_RS", 0)
        .lines()
        .next()
        .unwrap()
        .to_string()
}

fn perf(check: &Check, label: &str) -> String {
    check
        .all_perfdata()
        .into_iter()
        .find(|p| p.label == label)
        .unwrap_or_else(|| panic!("no perfdata {label}"))
        .to_string()
}

#[test]
fn the_seed_is_ok_in_every_syntax_with_the_same_result() {
    let forms = [
        example!("seed.shell.txt"),
        example!("seed.mongosh.txt"),
        example!("seed.canonical.json"),
        example!("seed.relaxed.json"),
    ];
    let lines: Vec<String> = forms
        .iter()
        .map(|f| first_line(&run(f, &defaults())))
        .collect();
    assert_eq!(
        lines[0],
        "MONGO_RS OK - sre_location: primary 10.0.161.60:27017, 3 secondaries, max lag 0s \
         | members=4;;;0 primary=1;;;0 secondary=3;;;0 arbiter=0;;;0 other=0;;;0 \
         primary_applied_age=1.936s;30;120;0 lag_10.0.161.60:27017=0s;30;120;0 \
         hb_10.0.161.60:27017=1.177s;10;30;0 lag_10.0.161.62:27017=0s;30;120;0 \
         hb_10.0.161.62:27017=U;10;30 \
         lag_10.0.161.63:27017=0s;30;120;0 hb_10.0.161.63:27017=1.177s;10;30;0 \
         lag_10.0.161.64:27017=0s;30;120;0 hb_10.0.161.64:27017=1.177s;10;30;0"
    );
    for line in &lines[1..] {
        assert_eq!(line, &lines[0]);
    }
}

#[test]
fn the_seed_long_output_has_one_line_per_member() {
    let check = run(example!("seed.shell.txt"), &defaults());
    let text = check.render_text("MONGO_RS", 1);
    assert!(
        text.contains("[OK] sre_location: primary 10.0.161.60:27017, last write applied 2s ago")
    );
    assert!(text.contains("[OK] 10.0.161.62:27017 SECONDARY (self): lag 0s\n"));
    assert!(text.contains("[OK] 10.0.161.64:27017 SECONDARY: lag 0s, heartbeat 1s ago"));
    assert!(
        text.contains("    syncing from 10.0.161.64:27017"),
        "{text}"
    );
}

#[test]
fn no_primary_during_an_election_is_critical() {
    for form in [
        example!("election.mongosh.txt"),
        example!("election.relaxed.json"),
    ] {
        let check = run(form, &defaults());
        assert_eq!(check.state(), State::Critical);
        let line = first_line(&check);
        assert!(
            line.starts_with("MONGO_RS CRITICAL - no primary, 10.0.161.60:27017 DOWN (health 0) |"),
            "{line}"
        );
        assert!(line.contains(" primary=0;;;0 "), "{line}");
        assert!(line.contains(" primary_applied_age=U;30;120 "), "{line}");
        assert!(line.contains(" lag_10.0.161.60:27017=U;30;120 "), "{line}");
        // Lag is still measured, from the most advanced member.
        assert!(
            line.contains(" lag_10.0.161.63:27017=0s;30;120;0 "),
            "{line}"
        );
        let text = check.render_text("MONGO_RS", 0);
        assert!(text.contains("Connection refused"), "{text}");
    }
}

#[test]
fn two_primaries_are_critical() {
    for form in [
        example!("two-primaries.relaxed.json"),
        example!("two-primaries.shell.txt"),
    ] {
        let check = run(form, &defaults());
        assert_eq!(check.state(), State::Critical);
        assert_eq!(
            check.summary(),
            "2 primaries (10.0.161.60:27017, 10.0.161.64:27017)"
        );
        assert!(first_line(&check).contains(" primary=2;;;0 "));
    }
}

#[test]
fn recovering_is_critical_unless_downgraded() {
    for form in [
        example!("recovering.shell.txt"),
        example!("recovering.canonical.json"),
    ] {
        let check = run(form, &defaults());
        assert_eq!(check.state(), State::Critical);
        assert_eq!(check.summary(), "10.0.161.63:27017 RECOVERING");
        // A RECOVERING member has no meaningful lag: U, same label.
        assert_eq!(
            perf(&check, "lag_10.0.161.63:27017"),
            "lag_10.0.161.63:27017=U;30;120"
        );
        let options = Options {
            warn_states: vec!["RECOVERING".into()],
            ..defaults()
        };
        let check = run(form, &options);
        assert_eq!(check.state(), State::Warning);
        assert_eq!(check.summary(), "10.0.161.63:27017 RECOVERING");
    }
}

#[test]
fn a_down_member_is_critical_with_its_heartbeat_message() {
    for form in [example!("down.shell.txt"), example!("down.relaxed.json")] {
        let check = run(form, &defaults());
        assert_eq!(check.state(), State::Critical);
        assert_eq!(check.summary(), "10.0.161.64:27017 DOWN (health 0)");
        let text = check.render_text("MONGO_RS", 0);
        assert!(
            text.contains(
                "[CRITICAL] 10.0.161.64:27017 DOWN (health 0): heartbeat 1s ago — \
                 Couldn't get a connection within the time limit"
            ),
            "{text}"
        );
        assert!(first_line(&check).contains(" other=1;;;0 "));
        let options = Options {
            warn_states: vec!["DOWN".into()],
            ..defaults()
        };
        assert_eq!(run(form, &options).state(), State::Warning);
    }
}

#[test]
fn an_arbiter_is_fine_and_has_no_lag() {
    for form in [
        example!("arbiter.relaxed.json"),
        example!("arbiter.mongosh.txt"),
    ] {
        let check = run(form, &defaults());
        assert_eq!(check.state(), State::Ok, "{}", first_line(&check));
        assert_eq!(
            check.summary(),
            "sre_location: primary 10.0.161.60:27017, 1 secondary, 1 arbiter, max lag 0s"
        );
        let line = first_line(&check);
        assert!(line.contains(" lag_10.0.161.65:27017=U;30;120 "), "{line}");
        assert!(line.contains("hb_10.0.161.65:27017=1.177s"), "{line}");
        assert!(line.contains(" arbiter=1;;;0 "), "{line}");
    }
}

#[test]
fn a_delayed_member_is_judged_after_its_configured_delay() {
    let config: Value = serde_json::from_str(example!("delayed.config.json")).unwrap();
    for form in [
        example!("delayed.relaxed.json"),
        example!("delayed.shell.txt"),
    ] {
        let doc = parse_input(form).unwrap();
        // Without the configuration the hour of delay looks like lag.
        let blind = evaluate(&doc, None, &defaults()).unwrap();
        assert_eq!(blind.state(), State::Critical);
        assert_eq!(blind.summary(), "10.0.161.63:27017 lag 1h");
        // With replSetGetConfig (the network path): OK, and the output says why.
        let check = evaluate(&doc, Some(&config), &defaults()).unwrap();
        assert_eq!(check.state(), State::Ok, "{}", first_line(&check));
        assert!(check.render_text("MONGO_RS", 0).contains(
            "[OK] 10.0.161.63:27017 SECONDARY (hidden, delayed 1h): lag 0s (behind 1h, delay 1h), heartbeat 1s ago"
        ));
        assert_eq!(
            perf(&check, "lag_10.0.161.63:27017"),
            "lag_10.0.161.63:27017=0s;30;120;0"
        );
        // With --delay (the input path): the same.
        let options = Options {
            delays: vec![("10.0.161.63:27017".into(), 3600.0)],
            ..defaults()
        };
        assert_eq!(evaluate(&doc, None, &options).unwrap().state(), State::Ok);
        // A delay that is too short leaves the rest as lag.
        let options = Options {
            delays: vec![("10.0.161.63:27017".into(), 3500.0)],
            ..defaults()
        };
        let check = evaluate(&doc, None, &options).unwrap();
        assert_eq!(check.state(), State::Warning);
        assert_eq!(check.summary(), "10.0.161.63:27017 lag 1m 40s");
    }
}

#[test]
fn a_delay_in_the_member_entry_is_used() {
    let mut doc = parse_input(example!("delayed.relaxed.json")).unwrap();
    doc["members"][2]["secondaryDelaySecs"] = json!({"$numberLong": "3600"});
    assert_eq!(
        evaluate(&doc, None, &defaults()).unwrap().state(),
        State::Ok
    );
    let mut doc = parse_input(example!("delayed.relaxed.json")).unwrap();
    doc["members"][2]["slaveDelay"] = json!(3600);
    assert_eq!(
        evaluate(&doc, None, &defaults()).unwrap().state(),
        State::Ok
    );
}

#[test]
fn lag_over_the_thresholds() {
    for form in [
        example!("lagging.canonical.json"),
        example!("lagging.shell.txt"),
    ] {
        let check = run(form, &defaults());
        assert_eq!(check.state(), State::Warning);
        assert_eq!(check.summary(), "10.0.161.64:27017 lag 1m 35s");
        assert_eq!(
            perf(&check, "lag_10.0.161.64:27017"),
            "lag_10.0.161.64:27017=95s;30;120;0"
        );
        let options = Options {
            lag: t("30", "60"),
            ..defaults()
        };
        assert_eq!(run(form, &options).state(), State::Critical);
        let options = Options {
            lag: Thresholds::default(),
            ..defaults()
        };
        assert_eq!(
            run(form, &options).state(),
            State::Ok,
            "unset thresholds never alarm"
        );
    }
}

#[test]
fn a_stale_heartbeat() {
    for form in [
        example!("stale-heartbeat.relaxed.json"),
        example!("stale-heartbeat.mongosh.txt"),
    ] {
        let check = run(form, &defaults());
        assert_eq!(check.state(), State::Critical);
        assert_eq!(check.summary(), "10.0.161.63:27017 heartbeat 40s old");
        assert_eq!(
            perf(&check, "hb_10.0.161.63:27017"),
            "hb_10.0.161.63:27017=40.2s;10;30;0"
        );
    }
}

#[test]
fn the_member_count() {
    let seed = example!("seed.relaxed.json");
    let with = |n| Options {
        expected_members: Some(n),
        ..defaults()
    };
    let check = run(seed, &with(4));
    assert_eq!(check.state(), State::Ok);
    assert!(check
        .render_text("S", 0)
        .contains("[OK] 4 members (as expected)"));
    let check = run(seed, &with(5));
    assert_eq!(check.state(), State::Critical);
    assert_eq!(check.summary(), "4 members, expected 5");
    let check = run(seed, &with(3));
    assert_eq!(check.state(), State::Warning);
    assert_eq!(check.summary(), "4 members, expected 3");
}

#[test]
fn startup2_during_an_initial_sync() {
    for form in [
        example!("startup2.mongosh.txt"),
        example!("startup2.relaxed.json"),
    ] {
        let check = run(form, &defaults());
        assert_eq!(check.state(), State::Critical);
        assert_eq!(check.summary(), "10.0.161.66:27017 STARTUP2");
        let options = Options {
            warn_states: vec!["STARTUP2".into()],
            expected_members: Some(5),
            ..defaults()
        };
        assert_eq!(run(form, &options).state(), State::Warning);
    }
}

#[test]
fn the_set_name() {
    let seed = example!("seed.canonical.json");
    let options = Options {
        replica_set: Some("sre_location".into()),
        ..defaults()
    };
    assert_eq!(run(seed, &options).state(), State::Ok);
    let options = Options {
        replica_set: Some("other".into()),
        ..defaults()
    };
    let check = run(seed, &options);
    assert_eq!(check.state(), State::Critical);
    assert_eq!(
        check.summary(),
        "replica set is sre_location, expected other"
    );
}

#[test]
fn a_stale_primary_write() {
    let mut doc = parse_input(example!("seed.relaxed.json")).unwrap();
    doc["members"][0]["lastAppliedWallTime"] = json!({"$date": "2024-06-20T10:18:00Z"});
    let check = evaluate(&doc, None, &defaults()).unwrap();
    assert_eq!(check.state(), State::Critical);
    assert_eq!(check.summary(), "primary last applied a write 2m 42s ago");
}

#[test]
fn server_errors_and_foreign_documents() {
    let doc = parse_input(example!("not-initialised.relaxed.json")).unwrap();
    let failure = evaluate(&doc, None, &defaults()).unwrap_err();
    assert_eq!(failure.state, State::Critical);
    assert_eq!(
        failure.message,
        "replSetGetStatus failed: no replset config has been received (NotYetInitialized)"
    );
    let cases = [
        (json!([1, 2]), "not a document"),
        (json!({"ok": 1}), "no 'members' list"),
        (
            json!({"members": [], "date": {"$date": "2024-06-20T10:20:42Z"}}),
            "lists no members",
        ),
        (
            json!({"members": [{"name": "a:1", "state": 1}]}),
            "no 'date'",
        ),
        (
            json!({"members": [{"state": 1}], "date": {"$date": "2024-06-20T10:20:42Z"}}),
            "member 0 has no name",
        ),
        (
            json!({"members": [{"name": "a:1"}], "date": {"$date": "2024-06-20T10:20:42Z"}}),
            "member a:1 has no state",
        ),
    ];
    for (doc, expected) in cases {
        let failure = evaluate(&doc, None, &defaults()).unwrap_err();
        assert_eq!(failure.state, State::Unknown);
        assert!(failure.message.contains(expected), "{}", failure.message);
    }
    let failure = parse_input("Error: couldn't connect to server 127.0.0.1:27017").unwrap_err();
    assert_eq!(failure.state, State::Unknown);
    assert!(
        failure.message.contains("no document found"),
        "{}",
        failure.message
    );
}

#[test]
fn optime_without_optime_date_uses_the_timestamp() {
    let mut doc = parse_input(example!("lagging.canonical.json")).unwrap();
    for m in doc["members"].as_array_mut().unwrap() {
        m.as_object_mut().unwrap().remove("optimeDate");
    }
    let check = evaluate(&doc, None, &defaults()).unwrap();
    // The timestamps count whole seconds, as optimeDate does.
    assert_eq!(check.summary(), "10.0.161.64:27017 lag 1m 35s");
}

#[test]
fn a_byte_order_mark_and_windows_line_ends_are_accepted() {
    let shell = format!(
        "\u{feff}{}",
        example!("seed.shell.txt").replace('\n', "\r\n")
    );
    let json = format!("\u{feff}{}", example!("seed.relaxed.json"));
    for text in [shell, json] {
        assert_eq!(run(&text, &defaults()).state(), State::Ok);
    }
}

fn labels(check: &Check) -> Vec<String> {
    check
        .all_perfdata()
        .into_iter()
        .map(|p| p.label.clone())
        .collect()
}

/// Graphs (PNP4Nagios, Graphite) key on the labels: the same set must give the
/// same labels in the same order whichever member answers (a seed list asks the
/// primary, so the member asked changes with a failover) and whatever state a
/// member is in (an arbiter that goes DOWN is no longer seen as an arbiter).
#[test]
fn perfdata_labels_are_stable_across_a_failover_and_a_down_arbiter() {
    let seed = parse_input(example!("seed.relaxed.json")).unwrap();
    let asked_the_primary = {
        let mut doc = seed.clone();
        for m in doc["members"].as_array_mut().unwrap() {
            let is_primary = m["name"] == "10.0.161.60:27017";
            m["self"] = json!(is_primary);
        }
        doc
    };
    let base = labels(&evaluate(&seed, None, &defaults()).unwrap());
    let after = labels(&evaluate(&asked_the_primary, None, &defaults()).unwrap());
    assert_eq!(base, after);
    assert!(
        base.contains(&"hb_10.0.161.62:27017".to_string()),
        "{base:?}"
    );

    let arbiter = parse_input(example!("arbiter.relaxed.json")).unwrap();
    let arbiter_down = {
        let mut doc = arbiter.clone();
        for m in doc["members"].as_array_mut().unwrap() {
            if m["name"] == "10.0.161.65:27017" {
                m["state"] = json!(8);
                m["stateStr"] = json!("(not reachable/healthy)");
                m["health"] = json!(0);
            }
        }
        doc
    };
    let up = evaluate(&arbiter, None, &defaults()).unwrap();
    let down = evaluate(&arbiter_down, None, &defaults()).unwrap();
    assert_eq!(down.state(), State::Critical);
    assert_eq!(labels(&up), labels(&down));
    assert_eq!(
        perf(&up, "lag_10.0.161.65:27017"),
        "lag_10.0.161.65:27017=U;30;120"
    );
}

#[test]
fn fields_of_the_wrong_type_or_out_of_range_are_unknown_never_healthy() {
    let seed: Value = serde_json::from_str(example!("seed.relaxed.json")).unwrap();
    let cases: [(&str, Value, &str); 9] = [
        ("health", json!("1"), "health \"1\" is not 0 or 1"),
        ("health", json!(-1), "health -1 is not 0 or 1"),
        ("health", json!({"$numberDouble": "NaN"}), "is not 0 or 1"),
        ("state", json!("1"), "is not a replica set state code"),
        ("state", json!(42), "is not a replica set state code"),
        ("optimeDate", json!({"$date": "garbage"}), "is not a date"),
        (
            "lastHeartbeat",
            json!({"$date": "2999-01-01T00:00:00Z"}),
            "within a day",
        ),
        // Servers without optimeDate: the optime's Timestamp seconds, times
        // 1000, overflowed at 9.3e18 (a panic) and were not checked at all.
        (
            "optime",
            json!({"ts": {"$timestamp": {"t": 9.3e18, "i": 1}}, "t": 1}),
            "optime",
        ),
        (
            "optime",
            json!({"ts": {"$timestamp": {"t": 32503680000u64, "i": 1}}, "t": 1}),
            "within a day",
        ),
    ];
    for (key, value, expected) in cases {
        let mut doc = seed.clone();
        doc["members"][1][key] = value.clone();
        if key == "optime" {
            doc["members"][1]
                .as_object_mut()
                .unwrap()
                .remove("optimeDate");
        }
        let failure = parse_status(&doc)
            .err()
            .unwrap_or_else(|| panic!("{key}={value} accepted"));
        assert_eq!(failure.state, State::Unknown, "{key}={value}");
        assert!(
            failure.message.contains(expected),
            "{key}={value}: {}",
            failure.message
        );
    }
    // The seed itself stays OK: health 1, valid states and dates.
    assert!(parse_status(&seed).is_ok());
}
