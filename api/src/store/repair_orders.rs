//! Repair orders: insertion with a readable number, versioned updates, keyset listing.

use chrono::{DateTime, Utc};
use entity::repair_orders::{self, Column, RepairStatus};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QuerySelect, Set,
};

use super::Cursor;
use crate::domain::repair::order_number;
use crate::error::ApiResult;

pub async fn find(db: &impl ConnectionTrait, id: i64) -> ApiResult<Option<repair_orders::Model>> {
    Ok(repair_orders::Entity::find_by_id(id).one(db).await?)
}

/// The key of the order with this number (`RO-…`), if any.
pub async fn find_by_number(db: &impl ConnectionTrait, number: &str) -> ApiResult<Option<i64>> {
    Ok(repair_orders::Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::Number.eq(number.trim()))
        .into_tuple()
        .one(db)
        .await?)
}

/// The row for a change: held until the transaction ends on PostgreSQL, so every writer (and
/// the SLA sweeper) takes a ticket before its clocks and none waits on another in a circle.
pub async fn find_for_update(
    db: &impl ConnectionTrait,
    id: i64,
) -> ApiResult<Option<repair_orders::Model>> {
    let mut query = repair_orders::Entity::find_by_id(id);
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock(sea_orm::sea_query::LockType::Update);
    }
    Ok(query.one(db).await?)
}

pub async fn by_ids(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> ApiResult<Vec<repair_orders::Model>> {
    Ok(repair_orders::Entity::find()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// Inserts the order with its number, which embeds its key.
pub async fn insert(
    txn: &DatabaseTransaction,
    mut order: repair_orders::ActiveModel,
    reported_at: DateTime<Utc>,
) -> ApiResult<repair_orders::Model> {
    let id = super::next_key(txn, "repair_orders").await?;
    order.id = Set(id);
    order.number = Set(order_number(reported_at, id));
    Ok(order.insert(txn).await?)
}

/// Whose orders a listing covers.
#[derive(Clone, Copy, Debug)]
pub enum Scope {
    ServiceCentre(i64),
    Customer(i64),
    Technician(i64),
    Organization(i64),
}

#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub statuses: Vec<RepairStatus>,
    pub technician_id: Option<i64>,
    /// Orders whose arrival clock was missed (recorded, or overdue now).
    pub breached: Option<bool>,
    pub reported_from: Option<DateTime<Utc>>,
    pub reported_to: Option<DateTime<Utc>>,
    pub external_reference: Option<String>,
    /// Changed at or after.
    pub updated_since: Option<DateTime<Utc>>,
    pub order: super::ListOrder,
}

/// One page in the filter's order (newest first by default), by keyset on the sort time and
/// `id` — never OFFSET, so deep pages cost the same as the first.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: Scope,
    filter: &ListFilter,
    after: Option<Cursor>,
    limit: u64,
    now: DateTime<Utc>,
) -> ApiResult<Vec<repair_orders::Model>> {
    let mut query = repair_orders::Entity::find().filter(match scope {
        Scope::ServiceCentre(id) => Column::ServiceCentreId.eq(id),
        Scope::Customer(id) => Column::CustomerId.eq(id),
        Scope::Technician(id) => Column::TechnicianId.eq(id),
        Scope::Organization(id) => Column::OrganizationId.eq(id),
    });
    if !filter.statuses.is_empty() {
        query = query.filter(Column::Status.is_in(filter.statuses.iter().copied()));
    }
    if let Some(technician) = filter.technician_id {
        query = query.filter(Column::TechnicianId.eq(technician));
    }
    if let Some(from) = filter.reported_from {
        query = query.filter(Column::ReportedAt.gte(from));
    }
    if let Some(reference) = &filter.external_reference {
        query = query.filter(Column::ExternalReference.eq(reference.trim()));
    }
    if let Some(to) = filter.reported_to {
        query = query.filter(Column::ReportedAt.lt(to));
    }
    if let Some(breached) = filter.breached {
        use entity::sla_clocks::Column as Clock;
        use entity::sla_policies::SlaMetric;
        let missed = Condition::all()
            .add(Clock::Metric.eq(SlaMetric::Arrival))
            .add(
                Condition::any()
                    .add(Clock::BreachedAt.is_not_null())
                    .add(super::sla_clocks::overdue_now(&[SlaMetric::Arrival], now)),
            );
        let late = super::sla_clocks::tickets_where(
            entity::ticket_events::TicketKind::RepairOrder,
            missed,
        );
        query = query.filter(if breached {
            Column::Id.in_subquery(late)
        } else {
            Column::Id.not_in_subquery(late)
        });
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(Column::UpdatedAt.gte(since));
    }
    let columns = [Column::CreatedAt, Column::UpdatedAt, Column::Id];
    Ok(filter
        .order
        .page(query, columns, after)
        .limit(limit)
        .all(db)
        .await?)
}

/// Of `technicians`, those holding an order they still have to work on (assigned and not yet
/// completed, waits included).
pub async fn busy_technicians(
    db: &impl ConnectionTrait,
    technicians: &[i64],
) -> ApiResult<std::collections::HashSet<i64>> {
    let rows: Vec<Option<i64>> = repair_orders::Entity::find()
        .select_only()
        .column(Column::TechnicianId)
        .distinct()
        .filter(Column::TechnicianId.is_in(technicians.iter().copied()))
        .filter(Column::Status.is_in([
            RepairStatus::Assigned,
            RepairStatus::Accepted,
            RepairStatus::EnRoute,
            RepairStatus::OnSite,
            RepairStatus::Reopened,
            RepairStatus::WaitingForParts,
            RepairStatus::WaitingForCustomer,
        ]))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().flatten().collect())
}
