//! The change feed over GraphQL: `changes(after, first, kinds)`.

use async_graphql::{Context, Object, Result, SimpleObject};
use entity::ticket_events::{self, TicketKind};

use super::env;
use super::pagination::{PageRequest, page_cost};
use super::repair::TimelineEvent;
use super::scalars::id;
use crate::error::{ApiError, ApiResult};
use crate::services::feed;
use crate::store::events::Position;

/// One timeline entry as the feed gives it: which ticket, and the entry as the ticket's
/// `events` list has it (what happened, who did it; `public` false for staff entries).
#[derive(SimpleObject)]
pub struct ChangeEvent {
    ticket_kind: TicketKind,
    ticket_id: async_graphql::ID,
    #[graphql(flatten)]
    entry: TimelineEvent,
}

impl From<ticket_events::Model> for ChangeEvent {
    fn from(e: ticket_events::Model) -> Self {
        Self {
            ticket_kind: e.ticket_kind,
            ticket_id: id(e.ticket_id),
            entry: e.into(),
        }
    }
}

#[derive(SimpleObject)]
pub struct ChangeEdge {
    /// Pass as `after` to go on from this event.
    cursor: String,
    node: ChangeEvent,
}

#[derive(SimpleObject)]
pub struct ChangeFeed {
    edges: Vec<ChangeEdge>,
    /// Where to go on from: the last edge's cursor, or `after` when nothing came.
    end_cursor: String,
    /// Nothing more right now; poll again later with `endCursor`.
    end_of_stream: bool,
}

fn decode(cursor: &str) -> ApiResult<Position> {
    Position::decode(cursor)
        .ok_or_else(|| ApiError::bad_input("after", "not a cursor of this feed"))
}

#[derive(Default)]
pub struct FeedQuery;

#[Object]
impl FeedQuery {
    /// Every change to the tickets the caller may see, oldest first, from `after` on (from the
    /// beginning without it), at most `first` (1–100, default 20). Events come in commit
    /// order and a reader that goes on from its `endCursor` never misses one, also when
    /// transactions commit out of order. Customers get their own tickets' public entries,
    /// partners their organization's, technicians their assigned orders', agents and
    /// supervisors their centre's with internal entries. `kinds` narrows to ticket kinds.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn changes(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        first: Option<i32>,
        kinds: Option<Vec<TicketKind>>,
    ) -> Result<ChangeFeed> {
        let env = env(ctx)?;
        let first = PageRequest::parse(first, None)?.first;
        let after = after
            .as_deref()
            .map(decode)
            .transpose()?
            .unwrap_or(Position::START);
        let (rows, end_of_stream) = feed::changes(&env, after, first, kinds).await?;
        let end = rows.last().map_or(after, Position::of);
        Ok(ChangeFeed {
            edges: rows
                .into_iter()
                .map(|row| ChangeEdge {
                    cursor: Position::of(&row).encode(),
                    node: row.into(),
                })
                .collect(),
            end_cursor: end.encode(),
            end_of_stream,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        let at = Position {
            commit_tx: 7_000_000_123,
            id: 42,
        };
        assert_eq!(decode(&at.encode()).unwrap(), at);
        for bad in [
            "",
            "e1:1:2",
            "!!",
            &URL_SAFE_NO_PAD.encode("e1:1"),
            &URL_SAFE_NO_PAD.encode("e1:a:2"),
            &URL_SAFE_NO_PAD.encode("e1:1:2:3"),
        ] {
            assert!(decode(bad).is_err(), "{bad}");
        }
    }
}
