//! R-SLA-13: a return visit one month before the warranty of a sold product ends. Such a visit
//! belongs to the product (`assets`), not to a ticket, so it has a table of its own:
//! `warranty_visits`, one row per asset (unique: several instances scheduling at once write it
//! once), scheduled by a background job, listed for the agents of the customer's centre and
//! recorded by them. `down` drops it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use WarrantyVisits as W;
        manager
            .create_table(
                Table::create()
                    .table(W::Table)
                    .col(big_pk_auto(W::Id))
                    .col(big_integer(W::AssetId))
                    .col(big_integer(W::CustomerId))
                    .col(big_integer(W::ServiceCentreId))
                    .col(date(W::WarrantyEndsOn))
                    .col(date(W::DueOn))
                    .col(timestamp_with_time_zone(W::CreatedAt))
                    .col(big_integer_null(W::AgentId))
                    .col(timestamp_with_time_zone_null(W::VisitedAt))
                    .col(string_len_null(W::Channel, 16))
                    .col(boolean_null(W::Reached))
                    .col(text_null(W::Note))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_warranty_visits_asset")
                    .table(W::Table)
                    .col(W::AssetId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        crate::common::index(
            manager,
            "idx_warranty_visits_centre_due",
            W::Table,
            &[W::ServiceCentreId, W::VisitedAt, W::DueOn],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WarrantyVisits::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum WarrantyVisits {
    Table,
    Id,
    AssetId,
    CustomerId,
    ServiceCentreId,
    WarrantyEndsOn,
    DueOn,
    CreatedAt,
    AgentId,
    VisitedAt,
    Channel,
    Reached,
    Note,
}
