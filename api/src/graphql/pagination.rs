//! Relay connections over keyset pagination on `(created_at, id)`, newest first — never
//! OFFSET, so page 10,000 costs what page 1 does.

use async_graphql::connection::{Connection, CursorType, Edge, EmptyFields};
use async_graphql::{Enum, OutputType};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};

use crate::error::{ApiError, ApiResult};
use crate::store::{Cursor, ListOrder};

/// Largest page a client may ask for.
pub const MAX_PAGE: usize = 100;
const DEFAULT_PAGE: usize = 20;

/// Complexity of a connection field: what it selects, once per row it may return. Without
/// this, `first: 100` cost what `first: 1` did, and 100 aliases read 10,000 rows in one request
/// within the complexity limit; now rows per request are bounded by that limit. An invalid
/// `first` costs as a full page (the resolver then rejects it).
pub fn page_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let rows = first.map_or(DEFAULT_PAGE, |n| {
        usize::try_from(n).map_or(MAX_PAGE, |n| n.clamp(1, MAX_PAGE))
    });
    rows.saturating_mul(child_complexity.max(1))
}

/// How a ticket list is sorted; a page's cursor belongs to the order it came from.
#[derive(Enum, Copy, Clone, Debug, Default, Eq, PartialEq)]
pub enum TicketOrder {
    /// Newest report first (the default).
    #[default]
    ReportedAtDesc,
    /// Least recently changed first. With `updatedSince`, a client that pages to the end has
    /// seen every ticket changed since then, and one changed meanwhile comes again at the end;
    /// rows changed at the same instant are ordered by id, so none is repeated or skipped.
    /// For every single change in commit order, read `changes` instead.
    UpdatedAtAsc,
    /// Most recently changed first.
    UpdatedAtDesc,
}

impl From<TicketOrder> for ListOrder {
    fn from(order: TicketOrder) -> Self {
        match order {
            TicketOrder::ReportedAtDesc => Self::ReportedDesc,
            TicketOrder::UpdatedAtAsc => Self::UpdatedAsc,
            TicketOrder::UpdatedAtDesc => Self::UpdatedDesc,
        }
    }
}

/// Keyset position `(created_at, id)`, opaque to clients; public so tools (the benchmark) can
/// jump deep into a list.
#[derive(Clone, Copy)]
pub struct KeysetCursor(pub DateTime<Utc>, pub i64);

#[derive(Debug, thiserror::Error)]
#[error("not a cursor from this API")]
pub struct BadCursor;

impl CursorType for KeysetCursor {
    type Error = BadCursor;

    fn decode_cursor(s: &str) -> Result<Self, BadCursor> {
        let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| BadCursor)?;
        let text = String::from_utf8(bytes).map_err(|_| BadCursor)?;
        let (micros, id) = text.split_once(':').ok_or(BadCursor)?;
        let created_at = DateTime::from_timestamp_micros(micros.parse().map_err(|_| BadCursor)?)
            .ok_or(BadCursor)?;
        Ok(Self(created_at, id.parse().map_err(|_| BadCursor)?))
    }

    fn encode_cursor(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.0.timestamp_micros(), self.1))
    }
}

pub type KeysetConnection<N> = Connection<KeysetCursor, N, EmptyFields, EmptyFields>;

/// A validated `first`/`after` pair.
pub struct PageRequest {
    pub first: usize,
    pub after: Option<Cursor>,
}

impl PageRequest {
    pub fn parse(first: Option<i32>, after: Option<String>) -> ApiResult<Self> {
        let first = match first {
            None => DEFAULT_PAGE,
            Some(n) => usize::try_from(n)
                .ok()
                .filter(|n| (1..=MAX_PAGE).contains(n))
                .ok_or_else(|| {
                    ApiError::bad_input("first", format!("first must be 1..={MAX_PAGE}"))
                })?,
        };
        let after = after
            .map(|a| KeysetCursor::decode_cursor(&a))
            .transpose()
            .map_err(|err| ApiError::bad_input("after", err.to_string()))?
            .map(|c| (c.0, c.1));
        Ok(Self { first, after })
    }

    /// Rows to fetch: one more than the page, to know whether another page follows.
    pub fn limit(&self) -> u64 {
        self.first as u64 + 1
    }

    /// The connection for `rows` fetched with `limit()`.
    pub fn connection<T, N: OutputType>(
        &self,
        mut rows: Vec<T>,
        position: impl Fn(&T) -> Cursor,
        node: impl Fn(T) -> N,
    ) -> KeysetConnection<N> {
        let has_next = rows.len() > self.first;
        rows.truncate(self.first);
        let mut connection = Connection::new(self.after.is_some(), has_next);
        connection.edges.extend(rows.into_iter().map(|row| {
            let (at, id) = position(&row);
            Edge::new(KeysetCursor(at, id), node(row))
        }));
        connection
    }
}

#[cfg(test)]
mod tests {
    use super::{DEFAULT_PAGE, MAX_PAGE, page_cost};

    #[test]
    fn page_cost_multiplies_the_selection_by_the_rows_asked_for() {
        assert_eq!(page_cost(Some(100), 3), 300);
        assert_eq!(page_cost(None, 3), 3 * DEFAULT_PAGE);
        assert_eq!(page_cost(Some(1), 0), 1);
        assert_eq!(page_cost(Some(-5), 2), 2 * MAX_PAGE);
        assert_eq!(page_cost(Some(i32::MAX), 2), 2 * MAX_PAGE);
        assert_eq!(page_cost(Some(0), 2), 2);
    }
}
