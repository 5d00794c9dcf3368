//! Staff penalty points (R-SLA-10).

use chrono::{DateTime, Duration, Utc};
use entity::staff_penalties;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::error::ApiResult;

#[allow(clippy::too_many_arguments)]
pub async fn insert(
    db: &impl ConnectionTrait,
    user_id: i64,
    complaint_id: i64,
    deadline_kind: &str,
    deadline_at: DateTime<Utc>,
    lateness: Duration,
    points: u32,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    staff_penalties::ActiveModel {
        user_id: Set(user_id),
        complaint_id: Set(complaint_id),
        deadline_kind: Set(deadline_kind.to_owned()),
        deadline_at: Set(deadline_at),
        late_minutes: Set(i32::try_from(lateness.num_minutes()).unwrap_or(i32::MAX)),
        points: Set(i32::try_from(points).unwrap_or(i32::MAX)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

pub async fn of_complaint(
    db: &impl ConnectionTrait,
    complaint_id: i64,
) -> ApiResult<Vec<staff_penalties::Model>> {
    Ok(staff_penalties::Entity::find()
        .filter(staff_penalties::Column::ComplaintId.eq(complaint_id))
        .all(db)
        .await?)
}
