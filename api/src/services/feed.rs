//! The change feed (issue 13): every timeline row a caller may see, in commit order, from a
//! position on. Partners and back-office systems poll it instead of re-scanning lists; it
//! applies the rules of the GraphQL fields: customers their own tickets, partners their
//! organization's, technicians their assigned orders, agents and supervisors their centre's;
//! internal entries only for staff. Admins read no tickets (R-PRV-1).

use std::collections::VecDeque;

use entity::ticket_events::{self, TicketKind};
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast;

use super::Env;
use crate::domain::identity::Principal;
use crate::domain::repair;
use crate::error::{ApiError, ApiResult};
use crate::events::{Batch, EventHub};
use crate::store::events::{FeedFilter, Position};
use crate::store::{self, repair_orders::Scope};

/// Kinds with a timeline (a return visit's rows go on the ticket it visits).
const TIMELINE_KINDS: [TicketKind; 3] = [
    TicketKind::RepairOrder,
    TicketKind::Complaint,
    TicketKind::Inquiry,
];

/// Rows a live reader replays per read.
const REPLAY_PAGE: u64 = 200;

/// Up to `first` events after `after`, and whether the feed ended there (for now).
pub async fn changes(
    env: &Env<'_>,
    after: Position,
    first: usize,
    kinds: Option<Vec<TicketKind>>,
) -> ApiResult<(Vec<ticket_events::Model>, bool)> {
    let filter = filter(env.actor, kinds, None)?;
    let limit = u64::try_from(first).unwrap_or(u64::MAX).saturating_add(1);
    let mut rows = store::events::feed(env.db, &filter, after, limit).await?;
    let ended = rows.len() <= first;
    rows.truncate(first);
    Ok((rows, ended))
}

/// What `actor` reads of the log: the same rules for the feed and for live subscribers.
fn filter(
    actor: &Principal,
    kinds: Option<Vec<TicketKind>>,
    ticket: Option<(TicketKind, i64)>,
) -> ApiResult<FeedFilter> {
    let scope = super::repair_orders::scope_of(actor)?;
    let wanted = kinds.unwrap_or_else(|| TIMELINE_KINDS.to_vec());
    let kinds = TIMELINE_KINDS
        .into_iter()
        .filter(|kind| wanted.contains(kind))
        // Technicians work on repair orders and the inquiries passed to them; complaints are
        // not theirs to read.
        .filter(|kind| !matches!(scope, Scope::Technician(_)) || *kind != TicketKind::Complaint)
        .collect();
    Ok(FeedFilter {
        scope,
        internal: repair::sees_internal_events(actor),
        kinds,
        ticket,
    })
}

/// Which events a live reader wants.
pub enum Topic {
    /// Every ticket the reader may see (of these kinds, or all).
    Tickets(Option<Vec<TicketKind>>),
    /// One ticket, which the reader must be able to see.
    Ticket(TicketKind, i64),
}

/// A live reader fell so far behind that events it had not taken were dropped.
#[derive(Debug)]
pub struct Lagged;

/// Events as they commit: first those after the reader's cursor (from the table, page by
/// page), then the hub's broadcasts, each kept when the reader's filter admits it and it lies
/// after the last one given, so the switch from replay to live neither skips nor repeats.
pub struct Live {
    db: DatabaseConnection,
    filter: FeedFilter,
    position: Position,
    replaying: bool,
    pending: VecDeque<ticket_events::Model>,
    batches: broadcast::Receiver<Batch>,
}

/// Starts a live reader at `after` (replaying what came since), or at the present without it.
pub async fn live(
    env: &Env<'_>,
    hub: &EventHub,
    topic: Topic,
    after: Option<Position>,
) -> ApiResult<Live> {
    let filter = match topic {
        Topic::Tickets(kinds) => filter(env.actor, kinds, None)?,
        Topic::Ticket(kind, id) => {
            // Visible or NOT_FOUND, as the typed queries answer.
            match kind {
                TicketKind::RepairOrder => {
                    super::repair_orders::get(env, id).await?;
                }
                TicketKind::Complaint => {
                    super::complaints::get(env, id).await?;
                }
                TicketKind::Inquiry => {
                    super::inquiries::get(env, id).await?;
                }
                TicketKind::ReturnVisit => {
                    return Err(ApiError::bad_input(
                        "kind",
                        "a return visit's entries are on the ticket it visits",
                    ));
                }
            }
            filter(env.actor, Some(vec![kind]), Some((kind, id)))?
        }
    };
    let (batches, now) = hub.subscribe();
    Ok(Live {
        db: env.db.clone(),
        filter,
        position: after.unwrap_or(now),
        replaying: after.is_some(),
        pending: VecDeque::new(),
        batches,
    })
}

impl Live {
    /// The next event; `None` when the hub is gone (the server is stopping).
    pub async fn next(&mut self) -> Option<Result<ApiResult<ticket_events::Model>, Lagged>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                self.position = Position::of(&event);
                return Some(Ok(Ok(event)));
            }
            if self.replaying {
                let rows =
                    match store::events::feed(&self.db, &self.filter, self.position, REPLAY_PAGE)
                        .await
                    {
                        Ok(rows) => rows,
                        Err(err) => return Some(Ok(Err(err))),
                    };
                self.replaying = rows.len() as u64 == REPLAY_PAGE;
                self.pending.extend(rows);
                continue;
            }
            match self.batches.recv().await {
                Ok(batch) => self.pending.extend(
                    batch
                        .iter()
                        .filter(|row| {
                            Position::of(&row.event) > self.position && self.filter.admits(row)
                        })
                        .map(|row| row.event.clone()),
                ),
                Err(broadcast::error::RecvError::Lagged(_)) => return Some(Err(Lagged)),
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}
