//! SLA clocks: one row per ticket × metric × cycle, the only place a deadline lives. The rule
//! the clock runs by is a snapshot of its policy, rewritten when the policy changes.

use sea_orm::entity::prelude::*;

use crate::sla_policies::SlaMetric;
use crate::ticket_events::TicketKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sla_clocks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ticket_kind: TicketKind,
    pub ticket_id: i64,
    /// The ticket's centre: its calendar, its supervisors' inbox, metrics scope.
    pub service_centre_id: i64,
    pub organization_id: Option<i64>,
    pub metric: SlaMetric,
    /// 1, then +1 for each repeat (R-SLA-3) or restart (a rejected repair's new visit).
    pub cycle: i32,
    /// The policy scope the ticket had when the clock started (severity, warranty or tier,
    /// visit purpose); new cycles start by the same scope.
    pub scope: String,
    pub policy_id: Option<i64>,
    pub business_time: bool,
    pub duration_minutes: i32,
    pub repeating: bool,
    pub escalates: bool,
    pub warn_percents: String,
    pub pause_states: String,
    pub day_end: bool,
    pub started_at: DateTimeUtc,
    /// When the clock runs out: start + duration + paused time, in the clock's time; while
    /// paused, the value at the pause.
    pub due_at: DateTimeUtc,
    /// A later deadline the customer asked for (an appointment window's end).
    pub customer_due_at: Option<DateTimeUtc>,
    /// A time the agent promised the customer (R-SLA-11): the clock is due then instead of
    /// at the policy's limit, earlier or later.
    pub promised_due_at: Option<DateTimeUtc>,
    pub paused_since: Option<DateTimeUtc>,
    /// Paused time so far: working seconds for business-time clocks, wall seconds otherwise.
    pub paused_seconds: i64,
    pub met_at: Option<DateTimeUtc>,
    /// The ticket ended without meeting the clock (cancelled, closed).
    pub stopped_at: Option<DateTimeUtc>,
    pub breached_at: Option<DateTimeUtc>,
    /// Who held the ticket when the clock was missed (R-ESC-6).
    pub holder_id: Option<i64>,
    /// The ticket's level after this clock last escalated it.
    pub escalation_level: Option<i16>,
    /// Periods missed so far (R-ESC-2: each escalates one level).
    pub missed_periods: i32,
    pub warnings_sent: i16,
    pub warned_at: Option<DateTimeUtc>,
    /// The next instant the sweeper must look at this clock; `None` when nothing can happen.
    pub next_check_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
