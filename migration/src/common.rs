//! Small helpers shared by migrations. They only build statements; changing one must never
//! change what an applied migration did.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// Creates a plain index over `columns`.
pub async fn index<T: IntoIden + Copy + 'static, C: IntoIden + Copy + 'static>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    columns: &[C],
) -> Result<(), DbErr> {
    let mut statement = Index::create();
    statement.name(name).table(table);
    for &column in columns {
        statement.col(column);
    }
    manager.create_index(statement).await
}

/// A fixed timestamp literal for seeded rows: PostgreSQL will not take a text parameter for a
/// timestamptz column without a cast; SQLite stores the text as it is.
pub fn timestamp_literal(manager: &SchemaManager<'_>, value: &'static str) -> SimpleExpr {
    match manager.get_database_backend() {
        DbBackend::Postgres => Expr::val(value).cast_as("timestamptz"),
        _ => Expr::val(value),
    }
}

/// The column type of a timestamp added by `ALTER TABLE`, as sea-orm's schema helpers create it.
pub fn timestamp_type(manager: &SchemaManager<'_>) -> &'static str {
    match manager.get_database_backend() {
        DbBackend::Postgres => "timestamp with time zone",
        _ => "timestamp_with_timezone_text",
    }
}
