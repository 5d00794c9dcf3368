//! Client references (issue 13): `external_reference` on repair orders, complaints and assets,
//! the client's own id for what it creates, unique per `reference_owner` (a partner
//! organization, `org:<id>`, or a user, `user:<id>`), so a queued retry of a create finds the
//! first one instead of making a second. Rows without a reference are not constrained (NULLs
//! are distinct in a unique index on both databases). `down` drops them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 3] = ["repair_orders", "complaints", "assets"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in TABLES {
            for column in [
                "external_reference varchar(100)",
                "reference_owner varchar(40)",
            ] {
                db.execute_unprepared(&format!("ALTER TABLE {table} ADD COLUMN {column}"))
                    .await?;
            }
            db.execute_unprepared(&format!(
                "CREATE UNIQUE INDEX uq_{table}_reference ON {table} \
                 (reference_owner, external_reference)"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in TABLES {
            db.execute_unprepared(&format!("DROP INDEX uq_{table}_reference"))
                .await?;
            for column in ["external_reference", "reference_owner"] {
                db.execute_unprepared(&format!("ALTER TABLE {table} DROP COLUMN {column}"))
                    .await?;
            }
        }
        Ok(())
    }
}
