//! Webhook delivery (issue 13), in two steps that any number of instances run side by side.
//!
//! The dispatcher reads the timeline, which is the transactional outbox (every change writes
//! its entry in its own transaction), from the stored position on in commit order, and makes
//! one message per event for each enabled endpoint that wants it, moving the position in the
//! same transaction. The position's row is locked on PostgreSQL, so two dispatchers never
//! read the same events, and the unique (endpoint, event) index is the second guard.
//!
//! The worker claims due messages (`FOR UPDATE SKIP LOCKED` on PostgreSQL, a lease on both
//! databases), POSTs each signed, logs the attempts and schedules the next ones by
//! `domain::webhook::RETRY_SCHEDULE` (one transaction per claim); an endpoint
//! failing for five days is disabled. Messages of one endpoint go out in order within a pass;
//! endpoints are served concurrently.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use entity::webhook_messages::{self, MessageStatus};
use entity::{webhook_attempts, webhook_endpoints};
use sea_orm::{DatabaseConnection, Set};

use crate::domain::clock::Clock;
use crate::domain::webhook::{self, EventFilter};
use crate::error::{ApiError, ApiResult};
use crate::store;
use crate::store::events::{Owned, Position};

/// Events read per dispatcher transaction.
const BATCH: u64 = 100;

/// Messages claimed per pass.
const CLAIM: u32 = 50;

/// Delivery settings (`WEBHOOK_*`).
#[derive(Clone, Debug)]
pub struct WebhookSettings {
    pub connect_timeout: StdDuration,
    /// For the whole request, response body included.
    pub timeout: StdDuration,
    /// Lets targets resolve to private, loopback and link-local addresses (tests, or a
    /// gateway inside our own network).
    pub allow_private_targets: bool,
}

/// The HTTP client webhooks are sent with: timeouts, no redirects, no proxy, and, unless
/// private targets are allowed, a resolver that drops every non-public address, so a host
/// that resolves to an internal one at delivery time (DNS rebinding) gets no request.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    allow_private_targets: bool,
    /// How long a claimed message stays this worker's: one endpoint's messages go out one
    /// after another, so as long as all of a pass's claim may take at the timeout, and a
    /// minute. A message of a worker that died is taken up again after it.
    lease: Duration,
    /// Counts attempts by outcome for `/metrics`, when set (see `observed_by`).
    metrics: Option<Arc<crate::metrics::Metrics>>,
}

impl Sender {
    /// Counts this sender's attempts in `metrics` (`servicedesk_webhook_attempts_total`).
    pub fn observed_by(mut self, metrics: Arc<crate::metrics::Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    pub fn new(settings: &WebhookSettings) -> ApiResult<Self> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("servicedesk-webhooks/", env!("CARGO_PKG_VERSION")));
        if !settings.allow_private_targets {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        Ok(Self {
            client: builder
                .build()
                .map_err(|err| ApiError::Internal(format!("webhook HTTP client: {err}")))?,
            allow_private_targets: settings.allow_private_targets,
            lease: settings
                .timeout
                .checked_mul(CLAIM)
                .and_then(|all| Duration::from_std(all).ok())
                .unwrap_or(Duration::days(1))
                + Duration::minutes(1),
            metrics: None,
        })
    }
}

/// Resolves host names to their public addresses only.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let public: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|addr| webhook::is_public(addr.ip()))
                .collect();
            if public.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

/// What one pass did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Messages made from new timeline events.
    pub dispatched: u64,
    /// Attempts made, and how many of them the endpoint accepted.
    pub attempted: usize,
    pub delivered: usize,
    /// A full claim: more messages may be due already.
    pub more: bool,
}

/// Dispatches new events, then sends up to a claim of the messages due at `now`. The
/// background loop calls it on each tick, and again at once while there is more; tests call
/// it with the time of their clock.
pub async fn run(
    db: &DatabaseConnection,
    sender: &Sender,
    now: DateTime<Utc>,
) -> ApiResult<Report> {
    let dispatched = dispatch(db, now).await?;
    let (attempted, delivered, more) = deliver_due(db, sender, now).await?;
    Ok(Report {
        dispatched,
        attempted,
        delivered,
        more,
    })
}

/// Makes the messages of the events after the stored position; returns how many.
pub async fn dispatch(db: &DatabaseConnection, now: DateTime<Utc>) -> ApiResult<u64> {
    let mut made = 0;
    loop {
        let txn = store::begin_write(db).await?;
        let at = store::webhooks::lock_dispatch_position(&txn).await?;
        let events = store::events::owned(&txn, at, BATCH).await?;
        let Some(last) = events.last() else {
            txn.commit().await?;
            return Ok(made);
        };
        let last = Position::of(&last.event);
        let endpoints: Vec<(webhook_endpoints::Model, EventFilter)> =
            store::webhooks::enabled_endpoints(&txn)
                .await?
                .into_iter()
                .map(|endpoint| {
                    let filter = EventFilter::from_json(&endpoint.event_types);
                    (endpoint, filter)
                })
                .collect();
        let mut messages = Vec::new();
        for Owned { event, access } in &events {
            let event_type = webhook::event_type(event.ticket_kind, &event.action);
            for (endpoint, filter) in &endpoints {
                if event.created_at >= endpoint.created_at
                    && webhook::visible_to(endpoint.organization_id, event, access.organization_id)
                    && filter.matches(&event_type)
                {
                    messages.push(webhook_messages::ActiveModel {
                        endpoint_id: Set(endpoint.id),
                        event_id: Set(Some(event.id)),
                        msg_id: Set(webhook::message_id()),
                        event_type: Set(event_type.clone()),
                        payload: Set(webhook::payload(event, &Position::of(event).encode())),
                        status: Set(MessageStatus::Pending),
                        attempts: Set(0),
                        next_attempt_at: Set(now),
                        locked_until: Set(None),
                        created_at: Set(now),
                        ..Default::default()
                    });
                }
            }
        }
        made += store::webhooks::insert_messages(&txn, messages).await?;
        store::webhooks::set_dispatch_position(&txn, last).await?;
        txn.commit().await?;
        if (events.len() as u64) < BATCH {
            return Ok(made);
        }
    }
}

/// Claims and sends up to `CLAIM` messages due at `now`; returns the attempts made, how many
/// were accepted, and whether the claim was full.
pub async fn deliver_due(
    db: &DatabaseConnection,
    sender: &Sender,
    now: DateTime<Utc>,
) -> ApiResult<(usize, usize, bool)> {
    let lease_until = now + sender.lease;
    let txn = store::begin_write(db).await?;
    let claimed = store::webhooks::claim_due(&txn, now, lease_until, u64::from(CLAIM)).await?;
    txn.commit().await?;
    let full = claimed.len() == CLAIM as usize;
    let mut by_endpoint: BTreeMap<i64, Vec<webhook_messages::Model>> = BTreeMap::new();
    for message in claimed {
        by_endpoint
            .entry(message.endpoint_id)
            .or_default()
            .push(message);
    }
    let mut sending = tokio::task::JoinSet::new();
    for (endpoint_id, messages) in by_endpoint {
        let (db, sender) = (db.clone(), sender.clone());
        sending.spawn(async move {
            // Deleted meanwhile: its messages went with it.
            let endpoint =
                store::webhooks::find_endpoint(&db, store::webhooks::Owner::Any, endpoint_id)
                    .await?;
            let mut tries = Vec::with_capacity(messages.len());
            for message in messages {
                let tried = attempt(&sender, &endpoint, &message, now).await;
                tries.push((message, tried));
            }
            ApiResult::Ok((endpoint, tries))
        });
    }
    let mut sent = Vec::new();
    while let Some(group) = sending.join_next().await {
        match group.map_err(|err| ApiError::Internal(format!("webhook sender: {err}")))? {
            Ok(group) => sent.push(group),
            Err(err) => tracing::warn!(error = ?err, "webhook endpoint gone while sending"),
        }
    }
    let outcomes = record(db, sent, lease_until, now).await?;
    let attempted = outcomes.iter().flatten().count();
    let delivered = outcomes
        .iter()
        .flatten()
        .filter(|accepted| **accepted)
        .count();
    Ok((attempted, delivered, full))
}

/// The result of one request.
struct Answer {
    status: Option<u16>,
    body: Option<String>,
    error: Option<String>,
    retry_after: Option<Duration>,
}

/// One attempt at a message: its log row and what becomes of the message.
struct Tried {
    accepted: bool,
    log: webhook_attempts::ActiveModel,
    status: MessageStatus,
    next_attempt_at: DateTime<Utc>,
}

/// Sends `message` once and decides its next state by the retry schedule.
async fn attempt(
    sender: &Sender,
    endpoint: &webhook_endpoints::Model,
    message: &webhook_messages::Model,
    now: DateTime<Utc>,
) -> Tried {
    let started = Instant::now();
    let answer = send(sender, endpoint, message, now).await;
    let duration_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    if let Some(metrics) = &sender.metrics {
        metrics.observe_webhook_attempt(answer.status);
    }
    let accepted = answer.status.is_some_and(|s| (200..300).contains(&s));
    let attempts = u32::try_from(message.attempts).unwrap_or(0) + 1;
    let (status, next_attempt_at) = if accepted {
        (MessageStatus::Delivered, now)
    } else {
        match webhook::next_attempt(attempts, answer.retry_after) {
            Some(wait) => (MessageStatus::Pending, now + wait),
            None => (MessageStatus::Failed, now),
        }
    };
    let log = webhook_attempts::ActiveModel {
        message_id: Set(message.id),
        attempted_at: Set(now),
        duration_ms: Set(duration_ms),
        response_status: Set(answer.status.map(i32::from)),
        error: Set(answer.error),
        response_body: Set(answer.body),
        ..Default::default()
    };
    Tried {
        accepted,
        log,
        status,
        next_attempt_at,
    }
}

/// Records the attempts of a claim, with the messages' next states and the endpoints' failure
/// streaks, in one transaction: a commit per delivery bounded delivery to the database's
/// commit rate. If it fails, the messages go out again after their lease (receivers
/// deduplicate by `webhook-id`). Per attempt: `Some(accepted)` when it was recorded, `None`
/// when the lease was lost to another worker meanwhile.
async fn record(
    db: &DatabaseConnection,
    sent: Vec<(
        webhook_endpoints::Model,
        Vec<(webhook_messages::Model, Tried)>,
    )>,
    lease_until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> ApiResult<Vec<Option<bool>>> {
    let txn = store::begin_write(db).await?;
    let mut outcomes = Vec::new();
    for (mut endpoint, tries) in sent {
        for (message, tried) in tries {
            let recorded = store::webhooks::finish_attempt(
                &txn,
                &message,
                lease_until,
                tried.log,
                tried.status,
                tried.next_attempt_at,
            )
            .await?;
            outcomes.push(recorded.then_some(tried.accepted));
            if recorded {
                failure_streak(&txn, &mut endpoint, tried.accepted, now).await?;
            }
        }
    }
    txn.commit().await?;
    Ok(outcomes)
}

/// Keeps the endpoint's failure streak (in the database and in `endpoint`) after an attempt,
/// and disables it once the streak is `DISABLE_AFTER` long.
async fn failure_streak(
    txn: &sea_orm::DatabaseTransaction,
    endpoint: &mut webhook_endpoints::Model,
    accepted: bool,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    match (accepted, endpoint.failing_since) {
        (true, Some(_)) => {
            store::webhooks::end_failure_streak(txn, endpoint.id).await?;
            endpoint.failing_since = None;
        }
        (false, None) => {
            store::webhooks::start_failure_streak(txn, endpoint.id, now).await?;
            endpoint.failing_since = Some(now);
        }
        (false, Some(since)) if endpoint.enabled && now - since >= webhook::DISABLE_AFTER => {
            let reason = format!(
                "every delivery failed since {}; fix the receiver, then enable the endpoint again",
                since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            );
            let failing_before = now - webhook::DISABLE_AFTER;
            if store::webhooks::disable_failing(txn, endpoint.id, failing_before, reason, now)
                .await?
            {
                endpoint.enabled = false;
                tracing::warn!(
                    endpoint_id = endpoint.id,
                    "webhook endpoint disabled after failing for days"
                );
            }
        }
        _ => {}
    }
    Ok(())
}

/// POSTs the message, signed with every secret in use at `now`.
async fn send(
    sender: &Sender,
    endpoint: &webhook_endpoints::Model,
    message: &webhook_messages::Model,
    now: DateTime<Utc>,
) -> Answer {
    let failed = |error: String| Answer {
        status: None,
        body: None,
        error: Some(error.replace('\0', "")),
        retry_after: None,
    };
    // A literal IP host never reaches the resolver: checked here, at every delivery.
    if let Err(refused) = webhook::parse_url(&endpoint.url, sender.allow_private_targets) {
        return failed(refused);
    }
    let mut secrets = vec![endpoint.secret.as_str()];
    if let (Some(previous), Some(until)) = (
        &endpoint.previous_secret,
        endpoint.previous_secret_expires_at,
    ) && until > now
    {
        secrets.push(previous);
    }
    let timestamp = now.timestamp();
    let signature =
        webhook::signature_header(&secrets, &message.msg_id, timestamp, &message.payload);
    let request = sender
        .client
        .post(&endpoint.url)
        .header("content-type", "application/json")
        .header("webhook-id", &message.msg_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(message.payload.clone());
    let mut response = match request.send().await {
        Ok(response) => response,
        Err(err) => return failed(describe(&err)),
    };
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| webhook::parse_retry_after(value, now));
    let mut body = Vec::new();
    let mut error = None;
    while body.len() < webhook::BODY_PREFIX_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(err) => {
                error = Some(describe(&err));
                break;
            }
        }
    }
    body.truncate(webhook::BODY_PREFIX_BYTES);
    Answer {
        status: Some(status),
        body: Some(String::from_utf8_lossy(&body).replace('\0', "")),
        error,
        retry_after,
    }
}

/// An error with its causes: reqwest's own message alone says only "error sending request".
fn describe(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Runs [`run`] every `interval`, and again at once while a pass had more to send, until the
/// process ends; errors are logged, not fatal.
pub fn spawn(
    db: DatabaseConnection,
    sender: Sender,
    clock: Arc<dyn Clock>,
    interval: StdDuration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            loop {
                match run(&db, &sender, clock.now()).await {
                    Ok(report) => {
                        if report.dispatched > 0 || report.attempted > 0 {
                            tracing::info!(
                                dispatched = report.dispatched,
                                attempted = report.attempted,
                                delivered = report.delivered,
                                "webhooks"
                            );
                        }
                        if !report.more {
                            break;
                        }
                    }
                    Err(err) => {
                        tracing::error!(error = ?err, "webhook pass failed");
                        break;
                    }
                }
            }
        }
    })
}
