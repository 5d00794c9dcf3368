//! Parts requests of repair orders (R-REP-5): asked for by the technician or an agent,
//! approved or rejected by a supervisor of the centre, filled from stock or by purchase; the
//! arrival of the last open one ends the order's WAITING_FOR_PARTS.

use sea_orm::entity::prelude::*;

/// Where a parts request is: `REQUESTED → APPROVED → FILLED → ARRIVED`, or `REJECTED`.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum PartsRequestStatus {
    /// Asked for; waits for a supervisor's decision.
    #[sea_orm(string_value = "REQUESTED")]
    Requested,
    /// Approved by a supervisor: the order waits for the parts (WAITING_FOR_PARTS).
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    /// Not approved, with the supervisor's reason.
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    /// Taken from stock or ordered from a supplier; on the way.
    #[sea_orm(string_value = "FILLED")]
    Filled,
    /// The parts are here.
    #[sea_orm(string_value = "ARRIVED")]
    Arrived,
}

/// Where the parts of a request come from.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum PartsSource {
    /// From the centre's stock.
    #[sea_orm(string_value = "STOCK")]
    Stock,
    /// Bought from a supplier.
    #[sea_orm(string_value = "PURCHASE")]
    Purchase,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "parts_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub repair_order_id: i64,
    pub status: PartsRequestStatus,
    /// The technician or agent who asked.
    pub requested_by: i64,
    /// What the parts are for, in the requester's words.
    pub note: Option<String>,
    /// The supervisor who approved or rejected it.
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    pub rejection_reason: Option<String>,
    pub source: Option<PartsSource>,
    pub filled_by: Option<i64>,
    pub filled_at: Option<DateTimeUtc>,
    pub arrived_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
