//! The diagnosis step of a repair (issue 16): the technician's findings, the fault's cause
//! (a fault the customer caused is paid even in warranty, R-REP-1) and the chosen solution
//! (R-REP-2).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RepairOrders {
    Table,
    Diagnosis,
    FaultCause,
    FaultCauseReason,
    Solution,
}

const COLUMNS: [RepairOrders; 4] = [
    RepairOrders::Diagnosis,
    RepairOrders::FaultCause,
    RepairOrders::FaultCauseReason,
    RepairOrders::Solution,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in COLUMNS {
            let definition = match column {
                RepairOrders::FaultCause | RepairOrders::Solution => string_len_null(column, 16),
                _ => text_null(column),
            };
            manager
                .alter_table(
                    Table::alter()
                        .table(RepairOrders::Table)
                        .add_column(definition)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table(RepairOrders::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
