//! Return visits become policy rows and follow every kind of ticket (R-SLA-7, R-SLA-8).
//!
//! - `sla_policies` gets the visit intervals as `RETURN_VISIT` rows scoped by the visit's
//!   purpose: 3 days after closure for repairs and complaints, 30 days after a repair.
//! - `return_visits.repair_order_id` (NOT NULL) becomes a `ticket_kind` + `ticket_id` pair like
//!   `surveys` has, plus the ticket's `organization_id` so metrics scope visits without joining
//!   two ticket tables. `complaint_id` keeps its meaning: the complaint raised on the call.
//!
//! PostgreSQL changes the table in place. SQLite cannot drop a column that a foreign key uses,
//! so there the table is rebuilt the way the SQLite manual describes (create, copy, drop,
//! rename); no other table references `return_visits`.

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::{prelude::*, schema::*};

use crate::common::{index, timestamp_literal};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// When the default visit policies were written.
const POLICY_EPOCH: &str = "2026-12-01 00:00:00+00:00";

/// The columns both shapes of the table share, in the order they are copied.
const SHARED: &str = "customer_id, service_centre_id, purpose, attempt, due_at, \
    customer_chose_time, agent_id, visited_at, channel, satisfied, answers, outcome, retry_at, \
    complaint_id, recorded_at, report_due_at, report_late, review_due_at, reviewed_by, \
    reviewed_at, review_note, created_at";

/// The indexes over shared columns; on SQLite they go with the old table and are made again.
const CENTRE_INDEXES: [(&str, ReturnVisits); 2] = [
    ("idx_return_visits_centre_due", ReturnVisits::DueAt),
    (
        "idx_return_visits_centre_review_due",
        ReturnVisits::ReviewDueAt,
    ),
];

/// What a visit row points at.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Before: the repair order visited.
    RepairOrder,
    /// After: a ticket of either kind, and its organization.
    Ticket,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// On SQLite too (not the default there): a rebuild stopped between dropping the old table
    /// and renaming the new one would lose the visits, and outside a transaction the pool
    /// spreads the statements over connections that need not see each other's DDL.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let epoch = timestamp_literal(manager, POLICY_EPOCH);
        let mut defaults = Query::insert();
        defaults.into_table(SlaPolicies::Table).columns([
            SlaPolicies::TicketKind,
            SlaPolicies::Metric,
            SlaPolicies::Scope,
            SlaPolicies::DurationMinutes,
            SlaPolicies::BusinessTime,
            SlaPolicies::RuleId,
            SlaPolicies::UpdatedAt,
        ]);
        for (kind, scope, days, rule) in [
            ("REPAIR_ORDER", "AFTER_CLOSURE", 3, "R-SLA-7"),
            ("REPAIR_ORDER", "THIRTY_DAY", 30, "R-SLA-8"),
            ("COMPLAINT", "AFTER_CLOSURE", 3, "R-SLA-7"),
        ] {
            defaults.values_panic([
                kind.into(),
                "RETURN_VISIT".into(),
                scope.into(),
                (days * 24 * 60).into(),
                false.into(),
                rule.into(),
                epoch.clone(),
            ]);
        }
        manager.exec_stmt(defaults).await?;

        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(
                "ALTER TABLE return_visits ADD COLUMN ticket_kind varchar(16), \
                 ADD COLUMN ticket_id bigint, \
                 ADD COLUMN organization_id bigint REFERENCES organizations (id)",
            )
            .await?;
            db.execute_unprepared(
                "UPDATE return_visits v SET ticket_kind = 'REPAIR_ORDER', \
                 ticket_id = v.repair_order_id, organization_id = r.organization_id \
                 FROM repair_orders r WHERE r.id = v.repair_order_id",
            )
            .await?;
            // Dropping the column drops its foreign key and `uq_return_visits_attempt`.
            db.execute_unprepared(
                "ALTER TABLE return_visits ALTER COLUMN ticket_kind SET NOT NULL, \
                 ALTER COLUMN ticket_id SET NOT NULL, DROP COLUMN repair_order_id",
            )
            .await?;
        } else {
            rebuild_on_sqlite(
                manager,
                Shape::Ticket,
                &format!(
                    "SELECT v.id, 'REPAIR_ORDER', v.repair_order_id, (SELECT r.organization_id \
                     FROM repair_orders r WHERE r.id = v.repair_order_id), {SHARED} \
                     FROM return_visits v"
                ),
            )
            .await?;
        }
        unique_attempt(manager, Shape::Ticket).await
    }

    /// Complaint visits have no place in the old table and are deleted.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DELETE FROM sla_policies WHERE metric = 'RETURN_VISIT'")
            .await?;
        db.execute_unprepared("DELETE FROM return_visits WHERE ticket_kind <> 'REPAIR_ORDER'")
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(
                "ALTER TABLE return_visits \
                 ADD COLUMN repair_order_id bigint REFERENCES repair_orders (id)",
            )
            .await?;
            db.execute_unprepared("UPDATE return_visits SET repair_order_id = ticket_id")
                .await?;
            db.execute_unprepared(
                "ALTER TABLE return_visits ALTER COLUMN repair_order_id SET NOT NULL, \
                 DROP COLUMN ticket_kind, DROP COLUMN ticket_id, DROP COLUMN organization_id",
            )
            .await?;
        } else {
            rebuild_on_sqlite(
                manager,
                Shape::RepairOrder,
                &format!("SELECT id, ticket_id, {SHARED} FROM return_visits"),
            )
            .await?;
        }
        unique_attempt(manager, Shape::RepairOrder).await
    }
}

/// Replaces `return_visits` by a table of `shape` filled by `select` (the shape's own columns
/// first, then `SHARED`), with the centre indexes.
async fn rebuild_on_sqlite(
    manager: &SchemaManager<'_>,
    shape: Shape,
    select: &str,
) -> Result<(), DbErr> {
    manager.create_table(table(shape)).await?;
    let columns = match shape {
        Shape::RepairOrder => format!("id, repair_order_id, {SHARED}"),
        Shape::Ticket => format!("id, ticket_kind, ticket_id, organization_id, {SHARED}"),
    };
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "INSERT INTO return_visits_rebuilt ({columns}) {select}"
        ))
        .await?;
    manager
        .drop_table(Table::drop().table(ReturnVisits::Table).to_owned())
        .await?;
    manager
        .rename_table(
            Table::rename()
                .table(ReturnVisitsRebuilt::Table, ReturnVisits::Table)
                .to_owned(),
        )
        .await?;
    for (name, column) in CENTRE_INDEXES {
        index(
            manager,
            name,
            ReturnVisits::Table,
            &[ReturnVisits::ServiceCentreId, column],
        )
        .await?;
    }
    Ok(())
}

/// One row per attempt of each scheduled visit of a ticket.
async fn unique_attempt(manager: &SchemaManager<'_>, shape: Shape) -> Result<(), DbErr> {
    let mut statement = Index::create();
    statement.table(ReturnVisits::Table).unique();
    match shape {
        Shape::RepairOrder => statement
            .name("uq_return_visits_attempt")
            .col(ReturnVisits::RepairOrderId),
        Shape::Ticket => statement
            .name("uq_return_visits_ticket_attempt")
            .col(ReturnVisits::TicketKind)
            .col(ReturnVisits::TicketId),
    };
    statement
        .col(ReturnVisits::Purpose)
        .col(ReturnVisits::Attempt);
    manager.create_index(statement).await
}

/// `return_visits` of `shape` under its temporary name (SQLite only).
fn table(shape: Shape) -> TableCreateStatement {
    let mut table = Table::create();
    table
        .table(ReturnVisitsRebuilt::Table)
        .col(big_pk_auto(ReturnVisits::Id));
    match shape {
        Shape::RepairOrder => {
            table
                .col(big_integer(ReturnVisits::RepairOrderId))
                .foreign_key(
                    ForeignKey::create()
                        .from(ReturnVisitsRebuilt::Table, ReturnVisits::RepairOrderId)
                        .to(RepairOrders::Table, RepairOrders::Id),
                );
        }
        Shape::Ticket => {
            table
                .col(string_len(ReturnVisits::TicketKind, 16))
                .col(big_integer(ReturnVisits::TicketId))
                .col(big_integer_null(ReturnVisits::OrganizationId))
                .foreign_key(
                    ForeignKey::create()
                        .from(ReturnVisitsRebuilt::Table, ReturnVisits::OrganizationId)
                        .to(Organizations::Table, Organizations::Id),
                );
        }
    }
    table
        .col(big_integer(ReturnVisits::CustomerId))
        .col(big_integer(ReturnVisits::ServiceCentreId))
        .col(string_len(ReturnVisits::Purpose, 16))
        .col(small_integer(ReturnVisits::Attempt))
        .col(timestamp_with_time_zone(ReturnVisits::DueAt))
        .col(boolean(ReturnVisits::CustomerChoseTime))
        .col(big_integer_null(ReturnVisits::AgentId))
        .col(timestamp_with_time_zone_null(ReturnVisits::VisitedAt))
        .col(string_len_null(ReturnVisits::Channel, 16))
        .col(boolean_null(ReturnVisits::Satisfied))
        .col(text_null(ReturnVisits::Answers))
        .col(string_len_null(ReturnVisits::Outcome, 24))
        .col(timestamp_with_time_zone_null(ReturnVisits::RetryAt))
        .col(big_integer_null(ReturnVisits::ComplaintId))
        .col(timestamp_with_time_zone_null(ReturnVisits::RecordedAt))
        .col(timestamp_with_time_zone_null(ReturnVisits::ReportDueAt))
        .col(boolean_null(ReturnVisits::ReportLate))
        .col(timestamp_with_time_zone_null(ReturnVisits::ReviewDueAt))
        .col(big_integer_null(ReturnVisits::ReviewedBy))
        .col(timestamp_with_time_zone_null(ReturnVisits::ReviewedAt))
        .col(text_null(ReturnVisits::ReviewNote))
        .col(timestamp_with_time_zone(ReturnVisits::CreatedAt))
        .foreign_key(
            ForeignKey::create()
                .from(ReturnVisitsRebuilt::Table, ReturnVisits::ServiceCentreId)
                .to(ServiceCentres::Table, ServiceCentres::Id),
        )
        .foreign_key(
            ForeignKey::create()
                .from(ReturnVisitsRebuilt::Table, ReturnVisits::ComplaintId)
                .to(Complaints::Table, Complaints::Id),
        )
        .to_owned()
}

#[derive(DeriveIden)]
enum SlaPolicies {
    Table,
    TicketKind,
    Metric,
    Scope,
    DurationMinutes,
    BusinessTime,
    RuleId,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ServiceCentres {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum RepairOrders {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Complaints {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ReturnVisitsRebuilt {
    Table,
}

#[derive(DeriveIden, Clone, Copy)]
enum ReturnVisits {
    Table,
    Id,
    RepairOrderId,
    TicketKind,
    TicketId,
    OrganizationId,
    CustomerId,
    ServiceCentreId,
    Purpose,
    Attempt,
    DueAt,
    CustomerChoseTime,
    AgentId,
    VisitedAt,
    Channel,
    Satisfied,
    Answers,
    Outcome,
    RetryAt,
    ComplaintId,
    RecordedAt,
    ReportDueAt,
    ReportLate,
    ReviewDueAt,
    ReviewedBy,
    ReviewedAt,
    ReviewNote,
    CreatedAt,
}
