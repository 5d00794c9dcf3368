//! GraphiQL in a real browser without internet: Debian's headless Chromium, driven by
//! playwright-core (`tests/browser`), loads `GET /graphql` with no route off loopback, runs
//! `{ __typename }` with the page's run button and reads the answer from the result pane.

use std::path::Path;

use serde_json::Value;
use servicedesk_tests::{TestApp, db_tests};

db_tests!(graphiql_runs_a_query_offline);

/// Chromium's path: `CHROMIUM`, or Debian's.
fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

async fn graphiql_runs_a_query_offline(app: TestApp) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("browser");
    let driver = dir.join("node_modules/playwright-core/package.json").exists();
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
        std::time::Duration::from_secs(60),
        tokio::process::Command::new("node")
            .arg("graphiql.mjs")
            .arg(&app.base_url)
            .env("CHROMIUM", chromium())
            .current_dir(&dir)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the browser finished within a minute")
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
