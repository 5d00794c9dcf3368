//! A legal hold on a ticket: while it is not released, the retention job leaves the ticket's
//! personal data alone (R-PRV-6, R-PRV-11).

use sea_orm::entity::prelude::*;

use crate::ticket_events::TicketKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "legal_holds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ticket_kind: TicketKind,
    pub ticket_id: i64,
    pub reason: String,
    pub placed_by: i64,
    pub placed_at: DateTimeUtc,
    pub released_by: Option<i64>,
    pub released_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
