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

/// One time limit as the server applies it: per ticket kind, metric and scope, how long it gives
/// and how it counts. Admins change it with `updateSlaPolicy`.
#[derive(SimpleObject)]
pub struct SlaPolicy {
    /// The kind of ticket (or return visit) it times.
    ticket_kind: TicketKind,
    /// What it times.
    metric: SlaMetric,
    /// `IN_WARRANTY`/`OUT_OF_WARRANTY` for repair arrival, a severity for complaints,
    /// `AFTER_CLOSURE`/`THIRTY_DAY` for return visits (`ANY` for their report and review).
    scope: String,
    /// The limit in minutes (e.g. 720 for 12 h).
    duration_minutes: i32,
    /// Counted in the centre's working time: a multiple of 1440 minutes is that many working
    /// days (same local time), anything else working hours.
    business_time: bool,
    /// The service rule it implements, e.g. `R-SLA-1` (see docs/RULES.md in the repository).
    rule_id: String,
    /// When it was last changed (RFC 3339, UTC).
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
    /// Switched on: it starts clocks. Of a complaint's two contact rhythms, PROGRESS_UPDATE
    /// (24 h, R-SLA-3) and PROACTIVE_CONTACT (weekly, R-SLA-15), the active one with the
    /// shorter limit runs; switching PROGRESS_UPDATE off for a severity moves it to the weekly
    /// rhythm from each complaint's next cycle.
    active: bool,
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
            active: p.active,
            day_end: p.day_end,
        }
    }
}

/// Whose inbox a ticket of a kind goes to when it reaches a level (R-ESC-1).
#[derive(SimpleObject)]
pub struct EscalationRoute {
    /// The ticket kind routed.
    ticket_kind: TicketKind,
    /// The escalation level (2 or 3).
    level: i32,
    /// Whose inbox escalations to this level go to.
    target: EscalationTarget,
    /// When it was last changed (RFC 3339, UTC).
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

/// One day's working hours of a service centre.
#[derive(InputObject)]
pub struct WorkingHoursInput {
    /// 1 = Monday … 7 = Sunday.
    weekday: u8,
    /// Local time, e.g. `09:00:00`.
    start: NaiveTime,
    /// Local time the day's work ends; after `start`.
    end: NaiveTime,
}

#[derive(Default)]
pub struct PolicyQuery;

#[Object]
impl PolicyQuery {
    /// Every SLA policy (the defaults are listed in docs/RULES.md). Admins and supervisors
    /// (`FORBIDDEN` otherwise).
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
    /// Admins and supervisors (`FORBIDDEN` otherwise).
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
    /// Admins only (`FORBIDDEN` otherwise); `NOT_FOUND` for a policy that does not exist,
    /// `BAD_USER_INPUT` for values out of range.
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    #[allow(clippy::too_many_arguments)]
    async fn update_sla_policy(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The policy's ticket kind.")] ticket_kind: TicketKind,
        #[graphql(desc = "The policy's metric.")] metric: SlaMetric,
        #[graphql(
            desc = "The policy's scope, e.g. `IN_WARRANTY`, `GENERAL`, `AFTER_CLOSURE`, `ANY`."
        )]
        scope: String,
        #[graphql(desc = "The new limit in minutes.")] duration_minutes: Option<i32>,
        #[graphql(desc = "Count in the centre's working time instead of the wall clock.")]
        business_time: Option<bool>,
        #[graphql(desc = "Percents of the limit at which warnings go out, e.g. `[75, 90]`.")]
        warn_percents: Option<Vec<i32>>,
        #[graphql(
            desc = "Ticket statuses in which the clock stands still, e.g. `[\"WAITING_FOR_PARTS\"]`."
        )]
        pause_states: Option<Vec<String>>,
        #[graphql(
            desc = "Switch the policy on or off: a policy switched off starts no clocks; running ones finish their cycle (R-SLA-15)."
        )]
        active: Option<bool>,
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
            active,
        };
        let policy =
            crate::services::sla::update_policy(&env, ticket_kind, metric, scope.trim(), change)
                .await?;
        Ok(policy.into())
    }

    /// Routes a level of a ticket kind to an inbox (R-ESC-1): from now on, escalations to it
    /// land there; those already raised stay where they are.
    /// Admins only (`FORBIDDEN` otherwise); `BAD_USER_INPUT` for a level that cannot be routed.
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn set_escalation_route(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ticket kind to route.")] ticket_kind: TicketKind,
        #[graphql(desc = "The escalation level, 2 or 3.")] level: i32,
        #[graphql(desc = "The inbox it goes to.")] target: EscalationTarget,
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
    /// Admins only (`FORBIDDEN` otherwise); `NOT_FOUND` for an unknown centre, `BAD_USER_INPUT`
    /// for a bad weekday or overlapping or empty hours. Returns true.
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn set_business_hours(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The service centre.")] service_centre_id: ID,
        #[graphql(desc = "The whole week's hours; days not listed are not working days.")]
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

    /// Adds a non-working day to a centre's calendar; its open business-time clocks are
    /// recomputed. Admins only (`FORBIDDEN` otherwise); `NOT_FOUND` for an unknown centre. Returns
    /// true.
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn add_holiday(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The service centre.")] service_centre_id: ID,
        #[graphql(desc = "The day off (`YYYY-MM-DD`, the centre's local date).")] date: NaiveDate,
        #[graphql(desc = "What it is, e.g. `National Day` (1–200 characters).")] name: String,
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
