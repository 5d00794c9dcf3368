//! One SLA clock engine for every ticket kind (issue 12).
//!
//! - `sla_clocks`: one row per ticket × metric × cycle, the only place a deadline lives. Each
//!   row keeps a snapshot of the rule it runs by (duration, business time, repeating,
//!   escalating, warning thresholds, pausing states), so the sweeper reads one table.
//! - `sla_policies` gains what a clock needs besides its duration: warning thresholds, the
//!   ticket states that pause it, whether it repeats and whether a miss escalates; and the new
//!   clocks: the repair contact clock (R-SLA-6) and the stricter R-SLA-14 tiers (`URGENT`
//!   priority, `PREMIUM` contract).
//! - The deadline columns of `complaints` and `repair_orders` move into clocks: each due time as
//!   the old sweeper left it (it moved a missed deadline on by its period), met by the fact
//!   that met it (acknowledged, updated, investigated, resolved, arrived), open ones due to be
//!   checked at their due time. Then the columns are dropped.
//! - `escalations` and `staff_penalties` name a ticket of any kind (and its centre and partner
//!   organization, so metrics need no join) instead of a complaint, and the clock behind them;
//!   both are rebuilt the same way on both databases (rename, create, copy, drop).
//! - `repair_orders` gets an escalation level (R-ESC-2 for every kind), the status to go back
//!   to after a waiting state, the reason of the wait and the policy scope its clocks run by
//!   (warranty, or an R-SLA-14 tier); `users.sla_tier` selects a customer's
//!   contract tier (R-SLA-14).
//!
//! `down` puts the columns back from the latest cycle of each clock and drops what `up` added;
//! escalations and penalties of other kinds than complaints have no place there and are lost.

use sea_orm_migration::sea_orm::ConnectionTrait;
use sea_orm_migration::{prelude::*, schema::*};

use crate::common::{index, timestamp_type};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Policy rows this migration adds: kind, metric, scope, minutes, business time, pause states,
/// rule.
const NEW_POLICIES: &[(&str, &str, &str, i32, &str, &str)] = &[
    (
        "REPAIR_ORDER",
        "CONTACT",
        "IN_WARRANTY",
        24 * 60,
        "WAITING_FOR_CUSTOMER",
        "R-SLA-6",
    ),
    (
        "REPAIR_ORDER",
        "CONTACT",
        "OUT_OF_WARRANTY",
        24 * 60,
        "WAITING_FOR_CUSTOMER",
        "R-SLA-6",
    ),
    (
        "REPAIR_ORDER",
        "CONTACT",
        "URGENT",
        30,
        "WAITING_FOR_CUSTOMER",
        "R-SLA-14",
    ),
    (
        "REPAIR_ORDER",
        "ARRIVAL",
        "URGENT",
        30,
        "WAITING_FOR_PARTS",
        "R-SLA-14",
    ),
    (
        "REPAIR_ORDER",
        "RESOLUTION",
        "URGENT",
        24 * 60,
        "WAITING_FOR_PARTS,WAITING_FOR_CUSTOMER",
        "R-SLA-14",
    ),
    (
        "REPAIR_ORDER",
        "CONTACT",
        "PREMIUM",
        30,
        "WAITING_FOR_CUSTOMER",
        "R-SLA-14",
    ),
    (
        "REPAIR_ORDER",
        "ARRIVAL",
        "PREMIUM",
        2 * 60,
        "WAITING_FOR_PARTS",
        "R-SLA-14",
    ),
    (
        "REPAIR_ORDER",
        "RESOLUTION",
        "PREMIUM",
        24 * 60,
        "WAITING_FOR_PARTS,WAITING_FOR_CUSTOMER",
        "R-SLA-14",
    ),
    // A completed repair nobody confirms is confirmed for the customer (issue 12).
    (
        "REPAIR_ORDER",
        "CONFIRMATION",
        "ANY",
        3 * 24 * 60,
        "",
        "R-SUR-1",
    ),
];

const POLICY_EPOCH: &str = "2026-12-07 00:00:00+00:00";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for column in [
            "warn_percents varchar(32) NOT NULL DEFAULT '75,90'",
            "pause_states varchar(200) NOT NULL DEFAULT ''",
            "repeating boolean NOT NULL DEFAULT FALSE",
            "escalates boolean NOT NULL DEFAULT TRUE",
        ] {
            db.execute_unprepared(&format!("ALTER TABLE sla_policies ADD COLUMN {column}"))
                .await?;
        }
        for update in [
            "UPDATE sla_policies SET repeating = TRUE WHERE metric = 'PROGRESS_UPDATE'",
            "UPDATE sla_policies SET pause_states = 'WAITING_FOR_PARTS' WHERE metric = 'ARRIVAL'",
            "UPDATE sla_policies SET pause_states = 'EXTERNAL_CASE' \
             WHERE ticket_kind = 'COMPLAINT' AND metric IN ('SOLUTION', 'RESOLUTION')",
            "UPDATE sla_policies SET warn_percents = '', escalates = FALSE \
             WHERE metric IN ('RETURN_WINDOW', 'RETURN_VISIT')",
        ] {
            db.execute_unprepared(update).await?;
        }
        let epoch = crate::common::timestamp_literal(manager, POLICY_EPOCH);
        let mut policies = Query::insert();
        policies.into_table(SlaPolicies::Table).columns([
            SlaPolicies::TicketKind,
            SlaPolicies::Metric,
            SlaPolicies::Scope,
            SlaPolicies::DurationMinutes,
            SlaPolicies::BusinessTime,
            SlaPolicies::RuleId,
            SlaPolicies::UpdatedAt,
            SlaPolicies::PauseStates,
            SlaPolicies::WarnPercents,
            SlaPolicies::Escalates,
        ]);
        for &(kind, metric, scope, minutes, pauses, rule) in NEW_POLICIES {
            // The confirmation period acts when it runs out; it neither warns nor escalates.
            let follow_up = metric == "CONFIRMATION";
            policies.values_panic([
                kind.into(),
                metric.into(),
                scope.into(),
                minutes.into(),
                false.into(),
                rule.into(),
                epoch.clone(),
                pauses.into(),
                (if follow_up { "" } else { "75,90" }).into(),
                (!follow_up).into(),
            ]);
        }
        manager.exec_stmt(policies).await?;

        manager.create_table(clocks_table()).await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_sla_clocks_cycle")
                    .table(SlaClocks::Table)
                    .col(SlaClocks::TicketKind)
                    .col(SlaClocks::TicketId)
                    .col(SlaClocks::Metric)
                    .col(SlaClocks::Cycle)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The sweeper reads clocks by their next due instant: O(due clocks), never O(open).
        index(
            manager,
            "idx_sla_clocks_next_check",
            SlaClocks::Table,
            &[SlaClocks::NextCheckAt],
        )
        .await?;
        index(
            manager,
            "idx_sla_clocks_centre_breached",
            SlaClocks::Table,
            &[SlaClocks::ServiceCentreId, SlaClocks::BreachedAt],
        )
        .await?;
        // Metrics by metric and period: clocks due, or met, in a month.
        index(
            manager,
            "idx_sla_clocks_metric_due",
            SlaClocks::Table,
            &[SlaClocks::Metric, SlaClocks::DueAt],
        )
        .await?;
        index(
            manager,
            "idx_sla_clocks_metric_met",
            SlaClocks::Table,
            &[SlaClocks::Metric, SlaClocks::MetAt],
        )
        .await?;

        widen_statuses(manager, 24).await?;
        for column in [
            "escalation_level smallint NOT NULL DEFAULT 1",
            "resume_status varchar(24)",
            "waiting_reason text",
            "sla_scope varchar(24) NOT NULL DEFAULT 'OUT_OF_WARRANTY'",
        ] {
            db.execute_unprepared(&format!("ALTER TABLE repair_orders ADD COLUMN {column}"))
                .await?;
        }
        db.execute_unprepared(
            "UPDATE repair_orders SET sla_scope = 'IN_WARRANTY' WHERE in_warranty = TRUE",
        )
        .await?;
        db.execute_unprepared("ALTER TABLE users ADD COLUMN sla_tier varchar(16)")
            .await?;

        migrate_deadlines_into_clocks(db).await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_repair_orders_status_arrive_by")
                    .table(RepairOrders::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_complaints_next_deadline")
                    .table(Complaints::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            "policy_arrive_by",
            "arrive_by",
            "arrive_by_customer_requested",
            "arrival_breached",
        ] {
            db.execute_unprepared(&format!("ALTER TABLE repair_orders DROP COLUMN {column}"))
                .await?;
        }
        for column in [
            "first_response_due",
            "next_update_due",
            "solution_due",
            "resolution_due",
            "next_deadline",
        ] {
            db.execute_unprepared(&format!("ALTER TABLE complaints DROP COLUMN {column}"))
                .await?;
        }

        rebuild(
            manager,
            "escalations",
            escalations_table(Shape::Ticket),
            "INSERT INTO escalations (id, ticket_kind, ticket_id, service_centre_id, \
             organization_id, clock_id, from_level, to_level, reason, deadline_kind, deadline_at, \
             escalated_by, from_user_id, automatic, created_at, acknowledged_at, acknowledged_by) \
             SELECT x.id, 'COMPLAINT', x.complaint_id, c.service_centre_id, c.organization_id, \
             NULL, x.from_level, x.to_level, x.reason, x.deadline_kind, x.deadline_at, \
             x.escalated_by, x.from_user_id, x.automatic, x.created_at, x.acknowledged_at, \
             x.acknowledged_by FROM escalations_old x JOIN complaints c ON c.id = x.complaint_id",
        )
        .await?;
        escalation_indexes(manager, Shape::Ticket).await?;
        rebuild(
            manager,
            "staff_penalties",
            penalties_table(Shape::Ticket),
            "INSERT INTO staff_penalties (id, user_id, ticket_kind, ticket_id, service_centre_id, \
             organization_id, clock_id, deadline_kind, deadline_at, late_minutes, points, \
             created_at) \
             SELECT p.id, p.user_id, 'COMPLAINT', p.complaint_id, c.service_centre_id, \
             c.organization_id, NULL, p.deadline_kind, p.deadline_at, p.late_minutes, p.points, \
             p.created_at FROM staff_penalties_old p JOIN complaints c ON c.id = p.complaint_id",
        )
        .await?;
        penalty_indexes(manager, Shape::Ticket).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        rebuild(
            manager,
            "staff_penalties",
            penalties_table(Shape::Complaint),
            "INSERT INTO staff_penalties (id, user_id, complaint_id, deadline_kind, deadline_at, \
             late_minutes, points, created_at) \
             SELECT id, user_id, ticket_id, deadline_kind, deadline_at, late_minutes, points, \
             created_at FROM staff_penalties_old WHERE ticket_kind = 'COMPLAINT'",
        )
        .await?;
        penalty_indexes(manager, Shape::Complaint).await?;
        rebuild(
            manager,
            "escalations",
            escalations_table(Shape::Complaint),
            "INSERT INTO escalations (id, complaint_id, from_level, to_level, reason, \
             deadline_kind, deadline_at, escalated_by, from_user_id, automatic, created_at, \
             acknowledged_at, acknowledged_by) \
             SELECT id, ticket_id, from_level, to_level, reason, deadline_kind, deadline_at, \
             escalated_by, from_user_id, automatic, created_at, acknowledged_at, acknowledged_by \
             FROM escalations_old WHERE ticket_kind = 'COMPLAINT'",
        )
        .await?;
        escalation_indexes(manager, Shape::Complaint).await?;

        // The old columns were NOT NULL; existing rows need a value before the clocks fill it.
        let epoch = "'1970-01-01 00:00:00+00:00'";
        let stamp = timestamp_type(manager);
        for column in [
            format!("policy_arrive_by {stamp} NOT NULL DEFAULT {epoch}"),
            format!("arrive_by {stamp} NOT NULL DEFAULT {epoch}"),
            "arrive_by_customer_requested boolean NOT NULL DEFAULT FALSE".into(),
            "arrival_breached boolean NOT NULL DEFAULT FALSE".into(),
        ] {
            db.execute_unprepared(&format!("ALTER TABLE repair_orders ADD COLUMN {column}"))
                .await?;
        }
        for column in [
            format!("first_response_due {stamp} NOT NULL DEFAULT {epoch}"),
            format!("next_update_due {stamp} NOT NULL DEFAULT {epoch}"),
            format!("solution_due {stamp}"),
            format!("resolution_due {stamp} NOT NULL DEFAULT {epoch}"),
            format!("next_deadline {stamp}"),
        ] {
            db.execute_unprepared(&format!("ALTER TABLE complaints ADD COLUMN {column}"))
                .await?;
        }
        let latest = |kind: &str, metric: &str, table: &str, column: &str| {
            format!(
                "(SELECT k.{column} FROM sla_clocks k WHERE k.ticket_kind = '{kind}' \
                 AND k.ticket_id = {table}.id AND k.metric = '{metric}' \
                 ORDER BY k.cycle DESC LIMIT 1)"
            )
        };
        let arrival = |column: &str| latest("REPAIR_ORDER", "ARRIVAL", "repair_orders", column);
        db.execute_unprepared(&format!(
            "UPDATE repair_orders SET \
             policy_arrive_by = COALESCE({due}, reported_at), \
             arrive_by = COALESCE({due}, reported_at), \
             arrive_by_customer_requested = ({customer} IS NOT NULL), \
             arrival_breached = ({breached} IS NOT NULL)",
            due = arrival("due_at"),
            customer = arrival("customer_due_at"),
            breached = arrival("breached_at"),
        ))
        .await?;
        let complaint =
            |metric: &str, column: &str| latest("COMPLAINT", metric, "complaints", column);
        db.execute_unprepared(&format!(
            "UPDATE complaints SET \
             first_response_due = COALESCE({first}, created_at), \
             next_update_due = COALESCE({update}, created_at), \
             solution_due = {solution}, \
             resolution_due = COALESCE({resolution}, created_at), \
             next_deadline = (SELECT MIN(k.due_at) FROM sla_clocks k \
             WHERE k.ticket_kind = 'COMPLAINT' AND k.ticket_id = complaints.id \
             AND k.met_at IS NULL AND k.stopped_at IS NULL)",
            first = complaint("FIRST_RESPONSE", "due_at"),
            update = complaint("PROGRESS_UPDATE", "due_at"),
            solution = complaint("SOLUTION", "due_at"),
            resolution = complaint("RESOLUTION", "due_at"),
        ))
        .await?;
        index(
            manager,
            "idx_complaints_next_deadline",
            Complaints::Table,
            &[Complaints::NextDeadline],
        )
        .await?;
        index(
            manager,
            "idx_repair_orders_status_arrive_by",
            RepairOrders::Table,
            &[RepairOrders::Status, RepairOrders::ArriveBy],
        )
        .await?;
        db.execute_unprepared("ALTER TABLE users DROP COLUMN sla_tier")
            .await?;
        // The waiting states have no place in the old state machine: back to where they began.
        db.execute_unprepared(
            "UPDATE repair_orders SET status = resume_status \
             WHERE status IN ('WAITING_FOR_PARTS', 'WAITING_FOR_CUSTOMER')",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE complaints SET status = 'INVESTIGATING' WHERE status = 'EXTERNAL_CASE'",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE ticket_events SET from_status = NULL WHERE length(from_status) > 16",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE ticket_events SET to_status = NULL WHERE length(to_status) > 16",
        )
        .await?;
        widen_statuses(manager, 16).await?;
        for column in [
            "escalation_level",
            "resume_status",
            "waiting_reason",
            "sla_scope",
        ] {
            db.execute_unprepared(&format!("ALTER TABLE repair_orders DROP COLUMN {column}"))
                .await?;
        }
        manager
            .drop_table(Table::drop().table(SlaClocks::Table).to_owned())
            .await?;
        for &(kind, metric, scope, ..) in NEW_POLICIES {
            db.execute_unprepared(&format!(
                "DELETE FROM sla_policies WHERE ticket_kind = '{kind}' AND metric = '{metric}' \
                 AND scope = '{scope}'"
            ))
            .await?;
        }
        for column in ["warn_percents", "pause_states", "repeating", "escalates"] {
            db.execute_unprepared(&format!("ALTER TABLE sla_policies DROP COLUMN {column}"))
                .await?;
        }
        Ok(())
    }
}

/// The waiting states (`WAITING_FOR_CUSTOMER`) are longer than the 16 characters status
/// columns had; SQLite does not enforce the length.
async fn widen_statuses(manager: &SchemaManager<'_>, length: u32) -> Result<(), DbErr> {
    if manager.get_database_backend() != sea_orm_migration::sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    let db = manager.get_connection();
    for (table, column) in [
        ("repair_orders", "status"),
        ("complaints", "status"),
        ("ticket_events", "from_status"),
        ("ticket_events", "to_status"),
    ] {
        db.execute_unprepared(&format!(
            "ALTER TABLE {table} ALTER COLUMN {column} TYPE varchar({length})"
        ))
        .await?;
    }
    Ok(())
}

/// The deadlines of complaints and repair orders as clocks, with the rule of the policy each
/// ticket's scope has (its severity; its warranty for repairs).
async fn migrate_deadlines_into_clocks(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let columns = "ticket_kind, ticket_id, service_centre_id, organization_id, metric, cycle, \
        scope, policy_id, business_time, duration_minutes, repeating, escalates, warn_percents, \
        pause_states, started_at, due_at, customer_due_at, paused_seconds, met_at, stopped_at, \
        breached_at, escalation_level, missed_periods, warnings_sent, next_check_at, created_at, \
        updated_at";
    let rule = "p.id, p.business_time, p.duration_minutes, p.repeating, p.escalates, \
        p.warn_percents, p.pause_states";
    // (metric, started, due, met, stopped, only where)
    let complaint_clocks = [
        (
            "FIRST_RESPONSE",
            "c.created_at",
            "c.first_response_due",
            "c.acknowledged_at",
            "CASE WHEN c.acknowledged_at IS NULL THEN c.resolved_at END",
            "1 = 1",
        ),
        (
            "PROGRESS_UPDATE",
            "COALESCE(c.last_update_at, c.created_at)",
            "c.next_update_due",
            "c.resolved_at",
            "CASE WHEN c.resolved_at IS NULL AND c.status = 'CLOSED' THEN c.closed_at END",
            "1 = 1",
        ),
        (
            "SOLUTION",
            "c.acknowledged_at",
            "c.solution_due",
            "c.investigated_at",
            "CASE WHEN c.investigated_at IS NULL THEN c.resolved_at END",
            "c.solution_due IS NOT NULL AND c.acknowledged_at IS NOT NULL",
        ),
        (
            "RESOLUTION",
            "c.created_at",
            "c.resolution_due",
            "c.resolved_at",
            "CASE WHEN c.resolved_at IS NULL AND c.status = 'CLOSED' THEN c.closed_at END",
            "1 = 1",
        ),
    ];
    for (metric, started, due, met, stopped, only) in complaint_clocks {
        db.execute_unprepared(&format!(
            "INSERT INTO sla_clocks ({columns}) \
             SELECT 'COMPLAINT', c.id, c.service_centre_id, c.organization_id, '{metric}', 1, \
             p.scope, {rule}, {started}, {due}, NULL, 0, {met}, {stopped}, \
             CASE WHEN {met} > {due} THEN {due} END, NULL, 0, 0, \
             CASE WHEN {met} IS NULL AND ({stopped}) IS NULL THEN {due} END, \
             c.created_at, c.updated_at \
             FROM complaints c JOIN sla_policies p ON p.ticket_kind = 'COMPLAINT' \
             AND p.metric = '{metric}' AND p.scope = c.severity WHERE {only}"
        ))
        .await?;
    }
    db.execute_unprepared(&format!(
        "INSERT INTO sla_clocks ({columns}) \
         SELECT 'REPAIR_ORDER', r.id, r.service_centre_id, r.organization_id, 'ARRIVAL', 1, \
         p.scope, {rule}, r.reported_at, r.arrive_by, \
         CASE WHEN r.arrive_by_customer_requested THEN r.arrive_by END, 0, r.arrived_at, \
         CASE WHEN r.arrived_at IS NULL AND r.status IN ('CANCELLED', 'CLOSED') \
         THEN r.updated_at END, \
         CASE WHEN r.arrival_breached THEN r.arrive_by END, NULL, 0, 0, \
         CASE WHEN r.arrived_at IS NULL AND r.status NOT IN ('CANCELLED', 'CLOSED') \
         THEN r.arrive_by END, \
         r.created_at, r.updated_at \
         FROM repair_orders r JOIN sla_policies p ON p.ticket_kind = 'REPAIR_ORDER' \
         AND p.metric = 'ARRIVAL' AND p.scope = r.sla_scope"
    ))
    .await?;
    Ok(())
}

/// Replaces `table` by `new` filled by `copy`, which reads the old rows from `<table>_old`.
async fn rebuild(
    manager: &SchemaManager<'_>,
    table: &str,
    new: TableCreateStatement,
    copy: &str,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    db.execute_unprepared(&format!("ALTER TABLE {table} RENAME TO {table}_old"))
        .await?;
    manager.create_table(new).await?;
    db.execute_unprepared(copy).await?;
    db.execute_unprepared(&format!("DROP TABLE {table}_old"))
        .await?;
    if manager.get_database_backend() == sea_orm_migration::sea_orm::DbBackend::Postgres {
        // The copied keys came from the old sequence; the new one must start past them.
        db.execute_unprepared(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
             COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        ))
        .await?;
    }
    Ok(())
}

/// What escalations and penalties refer to: before, a complaint; now, a ticket of any kind.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Complaint,
    Ticket,
}

fn ticket_columns(table: &mut TableCreateStatement, shape: Shape) {
    match shape {
        Shape::Complaint => {
            table.col(big_integer(Subject::ComplaintId));
        }
        Shape::Ticket => {
            table
                .col(string_len(Subject::TicketKind, 16))
                .col(big_integer(Subject::TicketId))
                .col(big_integer(Subject::ServiceCentreId))
                .col(big_integer_null(Subject::OrganizationId))
                .col(big_integer_null(Subject::ClockId));
        }
    }
}

fn escalations_table(shape: Shape) -> TableCreateStatement {
    let mut table = Table::create();
    table
        .table(Escalations::Table)
        .col(big_pk_auto(Escalations::Id));
    ticket_columns(&mut table, shape);
    table
        .col(small_integer(Escalations::FromLevel))
        .col(small_integer(Escalations::ToLevel))
        .col(text(Escalations::Reason))
        .col(string_len_null(Escalations::DeadlineKind, 24))
        .col(timestamp_with_time_zone_null(Escalations::DeadlineAt))
        .col(big_integer_null(Escalations::EscalatedBy))
        .col(big_integer_null(Escalations::FromUserId))
        .col(boolean(Escalations::Automatic))
        .col(timestamp_with_time_zone(Escalations::CreatedAt))
        .col(timestamp_with_time_zone_null(Escalations::AcknowledgedAt))
        .col(big_integer_null(Escalations::AcknowledgedBy));
    table.to_owned()
}

async fn escalation_indexes(manager: &SchemaManager<'_>, shape: Shape) -> Result<(), DbErr> {
    match shape {
        Shape::Complaint => {
            index(
                manager,
                "idx_escalations_complaint",
                Escalations::Table,
                &[Subject::ComplaintId],
            )
            .await?
        }
        Shape::Ticket => {
            index(
                manager,
                "idx_escalations_ticket",
                Escalations::Table,
                &[Subject::TicketKind, Subject::TicketId],
            )
            .await?;
            // The inboxes: a centre's escalations to one level.
            manager
                .create_index(
                    Index::create()
                        .name("idx_escalations_centre_level")
                        .table(Escalations::Table)
                        .col(Subject::ServiceCentreId)
                        .col(Escalations::ToLevel)
                        .to_owned(),
                )
                .await?
        }
    }
    index(
        manager,
        "idx_escalations_created",
        Escalations::Table,
        &[Escalations::CreatedAt],
    )
    .await
}

fn penalties_table(shape: Shape) -> TableCreateStatement {
    let mut table = Table::create();
    table
        .table(StaffPenalties::Table)
        .col(big_pk_auto(StaffPenalties::Id))
        .col(big_integer(StaffPenalties::UserId));
    ticket_columns(&mut table, shape);
    table
        .col(string_len(StaffPenalties::DeadlineKind, 24))
        .col(timestamp_with_time_zone(StaffPenalties::DeadlineAt))
        .col(integer(StaffPenalties::LateMinutes))
        .col(integer(StaffPenalties::Points))
        .col(timestamp_with_time_zone(StaffPenalties::CreatedAt));
    table.to_owned()
}

async fn penalty_indexes(manager: &SchemaManager<'_>, shape: Shape) -> Result<(), DbErr> {
    index(
        manager,
        "idx_staff_penalties_user",
        StaffPenalties::Table,
        &[StaffPenalties::UserId, StaffPenalties::CreatedAt],
    )
    .await?;
    index(
        manager,
        "idx_staff_penalties_created",
        StaffPenalties::Table,
        &[StaffPenalties::CreatedAt],
    )
    .await?;
    if shape == Shape::Ticket {
        // One penalty per missed clock, its points raised as the lateness grows.
        manager
            .create_index(
                Index::create()
                    .name("uq_staff_penalties_clock")
                    .table(StaffPenalties::Table)
                    .col(Subject::ClockId)
                    .unique()
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}

fn clocks_table() -> TableCreateStatement {
    Table::create()
        .table(SlaClocks::Table)
        .col(big_pk_auto(SlaClocks::Id))
        .col(string_len(SlaClocks::TicketKind, 16))
        .col(big_integer(SlaClocks::TicketId))
        .col(big_integer(SlaClocks::ServiceCentreId))
        .col(big_integer_null(SlaClocks::OrganizationId))
        .col(string_len(SlaClocks::Metric, 24))
        .col(integer(SlaClocks::Cycle))
        .col(string_len(SlaClocks::Scope, 24))
        .col(big_integer_null(SlaClocks::PolicyId))
        .col(boolean(SlaClocks::BusinessTime))
        .col(integer(SlaClocks::DurationMinutes))
        .col(boolean(SlaClocks::Repeating))
        .col(boolean(SlaClocks::Escalates))
        .col(string_len(SlaClocks::WarnPercents, 32))
        .col(string_len(SlaClocks::PauseStates, 200))
        .col(timestamp_with_time_zone(SlaClocks::StartedAt))
        .col(timestamp_with_time_zone(SlaClocks::DueAt))
        .col(timestamp_with_time_zone_null(SlaClocks::CustomerDueAt))
        .col(timestamp_with_time_zone_null(SlaClocks::PausedSince))
        .col(big_integer(SlaClocks::PausedSeconds))
        .col(timestamp_with_time_zone_null(SlaClocks::MetAt))
        .col(timestamp_with_time_zone_null(SlaClocks::StoppedAt))
        .col(timestamp_with_time_zone_null(SlaClocks::BreachedAt))
        .col(big_integer_null(SlaClocks::HolderId))
        .col(small_integer_null(SlaClocks::EscalationLevel))
        .col(integer(SlaClocks::MissedPeriods))
        .col(small_integer(SlaClocks::WarningsSent))
        .col(timestamp_with_time_zone_null(SlaClocks::WarnedAt))
        .col(timestamp_with_time_zone_null(SlaClocks::NextCheckAt))
        .col(timestamp_with_time_zone(SlaClocks::CreatedAt))
        .col(timestamp_with_time_zone(SlaClocks::UpdatedAt))
        .to_owned()
}

#[derive(DeriveIden, Clone, Copy)]
enum SlaPolicies {
    Table,
    TicketKind,
    Metric,
    Scope,
    DurationMinutes,
    BusinessTime,
    RuleId,
    UpdatedAt,
    PauseStates,
    WarnPercents,
    Escalates,
}

#[derive(DeriveIden, Clone, Copy)]
enum SlaClocks {
    Table,
    Id,
    TicketKind,
    TicketId,
    ServiceCentreId,
    OrganizationId,
    Metric,
    Cycle,
    Scope,
    PolicyId,
    BusinessTime,
    DurationMinutes,
    Repeating,
    Escalates,
    WarnPercents,
    PauseStates,
    StartedAt,
    DueAt,
    CustomerDueAt,
    PausedSince,
    PausedSeconds,
    MetAt,
    StoppedAt,
    BreachedAt,
    HolderId,
    EscalationLevel,
    MissedPeriods,
    WarningsSent,
    WarnedAt,
    NextCheckAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RepairOrders {
    Table,
    Status,
    ArriveBy,
}

#[derive(DeriveIden, Clone, Copy)]
enum Complaints {
    Table,
    NextDeadline,
}

/// The columns naming what an escalation or penalty is about.
#[derive(DeriveIden, Clone, Copy)]
enum Subject {
    ComplaintId,
    TicketKind,
    TicketId,
    ServiceCentreId,
    OrganizationId,
    ClockId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Escalations {
    Table,
    Id,
    FromLevel,
    ToLevel,
    Reason,
    DeadlineKind,
    DeadlineAt,
    EscalatedBy,
    FromUserId,
    Automatic,
    CreatedAt,
    AcknowledgedAt,
    AcknowledgedBy,
}

#[derive(DeriveIden, Clone, Copy)]
enum StaffPenalties {
    Table,
    Id,
    UserId,
    DeadlineKind,
    DeadlineAt,
    LateMinutes,
    Points,
    CreatedAt,
}
