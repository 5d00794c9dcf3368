//! Escalation targets per level as a policy (issue 12, R-ESC-1).
//!
//! - `escalation_routes`: per ticket kind and level, whose inbox receives the ticket — the
//!   centre's supervisors or the top level. The defaults are the regulation's: level 2 the
//!   customer-service manager (the centre's supervisors), level 3 the general manager.
//! - `escalations.target`: the route each escalation took, so a later change of the policy
//!   does not move what is already in an inbox. Existing rows get the default of their level.
//!   The inboxes read by centre and target (`idx_escalations_centre_target` replaces the index
//!   by level).
//!
//! `down` drops both.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

use crate::common::timestamp_literal;

#[derive(DeriveMigrationName)]
pub struct Migration;

const ROUTES: &[(&str, i16, &str)] = &[
    ("REPAIR_ORDER", 2, "CENTRE_SUPERVISORS"),
    ("REPAIR_ORDER", 3, "TOP_LEVEL"),
    ("COMPLAINT", 2, "CENTRE_SUPERVISORS"),
    ("COMPLAINT", 3, "TOP_LEVEL"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EscalationRoutes::Table)
                    .col(
                        ColumnDef::new(EscalationRoutes::TicketKind)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EscalationRoutes::Level)
                            .small_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EscalationRoutes::Target)
                            .string_len(24)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EscalationRoutes::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(EscalationRoutes::TicketKind)
                            .col(EscalationRoutes::Level),
                    )
                    .to_owned(),
            )
            .await?;
        let epoch = timestamp_literal(manager, "2026-12-07 00:00:00+00:00");
        let mut routes = Query::insert();
        routes.into_table(EscalationRoutes::Table).columns([
            EscalationRoutes::TicketKind,
            EscalationRoutes::Level,
            EscalationRoutes::Target,
            EscalationRoutes::UpdatedAt,
        ]);
        for &(kind, level, target) in ROUTES {
            routes.values_panic([kind.into(), level.into(), target.into(), epoch.clone()]);
        }
        manager.exec_stmt(routes).await?;

        let db = manager.get_connection();
        db.execute_unprepared(
            "ALTER TABLE escalations ADD COLUMN target varchar(24) NOT NULL \
             DEFAULT 'CENTRE_SUPERVISORS'",
        )
        .await?;
        db.execute_unprepared("UPDATE escalations SET target = 'TOP_LEVEL' WHERE to_level >= 3")
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_escalations_centre_level")
                    .table(Escalations::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_escalations_centre_target")
                    .table(Escalations::Table)
                    .col(Escalations::ServiceCentreId)
                    .col(Escalations::Target)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_escalations_centre_target")
                    .table(Escalations::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_escalations_centre_level")
                    .table(Escalations::Table)
                    .col(Escalations::ServiceCentreId)
                    .col(Escalations::ToLevel)
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared("ALTER TABLE escalations DROP COLUMN target")
            .await?;
        manager
            .drop_table(Table::drop().table(EscalationRoutes::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum EscalationRoutes {
    Table,
    TicketKind,
    Level,
    Target,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Escalations {
    Table,
    ServiceCentreId,
    ToLevel,
    Target,
}
