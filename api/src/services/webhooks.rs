//! Managing webhook endpoints (issue 13). A partner key manages its organization's endpoints;
//! an admin manages every endpoint and alone creates internal ones (no organization: they get
//! every event, internal entries included, e.g. for an SMS or push gateway). Anyone else is
//! refused, and an endpoint the caller does not manage looks missing.

use chrono::Duration;
use entity::users::Role;
use entity::{webhook_attempts, webhook_endpoints, webhook_messages};
use sea_orm::Set;

use super::Env;
use crate::domain::identity::Principal;
use crate::domain::webhook::{self, EventFilter};
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::store::{self, Cursor, webhooks::Owner};

/// Longest description.
pub const MAX_DESCRIPTION: usize = 500;

/// Most endpoints of one organization (and internal ones): each event is sent to each, so
/// the number bounds what one event costs.
pub const MAX_ENDPOINTS: u64 = 20;

/// Longest overlap of a secret rotation, in seconds: a week.
pub const MAX_OVERLAP_SECONDS: i64 = 7 * 24 * 3600;

/// What a client asks for when it creates an endpoint.
pub struct NewEndpoint {
    pub url: String,
    pub description: Option<String>,
    pub event_types: Vec<String>,
    /// Admins: an internal endpoint, or one for this organization.
    pub internal: bool,
    pub organization_id: Option<i64>,
}

/// Changes to an endpoint; `None` keeps a field.
#[derive(Default)]
pub struct EndpointChanges {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

/// A message with its delivery log.
pub struct MessageWithAttempts {
    pub message: webhook_messages::Model,
    pub attempts: Vec<webhook_attempts::Model>,
}

/// The endpoints the caller manages.
fn owner(actor: &Principal) -> ApiResult<Owner> {
    match actor {
        Principal::Partner {
            organization_id, ..
        } => Ok(Owner::Organization(*organization_id)),
        _ => {
            actor.require(&[Role::Admin])?;
            Ok(Owner::Any)
        }
    }
}

pub async fn create(env: &Env<'_>, new: NewEndpoint) -> ApiResult<webhook_endpoints::Model> {
    let organization_id = match (owner(env.actor)?, new.internal, new.organization_id) {
        (Owner::Organization(_), true, _) => return Err(ApiError::Forbidden),
        (Owner::Organization(own), false, Some(asked)) if asked != own => {
            return Err(ApiError::Forbidden);
        }
        (Owner::Organization(own), false, _) => Some(own),
        (Owner::Any, true, None) => None,
        (Owner::Any, true, Some(_)) => {
            return Err(ApiError::bad_input(
                "organizationId",
                "an internal endpoint belongs to no organization",
            ));
        }
        (Owner::Any, false, Some(organization)) => {
            store::directory::get_organization(env.db, organization)
                .await
                .map_err(|err| {
                    err.missing_as_bad_input("organizationId", "no such organization")
                })?;
            Some(organization)
        }
        (Owner::Any, false, None) => {
            return Err(ApiError::bad_input(
                "organizationId",
                "name the partner organization, or create an internal endpoint",
            ));
        }
    };
    let mut errors = FieldErrors::default();
    let url =
        errors.check(checked_url(&new.url, env.settings.allow_private_webhook_targets).await)?;
    let filter = errors.check(event_filter(&new.event_types))?;
    let description = errors.check(description(new.description.as_deref()))?;
    let ((url, filter), description) = errors.values(url.zip(filter).zip(description))?;
    if store::webhooks::count_endpoints(env.db, organization_id).await? >= MAX_ENDPOINTS {
        return Err(ApiError::Conflict(format!(
            "there are {MAX_ENDPOINTS} endpoints already; delete one first"
        )));
    }
    let endpoint = webhook_endpoints::ActiveModel {
        organization_id: Set(organization_id),
        url: Set(url),
        description: Set(description),
        event_types: Set(filter.to_json()),
        secret: Set(webhook::generate_secret()),
        previous_secret: Set(None),
        previous_secret_expires_at: Set(None),
        enabled: Set(true),
        disabled_at: Set(None),
        disabled_reason: Set(None),
        failing_since: Set(None),
        created_by: Set(crate::idempotency::principal_key(env.actor).unwrap_or_default()),
        created_at: Set(env.now),
        version: Set(1),
        ..Default::default()
    };
    store::webhooks::insert_endpoint(env.db, endpoint).await
}

pub async fn endpoints(env: &Env<'_>) -> ApiResult<Vec<webhook_endpoints::Model>> {
    store::webhooks::endpoints(env.db, owner(env.actor)?).await
}

pub async fn endpoint(env: &Env<'_>, id: i64) -> ApiResult<webhook_endpoints::Model> {
    store::webhooks::find_endpoint(env.db, owner(env.actor)?, id).await
}

/// Applies `changes` to an endpoint at `version`. Enabling it again clears why it was
/// disabled and its failure streak; its pending messages go out from the next pass on.
pub async fn update(
    env: &Env<'_>,
    id: i64,
    version: i32,
    changes: EndpointChanges,
) -> ApiResult<webhook_endpoints::Model> {
    let current = endpoint(env, id).await?;
    let mut row = webhook_endpoints::ActiveModel::default();
    if let Some(url) = &changes.url {
        row.url = Set(checked_url(url, env.settings.allow_private_webhook_targets).await?);
    }
    if let Some(types) = &changes.event_types {
        row.event_types = Set(event_filter(types)?.to_json());
    }
    if let Some(text) = &changes.description {
        row.description = Set(description(Some(text))?);
    }
    match changes.enabled {
        Some(true) if !current.enabled => {
            row.enabled = Set(true);
            row.disabled_at = Set(None);
            row.disabled_reason = Set(None);
            row.failing_since = Set(None);
        }
        Some(false) if current.enabled => {
            row.enabled = Set(false);
            row.disabled_at = Set(Some(env.now));
            row.disabled_reason = Set(Some("disabled by its owner".into()));
        }
        _ => {}
    }
    store::webhooks::update_endpoint(env.db, id, version, row).await
}

/// A new secret; the current one stays valid (messages carry both signatures) for
/// `overlap_seconds`, so receivers can switch without losing a message.
pub async fn rotate_secret(
    env: &Env<'_>,
    id: i64,
    overlap_seconds: i64,
) -> ApiResult<webhook_endpoints::Model> {
    if !(0..=MAX_OVERLAP_SECONDS).contains(&overlap_seconds) {
        return Err(ApiError::bad_input(
            "overlapSeconds",
            format!("overlapSeconds must be 0..={MAX_OVERLAP_SECONDS}"),
        ));
    }
    let current = endpoint(env, id).await?;
    let row = webhook_endpoints::ActiveModel {
        secret: Set(webhook::generate_secret()),
        previous_secret: Set(Some(current.secret)),
        previous_secret_expires_at: Set(Some(env.now + Duration::seconds(overlap_seconds))),
        ..Default::default()
    };
    store::webhooks::update_endpoint(env.db, id, current.version, row).await
}

/// Deletes an endpoint with its messages and delivery log.
pub async fn delete(env: &Env<'_>, id: i64) -> ApiResult<()> {
    let endpoint = endpoint(env, id).await?;
    store::webhooks::delete_endpoint(env.db, endpoint.id).await
}

/// One page of an endpoint's messages, newest first, each with its attempts.
pub async fn messages(
    env: &Env<'_>,
    endpoint_id: i64,
    after: Option<Cursor>,
    limit: u64,
) -> ApiResult<Vec<MessageWithAttempts>> {
    let endpoint = endpoint(env, endpoint_id).await?;
    let messages = store::webhooks::messages(env.db, endpoint.id, after, limit).await?;
    let ids: Vec<i64> = messages.iter().map(|m| m.id).collect();
    let mut attempts = store::webhooks::attempts(env.db, &ids).await?;
    Ok(messages
        .into_iter()
        .map(|message| {
            let (mine, rest) = attempts.drain(..).partition(|a| a.message_id == message.id);
            attempts = rest;
            MessageWithAttempts {
                message,
                attempts: mine,
            }
        })
        .collect())
}

/// One message of an endpoint the caller manages, with its attempts. A message of an endpoint
/// the caller may not see does not exist for them; an outage stays an outage.
pub async fn message(env: &Env<'_>, message_id: i64) -> ApiResult<MessageWithAttempts> {
    let message = store::webhooks::find_message(env.db, message_id)
        .await?
        .ok_or(ApiError::NotFound("webhook message"))?;
    endpoint(env, message.endpoint_id)
        .await
        .map_err(|err| match err {
            ApiError::NotFound(_) => ApiError::NotFound("webhook message"),
            other => other,
        })?;
    let attempts = store::webhooks::attempts(env.db, &[message.id]).await?;
    Ok(MessageWithAttempts { message, attempts })
}

/// Schedules another attempt of a message now, with the same `webhook-id`, whatever became of
/// the earlier ones.
pub async fn redeliver(env: &Env<'_>, message_id: i64) -> ApiResult<MessageWithAttempts> {
    let found = message(env, message_id).await?;
    let message = store::webhooks::redeliver(env.db, found.message.id, env.now).await?;
    Ok(MessageWithAttempts {
        message,
        attempts: found.attempts,
    })
}

/// The URL if the server may call it: its form (`domain::webhook::parse_url`) and, unless
/// private targets are allowed, every address its host resolves to now.
async fn checked_url(raw: &str, allow_private: bool) -> ApiResult<String> {
    let url =
        webhook::parse_url(raw, allow_private).map_err(|msg| ApiError::bad_input("url", msg))?;
    if !allow_private && let Some(url::Host::Domain(host)) = url.host() {
        let port = url.port_or_known_default().unwrap_or(443);
        let addrs: Vec<_> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| ApiError::bad_input("url", format!("{host} does not resolve")))?
            .collect();
        if let Some(private) = addrs.iter().find(|a| !webhook::is_public(a.ip())) {
            return Err(ApiError::bad_input(
                "url",
                format!(
                    "{host} resolves to {}, a private, loopback or link-local address",
                    private.ip()
                ),
            ));
        }
    }
    Ok(url.to_string())
}

fn event_filter(types: &[String]) -> ApiResult<EventFilter> {
    EventFilter::parse(types).map_err(|msg| ApiError::bad_input("eventTypes", msg))
}

fn description(text: Option<&str>) -> ApiResult<String> {
    let text = text.unwrap_or_default().trim();
    if text.chars().count() > MAX_DESCRIPTION {
        return Err(ApiError::bad_input(
            "description",
            format!("description must be at most {MAX_DESCRIPTION} characters"),
        ));
    }
    Ok(text.to_owned())
}
