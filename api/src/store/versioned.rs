//! Optimistic concurrency for every ticket kind: a change names the version it read, and only
//! that version is changed (one conditional `UPDATE … RETURNING`); anyone else gets `CONFLICT`
//! with the current version, or `NOT_FOUND` for a row that is gone.

use chrono::{DateTime, Utc};
use entity::{complaints, inquiries, repair_orders};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::error::{ApiError, ApiResult};

/// A table whose rows carry `id`, `version` and `updated_at`.
pub trait Versioned: EntityTrait {
    /// How errors name a row ("repair order").
    const WHAT: &'static str;
    fn id_column() -> Self::Column;
    fn version_column() -> Self::Column;
    fn version_of(row: &Self::Model) -> i32;
    /// Sets the next version and the time of the change on `changes`.
    fn stamp(changes: &mut Self::ActiveModel, version: i32, now: DateTime<Utc>);
}

/// Applies `changes` to row `id` if it is still at `expected_version`; else `CONFLICT`.
pub async fn update<E: Versioned>(
    db: &impl ConnectionTrait,
    id: i64,
    expected_version: i32,
    mut changes: E::ActiveModel,
    now: DateTime<Utc>,
) -> ApiResult<E::Model> {
    E::stamp(&mut changes, expected_version + 1, now);
    let updated = E::update_many()
        .set(changes)
        .filter(E::id_column().eq(id))
        .filter(E::version_column().eq(expected_version))
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next();
    if let Some(row) = updated {
        return Ok(row);
    }
    let current = E::find().filter(E::id_column().eq(id)).one(db).await?;
    Err(match current {
        Some(row) => stale::<E>(E::version_of(&row)),
        None => ApiError::NotFound(E::WHAT),
    })
}

/// `CONFLICT` for a caller whose version is not `current`.
pub fn stale<E: Versioned>(current: i32) -> ApiError {
    ApiError::StaleVersion {
        what: E::WHAT,
        current,
    }
}

macro_rules! versioned {
    ($($module:ident => $what:literal),* $(,)?) => {$(
        impl Versioned for $module::Entity {
            const WHAT: &'static str = $what;
            fn id_column() -> Self::Column {
                $module::Column::Id
            }
            fn version_column() -> Self::Column {
                $module::Column::Version
            }
            fn version_of(row: &Self::Model) -> i32 {
                row.version
            }
            fn stamp(changes: &mut Self::ActiveModel, version: i32, now: DateTime<Utc>) {
                changes.version = Set(version);
                changes.updated_at = Set(now);
            }
        }
    )*};
}

versioned!(
    repair_orders => "repair order",
    complaints => "complaint",
    inquiries => "inquiry",
);
