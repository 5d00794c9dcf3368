//! The daily report of GENERAL complaints to the customer-service manager (R-CLS-1): one row
//! per centre and local day, written once after the day ends.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "manager_digests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub service_centre_id: i64,
    /// The centre's local day the digest covers.
    pub day: Date,
    /// GENERAL complaints received that day.
    pub general_complaints: i32,
    /// Of those, not yet resolved when the digest was written.
    pub still_open: i32,
    /// Their numbers, comma-separated, the first `MAX_NUMBERS` of the day.
    pub numbers: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
