//! Attachment rows: pending uploads by their uploader, attached ones by their ticket, and the
//! claim of expired pending ones for removal.

use chrono::{DateTime, Utc};
use entity::attachments::{self, Column, Entity};
use entity::ticket_events::TicketKind;
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::domain::identity::Principal;
use crate::error::ApiResult;

/// Who uploaded: a user or a partner's API key (the columns a row names them by).
pub fn uploader(principal: &Principal) -> Option<Condition> {
    match principal {
        Principal::User(user) => Some(Condition::all().add(Column::UploaderUserId.eq(user.id))),
        Principal::Partner { api_key_id, .. } => {
            Some(Condition::all().add(Column::UploaderApiKeyId.eq(*api_key_id)))
        }
        Principal::Anonymous => None,
    }
}

fn pending_since(since: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(Column::TicketId.is_null())
        .add(Column::CreatedAt.gt(since))
}

/// The uploader's pending uploads created after `since` (older ones are as good as removed).
pub async fn count_pending(
    db: &impl ConnectionTrait,
    uploader: Condition,
    since: DateTime<Utc>,
) -> ApiResult<u64> {
    Ok(Entity::find()
        .filter(uploader)
        .filter(pending_since(since))
        .count(db)
        .await?)
}

pub async fn insert_many(
    db: &impl ConnectionTrait,
    rows: Vec<attachments::ActiveModel>,
) -> ApiResult<()> {
    if !rows.is_empty() {
        Entity::insert_many(rows).exec(db).await?;
    }
    Ok(())
}

pub async fn by_object_keys(
    db: &impl ConnectionTrait,
    keys: Vec<String>,
) -> ApiResult<Vec<attachments::Model>> {
    Ok(Entity::find()
        .filter(Column::ObjectKey.is_in(keys))
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

/// The rows of `ids` this uploader made, whatever their state.
pub async fn of_uploader(
    db: &impl ConnectionTrait,
    uploader: Condition,
    ids: &[i64],
) -> ApiResult<Vec<attachments::Model>> {
    Ok(Entity::find()
        .filter(uploader)
        .filter(Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

pub async fn count_on_ticket(
    db: &impl ConnectionTrait,
    kind: TicketKind,
    ticket_id: i64,
) -> ApiResult<u64> {
    Ok(Entity::find()
        .filter(Column::TicketKind.eq(kind))
        .filter(Column::TicketId.eq(ticket_id))
        .count(db)
        .await?)
}

/// Attaches the pending rows of `ids` created after `since`; the number attached (fewer than
/// asked when the removal job took one meanwhile).
pub async fn attach(
    db: &impl ConnectionTrait,
    ids: &[i64],
    (kind, ticket_id): (TicketKind, i64),
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> ApiResult<u64> {
    let result = Entity::update_many()
        .col_expr(Column::TicketKind, Expr::value(kind))
        .col_expr(Column::TicketId, Expr::value(ticket_id))
        .col_expr(Column::AttachedAt, Expr::value(now))
        .filter(Column::Id.is_in(ids.iter().copied()))
        .filter(pending_since(since))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// The attachments of several tickets of one kind, oldest first.
pub async fn for_tickets(
    db: &impl ConnectionTrait,
    kind: TicketKind,
    ticket_ids: &[i64],
) -> ApiResult<Vec<attachments::Model>> {
    Ok(Entity::find()
        .filter(Column::TicketKind.eq(kind))
        .filter(Column::TicketId.is_in(ticket_ids.iter().copied()))
        .order_by_asc(Column::TicketId)
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> ApiResult<Option<attachments::Model>> {
    Ok(Entity::find_by_id(id).one(db).await?)
}

/// Up to `limit` pending uploads created at or before `cutoff`, taken for this transaction:
/// on PostgreSQL rows another instance is removing are skipped (`FOR UPDATE SKIP LOCKED`), and
/// an attach waiting on a taken row finds it gone. SQLite has one writer at a time.
pub async fn claim_expired(
    db: &impl ConnectionTrait,
    cutoff: DateTime<Utc>,
    limit: u64,
) -> ApiResult<Vec<attachments::Model>> {
    let mut query = Entity::find()
        .filter(Column::TicketId.is_null())
        .filter(Column::CreatedAt.lte(cutoff))
        .order_by_asc(Column::Id)
        .limit(limit);
    if db.get_database_backend() == DbBackend::Postgres {
        query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    Ok(query.all(db).await?)
}

pub async fn delete(db: &impl ConnectionTrait, ids: &[i64]) -> ApiResult<()> {
    Entity::delete_many()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}
