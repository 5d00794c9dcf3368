//! Approved exports (issue 17, R-PRV-12): a bulk export of personal data is requested, approved
//! by another supervisor, produced in the background as CSV, and downloaded once by the
//! requester before it expires.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Exports {
    Table,
    Id,
    Kind,
    ServiceCentreId,
    ReportedFrom,
    ReportedTo,
    RequestedBy,
    RequestedAt,
    ApprovedBy,
    ApprovedAt,
    ProducedAt,
    RowCount,
    Content,
    ExpiresAt,
    DownloadedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Exports::Table)
                    .col(big_pk_auto(Exports::Id))
                    .col(string_len(Exports::Kind, 32))
                    .col(big_integer(Exports::ServiceCentreId))
                    .col(timestamp_with_time_zone_null(Exports::ReportedFrom))
                    .col(timestamp_with_time_zone_null(Exports::ReportedTo))
                    .col(big_integer(Exports::RequestedBy))
                    .col(timestamp_with_time_zone(Exports::RequestedAt))
                    .col(big_integer_null(Exports::ApprovedBy))
                    .col(timestamp_with_time_zone_null(Exports::ApprovedAt))
                    .col(timestamp_with_time_zone_null(Exports::ProducedAt))
                    .col(integer_null(Exports::RowCount))
                    .col(text_null(Exports::Content))
                    .col(timestamp_with_time_zone_null(Exports::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Exports::DownloadedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Exports::Table).to_owned())
            .await
    }
}
