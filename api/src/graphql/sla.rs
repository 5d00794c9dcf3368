//! SLA clocks over GraphQL: the `slaClocks` of every ticket kind, the breach list and the
//! per-level escalation inboxes for supervisors.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::sla_clocks;
use entity::sla_policies::SlaMetric;
use entity::ticket_events::TicketKind;
use entity::users::Role;

use super::loaders::{ClocksKey, loaders};
use super::pagination::{KeysetConnection, PageRequest};
use super::scalars::{NodeType, id};
use super::{RoleGuard, env, principal};
use crate::domain::identity::Principal;
use crate::domain::sla::{self, ClockState, transitions};
use crate::store;

/// Where an SLA clock stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum SlaClockState {
    /// Counting down to its due time.
    Running,
    /// Standing still while the ticket waits (parts, the customer, an external case).
    Paused,
    /// Met in time.
    Met,
    /// Missed: it ran out before it was met (and stays so when met late).
    Breached,
    /// The ticket ended (cancelled, closed) before the clock was met.
    Stopped,
}

impl From<ClockState> for SlaClockState {
    fn from(state: ClockState) -> Self {
        match state {
            ClockState::Running => Self::Running,
            ClockState::Paused => Self::Paused,
            ClockState::Met => Self::Met,
            ClockState::Breached => Self::Breached,
            ClockState::Stopped => Self::Stopped,
        }
    }
}

/// One time limit of a ticket (one cycle of a repeating one). Customers and partners see the
/// clocks that promise them something, with `description` in plain words; staff see all.
#[derive(SimpleObject)]
pub struct SlaClock {
    /// The clock's id.
    #[graphql(owned)]
    pub(crate) id: ID,
    /// The kind of ticket (or return visit) it times.
    ticket_kind: TicketKind,
    /// The ticket's (or return visit's) id.
    ticket_id: ID,
    /// What it times (see `SlaMetric`).
    metric: SlaMetric,
    /// 1, then one more for each repeat (progress updates) or new visit (a rejected repair).
    cycle: i32,
    /// Where it stands now.
    state: SlaClockState,
    /// What is promised, e.g. "a technician is at your place".
    description: Option<&'static str>,
    /// When it started (RFC 3339, UTC).
    started_at: DateTime<Utc>,
    /// When it runs out: its start plus the policy's limit plus the paused time; null while
    /// paused (it moves on by the pause).
    due_at: Option<DateTime<Utc>>,
    /// Seconds to `dueAt` (negative when overdue), frozen while paused; null once met or
    /// stopped.
    remaining_seconds: Option<i64>,
    /// Time it stood still so far: working seconds for business-time clocks.
    paused_seconds: i64,
    /// Counted in the centre's working hours instead of the wall clock.
    business_time: bool,
    /// The deadline is the end of a later appointment the customer chose.
    customer_requested: bool,
    /// When the last warning (75 %, 90 % of its span by default) went out; null before.
    warned_at: Option<DateTime<Utc>>,
    /// When it was missed; null unless BREACHED.
    breached_at: Option<DateTime<Utc>>,
    /// When it was met (also late); null before.
    met_at: Option<DateTime<Utc>>,
    /// Escalation level the ticket reached through this clock; staff only.
    escalation_level: Option<i32>,
    /// Who held the ticket when it was missed (R-ESC-6); staff only.
    holder_id: Option<ID>,
}

impl SlaClock {
    pub(super) fn new(clock: &sla_clocks::Model, staff: bool, now: DateTime<Utc>) -> Self {
        let paused = clock.paused_since.is_some();
        let open = clock.met_at.is_none() && clock.stopped_at.is_none();
        Self {
            id: id(NodeType::SlaClock, clock.id),
            ticket_kind: clock.ticket_kind,
            ticket_id: id(NodeType::of_ticket(clock.ticket_kind), clock.ticket_id),
            metric: clock.metric,
            cycle: clock.cycle,
            state: sla::state(
                clock.due_at,
                paused,
                clock.met_at,
                clock.stopped_at.is_some(),
                clock.breached_at,
                now,
            )
            .into(),
            description: transitions::customer_words(clock.ticket_kind, clock.metric),
            started_at: clock.started_at,
            due_at: (!paused).then_some(clock.due_at),
            remaining_seconds: sla::remaining_seconds(clock.due_at, clock.paused_since, open, now),
            paused_seconds: clock.paused_seconds
                + clock
                    .paused_since
                    .map_or(0, |since| (now - since).num_seconds().max(0)),
            business_time: clock.business_time,
            customer_requested: clock
                .customer_due_at
                .is_some_and(|asked| asked >= clock.due_at),
            warned_at: clock.warned_at,
            breached_at: clock.breached_at,
            met_at: clock.met_at,
            escalation_level: clock.escalation_level.filter(|_| staff).map(i32::from),
            holder_id: clock
                .holder_id
                .filter(|_| staff)
                .map(|k| id(NodeType::User, k)),
        }
    }
}

/// Staff see every clock; customers and partners the ones that promise them something.
pub(super) fn sees_all_clocks(principal: &Principal) -> bool {
    matches!(
        principal.role(),
        Some(Role::Agent | Role::Supervisor | Role::Technician)
    )
}

/// Every clock of one ticket, every cycle (the loader batches a page's tickets).
async fn rows(
    ctx: &Context<'_>,
    kind: TicketKind,
    ticket_id: i64,
) -> Result<std::sync::Arc<Vec<sla_clocks::Model>>> {
    Ok(loaders(ctx)?
        .load_one(ClocksKey(kind, ticket_id))
        .await?
        .unwrap_or_default())
}

/// The clocks of one ticket the caller may see, oldest first.
pub async fn clocks_of(
    ctx: &Context<'_>,
    kind: TicketKind,
    ticket_id: i64,
) -> Result<Vec<SlaClock>> {
    let now = env(ctx)?.now;
    let staff = sees_all_clocks(principal(ctx));
    Ok(rows(ctx, kind, ticket_id)
        .await?
        .iter()
        .filter(|c| staff || transitions::customer_words(c.ticket_kind, c.metric).is_some())
        .map(|c| SlaClock::new(c, staff, now))
        .collect())
}

/// The latest cycle of `metric` among a ticket's clocks.
pub async fn latest(
    ctx: &Context<'_>,
    kind: TicketKind,
    ticket_id: i64,
    metric: SlaMetric,
) -> Result<Option<sla_clocks::Model>> {
    Ok(rows(ctx, kind, ticket_id)
        .await?
        .iter()
        .filter(|c| c.metric == metric)
        .max_by_key(|c| c.cycle)
        .cloned())
}

/// The arrival clock of an order's current visit (R-SLA-1/2, R-SLA-14): a summary of
/// `slaClocks`.
#[derive(SimpleObject)]
pub struct SlaStatus {
    /// Null while the clock is paused (the order waits for parts).
    deadline: Option<DateTime<Utc>>,
    /// Seconds to the deadline, negative when overdue; null once arrived or cancelled.
    remaining_seconds: Option<i64>,
    /// The arrival limit was missed (arrived late, or overdue now).
    breached: bool,
    /// The deadline is the end of a later window the customer chose.
    customer_requested: bool,
    /// The clock stands still: the order waits for parts.
    paused: bool,
}

impl SlaStatus {
    pub fn of(clock: &sla_clocks::Model, now: DateTime<Utc>) -> Self {
        let full = SlaClock::new(clock, false, now);
        Self {
            deadline: full.due_at,
            remaining_seconds: full.remaining_seconds,
            breached: full.state == SlaClockState::Breached,
            customer_requested: full.customer_requested,
            paused: full.state == SlaClockState::Paused,
        }
    }
}

/// Narrows the breach list; all given conditions must hold.
#[derive(InputObject, Default)]
pub struct SlaBreachFilter {
    /// Only clocks of this ticket kind.
    ticket_kind: Option<TicketKind>,
    /// Only clocks of these metrics.
    metric: Option<Vec<SlaMetric>>,
    /// Missed at or after.
    from: Option<DateTime<Utc>>,
    /// Missed before.
    to: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct SlaQuery;

#[Object]
impl SlaQuery {
    /// Clocks of the caller's centre that were missed, newest breach first: every ticket kind,
    /// with the holder at the breach.
    /// Agents and supervisors (their centre); `FORBIDDEN` for other roles, `BAD_USER_INPUT` for a
    /// bad `first` or `after`.
    #[graphql(
        guard = "RoleGuard(&[Role::Agent, Role::Supervisor])",
        complexity = "crate::graphql::pagination::page_cost(first, child_complexity)"
    )]
    async fn sla_breaches(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only breaches matching this filter.")] filter: Option<SlaBreachFilter>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; omit for the first page.")]
        after: Option<String>,
    ) -> Result<KeysetConnection<SlaClock>> {
        let env = env(ctx)?;
        let centre = env.actor.centre()?;
        let filter = filter.unwrap_or_default();
        let filter = store::sla_clocks::BreachFilter {
            kind: filter.ticket_kind,
            metrics: filter.metric.unwrap_or_default(),
            from: filter.from,
            to: filter.to,
        };
        let page = PageRequest::parse(first, after)?;
        let rows =
            store::sla_clocks::breaches(env.db, centre, &filter, page.after, page.limit()).await?;
        let now = env.now;
        Ok(page.connection(
            rows,
            |row| (row.breached_at.unwrap_or(row.due_at), row.id),
            |row| SlaClock::new(&row, true, now),
        ))
    }
}
