//! Connecting to the database and bringing its schema up to date.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::Connection;
use sea_orm::sqlx::pool::PoolConnectionMetadata;
use sea_orm::sqlx::postgres::PgConnection;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

use crate::config::Config;

/// Opens a pool for `url` (SQLite or PostgreSQL) sized and tuned by `config`.
pub async fn connect(url: &str, config: &Config) -> Result<DatabaseConnection, DbErr> {
    let sqlite = url.starts_with("sqlite:");
    let busy_timeout = Duration::from_millis(config.sqlite_busy_timeout_ms);
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(
            config
                .database_max_connections
                .unwrap_or(if sqlite { 8 } else { 32 })
                .max(1),
        )
        .acquire_timeout(Duration::from_secs(10))
        // A ping on every checkout doubled the round trips of a one-statement request; only
        // connections idle long enough to have been dropped by a proxy are checked.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging_level(tracing::log::LevelFilter::Debug)
        .map_sqlx_postgres_before_acquire(ping_if_suspect)
        // WAL lets readers run beside the one writer, and NORMAL syncs at checkpoints instead
        // of every commit (still safe against corruption in WAL mode); the busy timeout makes
        // a second writer wait for the lock instead of failing.
        .map_sqlx_sqlite_opts(move |options| {
            options
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(busy_timeout)
        });
    Database::connect(options).await
}

/// After a connection error, pings the connections idle since then before handing them out:
/// a dead one is discarded and replaced (see `crate::reconnect`).
fn ping_if_suspect(
    connection: &mut PgConnection,
    meta: PoolConnectionMetadata,
) -> Pin<Box<dyn Future<Output = Result<bool, sea_orm::sqlx::Error>> + Send + '_>> {
    Box::pin(async move {
        if crate::reconnect::suspect(meta.idle_for) {
            connection.ping().await?;
        }
        Ok(true)
    })
}

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}
