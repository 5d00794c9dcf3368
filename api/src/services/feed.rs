//! The change feed (issue 13): every timeline row a caller may see, in commit order, from a
//! position on. Partners and back-office systems poll it instead of re-scanning lists; it
//! applies the rules of the GraphQL fields: customers their own tickets, partners their
//! organization's, technicians their assigned orders, agents and supervisors their centre's;
//! internal entries only for staff. Admins read no tickets (R-PRV-1).

use entity::ticket_events::{self, TicketKind};

use super::Env;
use crate::domain::repair;
use crate::error::ApiResult;
use crate::store::events::{FeedFilter, Position};
use crate::store::{self, repair_orders::Scope};

/// Kinds with a timeline (a return visit's rows go on the ticket it visits).
const TIMELINE_KINDS: [TicketKind; 2] = [TicketKind::RepairOrder, TicketKind::Complaint];

/// Up to `first` events after `after`, and whether the feed ended there (for now).
pub async fn changes(
    env: &Env<'_>,
    after: Position,
    first: usize,
    kinds: Option<Vec<TicketKind>>,
) -> ApiResult<(Vec<ticket_events::Model>, bool)> {
    let scope = super::repair_orders::scope_of(env.actor)?;
    let wanted = kinds.unwrap_or_else(|| TIMELINE_KINDS.to_vec());
    let kinds = TIMELINE_KINDS
        .into_iter()
        .filter(|kind| wanted.contains(kind))
        // Technicians work on repair orders; complaints are not theirs to read.
        .filter(|kind| !matches!(scope, Scope::Technician(_)) || *kind == TicketKind::RepairOrder)
        .collect();
    let filter = FeedFilter {
        scope,
        internal: repair::sees_internal_events(env.actor),
        kinds,
    };
    let limit = u64::try_from(first).unwrap_or(u64::MAX).saturating_add(1);
    let mut rows = store::events::feed(env.db, &filter, after, limit).await?;
    let ended = rows.len() <= first;
    rows.truncate(first);
    Ok((rows, ended))
}
