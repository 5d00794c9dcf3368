//! Bulk exports (R-PRV-12): the request, its approval, the produced file and its one download.

use chrono::{DateTime, Utc};
use entity::{exports, repair_orders};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::error::ApiResult;

/// Most rows one export holds.
pub const MAX_ROWS: u64 = 100_000;

pub struct NewExport {
    pub kind: &'static str,
    pub service_centre_id: i64,
    pub reported_from: Option<DateTime<Utc>>,
    pub reported_to: Option<DateTime<Utc>>,
    pub requested_by: i64,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    new: NewExport,
    now: DateTime<Utc>,
) -> ApiResult<exports::Model> {
    Ok(exports::ActiveModel {
        kind: Set(new.kind.to_owned()),
        service_centre_id: Set(new.service_centre_id),
        reported_from: Set(new.reported_from),
        reported_to: Set(new.reported_to),
        requested_by: Set(new.requested_by),
        requested_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> ApiResult<Option<exports::Model>> {
    Ok(exports::Entity::find_by_id(id).one(db).await?)
}

/// Approves a pending export; false when someone approved it first.
pub async fn approve(
    db: &impl ConnectionTrait,
    id: i64,
    by: i64,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    use exports::Column;
    let done = exports::Entity::update_many()
        .col_expr(Column::ApprovedBy, Expr::value(by))
        .col_expr(Column::ApprovedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::ApprovedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Approved exports whose file is not produced yet.
pub async fn approved_unproduced(db: &impl ConnectionTrait) -> ApiResult<Vec<exports::Model>> {
    use exports::Column;
    Ok(exports::Entity::find()
        .filter(Column::ApprovedAt.is_not_null())
        .filter(Column::ProducedAt.is_null())
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

/// The centre's orders reported in the range, oldest first.
pub async fn orders_of(
    db: &impl ConnectionTrait,
    export: &exports::Model,
) -> ApiResult<Vec<repair_orders::Model>> {
    use repair_orders::Column;
    let mut query =
        repair_orders::Entity::find().filter(Column::ServiceCentreId.eq(export.service_centre_id));
    if let Some(from) = export.reported_from {
        query = query.filter(Column::ReportedAt.gte(from));
    }
    if let Some(to) = export.reported_to {
        query = query.filter(Column::ReportedAt.lt(to));
    }
    Ok(query
        .order_by_asc(Column::ReportedAt)
        .order_by_asc(Column::Id)
        .limit(MAX_ROWS)
        .all(db)
        .await?)
}

pub async fn set_produced(
    db: &impl ConnectionTrait,
    id: i64,
    content: String,
    rows: i32,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    use exports::Column;
    exports::Entity::update_many()
        .col_expr(Column::Content, Expr::value(content))
        .col_expr(Column::RowCount, Expr::value(rows))
        .col_expr(Column::ProducedAt, Expr::value(now))
        .col_expr(Column::ExpiresAt, Expr::value(expires_at))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Takes the file out of a ready export: its content, or none when it was downloaded already
/// or has expired (one download, whoever races).
pub async fn take(
    db: &impl ConnectionTrait,
    export: &exports::Model,
    now: DateTime<Utc>,
) -> ApiResult<Option<String>> {
    use exports::Column;
    let done = exports::Entity::update_many()
        .col_expr(Column::DownloadedAt, Expr::value(now))
        .col_expr(Column::Content, Expr::value(Option::<String>::None))
        .filter(Column::Id.eq(export.id))
        .filter(Column::DownloadedAt.is_null())
        .filter(Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok((done.rows_affected == 1).then(|| export.content.clone().unwrap_or_default()))
}

/// Drops the files of exports that expired unread.
pub async fn clear_expired(db: &impl ConnectionTrait, now: DateTime<Utc>) -> ApiResult<u64> {
    use exports::Column;
    Ok(exports::Entity::update_many()
        .col_expr(Column::Content, Expr::value(Option::<String>::None))
        .filter(Column::ExpiresAt.lte(now))
        .filter(Column::Content.is_not_null())
        .exec(db)
        .await?
        .rows_affected)
}
