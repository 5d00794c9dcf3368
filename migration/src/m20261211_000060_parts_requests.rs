//! R-REP-5: parts requests. A request (`parts_requests`) belongs to a repair order and lists the
//! parts asked for (`parts_request_items`: code, name, quantity, urgency); a supervisor of the
//! centre approves or rejects it, it is filled from stock or by purchase, and its arrival ends
//! the order's wait. `down` drops both tables.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use PartsRequestItems as I;
        use PartsRequests as P;
        manager
            .create_table(
                Table::create()
                    .table(P::Table)
                    .col(big_pk_auto(P::Id))
                    .col(big_integer(P::RepairOrderId))
                    .col(string_len(P::Status, 16))
                    .col(big_integer(P::RequestedBy))
                    .col(text_null(P::Note))
                    .col(big_integer_null(P::DecidedBy))
                    .col(timestamp_with_time_zone_null(P::DecidedAt))
                    .col(text_null(P::RejectionReason))
                    .col(string_len_null(P::Source, 16))
                    .col(big_integer_null(P::FilledBy))
                    .col(timestamp_with_time_zone_null(P::FilledAt))
                    .col(timestamp_with_time_zone_null(P::ArrivedAt))
                    .col(timestamp_with_time_zone(P::CreatedAt))
                    .col(timestamp_with_time_zone(P::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        crate::common::index(
            manager,
            "idx_parts_requests_order",
            P::Table,
            &[P::RepairOrderId, P::Status],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(I::Table)
                    .col(big_pk_auto(I::Id))
                    .col(big_integer(I::PartsRequestId))
                    .col(string_len(I::PartCode, 64))
                    .col(string_len(I::PartName, 200))
                    .col(integer(I::Quantity))
                    .col(string_len(I::Urgency, 8))
                    .to_owned(),
            )
            .await?;
        crate::common::index(
            manager,
            "idx_parts_request_items_request",
            I::Table,
            &[I::PartsRequestId],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PartsRequestItems::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(PartsRequests::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum PartsRequests {
    Table,
    Id,
    RepairOrderId,
    Status,
    RequestedBy,
    Note,
    DecidedBy,
    DecidedAt,
    RejectionReason,
    Source,
    FilledBy,
    FilledAt,
    ArrivedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PartsRequestItems {
    Table,
    Id,
    PartsRequestId,
    PartCode,
    PartName,
    Quantity,
    Urgency,
}
