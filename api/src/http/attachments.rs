//! `GET /attachments/{id}?expires=…&signature=…`: the download route of the local attachment
//! store. The link is the permission — signed by this server for this one attachment until
//! `expires` (`ATTACHMENT_URL_TTL_SECONDS` after the `url` field was read by someone who sees
//! the ticket) — so it works in an `<img src>` without credentials.

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_SECURITY_POLICY, CONTENT_TYPE,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::graphql::transport_error;
use crate::app::AppState;
use crate::domain::attachment::LinkRefused;
use crate::error::ApiError;
use crate::store;

#[derive(Deserialize)]
pub struct Link {
    expires: i64,
    signature: String,
}

pub async fn download(
    State(state): State<AppState>,
    Path(id): Path<String>,
    link: Result<Query<Link>, QueryRejection>,
) -> Response {
    let (Ok(id), Ok(Query(link))) = (id.parse::<i64>(), link) else {
        return refused(LinkRefused::BadSignature);
    };
    let now = state.clock.now();
    if let Err(refusal) = state
        .attachments
        .verify(id, link.expires, &link.signature, now)
    {
        return refused(refusal);
    }
    let row = match store::attachments::find(&state.db, id).await {
        Ok(Some(row)) => row,
        Ok(None) => return failed(&ApiError::NotFound("attachment")),
        Err(err) => return failed(&err),
    };
    let object = match state.attachments.get(&row.object_key).await {
        Ok(object) => object,
        Err(err) => return failed(&err),
    };
    let mut response = Body::from_stream(object.into_stream()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_str(&row.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(CONTENT_LENGTH, row.size_bytes.into());
    // Only sniffed photos and videos are stored, and browsers must not guess otherwise.
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    headers.insert(CONTENT_DISPOSITION, HeaderValue::from_static("inline"));
    let max_age = (link.expires - now.timestamp()).max(0);
    if let Ok(value) = HeaderValue::from_str(&format!("private, max-age={max_age}")) {
        headers.insert(CACHE_CONTROL, value);
    }
    response
}

/// 403: the link was not made by this server for this attachment, or has expired.
fn refused(refusal: LinkRefused) -> Response {
    let message = match refusal {
        LinkRefused::BadSignature => "this download link is not valid",
        LinkRefused::Expired => "this download link has expired; read the attachment's url again",
    };
    transport_error(StatusCode::FORBIDDEN, "FORBIDDEN", message)
}

fn failed(err: &ApiError) -> Response {
    let status = match err {
        ApiError::NotFound(_) => StatusCode::NOT_FOUND,
        ApiError::Unavailable(detail) => {
            tracing::warn!(%detail, "attachment download unavailable");
            StatusCode::SERVICE_UNAVAILABLE
        }
        other => {
            tracing::error!(error = ?other, "attachment download failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    let mut response = transport_error(status, err.code(), &err.message());
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            crate::error::UNAVAILABLE_RETRY_AFTER_SECS.into(),
        );
    }
    response
}
