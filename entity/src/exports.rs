//! A bulk export of personal data (R-PRV-12): requested, approved by a second person, produced
//! as CSV in the background, downloaded once by the requester before `expires_at`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "exports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `REPAIR_ORDERS`.
    pub kind: String,
    /// The requester's centre: the rows come from it.
    pub service_centre_id: i64,
    pub reported_from: Option<DateTimeUtc>,
    pub reported_to: Option<DateTimeUtc>,
    pub requested_by: i64,
    pub requested_at: DateTimeUtc,
    pub approved_by: Option<i64>,
    pub approved_at: Option<DateTimeUtc>,
    pub produced_at: Option<DateTimeUtc>,
    pub row_count: Option<i32>,
    /// The CSV; kept until downloaded or expired.
    pub content: Option<String>,
    pub expires_at: Option<DateTimeUtc>,
    pub downloaded_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
