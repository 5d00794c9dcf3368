//! Live updates over WebSocket (issue 13): subscribers get the events they may see, in commit
//! order, as the change feed gives them; a reconnect with a cursor replays exactly what was
//! missed; a change on one instance reaches a subscriber on another; credentials come in
//! `connection_init` and their end ends the connection; limits hold.

use std::time::Duration;

use serde_json::{Value, json};
use servicedesk::domain::identity::{Principal, UserPrincipal};
use servicedesk::events::{EventHub, HubSettings};
use servicedesk::services::{Env, feed};
use servicedesk::store;
use servicedesk_tests::{Auth, Backend, Protocol, Received, TestApp, db_tests, test_config};
use servicedesk_tests::{NodeType, gid};

db_tests!(
    live_a_subscriber_gets_its_repairs_happy_path_in_order_and_nothing_else,
    live_reconnecting_with_a_cursor_replays_exactly_the_missed_events,
    live_a_change_on_one_instance_reaches_a_subscriber_on_another,
    live_the_legacy_graphql_ws_protocol_works,
    live_connection_init_needs_valid_credentials,
    r_prv_4_live_connections_end_when_the_account_is_deactivated_or_the_key_revoked,
    live_ticket_updated_follows_one_ticket_and_hides_foreign_ones,
    live_limits_on_subscriptions_and_documents_hold,
    live_a_slow_consumer_is_dropped_not_buffered,
);

const EVENTS: &str = "subscription($after: String) { ticketEvents(after: $after) {
    cursor node { id eventType ticketKind ticketId action toStatus public } } }";

const CHANGES: &str = "query($after: String) { changes(after: $after, first: 50) {
    edges { cursor node { id eventType ticketKind ticketId action toStatus public } }
    endCursor endOfStream } }";

/// The change feed's edges for `auth` after `after`, to the end.
async fn feed_after(app: &TestApp, auth: &Auth, after: Option<&Value>) -> Vec<Value> {
    app.log_caught_up().await;
    let mut edges = Vec::new();
    let mut after = after.cloned();
    loop {
        let page = app
            .gql(auth, CHANGES, json!({ "after": after }))
            .await
            .data()["changes"]
            .clone();
        edges.extend(page["edges"].as_array().expect("edges").iter().cloned());
        if page["endOfStream"] == true {
            return edges;
        }
        after = Some(page["endCursor"].clone());
    }
}

async fn live_a_subscriber_gets_its_repairs_happy_path_in_order_and_nothing_else(app: TestApp) {
    let w = app.repair_world().await;
    let mut live = app.live(&w.customer.auth, Protocol::TransportWs).await;
    live.subscribe("1", EVENTS, json!({})).await;
    // A subscription is live once the server has it; give it that moment.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let order = app.order_in(&w, "CLOSED").await;
    app.report(&w.partner_customer, w.partner_asset).await;

    // Exactly what the change feed gives the customer, in the same order.
    let expected = feed_after(&app, &w.customer.auth, None).await;
    let got = live.edges("1", "ticketEvents", expected.len()).await;
    assert_eq!(got, expected);
    let statuses: Vec<&str> = got
        .iter()
        .filter(|e| e["node"]["ticketId"] == order["id"])
        .filter_map(|e| e["node"]["toStatus"].as_str())
        .collect();
    assert_eq!(
        statuses,
        [
            "SUBMITTED",
            "ASSIGNED",
            "ACCEPTED",
            "EN_ROUTE",
            "ON_SITE",
            "COMPLETED",
            "CONFIRMED",
            "CLOSED"
        ]
    );
    assert!(got.iter().all(|e| e["node"]["public"] == true));
    assert!(got.iter().all(|e| e["node"]["ticketId"] == order["id"]));
    live.silent_for(Duration::from_millis(500)).await;
}

async fn live_reconnecting_with_a_cursor_replays_exactly_the_missed_events(app: TestApp) {
    let w = app.repair_world().await;
    let mut live = app.live(&w.agent.auth, Protocol::TransportWs).await;
    live.subscribe("a", EVENTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let order = app.report(&w.customer, w.asset).await;
    let first = live.edges("a", "ticketEvents", 1).await.remove(0);
    assert_eq!(first["node"]["ticketId"], order["id"], "{first}");
    // Anything else the report wrote arrives too; the last cursor seen is where to resume.
    app.log_caught_up().await;
    let rest = feed_after(&app, &w.agent.auth, Some(&first["cursor"])).await;
    let mut seen = vec![first];
    seen.extend(live.edges("a", "ticketEvents", rest.len()).await);
    let cursor = seen.last().unwrap()["cursor"].clone();
    live.disconnect().await;

    // Offline: the order moves on.
    let tech = format!(", technicianId: \"{}\"", w.technician.gid());
    let order = app
        .repair_ok(&w.agent.auth, "assignTechnician", &order, &tech)
        .await;
    let order = app
        .repair_ok(&w.technician.auth, "acceptRepair", &order, "")
        .await;
    let missed = feed_after(&app, &w.agent.auth, Some(&cursor)).await;
    assert!(missed.len() >= 2, "{missed:?}");

    let mut again = app.live(&w.agent.auth, Protocol::TransportWs).await;
    again
        .subscribe("b", EVENTS, json!({ "after": cursor }))
        .await;
    assert_eq!(again.edges("b", "ticketEvents", missed.len()).await, missed);
    // Then live, without repeats.
    app.repair_ok(&w.technician.auth, "startTravel", &order, "")
        .await;
    let next = again.edges("b", "ticketEvents", 1).await.remove(0);
    assert_eq!(next["node"]["toStatus"], "EN_ROUTE", "{next}");
    again.silent_for(Duration::from_millis(300)).await;
}

async fn live_a_change_on_one_instance_reaches_a_subscriber_on_another(app: TestApp) {
    let w = app.repair_world().await;
    let other = app.another_instance().await;
    let mut live = other.live(&w.customer.auth, Protocol::TransportWs).await;
    live.subscribe("1", EVENTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let order = app.report(&w.customer, w.asset).await;
    let got = live.edges("1", "ticketEvents", 1).await.remove(0);
    assert_eq!(got["node"]["ticketId"], order["id"]);
    assert_eq!(got["node"]["action"], "REPORTED");
}

async fn live_the_legacy_graphql_ws_protocol_works(app: TestApp) {
    let w = app.repair_world().await;
    let mut live = app.live(&w.customer.auth, Protocol::Legacy).await;
    live.subscribe("old", EVENTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let order = app.report(&w.customer, w.asset).await;
    let got = live.edges("old", "ticketEvents", 1).await.remove(0);
    assert_eq!(got["node"]["ticketId"], order["id"]);
    assert_eq!(got["node"]["eventType"], "repair_order.reported", "{got}");
    live.send(json!({ "id": "old", "type": "stop" })).await;
    let complete = live.message().await;
    assert_eq!(complete, json!({ "id": "old", "type": "complete" }));
}

async fn live_connection_init_needs_valid_credentials(app: TestApp) {
    for auth in [Auth::None, Auth::Bearer("not-a-token".into())] {
        let mut live = app.live_socket(Protocol::TransportWs).await;
        live.init(&auth).await;
        let (code, reason) = live.closed().await;
        assert_eq!(code, 4403, "{reason}");
    }
    let mut legacy = app.live_socket(Protocol::Legacy).await;
    legacy.init(&Auth::None).await;
    let refused = legacy.message().await;
    assert_eq!(refused["type"], "connection_error", "{refused}");
}

async fn r_prv_4_live_connections_end_when_the_account_is_deactivated_or_the_key_revoked(
    app: TestApp,
) {
    let w = app.repair_world().await;
    let mut customer = app.live(&w.customer.auth, Protocol::TransportWs).await;
    customer.subscribe("1", EVENTS, json!({})).await;
    let mut bystander = app
        .live(&w.other_customer.auth, Protocol::TransportWs)
        .await;
    bystander.subscribe("1", EVENTS, json!({})).await;
    let (key_id, key) = app.api_key(w.org).await;
    let mut partner = app.live(&key, Protocol::TransportWs).await;
    partner.subscribe("1", EVENTS, json!({})).await;

    app.gql(
        &w.admin.auth,
        "mutation($id: ID!) { deactivateUser(userId: $id) { active } }",
        json!({ "id": w.customer.gid() }),
    )
    .await
    .data();
    let (code, reason) = customer.closed().await;
    assert_eq!(code, 4403, "{reason}");

    app.gql(
        &w.admin.auth,
        "mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }",
        json!({ "id": gid(NodeType::ApiKey, key_id) }),
    )
    .await
    .data();
    let (code, reason) = partner.closed().await;
    assert_eq!(code, 4403, "{reason}");

    // Someone else's deactivation leaves a connection alone.
    let asset = app
        .asset(
            w.other_customer.id,
            app.clock_now().date_naive() + chrono::Duration::days(90),
        )
        .await;
    let order = app.report(&w.other_customer, asset).await;
    let got = bystander.edges("1", "ticketEvents", 1).await.remove(0);
    assert_eq!(got["node"]["ticketId"], order["id"]);
}

/// A token's end ends its connection, also when nothing else happens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_prv_4_a_live_connection_ends_when_its_token_expires() {
    let config = servicedesk::config::Config {
        token_ttl_seconds: 2,
        ..test_config()
    };
    let app = TestApp::start_with(Backend::Sqlite, config).await;
    let w = app.repair_world().await;
    let mut live = app.live(&w.customer.auth, Protocol::TransportWs).await;
    live.subscribe("1", EVENTS, json!({})).await;
    let started = std::time::Instant::now();
    let (code, reason) = live.closed().await;
    assert_eq!(code, 4403, "{reason}");
    assert!(reason.contains("expired"), "{reason}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

async fn live_ticket_updated_follows_one_ticket_and_hides_foreign_ones(app: TestApp) {
    const UPDATED: &str = "subscription($id: ID!) { ticketUpdated(kind: REPAIR_ORDER, id: $id) {
        cursor node { ticketId action toStatus } } }";
    let w = app.repair_world().await;
    let watched = app.report(&w.customer, w.asset).await;
    let unwatched = app.report(&w.customer, w.asset).await;
    app.events_settled().await;
    let mut live = app.live(&w.customer.auth, Protocol::TransportWs).await;
    live.subscribe("t", UPDATED, json!({ "id": watched["id"] }))
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let tech = format!(", technicianId: \"{}\"", w.technician.gid());
    app.repair_ok(&w.agent.auth, "assignTechnician", &unwatched, &tech)
        .await;
    app.repair_ok(&w.agent.auth, "assignTechnician", &watched, &tech)
        .await;
    let got = live.edges("t", "ticketUpdated", 1).await.remove(0);
    assert_eq!(got["node"]["ticketId"], watched["id"]);
    assert_eq!(got["node"]["toStatus"], "ASSIGNED");
    live.silent_for(Duration::from_millis(300)).await;

    // Someone else's ticket does not exist for this caller.
    let mut other = app
        .live(&w.other_customer.auth, Protocol::TransportWs)
        .await;
    other
        .subscribe("t", UPDATED, json!({ "id": watched["id"] }))
        .await;
    let refused = other.message().await;
    let code = match refused["type"].as_str() {
        Some("next") => &refused["payload"]["errors"][0]["extensions"]["code"],
        _ => &refused["payload"][0]["extensions"]["code"],
    };
    assert_eq!(code, "NOT_FOUND", "{refused}");
}

async fn live_limits_on_subscriptions_and_documents_hold(app: TestApp) {
    let w = app.repair_world().await;
    let mut live = app.live(&w.customer.auth, Protocol::TransportWs).await;
    // The test configuration allows five at once.
    for id in 0..5 {
        live.subscribe(&id.to_string(), EVENTS, json!({})).await;
    }
    live.subscribe("6", EVENTS, json!({})).await;
    let refused = live.message().await;
    assert_eq!(refused["id"], "6");
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "RATE_LIMITED");
    // Completing one makes room.
    live.send(json!({ "id": "0", "type": "complete" })).await;
    assert_eq!(
        live.message().await,
        json!({ "id": "0", "type": "complete" })
    );
    live.subscribe("7", EVENTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let order = app.report(&w.customer, w.asset).await;
    let mut delivered = Vec::new();
    for _ in 0..5 {
        let message = live.message().await;
        assert_eq!(message["type"], "next", "{message}");
        assert_eq!(
            message["payload"]["data"]["ticketEvents"]["node"]["ticketId"],
            order["id"]
        );
        delivered.push(message["id"].as_str().unwrap().to_owned());
    }
    delivered.sort();
    assert_eq!(delivered, ["1", "2", "3", "4", "7"]);

    // Documents are held to the HTTP limits.
    let mut other = app.live(&w.customer.auth, Protocol::TransportWs).await;
    let wide: String = (0..2001).map(|i| format!("a{i}: __typename ")).collect();
    other
        .subscribe("big", &format!("subscription {{ {wide} }}"), json!({}))
        .await;
    let refused = other.message().await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(
        refused["payload"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
}

/// Connections are capped, and one that never initialises is closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_connections_are_capped_and_must_initialise_in_time() {
    let config = servicedesk::config::Config {
        ws_max_connections: 1,
        ws_init_timeout_seconds: 1,
        ..test_config()
    };
    let app = TestApp::start_with(Backend::Sqlite, config).await;
    let mut silent = app.live_socket(Protocol::TransportWs).await;
    let refused = app
        .http
        .get(format!("{}/graphql/ws", app.base_url))
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("sec-websocket-protocol", "graphql-transport-ws")
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), 503);
    let (code, reason) = silent.closed().await;
    assert_eq!(code, 4408, "{reason}");
    // The slot is free again.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let w = app.repair_world().await;
    app.live(&w.customer.auth, Protocol::TransportWs).await;
}

/// A subscriber that falls behind by more than the buffer is dropped, not buffered without
/// bound: its reader reports the gap instead of events (the WebSocket layer then closes the
/// connection with 1013).
async fn live_a_slow_consumer_is_dropped_not_buffered(app: TestApp) {
    let w = app.repair_world().await;
    let hub = EventHub::start(
        app.db.clone(),
        HubSettings {
            poll: Duration::from_millis(20),
            capacity: 1,
        },
    );
    let user = store::users::find(&app.db, w.agent.id)
        .await
        .expect("read")
        .expect("agent");
    let actor = Principal::User(UserPrincipal::from(&user));
    let settings = app.state_settings();
    let env = Env {
        db: &app.db,
        now: app.clock_now(),
        actor: &actor,
        settings: &settings,
    };
    let mut live = feed::live(&env, &hub, feed::Topic::Tickets(None), None)
        .await
        .expect("subscribe");
    // Three changes, each broadcast in a batch of its own, none taken.
    for _ in 0..3 {
        app.report(&w.customer, w.asset).await;
        app.log_caught_up().await;
        let head = store::events::head(&app.db).await.expect("head");
        hub.poke();
        hub.reached(head).await;
    }
    assert!(matches!(live.next().await, Some(Err(feed::Lagged))));
}

/// On PostgreSQL a transaction that commits after a later one is delivered, not skipped: the
/// later one waits until it is readable in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_a_late_committing_writer_is_not_skipped() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = TestApp::start(backend).await;
    let w = app.repair_world().await;
    let order = app.report(&w.customer, w.asset).await;
    app.events_settled().await;
    let mut live = app.live(&w.agent.auth, Protocol::TransportWs).await;
    live.subscribe("1", EVENTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let late = app.late_writer(&w, &order).await;
    live.silent_for(Duration::from_millis(500)).await;

    late.commit().await.expect("commit");
    let mut actions = Vec::new();
    while !actions.contains(&"ASSIGNED".to_owned()) {
        match live.next().await {
            Received::Message(message) => actions.push(
                message["payload"]["data"]["ticketEvents"]["node"]["action"]
                    .as_str()
                    .expect("an event")
                    .to_owned(),
            ),
            closed => panic!("{closed:?}"),
        }
    }
    assert_eq!(
        actions.first().map(String::as_str),
        Some("OTHER"),
        "{actions:?}"
    );
}
