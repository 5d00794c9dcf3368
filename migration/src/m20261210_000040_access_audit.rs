//! Access audit (issue 17, R-PRV-3/12): the audit log says what a read returned (fields, row
//! count, the query's name), and `audit_log_customers` names every customer whose data an
//! entry touched, so one entry per list page still answers "who read my data"
//! (`myDataAccess`) with an index lookup.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    Operation,
    Fields,
    RowCount,
}

#[derive(DeriveIden)]
enum AuditLogUsers {
    Table,
    AuditId,
    UserId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            string_len_null(AuditLog::Operation, 100).to_owned(),
            string_len_null(AuditLog::Fields, 200).to_owned(),
            integer_null(AuditLog::RowCount).to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AuditLog::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(AuditLogUsers::Table)
                    .col(big_integer(AuditLogUsers::AuditId))
                    .col(big_integer(AuditLogUsers::UserId))
                    .primary_key(
                        Index::create()
                            .col(AuditLogUsers::AuditId)
                            .col(AuditLogUsers::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(AuditLogUsers::Table, AuditLogUsers::AuditId)
                            .to(AuditLog::Table, AuditLog::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_log_users_user")
                    .table(AuditLogUsers::Table)
                    .col(AuditLogUsers::UserId)
                    .col(AuditLogUsers::AuditId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditLogUsers::Table).to_owned())
            .await?;
        for column in [AuditLog::Operation, AuditLog::Fields, AuditLog::RowCount] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AuditLog::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
