//! Warranty-end return visits (R-SLA-13): one per product, one month before its warranty ends.

use sea_orm::entity::prelude::*;

use crate::return_visits::VisitChannel;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "warranty_visits")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The product whose warranty ends; one visit per product.
    #[sea_orm(unique)]
    pub asset_id: i64,
    pub customer_id: i64,
    /// The customer's centre, whose agents make the call.
    pub service_centre_id: i64,
    pub warranty_ends_on: Date,
    /// One month before `warranty_ends_on`.
    pub due_on: Date,
    pub created_at: DateTimeUtc,
    /// The fields below stay `None` until the visit is recorded.
    pub agent_id: Option<i64>,
    pub visited_at: Option<DateTimeUtc>,
    pub channel: Option<VisitChannel>,
    pub reached: Option<bool>,
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
