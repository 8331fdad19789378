//! The checked-in scheduler definitions and package plugin lists are exactly
//! what the plugins generate (packaging/generate.sh): they cannot drift from
//! the binaries' options. Data-driven over bin/: a plugin whose cargo feature is
//! off in this build must still have its entry, but it is compared only when
//! built (with a note).

mod support;

use std::process::Command;
use support::*;

/// Splits a generated file into (plugin, block); blocks are joined by one empty line.
fn blocks(file: &str, comment: &str) -> Vec<(String, String)> {
    let marker = |line: &str| -> Option<String> {
        let rest = line.strip_prefix(comment)?.strip_prefix(' ')?;
        let (name, tail) = rest.split_once(':')?;
        (name.starts_with("check_") && tail.starts_with(" generated from"))
            .then(|| name.to_string())
    };
    let mut starts = Vec::new();
    let mut offset = 0;
    for line in file.split_inclusive('\n') {
        if let Some(name) = marker(line.trim_end()) {
            starts.push((name, offset));
        }
        offset += line.len();
    }
    assert!(
        starts.first().map(|s| s.1) == Some(0),
        "the file must start with a generated block (run packaging/generate.sh)"
    );
    let mut out = Vec::new();
    for (i, (name, start)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map(|s| s.1).unwrap_or(file.len());
        let mut block = file[*start..end].to_string();
        if i + 1 < starts.len() {
            assert!(
                block.ends_with("}\n\n"),
                "{name}: blocks are separated by one empty line"
            );
            block.pop();
        }
        out.push((name.clone(), block));
    }
    out
}

fn check_file(path: &str, scheduler: &str, comment: &str) {
    let file = std::fs::read_to_string(repo().join(path)).unwrap();
    let found = blocks(&file, comment);
    let names: Vec<&String> = found.iter().map(|(n, _)| n).collect();
    let expected = all_plugins();
    assert_eq!(
        names,
        expected.iter().collect::<Vec<_>>(),
        "{path}: one generated entry per plugin in bin/, sorted: run packaging/generate.sh"
    );
    for (name, block) in &found {
        let Some(binary) = built(name) else { continue };
        let out = run_ok(Command::new(binary).env("OPSCHECK_PRINT_DEFINITION", scheduler));
        assert_eq!(
            block,
            &text(&out.stdout),
            "{path}: the entry of {name} differs from what it generates: run packaging/generate.sh"
        );
    }
}

#[test]
fn icinga2_commands_are_generated_from_the_plugins() {
    check_file("packaging/icinga2/opscheck-commands.conf", "icinga2", "//");
}

#[test]
fn nagios_commands_are_generated_from_the_plugins() {
    check_file("packaging/nagios/opscheck-commands.cfg", "nagios", "#");
}

#[test]
fn package_plugin_lists_name_every_plugin() {
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let lists: Vec<&str> = manifest
        .split("    # BEGIN plugins (packaging/generate.sh)\n")
        .skip(1)
        .map(|rest| rest.split("    # END plugins\n").next().unwrap())
        .collect();
    assert_eq!(lists.len(), 2, "Cargo.toml: a deb and an rpm plugin list");
    let plugins = all_plugins();
    let deb: String = plugins
        .iter()
        .map(|p| format!("    [\"target/release/{p}\", \"usr/lib/nagios/plugins/\", \"755\"],\n"))
        .collect();
    let rpm: String = plugins
        .iter()
        .map(|p| {
            format!(
                "    {{ source = \"target/release/{p}\", dest = \"/usr/lib64/nagios/plugins/{p}\", mode = \"755\" }},\n"
            )
        })
        .collect();
    assert_eq!(lists[0], deb, "deb plugin list: run packaging/generate.sh");
    assert_eq!(lists[1], rpm, "rpm plugin list: run packaging/generate.sh");
}

#[test]
fn an_unknown_scheduler_is_a_usage_error() {
    for (name, path) in built_plugins() {
        let out = Command::new(path)
            .env("OPSCHECK_PRINT_DEFINITION", "naemon")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{name}");
        assert!(
            text(&out.stdout).contains("UNKNOWN - OPSCHECK_PRINT_DEFINITION=\"naemon\""),
            "{name}"
        );
    }
}
