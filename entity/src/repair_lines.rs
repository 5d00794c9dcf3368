//! Parts and labour recorded on a repair order (R-REP-1, R-REP-3).

use sea_orm::entity::prelude::*;

/// What a repair line records.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum RepairLineKind {
    /// A spare part (with its part code).
    #[sea_orm(string_value = "PART")]
    Part,
    /// Work time.
    #[sea_orm(string_value = "LABOUR")]
    Labour,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "repair_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub repair_order_id: i64,
    pub kind: RepairLineKind,
    pub description: String,
    pub part_code: Option<String>,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    /// quantity × unit price, rounded to cents.
    pub amount: Decimal,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
