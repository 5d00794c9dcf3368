//! R-SLA-13: schedules the warranty-end return visits on the sweeper's tick (see
//! `services::warranty_visits`); safe with several instances (one visit per product, unique).

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::error::ApiResult;

/// Writes the visits that are due and missing; returns how many.
pub async fn run(db: &DatabaseConnection, now: DateTime<Utc>) -> ApiResult<usize> {
    crate::services::warranty_visits::schedule(db, now).await
}
