//! Live updates across instances (issue 13): on PostgreSQL, a statement-level trigger on
//! `ticket_events` announces the writing transaction's id on the `servicedesk_events` channel.
//! `NOTIFY` is delivered at commit and only then, so listeners hear of rows they can read, and
//! the payload is a position, never the row (payloads are capped at 8,000 bytes and a listener
//! reads the rows from the table anyway). SQLite runs in one process: nothing to announce.

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
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE FUNCTION servicedesk_announce_events() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN \
               PERFORM pg_notify('servicedesk_events', pg_current_xact_id()::text); \
               RETURN NULL; \
             END $$",
        )
        .await?;
        db.execute_unprepared(
            "CREATE TRIGGER ticket_events_announce AFTER INSERT ON ticket_events \
             FOR EACH STATEMENT EXECUTE FUNCTION servicedesk_announce_events()",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared("DROP TRIGGER ticket_events_announce ON ticket_events")
            .await?;
        db.execute_unprepared("DROP FUNCTION servicedesk_announce_events()")
            .await?;
        Ok(())
    }
}
