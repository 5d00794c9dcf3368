//! GraphiQL served by the server itself, so `GET /graphql` works in a browser without internet.
//!
//! The third-party files come from the npm packages `graphiql`, `react` and `react-dom` at the
//! versions pinned in `assets/graphiql/package-lock.json` (`npm ci --prefix assets/graphiql`);
//! nothing of them is in our sources. They are read once at startup from `GRAPHIQL_DIR`, served
//! under `/graphiql/<digest>-<file>` (content-addressed, so cacheable forever) and referenced by
//! the page with `integrity` attributes. Without them the page says how to install them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha384};

use crate::app::AppState;

/// The command that installs the files, as the page and the log tell it.
pub const INSTALL: &str = "npm ci --prefix assets/graphiql";

/// The files the page loads, in order: (path under the install directory, media type). React
/// and ReactDOM 18 are the last with UMD builds, which GraphiQL 4's UMD build expects as
/// globals; GraphiQL 5 ships only ES modules that need a bundler or an import map of dozens
/// of packages.
const VENDOR: [(&str, &str); 4] = [
    ("graphiql/graphiql.min.css", "text/css; charset=utf-8"),
    (
        "react/umd/react.production.min.js",
        "text/javascript; charset=utf-8",
    ),
    (
        "react-dom/umd/react-dom.production.min.js",
        "text/javascript; charset=utf-8",
    ),
    ("graphiql/graphiql.min.js", "text/javascript; charset=utf-8"),
];

/// Our own few lines that mount GraphiQL (a file, so the page needs no inline script).
const START: &str = include_str!("graphiql_start.js");

/// Scripts and styles only from this server, requests only to it; GraphiQL's CSS carries its
/// fonts and icons as `data:` URLs.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'none'";

/// One file served under `/graphiql/`.
#[derive(Debug)]
struct Asset {
    body: Bytes,
    content_type: &'static str,
}

/// The GraphiQL page and its files, or the one line saying how to install them.
#[derive(Debug)]
pub struct Graphiql {
    page: String,
    /// By the name after `/graphiql/`.
    assets: HashMap<String, Asset>,
}

impl Graphiql {
    /// Reads the files under `dir` (shared by every server of the process that names the same
    /// directory: hashing 1.5 MB once is enough). A missing file makes the "not installed" page.
    pub fn load(dir: &Path) -> Arc<Self> {
        static LOADED: OnceLock<Mutex<HashMap<PathBuf, Arc<Graphiql>>>> = OnceLock::new();
        let mut loaded = LOADED
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        loaded
            .entry(dir.to_path_buf())
            .or_insert_with(|| {
                Arc::new(Self::read(dir).unwrap_or_else(|missing| {
                    tracing::warn!(
                        file = %missing.display(),
                        "GraphiQL is not installed: run `{INSTALL}` (or set GRAPHIQL_DIR)"
                    );
                    Self::not_installed()
                }))
            })
            .clone()
    }

    /// Whether the page is GraphiQL (rather than the install hint).
    pub fn installed(&self) -> bool {
        !self.assets.is_empty()
    }

    fn read(dir: &Path) -> Result<Self, PathBuf> {
        let mut assets = HashMap::new();
        let mut tags = Vec::new();
        let files = VENDOR
            .iter()
            .map(|&(path, content_type)| {
                let full = dir.join(path);
                std::fs::read(&full)
                    .map(|body| (path, content_type, body))
                    .map_err(|_| full)
            })
            .chain(std::iter::once(Ok((
                "servicedesk/start.js",
                "text/javascript; charset=utf-8",
                START.as_bytes().to_vec(),
            ))));
        for file in files {
            let (path, content_type, body) = file?;
            let digest = Sha384::digest(&body);
            let integrity = format!(
                "sha384-{}",
                base64::engine::general_purpose::STANDARD.encode(digest)
            );
            let base = path.rsplit('/').next().unwrap_or(path);
            let name = format!("{}-{base}", &hex(&digest)[..16]);
            tags.push(if content_type.starts_with("text/css") {
                format!(
                    r#"<link rel="stylesheet" href="/graphiql/{name}" integrity="{integrity}">"#
                )
            } else {
                format!(r#"<script src="/graphiql/{name}" integrity="{integrity}"></script>"#)
            });
            assets.insert(
                name,
                Asset {
                    body: Bytes::from(body),
                    content_type,
                },
            );
        }
        let (styles, scripts): (Vec<_>, Vec<_>) =
            tags.into_iter().partition(|tag| tag.starts_with("<link"));
        let page = format!(
            "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>servicedesk · GraphiQL</title>\n\
             <link rel=\"icon\" href=\"data:,\">\n{}\n</head>\n<body>\n\
             <div id=\"graphiql\" data-endpoint=\"/graphql\">Loading…</div>\n{}\n</body>\n</html>\n",
            styles.join("\n"),
            scripts.join("\n"),
        );
        Ok(Self { page, assets })
    }

    fn not_installed() -> Self {
        let page = format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>servicedesk · GraphiQL not installed</title></head>\n<body><p>GraphiQL is \
             not installed on this server: run <code>{INSTALL}</code> in its source directory \
             (or point <code>GRAPHIQL_DIR</code> at its <code>node_modules</code>) and restart \
             it.</p></body></html>\n"
        );
        Self {
            page,
            assets: HashMap::new(),
        }
    }

    /// The page for `GET /graphql` from a browser.
    pub fn page(&self) -> Response {
        let mut response = self.page.clone().into_response();
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        );
        response
    }
}

/// `GET /graphiql/{file}`: a file of the page. Names carry the content's digest, so browsers
/// keep them for a year without asking again.
pub async fn asset(State(state): State<AppState>, UrlPath(name): UrlPath<String>) -> Response {
    let Some(asset) = state.transport.graphiql.assets.get(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (CONTENT_TYPE, asset.content_type),
            (CACHE_CONTROL, "public, max-age=31536000, immutable"),
            (HeaderName::from_static("x-content-type-options"), "nosniff"),
        ],
        asset.body.clone(),
    )
        .into_response()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_the_files_the_page_says_how_to_install_them() {
        let graphiql = Graphiql::load(Path::new("/nonexistent/graphiql"));
        assert!(!graphiql.installed());
        assert!(graphiql.page.contains(INSTALL));
    }

    #[test]
    fn every_file_is_referenced_with_its_integrity() {
        let dir = tempfile_dir();
        for (path, _) in VENDOR {
            let full = dir.join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, path).unwrap();
        }
        let graphiql = Graphiql::read(&dir).unwrap();
        assert_eq!(graphiql.assets.len(), VENDOR.len() + 1);
        for (name, asset) in &graphiql.assets {
            let digest = Sha384::digest(&asset.body);
            let integrity = base64::engine::general_purpose::STANDARD.encode(digest);
            let tag = format!(r#"/graphiql/{name}" integrity="sha384-{integrity}""#);
            assert!(graphiql.page.contains(&tag), "{tag} in {}", graphiql.page);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("graphiql-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
