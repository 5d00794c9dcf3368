//! Return visits on SLA clocks (issue 12).
//!
//! - A return visit is a clock owner of its own (`ticket_kind = 'RETURN_VISIT'`): the visit is
//!   made within its interval (metric `RETURN_VISIT`, R-SLA-7/8), the report is filed by the
//!   end of the next working day after the call (`REPORT`) and reviewed by the end of the next
//!   working day after filing (`REVIEW`, R-SLA-9).
//! - The visit intervals move from the visited ticket's kind to `RETURN_VISIT`, scoped by the
//!   visit's purpose. R-SLA-7 is one rule for every ticket, so the repair and complaint rows of
//!   `AFTER_CLOSURE` become one, the shorter if an admin had set them apart.
//! - `day_end` on policies and clocks: a limit that runs to the end of the local day it falls
//!   on ("the day after").
//! - The deadline columns of `return_visits` (`report_due_at`, `report_late`, `review_due_at`)
//!   move into clocks and are dropped.
//!
//! `down` puts the columns back from the clocks and the policies where they were.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

use crate::common::{index, timestamp_type};

#[derive(DeriveMigrationName)]
pub struct Migration;

const CLOCK_COLUMNS: &str = "ticket_kind, ticket_id, service_centre_id, organization_id, \
    metric, cycle, scope, policy_id, business_time, duration_minutes, repeating, escalates, \
    warn_percents, pause_states, day_end, started_at, due_at, customer_due_at, paused_seconds, \
    met_at, stopped_at, breached_at, holder_id, escalation_level, missed_periods, warnings_sent, \
    next_check_at, created_at, updated_at";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in ["sla_policies", "sla_clocks"] {
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} ADD COLUMN day_end boolean NOT NULL DEFAULT FALSE"
            ))
            .await?;
        }
        for statement in [
            "UPDATE sla_policies SET duration_minutes = (SELECT MIN(q.duration_minutes) \
             FROM sla_policies q WHERE q.metric = 'RETURN_VISIT' AND q.scope = sla_policies.scope) \
             WHERE metric = 'RETURN_VISIT'",
            "DELETE FROM sla_policies WHERE metric = 'RETURN_VISIT' AND ticket_kind = 'COMPLAINT' \
             AND EXISTS (SELECT 1 FROM sla_policies q WHERE q.metric = 'RETURN_VISIT' \
             AND q.ticket_kind = 'REPAIR_ORDER' AND q.scope = sla_policies.scope)",
            "UPDATE sla_policies SET ticket_kind = 'RETURN_VISIT' WHERE metric = 'RETURN_VISIT'",
        ] {
            db.execute_unprepared(statement).await?;
        }
        let epoch = match manager.get_database_backend() {
            sea_orm_migration::sea_orm::DbBackend::Postgres => {
                "'2026-12-07 00:00:00+00:00'::timestamptz"
            }
            _ => "'2026-12-07 00:00:00+00:00'",
        };
        for metric in ["REPORT", "REVIEW"] {
            db.execute_unprepared(&format!(
                "INSERT INTO sla_policies (ticket_kind, metric, scope, duration_minutes, \
                 business_time, rule_id, updated_at, warn_percents, pause_states, repeating, \
                 escalates, day_end) VALUES ('RETURN_VISIT', '{metric}', 'ANY', 1440, TRUE, \
                 'R-SLA-9', {epoch}, '', '', FALSE, FALSE, TRUE)"
            ))
            .await?;
        }
        migrate_visit_deadlines(db).await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_return_visits_centre_review_due")
                    .table(ReturnVisits::Table)
                    .to_owned(),
            )
            .await?;
        for column in ["report_due_at", "report_late", "review_due_at"] {
            db.execute_unprepared(&format!("ALTER TABLE return_visits DROP COLUMN {column}"))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let stamp = timestamp_type(manager);
        for column in [
            format!("report_due_at {stamp}"),
            "report_late boolean".into(),
            format!("review_due_at {stamp}"),
        ] {
            db.execute_unprepared(&format!("ALTER TABLE return_visits ADD COLUMN {column}"))
                .await?;
        }
        let clock = |metric: &str, column: &str| {
            format!(
                "(SELECT k.{column} FROM sla_clocks k WHERE k.ticket_kind = 'RETURN_VISIT' \
                 AND k.ticket_id = return_visits.id AND k.metric = '{metric}')"
            )
        };
        db.execute_unprepared(&format!(
            "UPDATE return_visits SET report_due_at = {report_due}, \
             report_late = ({report_breached} IS NOT NULL), review_due_at = {review_due} \
             WHERE recorded_at IS NOT NULL",
            report_due = clock("REPORT", "due_at"),
            report_breached = clock("REPORT", "breached_at"),
            review_due = clock("REVIEW", "due_at"),
        ))
        .await?;
        index(
            manager,
            "idx_return_visits_centre_review_due",
            ReturnVisits::Table,
            &[ReturnVisits::ServiceCentreId, ReturnVisits::ReviewDueAt],
        )
        .await?;
        for statement in [
            "DELETE FROM sla_clocks WHERE ticket_kind = 'RETURN_VISIT'",
            "DELETE FROM sla_policies WHERE ticket_kind = 'RETURN_VISIT' \
             AND metric IN ('REPORT', 'REVIEW')",
            "INSERT INTO sla_policies (ticket_kind, metric, scope, duration_minutes, \
             business_time, rule_id, updated_at, warn_percents, pause_states, repeating, \
             escalates, day_end) SELECT 'COMPLAINT', metric, scope, duration_minutes, \
             business_time, rule_id, updated_at, warn_percents, pause_states, repeating, \
             escalates, day_end FROM sla_policies \
             WHERE ticket_kind = 'RETURN_VISIT' AND scope = 'AFTER_CLOSURE'",
            "UPDATE sla_policies SET ticket_kind = 'REPAIR_ORDER' \
             WHERE ticket_kind = 'RETURN_VISIT'",
        ] {
            db.execute_unprepared(statement).await?;
        }
        for table in ["sla_policies", "sla_clocks"] {
            db.execute_unprepared(&format!("ALTER TABLE {table} DROP COLUMN day_end"))
                .await?;
        }
        Ok(())
    }
}

/// Each visit's clocks as the columns left them: the visit due at its due time, met when it
/// was recorded; for recorded visits the report (met at recording, late as recorded) and the
/// review (met when reviewed). Open clocks are due to be checked at their due time.
async fn migrate_visit_deadlines(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let rule = "p.id, p.business_time, p.duration_minutes, p.repeating, p.escalates, \
        p.warn_percents, p.pause_states, p.day_end";
    // (metric, policy scope, started, due, met, breached, only where)
    let clocks = [
        (
            "RETURN_VISIT",
            "v.purpose",
            "v.created_at",
            "v.due_at",
            "v.recorded_at",
            "CASE WHEN v.recorded_at > v.due_at THEN v.due_at END",
            "1 = 1",
        ),
        (
            "REPORT",
            "'ANY'",
            "v.visited_at",
            "v.report_due_at",
            "v.recorded_at",
            "CASE WHEN v.report_late THEN v.report_due_at END",
            "v.recorded_at IS NOT NULL AND v.report_due_at IS NOT NULL",
        ),
        (
            "REVIEW",
            "'ANY'",
            "v.recorded_at",
            "v.review_due_at",
            "v.reviewed_at",
            "CASE WHEN v.reviewed_at > v.review_due_at THEN v.review_due_at END",
            "v.recorded_at IS NOT NULL AND v.review_due_at IS NOT NULL",
        ),
    ];
    for (metric, scope, started, due, met, breached, only) in clocks {
        db.execute_unprepared(&format!(
            "INSERT INTO sla_clocks ({CLOCK_COLUMNS}) \
             SELECT 'RETURN_VISIT', v.id, v.service_centre_id, v.organization_id, '{metric}', 1, \
             p.scope, {rule}, {started}, {due}, NULL, 0, {met}, NULL, {breached}, \
             CASE WHEN ({breached}) IS NOT NULL THEN v.agent_id END, NULL, \
             CASE WHEN ({breached}) IS NOT NULL THEN 1 ELSE 0 END, 0, \
             CASE WHEN {met} IS NULL THEN {due} END, v.created_at, v.created_at \
             FROM return_visits v JOIN sla_policies p ON p.ticket_kind = 'RETURN_VISIT' \
             AND p.metric = '{metric}' AND p.scope = {scope} WHERE {only}"
        ))
        .await?;
    }
    Ok(())
}

#[derive(DeriveIden, Clone, Copy)]
enum ReturnVisits {
    Table,
    ServiceCentreId,
    ReviewDueAt,
}
