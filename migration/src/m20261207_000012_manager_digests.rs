//! The daily digest of GENERAL complaints for the customer-service manager (issue 12,
//! R-CLS-1): `manager_digests`, one row per centre and local day (unique, so several server
//! instances write it once). `down` drops it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ManagerDigests::Table)
                    .col(big_pk_auto(ManagerDigests::Id))
                    .col(big_integer(ManagerDigests::ServiceCentreId))
                    .col(date(ManagerDigests::Day))
                    .col(integer(ManagerDigests::GeneralComplaints))
                    .col(integer(ManagerDigests::StillOpen))
                    .col(text(ManagerDigests::Numbers))
                    .col(timestamp_with_time_zone(ManagerDigests::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_manager_digests_centre_day")
                    .table(ManagerDigests::Table)
                    .col(ManagerDigests::ServiceCentreId)
                    .col(ManagerDigests::Day)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ManagerDigests::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ManagerDigests {
    Table,
    Id,
    ServiceCentreId,
    Day,
    GeneralComplaints,
    StillOpen,
    Numbers,
    CreatedAt,
}
