//! One-time codes (see `auth::codes`): the open code of a destination, its attempts and use.

use chrono::{DateTime, Utc};
use entity::one_time_codes;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};

use crate::error::ApiResult;

pub struct NewCode<'a> {
    pub purpose: &'static str,
    pub destination: &'a str,
    pub code_hash: String,
    pub client_address: String,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    code: NewCode<'_>,
    now: DateTime<Utc>,
) -> ApiResult<one_time_codes::Model> {
    Ok(one_time_codes::ActiveModel {
        purpose: Set(code.purpose.to_owned()),
        destination: Set(code.destination.to_owned()),
        code_hash: Set(code.code_hash),
        attempts: Set(0),
        client_address: Set(Some(code.client_address)),
        created_at: Set(now),
        expires_at: Set(code.expires_at),
        consumed_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Codes sent to `destination` (any purpose) since `since`: the per-destination rate limit.
pub async fn sent_since(
    db: &impl ConnectionTrait,
    destination: &str,
    since: DateTime<Utc>,
) -> ApiResult<u64> {
    Ok(one_time_codes::Entity::find()
        .filter(one_time_codes::Column::Destination.eq(destination))
        .filter(one_time_codes::Column::CreatedAt.gte(since))
        .count(db)
        .await?)
}

/// The newest code for `destination` and `purpose`, unused and unexpired at `now`. Only the
/// newest counts: asking again replaces the previous code.
pub async fn open(
    db: &impl ConnectionTrait,
    purpose: &'static str,
    destination: &str,
    now: DateTime<Utc>,
) -> ApiResult<Option<one_time_codes::Model>> {
    let newest = one_time_codes::Entity::find()
        .filter(one_time_codes::Column::Destination.eq(destination))
        .filter(one_time_codes::Column::Purpose.eq(purpose))
        .order_by_desc(one_time_codes::Column::Id)
        .one(db)
        .await?;
    Ok(newest.filter(|code| code.consumed_at.is_none() && code.expires_at > now))
}

/// Counts a wrong code against `id`.
pub async fn failed_attempt(db: &impl ConnectionTrait, id: i64) -> ApiResult<()> {
    one_time_codes::Entity::update_many()
        .col_expr(
            one_time_codes::Column::Attempts,
            Expr::col(one_time_codes::Column::Attempts).add(1),
        )
        .filter(one_time_codes::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Uses the code up; `false` when it was used meanwhile (two requests with one code: one wins).
pub async fn consume(db: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> ApiResult<bool> {
    let done = one_time_codes::Entity::update_many()
        .col_expr(one_time_codes::Column::ConsumedAt, Expr::value(now))
        .filter(one_time_codes::Column::Id.eq(id))
        .filter(one_time_codes::Column::ConsumedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}
