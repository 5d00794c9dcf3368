//! `/metrics` for operators: GraphQL operations by name (bounded), errors by code, HTTP
//! responses, the SLA sweeper's and webhook delivery's backlog (its protection is in
//! security_transport.rs). Trace export is tested in `tests/telemetry.rs`.

use std::sync::Arc;

use chrono::Duration;
use serde_json::json;
use servicedesk::jobs::{sla_sweeper, webhooks};
use servicedesk_tests::{Auth, Backend, METRICS_TOKEN, TestApp, db_tests, test_config};

db_tests!(
    metrics_count_operations_by_name_and_errors_by_code,
    metrics_show_the_sla_and_webhook_backlog,
);

/// The scrape's value of the sample `series` (name and labels as written), if present.
async fn sample(app: &TestApp, series: &str) -> Option<f64> {
    let text = scrape(app).await;
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|value| value.parse().expect("number"))
}

async fn scrape(app: &TestApp) -> String {
    let response = app
        .http
        .get(format!("{}/metrics", app.base_url))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .expect("scrape");
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    response.text().await.expect("text")
}

async fn metrics_count_operations_by_name_and_errors_by_code(app: TestApp) {
    for _ in 0..2 {
        app.gql(&Auth::None, "query Ping { __typename }", json!({}))
            .await;
    }
    app.gql(&Auth::None, "{ __typename }", json!({})).await;
    // Refused before it runs: no name of its own, one error by its code.
    app.gql(&Auth::None, "query Broken { nope }", json!({}))
        .await;
    // Runs, and answers with a resolver's error code.
    app.gql(&Auth::None, "query Me { me { role } }", json!({}))
        .await;
    let ops = |name: &str| format!("servicedesk_graphql_operations_total{{operation=\"{name}\"}}");
    assert_eq!(sample(&app, &ops("Ping")).await, Some(2.0));
    assert_eq!(sample(&app, &ops("(anonymous)")).await, Some(1.0));
    assert_eq!(sample(&app, &ops("(not run)")).await, Some(1.0));
    assert_eq!(sample(&app, &ops("Me")).await, Some(1.0));
    assert_eq!(sample(&app, &ops("Broken")).await, None);
    let latency = "servicedesk_graphql_operation_duration_seconds_count{operation=\"Ping\"}";
    assert_eq!(sample(&app, latency).await, Some(2.0));
    let errors = |code: &str| format!("servicedesk_graphql_errors_total{{code=\"{code}\"}}");
    assert_eq!(
        sample(&app, &errors("GRAPHQL_VALIDATION_FAILED")).await,
        Some(1.0)
    );
    assert_eq!(sample(&app, &errors("UNAUTHENTICATED")).await, Some(1.0));
    let ok = "servicedesk_http_responses_total{route=\"/graphql\",status=\"200\"}";
    assert!(sample(&app, ok).await >= Some(5.0));
    let unmatched = app
        .http
        .get(format!("{}/nowhere/at/all", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(unmatched.status().as_u16(), 404);
    let other = "servicedesk_http_responses_total{route=\"other\",status=\"404\"}";
    assert_eq!(sample(&app, other).await, Some(1.0));

    // Names are the clients' choice: past the cap they share one label.
    let capped = TestApp::start_with(
        Backend::Sqlite,
        servicedesk::config::Config {
            metrics_max_operation_names: 1,
            ..test_config()
        },
    )
    .await;
    for name in ["First", "Second", "Third", "First"] {
        let query = format!("query {name} {{ __typename }}");
        capped.gql(&Auth::None, &query, json!({})).await;
    }
    assert_eq!(sample(&capped, &ops("First")).await, Some(2.0));
    assert_eq!(sample(&capped, &ops("Second")).await, None);
    assert_eq!(sample(&capped, &ops("(other)")).await, Some(2.0));
}

async fn metrics_show_the_sla_and_webhook_backlog(app: TestApp) {
    let w = app.repair_world().await;
    // A webhook endpoint nobody listens on (a port just closed).
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", dead.local_addr().unwrap());
    drop(dead);
    let created = app
        .gql(
            &w.partner,
            "mutation($input: CreateWebhookEndpointInput!) {
                createWebhookEndpoint(input: $input) { endpoint { id } } }",
            json!({ "input": { "url": url, "description": "down", "eventTypes": ["repair_order.*"] } }),
        )
        .await;
    created.data();
    app.report(&w.partner_customer, w.partner_asset).await;

    let running = "servicedesk_sla_clocks_open{state=\"running\"}";
    assert!(sample(&app, running).await > Some(0.0));
    assert_eq!(
        sample(&app, "servicedesk_sla_clocks_overdue").await,
        Some(0.0)
    );
    // Two days later every clock of the report is past due, and nothing has swept them.
    app.clock.advance(Duration::days(2));
    let overdue = sample(&app, "servicedesk_sla_clocks_overdue")
        .await
        .unwrap();
    assert!(overdue > 0.0);
    assert_eq!(
        sample(&app, "servicedesk_sla_clocks_unswept").await,
        Some(overdue)
    );
    assert_eq!(
        sample(&app, "servicedesk_sla_sweep_last_run_timestamp_seconds").await,
        Some(0.0)
    );
    // This instance's sweeper records the misses and reports its pass.
    let sweeper = sla_sweeper::spawn(
        app.db.clone(),
        app.state_settings(),
        Arc::new(app.clock.clone()),
        std::time::Duration::from_millis(50),
        app.state.metrics.clone(),
    );
    let swept = "servicedesk_sla_sweeps_total{outcome=\"ok\"}";
    for _ in 0..200 {
        if sample(&app, swept).await.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    sweeper.abort();
    assert_eq!(
        sample(&app, "servicedesk_sla_clocks_unswept").await,
        Some(0.0)
    );
    let last_run = sample(&app, "servicedesk_sla_sweep_last_run_timestamp_seconds").await;
    assert_eq!(last_run, Some(app.clock_now().timestamp() as f64));

    // The delivery worker of this instance counts its attempt; the database its backlog.
    let sender = webhooks::Sender::new(&test_config().webhook_settings())
        .expect("sender")
        .observed_by(app.state.metrics.clone());
    let mut attempted = 0;
    for _ in 0..400 {
        app.log_caught_up().await;
        attempted += webhooks::run(&app.db, &sender, app.clock_now())
            .await
            .expect("pass")
            .attempted;
        if attempted > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(attempted > 0);
    let unreachable = "servicedesk_webhook_attempts_total{outcome=\"unreachable\"}";
    assert_eq!(sample(&app, unreachable).await, Some(attempted as f64));
    assert_eq!(
        sample(&app, "servicedesk_webhook_messages_pending").await,
        Some(attempted as f64)
    );
    let failing = "servicedesk_webhook_endpoints{state=\"failing\"}";
    assert_eq!(sample(&app, failing).await, Some(1.0));
}
