//! Escalation records.

use chrono::{DateTime, Utc};
use entity::escalations;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::error::ApiResult;

#[allow(clippy::too_many_arguments)]
pub async fn insert(
    db: &impl ConnectionTrait,
    complaint_id: i64,
    from_level: i16,
    to_level: i16,
    reason: String,
    missed: Option<(&str, DateTime<Utc>)>,
    escalated_by: Option<i64>,
    from_user_id: Option<i64>,
    automatic: bool,
    now: DateTime<Utc>,
) -> ApiResult<escalations::Model> {
    let model = escalations::ActiveModel {
        complaint_id: Set(complaint_id),
        from_level: Set(from_level),
        to_level: Set(to_level),
        reason: Set(reason),
        deadline_kind: Set(missed.map(|(kind, _)| kind.to_owned())),
        deadline_at: Set(missed.map(|(_, at)| at)),
        escalated_by: Set(escalated_by),
        from_user_id: Set(from_user_id),
        automatic: Set(automatic),
        created_at: Set(now),
        acknowledged_at: Set(None),
        acknowledged_by: Set(None),
        ..Default::default()
    };
    Ok(model.insert(db).await?)
}

/// The first breach of `deadline_kind` recorded since `since` (the start of the clock's current
/// cycle) (R-ESC-6): who held the complaint then, and when the clock ran out.
pub async fn first_breach(
    db: &impl ConnectionTrait,
    complaint_id: i64,
    deadline_kind: &str,
    since: DateTime<Utc>,
) -> ApiResult<Option<(Option<i64>, DateTime<Utc>)>> {
    Ok(escalations::Entity::find()
        .filter(escalations::Column::ComplaintId.eq(complaint_id))
        .filter(escalations::Column::DeadlineKind.eq(deadline_kind))
        .filter(escalations::Column::CreatedAt.gte(since))
        .order_by_asc(escalations::Column::Id)
        .one(db)
        .await?
        .and_then(|e| Some((e.from_user_id, e.deadline_at?))))
}

pub async fn for_complaints(
    db: &impl ConnectionTrait,
    complaint_ids: &[i64],
) -> ApiResult<Vec<escalations::Model>> {
    Ok(escalations::Entity::find()
        .filter(escalations::Column::ComplaintId.is_in(complaint_ids.iter().copied()))
        .order_by_asc(escalations::Column::Id)
        .all(db)
        .await?)
}
