//! Classification and warranty that callers cannot declare for themselves (issue 11).
//!
//! - `complaints.max_severity`: the highest severity a complaint ever had, which closure
//!   sign-off follows (R-ESC-4), filled from each complaint's history: the escalation written
//!   when a SERIOUS or MAJOR complaint was filed or reclassified, and every reclassification on
//!   its timeline. `complaints.claimed_severity`: what a customer or partner asked for (R-CLS-3).
//! - `product_models`: the admin-managed catalogue the warranty length comes from (R-REP-1).
//! - `assets.product_model_id` and `warranty_verified_at`/`_by`: a warranty counts only once
//!   staff verified it. Existing assets were self-declared, so they start unverified. The two
//!   references are foreign keys on PostgreSQL only: SQLite cannot drop such a column again.
//! - `uq_assets_model_serial`: one asset per model and serial number. Existing duplicates keep
//!   their oldest row; later ones get `#dup-<id>` appended to the serial so the index can be
//!   built without losing a row a repair order points at.

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const UNIQUE_SERIAL: &str = "uq_assets_model_serial";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All or nothing on SQLite too: a half-applied run would leave the unique index missing.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "ALTER TABLE complaints ADD COLUMN max_severity varchar(8) NOT NULL DEFAULT 'GENERAL'",
        )
        .await?;
        db.execute_unprepared("ALTER TABLE complaints ADD COLUMN claimed_severity varchar(8)")
            .await?;
        db.execute_unprepared("UPDATE complaints SET max_severity = severity")
            .await?;
        for (severity, below) in [("MAJOR", "'GENERAL', 'SERIOUS'"), ("SERIOUS", "'GENERAL'")] {
            db.execute_unprepared(&format!(
                "UPDATE complaints SET max_severity = '{severity}' \
                 WHERE max_severity IN ({below}) AND (\
                 EXISTS (SELECT 1 FROM escalations x WHERE x.complaint_id = complaints.id \
                 AND (x.reason LIKE '{severity} complaint:%' \
                 OR x.reason LIKE 'reclassified as {severity}:%')) \
                 OR EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_kind = 'COMPLAINT' \
                 AND e.ticket_id = complaints.id AND e.action = 'RECLASSIFIED' \
                 AND e.note LIKE '% / {severity}'))"
            ))
            .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ProductModels::Table)
                    .col(big_pk_auto(ProductModels::Id))
                    .col(string_len_uniq(ProductModels::Code, 64))
                    .col(string_len(ProductModels::Name, 200))
                    .col(integer(ProductModels::WarrantyMonths))
                    .col(timestamp_with_time_zone(ProductModels::CreatedAt))
                    .col(timestamp_with_time_zone(ProductModels::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        // SQLite cannot drop a column a foreign key uses, so there the two references stay
        // unchecked and the migration can be reverted.
        let references = |table: &str| {
            if postgres {
                format!(" REFERENCES {table} (id)")
            } else {
                String::new()
            }
        };
        db.execute_unprepared(&format!(
            "ALTER TABLE assets ADD COLUMN product_model_id bigint{}",
            references("product_models")
        ))
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Assets::Table)
                    .add_column(timestamp_with_time_zone_null(Assets::WarrantyVerifiedAt))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(&format!(
            "ALTER TABLE assets ADD COLUMN warranty_verified_by bigint{}",
            references("users")
        ))
        .await?;
        db.execute_unprepared(
            "UPDATE assets SET serial_number = serial_number || '#dup-' || CAST(id AS varchar(20)) \
             WHERE EXISTS (SELECT 1 FROM assets a WHERE a.model = assets.model \
             AND a.serial_number = assets.serial_number AND a.id < assets.id)",
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name(UNIQUE_SERIAL)
                    .table(Assets::Table)
                    .col(Assets::Model)
                    .col(Assets::SerialNumber)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(UNIQUE_SERIAL)
                    .table(Assets::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Assets::WarrantyVerifiedBy,
            Assets::WarrantyVerifiedAt,
            Assets::ProductModelId,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Assets::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(ProductModels::Table).to_owned())
            .await?;
        for column in [Complaints::ClaimedSeverity, Complaints::MaxSeverity] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Complaints::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum ProductModels {
    Table,
    Id,
    Code,
    Name,
    WarrantyMonths,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Assets {
    Table,
    Model,
    SerialNumber,
    ProductModelId,
    WarrantyVerifiedAt,
    WarrantyVerifiedBy,
}

#[derive(DeriveIden, Clone, Copy)]
enum Complaints {
    Table,
    MaxSeverity,
    ClaimedSeverity,
}
