//! Satisfaction answers as the regulations word them (issue 16): a return visit's question is
//! answered SATISFIED / AVERAGE / DISSATISFIED with what the customer would improve (R-SUR-4),
//! and a survey answered by phone names the staff member who entered it (R-SUR-5). Recorded
//! visits keep their yes/no as SATISFIED / DISSATISFIED.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReturnVisits {
    Table,
    Satisfied,
    Satisfaction,
    Improvement,
}

#[derive(DeriveIden)]
enum Surveys {
    Table,
    EnteredBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            string_len_null(ReturnVisits::Satisfaction, 16).to_owned(),
            text_null(ReturnVisits::Improvement).to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ReturnVisits::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for (satisfied, word) in [(true, "SATISFIED"), (false, "DISSATISFIED")] {
            manager
                .exec_stmt(
                    Query::update()
                        .table(ReturnVisits::Table)
                        .value(ReturnVisits::Satisfaction, word)
                        .and_where(Expr::col(ReturnVisits::Satisfied).eq(satisfied))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Surveys::Table)
                    .add_column(big_integer_null(Surveys::EnteredBy))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Surveys::Table)
                    .drop_column(Surveys::EnteredBy)
                    .to_owned(),
            )
            .await?;
        for column in [ReturnVisits::Satisfaction, ReturnVisits::Improvement] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ReturnVisits::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
