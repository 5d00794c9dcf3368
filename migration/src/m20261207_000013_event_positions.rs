//! A commit-ordered position for the timeline (issue 13): `ticket_events.commit_tx`.
//!
//! On PostgreSQL it is the writing transaction's id (`pg_current_xact_id()`, 64-bit, never
//! wraps), filled by the column default in the same transaction as the row. A change feed reads
//! rows by `(commit_tx, id)` and only below the oldest transaction still in flight
//! (`pg_snapshot_xmin`), so a row whose transaction commits late is never skipped: every row a
//! reader has not seen yet sorts after everything it has. On SQLite writers are serialized and
//! ids are assigned in commit order: the position stays 0 and the id orders.
//!
//! Existing rows get 0 (all committed; their ids order them). `down` drops the column.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "ALTER TABLE ticket_events ADD COLUMN commit_tx bigint NOT NULL DEFAULT 0",
        )
        .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(
                "ALTER TABLE ticket_events ALTER COLUMN commit_tx \
                 SET DEFAULT (pg_current_xact_id()::text::bigint)",
            )
            .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_ticket_events_position")
                    .table(TicketEvents::Table)
                    .col(TicketEvents::CommitTx)
                    .col(TicketEvents::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_ticket_events_position")
                    .table(TicketEvents::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared("ALTER TABLE ticket_events DROP COLUMN commit_tx")
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum TicketEvents {
    Table,
    Id,
    CommitTx,
}
