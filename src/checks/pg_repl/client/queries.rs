//! The SQL each server is asked, and how its answer becomes a [`Node`]: the
//! version and role first, then the primary's `pg_stat_replication`, slots
//! and `synchronous_standby_names`, or the standby's receive/replay positions
//! and `pg_stat_wal_receiver`. Kept apart from the connection handling so the
//! queries can be read (and changed) in one place.

use super::super::{
    check_version, conninfo_value, Client, Node, PrimaryView, Slot, StandbyView, View,
    DEFAULT_RECEIVER_NAME,
};
use std::time::{Duration, Instant};
use tokio_postgres::{SimpleQueryMessage, SimpleQueryRow};

pub(super) enum QueryError {
    Unsupported(String),
    Db(tokio_postgres::Error),
}

impl From<tokio_postgres::Error> for QueryError {
    fn from(e: tokio_postgres::Error) -> Self {
        QueryError::Db(e)
    }
}

/// The rows of each statement of a simple query.
async fn batch(
    client: &tokio_postgres::Client,
    sql: &str,
) -> Result<Vec<Vec<SimpleQueryRow>>, tokio_postgres::Error> {
    let mut statements = vec![Vec::new()];
    for message in client.simple_query(sql).await? {
        match message {
            SimpleQueryMessage::Row(row) => statements.last_mut().expect("never empty").push(row),
            SimpleQueryMessage::CommandComplete(_) => statements.push(Vec::new()),
            _ => {}
        }
    }
    statements.pop();
    Ok(statements)
}

fn text(row: &SimpleQueryRow, i: usize) -> Option<String> {
    row.get(i).map(str::to_string)
}

fn number(row: &SimpleQueryRow, i: usize) -> Option<f64> {
    row.get(i)
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| v.is_finite())
}

fn flag(row: &SimpleQueryRow, i: usize) -> bool {
    row.get(i) == Some("t")
}

pub(super) async fn query_node(
    client: &tokio_postgres::Client,
    deadline: Instant,
) -> Result<Node, QueryError> {
    let first = batch(
        client,
        "SELECT current_setting('server_version_num'), current_setting('server_version'), pg_is_in_recovery(), \
                pg_postmaster_start_time()",
    )
    .await?;
    let row = first
        .first()
        .and_then(|rows| rows.first())
        .ok_or_else(|| QueryError::Unsupported("the server returned no version".into()))?;
    let version = text(row, 1).unwrap_or_default();
    let version_num: i32 = row.get(0).and_then(|v| v.parse().ok()).unwrap_or(0);
    check_version(version_num, &version).map_err(QueryError::Unsupported)?;
    let view = if flag(row, 2) {
        let mut standby = query_standby(client, version_num).await?;
        // A transaction that arrived just now after a long idle period makes the
        // last replayed one look old until it is replayed, a few milliseconds
        // later: look again once before believing in a delay.
        if !standby.caught_up() && standby.replay_age.is_some_and(|a| a > 1.0) {
            let pause = Duration::from_millis(300);
            if deadline.saturating_duration_since(Instant::now()) > pause * 3 {
                tokio::time::sleep(pause).await;
                standby = query_standby(client, version_num).await?;
            }
        }
        View::Standby(standby)
    } else {
        View::Primary(query_primary(client, version_num).await?)
    };
    Ok(Node {
        version,
        version_num,
        started: text(row, 3),
        view,
    })
}

async fn query_primary(
    client: &tokio_postgres::Client,
    version_num: i32,
) -> Result<PrimaryView, QueryError> {
    let wal_status = if version_num >= 130_000 {
        "wal_status"
    } else {
        "NULL"
    };
    let sql = format!(
        "SELECT r.pid, r.application_name, host(r.client_addr), r.client_hostname, r.client_port, \
                r.state, r.sync_state, \
                pg_wal_lsn_diff(pg_current_wal_lsn(), r.sent_lsn), \
                pg_wal_lsn_diff(pg_current_wal_lsn(), r.write_lsn), \
                pg_wal_lsn_diff(pg_current_wal_lsn(), r.flush_lsn), \
                pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn), \
                extract(epoch from r.replay_lag), s.slot_name \
         FROM pg_stat_replication r LEFT JOIN pg_replication_slots s ON s.active_pid = r.pid \
         ORDER BY r.application_name, host(r.client_addr), r.pid; \
         SELECT slot_name, slot_type, active, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), {wal_status} \
         FROM pg_replication_slots ORDER BY slot_name; \
         SELECT current_setting('synchronous_standby_names')"
    );
    let results = batch(client, &sql).await?;
    let clients = results
        .first()
        .map(|rows| {
            rows.iter()
                .map(|r| Client {
                    pid: r.get(0).and_then(|v| v.parse().ok()).unwrap_or(0),
                    application_name: text(r, 1).unwrap_or_default(),
                    client_addr: text(r, 2),
                    client_hostname: text(r, 3),
                    client_port: r.get(4).and_then(|v| v.parse().ok()),
                    state: text(r, 5),
                    sync_state: text(r, 6),
                    sent_bytes: number(r, 7),
                    write_bytes: number(r, 8),
                    flush_bytes: number(r, 9),
                    replay_bytes: number(r, 10),
                    replay_lag: number(r, 11),
                    slot_name: text(r, 12),
                })
                .collect()
        })
        .unwrap_or_default();
    let slots = results
        .get(1)
        .map(|rows| {
            rows.iter()
                .map(|r| Slot {
                    name: text(r, 0).unwrap_or_default(),
                    slot_type: text(r, 1).unwrap_or_default(),
                    active: flag(r, 2),
                    retained_bytes: number(r, 3),
                    wal_status: text(r, 4),
                })
                .collect()
        })
        .unwrap_or_default();
    let synchronous_standby_names = results
        .get(2)
        .and_then(|rows| rows.first())
        .and_then(|r| text(r, 0))
        .unwrap_or_default();
    Ok(PrimaryView {
        clients,
        slots,
        synchronous_standby_names,
    })
}

async fn query_standby(
    client: &tokio_postgres::Client,
    version_num: i32,
) -> Result<StandbyView, QueryError> {
    let sender = if version_num >= 110_000 {
        "sender_host, sender_port"
    } else {
        "NULL::text, NULL::int"
    };
    let sql = format!(
        "SELECT pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn(), \
                pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), \
                extract(epoch from now() - pg_last_xact_replay_timestamp()), \
                pg_is_wal_replay_paused(); \
         SELECT status, slot_name, conninfo, {sender}, \
                extract(epoch from now() - last_msg_receipt_time), \
                pg_wal_lsn_diff(latest_end_lsn, pg_last_wal_replay_lsn()), latest_end_lsn \
         FROM pg_stat_wal_receiver"
    );
    let results = batch(client, &sql).await?;
    let mut view = StandbyView {
        application_name: DEFAULT_RECEIVER_NAME.to_string(),
        ..StandbyView::default()
    };
    if let Some(r) = results.first().and_then(|rows| rows.first()) {
        view.receive_lsn = text(r, 0);
        view.replay_lsn = text(r, 1);
        view.lag_bytes = number(r, 2);
        view.replay_age = number(r, 3);
        view.paused = flag(r, 4);
    }
    if let Some(r) = results.get(1).and_then(|rows| rows.first()) {
        view.receiver_status = text(r, 0);
        view.receiver_hidden = view.receiver_status.is_none();
        view.receiver_slot = text(r, 1);
        if let Some(conninfo) = r.get(2) {
            if let Some(name) = conninfo_value(conninfo, "application_name")
                .or_else(|| conninfo_value(conninfo, "fallback_application_name"))
            {
                view.application_name = name;
            }
        }
        view.sender_host = text(r, 3);
        view.sender_port = r.get(4).and_then(|v| v.parse().ok());
        view.last_message_age = number(r, 5);
        view.unreceived_bytes = number(r, 6);
        view.sender_end_lsn = text(r, 7);
    }
    Ok(view)
}
