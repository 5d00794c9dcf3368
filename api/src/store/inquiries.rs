//! Inquiries (R-SLA-11): insertion with a readable number, versioned updates, listings.

use chrono::{DateTime, Utc};
use entity::inquiries::{self, Column, InquiryStatus};
use entity::ticket_events::TicketKind;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::domain::inquiry::inquiry_number;
use crate::error::ApiResult;

pub async fn find(db: &impl ConnectionTrait, id: i64) -> ApiResult<Option<inquiries::Model>> {
    Ok(inquiries::Entity::find_by_id(id).one(db).await?)
}

/// The row for a change, held until the transaction ends on PostgreSQL (a ticket before its
/// clocks, as every writer and the sweeper take them).
pub async fn find_for_update(
    db: &impl ConnectionTrait,
    id: i64,
) -> ApiResult<Option<inquiries::Model>> {
    let mut query = inquiries::Entity::find_by_id(id);
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock(sea_orm::sea_query::LockType::Update);
    }
    Ok(query.one(db).await?)
}

/// The inquiry a repair order or complaint was converted from, if any.
pub async fn converted_into(
    db: &impl ConnectionTrait,
    kind: TicketKind,
    id: i64,
) -> ApiResult<Option<inquiries::Model>> {
    Ok(inquiries::Entity::find()
        .filter(Column::ConvertedKind.eq(kind))
        .filter(Column::ConvertedId.eq(id))
        .one(db)
        .await?)
}

/// Inserts the inquiry with its number, which embeds its key.
pub async fn insert(
    txn: &DatabaseTransaction,
    mut inquiry: inquiries::ActiveModel,
    asked_at: DateTime<Utc>,
) -> ApiResult<inquiries::Model> {
    let id = super::next_key(txn, "inquiries").await?;
    inquiry.id = Set(id);
    inquiry.number = Set(inquiry_number(asked_at, id));
    Ok(inquiry.insert(txn).await?)
}

/// Whose inquiries a staff listing covers.
#[derive(Clone, Copy, Debug)]
pub enum Scope {
    ServiceCentre(i64),
    Organization(i64),
    /// A technician: the inquiries passed to them.
    Handler(i64),
}

/// Narrows a listing.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub statuses: Vec<InquiryStatus>,
    /// Inquiries whose reply clock runs past its due time.
    pub overdue: Option<bool>,
    pub handler_id: Option<i64>,
}

/// One page, newest first, by keyset.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: Scope,
    filter: &ListFilter,
    after: Option<super::Cursor>,
    limit: u64,
    now: DateTime<Utc>,
) -> ApiResult<Vec<inquiries::Model>> {
    let mut query = inquiries::Entity::find().filter(match scope {
        Scope::ServiceCentre(id) => Column::ServiceCentreId.eq(id),
        Scope::Organization(id) => Column::OrganizationId.eq(id),
        Scope::Handler(id) => Column::HandlerId.eq(id),
    });
    if !filter.statuses.is_empty() {
        query = query.filter(Column::Status.is_in(filter.statuses.iter().copied()));
    }
    if let Some(handler) = filter.handler_id {
        query = query.filter(Column::HandlerId.eq(handler));
    }
    if let Some(overdue) = filter.overdue {
        let late = super::sla_clocks::tickets_where(
            TicketKind::Inquiry,
            super::sla_clocks::overdue_now(&[], now),
        );
        query = query.filter(if overdue {
            Column::Id.in_subquery(late)
        } else {
            Column::Id.not_in_subquery(late)
        });
    }
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

/// One page of a customer's inquiries, newest first, by keyset.
pub async fn of_customer(
    db: &impl ConnectionTrait,
    customer_id: i64,
    after: Option<super::Cursor>,
    limit: u64,
) -> ApiResult<Vec<inquiries::Model>> {
    let mut query = inquiries::Entity::find().filter(Column::CustomerId.eq(customer_id));
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
