//! Service metrics as SQL aggregates (GROUP BY / COUNT / SUM): nothing is loaded row by row.
//! Statements use `$n` parameters, which both PostgreSQL and SQLite accept.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement, Value};

use crate::domain::metrics::{Ratio, median_window};
use crate::domain::survey::SATISFIED_FROM;
use crate::error::{ApiError, ApiResult};

/// Return-visit outcomes where the customer was reached.
const REACHED: &str = "'OK', 'COMPLAINT_RAISED'";

/// Whose tickets are counted.
#[derive(Clone, Copy, Debug)]
pub enum MetricsScope {
    All,
    ServiceCentre(i64),
    Organization(i64),
}

/// A half-open period `[from, to)` and a scope: the parameters `$1`, `$2` (and `$3`), then
/// the present moment where a statement needs it.
#[derive(Clone, Copy)]
struct Query {
    backend: DbBackend,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    scope: MetricsScope,
    now: Option<DateTime<Utc>>,
}

impl Query {
    /// `AND <alias>.<column> = $3` for the scope, empty for all.
    fn scope(&self, alias: &str) -> String {
        match self.scope {
            MetricsScope::All => String::new(),
            MetricsScope::ServiceCentre(_) => format!(" AND {alias}.service_centre_id = $3"),
            MetricsScope::Organization(_) => format!(" AND {alias}.organization_id = $3"),
        }
    }

    fn values(&self) -> Vec<Value> {
        let mut values: Vec<Value> = vec![self.from.into(), self.to.into()];
        match self.scope {
            MetricsScope::All => {}
            MetricsScope::ServiceCentre(id) | MetricsScope::Organization(id) => {
                values.push(id.into())
            }
        }
        values.extend(self.now.map(Value::from));
        values
    }

    /// The parameter holding `now` (bound only when it is set).
    fn now_parameter(&self) -> String {
        format!("${}", self.values().len())
    }

    fn statement(&self, sql: String) -> Statement {
        Statement::from_sql_and_values(self.backend, sql, self.values())
    }

    /// Seconds between two timestamp columns.
    fn seconds_between(&self, start: &str, end: &str) -> String {
        match self.backend {
            DbBackend::Postgres => {
                format!("CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS DOUBLE PRECISION)")
            }
            _ => format!("((julianday({end}) - julianday({start})) * 86400.0)"),
        }
    }
}

#[derive(FromQueryResult)]
struct RatioRow {
    numerator: Option<i64>,
    denominator: i64,
}

#[derive(FromQueryResult)]
struct CountRow {
    count: i64,
}

#[derive(FromQueryResult)]
struct Seconds {
    seconds: f64,
}

#[derive(FromQueryResult)]
pub struct LevelCount {
    pub level: i32,
    pub count: i64,
}

#[derive(FromQueryResult)]
pub struct StaffPoints {
    pub user_id: i64,
    pub name: String,
    pub points: i64,
    pub late_actions: i64,
}

#[derive(FromQueryResult)]
pub struct Group {
    pub key: Option<String>,
    pub count: i64,
}

/// The rows (`FROM … WHERE …`) as the denominator and those meeting `counted` as the numerator.
async fn ratio(
    db: &impl ConnectionTrait,
    q: &Query,
    counted: &str,
    rows: String,
) -> ApiResult<Ratio> {
    let sql = format!(
        "SELECT COUNT(*) AS denominator, \
         CAST(SUM(CASE WHEN {counted} THEN 1 ELSE 0 END) AS BIGINT) AS numerator {rows}"
    );
    let row = RatioRow::find_by_statement(q.statement(sql))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::Internal("aggregate returned no row".into()))?;
    Ok(Ratio {
        numerator: row.numerator.unwrap_or(0),
        denominator: row.denominator,
    })
}

async fn count(db: &impl ConnectionTrait, q: &Query, sql: String) -> ApiResult<i64> {
    Ok(CountRow::find_by_statement(q.statement(sql))
        .one(db)
        .await?
        .map_or(0, |row| row.count))
}

/// What `serviceMetrics` counts over: the half-open period `[from, to)` as it stands at `now`,
/// for the tickets of `scope`. Each metric is its own aggregate, so a query pays only for the
/// numbers it asks for.
#[derive(Clone, Copy, Debug)]
pub struct Period {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub now: DateTime<Utc>,
    pub scope: MetricsScope,
}

impl Period {
    fn query(&self, db: &impl ConnectionTrait) -> Query {
        Query {
            backend: db.get_database_backend(),
            from: self.from,
            to: self.to,
            scope: self.scope,
            now: None,
        }
    }
}

/// R-SUR-1: submitted surveys scoring 4 or 5 overall.
pub async fn satisfaction(db: &impl ConnectionTrait, period: &Period) -> ApiResult<Ratio> {
    let q = period.query(db);
    ratio(
        db,
        &q,
        &format!("s.overall >= {SATISFIED_FROM}"),
        format!(
            "FROM surveys s WHERE s.submitted_at >= $1 AND s.submitted_at < $2{}",
            q.scope("s")
        ),
    )
    .await
}

/// R-SUR-5: surveys answered in the period that staff entered for the customer.
pub async fn survey_on_behalf(db: &impl ConnectionTrait, period: &Period) -> ApiResult<Ratio> {
    let q = period.query(db);
    ratio(
        db,
        &q,
        "s.entered_by IS NOT NULL",
        format!(
            "FROM surveys s WHERE s.submitted_at >= $1 AND s.submitted_at < $2{}",
            q.scope("s")
        ),
    )
    .await
}

/// Surveys issued in the period that the customer answered.
pub async fn survey_response(db: &impl ConnectionTrait, period: &Period) -> ApiResult<Ratio> {
    let q = period.query(db);
    ratio(
        db,
        &q,
        "s.submitted_at IS NOT NULL",
        format!(
            "FROM surveys s WHERE s.created_at >= $1 AND s.created_at < $2{}",
            q.scope("s")
        ),
    )
    .await
}

/// R-SLA-7/8: visits of repairs and complaints falling due in the period (first attempts)
/// where the customer was reached by the due time, possibly on a retry. A visit that is
/// neither made nor due yet counts neither way. A visit carries its ticket's centre and
/// organization, so no ticket table is joined.
pub async fn return_visit_on_time(db: &impl ConnectionTrait, period: &Period) -> ApiResult<Ratio> {
    let q = Query {
        now: Some(period.now),
        ..period.query(db)
    };
    let reached_in_time = format!(
        "EXISTS (SELECT 1 FROM return_visits a WHERE a.ticket_kind = v.ticket_kind \
         AND a.ticket_id = v.ticket_id AND a.purpose = v.purpose \
         AND a.outcome IN ({REACHED}) AND a.visited_at <= v.due_at)"
    );
    ratio(
        db,
        &q,
        &reached_in_time,
        format!(
            "FROM return_visits v WHERE v.attempt = 1 AND v.due_at >= $1 AND v.due_at < $2{} \
             AND (v.due_at <= {} OR {reached_in_time})",
            q.scope("v"),
            q.now_parameter()
        ),
    )
    .await
}

/// R-SUR-1: customers reached in the period who said they were satisfied.
pub async fn return_visit_pass(db: &impl ConnectionTrait, period: &Period) -> ApiResult<Ratio> {
    let q = period.query(db);
    ratio(
        db,
        &q,
        "v.satisfied",
        format!(
            "FROM return_visits v \
             WHERE v.outcome IN ({REACHED}) AND v.visited_at >= $1 AND v.visited_at < $2{}",
            q.scope("v")
        ),
    )
    .await
}

/// Completed repairs that never had to be reopened.
pub async fn first_time_fix(db: &impl ConnectionTrait, period: &Period) -> ApiResult<Ratio> {
    let q = period.query(db);
    ratio(
        db,
        &q,
        "NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_kind = 'REPAIR_ORDER' \
         AND e.ticket_id = r.id AND e.to_status = 'REOPENED')",
        format!(
            "FROM repair_orders r WHERE r.completed_at >= $1 AND r.completed_at < $2{}",
            q.scope("r")
        ),
    )
    .await
}

/// Arrival clocks (each visit's) met in the period within their deadline, over those met in
/// the period plus those nobody met that ran out in it, by `now`: an order nobody reached is
/// late, not left out (R-SLA-1/2, R-SLA-14). A clock waiting for parts has not run out.
pub async fn on_time_arrival(db: &impl ConnectionTrait, period: &Period) -> ApiResult<Ratio> {
    let q = Query {
        now: Some(period.now),
        ..period.query(db)
    };
    ratio(
        db,
        &q,
        "k.met_at IS NOT NULL AND k.breached_at IS NULL AND k.met_at <= k.due_at",
        format!(
            "FROM sla_clocks k WHERE k.ticket_kind = 'REPAIR_ORDER' AND k.metric = 'ARRIVAL'              AND ((k.met_at >= $1 AND k.met_at < $2)              OR (k.met_at IS NULL AND k.stopped_at IS NULL AND k.paused_since IS NULL              AND k.due_at >= $1 AND k.due_at < $2 AND k.due_at <= {})){}",
            q.now_parameter(),
            q.scope("k")
        ),
    )
    .await
}

/// Complaints received in the period that are resolved (or closed).
pub async fn complaint_handling(db: &impl ConnectionTrait, period: &Period) -> ApiResult<Ratio> {
    let q = period.query(db);
    ratio(
        db,
        &q,
        "c.resolved_at IS NOT NULL",
        format!(
            "FROM complaints c WHERE c.created_at >= $1 AND c.created_at < $2{}",
            q.scope("c")
        ),
    )
    .await
}

/// GENERAL complaints received in the period and resolved.
fn general_handled_rows(q: &Query) -> String {
    format!(
        "FROM complaints c WHERE c.severity = 'GENERAL' AND c.resolved_at IS NOT NULL \
         AND c.created_at >= $1 AND c.created_at < $2{}",
        q.scope("c")
    )
}

/// How many GENERAL complaints of the period are resolved.
pub async fn general_handled(db: &impl ConnectionTrait, period: &Period) -> ApiResult<i64> {
    let q = period.query(db);
    let rows = general_handled_rows(&q);
    count(db, &q, format!("SELECT COUNT(*) AS count {rows}")).await
}

/// R-SLA-4: median handling time of GENERAL complaints, from the middle row(s).
pub async fn general_median_handling_seconds(
    db: &impl ConnectionTrait,
    period: &Period,
) -> ApiResult<Option<f64>> {
    let Some((offset, take)) = median_window(general_handled(db, period).await?) else {
        return Ok(None);
    };
    let q = period.query(db);
    let seconds = q.seconds_between("c.created_at", "c.resolved_at");
    let rows = general_handled_rows(&q);
    let sql =
        format!("SELECT {seconds} AS seconds {rows} ORDER BY seconds LIMIT {take} OFFSET {offset}");
    let middle = Seconds::find_by_statement(q.statement(sql)).all(db).await?;
    // SQLite's julianday() is a float of days: good to about a millisecond, so round there.
    let seconds = middle.iter().map(|m| (m.seconds * 1000.0).round() / 1000.0);
    Ok(Some(seconds.sum::<f64>() / middle.len().max(1) as f64))
}

/// R-CLS-3: MAJOR complaints received in the period (target 0).
pub async fn major_complaints(db: &impl ConnectionTrait, period: &Period) -> ApiResult<i64> {
    let q = period.query(db);
    count(
        db,
        &q,
        format!(
            "SELECT COUNT(*) AS count FROM complaints c \
             WHERE c.severity = 'MAJOR' AND c.created_at >= $1 AND c.created_at < $2{}",
            q.scope("c")
        ),
    )
    .await
}

/// R-CMP-11: complaints received in the period that were not upheld (REJECTED), counted apart
/// from the handled ones.
pub async fn rejected_complaints(db: &impl ConnectionTrait, period: &Period) -> ApiResult<i64> {
    let q = period.query(db);
    count(
        db,
        &q,
        format!(
            "SELECT COUNT(*) AS count FROM complaints c \
             WHERE c.status = 'REJECTED' AND c.created_at >= $1 AND c.created_at < $2{}",
            q.scope("c")
        ),
    )
    .await
}

/// R-ESC-2: escalations in the period by the level they reached.
pub async fn escalations_by_level(
    db: &impl ConnectionTrait,
    period: &Period,
) -> ApiResult<Vec<LevelCount>> {
    let q = period.query(db);
    Ok(LevelCount::find_by_statement(q.statement(format!(
        "SELECT CAST(x.to_level AS INTEGER) AS level, COUNT(*) AS count FROM escalations x \
         WHERE x.created_at >= $1 AND x.created_at < $2{} GROUP BY x.to_level ORDER BY x.to_level",
        q.scope("x")
    )))
    .all(db)
    .await?)
}

/// R-SLA-10 / R-ESC-6: points per person.
pub async fn penalty_points(
    db: &impl ConnectionTrait,
    period: &Period,
) -> ApiResult<Vec<StaffPoints>> {
    let q = period.query(db);
    Ok(StaffPoints::find_by_statement(q.statement(format!(
        "SELECT p.user_id AS user_id, u.name AS name, CAST(SUM(p.points) AS BIGINT) AS points, COUNT(*) AS late_actions \
         FROM staff_penalties p JOIN users u ON u.id = p.user_id \
         WHERE p.created_at >= $1 AND p.created_at < $2{} GROUP BY p.user_id, u.name ORDER BY points DESC, p.user_id",
        q.scope("p")
    )))
    .all(db)
    .await?)
}

/// R-CMP-5: complaints received in a month by category, severity, outcome, and top causes.
pub struct MonthlyReport {
    pub by_category: Vec<Group>,
    pub by_severity: Vec<Group>,
    pub by_outcome: Vec<Group>,
    pub top_causes: Vec<Group>,
    /// Complaint clocks missed during the month, each clock once (R-SLA-3..6).
    pub breaches: i64,
    /// Complaints of the month not upheld (R-CMP-11).
    pub rejected: i64,
}

pub async fn monthly_report(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    scope: MetricsScope,
) -> ApiResult<MonthlyReport> {
    let q = Query {
        backend: db.get_database_backend(),
        from,
        to,
        scope,
        now: None,
    };
    let grouped = |column: &str, extra: &str| {
        format!(
            "SELECT c.{column} AS key, COUNT(*) AS count FROM complaints c \
             WHERE c.created_at >= $1 AND c.created_at < $2{}{extra} GROUP BY c.{column} ORDER BY count DESC, key",
            q.scope("c")
        )
    };
    let by_category = Group::find_by_statement(q.statement(grouped("category", "")))
        .all(db)
        .await?;
    let by_severity = Group::find_by_statement(q.statement(grouped("severity", "")))
        .all(db)
        .await?;
    let by_outcome = Group::find_by_statement(q.statement(grouped("status", "")))
        .all(db)
        .await?;
    let top_causes = Group::find_by_statement(q.statement(format!(
        "{} LIMIT 5",
        grouped("cause", " AND c.cause IS NOT NULL")
    )))
    .all(db)
    .await?;
    let breaches = count(
        db,
        &q,
        format!(
            "SELECT COUNT(*) AS count FROM sla_clocks k WHERE k.ticket_kind = 'COMPLAINT' \
         AND k.breached_at >= $1 AND k.breached_at < $2{}",
            q.scope("k")
        ),
    )
    .await?;
    let rejected = count(
        db,
        &q,
        format!(
            "SELECT COUNT(*) AS count FROM complaints c WHERE c.status = 'REJECTED' \
             AND c.created_at >= $1 AND c.created_at < $2{}",
            q.scope("c")
        ),
    )
    .await?;
    Ok(MonthlyReport {
        by_category,
        by_severity,
        by_outcome,
        top_causes,
        breaches,
        rejected,
    })
}
