//! Accounts (issue 14): customers sign up with a phone and a one-time code, log in by phone or
//! e-mail, keep their session with refresh tokens, and staff look customers up (recorded).
//!
//! - `users.email` may be empty (NULL): a customer who signed up by phone, or a walk-in customer
//!   an agent created, has no e-mail. A customer's phone is unique among customers
//!   (`uq_users_customer_phone`, partial); phones are stored in E.164 from now on (the server
//!   normalises older rows at start, as that needs the configured default region).
//! - `webhook_messages.event_id` may be empty: a notification (an SMS with a one-time code) is a
//!   message of an internal endpoint that carries no timeline event.
//! - `one_time_codes`: keyed hashes of the codes sent, with their purpose, expiry and attempts.
//! - `refresh_tokens`: SHA-256 digests of refresh tokens in families; a rotated token that comes
//!   back revokes its family.
//! - `audit_log`: append-only record of who did what to whose personal data (R-PRV-3).
//!
//! Dropping NOT NULL on SQLite: the documented in-place schema edit (sqlite.org/lang_altertable,
//! "making other kinds of table schema changes": removing a NOT NULL constraint changes nothing
//! on disk), on one connection in one transaction, instead of rebuilding `users`, which every
//! ticket table references. `down` puts NOT NULL back after giving e-mail-less users a
//! placeholder address and deleting notification messages.

use sea_orm_migration::sea_orm::{DatabaseExecutor, DbBackend, sqlx};
use sea_orm_migration::{prelude::*, schema::*};

use crate::common::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Column definitions whose NOT NULL this migration drops, as SQLite keeps them in its schema.
const EMAIL_COLUMN: (&str, &str) = ("users", "\"email\" varchar(254) NOT NULL");
const EVENT_COLUMN: (&str, &str) = ("webhook_messages", "\"event_id\" integer NOT NULL");

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("ALTER TABLE users ALTER COLUMN email DROP NOT NULL")
                .await?;
            db.execute_unprepared(
                "ALTER TABLE webhook_messages ALTER COLUMN event_id DROP NOT NULL",
            )
            .await?;
        } else {
            sqlite_not_null(manager, &[EMAIL_COLUMN, EVENT_COLUMN], false).await?;
        }
        db.execute_unprepared(
            "CREATE UNIQUE INDEX uq_users_customer_phone ON users (phone) WHERE role = 'CUSTOMER'",
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(OneTimeCodes::Table)
                    .col(big_pk_auto(OneTimeCodes::Id))
                    .col(string_len(OneTimeCodes::Purpose, 16))
                    .col(string_len(OneTimeCodes::Destination, 254))
                    .col(string_len(OneTimeCodes::CodeHash, 64))
                    .col(integer(OneTimeCodes::Attempts))
                    .col(string_len_null(OneTimeCodes::ClientAddress, 45))
                    .col(timestamp_with_time_zone(OneTimeCodes::CreatedAt))
                    .col(timestamp_with_time_zone(OneTimeCodes::ExpiresAt))
                    .col(timestamp_with_time_zone_null(OneTimeCodes::ConsumedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_one_time_codes_destination",
            OneTimeCodes::Table,
            &[
                OneTimeCodes::Destination,
                OneTimeCodes::Purpose,
                OneTimeCodes::CreatedAt,
            ],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .col(big_pk_auto(RefreshTokens::Id))
                    .col(big_integer(RefreshTokens::UserId))
                    .col(string_len(RefreshTokens::FamilyId, 36))
                    .col(string_len_uniq(RefreshTokens::TokenHash, 64))
                    .col(timestamp_with_time_zone(RefreshTokens::IssuedAt))
                    .col(timestamp_with_time_zone(RefreshTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(RefreshTokens::RotatedAt))
                    .col(timestamp_with_time_zone_null(RefreshTokens::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RefreshTokens::Table, RefreshTokens::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_refresh_tokens_family",
            RefreshTokens::Table,
            &[RefreshTokens::FamilyId],
        )
        .await?;
        index(
            manager,
            "idx_refresh_tokens_user",
            RefreshTokens::Table,
            &[RefreshTokens::UserId],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(big_pk_auto(AuditLog::Id))
                    .col(timestamp_with_time_zone(AuditLog::OccurredAt))
                    .col(string_len(AuditLog::ActorRole, 16))
                    .col(big_integer_null(AuditLog::ActorUserId))
                    .col(big_integer_null(AuditLog::ActorApiKeyId))
                    .col(string_len_null(AuditLog::ClientAddress, 45))
                    .col(string_len(AuditLog::Action, 64))
                    .col(string_len(AuditLog::SubjectKind, 32))
                    .col(big_integer_null(AuditLog::SubjectId))
                    .col(text_null(AuditLog::Detail))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_audit_log_subject",
            AuditLog::Table,
            &[AuditLog::SubjectKind, AuditLog::SubjectId],
        )
        .await?;
        index(
            manager,
            "idx_audit_log_occurred",
            AuditLog::Table,
            &[AuditLog::OccurredAt],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditLog::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            OneTimeCodes::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX uq_users_customer_phone")
            .await?;
        db.execute_unprepared(
            "UPDATE users SET email = 'user-' || id || '@phone.invalid' WHERE email IS NULL",
        )
        .await?;
        db.execute_unprepared("DELETE FROM webhook_messages WHERE event_id IS NULL")
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("ALTER TABLE users ALTER COLUMN email SET NOT NULL")
                .await?;
            db.execute_unprepared("ALTER TABLE webhook_messages ALTER COLUMN event_id SET NOT NULL")
                .await
                .map(|_| ())
        } else {
            sqlite_not_null(manager, &[EMAIL_COLUMN, EVENT_COLUMN], true).await
        }
    }
}

/// Drops (or, with `restore`, puts back) NOT NULL on `columns` (table, definition with NOT
/// NULL) by editing SQLite's stored schema, on one connection in one transaction. SQLite then
/// reads the edited definition; no row changes. Fails when a definition is not found as
/// expected, so a schema that differs is never edited blindly.
async fn sqlite_not_null(
    manager: &SchemaManager<'_>,
    columns: &[(&str, &str)],
    restore: bool,
) -> Result<(), DbErr> {
    let DatabaseExecutor::Connection(db) = manager.get_connection() else {
        return Err(DbErr::Migration(
            "this migration runs outside a transaction on SQLite".into(),
        ));
    };
    let failed = |err: sqlx::Error| DbErr::Migration(format!("schema edit: {err}"));
    let mut conn = db
        .get_sqlite_connection_pool()
        .acquire()
        .await
        .map_err(failed)?;
    let mut txn = sqlx::Connection::begin(&mut *conn).await.map_err(failed)?;
    let version: i64 = sqlx::query_scalar("PRAGMA schema_version")
        .fetch_one(&mut *txn)
        .await
        .map_err(failed)?;
    sqlx::query("PRAGMA writable_schema = ON")
        .execute(&mut *txn)
        .await
        .map_err(failed)?;
    for (table, with_not_null) in columns {
        let without = with_not_null
            .strip_suffix(" NOT NULL")
            .ok_or_else(|| DbErr::Migration(format!("{with_not_null} has no NOT NULL")))?;
        let (from, to) = if restore {
            (without, *with_not_null)
        } else {
            (*with_not_null, without)
        };
        let sql: String =
            sqlx::query_scalar("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?")
                .bind(table)
                .fetch_one(&mut *txn)
                .await
                .map_err(failed)?;
        // `from` followed by a comma or a space (another constraint), never a longer name.
        let Some(at) = [format!("{from},"), format!("{from} "), format!("{from})")]
            .iter()
            .find_map(|needle| sql.find(needle.as_str()))
        else {
            return Err(DbErr::Migration(format!(
                "{table}: column definition {from:?} not found in {sql}"
            )));
        };
        let edited = format!("{}{}{}", &sql[..at], to, &sql[at + from.len()..]);
        sqlx::query("UPDATE sqlite_schema SET sql = ? WHERE type = 'table' AND name = ?")
            .bind(edited)
            .bind(table)
            .execute(&mut *txn)
            .await
            .map_err(failed)?;
    }
    // A number the code computed, not input: PRAGMA takes no bound parameters.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "PRAGMA schema_version = {}",
        version + 1
    )))
    .execute(&mut *txn)
    .await
    .map_err(failed)?;
    sqlx::query("PRAGMA writable_schema = OFF")
        .execute(&mut *txn)
        .await
        .map_err(failed)?;
    txn.commit().await.map_err(failed)?;
    // The connection keeps the old schema in memory until it reloads it: close it.
    conn.detach();
    Ok(())
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum OneTimeCodes {
    Table,
    Id,
    Purpose,
    Destination,
    CodeHash,
    Attempts,
    ClientAddress,
    CreatedAt,
    ExpiresAt,
    ConsumedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RefreshTokens {
    Table,
    Id,
    UserId,
    FamilyId,
    TokenHash,
    IssuedAt,
    ExpiresAt,
    RotatedAt,
    RevokedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditLog {
    Table,
    Id,
    OccurredAt,
    ActorRole,
    ActorUserId,
    ActorApiKeyId,
    ClientAddress,
    Action,
    SubjectKind,
    SubjectId,
    Detail,
}
