//! GraphiQL in a real browser without internet: Debian's headless Chromium, driven by
//! playwright-core (`tests/browser`), loads `GET /graphql` with no route off loopback, runs
//! `{ __typename }` with the page's run button and reads the answer from the result pane.

use std::path::Path;

use base64::Engine;
use serde_json::Value;
use servicedesk_tests::{Backend, TestApp, db_tests, test_config};
use sha2::{Digest, Sha384};

db_tests!(
    graphiql_runs_a_query_offline,
    graphiql_files_match_their_integrity_and_are_cached,
    graphiql_without_its_files_says_how_to_install_them,
);

/// Chromium's path: `CHROMIUM`, or Debian's.
fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

async fn graphiql_runs_a_query_offline(app: TestApp) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("browser");
    let driver = dir
        .join("node_modules/playwright-core/package.json")
        .exists();
    let browser = Path::new(&chromium()).exists();
    let graphiql = app.state.transport.graphiql.installed();
    if !(driver && browser && graphiql) {
        let why = "the GraphiQL browser test needs Debian's chromium (`apt-get install chromium`), \
                   `npm ci --prefix tests/browser` and `npm ci --prefix assets/graphiql`";
        assert!(std::env::var_os("CI").is_none(), "{why}");
        eprintln!("skipped: {why}");
        return;
    }
    let output = tokio::time::timeout(
        std::time::Duration::from_secs(120),
        tokio::process::Command::new("node")
            .arg("graphiql.mjs")
            .arg(&app.base_url)
            .env("CHROMIUM", chromium())
            .current_dir(&dir)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the browser finished within two minutes")
    .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "driver failed:\n{stdout}{stderr}");
    let report: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|_| panic!("no report:\n{stdout}{stderr}"));
    let problems = report["problems"].as_array().expect("problems");
    assert!(problems.is_empty(), "{report:#}");
    let result: Value = serde_json::from_str(report["result"].as_str().expect("result pane"))
        .unwrap_or_else(|_| panic!("the result pane holds JSON: {report:#}"));
    assert_eq!(result["data"]["__typename"], "QueryRoot", "{report:#}");
    // Everything the page loaded came from this server: the page, its files, the query.
    let requests = report["requests"].as_array().expect("requests");
    assert!(requests.len() >= 6, "{report:#}");
    for url in requests {
        let url = url.as_str().expect("url");
        assert!(
            url.starts_with(&format!("{}/", app.base_url)) || url.starts_with("data:"),
            "{url} is not on this server"
        );
    }
}

async fn graphiql_page(app: &TestApp) -> reqwest::Response {
    app.http
        .get(format!("{}/graphql", app.base_url))
        .header("accept", "text/html")
        .send()
        .await
        .expect("page")
}

async fn graphiql_files_match_their_integrity_and_are_cached(app: TestApp) {
    if !app.state.transport.graphiql.installed() {
        let why = "GraphiQL is not installed: `npm ci --prefix assets/graphiql`";
        assert!(std::env::var_os("CI").is_none(), "{why}");
        eprintln!("skipped: {why}");
        return;
    }
    let page = graphiql_page(&app).await;
    let policy = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("script-src 'self';"), "{policy}");
    assert!(!policy.contains("unsafe"), "{policy}");
    let html = page.text().await.unwrap();
    let references: Vec<(&str, &str)> = html
        .split("/graphiql/")
        .skip(1)
        .map(|rest| {
            let (name, rest) = rest.split_once('"').expect("name");
            let integrity = rest.split('"').nth(1).expect("integrity");
            (name, integrity)
        })
        .collect();
    // GraphiQL's CSS and script, React, ReactDOM, and our start script.
    assert_eq!(references.len(), 5, "{html}");
    for (name, integrity) in references {
        let file = app
            .http
            .get(format!("{}/graphiql/{name}", app.base_url))
            .send()
            .await
            .unwrap();
        assert_eq!(file.status().as_u16(), 200, "{name}");
        assert_eq!(
            file.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        let body = file.bytes().await.unwrap();
        let digest = base64::engine::general_purpose::STANDARD.encode(Sha384::digest(&body));
        assert_eq!(integrity, format!("sha384-{digest}"), "{name}");
    }
    let unknown = app
        .http
        .get(format!("{}/graphiql/0000-graphiql.min.js", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 404);
}

async fn graphiql_without_its_files_says_how_to_install_them(app: TestApp) {
    let mut config = test_config();
    config.graphiql_dir = "/nonexistent/graphiql".into();
    let bare = TestApp::start_with(Backend::Sqlite, config).await;
    let page = graphiql_page(&bare).await;
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<code>npm ci --prefix assets/graphiql</code>"),
        "{html}"
    );
    assert!(!html.contains("<script"), "{html}");
    drop(app);
}
