//! Retention (issue 17, R-PRV-6/9/11): how long each kind of ticket keeps its personal data
//! after closing (`retention_policies`, three years by default), legal holds that stop the
//! destruction, and the destruction records the retention job writes when it anonymizes a
//! ticket in place.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RetentionPolicies {
    Table,
    TicketKind,
    RetentionDays,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LegalHolds {
    Table,
    Id,
    TicketKind,
    TicketId,
    Reason,
    PlacedBy,
    PlacedAt,
    ReleasedBy,
    ReleasedAt,
}

#[derive(DeriveIden)]
enum DestructionRecords {
    Table,
    Id,
    TicketKind,
    TicketId,
    ClosedAt,
    RetentionDays,
    Fields,
    DestroyedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RetentionPolicies::Table)
                    .col(string_len(RetentionPolicies::TicketKind, 16).primary_key())
                    .col(integer(RetentionPolicies::RetentionDays))
                    .col(timestamp_with_time_zone(RetentionPolicies::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO retention_policies (ticket_kind, retention_days, updated_at) VALUES \
                 ('REPAIR_ORDER', 1095, CURRENT_TIMESTAMP), ('COMPLAINT', 1095, CURRENT_TIMESTAMP)",
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LegalHolds::Table)
                    .col(big_pk_auto(LegalHolds::Id))
                    .col(string_len(LegalHolds::TicketKind, 16))
                    .col(big_integer(LegalHolds::TicketId))
                    .col(text(LegalHolds::Reason))
                    .col(big_integer(LegalHolds::PlacedBy))
                    .col(timestamp_with_time_zone(LegalHolds::PlacedAt))
                    .col(big_integer_null(LegalHolds::ReleasedBy))
                    .col(timestamp_with_time_zone_null(LegalHolds::ReleasedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_legal_holds_ticket")
                    .table(LegalHolds::Table)
                    .col(LegalHolds::TicketKind)
                    .col(LegalHolds::TicketId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DestructionRecords::Table)
                    .col(big_pk_auto(DestructionRecords::Id))
                    .col(string_len(DestructionRecords::TicketKind, 16))
                    .col(big_integer(DestructionRecords::TicketId))
                    .col(timestamp_with_time_zone(DestructionRecords::ClosedAt))
                    .col(integer(DestructionRecords::RetentionDays))
                    .col(string_len(DestructionRecords::Fields, 200))
                    .col(timestamp_with_time_zone(DestructionRecords::DestroyedAt))
                    .to_owned(),
            )
            .await?;
        // A ticket is anonymized once.
        manager
            .create_index(
                Index::create()
                    .name("uq_destruction_records_ticket")
                    .table(DestructionRecords::Table)
                    .col(DestructionRecords::TicketKind)
                    .col(DestructionRecords::TicketId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DestructionRecords::Table.into_iden(),
            LegalHolds::Table.into_iden(),
            RetentionPolicies::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
