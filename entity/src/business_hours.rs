//! Weekly working hours of a service centre, in its local time.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "business_hours")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub service_centre_id: i64,
    /// 0 = Monday … 6 = Sunday.
    pub weekday: i16,
    /// Minutes after local midnight.
    pub start_minute: i32,
    pub end_minute: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
