//! Retention policies, legal holds and destruction records (R-PRV-6), and the in-place
//! anonymization of a ticket's personal data the retention job applies.

use chrono::{DateTime, Utc};
use entity::ticket_events::TicketKind;
use entity::{complaints, destruction_records, legal_holds, repair_orders, retention_policies};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::Cursor;
use crate::error::ApiResult;

/// What an anonymized personal field holds from then on.
pub const REMOVED: &str = "[removed]";

pub async fn policies(db: &impl ConnectionTrait) -> ApiResult<Vec<retention_policies::Model>> {
    Ok(retention_policies::Entity::find()
        .order_by_asc(retention_policies::Column::TicketKind)
        .all(db)
        .await?)
}

/// Sets the period of `kind`; the period it replaces, if any.
pub async fn set_policy(
    db: &impl ConnectionTrait,
    kind: TicketKind,
    days: i32,
    now: DateTime<Utc>,
) -> ApiResult<(Option<i32>, retention_policies::Model)> {
    let old = retention_policies::Entity::find_by_id(kind).one(db).await?;
    let row = retention_policies::ActiveModel {
        ticket_kind: Set(kind),
        retention_days: Set(days),
        updated_at: Set(now),
    };
    let saved = match &old {
        Some(_) => row.update(db).await?,
        None => row.insert(db).await?,
    };
    Ok((old.map(|policy| policy.retention_days), saved))
}

pub async fn place_hold(
    db: &impl ConnectionTrait,
    kind: TicketKind,
    ticket_id: i64,
    reason: String,
    by: i64,
    now: DateTime<Utc>,
) -> ApiResult<legal_holds::Model> {
    Ok(legal_holds::ActiveModel {
        ticket_kind: Set(kind),
        ticket_id: Set(ticket_id),
        reason: Set(reason),
        placed_by: Set(by),
        placed_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Releases the ticket's holds in force; how many there were.
pub async fn release_holds(
    db: &impl ConnectionTrait,
    kind: TicketKind,
    ticket_id: i64,
    by: i64,
    now: DateTime<Utc>,
) -> ApiResult<u64> {
    use legal_holds::Column;
    Ok(legal_holds::Entity::update_many()
        .col_expr(Column::ReleasedBy, Expr::value(by))
        .col_expr(Column::ReleasedAt, Expr::value(now))
        .filter(Column::TicketKind.eq(kind))
        .filter(Column::TicketId.eq(ticket_id))
        .filter(Column::ReleasedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// The ticket's holds in force.
pub async fn holds_of(
    db: &impl ConnectionTrait,
    kind: TicketKind,
    ticket_id: i64,
) -> ApiResult<Vec<legal_holds::Model>> {
    use legal_holds::Column;
    Ok(legal_holds::Entity::find()
        .filter(Column::TicketKind.eq(kind))
        .filter(Column::TicketId.eq(ticket_id))
        .filter(Column::ReleasedAt.is_null())
        .all(db)
        .await?)
}

/// Ids of tickets of `kind` that are done with: anonymized already, or held.
fn exempt(
    kind: TicketKind,
) -> (
    sea_orm::sea_query::SelectStatement,
    sea_orm::sea_query::SelectStatement,
) {
    let destroyed = Query::select()
        .column(destruction_records::Column::TicketId)
        .from(destruction_records::Entity)
        .and_where(destruction_records::Column::TicketKind.eq(kind))
        .to_owned();
    let held = Query::select()
        .column(legal_holds::Column::TicketId)
        .from(legal_holds::Entity)
        .and_where(legal_holds::Column::TicketKind.eq(kind))
        .and_where(legal_holds::Column::ReleasedAt.is_null())
        .to_owned();
    (destroyed, held)
}

/// Up to `limit` repair orders closed before `cutoff`, not yet anonymized and not held.
pub async fn expired_repair_orders(
    db: &impl ConnectionTrait,
    cutoff: DateTime<Utc>,
    limit: u64,
) -> ApiResult<Vec<repair_orders::Model>> {
    use repair_orders::Column;
    let (destroyed, held) = exempt(TicketKind::RepairOrder);
    Ok(repair_orders::Entity::find()
        .filter(Column::ClosedAt.lt(cutoff))
        .filter(Column::Id.not_in_subquery(destroyed))
        .filter(Column::Id.not_in_subquery(held))
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Up to `limit` complaints closed before `cutoff`, not yet anonymized and not held.
pub async fn expired_complaints(
    db: &impl ConnectionTrait,
    cutoff: DateTime<Utc>,
    limit: u64,
) -> ApiResult<Vec<complaints::Model>> {
    use complaints::Column;
    let (destroyed, held) = exempt(TicketKind::Complaint);
    Ok(complaints::Entity::find()
        .filter(Column::ClosedAt.lt(cutoff))
        .filter(Column::Id.not_in_subquery(destroyed))
        .filter(Column::Id.not_in_subquery(held))
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// The customer's address and phone on the order become `REMOVED`; the fields changed.
pub async fn anonymize_repair_order(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<&'static [&'static str]> {
    use repair_orders::Column;
    repair_orders::Entity::update_many()
        .col_expr(Column::ServiceAddress, Expr::value(REMOVED))
        .col_expr(Column::ContactPhone, Expr::value(REMOVED))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(&["serviceAddress", "contactPhone"])
}

/// The complaint in the customer's words becomes `REMOVED`; the fields changed.
pub async fn anonymize_complaint(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<&'static [&'static str]> {
    use complaints::Column;
    complaints::Entity::update_many()
        .col_expr(Column::Description, Expr::value(REMOVED))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(&["description"])
}

/// What was destroyed, when, by which period.
pub struct Destruction<'a> {
    pub kind: TicketKind,
    pub ticket_id: i64,
    pub closed_at: DateTime<Utc>,
    pub retention_days: i32,
    pub fields: &'a [&'a str],
}

pub async fn record_destruction(
    db: &impl ConnectionTrait,
    destruction: Destruction<'_>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    destruction_records::ActiveModel {
        ticket_kind: Set(destruction.kind),
        ticket_id: Set(destruction.ticket_id),
        closed_at: Set(destruction.closed_at),
        retention_days: Set(destruction.retention_days),
        fields: Set(destruction.fields.join(",")),
        destroyed_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A page of destruction records, newest first.
pub async fn destruction_records(
    db: &impl ConnectionTrait,
    after: Option<Cursor>,
    limit: u64,
) -> ApiResult<Vec<destruction_records::Model>> {
    use destruction_records::Column;
    let mut query = destruction_records::Entity::find();
    if let Some(cursor) = after {
        query = query.filter(super::after(Column::DestroyedAt, Column::Id, cursor));
    }
    Ok(query
        .order_by_desc(Column::DestroyedAt)
        .order_by_desc(Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}
