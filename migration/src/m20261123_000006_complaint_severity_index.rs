//! An index for the metrics' counts by severity (MAJOR complaints, GENERAL handling time): a
//! period's complaints of one severity without reading the period's others (bench/RESULTS.md).

use sea_orm_migration::prelude::*;

use crate::common::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "idx_complaints_severity_created";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        index(
            manager,
            NAME,
            Complaints::Table,
            &[Complaints::Severity, Complaints::CreatedAt],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Complaints {
    Table,
    Severity,
    CreatedAt,
}
