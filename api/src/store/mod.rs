//! Database access: sea-orm queries and the transactions the domain rules run in.

pub mod api_keys;
pub mod assets;
pub mod attachments;
pub mod audit;
pub mod calendar;
pub mod codes;
pub mod complaints;
pub mod consents;
pub mod digests;
pub mod directory;
pub mod escalations;
pub mod events;
pub mod exports;
pub mod follow_ups;
pub mod inquiries;
pub mod metrics;
pub mod operations;
pub mod parts_requests;
pub mod penalties;
pub mod product_models;
pub mod references;
pub mod refresh_tokens;
pub mod repair_lines;
pub mod repair_orders;
pub mod retention;
pub mod return_visits;
pub mod sla_clocks;
pub mod sla_policies;
pub mod staff_alerts;
pub mod surveys;
pub mod tickets;
pub mod users;
pub mod versioned;
pub mod warranty_visits;
pub mod webhooks;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, EntityTrait, Order, PrimaryKeyTrait, QueryFilter, QueryOrder, Select,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};

use crate::error::{ApiError, ApiResult};

/// Starts the transaction of one mutation. On SQLite it takes the write lock up front
/// (`BEGIN IMMEDIATE`), so concurrent writers queue instead of failing when a read lock cannot
/// be upgraded; PostgreSQL ignores the option.
pub async fn begin_write(db: &DatabaseConnection) -> ApiResult<DatabaseTransaction> {
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    Ok(db.begin_with_options(options).await?)
}

/// The key the next row of `table` gets, taken before the insert so that a ticket's number,
/// which embeds the key, is written with the row: a second UPDATE would rewrite the row and
/// every index entry. On SQLite the caller holds the write lock (`begin_write`), so nobody else
/// can take the same key; PostgreSQL hands each caller its own from the sequence.
pub async fn next_key(txn: &DatabaseTransaction, table: &'static str) -> ApiResult<i64> {
    let backend = txn.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => "SELECT nextval(pg_get_serial_sequence($1, 'id')) AS key",
        _ => "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = ?), 0) + 1 AS key",
    };
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [table.into()]))
        .await?
        .ok_or_else(|| ApiError::Internal(format!("no next key for {table}")))?;
    Ok(row.try_get("", "key")?)
}

/// One row by its integer key, for reads that need the row alone (`node(id:)` of records that
/// have no query of their own).
pub async fn by_key<E>(db: &impl ConnectionTrait, key: i64) -> ApiResult<Option<E::Model>>
where
    E: EntityTrait,
    i64: Into<<E::PrimaryKey as PrimaryKeyTrait>::ValueType>,
{
    Ok(E::find_by_id(key).one(db).await?)
}

/// Position in a listing: the sort time and `id` of the last row seen (the id breaks ties, so
/// rows that share a time are neither repeated nor skipped).
pub type Cursor = (DateTime<Utc>, i64);

/// The order of a ticket list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ListOrder {
    /// Newest report first.
    #[default]
    ReportedDesc,
    /// Least recently changed first: a walk to the end sees every change up to then, and a
    /// ticket changed meanwhile comes again at the end.
    UpdatedAsc,
    /// Most recently changed first.
    UpdatedDesc,
}

impl ListOrder {
    /// Where a row with these times stands in this order.
    pub fn position(self, created_at: DateTime<Utc>, updated_at: DateTime<Utc>, id: i64) -> Cursor {
        match self {
            Self::ReportedDesc => (created_at, id),
            Self::UpdatedAsc | Self::UpdatedDesc => (updated_at, id),
        }
    }

    /// `query` from after `cursor` on, sorted in this order by `created_at` or `updated_at`,
    /// then `id`.
    pub fn page<E: EntityTrait>(
        self,
        query: Select<E>,
        [created_at, updated_at, id]: [E::Column; 3],
        cursor: Option<Cursor>,
    ) -> Select<E> {
        let (at, order) = match self {
            Self::ReportedDesc => (created_at, Order::Desc),
            Self::UpdatedAsc => (updated_at, Order::Asc),
            Self::UpdatedDesc => (updated_at, Order::Desc),
        };
        let query = match (cursor, &order) {
            (None, _) => query,
            (Some(cursor), Order::Asc) => query.filter(after_ascending(at, id, cursor)),
            (Some(cursor), _) => query.filter(after(at, id, cursor)),
        };
        query.order_by(at, order.clone()).order_by(id, order)
    }
}

/// Rows strictly after `cursor` in `(created_at DESC, id DESC)` order. The redundant
/// `created_at <= at` is what lets the index range start at the cursor: with the `OR` alone
/// PostgreSQL walks the index from the newest row and filters, so page 10,000 cost 10,000 pages.
pub fn after<C: ColumnTrait>(created_at: C, id: C, (at, key): Cursor) -> Condition {
    Condition::all().add(created_at.lte(at)).add(
        Condition::any()
            .add(created_at.lt(at))
            .add(Condition::all().add(created_at.eq(at)).add(id.lt(key))),
    )
}

/// Rows strictly after `cursor` in `(time ASC, id ASC)` order, shaped like [`after`].
fn after_ascending<C: ColumnTrait>(time: C, id: C, (at, key): Cursor) -> Condition {
    Condition::all().add(time.gte(at)).add(
        Condition::any()
            .add(time.gt(at))
            .add(Condition::all().add(time.eq(at)).add(id.gt(key))),
    )
}
