//! One part of a parts request (R-REP-5): code, name, quantity, urgency.

use sea_orm::entity::prelude::*;

use crate::repair_orders::Priority;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "parts_request_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub parts_request_id: i64,
    pub part_code: String,
    pub part_name: String,
    pub quantity: i32,
    pub urgency: Priority,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
