//! A customer's product. Its warranty decides the arrival limit and whether repair is free.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub customer_id: i64,
    pub model: String,
    pub serial_number: String,
    pub purchase_date: Date,
    /// Last day covered by the warranty, inclusive.
    pub warranty_ends_on: Date,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::CustomerId",
        to = "super::users::Column::Id"
    )]
    Customer,
}

impl ActiveModelBehavior for ActiveModel {}
