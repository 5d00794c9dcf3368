//! What the retention job destroyed (R-PRV-6): which ticket, which fields, when, and by which
//! policy (the retention period it applied). The ticket itself stays, anonymized, for
//! statistics (R-PRV-11).

use sea_orm::entity::prelude::*;

use crate::ticket_events::TicketKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "destruction_records")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ticket_kind: TicketKind,
    pub ticket_id: i64,
    pub closed_at: DateTimeUtc,
    pub retention_days: i32,
    /// The fields anonymized, comma-separated.
    pub fields: String,
    pub destroyed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
