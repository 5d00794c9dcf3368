//! GraphQL over HTTP: malformed requests get a GraphQL-shaped error and a proper status code.

use serde_json::json;
use servicedesk_tests::{Auth, Backend, METRICS_TOKEN, TestApp, db_tests, test_config};

db_tests!(
    health_and_readiness,
    wrong_content_type_is_415,
    malformed_json_is_400,
    missing_query_is_400,
    oversize_body_is_413,
    unknown_auth_scheme_is_401,
    invalid_query_is_a_validation_error,
    bad_argument_value_is_bad_user_input,
    depth_and_complexity_limits_reject_bombs,
    graphiql_is_served,
    metrics_count_sql_statements,
);

async fn post_raw(app: &TestApp, content_type: &str, body: Vec<u8>) -> (u16, serde_json::Value) {
    let response = app
        .http
        .post(format!("{}/graphql", app.base_url))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON error body"))
}

async fn health_and_readiness(app: TestApp) {
    for path in ["/healthz", "/readyz"] {
        let response = app
            .http
            .get(format!("{}{path}", app.base_url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
    }
    app.db.clone().close().await.unwrap();
    let response = app
        .http
        .get(format!("{}/readyz", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
}

async fn wrong_content_type_is_415(app: TestApp) {
    let (status, body) = post_raw(&app, "text/plain", b"{ me { role } }".to_vec()).await;
    assert_eq!(status, 415);
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "UNSUPPORTED_MEDIA_TYPE"
    );
}

async fn malformed_json_is_400(app: TestApp) {
    let (status, body) = post_raw(&app, "application/json", b"{\"query\": ".to_vec()).await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
}

async fn missing_query_is_400(app: TestApp) {
    let (status, body) = post_raw(&app, "application/json", b"{\"variables\": {}}".to_vec()).await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["message"], "missing query");
}

async fn oversize_body_is_413(app: TestApp) {
    let query = format!("{{ me {{ role }} }} #{}", "x".repeat(128 * 1024));
    let body = serde_json::to_vec(&json!({ "query": query })).unwrap();
    let (status, body) = post_raw(&app, "application/json", body).await;
    assert_eq!(status, 413);
    assert_eq!(body["errors"][0]["extensions"]["code"], "PAYLOAD_TOO_LARGE");
}

async fn unknown_auth_scheme_is_401(app: TestApp) {
    let response = app
        .http
        .post(format!("{}/graphql", app.base_url))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .json(&json!({ "query": "{ me { role } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
}

async fn invalid_query_is_a_validation_error(app: TestApp) {
    let syntax = app.gql(&Auth::None, "{ me { role ", json!({})).await;
    syntax.expect_code("GRAPHQL_VALIDATION_FAILED");
    let unknown_field = app.gql(&Auth::None, "{ noSuchField }", json!({})).await;
    unknown_field.expect_code("GRAPHQL_VALIDATION_FAILED");
}

async fn bad_argument_value_is_bad_user_input(app: TestApp) {
    let response = app
        .gql(
            &Auth::None,
            "mutation($r: Role!) { changeUserRole(userId: \"1\", role: $r) { id } }",
            json!({ "r": "KING" }),
        )
        .await;
    assert!(
        ["BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"].contains(&response.code()),
        "{}",
        response.body
    );
}

async fn depth_and_complexity_limits_reject_bombs(app: TestApp) {
    let admin_like = "{ me { user { id } } }";
    let aliases: String = (0..1100).map(|i| format!("a{i}: me {{ role }} ")).collect();
    let bomb = format!("{{ {aliases} }}");
    let (response, statements) = app
        .count_statements(app.gql(&Auth::None, &bomb, json!({})))
        .await;
    response.expect_code("GRAPHQL_VALIDATION_FAILED");
    assert_eq!(statements, 0, "rejected before any SQL runs");
    assert!(response.body["data"].is_null());

    let mut config = test_config();
    config.graphql_depth_limit = 2;
    let shallow = TestApp::start_with(Backend::Sqlite, config).await;
    let response = shallow.gql(&Auth::None, admin_like, json!({})).await;
    response.expect_code("GRAPHQL_VALIDATION_FAILED");
    assert!(
        response.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("deep"),
        "{}",
        response.body
    );
}

/// Requests over `MAX_CONCURRENT_REQUESTS` queue; none is turned away.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_the_concurrency_limit_wait_their_turn() {
    let mut config = test_config();
    config.max_concurrent_requests = 1;
    let narrow = std::sync::Arc::new(TestApp::start_with(Backend::Sqlite, config).await);
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let narrow = narrow.clone();
        calls.spawn(async move { narrow.gql(&Auth::None, "{ __typename }", json!({})).await });
    }
    while let Some(response) = calls.join_next().await {
        let response = response.expect("task");
        assert_eq!(response.status, 200);
        assert_eq!(response.data()["__typename"], "QueryRoot");
    }
}

async fn graphiql_is_served(app: TestApp) {
    let response = app
        .http
        .get(format!("{}/graphql", app.base_url))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.text().await.unwrap().contains("graphiql"));
}

async fn metrics_count_sql_statements(app: TestApp) {
    let read = || async {
        let text = app
            .http
            .get(format!("{}/metrics", app.base_url))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with("servicedesk_sql_statements_total "))
            .unwrap()
            .to_owned();
        line.rsplit(' ').next().unwrap().parse::<u64>().unwrap()
    };
    let before = read().await;
    let user = app.user(entity::users::Role::Customer, None, None).await;
    app.gql(&user.auth, "{ me { role } }", json!({}))
        .await
        .data();
    assert_eq!(
        read().await - before,
        2,
        "authentication and `me` read the user once each"
    );
}
