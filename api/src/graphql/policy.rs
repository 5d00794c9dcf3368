//! Administration of the rules' numbers: SLA policies and business calendars.

use std::collections::BTreeSet;

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc, Weekday};
use entity::sla_policies::{self, SlaMetric};
use entity::ticket_events::TicketKind;
use entity::users::Role;

use super::scalars::key;
use super::{RoleGuard, env};
use crate::domain::calendar::{BusinessCalendar, WorkingHours};
use crate::error::ApiError;
use crate::services::required_text;
use crate::store;

#[derive(SimpleObject)]
pub struct SlaPolicy {
    ticket_kind: TicketKind,
    metric: SlaMetric,
    /// `IN_WARRANTY`/`OUT_OF_WARRANTY` for repair arrival, a severity for complaints,
    /// `AFTER_CLOSURE`/`THIRTY_DAY` for return visits.
    scope: String,
    duration_minutes: i32,
    /// Counted in whole working days of the centre's calendar (1440 minutes = 1 day).
    business_time: bool,
    rule_id: String,
    updated_at: DateTime<Utc>,
}

impl From<sla_policies::Model> for SlaPolicy {
    fn from(p: sla_policies::Model) -> Self {
        Self {
            ticket_kind: p.ticket_kind,
            metric: p.metric,
            scope: p.scope,
            duration_minutes: p.duration_minutes,
            business_time: p.business_time,
            rule_id: p.rule_id,
            updated_at: p.updated_at,
        }
    }
}

#[derive(InputObject)]
pub struct WorkingHoursInput {
    /// 1 = Monday … 7 = Sunday.
    weekday: u8,
    /// Local time, e.g. `09:00:00`.
    start: NaiveTime,
    end: NaiveTime,
}

#[derive(Default)]
pub struct PolicyQuery;

#[Object]
impl PolicyQuery {
    #[graphql(guard = "RoleGuard(&[Role::Admin, Role::Supervisor])")]
    async fn sla_policies(&self, ctx: &Context<'_>) -> Result<Vec<SlaPolicy>> {
        let env = env(ctx)?;
        Ok(store::sla_policies::all(env.db)
            .await?
            .into_iter()
            .map(SlaPolicy::from)
            .collect())
    }
}

#[derive(Default)]
pub struct PolicyMutation;

#[Object]
impl PolicyMutation {
    /// Changes one limit; tickets created or reclassified (return visits: scheduled) from now
    /// on use it.
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn update_sla_policy(
        &self,
        ctx: &Context<'_>,
        ticket_kind: TicketKind,
        metric: SlaMetric,
        scope: String,
        duration_minutes: i32,
    ) -> Result<SlaPolicy> {
        let env = env(ctx)?;
        if !(1..=60 * 24 * 365).contains(&duration_minutes) {
            return Err(
                ApiError::bad_input("durationMinutes", "between 1 minute and 1 year").into(),
            );
        }
        let policy = store::sla_policies::set_duration(
            env.db,
            ticket_kind,
            metric,
            scope.trim(),
            duration_minutes,
            env.now,
        )
        .await?;
        Ok(policy.into())
    }

    /// Replaces a centre's weekly working hours (its local time).
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn set_business_hours(
        &self,
        ctx: &Context<'_>,
        service_centre_id: ID,
        hours: Vec<WorkingHoursInput>,
    ) -> Result<bool> {
        let env = env(ctx)?;
        let centre = store::directory::get_service_centre(
            env.db,
            key(&service_centre_id, "service centre")?,
        )
        .await?;
        let hours = hours
            .into_iter()
            .map(|h| {
                let weekday = h
                    .weekday
                    .checked_sub(1)
                    .and_then(|d| Weekday::try_from(d).ok())
                    .ok_or_else(|| ApiError::bad_input("weekday", "1 (Monday) to 7 (Sunday)"))?;
                Ok(WorkingHours {
                    weekday,
                    start: h.start,
                    end: h.end,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        let tz = store::directory::time_zone(&centre)?;
        BusinessCalendar::new(tz, hours.clone(), BTreeSet::new())
            .map_err(|err| ApiError::bad_input("hours", err.to_string()))?;
        let txn = store::begin_write(env.db).await?;
        store::calendar::replace_hours(&txn, centre.id, &hours).await?;
        txn.commit().await.map_err(ApiError::from)?;
        Ok(true)
    }

    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn add_holiday(
        &self,
        ctx: &Context<'_>,
        service_centre_id: ID,
        date: NaiveDate,
        name: String,
    ) -> Result<bool> {
        let env = env(ctx)?;
        let centre = store::directory::get_service_centre(
            env.db,
            key(&service_centre_id, "service centre")?,
        )
        .await?;
        store::calendar::add_holiday(env.db, centre.id, date, required_text("name", &name, 200)?)
            .await?;
        Ok(true)
    }
}
