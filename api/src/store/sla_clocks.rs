//! SLA clock rows: a ticket's clocks, the sweeper's claims, the breach list.

use chrono::{DateTime, Utc};
use entity::sla_clocks::{self, Column};
use entity::sla_policies::SlaMetric;
use entity::ticket_events::TicketKind;
use sea_orm::sea_query::{LockType, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::error::ApiResult;

/// Every clock of one ticket, by metric and cycle.
pub async fn of_ticket(
    db: &impl ConnectionTrait,
    kind: TicketKind,
    id: i64,
) -> ApiResult<Vec<sla_clocks::Model>> {
    Ok(sla_clocks::Entity::find()
        .filter(Column::TicketKind.eq(kind))
        .filter(Column::TicketId.eq(id))
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

/// The clocks of several tickets of one kind (a page's worth, for the DataLoader).
pub async fn of_tickets(
    db: &impl ConnectionTrait,
    kind: TicketKind,
    ids: &[i64],
) -> ApiResult<Vec<sla_clocks::Model>> {
    Ok(sla_clocks::Entity::find()
        .filter(Column::TicketKind.eq(kind))
        .filter(Column::TicketId.is_in(ids.iter().copied()))
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

pub async fn insert_many(
    db: &impl ConnectionTrait,
    clocks: Vec<sla_clocks::ActiveModel>,
) -> ApiResult<()> {
    if !clocks.is_empty() {
        sla_clocks::Entity::insert_many(clocks).exec(db).await?;
    }
    Ok(())
}

pub async fn update(db: &impl ConnectionTrait, clock: sla_clocks::ActiveModel) -> ApiResult<()> {
    clock.update(db).await?;
    Ok(())
}

/// The clock due first at `now`, of a ticket not among `skip` (tickets resting after a
/// failure, or held by another sweeper): the sweeper's next piece of work. Not locked: the
/// sweeper takes the ticket's row first (`tickets::try_lock`), then its clocks.
pub async fn next_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    skip: &[(TicketKind, i64)],
) -> ApiResult<Option<sla_clocks::Model>> {
    let mut query = sla_clocks::Entity::find()
        .filter(Column::NextCheckAt.lte(now))
        .order_by_asc(Column::NextCheckAt)
        .limit(1);
    for &(kind, id) in skip {
        query = query.filter(
            Condition::all()
                .add(Column::TicketKind.eq(kind))
                .add(Column::TicketId.eq(id))
                .not(),
        );
    }
    Ok(query.one(db).await?)
}

/// A ticket's clocks due at `now`, locked for the caller's transaction on PostgreSQL (the
/// caller holds the ticket's row, so nobody else is changing them).
pub async fn claim_due_of_ticket(
    db: &impl ConnectionTrait,
    kind: TicketKind,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<Vec<sla_clocks::Model>> {
    let mut query = sla_clocks::Entity::find()
        .filter(Column::TicketKind.eq(kind))
        .filter(Column::TicketId.eq(id))
        .filter(Column::NextCheckAt.lte(now))
        .order_by_asc(Column::Id);
    if db.get_database_backend() == DbBackend::Postgres {
        query = query.lock(LockType::Update);
    }
    Ok(query.all(db).await?)
}

/// Open clocks running by one policy (to rewrite when it changes).
pub async fn open_of_policy(
    db: &impl ConnectionTrait,
    policy_id: i64,
) -> ApiResult<Vec<sla_clocks::Model>> {
    Ok(sla_clocks::Entity::find()
        .filter(Column::PolicyId.eq(policy_id))
        .filter(Column::MetAt.is_null())
        .filter(Column::StoppedAt.is_null())
        .all(db)
        .await?)
}

/// Open business-time clocks of a centre (to recompute when its calendar changes).
pub async fn open_business_of_centre(
    db: &impl ConnectionTrait,
    centre_id: i64,
) -> ApiResult<Vec<sla_clocks::Model>> {
    Ok(sla_clocks::Entity::find()
        .filter(Column::ServiceCentreId.eq(centre_id))
        .filter(Column::BusinessTime.eq(true))
        .filter(Column::MetAt.is_null())
        .filter(Column::StoppedAt.is_null())
        .all(db)
        .await?)
}

/// Open clocks of `metric` that are overdue at `now` (running past their due time), for the
/// "breached" and "overdue" list filters.
pub fn overdue_now(metrics: &[SlaMetric], now: DateTime<Utc>) -> Condition {
    let mut condition = Condition::all()
        .add(Column::MetAt.is_null())
        .add(Column::StoppedAt.is_null())
        .add(Column::PausedSince.is_null())
        .add(Column::DueAt.lte(now));
    if !metrics.is_empty() {
        condition = condition.add(Column::Metric.is_in(metrics.iter().copied()));
    }
    condition
}

/// Ids of the tickets of `kind` that have a clock matching `condition`, as a subquery.
pub fn tickets_where(kind: TicketKind, condition: Condition) -> SelectStatement {
    Query::select()
        .column(Column::TicketId)
        .from(sla_clocks::Entity)
        .and_where(Column::TicketKind.eq(kind))
        .cond_where(condition)
        .to_owned()
}

/// Filter of `slaBreaches`.
#[derive(Clone, Debug, Default)]
pub struct BreachFilter {
    pub kind: Option<TicketKind>,
    pub metrics: Vec<SlaMetric>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Missed clocks of a centre, newest breach first, by keyset on `(breached_at, id)`.
pub async fn breaches(
    db: &impl ConnectionTrait,
    centre_id: i64,
    filter: &BreachFilter,
    after: Option<super::Cursor>,
    limit: u64,
) -> ApiResult<Vec<sla_clocks::Model>> {
    let mut query = sla_clocks::Entity::find()
        .filter(Column::ServiceCentreId.eq(centre_id))
        .filter(Column::BreachedAt.is_not_null());
    if let Some(kind) = filter.kind {
        query = query.filter(Column::TicketKind.eq(kind));
    }
    if !filter.metrics.is_empty() {
        query = query.filter(Column::Metric.is_in(filter.metrics.iter().copied()));
    }
    if let Some(from) = filter.from {
        query = query.filter(Column::BreachedAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(Column::BreachedAt.lt(to));
    }
    if let Some(cursor) = after {
        query = query.filter(super::after(Column::BreachedAt, Column::Id, cursor));
    }
    Ok(query
        .order_by_desc(Column::BreachedAt)
        .order_by_desc(Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}
