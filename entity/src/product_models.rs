//! The product catalogue admins keep: a model's warranty length, which a registered asset's
//! warranty is computed from instead of being declared by the customer (R-REP-1).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_models")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Upper-cased; unique. Assets of the model carry it as their `model`.
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub warranty_months: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
