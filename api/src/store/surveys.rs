//! Surveys: issued once per ticket, answered once, listed per customer, centre or partner.

use chrono::{DateTime, Utc};
use entity::surveys::{self, Column};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::complaints::Scope;
use crate::domain::survey::ValidAnswers;
use crate::error::{ApiError, ApiResult};

pub async fn find(db: &impl ConnectionTrait, id: i64) -> ApiResult<Option<surveys::Model>> {
    Ok(surveys::Entity::find_by_id(id).one(db).await?)
}

/// The surveys of these tickets of one kind (at most one each).
pub async fn of_tickets(
    db: &impl ConnectionTrait,
    kind: entity::ticket_events::TicketKind,
    ids: &[i64],
) -> ApiResult<Vec<surveys::Model>> {
    Ok(surveys::Entity::find()
        .filter(Column::TicketKind.eq(kind))
        .filter(Column::TicketId.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// Inserts the ticket's survey unless it has one (the unique index decides, so two racing
/// transitions still issue one).
/// `true` when this call issued it (a ticket gets one survey, however often it is asked for).
pub async fn insert_once(
    db: &impl ConnectionTrait,
    survey: surveys::ActiveModel,
) -> ApiResult<bool> {
    let inserted = surveys::Entity::insert(survey)
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([Column::TicketKind, Column::TicketId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted > 0)
}

/// Stores the answers if nobody has yet; else `CONFLICT` (a concurrent submission won).
pub async fn submit(
    db: &impl ConnectionTrait,
    id: i64,
    answers: ValidAnswers,
    follow_up_complaint_id: Option<i64>,
    entered_by: Option<i64>,
    now: DateTime<Utc>,
) -> ApiResult<surveys::Model> {
    let changes = surveys::ActiveModel {
        submitted_at: Set(Some(now)),
        timeliness: Set(Some(answers.timeliness)),
        attitude: Set(Some(answers.attitude)),
        professionalism: Set(Some(answers.professionalism)),
        result: Set(Some(answers.result)),
        overall: Set(Some(answers.overall)),
        comment: Set(answers.comment),
        would_recommend: Set(Some(answers.would_recommend)),
        follow_up_complaint_id: Set(follow_up_complaint_id),
        entered_by: Set(entered_by),
        ..Default::default()
    };
    surveys::Entity::update_many()
        .set(changes)
        .filter(Column::Id.eq(id))
        .filter(Column::SubmittedAt.is_null())
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::Conflict("the survey was already submitted".into()))
}

/// The customer's surveys still open at `now`, soonest expiry first.
pub async fn pending_of_customer(
    db: &impl ConnectionTrait,
    customer_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<Vec<surveys::Model>> {
    Ok(surveys::Entity::find()
        .filter(Column::CustomerId.eq(customer_id))
        .filter(Column::SubmittedAt.is_null())
        .filter(Column::ExpiresAt.gt(now))
        .order_by_asc(Column::ExpiresAt)
        .order_by_asc(Column::Id)
        .limit(100)
        .all(db)
        .await?)
}

/// One page of answered surveys, newest issued first, by keyset.
pub async fn list_submitted(
    db: &impl ConnectionTrait,
    scope: Scope,
    after: Option<super::Cursor>,
    limit: u64,
) -> ApiResult<Vec<surveys::Model>> {
    let mut query = surveys::Entity::find()
        .filter(match scope {
            Scope::ServiceCentre(id) => Column::ServiceCentreId.eq(id),
            Scope::Organization(id) => Column::OrganizationId.eq(id),
        })
        .filter(Column::SubmittedAt.is_not_null());
    if let Some(cursor) = after {
        query = query.filter(super::after(Column::CreatedAt, Column::Id, cursor));
    }
    Ok(query
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}
