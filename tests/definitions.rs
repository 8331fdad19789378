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
    // The release binaries (the packaging tools map target/release/ to
    // target/x86_64-unknown-linux-gnu/release/ with --target) and the man pages.
    let bins = "target/release";
    let deb: String = plugins
        .iter()
        .map(|p| {
            format!(
                "    [\"{bins}/{p}\", \"usr/lib/nagios/plugins/\", \"755\"],\n    \
                 [\"packaging/man/{p}.1\", \"usr/share/man/man1/\", \"644\"],\n"
            )
        })
        .collect();
    let rpm: String = plugins
        .iter()
        .map(|p| {
            format!(
                "    {{ source = \"{bins}/{p}\", dest = \"/usr/lib64/nagios/plugins/{p}\", mode = \"755\" }},\n    \
                 {{ source = \"target/man/{p}.1.gz\", dest = \"/usr/share/man/man1/{p}.1.gz\", mode = \"644\", doc = true }},\n"
            )
        })
        .collect();
    assert_eq!(lists[0], deb, "deb plugin list: run packaging/generate.sh");
    assert_eq!(lists[1], rpm, "rpm plugin list: run packaging/generate.sh");
}

/// packaging/man/ holds exactly one page per plugin, each what the plugin
/// prints with OPSCHECK_PRINT_DEFINITION=man, and man(1) renders it without a
/// warning.
#[test]
fn man_pages_are_generated_from_the_plugins() {
    let dir = repo().join("packaging/man");
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .expect("packaging/man/ (run packaging/generate.sh)")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    let expected: Vec<String> = all_plugins().iter().map(|p| format!("{p}.1")).collect();
    assert_eq!(
        pages, expected,
        "packaging/man/: one page per plugin in bin/: run packaging/generate.sh"
    );
    for (name, binary) in built_plugins() {
        let page = std::fs::read_to_string(dir.join(format!("{name}.1"))).unwrap();
        let out = run_ok(Command::new(binary).env("OPSCHECK_PRINT_DEFINITION", "man"));
        assert_eq!(
            page,
            text(&out.stdout),
            "packaging/man/{name}.1 differs from what {name} generates: run packaging/generate.sh"
        );
        assert!(
            page.contains(&format!(".TH {name} 1 ")),
            "{name}: a section 1 page"
        );
        assert!(page.contains("\n.SH OPTIONS\n"), "{name}: options listed");
        if have("man") {
            let out = Command::new("man")
                .args(["--warnings", "-E", "UTF-8", "-l"])
                .arg(dir.join(format!("{name}.1")))
                .env("MANWIDTH", "80")
                .env("MAN_KEEP_FORMATTING", "0")
                .stdin(std::process::Stdio::null())
                .output()
                .unwrap();
            assert!(out.status.success(), "man {name}.1: {}", text(&out.stderr));
            assert_eq!(text(&out.stderr), "", "man --warnings {name}.1");
        }
    }
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
