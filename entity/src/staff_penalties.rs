//! Late handling attributed to the holder at the time of the breach (R-ESC-6), with penalty
//! points by lateness tier (R-SLA-10), for staff metrics: one row per missed clock.

use sea_orm::entity::prelude::*;

use crate::ticket_events::TicketKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "staff_penalties")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub ticket_kind: TicketKind,
    pub ticket_id: i64,
    pub service_centre_id: i64,
    pub organization_id: Option<i64>,
    /// The missed clock; its points rise with the lateness until it is met.
    pub clock_id: Option<i64>,
    /// Which clock was missed, e.g. `FIRST_RESPONSE`.
    pub deadline_kind: String,
    pub deadline_at: DateTimeUtc,
    pub late_minutes: i32,
    pub points: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
