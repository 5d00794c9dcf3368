//! Sending one-time codes to people: the `Notifier` the account use cases call inside their
//! transaction. `NOTIFIER=log` (the default, for development) writes the code to the server log;
//! `NOTIFIER=webhook` makes a message for every enabled internal webhook endpoint that names
//! `notification.sms` (or `notification.email`, `notification.*`) in its filter: an SMS or mail
//! gateway. Delivery, retries, signatures and the delivery log are the webhook worker's
//! (`jobs::webhooks`), and the message commits with the code or not at all.

use chrono::{DateTime, Utc};
use entity::webhook_messages::{self, MessageStatus};
use sea_orm::{DatabaseTransaction, Set};

use crate::domain::masking::mask_phone;
use crate::domain::webhook::{self, EventFilter, NOTIFICATION_KIND};
use crate::error::ApiResult;
use crate::store;

/// How a code reaches its person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    Sms,
    Email,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "SMS",
            Self::Email => "EMAIL",
        }
    }

    /// The webhook event type of its messages.
    pub fn event_type(self) -> String {
        format!("{NOTIFICATION_KIND}.{}", self.as_str().to_lowercase())
    }
}

/// A one-time code to send.
pub struct CodeMessage<'a> {
    pub channel: Channel,
    /// E.164 phone or e-mail address.
    pub to: &'a str,
    /// `SIGN_UP`, `PASSWORD_RESET`.
    pub purpose: &'static str,
    pub code: &'a str,
    pub expires_at: DateTime<Utc>,
}

impl CodeMessage<'_> {
    /// The text the person reads.
    pub fn text(&self, now: DateTime<Utc>) -> String {
        let minutes = (self.expires_at - now).num_minutes().max(1);
        format!(
            "Your servicedesk code is {}. It expires in {minutes} minutes. Never share it.",
            self.code
        )
    }
}

#[async_trait::async_trait]
pub trait Notifier: Send + Sync {
    /// Sends (or queues, in `txn`) the message.
    async fn send(
        &self,
        txn: &DatabaseTransaction,
        message: &CodeMessage<'_>,
        now: DateTime<Utc>,
    ) -> ApiResult<()>;
}

/// Development: the code goes to the log (`info`), for the developer at the console. In
/// production the log never shows a code: only that one could not be delivered.
pub struct LogNotifier {
    pub reveal_codes: bool,
}

#[async_trait::async_trait]
impl Notifier for LogNotifier {
    async fn send(
        &self,
        _txn: &DatabaseTransaction,
        message: &CodeMessage<'_>,
        now: DateTime<Utc>,
    ) -> ApiResult<()> {
        let to = redact(message);
        if self.reveal_codes {
            tracing::info!(channel = message.channel.as_str(), %to, purpose = message.purpose,
                text = %message.text(now), "one-time code (NOTIFIER=log)");
        } else {
            tracing::warn!(channel = message.channel.as_str(), %to, purpose = message.purpose,
                "one-time code not delivered: NOTIFIER=log in production");
        }
        Ok(())
    }
}

/// Production: a webhook message per internal endpoint that asked for the channel's type.
pub struct WebhookNotifier;

#[async_trait::async_trait]
impl Notifier for WebhookNotifier {
    async fn send(
        &self,
        txn: &DatabaseTransaction,
        message: &CodeMessage<'_>,
        now: DateTime<Utc>,
    ) -> ApiResult<()> {
        let event_type = message.channel.event_type();
        let text = message.text(now);
        let payload = webhook::notification_payload(
            &webhook::Notification {
                event_type: &event_type,
                channel: message.channel.as_str(),
                to: message.to,
                purpose: message.purpose,
                code: message.code,
                text: &text,
                expires_at: message.expires_at,
            },
            now,
        );
        let messages: Vec<_> = store::webhooks::enabled_endpoints(txn)
            .await?
            .into_iter()
            .filter(|endpoint| {
                endpoint.organization_id.is_none()
                    && EventFilter::from_json(&endpoint.event_types).names(&event_type)
            })
            .map(|endpoint| webhook_messages::ActiveModel {
                endpoint_id: Set(endpoint.id),
                event_id: Set(None),
                msg_id: Set(webhook::message_id()),
                event_type: Set(event_type.clone()),
                payload: Set(payload.clone()),
                status: Set(MessageStatus::Pending),
                attempts: Set(0),
                next_attempt_at: Set(now),
                locked_until: Set(None),
                created_at: Set(now),
                ..Default::default()
            })
            .collect();
        if messages.is_empty() {
            tracing::warn!(%event_type, to = %redact(message),
                "one-time code not delivered: no internal webhook endpoint takes it");
        }
        store::webhooks::insert_messages(txn, messages).await?;
        Ok(())
    }
}

/// The destination as logs may show it.
fn redact(message: &CodeMessage<'_>) -> String {
    match message.channel {
        Channel::Sms => mask_phone(message.to),
        Channel::Email => {
            let (local, domain) = message.to.split_once('@').unwrap_or((message.to, ""));
            format!("{}***@{domain}", local.chars().next().unwrap_or('*'))
        }
    }
}
