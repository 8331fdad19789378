//! The *Platform system status* section (guide §2.1): CPU, memory and swap
//! per server against their thresholds, with perfdata per server and metric.

use super::Options;
use crate::output::{one_line, plural, Item};
use crate::perfdata::Uom;
use crate::status::State;
use crate::threshold::Thresholds;

/// CPU, memory and swap of each server against their thresholds.
pub(super) fn judge_system(
    servers: &[String],
    rows: &[(String, Vec<String>)],
    options: &Options,
) -> Item {
    let mut children = Vec::new();
    let metrics: [(&str, &str, &Thresholds); 3] = [
        ("cpu", "CPU", &options.cpu),
        ("memory", "Memory", &options.memory),
        ("swap", "Swap", &options.swap),
    ];
    for (i, server) in servers.iter().enumerate() {
        let host = one_line(server);
        let mut item = Item::new(State::Ok, host.clone());
        let mut parts = Vec::new();
        for (key, name, thresholds) in metrics {
            let Some((_, cells)) = rows.iter().find(|(m, _)| m.eq_ignore_ascii_case(name)) else {
                continue;
            };
            let text = cells.get(i).map_or("", String::as_str);
            let value = text
                .trim_end_matches('%')
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0);
            match value {
                Some(v) => {
                    let judged = thresholds.judge(format!("{key}_{host}"), v, Uom::Percent);
                    let perf = judged.perfdata.min(0.0).max(100.0);
                    if judged.state != State::Ok {
                        item.children.push(Item::new(
                            judged.state,
                            format!("{name} {} % on {host}", crate::range::format_number(v)),
                        ));
                    }
                    item.perfdata.push(perf);
                    parts.push(format!("{name} {} %", crate::range::format_number(v)));
                }
                None => item.children.push(Item::new(
                    State::Unknown,
                    format!("{name} on {host}: '{}' is not a percentage", one_line(text)),
                )),
            }
        }
        if parts.is_empty() && item.children.is_empty() {
            item.state = State::Warning;
            item.text = format!("no CPU, Memory or Swap figures for {host}");
        } else {
            item.text = format!("{host}: {}", parts.join(", "));
        }
        children.push(item);
    }
    let worst = State::worst_of(children.iter().map(Item::effective_state));
    let text = if worst == State::Ok {
        format!(
            "CPU, memory and swap fine on {}",
            plural(servers.len(), "server")
        )
    } else {
        children
            .iter()
            .flat_map(|c| std::iter::once(c).chain(c.children.iter()))
            .find(|c| c.state == worst)
            .map(|c| c.text.clone())
            .unwrap_or_default()
    };
    let mut item = Item::new(State::Ok, text);
    item.children = children;
    item
}
