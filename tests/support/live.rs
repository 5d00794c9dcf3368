//! A WebSocket GraphQL client for subscription tests, speaking either protocol.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::{Auth, TestApp};

/// How long a test waits for a message before failing.
const PATIENCE: Duration = Duration::from_secs(15);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// `graphql-transport-ws` (the graphql-ws library).
    TransportWs,
    /// The legacy `graphql-ws` (subscriptions-transport-ws).
    Legacy,
}

impl Protocol {
    fn name(self) -> &'static str {
        match self {
            Self::TransportWs => "graphql-transport-ws",
            Self::Legacy => "graphql-ws",
        }
    }
}

pub struct LiveClient {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub protocol: Protocol,
}

/// What the server sent next.
#[derive(Debug)]
pub enum Received {
    Message(Value),
    Closed(u16, String),
}

impl TestApp {
    /// Opens `/graphql/ws` without initialising.
    pub async fn live_socket(&self, protocol: Protocol) -> LiveClient {
        let url = format!("{}/graphql/ws", self.base_url.replacen("http", "ws", 1));
        let mut request = url.into_client_request().expect("request");
        request.headers_mut().insert(
            "sec-websocket-protocol",
            protocol.name().parse().expect("header"),
        );
        let (ws, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("WebSocket handshake");
        LiveClient { ws, protocol }
    }

    /// Opens `/graphql/ws` and initialises it with `auth`, expecting the acknowledgement.
    pub async fn live(&self, auth: &Auth, protocol: Protocol) -> LiveClient {
        let mut client = self.live_socket(protocol).await;
        client.init(auth).await;
        match client.next().await {
            Received::Message(ack) => assert_eq!(ack["type"], "connection_ack", "{ack}"),
            closed => panic!("connection_init refused: {closed:?}"),
        }
        client
    }
}

impl LiveClient {
    pub async fn send(&mut self, message: Value) {
        self.ws
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("send");
    }

    /// Sends `connection_init` with the credentials as an `Authorization` value.
    pub async fn init(&mut self, auth: &Auth) {
        let payload = match auth {
            Auth::None => json!({}),
            Auth::Bearer(token) => json!({ "Authorization": format!("Bearer {token}") }),
            Auth::ApiKey(key) => json!({ "Authorization": format!("ApiKey {key}") }),
        };
        self.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
    }

    /// Starts subscription `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        let kind = match self.protocol {
            Protocol::TransportWs => "subscribe",
            Protocol::Legacy => "start",
        };
        self.send(json!({ "id": id, "type": kind,
            "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// The next protocol message or the close, answering keep-alive pings on the way.
    pub async fn next(&mut self) -> Received {
        loop {
            let frame = tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .expect("a message within the patience");
            match frame {
                Some(Ok(Message::Text(text))) => {
                    let message: Value = serde_json::from_str(&text).expect("JSON message");
                    match message["type"].as_str() {
                        Some("ping") => self.send(json!({ "type": "pong" })).await,
                        Some("ka") => {}
                        _ => return Received::Message(message),
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    return match frame {
                        Some(frame) => {
                            Received::Closed(frame.code.into(), frame.reason.to_string())
                        }
                        None => Received::Closed(u16::from(CloseCode::Status), String::new()),
                    };
                }
                Some(Ok(Message::Ping(payload))) => {
                    let _ = self.ws.send(Message::Pong(payload)).await;
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return Received::Closed(1006, "dropped".into()),
            }
        }
    }

    /// The next message, which must be one.
    pub async fn message(&mut self) -> Value {
        match self.next().await {
            Received::Message(message) => message,
            closed => panic!("expected a message, got {closed:?}"),
        }
    }

    /// The next data of subscription `id` (`next` or `data`), which must come next.
    pub async fn event(&mut self, id: &str) -> Value {
        let message = self.message().await;
        assert_eq!(message["id"], id, "{message}");
        assert!(
            matches!(message["type"].as_str(), Some("next" | "data")),
            "{message}"
        );
        message["payload"].clone()
    }

    /// The ticket events of subscription `id` until `count` came.
    pub async fn edges(&mut self, id: &str, field: &str, count: usize) -> Vec<Value> {
        let mut edges = Vec::with_capacity(count);
        while edges.len() < count {
            let payload = self.event(id).await;
            assert!(payload.get("errors").is_none(), "{payload}");
            edges.push(payload["data"][field].clone());
        }
        edges
    }

    /// Nothing arrives for `quiet` (keep-alives aside).
    pub async fn silent_for(&mut self, quiet: Duration) {
        if let Ok(frame) = tokio::time::timeout(quiet, self.next()).await {
            panic!("expected silence, got {frame:?}");
        }
    }

    /// Waits for the server to close the connection; its code and reason.
    pub async fn closed(&mut self) -> (u16, String) {
        loop {
            if let Received::Closed(code, reason) = self.next().await {
                return (code, reason);
            }
        }
    }

    /// Closes from the client side, as an app going to the background does.
    pub async fn disconnect(mut self) {
        let _ = self.ws.close(None).await;
    }
}
