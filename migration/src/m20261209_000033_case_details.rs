//! R-CMP-10: what a case not handled on the spot records besides the problem description: the
//! order number, the purchase date and what the customer asks for. One `ALTER` per column, as
//! SQLite adds one at a time; `down` drops them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Complaints {
    Table,
    OrderNumber,
    PurchaseDate,
    CustomerRequest,
}

const COLUMNS: [Complaints; 3] = [
    Complaints::OrderNumber,
    Complaints::PurchaseDate,
    Complaints::CustomerRequest,
];

fn definition(column: Complaints) -> ColumnDef {
    match column {
        Complaints::OrderNumber => string_len_null(column, 64).to_owned(),
        Complaints::PurchaseDate => date_null(column).to_owned(),
        _ => text_null(column).to_owned(),
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table(Complaints::Table)
                        .add_column(definition(column))
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
                        .table(Complaints::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
