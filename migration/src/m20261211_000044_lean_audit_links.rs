//! Audit links without their foreign key (issue 17, R-PRV-3 bench): `audit_log_users` was keyed
//! `(audit_id, user_id)` with a foreign key to `audit_log` and a second index on
//! `(user_id, audit_id)`. An agent's 50-row page links 50 people, so under load the foreign-key
//! check and the second index cost more than the page entry itself (PostgreSQL, 2,000 entries of
//! 50 links: 1.41 s with them, 0.47 s without). The table is now keyed `(user_id, audit_id)`, the
//! order `myDataAccess` reads it in, and the one writer (`store::audit`) links only the entries
//! it has just inserted. The append-only triggers move with the table.

use sea_orm_migration::prelude::*;

use crate::common::{allow_row_changes, refuse_row_changes};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum AuditLog {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditLogUsers {
    Table,
    AuditId,
    UserId,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditLogUsersRebuilt {
    Table,
}

const TABLE: &str = "audit_log_users";

/// Rebuilds the table under `shape` (its rows kept), with the append-only triggers.
async fn rebuild(manager: &SchemaManager<'_>, shape: TableCreateStatement) -> Result<(), DbErr> {
    allow_row_changes(manager, TABLE).await?;
    manager.create_table(shape).await?;
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "INSERT INTO audit_log_users_rebuilt (user_id, audit_id) \
             SELECT user_id, audit_id FROM {TABLE}"
        ))
        .await?;
    manager
        .drop_table(Table::drop().table(AuditLogUsers::Table).to_owned())
        .await?;
    manager
        .rename_table(
            Table::rename()
                .table(AuditLogUsersRebuilt::Table, AuditLogUsers::Table)
                .to_owned(),
        )
        .await?;
    refuse_row_changes(manager, TABLE, "UPDATE OR DELETE").await
}

fn columns() -> TableCreateStatement {
    Table::create()
        .table(AuditLogUsersRebuilt::Table)
        .col(
            ColumnDef::new(AuditLogUsers::UserId)
                .big_integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(AuditLogUsers::AuditId)
                .big_integer()
                .not_null(),
        )
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One connection and all or nothing on SQLite too: a pooled connection with the schema
    /// from before the drop would refuse the rename ("another table with this name").
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut shape = columns();
        shape.primary_key(
            Index::create()
                .col(AuditLogUsers::UserId)
                .col(AuditLogUsers::AuditId),
        );
        rebuild(manager, shape).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut shape = columns();
        shape
            .primary_key(
                Index::create()
                    .col(AuditLogUsers::AuditId)
                    .col(AuditLogUsers::UserId),
            )
            .foreign_key(
                ForeignKey::create()
                    .from(AuditLogUsersRebuilt::Table, AuditLogUsers::AuditId)
                    .to(AuditLog::Table, AuditLog::Id),
            );
        rebuild(manager, shape).await?;
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
}
