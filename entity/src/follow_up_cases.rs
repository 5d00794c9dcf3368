//! Follow-up cases (R-CMP-7): a repair order or complaint opened for a new need raised during
//! a return visit, linked to the ticket the visit followed up.

use sea_orm::entity::prelude::*;

use crate::ticket_events::TicketKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "follow_up_cases")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The visit the need was raised on.
    pub return_visit_id: i64,
    /// The ticket the visit followed up.
    pub original_kind: TicketKind,
    pub original_id: i64,
    /// The case opened for the new need.
    pub follow_up_kind: TicketKind,
    pub follow_up_id: i64,
    /// The agent or supervisor who opened it.
    pub created_by: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
