//! Complaints: insertion with a readable number, versioned updates, listing, overdue scans.

use chrono::{DateTime, Utc};
use entity::complaints::{self, Column};
use entity::users;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, JoinType,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::domain::complaint::complaint_number;
use crate::error::ApiResult;

pub async fn find(db: &impl ConnectionTrait, id: i64) -> ApiResult<Option<complaints::Model>> {
    Ok(complaints::Entity::find_by_id(id).one(db).await?)
}

pub async fn by_ids(db: &impl ConnectionTrait, ids: &[i64]) -> ApiResult<Vec<complaints::Model>> {
    Ok(complaints::Entity::find()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// The row for a change: held until the transaction ends on PostgreSQL, so every writer (and
/// the SLA sweeper) takes a ticket before its clocks and none waits on another in a circle.
pub async fn find_for_update(
    db: &impl ConnectionTrait,
    id: i64,
) -> ApiResult<Option<complaints::Model>> {
    let mut query = complaints::Entity::find_by_id(id);
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock(sea_orm::sea_query::LockType::Update);
    }
    Ok(query.one(db).await?)
}

pub async fn find_by_number(
    db: &impl ConnectionTrait,
    number: &str,
) -> ApiResult<Option<complaints::Model>> {
    Ok(complaints::Entity::find()
        .filter(Column::Number.eq(number))
        .one(db)
        .await?)
}

/// The complaint numbered `number` with its customer, in one statement (anonymous tracking
/// checks the phone on every lookup).
pub async fn find_by_number_with_customer(
    db: &impl ConnectionTrait,
    number: &str,
) -> ApiResult<Option<(complaints::Model, users::Model)>> {
    let customer = complaints::Entity::belongs_to(users::Entity)
        .from(Column::CustomerId)
        .to(users::Column::Id)
        .into();
    let found = complaints::Entity::find()
        .join(JoinType::InnerJoin, customer)
        .filter(Column::Number.eq(number))
        .select_also(users::Entity)
        .one(db)
        .await?;
    Ok(found.and_then(|(complaint, customer)| Some((complaint, customer?))))
}

/// Inserts the complaint with its number, which embeds its key.
pub async fn insert(
    txn: &DatabaseTransaction,
    mut complaint: complaints::ActiveModel,
    received_at: DateTime<Utc>,
) -> ApiResult<complaints::Model> {
    let id = super::next_key(txn, "complaints").await?;
    complaint.id = Set(id);
    complaint.number = Set(complaint_number(received_at, id));
    Ok(complaint.insert(txn).await?)
}

/// Whose complaints a listing covers.
#[derive(Clone, Copy, Debug)]
pub enum Scope {
    ServiceCentre(i64),
    Organization(i64),
}

#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub statuses: Vec<entity::complaints::ComplaintStatus>,
    pub severities: Vec<entity::complaints::Severity>,
    /// Complaints with a clock running past its due time.
    pub overdue: Option<bool>,
    pub external_reference: Option<String>,
    /// Changed at or after.
    pub updated_since: Option<DateTime<Utc>>,
    pub order: super::ListOrder,
}

/// One page in the filter's order, by keyset.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: Scope,
    filter: &ListFilter,
    after: Option<super::Cursor>,
    limit: u64,
    now: DateTime<Utc>,
) -> ApiResult<Vec<complaints::Model>> {
    let mut query = complaints::Entity::find().filter(match scope {
        Scope::ServiceCentre(id) => Column::ServiceCentreId.eq(id),
        Scope::Organization(id) => Column::OrganizationId.eq(id),
    });
    if !filter.statuses.is_empty() {
        query = query.filter(Column::Status.is_in(filter.statuses.iter().copied()));
    }
    if !filter.severities.is_empty() {
        query = query.filter(Column::Severity.is_in(filter.severities.iter().copied()));
    }
    if let Some(reference) = &filter.external_reference {
        query = query.filter(Column::ExternalReference.eq(reference.trim()));
    }
    if let Some(overdue) = filter.overdue {
        let late = super::sla_clocks::tickets_where(
            entity::ticket_events::TicketKind::Complaint,
            super::sla_clocks::overdue_now(&[], now),
        );
        query = query.filter(if overdue {
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

/// One page of a customer's complaints, newest first, by keyset.
pub async fn of_customer(
    db: &impl ConnectionTrait,
    customer_id: i64,
    after: Option<super::Cursor>,
    limit: u64,
) -> ApiResult<Vec<complaints::Model>> {
    let mut query = complaints::Entity::find().filter(Column::CustomerId.eq(customer_id));
    if let Some(cursor) = after {
        query = query.filter(super::after(Column::CreatedAt, Column::Id, cursor));
    }
    Ok(query
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// R-CLS-4: the customer's latest earlier complaint about this repair order, if any.
pub async fn earlier_about_order(
    db: &impl ConnectionTrait,
    customer_id: i64,
    repair_order_id: i64,
) -> ApiResult<Option<i64>> {
    Ok(complaints::Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::CustomerId.eq(customer_id))
        .filter(Column::RepairOrderId.eq(repair_order_id))
        .order_by_desc(Column::Id)
        .into_tuple::<i64>()
        .one(db)
        .await?)
}

/// R-CMP-9: valid, service-caused complaints naming `staff_member_id` received in
/// `[from, to)`.
pub async fn valid_against_staff(
    db: &impl ConnectionTrait,
    staff_member_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> ApiResult<i64> {
    use sea_orm::PaginatorTrait;
    let count = complaints::Entity::find()
        .filter(Column::StaffMemberId.eq(staff_member_id))
        .filter(Column::Valid.eq(true))
        .filter(Column::ServiceCaused.eq(true))
        .filter(Column::CreatedAt.gte(from))
        .filter(Column::CreatedAt.lt(to))
        .count(db)
        .await?;
    Ok(i64::try_from(count).unwrap_or(i64::MAX))
}
