//! Who receives a ticket that reaches an escalation level (R-ESC-1): a policy per ticket kind
//! and level, so an organization can send, say, repair orders at level 2 straight to its top
//! level. Each escalation keeps the target its route had when it was raised.

use sea_orm::entity::prelude::*;

use crate::ticket_events::TicketKind;

/// Whose escalation inbox an escalation goes to.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum EscalationTarget {
    /// The supervisors (customer-service manager) of the ticket's centre.
    #[sea_orm(string_value = "CENTRE_SUPERVISORS")]
    CentreSupervisors,
    /// The top level (general manager): supervisors marked top-level.
    #[sea_orm(string_value = "TOP_LEVEL")]
    TopLevel,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "escalation_routes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub ticket_kind: TicketKind,
    #[sea_orm(primary_key, auto_increment = false)]
    pub level: i16,
    pub target: EscalationTarget,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
