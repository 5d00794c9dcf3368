//! Follow-up cases (R-CMP-7).

use chrono::{DateTime, Utc};
use entity::follow_up_cases;
use entity::ticket_events::TicketKind;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use sea_orm::ExprTrait;

use crate::error::ApiResult;

/// Links `follow_up` to `original`, raised on visit `visit_id`.
pub async fn insert(
    db: &impl ConnectionTrait,
    visit_id: i64,
    original: (TicketKind, i64),
    follow_up: (TicketKind, i64),
    created_by: i64,
    now: DateTime<Utc>,
) -> ApiResult<follow_up_cases::Model> {
    Ok(follow_up_cases::ActiveModel {
        return_visit_id: Set(visit_id),
        original_kind: Set(original.0),
        original_id: Set(original.1),
        follow_up_kind: Set(follow_up.0),
        follow_up_id: Set(follow_up.1),
        created_by: Set(created_by),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Links in which any of the tickets is the original or the follow-up, oldest first.
pub async fn of_tickets(
    db: &impl ConnectionTrait,
    tickets: &[(TicketKind, i64)],
) -> ApiResult<Vec<follow_up_cases::Model>> {
    use follow_up_cases::Column as C;
    if tickets.is_empty() {
        return Ok(Vec::new());
    }
    let any = tickets.iter().fold(Condition::any(), |any, &(kind, id)| {
        any.add(C::OriginalKind.eq(kind).and(C::OriginalId.eq(id)))
            .add(C::FollowUpKind.eq(kind).and(C::FollowUpId.eq(id)))
    });
    Ok(follow_up_cases::Entity::find()
        .filter(any)
        .order_by_asc(C::Id)
        .all(db)
        .await?)
}
