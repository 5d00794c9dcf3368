//! The change feed over GraphQL: `changes(after, first, kinds)`, and the same events live as
//! subscriptions (`ticketEvents`, `ticketUpdated`) over WebSocket.

use async_graphql::{Context, ID, Object, Result, SimpleObject, Subscription};
use entity::ticket_events::{self, TicketKind};
use futures_util::Stream;

use super::pagination::{PageRequest, page_cost};
use super::repair::TimelineEvent;
use super::scalars::{NodeType, id, key};
use super::{Hangup, env, services};
use crate::error::{ApiError, ApiResult};
use crate::services::feed::{self, Lagged, Live, Topic};
use crate::store::events::Position;

/// One timeline entry as the feed gives it: which ticket, and the entry as the ticket's
/// `events` list has it (what happened, who did it; `public` false for staff entries).
#[derive(SimpleObject)]
pub struct ChangeEvent {
    /// The event's type as webhooks name it (`repair_order.assigned`), to share handlers
    /// between a subscription, the feed and a webhook receiver.
    event_type: String,
    /// The kind of the ticket it happened to.
    ticket_kind: TicketKind,
    /// The ticket's id.
    ticket_id: async_graphql::ID,
    #[graphql(flatten)]
    entry: TimelineEvent,
}

impl From<ticket_events::Model> for ChangeEvent {
    fn from(e: ticket_events::Model) -> Self {
        Self {
            event_type: crate::domain::webhook::event_type(e.ticket_kind, &e.action),
            ticket_kind: e.ticket_kind,
            ticket_id: id(NodeType::of_ticket(e.ticket_kind), e.ticket_id),
            entry: e.into(),
        }
    }
}

/// One event of the change feed with its position.
#[derive(SimpleObject)]
pub struct ChangeEdge {
    /// Pass as `after` to go on from this event (to `changes`, or to a subscription when
    /// reconnecting).
    cursor: String,
    /// The event.
    node: ChangeEvent,
}

impl From<ticket_events::Model> for ChangeEdge {
    fn from(row: ticket_events::Model) -> Self {
        Self {
            cursor: Position::of(&row).encode(),
            node: row.into(),
        }
    }
}

/// A page of the change feed.
#[derive(SimpleObject)]
pub struct ChangeFeed {
    /// The events, oldest first.
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
    /// Any signed-in caller; admins get no tickets (R-PRV-1). `UNAUTHENTICATED` anonymously,
    /// `BAD_USER_INPUT` for a bad `first` or a cursor not from this feed.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A cursor from an earlier page's `endCursor` or an edge; from the beginning when omitted."
        )]
        after: Option<String>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Only these ticket kinds; all when omitted.")] kinds: Option<
            Vec<TicketKind>,
        >,
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
            edges: rows.into_iter().map(ChangeEdge::from).collect(),
            end_cursor: end.encode(),
            end_of_stream,
        })
    }
}

/// What a slow subscriber is told as its connection closes (WebSocket code 1013, "try again
/// later").
const SLOW: &str = "too slow to keep up: events were dropped; reconnect with your last cursor";

#[derive(Default)]
pub struct FeedSubscription;

#[Subscription]
impl FeedSubscription {
    /// Every change to the tickets the caller may see, as it commits, with the visibility of
    /// `changes`. With `after` (a cursor from `changes` or from an earlier event) the events
    /// since then come first, so a client that reconnects with its last cursor misses nothing;
    /// without it, events from now on. A subscriber that falls too far behind is disconnected
    /// (close code 1013) and resumes with its last cursor.
    /// Over WebSocket at `/graphql/ws`. `UNAUTHENTICATED` without credentials; `BAD_USER_INPUT`
    /// for a cursor not from this feed.
    async fn ticket_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A cursor to resume from (from `changes` or an earlier event); events from now on when omitted."
        )]
        after: Option<String>,
        #[graphql(desc = "Only these ticket kinds; all when omitted.")] kinds: Option<
            Vec<TicketKind>,
        >,
    ) -> Result<impl Stream<Item = Result<ChangeEdge>> + use<>> {
        start(ctx, Topic::Tickets(kinds), after).await
    }

    /// The changes of one ticket the caller may see (`NOT_FOUND` otherwise), as they commit;
    /// `after` replays from a cursor as in `ticketEvents`.
    async fn ticket_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ticket's kind.")] kind: TicketKind,
        #[graphql(desc = "The ticket's id.")] id: ID,
        #[graphql(desc = "A cursor to resume from; events from now on when omitted.")]
        after: Option<String>,
    ) -> Result<impl Stream<Item = Result<ChangeEdge>> + use<>> {
        let ticket = key(&id, NodeType::of_ticket(kind))?;
        start(ctx, Topic::Ticket(kind, ticket), after).await
    }
}

async fn start(
    ctx: &Context<'_>,
    topic: Topic,
    after: Option<String>,
) -> Result<impl Stream<Item = Result<ChangeEdge>> + use<>> {
    let after = after.as_deref().map(decode).transpose()?;
    let live = feed::live(&env(ctx)?, &services(ctx)?.events, topic, after).await?;
    Ok(edges(live, ctx.data_opt::<Hangup>().cloned()))
}

/// The reader's events as edges; a slow reader's last item is an error, and its connection
/// is closed with the reason.
fn edges(live: Live, hangup: Option<Hangup>) -> impl Stream<Item = Result<ChangeEdge>> {
    futures_util::stream::unfold(Some(live), move |live| {
        let hangup = hangup.clone();
        async move {
            let mut live = live?;
            match live.next().await? {
                Ok(Ok(row)) => Some((Ok(row.into()), Some(live))),
                Ok(Err(err)) => Some((Err(err.into()), None)),
                Err(Lagged) => {
                    if let Some(hangup) = hangup {
                        hangup.close(1013, SLOW);
                    }
                    Some((Err(ApiError::Unavailable(SLOW.into()).into()), None))
                }
            }
        }
    })
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
