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

/// Escalations to the manager level or above that nobody of the centre has taken yet: the
/// supervisors' inbox (R-ESC-1 "reported at once", R-ESC-2).
pub async fn inbox(
    db: &impl ConnectionTrait,
    service_centre_id: i64,
) -> ApiResult<Vec<escalations::Model>> {
    use entity::complaints;
    use sea_orm::sea_query::Query;
    let centre_complaints = Query::select()
        .column(complaints::Column::Id)
        .from(complaints::Entity)
        .and_where(complaints::Column::ServiceCentreId.eq(service_centre_id))
        .to_owned();
    Ok(escalations::Entity::find()
        .filter(escalations::Column::AcknowledgedAt.is_null())
        .filter(escalations::Column::ToLevel.gte(2))
        .filter(escalations::Column::ComplaintId.in_subquery(centre_complaints))
        .order_by_asc(escalations::Column::Id)
        .all(db)
        .await?)
}

/// Marks an escalation as taken; the first acknowledgement stays.
pub async fn acknowledge(
    db: &impl ConnectionTrait,
    escalation: escalations::Model,
    by: i64,
    now: DateTime<Utc>,
) -> ApiResult<escalations::Model> {
    if escalation.acknowledged_at.is_some() {
        return Ok(escalation);
    }
    let mut model: escalations::ActiveModel = escalation.into();
    model.acknowledged_at = Set(Some(now));
    model.acknowledged_by = Set(Some(by));
    Ok(model.update(db).await?)
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> ApiResult<Option<escalations::Model>> {
    Ok(escalations::Entity::find_by_id(id).one(db).await?)
}
