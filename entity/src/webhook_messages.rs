//! One timeline event to deliver to one endpoint, with its delivery state.

use sea_orm::entity::prelude::*;

/// Where a webhook message stands in its delivery.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum MessageStatus {
    /// Waiting for its next attempt.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// Claimed by a worker that is sending it now.
    #[sea_orm(string_value = "SENDING")]
    Sending,
    /// The endpoint answered 2xx.
    #[sea_orm(string_value = "DELIVERED")]
    Delivered,
    /// Every attempt of the retry schedule failed; `redeliverWebhookMessage` tries again.
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub endpoint_id: i64,
    /// The `ticket_events` row it carries; none for a notification (`notification.sms`).
    pub event_id: Option<i64>,
    /// `msg_…`, the `webhook-id` header: the same on every attempt, so receivers deduplicate.
    pub msg_id: String,
    pub event_type: String,
    /// The JSON body, fixed when the message is made, so every attempt sends the same bytes.
    pub payload: String,
    pub status: MessageStatus,
    /// Attempts made so far.
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// While a worker sends it, nobody else claims it before this.
    pub locked_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
