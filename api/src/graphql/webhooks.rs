//! Webhooks over GraphQL: endpoints, their secrets, and the delivery log.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::users::Role;
use entity::webhook_messages::MessageStatus;
use entity::{webhook_attempts, webhook_endpoints, webhook_messages};

use super::pagination::{KeysetConnection, PageRequest, page_cost};
use super::scalars::{NodeType, id, key};
use super::{RoleGuard, env};
use crate::domain::identity::Principal;
use crate::domain::webhook::EventFilter;
use crate::services::webhooks::{self as service, EndpointChanges, NewEndpoint};

/// Where the server POSTs signed events (Standard Webhooks). A partner organization's endpoint
/// receives the public timeline entries of that organization's tickets; an internal one
/// (created by an admin) receives every entry.
#[derive(SimpleObject)]
pub struct WebhookEndpoint {
    /// The endpoint's id (opaque global id, `Node`).
    #[graphql(owned)]
    pub(crate) id: ID,
    /// The partner organization it belongs to; null for an internal endpoint.
    organization_id: Option<ID>,
    /// Receives every event, internal entries included.
    internal: bool,
    /// The http(s) URL the server POSTs to.
    url: String,
    /// What the endpoint is for, in the owner's words; empty when none.
    description: String,
    /// Event types sent, e.g. `repair_order.assigned`, or `repair_order.*` for a ticket kind's
    /// every event; empty for every event.
    event_types: Vec<String>,
    /// False once disabled, by its owner or because deliveries failed for five days
    /// (`disabledReason` says which); enable it again with `updateWebhookEndpoint`.
    enabled: bool,
    /// When it was disabled; null while enabled.
    disabled_at: Option<DateTime<Utc>>,
    /// Why it was disabled (by its owner, or deliveries failing for five days); null while enabled.
    disabled_reason: Option<String>,
    /// Since when every delivery has failed; null while deliveries succeed. The endpoint is
    /// disabled five days after this.
    failing_since: Option<DateTime<Utc>>,
    /// Until when messages also carry a signature with the secret before the last rotation.
    previous_secret_valid_until: Option<DateTime<Utc>>,
    /// When it was created (RFC 3339, UTC); it gets the events recorded from then on.
    created_at: DateTime<Utc>,
    /// Pass to `updateWebhookEndpoint`: a change made meanwhile by someone else is refused.
    version: i32,
}

impl From<webhook_endpoints::Model> for WebhookEndpoint {
    fn from(e: webhook_endpoints::Model) -> Self {
        Self {
            id: id(NodeType::WebhookEndpoint, e.id),
            organization_id: e.organization_id.map(|k| id(NodeType::Organization, k)),
            internal: e.organization_id.is_none(),
            url: e.url,
            description: e.description,
            event_types: EventFilter::from_json(&e.event_types).entries().to_vec(),
            enabled: e.enabled,
            disabled_at: e.disabled_at,
            disabled_reason: e.disabled_reason,
            failing_since: e.failing_since,
            previous_secret_valid_until: e.previous_secret_expires_at,
            created_at: e.created_at,
            version: e.version,
        }
    }
}

/// An endpoint with its signing secret, which is shown only here, once: keep it where the
/// receiver verifies signatures.
#[derive(SimpleObject)]
pub struct WebhookEndpointSecret {
    /// The endpoint.
    endpoint: WebhookEndpoint,
    /// `whsec_<base64>`, as Standard Webhooks libraries take it.
    secret: String,
}

impl From<webhook_endpoints::Model> for WebhookEndpointSecret {
    fn from(e: webhook_endpoints::Model) -> Self {
        Self {
            secret: e.secret.clone(),
            endpoint: e.into(),
        }
    }
}

/// One event for one endpoint, sent until the endpoint accepts it or the retry schedule ends.
#[derive(SimpleObject)]
pub struct WebhookMessage {
    /// The message's id, for `redeliverWebhookMessage`.
    #[graphql(owned)]
    pub(crate) id: ID,
    /// The `webhook-id` header, the same on every attempt: receivers deduplicate by it.
    webhook_id: String,
    /// E.g. `repair_order.assigned`.
    event_type: String,
    /// The timeline entry it carries; null for a notification (`notification.sms`), whose
    /// body (a one-time code) nobody reads here.
    event_id: Option<ID>,
    /// Where the delivery stands.
    status: MessageStatus,
    /// Attempts made so far.
    attempt_count: i32,
    /// When the next attempt is due, while the message is pending.
    next_attempt_at: Option<DateTime<Utc>>,
    /// The JSON body, the same on every attempt; null for admins, who read no ticket data
    /// (R-PRV-1): the delivery log is theirs to operate, the events are the partner's.
    payload: Option<String>,
    /// When the message was made (RFC 3339, UTC).
    created_at: DateTime<Utc>,
    /// Every attempt, oldest first.
    attempts: Vec<WebhookAttempt>,
}

impl WebhookMessage {
    pub(super) fn new(
        message: webhook_messages::Model,
        attempts: Vec<webhook_attempts::Model>,
        reader: &Principal,
    ) -> Self {
        let pending = matches!(
            message.status,
            MessageStatus::Pending | MessageStatus::Sending
        );
        Self {
            id: id(NodeType::WebhookMessage, message.id),
            webhook_id: message.msg_id,
            event_type: message.event_type,
            event_id: message.event_id.map(|k| id(NodeType::TimelineEvent, k)),
            status: message.status,
            attempt_count: message.attempts,
            next_attempt_at: pending.then_some(message.next_attempt_at),
            payload: matches!(reader, Principal::Partner { .. }).then_some(message.payload),
            created_at: message.created_at,
            attempts: attempts.into_iter().map(Into::into).collect(),
        }
    }
}

/// One delivery attempt, as the receiver answered it.
#[derive(SimpleObject)]
pub struct WebhookAttempt {
    /// When the attempt started (RFC 3339, UTC).
    attempted_at: DateTime<Utc>,
    /// How long the request took.
    duration_ms: i32,
    /// The receiver's HTTP status; null when no answer came (see `error`).
    response_status: Option<i32>,
    /// Why no (complete) answer came: refused address, timeout, connection error.
    error: Option<String>,
    /// The first KiB of the receiver's response body.
    response_body: Option<String>,
}

impl From<webhook_attempts::Model> for WebhookAttempt {
    fn from(a: webhook_attempts::Model) -> Self {
        Self {
            attempted_at: a.attempted_at,
            duration_ms: a.duration_ms,
            response_status: a.response_status,
            error: a.error,
            response_body: a.response_body,
        }
    }
}

/// A new webhook endpoint.
#[derive(InputObject)]
pub struct CreateWebhookEndpointInput {
    /// http(s) URL the server POSTs to; it must not point at a private, loopback or
    /// link-local address.
    url: String,
    /// What the endpoint is for (up to 500 characters).
    description: Option<String>,
    /// Event types (`repair_order.assigned`) and prefixes (`repair_order.*`) to send; empty or
    /// absent for every event.
    event_types: Option<Vec<String>>,
    /// Admins: an internal endpoint, which gets every event (e.g. a notification gateway).
    #[graphql(default = false)]
    internal: bool,
    /// Admins: the partner organization the endpoint is for (partners: their own).
    organization_id: Option<ID>,
}

/// Changes to a webhook endpoint; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateWebhookEndpointInput {
    /// A new URL, checked like `CreateWebhookEndpointInput.url`.
    url: Option<String>,
    /// A new description (up to 500 characters).
    description: Option<String>,
    /// New event types and prefixes; empty for every event.
    event_types: Option<Vec<String>>,
    /// True enables a disabled endpoint again (clearing why it was disabled); false disables it.
    enabled: Option<bool>,
}

pub(super) const MANAGERS: &[Role] = &[Role::Admin, Role::Partner];

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// The webhook endpoints the caller manages: a partner its organization's, an admin every
    /// one.
    /// Partners (their organization's) and admins (all); `FORBIDDEN` for other roles.
    #[graphql(guard = "RoleGuard(MANAGERS)")]
    async fn webhook_endpoints(&self, ctx: &Context<'_>) -> Result<Vec<WebhookEndpoint>> {
        let env = env(ctx)?;
        let endpoints = service::endpoints(&env).await?;
        Ok(endpoints.into_iter().map(Into::into).collect())
    }

    /// One endpoint the caller manages. Partners (their organization's) and admins; `NOT_FOUND`
    /// for one the caller does not manage, `FORBIDDEN` for other roles.
    #[graphql(guard = "RoleGuard(MANAGERS)")]
    async fn webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's id.")] id: ID,
    ) -> Result<WebhookEndpoint> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::WebhookEndpoint)?;
        Ok(service::endpoint(&env, id).await?.into())
    }

    /// An endpoint's messages, newest first, each with its delivery attempts.
    /// Partners (their organization's endpoints) and admins (without `payload`); `NOT_FOUND` for
    /// an endpoint the caller does not manage, `FORBIDDEN` for other roles, `BAD_USER_INPUT` for a
    /// bad `first` or `after`.
    #[graphql(
        guard = "RoleGuard(MANAGERS)",
        complexity = "page_cost(first, child_complexity)"
    )]
    async fn webhook_messages(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's id.")] endpoint_id: ID,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; omit for the first page.")]
        after: Option<String>,
    ) -> Result<KeysetConnection<WebhookMessage>> {
        let env = env(ctx)?;
        let endpoint_id = key(&endpoint_id, NodeType::WebhookEndpoint)?;
        let page = PageRequest::parse(first, after)?;
        let rows = service::messages(&env, endpoint_id, page.after, page.limit()).await?;
        Ok(page.connection(
            rows,
            |row| (row.message.created_at, row.message.id),
            |row| WebhookMessage::new(row.message, row.attempts, env.actor),
        ))
    }
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Creates an endpoint; the answer carries its signing secret, shown this once.
    /// Partners (for their organization) and admins (internal, or for `organizationId`).
    /// `FORBIDDEN` for other roles, or a partner asking for `internal` or another organization;
    /// `BAD_USER_INPUT` for a refused URL, unknown event types or a missing `organizationId`;
    /// `CONFLICT` past 20 endpoints per organization.
    #[graphql(guard = "RoleGuard(MANAGERS)")]
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint.")] input: CreateWebhookEndpointInput,
    ) -> Result<WebhookEndpointSecret> {
        let env = env(ctx)?;
        let organization_id = input
            .organization_id
            .map(|o| key(&o, NodeType::Organization))
            .transpose()
            .map_err(|err| err.missing_as_bad_input("organizationId", "no such organization"))?;
        let new = NewEndpoint {
            url: input.url,
            description: input.description,
            event_types: input.event_types.unwrap_or_default(),
            internal: input.internal,
            organization_id,
        };
        Ok(service::create(&env, new).await?.into())
    }

    /// Changes an endpoint at `version`; fields left out stay as they are.
    /// Partners and admins on endpoints they manage. `NOT_FOUND` (not theirs), `FORBIDDEN` (other
    /// roles), `CONFLICT` (stale `version`), `BAD_USER_INPUT` (a refused URL, unknown event types).
    #[graphql(guard = "RoleGuard(MANAGERS)")]
    async fn update_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's id.")] id: ID,
        #[graphql(desc = "The endpoint's `version` you last read (stale: `CONFLICT`).")]
        version: i32,
        #[graphql(desc = "The changes.")] input: UpdateWebhookEndpointInput,
    ) -> Result<WebhookEndpoint> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::WebhookEndpoint)?;
        let changes = EndpointChanges {
            url: input.url,
            description: input.description,
            event_types: input.event_types,
            enabled: input.enabled,
        };
        Ok(service::update(&env, id, version, changes).await?.into())
    }

    /// Replaces the signing secret; the answer carries the new one, shown this once. For
    /// `overlapSeconds` (default a day, at most a week) messages carry a signature with each
    /// secret, so the receiver can switch without missing a message.
    /// Partners and admins on endpoints they manage. `NOT_FOUND` (not theirs), `FORBIDDEN` (other
    /// roles), `BAD_USER_INPUT` (`overlapSeconds` out of range).
    #[graphql(guard = "RoleGuard(MANAGERS)")]
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's id.")] id: ID,
        #[graphql(
            default = 86_400,
            desc = "Seconds the old secret still signs, 0–604800 (a week); default 86400 (a day)."
        )]
        overlap_seconds: i32,
    ) -> Result<WebhookEndpointSecret> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::WebhookEndpoint)?;
        Ok(service::rotate_secret(&env, id, i64::from(overlap_seconds))
            .await?
            .into())
    }

    /// Deletes an endpoint with its messages and delivery log; returns its id. To pause
    /// deliveries instead, disable it with `updateWebhookEndpoint`.
    /// Partners and admins on endpoints they manage; `NOT_FOUND` (not theirs), `FORBIDDEN` (other
    /// roles).
    #[graphql(guard = "RoleGuard(MANAGERS)")]
    async fn delete_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's id.")] id: ID,
    ) -> Result<ID> {
        let env = env(ctx)?;
        let key = key(&id, NodeType::WebhookEndpoint)?;
        service::delete(&env, key).await?;
        Ok(id)
    }

    /// Sends a message again now, with the same `webhook-id` (e.g. after the receiver lost it,
    /// or after the retry schedule ended); the attempt is logged like any other.
    /// Partners and admins on endpoints they manage; `NOT_FOUND` (not theirs), `FORBIDDEN` (other
    /// roles).
    #[graphql(guard = "RoleGuard(MANAGERS)")]
    async fn redeliver_webhook_message(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The message's id (from `webhookMessages`).")] id: ID,
    ) -> Result<WebhookMessage> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::WebhookMessage)?;
        let row = service::redeliver(&env, id).await?;
        Ok(WebhookMessage::new(row.message, row.attempts, env.actor))
    }
}
