//! CORS, so that browser pages on other origins can call the API: off unless
//! `CORS_ALLOWED_ORIGINS` lists origins. Requests from a listed origin go through tower-http's
//! `CorsLayer`; any other request passes by it untouched, so an unlisted origin's preflight
//! gets no CORS header at all (the layer would still describe the allowed methods and headers).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, ORIGIN, RETRY_AFTER, VARY};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use tower::{Layer, ServiceExt};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::idempotency;

/// How long a browser may reuse a preflight answer. Chromium caps it at two hours; an origin
/// removed from the list is refused on its next real request anyway, whose answer then lacks
/// `Access-Control-Allow-Origin`.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(2 * 60 * 60);

/// The allowed origins and the layer that answers them.
#[derive(Clone, Debug)]
pub struct Cors {
    origins: Vec<HeaderValue>,
    layer: CorsLayer,
}

impl Cors {
    /// `None` for an empty list: CORS off.
    pub fn new(origins: &[HeaderValue]) -> Option<Self> {
        if origins.is_empty() {
            return None;
        }
        let layer = CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins.iter().cloned()))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([
                AUTHORIZATION,
                CONTENT_TYPE,
                ACCEPT,
                HeaderName::from_static(idempotency::HEADER),
                HeaderName::from_static(super::graphql::PREFLIGHT_HEADER),
            ])
            .expose_headers([HeaderName::from_static(idempotency::REPLAYED), RETRY_AFTER])
            .max_age(PREFLIGHT_MAX_AGE);
        Some(Self {
            origins: origins.to_vec(),
            layer,
        })
    }
}

/// Middleware: a listed origin's request through the CORS layer, anyone else's straight on.
pub async fn gate(State(cors): State<Cors>, request: Request, next: Next) -> Response {
    let listed = request
        .headers()
        .get(ORIGIN)
        .is_some_and(|origin| cors.origins.contains(origin));
    if listed {
        let Ok::<_, Infallible>(response) = cors.layer.layer(next).oneshot(request).await;
        response
    } else {
        let mut response = next.run(request).await;
        // The answer differs by origin: a shared cache must not hand it to a listed one.
        response
            .headers_mut()
            .append(VARY, HeaderValue::from_static("origin"));
        response
    }
}
