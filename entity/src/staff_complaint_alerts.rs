//! The supervisors' alert that a staff member got a third valid, service-caused complaint in
//! one calendar month of their centre (R-CMP-9): one row per staff member and month.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "staff_complaint_alerts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The centre of the complaint that raised it, whose supervisors read it.
    pub service_centre_id: i64,
    /// The staff member the complaints name (R-CMP-12).
    pub staff_member_id: i64,
    /// The centre's local calendar month, `YYYY-MM`.
    pub month: String,
    /// Valid, service-caused complaints of that month when it was raised.
    pub complaint_count: i32,
    /// The complaint whose verification raised it.
    pub complaint_id: i64,
    pub created_at: DateTimeUtc,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub acknowledged_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
