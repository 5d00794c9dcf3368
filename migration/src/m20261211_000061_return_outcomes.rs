//! R-REP-2: a return, exchange or refund ends with its outcome (`RETURNED`, `EXCHANGED`,
//! `REFUNDED`) instead of a technician's completed repair: `repair_orders.return_outcome`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RepairOrders {
    Table,
    ReturnOutcome,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(RepairOrders::Table)
                    .add_column(string_len_null(RepairOrders::ReturnOutcome, 16))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(RepairOrders::Table)
                    .drop_column(RepairOrders::ReturnOutcome)
                    .to_owned(),
            )
            .await
    }
}
