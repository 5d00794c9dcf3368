//! Escalations of complaints (R-ESC-1..3): level changes with their reason.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "escalations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub complaint_id: i64,
    pub from_level: i16,
    pub to_level: i16,
    pub reason: String,
    /// The missed clock (e.g. `PROGRESS_UPDATE`) for automatic escalations.
    pub deadline_kind: Option<String>,
    /// When that clock ran out; lateness of the eventual action counts from here.
    pub deadline_at: Option<DateTimeUtc>,
    /// Who escalated by hand; `None` for the server (creation rule or missed deadline).
    pub escalated_by: Option<i64>,
    /// The holder when it was escalated.
    pub from_user_id: Option<i64>,
    pub automatic: bool,
    pub created_at: DateTimeUtc,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub acknowledged_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
