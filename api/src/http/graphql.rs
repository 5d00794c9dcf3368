//! GraphQL over HTTP (https://graphql.github.io/graphql-over-http/): `POST` with a JSON body and
//! `GET` with URL parameters, one execution path for both. Transport failures (wrong content
//! type, unreadable or oversize body, missing query, bad credentials) get a GraphQL-shaped error
//! body with a proper status code; GraphQL responses get the status their media type calls for.

use std::collections::HashMap;
use std::net::SocketAddr;

use async_graphql::ServerError;
use async_graphql::http::MultipartOptions;
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, Query, Request, State};
use axum::http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER, VARY};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use serde::Deserialize;
use serde_json::json;

use super::accept::{self, ResponseMedia};
use super::auth::authenticate;
use super::persisted::Refusal;
use crate::app::AppState;
use crate::domain::identity::Principal;
use crate::error::{ApiError, UNAVAILABLE_RETRY_AFTER_SECS};
use crate::graphql::document_limits::{cap_errors, rejection};
use crate::graphql::{Checked, ClientIp, loaders};

/// `GET /graphql`: a query from the URL's parameters; without a `query` (or a persisted
/// query's hash in `extensions`), GraphiQL for a browser (one that names `text/html` in
/// `Accept`) and 400 for anyone else.
pub async fn get(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    params: Result<Query<UrlParams>, QueryRejection>,
) -> Response {
    let params = match params {
        Ok(Query(params)) => params,
        Err(rejection) => return bad_request(&rejection.body_text()),
    };
    let no_document = [&params.query, &params.extensions]
        .iter()
        .all(|param| param.as_deref().is_none_or(str::is_empty));
    if no_document && accept::accepts_html(&headers) {
        return state.transport.graphiql.page();
    }
    let Some(media) = accept::negotiate(&headers) else {
        return not_acceptable();
    };
    let params = match params.into_params() {
        Ok(params) => params,
        Err(message) => return bad_request(&message),
    };
    crate::reconnect::once_more_if_unwritten(|| {
        run(&state, peer, &headers, media, &params, Via::Get)
    })
    .await
}

/// `POST /graphql` with an `application/json` body, or a `multipart/form-data` one that
/// carries files (see `multipart`). A request that met a dead database connection runs once
/// more (see `crate::reconnect`).
pub async fn post(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let headers = request.headers().clone();
    let Some(media) = accept::negotiate(&headers) else {
        return not_acceptable();
    };
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.trim_start().to_ascii_lowercase())
        .unwrap_or_default();
    if content_type.starts_with("multipart/form-data") {
        return multipart(state, peer, headers, media, request).await;
    }
    if !content_type.starts_with("application/json") {
        return transport_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "send the request as application/json, or as multipart/form-data with files",
        );
    }
    let body = match Bytes::from_request(request, &state).await {
        Ok(body) => body,
        Err(rejection) if is_body_timeout(&rejection) => return body_timeout(),
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return payload_too_large();
        }
        Err(rejection) => return bad_request(&rejection.body_text()),
    };
    let params = match serde_json::from_slice::<Params>(&body) {
        Ok(params) => params,
        Err(err) => return bad_request(&format!("request body is not a GraphQL request: {err}")),
    };
    crate::reconnect::once_more_if_unwritten(|| {
        run(&state, peer, &headers, media, &params, Via::Post(&body))
    })
    .await
}

/// The header a multipart request must carry. A browser sends `multipart/form-data` from any
/// site's form without asking (a "simple" request, no CORS preflight); a header of our own
/// cannot be sent that way, so no other site can make a visitor's browser upload (the
/// multipart request spec's CSRF advice; Apollo Client sends it).
pub const PREFLIGHT_HEADER: &str = "apollo-require-preflight";

fn body_timeout() -> Response {
    transport_error(
        StatusCode::REQUEST_TIMEOUT,
        "REQUEST_TIMEOUT",
        "the request body did not arrive in time",
    )
}

fn payload_too_large() -> Response {
    transport_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
        "request body is too large",
    )
}

/// `POST /graphql` by the GraphQL multipart request spec: an `operations` part (the JSON
/// request), a `map` part naming the variables each file fills, and the files. Files are
/// spooled to temporary files as they arrive, each at most the largest attachment size and
/// `ATTACHMENT_MAX_FILES` of them; at most `ATTACHMENT_MAX_CONCURRENT_UPLOADS` such requests
/// are received at once. Idempotency keys are not honoured here (the body is not kept).
async fn multipart(
    state: AppState,
    peer: SocketAddr,
    headers: HeaderMap,
    media: ResponseMedia,
    request: Request,
) -> Response {
    if headers
        .get(PREFLIGHT_HEADER)
        .is_none_or(|value| value.is_empty())
    {
        return bad_request(
            "a multipart request must carry the Apollo-Require-Preflight header (CSRF protection)",
        );
    }
    let Ok(_permit) = state.transport.upload_permits.acquire().await else {
        return transport_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "the server is shutting down",
        );
    };
    let limits = &state.attachments.limits;
    let options = MultipartOptions::default()
        .max_file_size(usize::try_from(limits.max_file_bytes()).unwrap_or(usize::MAX))
        .max_num_files(limits.max_files_per_request);
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = request
        .into_body()
        .into_data_stream()
        .map_err(std::io::Error::other)
        .into_async_read();
    let received = async_graphql::http::receive_batch_body(content_type, body, options).await;
    let mut request = match received {
        Ok(async_graphql::BatchRequest::Single(request)) => request,
        Ok(async_graphql::BatchRequest::Batch(_)) => {
            return bad_request("send one operation per multipart request");
        }
        Err(err) => return multipart_refusal(&err),
    };
    let variables = match serde_json::to_value(&request.variables) {
        Ok(serde_json::Value::Object(variables)) => Some(variables),
        _ => None,
    };
    let params = Params {
        query: Some(std::mem::take(&mut request.query)).filter(|query| !query.is_empty()),
        operation_name: request.operation_name.take(),
        variables,
        extensions: Some(std::mem::take(&mut request.extensions.0)).filter(|e| !e.is_empty()),
        uploads: std::sync::Arc::new(std::mem::take(&mut request.uploads)),
    };
    crate::reconnect::once_more_if_unwritten(|| {
        run(&state, peer, &headers, media, &params, Via::Multipart)
    })
    .await
}

/// Why a multipart body was refused: too large (413), too slow (408) or malformed (400).
fn multipart_refusal(err: &async_graphql::ParseRequestError) -> Response {
    use async_graphql::ParseRequestError as E;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(error) = source {
        if error.is::<tower_http::timeout::TimeoutError>() {
            return body_timeout();
        }
        source = error.source();
    }
    match err {
        E::PayloadTooLarge => payload_too_large(),
        E::InvalidMultipart(
            multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. },
        ) => payload_too_large(),
        other => bad_request(&format!("not a GraphQL multipart request: {other}")),
    }
}

/// The GraphQL-over-HTTP request parameters, as a POST body carries them. A parameter of the
/// wrong JSON type makes the body unreadable (400); `null` is the same as leaving it out.
#[derive(Clone, Deserialize)]
struct Params {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<serde_json::Map<String, serde_json::Value>>,
    extensions: Option<HashMap<String, async_graphql::Value>>,
    /// The files of a multipart request, spooled to temporary files.
    #[serde(skip)]
    uploads: std::sync::Arc<Vec<async_graphql::UploadValue>>,
}

/// The request parameters of a GET URL: `variables` and `extensions` are JSON text, and an
/// empty parameter is the same as leaving it out.
#[derive(Deserialize)]
pub struct UrlParams {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

impl UrlParams {
    /// The parameters, or why they are not a GraphQL request.
    fn into_params(self) -> Result<Params, String> {
        fn json<T: serde::de::DeserializeOwned>(
            name: &str,
            text: Option<String>,
        ) -> Result<Option<T>, String> {
            match text.filter(|text| !text.is_empty()) {
                None => Ok(None),
                Some(text) => serde_json::from_str(&text)
                    .map(Some)
                    .map_err(|err| format!("the {name} parameter is not a JSON object: {err}")),
            }
        }
        Ok(Params {
            query: self.query,
            operation_name: self.operation_name.filter(|name| !name.is_empty()),
            variables: json("variables", self.variables)?,
            extensions: json("extensions", self.extensions)?,
            uploads: Default::default(),
        })
    }
}

impl Params {
    /// A fresh request for each attempt (see `crate::reconnect`) to run `query`.
    fn to_request(&self, query: String) -> async_graphql::Request {
        let mut request = async_graphql::Request::new(query);
        if let Some(name) = &self.operation_name {
            request = request.operation_name(name.clone());
        }
        if let Some(variables) = &self.variables {
            request = request.variables(async_graphql::Variables::from_json(
                serde_json::Value::Object(variables.clone()),
            ));
        }
        if let Some(extensions) = &self.extensions {
            request.extensions = async_graphql::Extensions(extensions.clone());
        }
        request
    }

    /// The files for one attempt: handles of their own on the same spooled files.
    fn uploads(&self) -> std::io::Result<Vec<async_graphql::UploadValue>> {
        self.uploads
            .iter()
            .map(|upload| upload.try_clone())
            .collect()
    }
}

/// How the request came: a GET may only read, and carries no body to key idempotency on;
/// neither does a multipart POST, whose files are not kept in memory.
#[derive(Clone, Copy)]
enum Via<'a> {
    Get,
    Post(&'a Bytes),
    Multipart,
}

/// Everything after the request is read, the same for GET and POST: the execution permit,
/// document limits, credentials, idempotency (POST), the schema for the caller, and the answer
/// in the negotiated media type.
async fn run(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    media: ResponseMedia,
    params: &Params,
    via: Via<'_>,
) -> Response {
    let persisted = state
        .transport
        .persisted_queries
        .document(params.query.as_deref(), params.extensions.as_ref());
    let mut request = match persisted {
        Ok(Some(query)) if !query.trim().is_empty() => params.to_request(query),
        Ok(_) => return bad_request("missing query"),
        Err(Refusal::Invalid(message)) => return bad_request(&message),
        Err(refusal) => {
            // Apollo clients look for this message and code to send the document along.
            let (message, code) = match refusal {
                Refusal::NotFound => ("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND"),
                _ => (
                    "only registered documents run on this server",
                    "PERSISTED_QUERY_NOT_ALLOWED",
                ),
            };
            let mut error = ServerError::new(message, None);
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", code);
            let response = async_graphql::Response::from_errors(vec![error]);
            return graphql_response(response, media, Caching::Never);
        }
    };
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
            if matches!(via, Via::Get)
                && selected_operation(&document, request.operation_name.as_deref())
                    .is_some_and(|ty| ty != OperationType::Query)
            {
                let mut response = transport_error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "METHOD_NOT_ALLOWED",
                    "only queries run over GET; send mutations and subscriptions by POST",
                );
                response
                    .headers_mut()
                    .insert(ALLOW, HeaderValue::from_static("POST"));
                return response;
            }
            writes = document
                .operations
                .iter()
                .any(|(_, op)| op.node.ty == OperationType::Mutation);
            request.set_parsed_query(document)
        }
        Checked::TooLarge(reason) => {
            let response = async_graphql::Response::from_errors(vec![rejection(&reason)]);
            return graphql_response(response, media, Caching::Never);
        }
        Checked::Unparsable => {}
    }
    let principal = match authenticate(state, headers).await {
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
    let claimed = match via {
        Via::Post(body) => match super::idempotent::begin(state, headers, &principal, body).await {
            Ok(claimed) => claimed,
            Err(answer) => return answer,
        },
        // A GET only reads: repeating it is harmless, so a key would protect nothing.
        Via::Get | Via::Multipart => None,
    };
    match params.uploads() {
        Ok(uploads) => request.uploads = uploads,
        Err(err) => {
            tracing::error!(%err, "cannot reopen the uploaded files");
            return transport_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "SERVICE_UNAVAILABLE",
                "the uploaded files cannot be read; try again",
            );
        }
    }
    let anonymous = matches!(principal, Principal::Anonymous);
    // Anonymous callers get a schema without introspection and field-name hints, unless
    // GRAPHQL_ANONYMOUS_INTROSPECTION allows them.
    let schema = if anonymous {
        &state.anonymous_schema
    } else {
        &state.schema
    };
    let loader = loaders::for_request(state.db.clone());
    let client_ip = state.transport.client_ip.resolve(peer.ip(), headers);
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
    let caching = match via {
        Via::Get if anonymous => Caching::AsTheSchemaSays,
        _ => Caching::Never,
    };
    let response = graphql_response(response, media, caching);
    match claimed {
        Some(claimed) => super::idempotent::finish(state, claimed, response).await,
        None => response,
    }
}

/// The type of the operation the request selects, or `None` when the document does not say
/// which (execution then reports that as a request error).
fn selected_operation(document: &ExecutableDocument, name: Option<&str>) -> Option<OperationType> {
    let mut operations = document.operations.iter();
    let (_, operation) = match name {
        Some(name) => {
            operations.find(|(op_name, _)| op_name.is_some_and(|n| n.as_str() == name))?
        }
        None => {
            let first = operations.next()?;
            if operations.next().is_some() {
                return None;
            }
            first
        }
    };
    Some(operation.node.ty)
}

/// Whether a response may be kept by HTTP caches.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Caching {
    /// POSTs, and anything a caller with credentials sees: `no-store`.
    Never,
    /// An anonymous GET: the schema's cache hints (`#[graphql(cache_control(...))]`) decide,
    /// for a response without errors; without hints it is `no-store` too.
    AsTheSchemaSays,
}

/// A GraphQL response in `media`, with its status code, `Retry-After` and `Cache-Control`.
fn graphql_response(
    mut response: async_graphql::Response,
    media: ResponseMedia,
    caching: Caching,
) -> Response {
    response.errors.iter_mut().for_each(ensure_code);
    let request_error = is_request_error(&response);
    let retry = retry_advice(&response.errors);
    let status = status_of(&response, request_error, retry, media);
    let cache_control = match caching {
        Caching::AsTheSchemaSays if response.errors.is_empty() => public_max_age(&response),
        _ => None,
    };
    let mut body = match serde_json::to_value(&response) {
        Ok(body) => body,
        Err(err) => {
            tracing::error!(error = %err, "serializing a GraphQL response failed");
            return transport_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_SERVER_ERROR",
                "the answer could not be written",
            );
        }
    };
    if request_error && let Some(fields) = body.as_object_mut() {
        // Nothing ran: the GraphQL spec leaves `data` out rather than making it null.
        fields.remove("data");
    }
    let mut answer = (status, body.to_string()).into_response();
    let headers = answer.headers_mut();
    headers.insert(CONTENT_TYPE, media.content_type());
    match cache_control {
        Some(value) => {
            headers.insert(CACHE_CONTROL, value);
            headers.insert(VARY, HeaderValue::from_static("accept, authorization"));
        }
        None => {
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
    if let Some((_, seconds)) = retry {
        set_retry_after(&mut answer, seconds);
    }
    answer
}

/// A request error (the document does not parse or validate, a limit refused it, variables
/// do not coerce) stops everything before execution: no data, and none of its errors is at a
/// path. Errors raised while executing fields always have one.
fn is_request_error(response: &async_graphql::Response) -> bool {
    !response.errors.is_empty()
        && response.data == async_graphql::Value::Null
        && response.errors.iter().all(|error| error.path.is_empty())
}

/// `application/json` (legacy): 200 for every GraphQL response. `application/graphql-response+json`:
/// 400 for a request error, 200 otherwise. With either, an outage is 503 and a refused rate
/// 429 (see `retry_advice`) — except where `data` is not null, which the spec requires to be
/// 2xx under `application/graphql-response+json`; `Retry-After` is sent then all the same.
fn status_of(
    response: &async_graphql::Response,
    request_error: bool,
    retry: Option<(StatusCode, u64)>,
    media: ResponseMedia,
) -> StatusCode {
    let partial = response.data != async_graphql::Value::Null;
    match (retry, media) {
        (Some(_), ResponseMedia::GraphqlResponse) if partial => StatusCode::OK,
        (Some((status, _)), _) => status,
        (None, ResponseMedia::GraphqlResponse) if request_error => StatusCode::BAD_REQUEST,
        (None, _) => StatusCode::OK,
    }
}

/// `public, max-age=N` when the schema's hints for every field selected allow shared caching.
fn public_max_age(response: &async_graphql::Response) -> Option<HeaderValue> {
    let hints = response.cache_control;
    (hints.public && hints.max_age > 0)
        .then(|| HeaderValue::from_str(&format!("public, max-age={}", hints.max_age)).ok())
        .flatten()
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
    response.headers_mut().insert(RETRY_AFTER, seconds.into());
}

/// Gives errors raised by async-graphql itself their code (see `graphql::error_code`).
fn ensure_code(error: &mut ServerError) {
    if error
        .extensions
        .as_ref()
        .is_none_or(|ext| ext.get("code").is_none())
    {
        let code = crate::graphql::error_code(error).to_owned();
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", code);
    }
}

pub(super) fn transport_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    (status, Json(body)).into_response()
}

fn bad_request(message: &str) -> Response {
    transport_error(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
}

/// Neither GraphQL media type is acceptable to the client: nothing was run.
fn not_acceptable() -> Response {
    transport_error(
        StatusCode::NOT_ACCEPTABLE,
        "NOT_ACCEPTABLE",
        "accept application/graphql-response+json or application/json",
    )
}

#[cfg(test)]
mod tests {
    use async_graphql::{CacheControl, Pos, Response, Value};

    use super::*;

    fn hinted(public: bool, max_age: i32) -> Response {
        Response::new(Value::Null).cache_control(CacheControl { public, max_age })
    }

    #[test]
    fn only_public_hints_with_an_age_make_a_response_cacheable() {
        assert_eq!(
            public_max_age(&hinted(true, 60)),
            Some(HeaderValue::from_static("public, max-age=60"))
        );
        assert_eq!(public_max_age(&hinted(false, 60)), None);
        assert_eq!(public_max_age(&hinted(true, 0)), None);
        assert_eq!(public_max_age(&hinted(true, -1)), None);
    }

    #[test]
    fn statuses_follow_the_media_type() {
        let request_error =
            Response::from_errors(vec![ServerError::new("bad", Some(Pos::default()))]);
        assert!(is_request_error(&request_error));
        let status = |response: &Response, retry, media| {
            status_of(response, is_request_error(response), retry, media)
        };
        use ResponseMedia::{GraphqlResponse, Json};
        assert_eq!(
            status(&request_error, None, GraphqlResponse),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(status(&request_error, None, Json), StatusCode::OK);
        let outage = Some((StatusCode::SERVICE_UNAVAILABLE, 5));
        assert_eq!(
            status(&request_error, outage, GraphqlResponse),
            StatusCode::SERVICE_UNAVAILABLE
        );
        let partial = Response::new(Value::from_json(json!({ "a": 1 })).unwrap());
        assert_eq!(status(&partial, outage, GraphqlResponse), StatusCode::OK);
        assert_eq!(
            status(&partial, outage, Json),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
}
