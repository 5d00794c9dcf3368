//! Business calendars of service centres.

use chrono::{NaiveTime, Weekday};
use entity::{business_hours, holidays, service_centres};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::domain::calendar::{BusinessCalendar, WorkingHours};
use crate::error::{ApiError, ApiResult};

/// The centre's calendar; the standard one (Mon–Fri 09:00–18:00) when it has no hours set.
pub async fn for_centre(
    db: &impl ConnectionTrait,
    centre: &service_centres::Model,
) -> ApiResult<BusinessCalendar> {
    let tz: chrono_tz::Tz = centre
        .timezone
        .parse()
        .map_err(|_| ApiError::Internal(format!("centre {} has a bad time zone", centre.id)))?;
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
