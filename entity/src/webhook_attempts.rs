//! The delivery log: one row per attempt to send a webhook message.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_attempts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub message_id: i64,
    pub attempted_at: DateTimeUtc,
    pub duration_ms: i32,
    /// The HTTP status the endpoint answered; `None` when no answer came.
    pub response_status: Option<i32>,
    /// Why the attempt failed without an answer (refused address, timeout, connection).
    pub error: Option<String>,
    /// The first KiB of the response body.
    pub response_body: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
