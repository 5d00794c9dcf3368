//! Indexes for the metrics' period filters, so `serviceMetrics` reads the period's rows only.

use sea_orm_migration::prelude::*;

use crate::common::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        index(
            manager,
            "idx_repair_orders_completed",
            RepairOrders::Table,
            &[RepairOrders::CompletedAt],
        )
        .await?;
        index(
            manager,
            "idx_repair_orders_arrived",
            RepairOrders::Table,
            &[RepairOrders::ArrivedAt],
        )
        .await?;
        index(
            manager,
            "idx_complaints_created",
            Complaints::Table,
            &[Complaints::CreatedAt],
        )
        .await?;
        index(
            manager,
            "idx_escalations_created",
            Escalations::Table,
            &[Escalations::CreatedAt],
        )
        .await?;
        index(
            manager,
            "idx_staff_penalties_created",
            StaffPenalties::Table,
            &[StaffPenalties::CreatedAt],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [
            "idx_repair_orders_completed",
            "idx_repair_orders_arrived",
            "idx_complaints_created",
            "idx_escalations_created",
            "idx_staff_penalties_created",
        ] {
            manager
                .drop_index(Index::drop().name(name).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum RepairOrders {
    Table,
    CompletedAt,
    ArrivedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Complaints {
    Table,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Escalations {
    Table,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum StaffPenalties {
    Table,
    CreatedAt,
}
