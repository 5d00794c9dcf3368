//! Connecting to the database and bringing its schema up to date.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

/// Opens a pool for `url` (SQLite or PostgreSQL).
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(if url.starts_with("sqlite:") { 8 } else { 32 })
        .acquire_timeout(Duration::from_secs(10))
        // A ping on every checkout doubled the round trips of a one-statement request; only
        // connections idle long enough to have been dropped by a proxy are checked.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging_level(tracing::log::LevelFilter::Debug);
    Database::connect(options).await
}

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}
