//! The supervisors' alerts about a staff member's valid complaints of a month (R-CMP-9).

use chrono::{DateTime, Utc};
use entity::staff_complaint_alerts::{self, Column};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::error::ApiResult;

/// Writes the month's alert for the staff member unless it exists; `true` when this call did
/// (the unique index decides, so two racing verifications write one).
pub async fn insert_once(
    db: &impl ConnectionTrait,
    alert: staff_complaint_alerts::ActiveModel,
) -> ApiResult<bool> {
    let inserted = staff_complaint_alerts::Entity::insert(alert)
        .on_conflict(
            OnConflict::columns([Column::StaffMemberId, Column::Month])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted > 0)
}

/// The centre's alerts nobody acknowledged yet, oldest first.
pub async fn inbox(
    db: &impl ConnectionTrait,
    centre_id: i64,
) -> ApiResult<Vec<staff_complaint_alerts::Model>> {
    Ok(staff_complaint_alerts::Entity::find()
        .filter(Column::ServiceCentreId.eq(centre_id))
        .filter(Column::AcknowledgedAt.is_null())
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

pub async fn find(
    db: &impl ConnectionTrait,
    id: i64,
) -> ApiResult<Option<staff_complaint_alerts::Model>> {
    Ok(staff_complaint_alerts::Entity::find_by_id(id)
        .one(db)
        .await?)
}

/// Takes the alert out of the inbox (the first acknowledgement stays).
pub async fn acknowledge(
    db: &impl ConnectionTrait,
    alert: staff_complaint_alerts::Model,
    by: i64,
    now: DateTime<Utc>,
) -> ApiResult<staff_complaint_alerts::Model> {
    if alert.acknowledged_at.is_some() {
        return Ok(alert);
    }
    use sea_orm::ActiveModelTrait;
    let mut active: staff_complaint_alerts::ActiveModel = alert.into();
    active.acknowledged_at = Set(Some(now));
    active.acknowledged_by = Set(Some(by));
    Ok(active.update(db).await?)
}
