//! Service metrics and the monthly complaint report, each number with its parts.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveTime, Utc};
use entity::users::Role;

use super::scalars::{NodeType, id, key};
use super::{RoleGuard, env};
use crate::domain::complaint::INTERNAL_READERS;
use crate::domain::identity::Principal;
use crate::domain::metrics::{Ratio, finished_month};
use crate::domain::return_visit::LOG_READERS;
use crate::error::ApiError;
use crate::store::metrics::{self, MetricsScope};

/// A rate with its parts, so a dashboard can show "12 of 15" and sum periods correctly.
#[derive(SimpleObject)]
pub struct RatioMetric {
    /// What counted as a success.
    numerator: i64,
    /// Everything counted.
    denominator: i64,
    /// numerator / denominator; null when nothing was counted.
    value: Option<f64>,
}

impl From<Ratio> for RatioMetric {
    fn from(ratio: Ratio) -> Self {
        Self {
            numerator: ratio.numerator,
            denominator: ratio.denominator,
            value: ratio.value(),
        }
    }
}

/// How many escalations reached one level.
#[derive(SimpleObject)]
pub struct LevelCount {
    /// The level reached (2 or 3).
    level: i32,
    /// Escalations to it in the period.
    count: i64,
}

/// Penalty points of one staff member for clocks missed while they held the ticket (R-SLA-10,
/// R-ESC-6).
#[derive(SimpleObject)]
pub struct StaffPenalty {
    /// The staff member's id.
    user_id: ID,
    /// The staff member's name.
    name: String,
    /// Points by lateness: 1–10 min 5, 11–30 min 10, more 20, per missed clock (R-SLA-10).
    points: i64,
    /// How many missed clocks the points are for.
    late_actions: i64,
}

/// A count of complaints in one group.
#[derive(SimpleObject)]
pub struct GroupCount {
    /// The group, e.g. a category, severity or outcome; null for complaints without one.
    key: Option<String>,
    /// How many.
    count: i64,
}

fn groups(rows: Vec<metrics::Group>) -> Vec<GroupCount> {
    rows.into_iter()
        .map(|g| GroupCount {
            key: g.key,
            count: g.count,
        })
        .collect()
}

/// Each number is read when asked for, in its own aggregate: a dashboard tile asking for three
/// numbers runs three statements, and the fields of one query run concurrently. A number
/// computed from confidential data has the guard of the field it summarizes (R-PRV-1/8).
pub struct ServiceMetrics {
    period: metrics::Period,
}

/// Service metrics of one period and scope (`serviceMetrics`), each rate with its parts.
/// Fields computed from staff data are `FORBIDDEN` to partners (R-PRV-8).
#[Object]
impl ServiceMetrics {
    /// Submitted surveys with overall 4 or 5 / submitted surveys (R-SUR-1, target 100%).
    async fn satisfaction_rate(&self, ctx: &Context<'_>) -> Result<RatioMetric> {
        Ok(metrics::satisfaction(db(ctx)?, &self.period).await?.into())
    }
    /// Surveys answered in the period whose answers staff entered on the customer's behalf
    /// (by phone) / surveys answered (R-SUR-5): the satisfaction rate's share not typed by
    /// customers themselves.
    async fn survey_on_behalf_share(&self, ctx: &Context<'_>) -> Result<RatioMetric> {
        Ok(metrics::survey_on_behalf(db(ctx)?, &self.period)
            .await?
            .into())
    }
    /// Surveys issued in the period and answered / issued.
    async fn survey_response_rate(&self, ctx: &Context<'_>) -> Result<RatioMetric> {
        Ok(metrics::survey_response(db(ctx)?, &self.period)
            .await?
            .into())
    }
    /// Return visits due in the period where the customer was reached by the due time / due
    /// (R-SLA-7, R-SLA-8, target 100%). Retries count; the due time is the first attempt's. A
    /// visit neither made nor due yet counts neither way. Visit logs are staff data.
    #[graphql(guard = "RoleGuard(LOG_READERS)")]
    async fn return_visit_rate(&self, ctx: &Context<'_>) -> Result<RatioMetric> {
        Ok(metrics::return_visit_on_time(db(ctx)?, &self.period)
            .await?
            .into())
    }
    /// Customers reached on a return visit in the period who were satisfied / reached
    /// (R-SUR-1, target > 98%). Visit logs are staff data.
    #[graphql(guard = "RoleGuard(LOG_READERS)")]
    async fn return_visit_pass_rate(&self, ctx: &Context<'_>) -> Result<RatioMetric> {
        Ok(metrics::return_visit_pass(db(ctx)?, &self.period)
            .await?
            .into())
    }
    /// Completed repairs never reopened / completed repairs.
    async fn first_time_fix_rate(&self, ctx: &Context<'_>) -> Result<RatioMetric> {
        Ok(metrics::first_time_fix(db(ctx)?, &self.period)
            .await?
            .into())
    }
    /// Arrivals within the limit / arrivals (R-SLA-1/2).
    async fn on_time_arrival_rate(&self, ctx: &Context<'_>) -> Result<RatioMetric> {
        Ok(metrics::on_time_arrival(db(ctx)?, &self.period)
            .await?
            .into())
    }
    /// Complaints received in the period and resolved / received.
    async fn complaint_handling_rate(&self, ctx: &Context<'_>) -> Result<RatioMetric> {
        Ok(metrics::complaint_handling(db(ctx)?, &self.period)
            .await?
            .into())
    }
    /// Median hours from receipt to resolution of GENERAL complaints (target < 24, R-SLA-4).
    async fn general_median_handling_hours(&self, ctx: &Context<'_>) -> Result<Option<f64>> {
        let seconds = metrics::general_median_handling_seconds(db(ctx)?, &self.period).await?;
        Ok(seconds.map(|s| s / 3600.0))
    }
    /// How many GENERAL complaints the median is over.
    async fn general_handled(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(metrics::general_handled(db(ctx)?, &self.period).await?)
    }
    /// Target 0 (R-CLS-3).
    async fn major_complaints(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(metrics::major_complaints(db(ctx)?, &self.period).await?)
    }
    /// Complaints received in the period that were not upheld (REJECTED, R-CMP-11), counted
    /// apart from the handled ones.
    async fn rejected_complaints(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(metrics::rejected_complaints(db(ctx)?, &self.period).await?)
    }
    /// Escalations are complaint internals: not for partners.
    #[graphql(guard = "RoleGuard(INTERNAL_READERS)")]
    async fn escalations_by_level(&self, ctx: &Context<'_>) -> Result<Vec<LevelCount>> {
        let rows = metrics::escalations_by_level(db(ctx)?, &self.period).await?;
        Ok(rows
            .into_iter()
            .map(|l| LevelCount {
                level: l.level,
                count: l.count,
            })
            .collect())
    }
    /// Points per staff member (R-SLA-10, R-ESC-6); complaint internals, so not for partners.
    #[graphql(guard = "RoleGuard(INTERNAL_READERS)")]
    async fn penalty_points(&self, ctx: &Context<'_>) -> Result<Vec<StaffPenalty>> {
        let rows = metrics::penalty_points(db(ctx)?, &self.period).await?;
        Ok(rows
            .into_iter()
            .map(|p| StaffPenalty {
                user_id: id(NodeType::User, p.user_id),
                name: p.name,
                points: p.points,
                late_actions: p.late_actions,
            })
            .collect())
    }
}

fn db<'a>(ctx: &Context<'a>) -> Result<&'a sea_orm::DatabaseConnection, ApiError> {
    Ok(&super::services(ctx)?.db)
}

/// The complaints received in a finished month, counted by category, severity and outcome
/// (R-CMP-5).
#[derive(SimpleObject)]
pub struct MonthlyComplaintReport {
    /// The month, `YYYY-MM` (UTC).
    month: String,
    /// Complaints by `ComplaintCategory`.
    by_category: Vec<GroupCount>,
    /// Complaints by `Severity`.
    by_severity: Vec<GroupCount>,
    /// Complaints by where they stand now (their status).
    by_outcome: Vec<GroupCount>,
    /// The investigations' causes (`Complaint.cause`): complaint internals, not for partners.
    #[graphql(guard = "RoleGuard(INTERNAL_READERS)")]
    top_causes: Vec<GroupCount>,
    /// Deadlines missed and escalated automatically: escalations are complaint internals.
    #[graphql(guard = "RoleGuard(INTERNAL_READERS)")]
    breaches: i64,
    /// Complaints of the month not upheld (REJECTED, R-CMP-11), counted apart from the others.
    rejected: i64,
}

/// Supervisors see their centre, admins any centre or all, partners their organization.
fn scope_for(actor: &Principal, centre: Option<&ID>) -> Result<MetricsScope, ApiError> {
    let centre = centre
        .map(|c| key(c, NodeType::ServiceCentre))
        .transpose()?;
    match actor {
        Principal::Partner {
            organization_id, ..
        } => Ok(MetricsScope::Organization(*organization_id)),
        Principal::User(user) if user.role == Role::Admin => {
            Ok(centre.map_or(MetricsScope::All, MetricsScope::ServiceCentre))
        }
        Principal::User(user) if user.role == Role::Supervisor => {
            match (centre, user.service_centre_id) {
                (Some(asked), Some(own)) if asked != own => Err(ApiError::Forbidden),
                (_, Some(own)) => Ok(MetricsScope::ServiceCentre(own)),
                (_, None) => Err(ApiError::Forbidden),
            }
        }
        Principal::User(_) => Err(ApiError::Forbidden),
        Principal::Anonymous => Err(ApiError::Unauthenticated),
    }
}

#[derive(Default)]
pub struct MetricsQuery;

#[Object]
impl MetricsQuery {
    /// Metrics over `[from, to)`.
    /// Supervisors (their centre), admins (a centre, or all without `serviceCentreId`), partners
    /// (their organization's customers; staff data is `FORBIDDEN` to them, R-PRV-8). `FORBIDDEN`
    /// for other roles or another centre; `BAD_USER_INPUT` when `to` is not after `from`.
    #[graphql(guard = "RoleGuard(&[Role::Supervisor, Role::Admin, Role::Partner])")]
    async fn service_metrics(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Start of the period, inclusive (RFC 3339).")] from: DateTime<Utc>,
        #[graphql(desc = "End of the period, exclusive (RFC 3339).")] to: DateTime<Utc>,
        #[graphql(desc = "Admins: one centre (all when omitted); supervisors: only their own.")]
        service_centre_id: Option<ID>,
    ) -> Result<ServiceMetrics> {
        let env = env(ctx)?;
        if to <= from {
            return Err(ApiError::bad_input("to", "the period must end after it starts").into());
        }
        let scope = scope_for(env.actor, service_centre_id.as_ref())?;
        Ok(ServiceMetrics {
            period: metrics::Period {
                from,
                to,
                now: env.now,
                scope,
            },
        })
    }

    /// The monthly complaint analysis (R-CMP-5): complaints received in a finished month
    /// (`YYYY-MM`, UTC).
    /// Who may call it as for `serviceMetrics`; `BAD_USER_INPUT` for a month not yet finished or
    /// not `YYYY-MM`.
    #[graphql(guard = "RoleGuard(&[Role::Supervisor, Role::Admin, Role::Partner])")]
    async fn monthly_complaint_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A finished month, `YYYY-MM` (UTC), e.g. `2026-10`.")] month: String,
        #[graphql(desc = "Admins: one centre (all when omitted); supervisors: only their own.")]
        service_centre_id: Option<ID>,
    ) -> Result<MonthlyComplaintReport> {
        let env = env(ctx)?;
        let (start, end) = finished_month(month.trim(), env.now.date_naive())
            .ok_or_else(|| ApiError::bad_input("month", "a finished month as YYYY-MM"))?;
        let scope = scope_for(env.actor, service_centre_id.as_ref())?;
        let at = |day: chrono::NaiveDate| day.and_time(NaiveTime::MIN).and_utc();
        let report = metrics::monthly_report(env.db, at(start), at(end), scope).await?;
        Ok(MonthlyComplaintReport {
            month: month.trim().to_owned(),
            by_category: groups(report.by_category),
            by_severity: groups(report.by_severity),
            by_outcome: groups(report.by_outcome),
            top_causes: groups(report.top_causes),
            breaches: report.breaches,
            rejected: report.rejected,
        })
    }
}
