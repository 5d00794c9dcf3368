//! GraphQL over HTTP. Transport failures (wrong content type, unreadable or oversize body,
//! missing query, bad credentials) get a GraphQL-shaped error body with a proper status code.

use async_graphql::ServerError;
use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::OperationType;
use async_graphql_axum::GraphQLResponse;
use axum::Json;
use axum::body::Bytes;
use std::net::SocketAddr;

use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header::CONTENT_TYPE};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use super::auth::authenticate;
use crate::app::AppState;
use crate::domain::identity::Principal;
use crate::error::{ApiError, UNAVAILABLE_RETRY_AFTER_SECS};
use crate::graphql::document_limits::{cap_errors, rejection};
use crate::graphql::{Checked, ClientIp, loaders};

pub async fn graphiql() -> Html<String> {
    Html(GraphiQLSource::build().endpoint("/graphql").finish())
}

/// A request that met a dead database connection runs once more (see `crate::reconnect`).
pub async fn execute(
    state: State<AppState>,
    peer: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match body {
        Ok(body) => {
            crate::reconnect::once_more_if_unwritten(|| {
                execute_once(state.clone(), peer, headers.clone(), Ok(body.clone()))
            })
            .await
        }
        Err(rejection) => execute_once(state, peer, headers, Err(rejection)).await,
    }
}

async fn execute_once(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let is_json = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if !is_json {
        return transport_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "send the request as application/json",
        );
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) if is_body_timeout(&rejection) => {
            return transport_error(
                StatusCode::REQUEST_TIMEOUT,
                "REQUEST_TIMEOUT",
                "the request body did not arrive in time",
            );
        }
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return transport_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                "request body is too large",
            );
        }
        Err(rejection) => {
            return transport_error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                &rejection.body_text(),
            );
        }
    };
    let mut request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => {
            return transport_error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                &format!("request body is not a GraphQL request: {err}"),
            );
        }
    };
    if request.query.trim().is_empty() {
        return transport_error(StatusCode::BAD_REQUEST, "BAD_REQUEST", "missing query");
    }
    // Only now, with the body in memory: a slow upload must not hold a permit.
    let Ok(_permit) = state.transport.execution_permits.acquire().await else {
        return transport_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "the server is shutting down",
        );
    };
    let mut writes = false;
    match state.documents.check(&request.query) {
        Checked::Document(document) => {
            writes = document
                .operations
                .iter()
                .any(|(_, op)| op.node.ty == OperationType::Mutation);
            request.set_parsed_query(document)
        }
        Checked::TooLarge(reason) => {
            let mut response = async_graphql::Response::from_errors(vec![rejection(&reason)]);
            response.errors.iter_mut().for_each(ensure_code);
            return GraphQLResponse::from(response).into_response();
        }
        Checked::Unparsable => {}
    }
    let principal = match authenticate(&state, &headers).await {
        Ok(principal) => principal,
        Err(err) => {
            let status = match err {
                ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
                ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            match &err {
                ApiError::Internal(detail) => tracing::error!(%detail, "authentication failed"),
                ApiError::Unavailable(detail) => tracing::warn!(%detail, "database unavailable"),
                _ => {}
            }
            let mut response = transport_error(status, err.code(), &err.message());
            if status == StatusCode::SERVICE_UNAVAILABLE {
                set_retry_after(&mut response, UNAVAILABLE_RETRY_AFTER_SECS);
            }
            return response;
        }
    };
    let claimed = match super::idempotent::begin(&state, &headers, &principal, &body).await {
        Ok(claimed) => claimed,
        Err(answer) => return answer,
    };
    // Anonymous callers get a schema without introspection and field-name hints, unless
    // GRAPHQL_ANONYMOUS_INTROSPECTION allows them.
    let schema = if matches!(principal, Principal::Anonymous) {
        &state.anonymous_schema
    } else {
        &state.schema
    };
    let loader = loaders::for_request(state.db.clone());
    let client_ip = state.transport.client_ip.resolve(peer.ip(), &headers);
    let request = request
        .data(principal)
        .data(loader)
        .data(ClientIp(client_ip));
    let mut response = schema.execute(request).await;
    if writes {
        // New timeline rows reach live subscribers now rather than at the next poll.
        state.events.poke();
    }
    cap_errors(&mut response.errors, state.documents.max_errors());
    response.errors.iter_mut().for_each(ensure_code);
    let retry = retry_advice(&response.errors);
    let mut response = GraphQLResponse::from(response).into_response();
    if let Some((status, seconds)) = retry {
        *response.status_mut() = status;
        set_retry_after(&mut response, seconds);
    }
    match claimed {
        Some(claimed) => super::idempotent::finish(&state, claimed, response).await,
        None => response,
    }
}

/// An outage anywhere in the response makes it a 503, and a refused rate a 429, each with
/// `Retry-After` (the longest wait any error asks for): clients and proxies back off on the
/// status without reading the body.
fn retry_advice(errors: &[ServerError]) -> Option<(StatusCode, u64)> {
    let waits = |code: &str| {
        errors
            .iter()
            .filter_map(|error| error.extensions.as_ref())
            .filter(|ext| ext.get("code") == Some(&async_graphql::Value::from(code)))
            .map(|ext| match ext.get("retryAfter") {
                Some(async_graphql::Value::Number(n)) => n.as_u64().unwrap_or(1),
                _ => 1,
            })
            .max()
    };
    waits("SERVICE_UNAVAILABLE")
        .map(|secs| (StatusCode::SERVICE_UNAVAILABLE, secs))
        .or_else(|| waits("RATE_LIMITED").map(|secs| (StatusCode::TOO_MANY_REQUESTS, secs)))
}

/// Whether the body stalled past `BODY_READ_TIMEOUT_SECONDS` (tower-http's error, wrapped).
fn is_body_timeout(rejection: &BytesRejection) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(rejection);
    while let Some(error) = source {
        if error.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        source = error.source();
    }
    false
}

fn set_retry_after(response: &mut Response, seconds: u64) {
    response
        .headers_mut()
        .insert(axum::http::header::RETRY_AFTER, seconds.into());
}

/// Errors raised by async-graphql itself carry no code: a request-level one (parse, validation,
/// depth and complexity limits) has no path; a field-level one is an argument that failed to
/// coerce. Resolver errors always carry their own code (see `ApiError`).
fn ensure_code(error: &mut ServerError) {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_none() {
        let code = if error.path.is_empty() {
            "GRAPHQL_VALIDATION_FAILED"
        } else {
            "BAD_USER_INPUT"
        };
        extensions.set("code", code);
    }
}

fn transport_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    (status, Json(body)).into_response()
}
