//! Solution approval and goodwill (issue 16): the solution proposed to a complaint, who
//! proposed it and who approved it before the customer is told (R-ESC-5), and a goodwill
//! compensation for a major client authorised by the top level, kept apart from the
//! compensation of the resolution (R-ESC-7). One `ALTER` per column, as SQLite adds one at a
//! time; `down` drops them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Complaints {
    Table,
    ProposedSolution,
    SolutionProposedBy,
    SolutionApprovedBy,
    GoodwillAmount,
    GoodwillApprovedBy,
    GoodwillAt,
}

const COLUMNS: [Complaints; 6] = [
    Complaints::ProposedSolution,
    Complaints::SolutionProposedBy,
    Complaints::SolutionApprovedBy,
    Complaints::GoodwillAmount,
    Complaints::GoodwillApprovedBy,
    Complaints::GoodwillAt,
];

fn definition(column: Complaints) -> ColumnDef {
    use Complaints as C;
    match column {
        C::ProposedSolution => text_null(column).to_owned(),
        C::GoodwillAmount => decimal_len_null(column, 14, 2).to_owned(),
        C::GoodwillAt => timestamp_with_time_zone_null(column).to_owned(),
        _ => big_integer_null(column).to_owned(),
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
