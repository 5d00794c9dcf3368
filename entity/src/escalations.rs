//! Escalations of tickets of every kind (R-ESC-1..3): level changes with their reason.

use sea_orm::entity::prelude::*;

use crate::escalation_routes::EscalationTarget;
use crate::ticket_events::TicketKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "escalations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ticket_kind: TicketKind,
    pub ticket_id: i64,
    /// The ticket's centre, whose supervisors or top level receive it.
    pub service_centre_id: i64,
    pub organization_id: Option<i64>,
    /// The clock whose miss raised it; `None` for escalations by hand or by severity.
    pub clock_id: Option<i64>,
    pub from_level: i16,
    pub to_level: i16,
    pub reason: String,
    /// The missed clock (e.g. `PROGRESS_UPDATE`) for automatic escalations.
    pub deadline_kind: Option<String>,
    /// The end of the missed period.
    pub deadline_at: Option<DateTimeUtc>,
    /// Who escalated by hand; `None` for the server (creation rule or missed deadline).
    pub escalated_by: Option<i64>,
    /// The holder when it was escalated.
    pub from_user_id: Option<i64>,
    pub automatic: bool,
    pub created_at: DateTimeUtc,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub acknowledged_by: Option<i64>,
    /// Whose inbox it is in: the route of its kind and level when it was raised (R-ESC-1).
    pub target: EscalationTarget,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
