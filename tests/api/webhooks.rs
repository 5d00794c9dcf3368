//! Webhooks (issue 13): signed Standard Webhooks deliveries from the timeline, retried on a
//! schedule with the same `webhook-id`, to the endpoints that may see each event. A receiver
//! runs in the test on loopback and checks every signature with the `standardwebhooks` crate,
//! as a partner would; the test moves the server's clock and runs the delivery pass itself.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use chrono::Duration;
use serde_json::{Value, json};
use servicedesk::jobs::webhooks::{self, Report, Sender};
use servicedesk_tests::{Auth, Backend, TestApp, db_tests, test_config};
use servicedesk_tests::{NodeType, gid};

db_tests!(
    r_sla_11_a_partner_endpoint_gets_its_inquiries_question_and_answer,
    a_receiver_verifies_the_signature_and_gets_the_third_attempt_with_the_same_webhook_id,
    a_partner_endpoint_gets_its_organizations_public_events_in_order_and_nothing_else,
    rotating_the_secret_signs_with_both_secrets_during_the_overlap_and_one_after,
    a_later_retry_after_from_the_receiver_is_honoured,
    a_message_fails_after_the_whole_schedule,
    an_endpoint_failing_for_five_days_is_disabled_and_says_why,
    redeliver_sends_a_message_again_with_the_same_webhook_id,
    only_partners_and_admins_manage_endpoints_and_a_foreign_one_is_not_found,
    two_instances_send_each_message_once_per_attempt,
    delivery_refuses_private_addresses_when_they_are_not_allowed,
);

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    id: String,
    timestamp: i64,
    signatures: Vec<String>,
    body: String,
    json: Value,
}

/// A webhook receiver on loopback that answers from a script (then 204) and keeps every
/// request.
#[derive(Clone, Default)]
struct Receiver {
    received: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<Answer>>>,
}

/// A status and the headers to answer with.
type Answer = (u16, Vec<(&'static str, String)>);

impl Receiver {
    async fn start() -> (Self, String) {
        let receiver = Self::default();
        let state = receiver.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let state = state.clone();
                async move { state.take(&headers, body) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await.expect("receiver") });
        (receiver, url)
    }

    fn take(&self, headers: &HeaderMap, body: String) -> impl IntoResponse + use<> {
        let header = |name: &str| headers[name].to_str().expect("ascii").to_owned();
        self.received.lock().unwrap().push(Received {
            id: header("webhook-id"),
            timestamp: header("webhook-timestamp").parse().expect("unix seconds"),
            signatures: header("webhook-signature")
                .split(' ')
                .map(str::to_owned)
                .collect(),
            json: serde_json::from_str(&body).expect("JSON body"),
            body,
        });
        let (status, extra) = self
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or((204, Vec::new()));
        let mut answer = HeaderMap::new();
        for (name, value) in extra {
            answer.insert(name, value.parse().expect("header value"));
        }
        (
            StatusCode::from_u16(status).expect("status"),
            answer,
            format!("answered {status}"),
        )
    }

    /// The next answers, in order.
    fn answer(&self, answers: &[(u16, Option<(&'static str, &str)>)]) {
        let mut script = self.script.lock().unwrap();
        for (status, header) in answers {
            let headers = header
                .iter()
                .map(|(name, value)| (*name, (*value).to_owned()))
                .collect();
            script.push_back((*status, headers));
        }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// Whether `got` carries a valid signature with `secret`, computed by the Standard Webhooks
/// library a partner would use. (Its `verify` also checks the timestamp against the wall
/// clock, which the test's clock is not.)
fn signed_with(got: &Received, secret: &str) -> bool {
    let expected = standardwebhooks::Webhook::new(secret)
        .expect("secret")
        .sign(&got.id, got.timestamp, got.body.as_bytes())
        .expect("sign");
    got.signatures.contains(&expected)
}

fn sender() -> Sender {
    Sender::new(&test_config().webhook_settings()).expect("sender")
}

/// Runs the delivery pass at the server's time until the receiver has `count` requests.
/// PostgreSQL's dispatcher reads only below the oldest transaction in flight on the whole
/// server, so another test's open transaction may hold new events back for a moment.
async fn deliver_until(app: &TestApp, receiver: &Receiver, count: usize) -> Vec<Received> {
    let sender = sender();
    for _ in 0..400 {
        webhooks::run(&app.db, &sender, app.clock_now())
            .await
            .expect("webhook pass");
        let got = receiver.received();
        if got.len() >= count {
            assert_eq!(got.len(), count, "no more than expected");
            return got;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!(
        "the receiver got {} requests, not {count}",
        receiver.received().len()
    );
}

/// One pass at the server's time.
async fn pass(app: &TestApp) -> Report {
    webhooks::run(&app.db, &sender(), app.clock_now())
        .await
        .expect("webhook pass")
}

const ENDPOINT_FIELDS: &str = "id url description eventTypes internal organizationId enabled
    disabledAt disabledReason failingSince previousSecretValidUntil version";

/// Creates an endpoint; returns it and its secret.
async fn create(app: &TestApp, auth: &Auth, input: Value) -> (Value, String) {
    let query = format!(
        "mutation($input: CreateWebhookEndpointInput!) {{ createWebhookEndpoint(input: $input) {{
            secret endpoint {{ {ENDPOINT_FIELDS} }} }} }}"
    );
    let created = app.gql(auth, &query, json!({ "input": input })).await;
    let created = created.data()["createWebhookEndpoint"].clone();
    (
        created["endpoint"].clone(),
        created["secret"].as_str().expect("secret").to_owned(),
    )
}

const MESSAGES: &str = "query($id: ID!) { webhookMessages(endpointId: $id, first: 50) {
    edges { node { id webhookId eventType status attemptCount nextAttemptAt payload
        attempts { attemptedAt durationMs responseStatus error responseBody } } } } }";

async fn messages(app: &TestApp, auth: &Auth, endpoint: &Value) -> Vec<Value> {
    let page = app
        .gql(auth, MESSAGES, json!({ "id": endpoint["id"] }))
        .await;
    page.data()["webhookMessages"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

async fn endpoint(app: &TestApp, auth: &Auth, id: &Value) -> Value {
    let query = format!("query($id: ID!) {{ webhookEndpoint(id: $id) {{ {ENDPOINT_FIELDS} }} }}");
    app.gql(auth, &query, json!({ "id": id })).await.data()["webhookEndpoint"].clone()
}

async fn assign(app: &TestApp, w: &servicedesk_tests::RepairWorld, order: &Value) -> Value {
    let tech = format!(", technicianId: \"{}\"", w.technician.gid());
    app.repair_ok(&w.agent.auth, "assignTechnician", order, &tech)
        .await
}

async fn a_receiver_verifies_the_signature_and_gets_the_third_attempt_with_the_same_webhook_id(
    app: TestApp,
) {
    let w = app.repair_world().await;
    let (receiver, url) = Receiver::start().await;
    let (hook, secret) = create(
        &app,
        &w.partner,
        json!({ "url": url, "description": "dealer ERP", "eventTypes": ["repair_order.assigned"] }),
    )
    .await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert_eq!(hook["eventTypes"], json!(["repair_order.assigned"]));
    assert_eq!(hook["internal"], false);
    assert_eq!(hook["organizationId"], gid(NodeType::Organization, w.org));

    receiver.answer(&[(500, None), (500, None)]);
    let order = app.report(&w.partner_customer, w.partner_asset).await;
    assign(&app, &w, &order).await;

    let first = deliver_until(&app, &receiver, 1).await;
    // Not due again before the schedule says so.
    pass(&app).await;
    assert_eq!(receiver.received().len(), 1);
    app.clock.advance(Duration::seconds(5));
    deliver_until(&app, &receiver, 2).await;
    pass(&app).await;
    app.clock.advance(Duration::minutes(5));
    let got = deliver_until(&app, &receiver, 3).await;

    assert!(got.iter().all(|r| r.id == first[0].id), "one webhook-id");
    assert!(got[0].id.starts_with("msg_"));
    assert!(got.iter().all(|r| signed_with(r, &secret)));
    assert!(!signed_with(
        &got[0],
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    ));
    assert!(got.iter().all(|r| r.body == got[0].body), "the same body");
    assert_eq!(got[2].timestamp - got[0].timestamp, 5 + 300);
    let body = &got[0].json;
    assert_eq!(body["type"], "repair_order.assigned");
    assert_eq!(body["data"]["version"], 2);
    assert_eq!(body["data"]["ticketKind"], "REPAIR_ORDER");
    assert_eq!(body["data"]["ticketId"], order["id"]);
    assert_eq!(body["data"]["toStatus"], "ASSIGNED");
    assert_eq!(body["data"]["public"], true);

    // The cursor resumes the partner's change feed right after this event.
    let after = app
        .gql(
            &w.partner,
            "query($after: String) { changes(after: $after, first: 50) { edges { node { action } } } }",
            json!({ "after": body["data"]["cursor"] }),
        )
        .await;
    let later: Vec<&Value> = after.data()["changes"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"]["action"])
        .collect();
    assert!(!later.contains(&&json!("ASSIGNED")), "{later:?}");

    let log = messages(&app, &w.partner, &hook).await;
    assert_eq!(log.len(), 1);
    let message = &log[0];
    assert_eq!(message["webhookId"], json!(first[0].id));
    assert_eq!(message["payload"], json!(first[0].body));
    assert_eq!(message["status"], "DELIVERED");
    assert_eq!(message["attemptCount"], 3);
    assert_eq!(message["nextAttemptAt"], Value::Null);
    let statuses: Vec<&Value> = message["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["responseStatus"])
        .collect();
    assert_eq!(statuses, [&json!(500), &json!(500), &json!(204)]);
    assert_eq!(message["attempts"][0]["responseBody"], "answered 500");
    assert_eq!(message["attempts"][0]["error"], Value::Null);
    assert_eq!(
        endpoint(&app, &w.partner, &hook["id"]).await["failingSince"],
        Value::Null,
        "a success ends the failure streak"
    );
}

/// The partner organization's customer's order, driven through the whole happy path, with an
/// internal note on the way.
async fn partner_order_closed(app: &TestApp, w: &servicedesk_tests::RepairWorld) -> Value {
    let mut order = app.report(&w.partner_customer, w.partner_asset).await;
    order = assign(app, w, &order).await;
    let note = "mutation($id: ID!) {
        addRepairNote(id: $id, note: \"Customer was rude\", public: false) { id version } }";
    let noted = app
        .gql(&w.agent.auth, note, json!({ "id": order["id"] }))
        .await;
    order["version"] = noted.data()["addRepairNote"]["version"].clone();
    for (auth, name, args) in [
        (&w.technician.auth, "acceptRepair", ""),
        (&w.technician.auth, "startTravel", ""),
        (&w.technician.auth, "markArrived", ""),
        (&w.technician.auth, "completeRepair", ", workDone: \"Fan\""),
        (&w.partner_customer.auth, "confirmRepair", ""),
        (&w.agent.auth, "closeRepair", ""),
    ] {
        order = app.repair_ok(auth, name, &order, args).await;
    }
    assert_eq!(order["status"], "CLOSED");
    order
}

async fn a_partner_endpoint_gets_its_organizations_public_events_in_order_and_nothing_else(
    app: TestApp,
) {
    let w = app.repair_world().await;
    let (partner_receiver, partner_url) = Receiver::start().await;
    let (internal_receiver, internal_url) = Receiver::start().await;
    let (other_receiver, other_url) = Receiver::start().await;
    let (_, partner_secret) = create(&app, &w.partner, json!({ "url": partner_url })).await;
    let (internal, _) = create(
        &app,
        &w.admin.auth,
        json!({ "url": internal_url, "internal": true, "eventTypes": ["repair_order.*"] }),
    )
    .await;
    assert_eq!(internal["internal"], true);
    assert_eq!(internal["organizationId"], Value::Null);
    create(&app, &w.other_partner, json!({ "url": other_url })).await;

    let theirs = partner_order_closed(&app, &w).await;
    let not_theirs = app.order_in(&w, "ASSIGNED").await;

    // What the partner may see is what its change feed gives it, all of it, in that order.
    app.log_caught_up().await;
    let feed = app
        .gql(
            &w.partner,
            "{ changes(first: 100) { edges { node { id ticketId } } } }",
            json!({}),
        )
        .await;
    let expected: Vec<Value> = feed.data()["changes"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].clone())
        .collect();
    assert!(expected.len() >= 8, "{expected:?}");
    let got = deliver_until(&app, &partner_receiver, expected.len()).await;
    let ids: Vec<Value> = got
        .iter()
        .map(|r| r.json["data"]["eventId"].clone())
        .collect();
    assert_eq!(ids, expected);
    assert!(got.iter().all(|r| signed_with(r, &partner_secret)));
    assert!(got.iter().all(|r| r.json["data"]["public"] == true));
    assert!(
        got.iter()
            .all(|r| r.json["data"]["ticketId"] == theirs["id"])
    );
    let statuses: Vec<&str> = got
        .iter()
        .filter_map(|r| r.json["data"]["toStatus"].as_str())
        .filter(|s| *s != "SUBMITTED")
        .collect();
    assert_eq!(
        statuses,
        [
            "ASSIGNED",
            "ACCEPTED",
            "EN_ROUTE",
            "ON_SITE",
            "COMPLETED",
            "CONFIRMED",
            "CLOSED"
        ]
    );
    assert!(
        !got.iter().any(|r| r.body.contains("Customer was rude")),
        "internal notes never reach partners"
    );

    // The internal endpoint gets every repair-order entry, internal ones too; the other
    // organization's endpoint gets nothing.
    let all = internal_receiver.received();
    assert!(all.len() > got.len());
    assert!(all.iter().any(|r| r.json["data"]["public"] == false));
    assert!(all.iter().any(|r| r.body.contains("Customer was rude")));
    assert!(
        all.iter()
            .any(|r| r.json["data"]["ticketId"] == not_theirs["id"])
    );
    assert!(
        all.iter()
            .all(|r| r.json["data"]["ticketKind"] == "REPAIR_ORDER")
    );
    assert!(other_receiver.received().is_empty());

    // Admins operate the delivery log but read no ticket data (R-PRV-1).
    let log = messages(&app, &w.admin.auth, &internal).await;
    assert_eq!(log.len(), all.len());
    assert!(
        log.iter()
            .all(|m| m["status"] == "DELIVERED" && m["payload"].is_null())
    );
}

async fn rotating_the_secret_signs_with_both_secrets_during_the_overlap_and_one_after(
    app: TestApp,
) {
    let w = app.repair_world().await;
    let (receiver, url) = Receiver::start().await;
    let (hook, old) = create(
        &app,
        &w.partner,
        json!({ "url": url, "eventTypes": ["repair_order.assigned", "repair_order.accepted"] }),
    )
    .await;
    let rotate = "mutation($id: ID!, $overlap: Int) { rotateWebhookSecret(id: $id, overlapSeconds: $overlap) {
        secret endpoint { previousSecretValidUntil } } }";
    let rotated = app
        .gql(
            &w.partner,
            rotate,
            json!({ "id": hook["id"], "overlap": 3600 }),
        )
        .await;
    let rotated = rotated.data()["rotateWebhookSecret"].clone();
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert!(rotated["endpoint"]["previousSecretValidUntil"].is_string());

    let order = app.report(&w.partner_customer, w.partner_asset).await;
    let order = assign(&app, &w, &order).await;
    let during = deliver_until(&app, &receiver, 1).await;
    assert_eq!(during[0].signatures.len(), 2, "{:?}", during[0].signatures);
    assert!(signed_with(&during[0], &old) && signed_with(&during[0], &new));

    app.clock.advance(Duration::seconds(3601));
    app.repair_ok(&w.technician.auth, "acceptRepair", &order, "")
        .await;
    let after = deliver_until(&app, &receiver, 2).await;
    assert_eq!(after[1].signatures.len(), 1);
    assert!(signed_with(&after[1], &new) && !signed_with(&after[1], &old));

    for overlap in [-1, 7 * 24 * 3600 + 1] {
        let refused = app
            .gql(
                &w.partner,
                rotate,
                json!({ "id": hook["id"], "overlap": overlap }),
            )
            .await;
        assert_eq!(
            refused.expect_code("BAD_USER_INPUT")["field"],
            "overlapSeconds"
        );
    }
}

async fn a_later_retry_after_from_the_receiver_is_honoured(app: TestApp) {
    let w = app.repair_world().await;
    let (receiver, url) = Receiver::start().await;
    let (hook, _) = create(
        &app,
        &w.partner,
        json!({ "url": url, "eventTypes": ["repair_order.assigned"] }),
    )
    .await;
    receiver.answer(&[(503, Some(("retry-after", "600")))]);
    let order = app.report(&w.partner_customer, w.partner_asset).await;
    assign(&app, &w, &order).await;
    let started = app.clock_now();
    deliver_until(&app, &receiver, 1).await;
    let message = &messages(&app, &w.partner, &hook).await[0];
    assert_eq!(message["status"], "PENDING");
    // A message is a node for whoever manages its endpoint.
    let node = "query($id: ID!) { node(id: $id) { ... on WebhookMessage { id status } } }";
    let read = app
        .gql(&w.partner, node, json!({ "id": message["id"] }))
        .await;
    assert_eq!(read.data()["node"]["status"], "PENDING");
    app.gql(&w.other_partner, node, json!({ "id": message["id"] }))
        .await
        .expect_code("NOT_FOUND");
    let due: chrono::DateTime<chrono::Utc> =
        message["nextAttemptAt"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        due - started,
        Duration::seconds(600),
        "not the schedule's 5 s"
    );

    app.clock.advance(Duration::seconds(5));
    pass(&app).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "not before the receiver asked"
    );
    app.clock.advance(Duration::seconds(595));
    deliver_until(&app, &receiver, 2).await;
    assert_eq!(
        messages(&app, &w.partner, &hook).await[0]["status"],
        "DELIVERED"
    );
}

async fn a_message_fails_after_the_whole_schedule(app: TestApp) {
    let w = app.repair_world().await;
    let (receiver, url) = Receiver::start().await;
    let (hook, _) = create(
        &app,
        &w.partner,
        json!({ "url": url, "eventTypes": ["repair_order.assigned"] }),
    )
    .await;
    receiver.answer(&[(500, None); 8]);
    let order = app.report(&w.partner_customer, w.partner_asset).await;
    assign(&app, &w, &order).await;
    deliver_until(&app, &receiver, 1).await;
    let waits = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];
    for (n, wait) in waits.into_iter().enumerate() {
        app.clock.advance(Duration::seconds(wait - 1));
        pass(&app).await;
        assert_eq!(receiver.received().len(), n + 1, "not before {wait} s");
        app.clock.advance(Duration::seconds(1));
        deliver_until(&app, &receiver, n + 2).await;
    }
    let message = &messages(&app, &w.partner, &hook).await[0];
    assert_eq!(message["status"], "FAILED");
    assert_eq!(message["attemptCount"], 8);
    assert_eq!(message["nextAttemptAt"], Value::Null);
    app.clock.advance(Duration::days(1));
    pass(&app).await;
    assert_eq!(receiver.received().len(), 8, "no ninth attempt");
    let streak = endpoint(&app, &w.partner, &hook["id"]).await;
    assert_eq!(
        streak["enabled"], true,
        "28 hours of failures are not five days"
    );
    assert!(streak["failingSince"].is_string());
}

async fn an_endpoint_failing_for_five_days_is_disabled_and_says_why(app: TestApp) {
    let w = app.repair_world().await;
    let (receiver, url) = Receiver::start().await;
    let (hook, _) = create(
        &app,
        &w.partner,
        json!({ "url": url, "eventTypes": ["repair_order.assigned"] }),
    )
    .await;
    receiver.answer(&[(500, None); 3]);
    let order = app.report(&w.partner_customer, w.partner_asset).await;
    let order = assign(&app, &w, &order).await;
    let started = app.clock_now();
    deliver_until(&app, &receiver, 1).await;
    let failing = endpoint(&app, &w.partner, &hook["id"]).await;
    assert_eq!(
        failing["failingSince"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        started
    );
    assert_eq!(failing["enabled"], true);

    let message = messages(&app, &w.partner, &hook).await[0]["id"].clone();
    let redeliver = "mutation($id: ID!) { redeliverWebhookMessage(id: $id) { status } }";
    app.clock.advance(Duration::days(3));
    app.gql(&w.partner, redeliver, json!({ "id": message }))
        .await
        .data();
    deliver_until(&app, &receiver, 2).await;
    assert_eq!(
        endpoint(&app, &w.partner, &hook["id"]).await["enabled"],
        true
    );

    app.clock.advance(Duration::days(2));
    app.gql(&w.partner, redeliver, json!({ "id": message }))
        .await
        .data();
    deliver_until(&app, &receiver, 3).await;
    let disabled = endpoint(&app, &w.partner, &hook["id"]).await;
    assert_eq!(disabled["enabled"], false);
    assert!(disabled["disabledAt"].is_string());
    assert!(
        disabled["disabledReason"]
            .as_str()
            .unwrap()
            .contains("failed"),
        "{disabled}"
    );

    // Nothing goes to a disabled endpoint, not even new events.
    app.repair_ok(&w.agent.auth, "cancelRepair", &order, ", reason: \"x\"")
        .await;
    app.gql(&w.partner, redeliver, json!({ "id": message }))
        .await
        .data();
    pass(&app).await;
    assert_eq!(receiver.received().len(), 3);

    // Enabled again, the waiting message goes out and the streak is over.
    let enable = "mutation($id: ID!, $version: Int!) {
        updateWebhookEndpoint(id: $id, version: $version, input: { enabled: true }) {
            enabled disabledAt disabledReason failingSince } }";
    let enabled = app
        .gql(
            &w.partner,
            enable,
            json!({ "id": hook["id"], "version": disabled["version"] }),
        )
        .await;
    let enabled = &enabled.data()["updateWebhookEndpoint"];
    assert_eq!(enabled["enabled"], true);
    assert_eq!(enabled["disabledReason"], Value::Null);
    assert_eq!(enabled["failingSince"], Value::Null);
    deliver_until(&app, &receiver, 4).await;
}

async fn redeliver_sends_a_message_again_with_the_same_webhook_id(app: TestApp) {
    let w = app.repair_world().await;
    let (receiver, url) = Receiver::start().await;
    let (hook, secret) = create(
        &app,
        &w.partner,
        json!({ "url": url, "eventTypes": ["repair_order.*"] }),
    )
    .await;
    app.report(&w.partner_customer, w.partner_asset).await;
    let first = deliver_until(&app, &receiver, 1).await;
    let message = &messages(&app, &w.partner, &hook).await[0];
    assert_eq!(message["status"], "DELIVERED");

    app.clock.advance(Duration::minutes(1));
    let again = app
        .gql(
            &w.partner,
            "mutation($id: ID!) { redeliverWebhookMessage(id: $id) { webhookId status attemptCount attempts { responseStatus } } }",
            json!({ "id": message["id"] }),
        )
        .await;
    let again = &again.data()["redeliverWebhookMessage"];
    assert_eq!(again["status"], "PENDING");
    assert_eq!(again["attemptCount"], 1);
    assert_eq!(again["attempts"][0]["responseStatus"], 204);
    let got = deliver_until(&app, &receiver, 2).await;
    assert_eq!(got[1].id, first[0].id);
    assert_eq!(got[1].body, first[0].body);
    assert_eq!(got[1].timestamp - got[0].timestamp, 60);
    assert!(signed_with(&got[1], &secret));
    assert_eq!(
        messages(&app, &w.partner, &hook).await[0]["attemptCount"],
        2
    );

    // Another organization cannot redeliver it.
    app.gql(
        &w.other_partner,
        "mutation($id: ID!) { redeliverWebhookMessage(id: $id) { status } }",
        json!({ "id": message["id"] }),
    )
    .await
    .expect_code("NOT_FOUND");
}

async fn only_partners_and_admins_manage_endpoints_and_a_foreign_one_is_not_found(app: TestApp) {
    app.migrate_round_trip_from("m20261207_000016").await;
    let w = app.repair_world().await;
    let url = "http://127.0.0.1:9/hook";
    let create_query = "mutation($input: CreateWebhookEndpointInput!) {
        createWebhookEndpoint(input: $input) { endpoint { id } } }";
    for auth in [
        &w.customer.auth,
        &w.agent.auth,
        &w.supervisor.auth,
        &w.technician.auth,
    ] {
        app.gql(auth, create_query, json!({ "input": { "url": url } }))
            .await
            .expect_code("FORBIDDEN");
        app.gql(auth, "{ webhookEndpoints { id } }", json!({}))
            .await
            .expect_code("FORBIDDEN");
    }
    app.gql(&Auth::None, "{ webhookEndpoints { id } }", json!({}))
        .await
        .expect_code("UNAUTHENTICATED");
    // Partners make endpoints for their own organization only, never internal ones.
    app.gql(
        &w.partner,
        create_query,
        json!({ "input": { "url": url, "internal": true } }),
    )
    .await
    .expect_code("FORBIDDEN");
    // Admins say whose endpoint it is.
    let refused = app
        .gql(
            &w.admin.auth,
            create_query,
            json!({ "input": { "url": url } }),
        )
        .await;
    assert_eq!(
        refused.expect_code("BAD_USER_INPUT")["field"],
        "organizationId"
    );
    for (input, field) in [
        (
            json!({ "url": url, "eventTypes": ["everything"] }),
            "eventTypes",
        ),
        (
            json!({ "url": url, "eventTypes": ["survey.*"] }),
            "eventTypes",
        ),
        (json!({ "url": "ftp://example.com/" }), "url"),
        (json!({ "url": "https://user:pw@example.com/" }), "url"),
        (
            json!({ "url": format!("https://example.com/{}", "a".repeat(2048)) }),
            "url",
        ),
        (json!({ "url": "http://example.com/\u{0}" }), "url"),
    ] {
        let refused = app
            .gql(&w.partner, create_query, json!({ "input": input }))
            .await;
        assert_eq!(
            refused.expect_code("BAD_USER_INPUT")["field"],
            field,
            "{input}"
        );
    }
    assert_eq!(
        app.gql(&w.partner, "{ webhookEndpoints { id } }", json!({}))
            .await
            .data()["webhookEndpoints"],
        json!([]),
        "nothing was written"
    );

    let (hook, _) = create(&app, &w.partner, json!({ "url": url })).await;
    let (admins, _) = create(
        &app,
        &w.admin.auth,
        json!({ "url": url, "organizationId": gid(NodeType::Organization, w.org) }),
    )
    .await;
    assert_eq!(admins["organizationId"], gid(NodeType::Organization, w.org));
    let listed = |auth: Auth| {
        let app = &app;
        async move {
            app.gql(&auth, "{ webhookEndpoints { id } }", json!({}))
                .await
                .data()["webhookEndpoints"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(listed(w.partner.clone()).await, 2);
    assert_eq!(listed(w.other_partner.clone()).await, 0);
    assert_eq!(listed(w.admin.auth.clone()).await, 2);

    // Another organization's endpoint does not exist for a partner.
    let id = json!({ "id": hook["id"] });
    for query in [
        "query($id: ID!) { webhookEndpoint(id: $id) { id } }",
        "query($id: ID!) { webhookMessages(endpointId: $id) { edges { cursor } } }",
        "mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }",
        "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }",
        "mutation($id: ID!) { updateWebhookEndpoint(id: $id, version: 1, input: { enabled: false }) { id } }",
    ] {
        app.gql(&w.other_partner, query, id.clone())
            .await
            .expect_code("NOT_FOUND");
    }
    // The secret is never readable after creation.
    app.gql(
        &w.partner,
        "query($id: ID!) { webhookEndpoint(id: $id) { secret } }",
        id.clone(),
    )
    .await
    .expect_code("GRAPHQL_VALIDATION_FAILED");

    // The owner and admins change and delete it; a stale version is a conflict.
    let update = "mutation($id: ID!, $version: Int!, $input: UpdateWebhookEndpointInput!) {
        updateWebhookEndpoint(id: $id, version: $version, input: $input) {
            url description eventTypes enabled disabledReason version } }";
    let changed = app
        .gql(
            &w.partner,
            update,
            json!({ "id": hook["id"], "version": 1, "input": {
                "description": "ERP", "eventTypes": ["complaint.*"], "enabled": false } }),
        )
        .await;
    let changed = &changed.data()["updateWebhookEndpoint"];
    assert_eq!(changed["description"], "ERP");
    assert_eq!(changed["eventTypes"], json!(["complaint.*"]));
    assert_eq!(changed["enabled"], false);
    assert_eq!(changed["disabledReason"], "disabled by its owner");
    assert_eq!(changed["version"], 2);
    app.gql(
        &w.partner,
        update,
        json!({ "id": hook["id"], "version": 1, "input": { "enabled": true } }),
    )
    .await
    .expect_code("CONFLICT");
    let deleted = app
        .gql(
            &w.admin.auth,
            "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }",
            id.clone(),
        )
        .await;
    assert_eq!(deleted.data()["deleteWebhookEndpoint"], hook["id"]);
    assert_eq!(listed(w.partner.clone()).await, 1);

    // Twenty endpoints per organization at most.
    for _ in 1..20 {
        create(&app, &w.partner, json!({ "url": url })).await;
    }
    app.gql(&w.partner, create_query, json!({ "input": { "url": url } }))
        .await
        .expect_code("CONFLICT");
    assert_eq!(listed(w.other_partner.clone()).await, 0);
}

async fn two_instances_send_each_message_once_per_attempt(app: TestApp) {
    let w = app.repair_world().await;
    let other = app.another_instance().await;
    let (receiver, url) = Receiver::start().await;
    create(
        &app,
        &w.partner,
        json!({ "url": url, "eventTypes": ["repair_order.*"] }),
    )
    .await;
    for _ in 0..6 {
        app.report(&w.partner_customer, w.partner_asset).await;
    }
    receiver.answer(&[(500, None); 100]);
    // Both instances dispatch at once, then deliver at once, twice over.
    app.log_caught_up().await;
    let sender = sender();
    let (a, b) = tokio::join!(
        webhooks::dispatch(&app.db, app.clock_now()),
        webhooks::dispatch(&other.db, app.clock_now()),
    );
    let expected = a.expect("dispatch A") + b.expect("dispatch B");
    assert!(expected >= 6, "{expected}");
    let expected = usize::try_from(expected).unwrap();
    for round in 1..=2 {
        let now = app.clock_now();
        let (a, b) = tokio::join!(
            webhooks::run(&app.db, &sender, now),
            webhooks::run(&other.db, &sender, now),
        );
        let (a, b) = (a.expect("instance A"), b.expect("instance B"));
        assert_eq!(a.attempted + b.attempted, expected, "round {round}");
        let mut per_id: HashMap<String, usize> = HashMap::new();
        for got in receiver.received() {
            *per_id.entry(got.id).or_default() += 1;
        }
        assert_eq!(per_id.len(), expected);
        assert!(per_id.values().all(|n| *n == round), "{per_id:?}");
        app.clock.advance(Duration::seconds(5));
    }
}

async fn delivery_refuses_private_addresses_when_they_are_not_allowed(app: TestApp) {
    let w = app.repair_world().await;
    let (receiver, url) = Receiver::start().await;
    let (hook, _) = create(
        &app,
        &w.partner,
        json!({ "url": url, "eventTypes": ["repair_order.reported"] }),
    )
    .await;
    let by_name = url.replace("127.0.0.1", "localhost");
    let (named, _) = create(
        &app,
        &w.partner,
        json!({ "url": by_name, "eventTypes": ["repair_order.reported"] }),
    )
    .await;
    app.report(&w.partner_customer, w.partner_asset).await;
    // A sender that may not reach private addresses: neither the literal loopback address nor
    // a name that resolves to it (the resolver drops it at connection time).
    let mut settings = test_config().webhook_settings();
    settings.allow_private_targets = false;
    let strict = Sender::new(&settings).expect("sender");
    for _ in 0..400 {
        let report = webhooks::run(&app.db, &strict, app.clock_now())
            .await
            .expect("pass");
        if report.attempted == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(receiver.received().is_empty());
    for endpoint in [&hook, &named] {
        let message = &messages(&app, &w.partner, endpoint).await[0];
        assert_eq!(message["status"], "PENDING");
        let attempt = &message["attempts"][0];
        assert_eq!(attempt["responseStatus"], Value::Null);
        assert!(
            attempt["error"].as_str().unwrap().contains("address"),
            "{attempt}"
        );
    }
}

/// With private targets not allowed (the default), URLs that name or resolve to internal
/// addresses are refused when the endpoint is created.
async fn private_targets_are_refused_at_creation(backend: Backend) {
    let mut config = test_config();
    config.webhook_allow_private_targets = false;
    let app = TestApp::start_with(backend, config).await;
    let w = app.repair_world().await;
    let query = "mutation($input: CreateWebhookEndpointInput!) {
        createWebhookEndpoint(input: $input) { endpoint { id } } }";
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[fd00::1]/hook",
        "http://100.64.0.1/hook",
        "http://0.0.0.0/hook",
        "http://localhost:8080/hook",
    ] {
        let refused = app
            .gql(&w.partner, query, json!({ "input": { "url": url } }))
            .await;
        assert_eq!(
            refused.expect_code("BAD_USER_INPUT")["field"],
            "url",
            "{url}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_targets_are_refused_at_creation_sqlite() {
    private_targets_are_refused_at_creation(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_targets_are_refused_at_creation_postgres() {
    if let Some(backend) = Backend::postgres() {
        private_targets_are_refused_at_creation(backend).await;
    }
}

/// R-SLA-11: inquiries are sent like the other tickets: `inquiry.asked`, `inquiry.answered`
/// to the partner of the customer's organization, nothing to another partner.
async fn r_sla_11_a_partner_endpoint_gets_its_inquiries_question_and_answer(app: TestApp) {
    let w = app.repair_world().await;
    let (receiver, url) = Receiver::start().await;
    let (other_receiver, other_url) = Receiver::start().await;
    let (_, secret) = create(
        &app,
        &w.partner,
        json!({ "url": url, "eventTypes": ["inquiry.*"] }),
    )
    .await;
    create(&app, &w.other_partner, json!({ "url": other_url })).await;
    let asked = app
        .gql(
            &w.partner,
            "mutation($input: AskInquiryInput!) { askInquiry(input: $input) { id } }",
            json!({ "input": { "customerId": w.partner_customer.gid(),
                               "question": "Can I extend the warranty?" } }),
        )
        .await;
    let id = asked.data()["askInquiry"]["id"].clone();
    app.gql(
        &w.agent.auth,
        "mutation($id: ID!) { answerInquiry(id: $id, answer: \"Yes, by two years.\") { id } }",
        json!({ "id": id }),
    )
    .await
    .data();
    let got = deliver_until(&app, &receiver, 2).await;
    let types: Vec<&str> = got
        .iter()
        .map(|r| r.json["type"].as_str().expect("type"))
        .collect();
    assert_eq!(types, vec!["inquiry.asked", "inquiry.answered"]);
    assert!(got.iter().all(|r| signed_with(r, &secret)));
    assert!(got.iter().all(|r| r.json["data"]["ticketId"] == id));
    assert_eq!(pass(&app).await.attempted, 0);
    assert!(other_receiver.received().is_empty());
}
