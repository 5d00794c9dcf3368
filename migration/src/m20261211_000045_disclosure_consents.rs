//! Disclosure consents (issue 17, R-PRV-12): a customer's written consent — or a legal basis a
//! supervisor records — for their personal data to go to one partner organization, with how
//! and when it was given and when it was withdrawn. Rows are never deleted; a withdrawal is
//! stamped on its row.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DisclosureConsents {
    Table,
    Id,
    CustomerId,
    OrganizationId,
    Basis,
    Channel,
    Reference,
    RecordedBy,
    RecordedAt,
    WithdrawnBy,
    WithdrawnAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DisclosureConsents::Table)
                    .col(big_pk_auto(DisclosureConsents::Id))
                    .col(big_integer(DisclosureConsents::CustomerId))
                    .col(big_integer(DisclosureConsents::OrganizationId))
                    .col(string_len(DisclosureConsents::Basis, 16))
                    .col(string_len(DisclosureConsents::Channel, 16))
                    .col(string_len_null(DisclosureConsents::Reference, 200))
                    .col(big_integer(DisclosureConsents::RecordedBy))
                    .col(timestamp_with_time_zone(DisclosureConsents::RecordedAt))
                    .col(big_integer_null(DisclosureConsents::WithdrawnBy))
                    .col(timestamp_with_time_zone_null(
                        DisclosureConsents::WithdrawnAt,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_disclosure_consents_customer")
                    .table(DisclosureConsents::Table)
                    .col(DisclosureConsents::CustomerId)
                    .col(DisclosureConsents::OrganizationId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DisclosureConsents::Table).to_owned())
            .await
    }
}
