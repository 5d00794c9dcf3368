//! Business calendars of service centres.

use chrono::{NaiveTime, Timelike, Weekday};
use entity::{business_hours, holidays, service_centres};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::domain::calendar::{BusinessCalendar, WorkingHours};
use crate::error::{ApiError, ApiResult};

/// The centre's calendar; the standard one (Mon–Fri 09:00–18:00) when it has no hours set.
pub async fn for_centre(
    db: &impl ConnectionTrait,
    centre: &service_centres::Model,
) -> ApiResult<BusinessCalendar> {
    let tz = super::directory::time_zone(centre)?;
    let rows = business_hours::Entity::find()
        .filter(business_hours::Column::ServiceCentreId.eq(centre.id))
        .all(db)
        .await?;
    if rows.is_empty() {
        return Ok(BusinessCalendar::standard(tz));
    }
    let hours = rows
        .iter()
        .map(|row| {
            let time = |minute: i32| {
                NaiveTime::from_num_seconds_from_midnight_opt(u32::try_from(minute).ok()? * 60, 0)
            };
            Some(WorkingHours {
                weekday: Weekday::try_from(u8::try_from(row.weekday).ok()?).ok()?,
                start: time(row.start_minute)?,
                end: time(row.end_minute)?,
            })
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| ApiError::Internal(format!("centre {} has invalid hours", centre.id)))?;
    let holidays = holidays::Entity::find()
        .filter(holidays::Column::ServiceCentreId.eq(centre.id))
        .all(db)
        .await?
        .into_iter()
        .map(|h| h.date)
        .collect();
    BusinessCalendar::new(tz, hours, holidays)
        .map_err(|err| ApiError::Internal(format!("centre {} calendar: {err}", centre.id)))
}

/// Replaces the centre's weekly hours.
pub async fn replace_hours(
    db: &impl ConnectionTrait,
    centre_id: i64,
    hours: &[WorkingHours],
) -> ApiResult<()> {
    use sea_orm::{ActiveModelTrait, Set};
    business_hours::Entity::delete_many()
        .filter(business_hours::Column::ServiceCentreId.eq(centre_id))
        .exec(db)
        .await?;
    let minute = |t: NaiveTime| i32::try_from(t.num_seconds_from_midnight() / 60).unwrap_or(0);
    for h in hours {
        business_hours::ActiveModel {
            service_centre_id: Set(centre_id),
            weekday: Set(i16::from(h.weekday.num_days_from_monday() as u8)),
            start_minute: Set(minute(h.start)),
            end_minute: Set(minute(h.end)),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

pub async fn add_holiday(
    db: &impl ConnectionTrait,
    centre_id: i64,
    date: chrono::NaiveDate,
    name: String,
) -> ApiResult<()> {
    use sea_orm::{ActiveModelTrait, Set};
    holidays::ActiveModel {
        service_centre_id: Set(centre_id),
        date: Set(date),
        name: Set(name),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
