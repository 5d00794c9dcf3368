//! Nothing is deleted (issue 17, R-PRV-11): complaints, return visits and timeline entries
//! refuse `DELETE`, and the audit log and destruction records refuse `UPDATE` too, in the
//! database itself, so no code path — nor a hand-written statement — removes or rewrites them.
//! Retention anonymizes in place instead (R-PRV-6).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Tables whose rows are never deleted.
const KEPT: [&str; 3] = ["complaints", "return_visits", "ticket_events"];
/// Tables whose rows are never deleted nor changed.
const APPEND_ONLY: [&str; 3] = ["audit_log", "audit_log_users", "destruction_records"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        if postgres {
            db.execute_unprepared(
                "CREATE FUNCTION refuse_removal() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN RAISE EXCEPTION '% rows are never deleted or rewritten (R-PRV-11)', \
                 TG_TABLE_NAME; END $$",
            )
            .await?;
        }
        let tables = KEPT
            .iter()
            .map(|t| (*t, "DELETE"))
            .chain(APPEND_ONLY.iter().map(|t| (*t, "UPDATE OR DELETE")));
        for (table, events) in tables {
            crate::common::refuse_row_changes(manager, table, events).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        for table in KEPT.iter().chain(APPEND_ONLY.iter()) {
            crate::common::allow_row_changes(manager, table).await?;
        }
        if postgres {
            db.execute_unprepared("DROP FUNCTION refuse_removal()")
                .await?;
        }
        Ok(())
    }
}
