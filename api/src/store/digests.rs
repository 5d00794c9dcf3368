//! The manager's daily digests of GENERAL complaints (R-CLS-1).

use chrono::{DateTime, NaiveDate, Utc};
use entity::complaints::{self, Severity};
use entity::manager_digests::{self, Column};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::error::ApiResult;

pub async fn exists(db: &impl ConnectionTrait, centre_id: i64, day: NaiveDate) -> ApiResult<bool> {
    Ok(manager_digests::Entity::find()
        .filter(Column::ServiceCentreId.eq(centre_id))
        .filter(Column::Day.eq(day))
        .count(db)
        .await?
        > 0)
}

/// Writes the digest unless another instance wrote it first; `true` when this one did.
pub async fn insert_once(
    db: &impl ConnectionTrait,
    digest: manager_digests::ActiveModel,
) -> ApiResult<bool> {
    let inserted = manager_digests::Entity::insert(digest)
        .on_conflict(
            OnConflict::columns([Column::ServiceCentreId, Column::Day])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted > 0)
}

/// The centre's latest `limit` digests, newest first.
pub async fn of_centre(
    db: &impl ConnectionTrait,
    centre_id: i64,
    limit: u64,
) -> ApiResult<Vec<manager_digests::Model>> {
    Ok(manager_digests::Entity::find()
        .filter(Column::ServiceCentreId.eq(centre_id))
        .order_by_desc(Column::Day)
        .limit(limit)
        .all(db)
        .await?)
}

/// GENERAL complaints a centre received in `[from, to)`: how many, how many are still open,
/// and the numbers of the first `max_numbers`.
pub async fn general_received(
    db: &impl ConnectionTrait,
    centre_id: i64,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    max_numbers: u64,
) -> ApiResult<(u64, u64, Vec<String>)> {
    use complaints::Column as C;
    let received = || {
        complaints::Entity::find()
            .filter(C::ServiceCentreId.eq(centre_id))
            .filter(C::Severity.eq(Severity::General))
            .filter(C::CreatedAt.gte(from))
            .filter(C::CreatedAt.lt(to))
    };
    let total = received().count(db).await?;
    let open = received().filter(C::ResolvedAt.is_null()).count(db).await?;
    let numbers = received()
        .select_only()
        .column(C::Number)
        .order_by_asc(C::CreatedAt)
        .order_by_asc(C::Id)
        .limit(max_numbers)
        .into_tuple()
        .all(db)
        .await?;
    Ok((total, open, numbers))
}
