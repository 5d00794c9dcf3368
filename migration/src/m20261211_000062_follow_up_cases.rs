//! R-CMP-7: a new need raised during a return visit opens a follow-up case linked to the
//! original case. `follow_up_cases` links the visited ticket (either kind) to the repair order
//! or complaint opened for the need, with the visit it was raised on; each follow-up has one
//! original (unique). `down` drops it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use FollowUpCases as F;
        manager
            .create_table(
                Table::create()
                    .table(F::Table)
                    .col(big_pk_auto(F::Id))
                    .col(big_integer(F::ReturnVisitId))
                    .col(string_len(F::OriginalKind, 16))
                    .col(big_integer(F::OriginalId))
                    .col(string_len(F::FollowUpKind, 16))
                    .col(big_integer(F::FollowUpId))
                    .col(big_integer(F::CreatedBy))
                    .col(timestamp_with_time_zone(F::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_follow_up_cases_follow_up")
                    .table(F::Table)
                    .col(F::FollowUpKind)
                    .col(F::FollowUpId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        crate::common::index(
            manager,
            "idx_follow_up_cases_original",
            F::Table,
            &[F::OriginalKind, F::OriginalId],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FollowUpCases::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum FollowUpCases {
    Table,
    Id,
    ReturnVisitId,
    OriginalKind,
    OriginalId,
    FollowUpKind,
    FollowUpId,
    CreatedBy,
    CreatedAt,
}
