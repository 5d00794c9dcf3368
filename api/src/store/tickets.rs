//! What the SLA engine does to a ticket row of any kind: lock it, raise its level.

use chrono::{DateTime, Utc};
use entity::ticket_events::TicketKind;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::error::ApiResult;

fn table(kind: TicketKind) -> &'static str {
    match kind {
        TicketKind::RepairOrder => "repair_orders",
        TicketKind::Complaint => "complaints",
        TicketKind::ReturnVisit => "return_visits",
        TicketKind::Inquiry => "inquiries",
    }
}

/// Takes the ticket's row for this transaction unless someone else holds it (PostgreSQL;
/// SQLite has one writer at a time): `false` when another sweeper or a change in progress has
/// it (a ticket that does not exist is "taken": its sweep reports the broken clock). Whoever changes a ticket takes its row before its clocks, so holding the row gives the
/// clocks without waiting on anyone who waits on us.
pub async fn try_lock(db: &impl ConnectionTrait, kind: TicketKind, id: i64) -> ApiResult<bool> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(true);
    }
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "SELECT id FROM {} WHERE id = $1 FOR UPDATE SKIP LOCKED",
                table(kind)
            ),
            [id.into()],
        ))
        .await?;
    if row.is_some() {
        return Ok(true);
    }
    // No row: held by someone else, or gone (then the sweep reports the clock as broken).
    let exists = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("SELECT id FROM {} WHERE id = $1", table(kind)),
            [id.into()],
        ))
        .await?;
    Ok(exists.is_none())
}

/// R-ESC-2: the ticket is now at `level`; its version moves on, as for any change of state.
pub async fn raise_level(
    db: &impl ConnectionTrait,
    kind: TicketKind,
    id: i64,
    level: i16,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => format!(
            "UPDATE {} SET escalation_level = $1, version = version + 1, updated_at = $2 \
             WHERE id = $3",
            table(kind)
        ),
        _ => format!(
            "UPDATE {} SET escalation_level = ?, version = version + 1, updated_at = ? \
             WHERE id = ?",
            table(kind)
        ),
    };
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [level.into(), now.into(), id.into()],
    ))
    .await?;
    Ok(())
}
