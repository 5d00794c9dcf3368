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

/// Makes the database itself refuse `events` ("DELETE" or "UPDATE OR DELETE") on `table`'s rows
/// (R-PRV-11); PostgreSQL's triggers call `refuse_removal()`, which must exist.
pub async fn refuse_row_changes(
    manager: &SchemaManager<'_>,
    table: &str,
    events: &str,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    if manager.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared(&format!(
            "CREATE TRIGGER {table}_kept BEFORE {events} ON {table} \
             FOR EACH ROW EXECUTE FUNCTION refuse_removal()"
        ))
        .await?;
    } else {
        for event in events.split(" OR ") {
            db.execute_unprepared(&format!(
                "CREATE TRIGGER {table}_kept_{} BEFORE {event} ON {table} \
                 BEGIN SELECT RAISE(ABORT, '{table} rows are never deleted or rewritten (R-PRV-11)'); END",
                event.to_lowercase()
            ))
            .await?;
        }
    }
    Ok(())
}

/// Drops what `refuse_row_changes` created on `table`.
pub async fn allow_row_changes(manager: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    let db = manager.get_connection();
    if manager.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {table}_kept ON {table}"))
            .await?;
    } else {
        for event in ["delete", "update"] {
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {table}_kept_{event}"))
                .await?;
        }
    }
    Ok(())
}
