//! Reports for people (`--report text|markdown|json|html`): a table of the
//! entries (state, time, first line) with each entry's long output folded,
//! and the comparison with an earlier run when there is one.

use super::compare::Comparison;
use super::record::{EntryResult, RunRecord};
use crate::status::State;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Markdown,
    Json,
    Html,
}

pub fn render(format: ReportFormat, run: &RunRecord, comparison: Option<&Comparison>) -> String {
    match format {
        ReportFormat::Text => text(run, comparison),
        ReportFormat::Markdown => markdown(run, comparison),
        ReportFormat::Json => json(run, comparison),
        ReportFormat::Html => html(run, comparison),
    }
}

fn state_word(entry: &EntryResult) -> String {
    match entry.state {
        Some(state) => state.to_string(),
        None => "SKIPPED".to_string(),
    }
}

fn host(run: &RunRecord) -> String {
    run.host.clone().unwrap_or_else(|| "this host".to_string())
}

fn secs(s: f64) -> String {
    format!("{s:.2} s")
}

/// The overall line: the comparison's answer when comparing, else the run's.
fn headline(run: &RunRecord, comparison: Option<&Comparison>) -> (State, String) {
    match comparison {
        Some(c) => (c.state(), c.summary()),
        None => (run.state, run.summary.clone()),
    }
}

fn changes_of<'a>(
    comparison: Option<&'a Comparison>,
    id: &'a str,
) -> impl Iterator<Item = String> + 'a {
    comparison
        .into_iter()
        .flat_map(|c| c.changes.iter())
        .filter(move |c| c.id == id)
        .map(|c| {
            let mark = if c.is_regression() { "▲" } else { "•" };
            format!("{mark} {}", c.describe())
        })
}

pub fn text(run: &RunRecord, comparison: Option<&Comparison>) -> String {
    let (state, line) = headline(run, comparison);
    let mut out = format!(
        "Guide {} ({}) on {}\nStarted {}, took {}, {} jobs\nResult: {state} - {line}\n\n",
        run.title,
        run.guide,
        host(run),
        run.started,
        secs(run.duration_s),
        run.jobs
    );
    for entry in &run.entries {
        out.push_str(&format!(
            "[{:<8}] {:>8}  {} ({}){}\n           {}\n",
            state_word(entry),
            secs(entry.duration_s),
            entry.title,
            entry.id,
            if entry.source.is_empty() {
                String::new()
            } else {
                format!(", {}", entry.source)
            },
            entry.first_line
        ));
        for line in &entry.long_output {
            out.push_str(&format!("             {line}\n"));
        }
        for note in &entry.notes {
            out.push_str(&format!("           note: {note}\n"));
        }
        for change in changes_of(comparison, &entry.id) {
            out.push_str(&format!("           {change}\n"));
        }
    }
    out
}

fn md_cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace(['\r', '\n'], " ")
}

pub fn markdown(run: &RunRecord, comparison: Option<&Comparison>) -> String {
    let (state, line) = headline(run, comparison);
    let mut out = format!(
        "## Health check guide: {}\n\n- Guide: `{}` (`{}`)\n- Host: {}\n- Started: {} (took {}, {} jobs)\n- **Result: {state}** — {}\n\n",
        md_cell(&run.title),
        run.guide,
        run.guide_file,
        md_cell(&host(run)),
        run.started,
        secs(run.duration_s),
        run.jobs,
        md_cell(&line)
    );
    out.push_str("| # | Check | Source | State | Time | Result |\n|---|---|---|---|---|---|\n");
    for (n, entry) in run.entries.iter().enumerate() {
        out.push_str(&format!(
            "| {} | {} (`{}`) | {} | **{}** | {} | {} |\n",
            n + 1,
            md_cell(&entry.title),
            entry.id,
            md_cell(&entry.source),
            state_word(entry),
            secs(entry.duration_s),
            md_cell(&entry.first_line)
        ));
    }
    if let Some(c) = comparison {
        out.push_str(&format!("\n### Changes since {}\n\n", c.before_started));
        if c.changes.is_empty() {
            out.push_str("None.\n");
        }
        for change in &c.changes {
            let mark = if change.is_regression() {
                format!("**{}**", change.state)
            } else {
                "ok".to_string()
            };
            out.push_str(&format!("- {mark}: {}\n", md_cell(&change.describe())));
        }
    }
    out.push_str("\n### Details\n");
    for entry in &run.entries {
        if entry.long_output.is_empty() && entry.notes.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "\n<details><summary>{} — {}</summary>\n\n```text\n",
            entry.id,
            md_cell(&entry.title)
        ));
        for line in entry.long_output.iter().chain(entry.notes.iter()) {
            out.push_str(&line.replace("```", "'''"));
            out.push('\n');
        }
        out.push_str("```\n\n</details>\n");
    }
    out
}

pub fn json(run: &RunRecord, comparison: Option<&Comparison>) -> String {
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        #[serde(flatten)]
        run: &'a RunRecord,
        #[serde(skip_serializing_if = "Option::is_none")]
        comparison: Option<&'a Comparison>,
    }
    serde_json::to_string_pretty(&Doc { run, comparison }).expect("a run always serializes") + "\n"
}

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn css_class(state: Option<State>) -> &'static str {
    match state {
        Some(State::Ok) => "ok",
        Some(State::Warning) => "warning",
        Some(State::Critical) => "critical",
        Some(State::Unknown) => "unknown",
        None => "skipped",
    }
}

const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em;color:#1d2330;background:#f6f7f9}
h1{font-size:1.5em;margin:0 0 .3em}
.meta{color:#555;margin:0 0 1em}
.result{padding:.8em 1em;border-radius:6px;margin:0 0 1.5em;font-size:1.1em;border-left:8px solid}
table{border-collapse:collapse;width:100%;background:#fff;box-shadow:0 1px 3px rgba(0,0,0,.12)}
th,td{padding:.45em .7em;border-bottom:1px solid #e3e5ea;text-align:left;vertical-align:top}
th{background:#2d3446;color:#fff;font-weight:600}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.badge{display:inline-block;min-width:5.5em;text-align:center;padding:.15em .4em;border-radius:4px;font-weight:700;font-size:.85em;color:#fff}
.ok .badge,.badge.ok{background:#2e8540}.warning .badge,.badge.warning{background:#d08a00}
.critical .badge,.badge.critical{background:#c62828}.unknown .badge,.badge.unknown{background:#6a4c93}
.skipped .badge,.badge.skipped{background:#9aa0a6}
.result.ok{border-color:#2e8540;background:#e8f5e9}.result.warning{border-color:#d08a00;background:#fff4e0}
.result.critical{border-color:#c62828;background:#fdecea}.result.unknown{border-color:#6a4c93;background:#f1ecf7}
details summary{cursor:pointer;color:#2d3446}
pre{background:#1d2330;color:#e8eaf0;padding:.6em .8em;border-radius:4px;overflow-x:auto;font-size:.85em;margin:.4em 0 0}
code{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:.95em}
.id{color:#777;font-size:.85em}
.changes li{margin:.2em 0}
.regression{color:#c62828;font-weight:600}
.note{color:#8a5a00;font-size:.9em}
";

pub fn html(run: &RunRecord, comparison: Option<&Comparison>) -> String {
    let (state, line) = headline(run, comparison);
    let mut out = String::new();
    out.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>{} — {}</title>\n<style>{STYLE}</style></head>\n<body>\n",
        esc(&run.title),
        state
    ));
    out.push_str(&format!(
        "<h1>Health check guide: {}</h1>\n<p class=\"meta\">Guide <code>{}</code> ({}) on {} · started {} · took {} · {} jobs</p>\n",
        esc(&run.title),
        esc(&run.guide),
        esc(&run.guide_file),
        esc(&host(run)),
        esc(&run.started),
        secs(run.duration_s),
        run.jobs
    ));
    out.push_str(&format!(
        "<div class=\"result {}\"><span class=\"badge {}\">{state}</span> {}</div>\n",
        css_class(Some(state)),
        css_class(Some(state)),
        esc(&line)
    ));
    if let Some(c) = comparison {
        out.push_str(&format!(
            "<h2>Changes since {}</h2>\n<ul class=\"changes\">\n",
            esc(&c.before_started)
        ));
        if c.changes.is_empty() {
            out.push_str("<li>None.</li>\n");
        }
        for change in &c.changes {
            let class = if change.is_regression() {
                "regression"
            } else {
                ""
            };
            out.push_str(&format!(
                "<li class=\"{class}\"><span class=\"badge {}\">{}</span> {}</li>\n",
                css_class(Some(change.state)),
                if change.is_regression() {
                    change.state.to_string()
                } else {
                    "CHANGED".to_string()
                },
                esc(&change.describe())
            ));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("<table>\n<thead><tr><th>#</th><th>State</th><th>Check</th><th>Source</th><th>Time</th><th>Result</th></tr></thead>\n<tbody>\n");
    for (n, entry) in run.entries.iter().enumerate() {
        let class = css_class(entry.state);
        out.push_str(&format!(
            "<tr class=\"{class}\"><td class=\"num\">{}</td><td><span class=\"badge\">{}</span></td><td>{}<br><span class=\"id\">{}</span></td><td>{}</td><td class=\"num\">{}</td><td>",
            n + 1,
            state_word(entry),
            esc(&entry.title),
            esc(&entry.id),
            esc(&entry.source),
            secs(entry.duration_s)
        ));
        out.push_str(&esc(&entry.first_line));
        for note in &entry.notes {
            out.push_str(&format!("<div class=\"note\">note: {}</div>", esc(note)));
        }
        if !entry.long_output.is_empty() {
            out.push_str(&format!(
                "<details><summary>{} more lines</summary><pre>",
                entry.long_output.len()
            ));
            for line in &entry.long_output {
                out.push_str(&esc(line));
                out.push('\n');
            }
            out.push_str("</pre></details>");
        }
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody></table>\n</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::super::record::{Status, FORMAT};
    use super::*;

    fn run() -> RunRecord {
        RunRecord {
            format: FORMAT.into(),
            guide: "sre-em".into(),
            guide_file: "/g/sre-em.toml".into(),
            title: "SRE <EM>".into(),
            host: None,
            started: "2026-12-01T19:00:00Z".into(),
            duration_s: 1.5,
            jobs: 4,
            state: State::Critical,
            summary: "1 CRITICAL: A | B".into(),
            entries: vec![EntryResult {
                id: "a".into(),
                title: "A | B".into(),
                source: "§2.1".into(),
                command: vec!["check_a".into()],
                status: Status::Ran,
                state: Some(State::Critical),
                duration_s: 0.25,
                first_line: "A CRITICAL - <script>x</script>".into(),
                long_output: vec!["[CRITICAL] two masters".into()],
                perfdata: vec![],
                notes: vec!["invalid perfdata dropped: 'x=1,5'".into()],
            }],
        }
    }

    #[test]
    fn html_is_self_contained_and_escaped() {
        let page = html(&run(), None);
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(!page.contains("<script>"));
        assert!(page.contains("&lt;script&gt;"));
        assert!(
            !page.contains("http://") && !page.contains("https://"),
            "no external assets"
        );
        assert!(page.contains("<details>"));
    }

    #[test]
    fn markdown_escapes_table_cells() {
        let md = markdown(&run(), None);
        assert!(
            md.contains("| 1 | A \\| B (`a`) | §2.1 | **CRITICAL** | 0.25 s |"),
            "{md}"
        );
        assert!(
            md.contains("<details><summary>a — A \\| B</summary>"),
            "{md}"
        );
    }

    #[test]
    fn text_and_json_carry_every_entry() {
        let t = text(&run(), None);
        assert!(
            t.contains("[CRITICAL]   0.25 s  A | B (a), §2.1\n           A CRITICAL - "),
            "{t}"
        );
        assert!(t.contains("             [CRITICAL] two masters"), "{t}");
        let doc: serde_json::Value = serde_json::from_str(&json(&run(), None)).unwrap();
        assert_eq!(doc["entries"][0]["state"], "CRITICAL");
        assert_eq!(doc["format"], FORMAT);
    }
}
