//! Append-only record of access to and changes of personal data (R-PRV-3): who (user or API
//! key, role, client address), when, what action, on whom, and details as JSON.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub occurred_at: DateTimeUtc,
    pub actor_role: String,
    pub actor_user_id: Option<i64>,
    pub actor_api_key_id: Option<i64>,
    pub client_address: Option<String>,
    /// `customer.lookup`, `customer.created`, …
    pub action: String,
    /// `USER`, …
    pub subject_kind: String,
    /// The subject's id; none when a lookup found nobody.
    pub subject_id: Option<i64>,
    /// JSON: how the subject was named (`{"by": "phone"}`), what was found.
    pub detail: Option<String>,
    /// The query or export that read the data (`repairOrders`, …); none for changes.
    pub operation: Option<String>,
    /// The personal fields a read returned, comma-separated (`customer.name,contactPhone`).
    pub fields: Option<String>,
    /// Rows a read returned: one entry per list page, not one per row.
    pub row_count: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
