//! Administration of the rules' numbers: SLA policies and business calendars.

use std::collections::BTreeSet;

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc, Weekday};
use entity::escalation_routes::{self, EscalationTarget};
use entity::sla_policies::{self, SlaMetric};
use entity::ticket_events::TicketKind;
use entity::users::Role;

use super::scalars::{NodeType, key};
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
    /// `AFTER_CLOSURE`/`THIRTY_DAY` for return visits (`ANY` for their report and review).
    scope: String,
    duration_minutes: i32,
    /// Counted in the centre's working time: a multiple of 1440 minutes is that many working
    /// days (same local time), anything else working hours.
    business_time: bool,
    rule_id: String,
    updated_at: DateTime<Utc>,
    /// Percent of the limit at which a warning goes out (`SLA_WARNING`).
    warn_percents: Vec<i32>,
    /// Ticket statuses in which the clock stands still.
    pause_states: Vec<String>,
    /// A new cycle starts when it is met or missed (progress updates, R-SLA-3).
    repeating: bool,
    /// A miss escalates the ticket one level per missed period (R-ESC-2).
    escalates: bool,
    /// The limit runs to the end of the working date it falls on ("the day after", R-SLA-9).
    day_end: bool,
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
            warn_percents: crate::domain::sla::Rule::new(
                0,
                false,
                false,
                false,
                &p.warn_percents,
                "",
            )
            .warn_percents
            .into_iter()
            .map(i32::from)
            .collect(),
            pause_states: p
                .pause_states
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            repeating: p.repeating,
            escalates: p.escalates,
            day_end: p.day_end,
        }
    }
}

/// Whose inbox a ticket of a kind goes to when it reaches a level (R-ESC-1).
#[derive(SimpleObject)]
pub struct EscalationRoute {
    ticket_kind: TicketKind,
    level: i32,
    target: EscalationTarget,
    updated_at: DateTime<Utc>,
}

impl From<escalation_routes::Model> for EscalationRoute {
    fn from(r: escalation_routes::Model) -> Self {
        Self {
            ticket_kind: r.ticket_kind,
            level: i32::from(r.level),
            target: r.target,
            updated_at: r.updated_at,
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

    /// Whose inbox each escalation level goes to, per ticket kind (R-ESC-1); a level without
    /// a route goes to the centre's supervisors below the top and to the top level at it.
    #[graphql(guard = "RoleGuard(&[Role::Admin, Role::Supervisor])")]
    async fn escalation_routes(&self, ctx: &Context<'_>) -> Result<Vec<EscalationRoute>> {
        let env = env(ctx)?;
        Ok(store::escalations::routes(env.db)
            .await?
            .into_iter()
            .map(EscalationRoute::from)
            .collect())
    }
}

#[derive(Default)]
pub struct PolicyMutation;

#[Object]
impl PolicyMutation {
    /// Changes a policy. Open clocks running by it take the new rule at once, counted from
    /// their own start with the time they were paused (a pause is never lost); clocks already
    /// missed keep their breach. New tickets (return visits: when scheduled) start by it.
    /// Omitted arguments keep their value.
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    #[allow(clippy::too_many_arguments)]
    async fn update_sla_policy(
        &self,
        ctx: &Context<'_>,
        ticket_kind: TicketKind,
        metric: SlaMetric,
        scope: String,
        duration_minutes: Option<i32>,
        business_time: Option<bool>,
        warn_percents: Option<Vec<i32>>,
        pause_states: Option<Vec<String>>,
    ) -> Result<SlaPolicy> {
        let env = env(ctx)?;
        let list = |items: Vec<String>| items.join(",");
        let change = store::sla_policies::PolicyChange {
            duration_minutes,
            business_time,
            warn_percents: warn_percents
                .map(|w| list(w.into_iter().map(|p| p.to_string()).collect())),
            pause_states: pause_states
                .map(|p| list(p.into_iter().map(|s| s.trim().to_owned()).collect())),
        };
        let policy =
            crate::services::sla::update_policy(&env, ticket_kind, metric, scope.trim(), change)
                .await?;
        Ok(policy.into())
    }

    /// Routes a level of a ticket kind to an inbox (R-ESC-1): from now on, escalations to it
    /// land there; those already raised stay where they are.
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn set_escalation_route(
        &self,
        ctx: &Context<'_>,
        ticket_kind: TicketKind,
        level: i32,
        target: EscalationTarget,
    ) -> Result<EscalationRoute> {
        let env = env(ctx)?;
        let level = crate::domain::sla::check_route(ticket_kind, level)
            .map_err(|(field, message)| ApiError::bad_input(field, message))?;
        let route = escalation_routes::Model {
            ticket_kind,
            level,
            target,
            updated_at: env.now,
        };
        Ok(store::escalations::set_route(env.db, route).await?.into())
    }

    /// Replaces a centre's weekly working hours (its local time); its open business-time
    /// clocks are recomputed.
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
            key(&service_centre_id, NodeType::ServiceCentre)?,
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
        crate::services::sla::calendar_changed(&txn, centre.id, env.now).await?;
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
            key(&service_centre_id, NodeType::ServiceCentre)?,
        )
        .await?;
        let name = required_text("name", &name, 200)?;
        let txn = store::begin_write(env.db).await?;
        store::calendar::add_holiday(&txn, centre.id, date, name).await?;
        crate::services::sla::calendar_changed(&txn, centre.id, env.now).await?;
        txn.commit().await.map_err(ApiError::from)?;
        Ok(true)
    }
}
