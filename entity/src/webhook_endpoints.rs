//! Where webhooks go: a partner organization's endpoint, or an internal one (no organization)
//! that an admin keeps for a gateway of our own.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The partner organization it belongs to; `None` for an internal endpoint.
    pub organization_id: Option<i64>,
    pub url: String,
    pub description: String,
    /// JSON list of event types and `kind.*` prefixes; empty for every event.
    pub event_types: String,
    /// `whsec_<base64>`, the key messages are signed with.
    pub secret: String,
    /// The secret before the last rotation, also signed with until it expires.
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<DateTimeUtc>,
    pub enabled: bool,
    pub disabled_at: Option<DateTimeUtc>,
    pub disabled_reason: Option<String>,
    /// Since when every delivery failed; `None` after a success.
    pub failing_since: Option<DateTimeUtc>,
    /// `user:<id>` or `api_key:<id>`.
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
