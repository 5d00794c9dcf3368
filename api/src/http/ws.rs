//! GraphQL subscriptions over WebSocket at `/graphql/ws`, in both the `graphql-transport-ws`
//! protocol and the legacy `graphql-ws` (subscriptions-transport-ws) one. async-graphql speaks
//! the protocols; this driver sits between it and the socket and adds what a server on the
//! internet needs: credentials in `connection_init` (browsers cannot set headers on a
//! WebSocket), a deadline for them, keep-alive pings, a cap on connections and on
//! subscriptions per connection, document limits as on HTTP, a send timeout for clients that
//! stop reading, and an end to the connection when its caller's rights end (R-PRV-4: account
//! deactivated or changed, API key revoked, token expired) or the server stops.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocket, WebSocketProtocols, WsMessage};
use async_graphql::{Data, ServerError};
use axum::extract::ws::{CloseFrame, Message, WebSocket as Socket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::header::{AUTHORIZATION, SEC_WEBSOCKET_PROTOCOL};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::time::Instant;

use super::auth::authenticate_until;
use crate::app::AppState;
use crate::auth::principals::Revocation;
use crate::config::Config;
use crate::domain::identity::Principal;
use crate::error::ApiError;
use crate::graphql::{Checked, ClientIp, Hangup};
use crate::store;

/// Client messages queued for async-graphql; it drains them as they come, so a full queue is a
/// client flooding the connection.
const INBOX: usize = 64;

/// Initial read buffer of a connection; it grows for a larger message.
const READ_BUFFER: usize = 4 * 1024;

/// Limits of live connections, from the configuration.
#[derive(Clone, Debug)]
pub struct LiveLimits {
    connections: Arc<Semaphore>,
    max_subscriptions: usize,
    init_timeout: Duration,
    keepalive: Duration,
    send_timeout: Duration,
    max_message_bytes: usize,
}

impl LiveLimits {
    pub fn from_config(config: &Config) -> Self {
        Self {
            connections: Arc::new(Semaphore::new(config.ws_max_connections)),
            max_subscriptions: config.ws_max_subscriptions.max(1),
            init_timeout: Duration::from_secs(config.ws_init_timeout_seconds.max(1)),
            keepalive: Duration::from_secs(config.ws_keepalive_seconds.max(1)),
            send_timeout: Duration::from_secs(config.ws_send_timeout_seconds.max(1)),
            max_message_bytes: config.body_limit_bytes,
        }
    }
}

pub async fn upgrade(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    // The first subprotocol offered that async-graphql speaks.
    let Some(protocol) = headers
        .get(SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())
        .and_then(|offered| {
            offered
                .split(',')
                .find_map(|name| WebSocketProtocols::from_str(name.trim()).ok())
        })
    else {
        return (
            StatusCode::BAD_REQUEST,
            "offer the graphql-transport-ws or graphql-ws subprotocol",
        )
            .into_response();
    };
    let limits = state.transport.live.clone();
    let Ok(permit) = limits.connections.clone().try_acquire_owned() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [("retry-after", "5")],
            "too many live connections; try again shortly",
        )
            .into_response();
    };
    let client_ip = state.transport.client_ip.resolve(peer.ip(), &headers);
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(limits.max_message_bytes)
        // Buffers sized for small messages: the defaults (128 KiB each way) made an idle
        // subscription cost about 150 KiB of server memory.
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_write_buffer_size(limits.max_message_bytes.saturating_mul(2))
        .on_upgrade(move |socket| async move {
            Connection::new(state, protocol, ClientIp(client_ip), permit)
                .run(socket)
                .await;
        })
}

/// Who the connection speaks for, once `connection_init` was accepted.
struct Caller {
    principal: Principal,
    until: Option<DateTime<Utc>>,
}

/// Why the server closes a connection: a WebSocket close code and a reason for the client.
struct Close(u16, String);

impl Close {
    fn new(code: u16, reason: &str) -> Self {
        Self(code, reason.to_owned())
    }
}

/// The protocol fields the driver itself needs from a client message.
#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    id: Option<String>,
    payload: Option<serde_json::Value>,
}

struct Connection {
    state: AppState,
    protocol: WebSocketProtocols,
    client_ip: ClientIp,
    caller: Arc<OnceLock<Caller>>,
    /// Ids of the subscriptions running now.
    running: HashSet<String>,
    init_sent: bool,
    _permit: OwnedSemaphorePermit,
}

impl Connection {
    fn new(
        state: AppState,
        protocol: WebSocketProtocols,
        client_ip: ClientIp,
        permit: OwnedSemaphorePermit,
    ) -> Self {
        Self {
            state,
            protocol,
            client_ip,
            caller: Arc::new(OnceLock::new()),
            running: HashSet::new(),
            init_sent: false,
            _permit: permit,
        }
    }

    async fn run(mut self, socket: Socket) {
        let limits = self.state.transport.live.clone();
        let (mut sink, mut incoming) = socket.split();
        let (inbox, queued) = mpsc::channel::<String>(INBOX);
        let (hangup, mut hangups) = mpsc::channel::<(u16, String)>(1);
        let mut revocations = self.state.principals.revocations();
        let mut closing = self.state.transport.closing.subscribe();
        let protocol = Box::pin(messages(queued));
        let mut data = Data::default();
        data.insert(self.client_ip);
        data.insert(Hangup::new(hangup));
        let mut graphql = WebSocket::new(self.state.schema.clone(), protocol, self.protocol)
            .connection_data(data)
            .on_connection_init({
                let (state, caller) = (self.state.clone(), self.caller.clone());
                move |payload| init(state, caller, payload)
            });
        let started = Instant::now();
        let mut heard = Instant::now();
        let mut pings = tokio::time::interval_at(started + limits.keepalive, limits.keepalive);
        let close = loop {
            let expiry = self.expiry();
            tokio::select! {
                message = incoming.next() => {
                    let Some(Ok(message)) = message else { return };
                    heard = Instant::now();
                    let text = match message {
                        Message::Text(text) => text.to_string(),
                        Message::Binary(bytes) => match String::from_utf8(bytes.to_vec()) {
                            Ok(text) => text,
                            Err(_) => break Close::new(4400, "messages must be UTF-8 JSON"),
                        },
                        Message::Close(_) => return,
                        Message::Ping(_) | Message::Pong(_) => continue,
                    };
                    match self.admit(&text) {
                        Ok(None) => {}
                        Ok(Some(refusal)) => {
                            if send(&mut sink, Message::Text(refusal.into()), limits.send_timeout).await.is_err() {
                                return;
                            }
                            continue;
                        }
                        Err(close) => break close,
                    }
                    if inbox.try_send(text).is_err() {
                        break Close::new(1008, "too many messages at once");
                    }
                }
                reply = graphql.next() => match reply {
                    Some(WsMessage::Text(text)) => {
                        self.finished(&text);
                        if send(&mut sink, Message::Text(text.into()), limits.send_timeout).await.is_err() {
                            return;
                        }
                    }
                    // A refused `connection_init` is 4403 Forbidden in graphql-transport-ws.
                    Some(WsMessage::Close(1002, reason)) if self.init_sent && self.caller.get().is_none() => {
                        break Close(4403, reason)
                    }
                    Some(WsMessage::Close(code, reason)) => break Close(code, reason),
                    None => break Close::new(1000, "done"),
                },
                Some((code, reason)) = hangups.recv() => break Close(code, reason),
                revoked = revocations.recv() => {
                    let revoked = revoked.unwrap_or(Revocation::Everyone);
                    if let Some(close) = self.recheck(revoked).await {
                        break close;
                    }
                }
                () = sleep_until_instant(expiry) => break Close::new(4403, "the access token expired; reconnect with a fresh one"),
                _ = pings.tick() => {
                    if heard.elapsed() >= limits.keepalive * 3 {
                        break Close::new(1001, "no answer to keep-alive pings");
                    }
                    if send(&mut sink, Message::Ping(Default::default()), limits.send_timeout).await.is_err()
                        || send(&mut sink, Message::Text(self.keepalive().into()), limits.send_timeout).await.is_err()
                    {
                        return;
                    }
                }
                () = init_deadline(started + limits.init_timeout, self.caller.get().is_some()) => {
                    break Close::new(4408, "connection initialisation timeout");
                }
                () = super::serve::closed(&mut closing) => break Close::new(1001, "the server is shutting down"),
            }
        };
        let frame = CloseFrame {
            code: close.0,
            reason: close.1.into(),
        };
        let _ = send(&mut sink, Message::Close(Some(frame)), limits.send_timeout).await;
    }

    /// When the caller's token expires, if it does.
    fn expiry(&self) -> Option<Instant> {
        let until = self.caller.get()?.until?;
        let left = (until - self.state.clock.now())
            .to_std()
            .unwrap_or_default();
        Some(Instant::now() + left)
    }

    /// Checks a client message before async-graphql sees it: `Ok(None)` to pass it on,
    /// `Ok(Some(reply))` to answer it here instead, `Err` to close the connection.
    fn admit(&mut self, text: &str) -> Result<Option<String>, Close> {
        // Unreadable messages are async-graphql's to refuse, in the protocol's own way.
        let Ok(envelope) = serde_json::from_str::<Envelope>(text) else {
            return Ok(None);
        };
        if envelope.kind == "connection_init" {
            self.init_sent = true;
        }
        let (start, stop) = match self.protocol {
            WebSocketProtocols::GraphQLWS => ("subscribe", "complete"),
            WebSocketProtocols::SubscriptionsTransportWS => ("start", "stop"),
        };
        let Some(id) = envelope.id else {
            return Ok(None);
        };
        if envelope.kind == stop {
            self.running.remove(&id);
            return Ok(None);
        }
        if envelope.kind != start || self.caller.get().is_none() {
            return Ok(None);
        }
        if self.running.contains(&id) {
            return Err(Close(4409, format!("Subscriber for {id} already exists")));
        }
        if self.running.len() >= self.state.transport.live.max_subscriptions {
            let error = ApiError::RateLimited {
                retry_after_secs: 1,
            };
            let refusal = ServerError::new(
                format!(
                    "at most {} subscriptions per connection; complete one first",
                    self.state.transport.live.max_subscriptions
                ),
                None,
            );
            return Ok(Some(self.error_message(&id, refusal, error.code())));
        }
        let query = envelope
            .payload
            .as_ref()
            .and_then(|payload| payload.get("query"))
            .and_then(|query| query.as_str())
            .unwrap_or_default();
        if let Checked::TooLarge(reason) = self.state.documents.check(query) {
            let refusal = crate::graphql::document_limits::rejection(&reason);
            return Ok(Some(self.error_message(
                &id,
                refusal,
                "GRAPHQL_VALIDATION_FAILED",
            )));
        }
        self.running.insert(id);
        Ok(None)
    }

    /// Forgets subscriptions the server ended (completed, or failed).
    fn finished(&mut self, reply: &str) {
        if let Ok(envelope) = serde_json::from_str::<Envelope>(reply)
            && matches!(envelope.kind.as_str(), "complete" | "error")
            && let Some(id) = envelope.id
        {
            self.running.remove(&id);
        }
    }

    fn error_message(&self, id: &str, mut error: ServerError, code: &str) -> String {
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", code);
        let payload = match self.protocol {
            WebSocketProtocols::GraphQLWS => json!([error]),
            WebSocketProtocols::SubscriptionsTransportWS => json!(error),
        };
        json!({ "id": id, "type": "error", "payload": payload }).to_string()
    }

    fn keepalive(&self) -> String {
        match self.protocol {
            WebSocketProtocols::GraphQLWS => json!({ "type": "ping" }),
            WebSocketProtocols::SubscriptionsTransportWS => json!({ "type": "ka" }),
        }
        .to_string()
    }

    /// Whether the caller may still listen after `revoked`; the reason to close if not.
    async fn recheck(&self, revoked: Revocation) -> Option<Close> {
        let caller = self.caller.get()?;
        match (&caller.principal, revoked) {
            (Principal::User(user), Revocation::User(id)) if user.id != id => None,
            (Principal::User(user), Revocation::User(_) | Revocation::Everyone) => {
                match self
                    .state
                    .principals
                    .active_user(&self.state.db, user.id)
                    .await
                {
                    Ok(Some(now)) if now == *user => None,
                    Ok(_) => Some(Close::new(
                        4403,
                        "the account was deactivated or changed; log in again",
                    )),
                    // Unknown for now: the next change or the token's expiry decides.
                    Err(_) => None,
                }
            }
            (Principal::Partner { api_key_id, .. }, Revocation::ApiKey(id))
                if *api_key_id != id =>
            {
                None
            }
            (
                Principal::Partner { api_key_id, .. },
                Revocation::ApiKey(_) | Revocation::Everyone,
            ) => match store::api_keys::is_active(&self.state.db, *api_key_id).await {
                Ok(false) => Some(Close::new(4403, "the API key was revoked")),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Authenticates `connection_init`: its payload carries what the `Authorization` header
/// would (`{"Authorization": "Bearer …"}` or `"ApiKey …"`). Anonymous callers see no tickets,
/// so they are refused.
async fn init(
    state: AppState,
    caller: Arc<OnceLock<Caller>>,
    payload: serde_json::Value,
) -> async_graphql::Result<Data> {
    let credential = payload.as_object().and_then(|fields| {
        fields
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
            .and_then(|(_, value)| value.as_str())
    });
    let mut headers = HeaderMap::new();
    if let Some(value) = credential.and_then(|value| HeaderValue::from_str(value).ok()) {
        headers.insert(AUTHORIZATION, value);
    }
    let (principal, until) = authenticate_until(&state, &headers)
        .await
        .map_err(async_graphql::Error::from)?;
    if matches!(principal, Principal::Anonymous) {
        return Err(ApiError::Unauthenticated.into());
    }
    let mut data = Data::default();
    data.insert(principal.clone());
    let _ = caller.set(Caller { principal, until });
    Ok(data)
}

async fn send(
    sink: &mut futures_util::stream::SplitSink<Socket, Message>,
    message: Message,
    timeout: Duration,
) -> Result<(), ()> {
    match tokio::time::timeout(timeout, sink.send(message)).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

async fn sleep_until_instant(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Fires at `deadline` unless the connection was initialised.
async fn init_deadline(deadline: Instant, initialised: bool) {
    if initialised {
        std::future::pending::<()>().await;
    }
    tokio::time::sleep_until(deadline).await;
}

/// The queued client messages as the stream async-graphql reads.
fn messages(queued: mpsc::Receiver<String>) -> impl futures_util::Stream<Item = String> {
    futures_util::stream::unfold(queued, |mut queued| async move {
        let message = queued.recv().await?;
        Some((message, queued))
    })
}
