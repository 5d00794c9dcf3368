//! Return visits: scheduling, the agents' due list, recording, supervisor review; and the
//! centres' rest hours.

use chrono::{DateTime, NaiveTime, Timelike, Utc};
use entity::return_visits::{self, Column, rest_hours};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use entity::sla_policies::SlaMetric;
use entity::ticket_events::TicketKind;

use crate::domain::return_visit::RestHours;
use crate::error::{ApiError, ApiResult};

/// Longest list returned at once; a centre's backlog beyond it waits for the next read.
const LIST_LIMIT: u64 = 200;

pub async fn find(db: &impl ConnectionTrait, id: i64) -> ApiResult<Option<return_visits::Model>> {
    Ok(return_visits::Entity::find_by_id(id).one(db).await?)
}

pub async fn insert(
    db: &impl ConnectionTrait,
    visit: return_visits::ActiveModel,
) -> ApiResult<return_visits::Model> {
    Ok(visit.insert(db).await?)
}

/// Applies `changes` if the visit is still in the state `unchanged` selects; else `CONFLICT`.
pub async fn update_if(
    db: &impl ConnectionTrait,
    id: i64,
    unchanged: Column,
    changes: return_visits::ActiveModel,
) -> ApiResult<return_visits::Model> {
    return_visits::Entity::update_many()
        .set(changes)
        .filter(Column::Id.eq(id))
        .filter(unchanged.is_null())
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::Conflict("the return visit was changed by someone else".into()))
}

/// The centre's visits not yet made, due at or before `until`, earliest first.
pub async fn due(
    db: &impl ConnectionTrait,
    centre_id: i64,
    until: Option<DateTime<Utc>>,
) -> ApiResult<Vec<return_visits::Model>> {
    let mut query = return_visits::Entity::find()
        .filter(Column::ServiceCentreId.eq(centre_id))
        .filter(Column::RecordedAt.is_null());
    if let Some(until) = until {
        query = query.filter(Column::DueAt.lte(until));
    }
    Ok(query
        .order_by_asc(Column::DueAt)
        .order_by_asc(Column::Id)
        .limit(LIST_LIMIT)
        .all(db)
        .await?)
}

/// The centre's recorded visits whose review clock ran out unmet by `now` (R-SLA-9), most
/// overdue first.
pub async fn reviews_overdue(
    db: &impl ConnectionTrait,
    centre_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<Vec<return_visits::Model>> {
    use entity::sla_clocks::{self, Column as Clock};
    let overdue: Vec<i64> = sla_clocks::Entity::find()
        .select_only()
        .column(Clock::TicketId)
        .filter(Clock::ServiceCentreId.eq(centre_id))
        .filter(Clock::TicketKind.eq(TicketKind::ReturnVisit))
        .filter(Clock::Metric.eq(SlaMetric::Review))
        .filter(Clock::MetAt.is_null())
        .filter(Clock::StoppedAt.is_null())
        .filter(Clock::DueAt.lt(now))
        .order_by_asc(Clock::DueAt)
        .order_by_asc(Clock::TicketId)
        .limit(LIST_LIMIT)
        .into_tuple()
        .all(db)
        .await?;
    let mut visits = return_visits::Entity::find()
        .filter(Column::Id.is_in(overdue.iter().copied()))
        .all(db)
        .await?;
    visits.sort_by_key(|v| overdue.iter().position(|id| *id == v.id));
    Ok(visits)
}

/// The centre's rest hours; the default when none are set.
pub async fn rest_hours(db: &impl ConnectionTrait, centre_id: i64) -> ApiResult<RestHours> {
    let Some(row) = rest_hours::Entity::find_by_id(centre_id).one(db).await? else {
        return Ok(RestHours::default());
    };
    let time = |minute: i32| {
        NaiveTime::from_num_seconds_from_midnight_opt(u32::try_from(minute).ok()? * 60, 0)
    };
    match (time(row.start_minute), time(row.end_minute)) {
        (Some(start), Some(end)) => Ok(RestHours { start, end }),
        _ => Err(ApiError::Internal(format!(
            "centre {centre_id} has invalid rest hours"
        ))),
    }
}

pub async fn set_rest_hours(
    db: &impl ConnectionTrait,
    centre_id: i64,
    rest: RestHours,
) -> ApiResult<()> {
    let minute = |t: NaiveTime| i32::try_from(t.num_seconds_from_midnight() / 60).unwrap_or(0);
    let row = rest_hours::ActiveModel {
        service_centre_id: Set(centre_id),
        start_minute: Set(minute(rest.start)),
        end_minute: Set(minute(rest.end)),
    };
    rest_hours::Entity::insert(row)
        .on_conflict(
            OnConflict::column(rest_hours::Column::ServiceCentreId)
                .update_columns([
                    rest_hours::Column::StartMinute,
                    rest_hours::Column::EndMinute,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}
