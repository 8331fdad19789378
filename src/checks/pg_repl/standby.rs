//! The guide's standby, as it sees itself: its WAL receiver must be
//! `streaming`, and how far its replay is behind what it received. Judged the
//! same for one host and for each standby of a cluster (where the primary's
//! view of it is added).

use super::StandbyView;
use crate::duration::human;
use crate::output::Item;
use crate::status::State;

/// The items of a standby as it sees itself: receiver, then lag.
pub(super) struct StandbyJudgement {
    pub(super) receiver: Item,
    pub(super) bytes: Option<f64>,
    pub(super) seconds: Option<f64>,
}

pub(super) fn judge_standby(view: &StandbyView) -> Result<StandbyJudgement, String> {
    if view.receiver_hidden {
        return Err(
            "pg_stat_wal_receiver details are hidden from this role: grant it pg_monitor".into(),
        );
    }
    let receiver = match view.receiver_status.as_deref() {
        None => Item::new(State::Critical, "WAL receiver not running: not streaming"),
        Some("streaming") => {
            let from = match (&view.sender_host, view.sender_port) {
                (Some(h), Some(p)) => format!(" from {h}:{p}"),
                (Some(h), None) => format!(" from {h}"),
                _ => String::new(),
            };
            let slot = view
                .receiver_slot
                .as_ref()
                .map_or(String::new(), |s| format!(" (slot {s})"));
            Item::new(State::Ok, format!("streaming{from}{slot}"))
        }
        Some(other) => Item::new(
            State::Critical,
            format!("WAL receiver is {other}, not streaming"),
        ),
    };
    let receiver = receiver.detail(
        1,
        format!(
            "received up to {}, replayed up to {}{}{}",
            view.receive_lsn.as_deref().unwrap_or("?"),
            view.replay_lsn.as_deref().unwrap_or("?"),
            match (&view.sender_end_lsn, view.unreceived_bytes) {
                (Some(end), Some(b)) if b > 0.0 => format!(", the sender has WAL up to {end}"),
                _ => String::new(),
            },
            view.last_message_age.map_or(String::new(), |a| format!(
                ", last message from the sender {} ago",
                human(a)
            ))
        ),
    );
    Ok(StandbyJudgement {
        receiver,
        bytes: view.lag_bytes.map(|b| b.max(0.0)),
        seconds: view.delay(),
    })
}
