//! Webhook endpoints, messages, the delivery log and the dispatcher's position.

use chrono::{DateTime, Utc};
use entity::webhook_messages::{self, MessageStatus};
use entity::{webhook_attempts, webhook_dispatch, webhook_endpoints};
use sea_orm::sea_query::{Expr, LockBehavior, LockType, OnConflict, Query};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait,
    ExprTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::Cursor;
use super::events::Position;
use crate::error::{ApiError, ApiResult};

/// Whose endpoints a caller manages: one partner organization's, or all (admins).
#[derive(Clone, Copy, Debug)]
pub enum Owner {
    Organization(i64),
    Any,
}

impl Owner {
    fn condition(self) -> Condition {
        match self {
            Self::Organization(org) => {
                Condition::all().add(webhook_endpoints::Column::OrganizationId.eq(org))
            }
            Self::Any => Condition::all(),
        }
    }
}

pub async fn insert_endpoint(
    db: &impl ConnectionTrait,
    endpoint: webhook_endpoints::ActiveModel,
) -> ApiResult<webhook_endpoints::Model> {
    Ok(endpoint.insert(db).await?)
}

/// The endpoint if `owner` manages it.
pub async fn find_endpoint(
    db: &impl ConnectionTrait,
    owner: Owner,
    id: i64,
) -> ApiResult<webhook_endpoints::Model> {
    webhook_endpoints::Entity::find_by_id(id)
        .filter(owner.condition())
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("webhook endpoint"))
}

pub async fn endpoints(
    db: &impl ConnectionTrait,
    owner: Owner,
) -> ApiResult<Vec<webhook_endpoints::Model>> {
    Ok(webhook_endpoints::Entity::find()
        .filter(owner.condition())
        .order_by_asc(webhook_endpoints::Column::Id)
        .all(db)
        .await?)
}

/// How many endpoints an organization has (`None`: internal endpoints).
pub async fn count_endpoints(
    db: &impl ConnectionTrait,
    organization: Option<i64>,
) -> ApiResult<u64> {
    use sea_orm::PaginatorTrait;
    let column = webhook_endpoints::Column::OrganizationId;
    Ok(webhook_endpoints::Entity::find()
        .filter(match organization {
            Some(organization) => column.eq(organization),
            None => column.is_null(),
        })
        .count(db)
        .await?)
}

pub async fn enabled_endpoints(
    db: &impl ConnectionTrait,
) -> ApiResult<Vec<webhook_endpoints::Model>> {
    Ok(webhook_endpoints::Entity::find()
        .filter(webhook_endpoints::Column::Enabled.eq(true))
        .all(db)
        .await?)
}

/// Applies `changes` if the endpoint is still at `expected_version`, bumping it; `CONFLICT`
/// otherwise.
pub async fn update_endpoint(
    db: &impl ConnectionTrait,
    id: i64,
    expected_version: i32,
    mut changes: webhook_endpoints::ActiveModel,
) -> ApiResult<webhook_endpoints::Model> {
    changes.version = Set(expected_version + 1);
    let updated = webhook_endpoints::Entity::update_many()
        .set(changes)
        .filter(webhook_endpoints::Column::Id.eq(id))
        .filter(webhook_endpoints::Column::Version.eq(expected_version))
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next();
    if let Some(endpoint) = updated {
        return Ok(endpoint);
    }
    let current = webhook_endpoints::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("webhook endpoint"))?;
    Err(ApiError::StaleVersion {
        what: "webhook endpoint",
        current: current.version,
    })
}

/// Deletes the endpoint with its messages and their attempts (cascade).
pub async fn delete_endpoint(db: &impl ConnectionTrait, id: i64) -> ApiResult<()> {
    webhook_endpoints::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// The dispatcher's position, locked until the transaction ends on PostgreSQL so that two
/// dispatchers never read the same events (SQLite serializes writers anyway).
pub async fn lock_dispatch_position(db: &impl ConnectionTrait) -> ApiResult<Position> {
    let mut query = webhook_dispatch::Entity::find_by_id(1);
    if db.get_database_backend() == DbBackend::Postgres {
        query = query.lock(LockType::Update);
    }
    let row = query
        .one(db)
        .await?
        .ok_or_else(|| ApiError::Internal("webhook_dispatch has no row".into()))?;
    Ok(Position {
        commit_tx: row.commit_tx,
        id: row.event_id,
    })
}

pub async fn set_dispatch_position(db: &impl ConnectionTrait, at: Position) -> ApiResult<()> {
    webhook_dispatch::ActiveModel {
        id: Set(1),
        commit_tx: Set(at.commit_tx),
        event_id: Set(at.id),
    }
    .update(db)
    .await?;
    Ok(())
}

/// Inserts messages, skipping any an endpoint already has for the same event.
pub async fn insert_messages(
    db: &impl ConnectionTrait,
    messages: Vec<webhook_messages::ActiveModel>,
) -> ApiResult<u64> {
    if messages.is_empty() {
        return Ok(0);
    }
    Ok(webhook_messages::Entity::insert_many(messages)
        .on_conflict(
            OnConflict::columns([
                webhook_messages::Column::EndpointId,
                webhook_messages::Column::EventId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?)
}

/// Claims up to `limit` messages whose endpoint is enabled: pending ones due at `now`, oldest
/// first, then ones whose worker's lease ran out (it died while sending). Each gets status
/// `SENDING` and a lease until `lease_until`, during which no other worker takes it. Pending
/// messages are read in the order of `idx_webhook_messages_due` (status, due time, id), so a
/// claim costs what it takes, however long the queue. On PostgreSQL the rows are read `FOR
/// UPDATE SKIP LOCKED`, so concurrent workers claim different messages instead of waiting on
/// each other.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> ApiResult<Vec<webhook_messages::Model>> {
    use webhook_messages::Column;
    let enabled = Query::select()
        .column(webhook_endpoints::Column::Id)
        .from(webhook_endpoints::Entity)
        .and_where(webhook_endpoints::Column::Enabled.eq(true))
        .to_owned();
    let mut due = Vec::new();
    for status in [MessageStatus::Pending, MessageStatus::Sending] {
        let wanted = limit.saturating_sub(due.len() as u64);
        if wanted == 0 {
            break;
        }
        let query = webhook_messages::Entity::find()
            .filter(Column::Status.eq(status))
            .filter(Column::EndpointId.in_subquery(enabled.clone()));
        let mut query = match status {
            MessageStatus::Pending => query
                .filter(Column::NextAttemptAt.lte(now))
                .order_by_asc(Column::NextAttemptAt)
                .order_by_asc(Column::Id),
            _ => query
                .filter(Column::LockedUntil.lte(now))
                .order_by_asc(Column::Id),
        }
        .limit(wanted);
        if db.get_database_backend() == DbBackend::Postgres {
            query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        due.extend(query.all(db).await?);
    }
    if due.is_empty() {
        return Ok(due);
    }
    webhook_messages::Entity::update_many()
        .col_expr(
            Column::Status,
            Expr::value(MessageStatus::Sending.to_value()),
        )
        .col_expr(Column::LockedUntil, Expr::value(lease_until))
        .filter(Column::Id.is_in(due.iter().map(|m| m.id)))
        .exec(db)
        .await?;
    Ok(due)
}

/// Records an attempt and the message's new state, if the message is still under the lease
/// this worker took (`leased_until`).
pub async fn finish_attempt(
    db: &impl ConnectionTrait,
    message: &webhook_messages::Model,
    leased_until: DateTime<Utc>,
    attempt: webhook_attempts::ActiveModel,
    status: MessageStatus,
    next_attempt_at: DateTime<Utc>,
) -> ApiResult<bool> {
    use webhook_messages::Column;
    let updated = webhook_messages::Entity::update_many()
        .col_expr(Column::Status, Expr::value(status.to_value()))
        .col_expr(Column::Attempts, Column::Attempts.into_expr().add(1))
        .col_expr(Column::NextAttemptAt, Expr::value(next_attempt_at))
        .col_expr(
            Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(Column::Id.eq(message.id))
        .filter(Column::LockedUntil.eq(leased_until))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Ok(false);
    }
    attempt.insert(db).await?;
    Ok(true)
}

/// A delivery succeeded: the endpoint is failing no more.
pub async fn end_failure_streak(db: &impl ConnectionTrait, endpoint_id: i64) -> ApiResult<()> {
    use webhook_endpoints::Column;
    webhook_endpoints::Entity::update_many()
        .col_expr(
            Column::FailingSince,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(Column::Id.eq(endpoint_id))
        .exec(db)
        .await?;
    Ok(())
}

/// A delivery failed: the endpoint is failing since `now`, unless it was already.
pub async fn start_failure_streak(
    db: &impl ConnectionTrait,
    endpoint_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    use webhook_endpoints::Column;
    webhook_endpoints::Entity::update_many()
        .col_expr(Column::FailingSince, Expr::value(now))
        .filter(Column::Id.eq(endpoint_id))
        .filter(Column::FailingSince.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Disables an enabled endpoint that has been failing since before `failing_before` (as the
/// database has it: another worker's success may have ended the streak), saying why; whether
/// it did.
pub async fn disable_failing(
    db: &impl ConnectionTrait,
    endpoint_id: i64,
    failing_before: DateTime<Utc>,
    reason: String,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    use webhook_endpoints::Column;
    let disabled = webhook_endpoints::Entity::update_many()
        .col_expr(Column::Enabled, Expr::value(false))
        .col_expr(Column::DisabledAt, Expr::value(now))
        .col_expr(Column::DisabledReason, Expr::value(reason))
        .col_expr(Column::Version, Column::Version.into_expr().add(1))
        .filter(Column::Id.eq(endpoint_id))
        .filter(Column::Enabled.eq(true))
        .filter(Column::FailingSince.lte(failing_before))
        .exec(db)
        .await?;
    Ok(disabled.rows_affected > 0)
}

pub async fn find_message(
    db: &impl ConnectionTrait,
    id: i64,
) -> ApiResult<Option<webhook_messages::Model>> {
    Ok(webhook_messages::Entity::find_by_id(id).one(db).await?)
}

/// Schedules the message for an attempt at `now`, whatever its state, keeping its id.
pub async fn redeliver(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<webhook_messages::Model> {
    use webhook_messages::Column;
    webhook_messages::Entity::update_many()
        .col_expr(
            Column::Status,
            Expr::value(MessageStatus::Pending.to_value()),
        )
        .col_expr(Column::NextAttemptAt, Expr::value(now))
        .col_expr(
            Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(Column::Id.eq(id))
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next()
        .ok_or(ApiError::NotFound("webhook message"))
}

/// One page of an endpoint's messages, newest first.
pub async fn messages(
    db: &impl ConnectionTrait,
    endpoint_id: i64,
    after: Option<Cursor>,
    limit: u64,
) -> ApiResult<Vec<webhook_messages::Model>> {
    use webhook_messages::Column;
    let mut query = webhook_messages::Entity::find().filter(Column::EndpointId.eq(endpoint_id));
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

/// The attempts of the messages, oldest first.
pub async fn attempts(
    db: &impl ConnectionTrait,
    message_ids: &[i64],
) -> ApiResult<Vec<webhook_attempts::Model>> {
    Ok(webhook_attempts::Entity::find()
        .filter(webhook_attempts::Column::MessageId.is_in(message_ids.iter().copied()))
        .order_by_asc(webhook_attempts::Column::MessageId)
        .order_by_asc(webhook_attempts::Column::Id)
        .all(db)
        .await?)
}
