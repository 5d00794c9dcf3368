//! GraphQL over HTTP (https://graphql.github.io/graphql-over-http/): media type negotiation,
//! status codes by media type, queries over GET, CORS, automatic persisted queries, and the
//! graphql-http audit suite.

use std::path::Path;

use entity::users::Role;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use servicedesk_tests::{Auth, TestApp, db_tests, test_config};

db_tests!(
    accept_picks_the_response_media_type,
    request_errors_are_400_only_as_graphql_response_json,
    get_runs_queries_with_variables,
    get_refuses_mutations_and_subscriptions,
    get_applies_the_document_limits,
    get_carries_credentials,
    get_without_a_query_serves_graphiql_to_browsers_only,
    cors_answers_listed_origins_only,
    persisted_queries_run_by_hash_over_post_and_get,
    an_allowlist_runs_only_its_documents,
    graphql_http_audit_passes,
);

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn code(&self) -> &str {
        self.body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code (HTTP {}): {}", self.status, self.body))
    }
}

async fn answer(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("send");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    Answer {
        status,
        headers,
        body,
    }
}

async fn post(app: &TestApp, accept: Option<&str>, body: Value) -> Answer {
    let mut request = app
        .http
        .post(format!("{}/graphql", app.base_url))
        .json(&body);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    answer(request).await
}

/// `GET /graphql` with these URL parameters.
fn get(app: &TestApp, params: &[(&str, &str)]) -> reqwest::RequestBuilder {
    app.http
        .get(format!("{}/graphql", app.base_url))
        .query(params)
}

async fn accept_picks_the_response_media_type(app: TestApp) {
    let typename = json!({ "query": "{ __typename }" });
    for (accept, expected) in [
        (None, "application/json"),
        (Some("*/*"), "application/json"),
        (Some("application/json"), "application/json"),
        (Some(GRAPHQL_RESPONSE), GRAPHQL_RESPONSE),
        (
            Some("application/graphql-response+json, application/json;q=0.9"),
            GRAPHQL_RESPONSE,
        ),
        (
            Some("application/graphql-response+json;q=0.5, application/json"),
            "application/json",
        ),
    ] {
        let answer = post(&app, accept, typename.clone()).await;
        assert_eq!(answer.status, 200, "{accept:?}");
        assert_eq!(
            answer.content_type(),
            format!("{expected}; charset=utf-8"),
            "{accept:?}"
        );
        assert_eq!(answer.body["data"]["__typename"], "QueryRoot");
        assert_eq!(answer.header("cache-control"), Some("no-store"));
    }
    for accept in [
        "text/html",
        "application/xml, text/*",
        "application/json;q=0",
    ] {
        let answer = post(&app, Some(accept), typename.clone()).await;
        assert_eq!(answer.status, 406, "{accept}");
        assert_eq!(answer.code(), "NOT_ACCEPTABLE");
    }
}

async fn request_errors_are_400_only_as_graphql_response_json(app: TestApp) {
    let request_errors = [
        json!({ "query": "{" }),
        json!({ "query": "{ noSuchField }" }),
        json!({ "query": "query($id: ID!) { __typename }", "variables": { "id": null } }),
        json!({ "query": format!("{{ {} }}", "a: __typename ".repeat(2100)) }),
    ];
    for body in &request_errors {
        let strict = post(&app, Some(GRAPHQL_RESPONSE), body.clone()).await;
        assert_eq!(strict.status, 400, "{}", strict.body);
        assert_eq!(strict.code(), "GRAPHQL_VALIDATION_FAILED");
        assert!(strict.body.get("data").is_none(), "{}", strict.body);
        let legacy = post(&app, Some("application/json"), body.clone()).await;
        assert_eq!(legacy.status, 200, "{}", legacy.body);
        assert_eq!(legacy.code(), "GRAPHQL_VALIDATION_FAILED");
        assert!(legacy.body.get("data").is_none(), "{}", legacy.body);
    }
    // A field error is a GraphQL response with data (null here): 200 either way.
    for accept in [GRAPHQL_RESPONSE, "application/json"] {
        let field_error = post(&app, Some(accept), json!({ "query": "{ me { role } }" })).await;
        assert_eq!(field_error.status, 200, "{}", field_error.body);
        assert_eq!(field_error.code(), "UNAUTHENTICATED");
        assert!(field_error.body["data"].is_null());
        assert!(field_error.body.get("data").is_some());
    }
    // Not a GraphQL request at all: 400 whatever the client accepts.
    for body in [
        json!({ "qeury": "{ __typename }" }),
        json!({ "query": ["{ __typename }"] }),
        json!({ "query": "{ __typename }", "variables": "{}" }),
        json!({ "query": "{ __typename }", "extensions": 0 }),
        json!({ "query": "{ __typename }", "operationName": false }),
    ] {
        let answer = post(&app, Some(GRAPHQL_RESPONSE), body.clone()).await;
        assert_eq!(answer.status, 400, "{body}");
        assert_eq!(answer.code(), "BAD_REQUEST");
    }
    let nulls = json!({
        "query": "{ __typename }", "variables": null, "operationName": null, "extensions": null
    });
    assert_eq!(post(&app, Some(GRAPHQL_RESPONSE), nulls).await.status, 200);
}

async fn get_runs_queries_with_variables(app: TestApp) {
    let user = app.user(Role::Customer, None, None).await;
    let Auth::Bearer(token) = &user.auth else {
        panic!("users have bearer tokens")
    };
    let query = "query Shown($on: Boolean!) { me { role @include(if: $on) } } \
                 query Other { __typename }";
    for accept in [GRAPHQL_RESPONSE, "application/json"] {
        let answer = answer(
            get(
                &app,
                &[
                    ("query", query),
                    ("operationName", "Shown"),
                    ("variables", r#"{"on": true}"#),
                    ("extensions", ""),
                ],
            )
            .bearer_auth(token)
            .header("accept", accept),
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.body["data"]["me"]["role"], "CUSTOMER");
        assert!(answer.content_type().starts_with(accept));
        assert_eq!(answer.header("cache-control"), Some("no-store"));
    }
    let hidden = answer(
        get(
            &app,
            &[
                ("query", query),
                ("operationName", "Shown"),
                ("variables", r#"{"on": false}"#),
            ],
        )
        .bearer_auth(token),
    )
    .await;
    assert!(hidden.body.get("errors").is_none(), "{}", hidden.body);
    assert!(
        hidden.body["data"]["me"]["role"].is_null(),
        "{}",
        hidden.body
    );
    let unparsable = answer(get(
        &app,
        &[("query", "{ __typename }"), ("variables", "[1]")],
    ))
    .await;
    assert_eq!(unparsable.status, 400);
    assert_eq!(unparsable.code(), "BAD_REQUEST");
    let invalid =
        answer(get(&app, &[("query", "{ nope }")]).header("accept", GRAPHQL_RESPONSE)).await;
    assert_eq!(invalid.status, 400);
    assert_eq!(invalid.code(), "GRAPHQL_VALIDATION_FAILED");
}

async fn get_refuses_mutations_and_subscriptions(app: TestApp) {
    let login = "mutation { login(email: \"a@example.com\", password: \"x\") { accessToken } }";
    let mixed = "query Read { __typename } mutation Write { __typename }";
    for params in [
        vec![("query", login)],
        vec![("query", "subscription { __typename }")],
        vec![("query", mixed), ("operationName", "Write")],
    ] {
        let (refused, statements) = app
            .count_statements(answer(
                get(&app, &params).header("accept", GRAPHQL_RESPONSE),
            ))
            .await;
        assert_eq!(refused.status, 405, "{params:?}");
        assert_eq!(refused.header("allow"), Some("POST"));
        assert_eq!(refused.code(), "METHOD_NOT_ALLOWED");
        assert_eq!(statements, 0, "nothing ran");
    }
    let read = answer(get(&app, &[("query", mixed), ("operationName", "Read")])).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body["data"]["__typename"], "QueryRoot");
    // Which operation is meant is unknown: a request error, not a guess.
    let ambiguous = answer(get(&app, &[("query", mixed)])).await;
    assert_eq!(ambiguous.code(), "GRAPHQL_VALIDATION_FAILED");
}

async fn get_applies_the_document_limits(app: TestApp) {
    let long = format!("{{ __typename }} #{}", "x".repeat(17_000));
    let too_long = answer(get(&app, &[("query", &long)]).header("accept", GRAPHQL_RESPONSE)).await;
    assert_eq!(too_long.status, 400);
    assert_eq!(too_long.code(), "GRAPHQL_VALIDATION_FAILED");
    assert!(
        too_long.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("longer than"),
        "{}",
        too_long.body
    );
    let aliases: String = (0..1100).map(|i| format!("a{i}: me {{ role }} ")).collect();
    let (bomb, statements) = app
        .count_statements(answer(get(&app, &[("query", &format!("{{ {aliases} }}"))])))
        .await;
    assert_eq!(bomb.code(), "GRAPHQL_VALIDATION_FAILED");
    assert_eq!(statements, 0, "rejected before any SQL runs");
}

async fn get_carries_credentials(app: TestApp) {
    let partner = app.organization("Dealer").await;
    let (_, Auth::ApiKey(key)) = app.api_key(partner).await else {
        panic!("partners have API keys")
    };
    let me = answer(
        get(&app, &[("query", "{ me { role } }")]).header("authorization", format!("ApiKey {key}")),
    )
    .await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["data"]["me"]["role"], "PARTNER");
    assert_eq!(me.header("cache-control"), Some("no-store"));
    let forged = answer(get(&app, &[("query", "{ me { role } }")]).bearer_auth("forged")).await;
    assert_eq!(forged.status, 401);
    assert_eq!(forged.code(), "UNAUTHENTICATED");
    let anonymous = answer(get(&app, &[("query", "{ me { role } }")])).await;
    assert_eq!(anonymous.status, 200);
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");
}

async fn get_without_a_query_serves_graphiql_to_browsers_only(app: TestApp) {
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let page = get(&app, &[])
        .header("accept", browser)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.unwrap().contains("graphiql"));
    let missing = answer(get(&app, &[]).header("accept", GRAPHQL_RESPONSE)).await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.body["errors"][0]["message"], "missing query");
    // A browser that asks for a query gets its answer as JSON.
    let query = answer(get(&app, &[("query", "{ __typename }")]).header("accept", browser)).await;
    assert_eq!(query.body["data"]["__typename"], "QueryRoot");
    assert!(query.content_type().starts_with("application/json"));
}

fn cors_headers(headers: &HeaderMap) -> Vec<String> {
    headers
        .keys()
        .map(|name| name.as_str().to_owned())
        .filter(|name| name.starts_with("access-control-"))
        .collect()
}

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/graphql", app.base_url),
        )
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type, idempotency-key",
        )
        .send()
        .await
        .unwrap()
}

async fn cors_answers_listed_origins_only(app: TestApp) {
    let listed = "https://app.example.com";
    // Off by default: no preflight is answered.
    let off = preflight(&app, listed).await;
    assert_eq!(off.status().as_u16(), 405);
    assert_eq!(cors_headers(off.headers()), Vec::<String>::new());

    let mut config = test_config();
    config.cors_allowed_origins = servicedesk::config::Origins(vec![
        listed.parse().unwrap(),
        "http://localhost:5173".parse().unwrap(),
    ]);
    let app = app.another_instance_with(config).await;
    let allowed = preflight(&app, listed).await;
    assert!(allowed.status().is_success(), "{}", allowed.status());
    let header = |name: &str| {
        allowed
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    assert_eq!(header("access-control-allow-origin"), listed);
    for name in ["authorization", "content-type", "idempotency-key"] {
        assert!(
            header("access-control-allow-headers").contains(name),
            "{name}"
        );
    }
    assert!(header("access-control-allow-methods").contains("post"));
    assert!(header("access-control-max-age").parse::<u64>().unwrap() > 0);

    let unlisted = preflight(&app, "https://evil.example.net").await;
    assert_eq!(cors_headers(unlisted.headers()), Vec::<String>::new());

    // The real request: readable by the listed origin, with the headers clients need exposed.
    let user = app.user(Role::Customer, None, None).await;
    let Auth::Bearer(token) = &user.auth else {
        panic!("users have bearer tokens")
    };
    let cross = answer(
        app.http
            .post(format!("{}/graphql", app.base_url))
            .header("origin", listed)
            .bearer_auth(token)
            .json(&json!({ "query": "{ me { role } }" })),
    )
    .await;
    assert_eq!(cross.body["data"]["me"]["role"], "CUSTOMER");
    assert_eq!(cross.header("access-control-allow-origin"), Some(listed));
    let exposed = cross
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(exposed.contains("idempotent-replayed") && exposed.contains("retry-after"));
    let foreign = answer(
        app.http
            .get(format!("{}/graphql", app.base_url))
            .query(&[("query", "{ __typename }")])
            .header("origin", "https://evil.example.net"),
    )
    .await;
    assert_eq!(
        foreign.status, 200,
        "the server answers; the browser hides it"
    );
    assert_eq!(cors_headers(&foreign.headers), Vec::<String>::new());
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn persisted_queries_run_by_hash_over_post_and_get(app: TestApp) {
    let query = "query Kind { __typename }";
    let hash = sha256_hex(query);
    let by_hash = json!({ "extensions": persisted(&hash) });
    for accept in ["application/json", GRAPHQL_RESPONSE] {
        let unknown = post(&app, Some(accept), by_hash.clone()).await;
        assert_eq!(
            unknown.code(),
            "PERSISTED_QUERY_NOT_FOUND",
            "{}",
            unknown.body
        );
        assert_eq!(
            unknown.body["errors"][0]["message"],
            "PersistedQueryNotFound"
        );
        let expected = if accept == GRAPHQL_RESPONSE { 400 } else { 200 };
        assert_eq!(unknown.status, expected);
    }
    let registered = post(
        &app,
        None,
        json!({ "query": query, "extensions": persisted(&hash) }),
    )
    .await;
    assert_eq!(registered.body["data"]["__typename"], "QueryRoot");
    let by_post = post(&app, None, by_hash).await;
    assert_eq!(by_post.body["data"]["__typename"], "QueryRoot");
    let extensions = persisted(&hash).to_string();
    let by_get = answer(get(&app, &[("extensions", &extensions)])).await;
    assert_eq!(by_get.status, 200, "{}", by_get.body);
    assert_eq!(by_get.body["data"]["__typename"], "QueryRoot");

    // A document that does not have the hash it claims is refused, and not kept.
    let forged = post(
        &app,
        None,
        json!({ "query": "{ me { role } }", "extensions": persisted(&"0".repeat(64)) }),
    )
    .await;
    assert_eq!(forged.status, 400);
    assert_eq!(forged.code(), "BAD_REQUEST");
    let bad = post(&app, None, json!({ "extensions": persisted("abc") })).await;
    assert_eq!(bad.status, 400);

    // A persisted mutation is still no GET.
    let mutation = "mutation { login(email: \"a@example.com\", password: \"x\") { accessToken } }";
    let hash = sha256_hex(mutation);
    post(
        &app,
        None,
        json!({ "query": mutation, "extensions": persisted(&hash) }),
    )
    .await;
    let extensions = persisted(&hash).to_string();
    let refused = answer(get(&app, &[("extensions", &extensions)])).await;
    assert_eq!(refused.status, 405);
}

async fn an_allowlist_runs_only_its_documents(app: TestApp) {
    let listed = "query Kind { __typename }";
    let mut config = test_config();
    config.persisted_queries_allowlist = Some(
        servicedesk::http::Allowlist::parse(&json!({ sha256_hex(listed): listed }).to_string())
            .unwrap(),
    );
    let app = app.another_instance_with(config).await;
    let extensions = persisted(&sha256_hex(listed)).to_string();
    let by_hash = answer(get(&app, &[("extensions", &extensions)])).await;
    assert_eq!(by_hash.body["data"]["__typename"], "QueryRoot");
    let by_text = post(&app, None, json!({ "query": listed })).await;
    assert_eq!(by_text.body["data"]["__typename"], "QueryRoot");
    let other = "{ __typename }";
    for body in [
        json!({ "query": other }),
        json!({ "query": other, "extensions": persisted(&sha256_hex(other)) }),
        json!({ "extensions": persisted(&sha256_hex(other)) }),
    ] {
        let refused = post(&app, Some(GRAPHQL_RESPONSE), body).await;
        assert_eq!(refused.status, 400);
        assert_eq!(refused.code(), "PERSISTED_QUERY_NOT_ALLOWED");
    }
}

/// The graphql-http audit suite (`tests/http-audit`, `npm ci --prefix tests/http-audit`)
/// against this server: every MUST and SHOULD passes. Skipped where Node or the package is
/// missing, except in CI (`CI` set), whose `.ci/run` installs them.
async fn graphql_http_audit_passes(app: TestApp) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("http-audit");
    let installed = dir.join("node_modules/graphql-http/package.json").exists();
    let node = tokio::process::Command::new("node")
        .arg("--version")
        .output()
        .await
        .is_ok_and(|output| output.status.success());
    if !(installed && node) {
        let why = "graphql-http audit needs node and `npm ci --prefix tests/http-audit`";
        assert!(std::env::var_os("CI").is_none(), "{why}");
        eprintln!("skipped: {why}");
        return;
    }
    let output = tokio::process::Command::new("node")
        .arg("audit.mjs")
        .arg(format!("{}/graphql", app.base_url))
        .current_dir(&dir)
        .output()
        .await
        .expect("run node");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "audit failed:\n{report}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for level in ["MUST", "SHOULD"] {
        let line = report
            .lines()
            .find(|line| line.starts_with(&format!("{level}: ")))
            .unwrap_or_else(|| panic!("no {level} summary:\n{report}"));
        let counts = line[level.len() + 2..].trim_end_matches(" passed");
        let (passed, total) = counts.split_once('/').expect("passed/total");
        assert_eq!(passed, total, "{report}");
    }
    for line in report.lines().filter(|line| !line.starts_with("ok ")) {
        eprintln!("graphql-http audit: {line}");
    }
}
