//! R-REP-5 parts requests: asked for by the technician on the order or an agent, approved by a
//! supervisor of the centre who did not ask, filled from stock or by purchase; an approved
//! request holds the order in WAITING_FOR_PARTS (clocks paused) until the last one arrives.

use entity::users::Role;
use serde_json::{Value, json};
use servicedesk_tests::{Auth, GqlResponse, ORDER_FIELDS, RepairWorld, TestApp, db_tests};

db_tests!(
    r_rep_5_parts_are_approved_by_another_supervisor_and_the_last_arrival_resumes_the_order,
    r_rep_5_bad_parts_and_refused_callers_write_nothing,
);

const REQUEST_FIELDS: &str = "id status urgency source rejectionReason requestedById decidedById \
     parts { code name quantity urgency }";

async fn request_parts(app: &TestApp, auth: &Auth, order: &Value, parts: &str) -> GqlResponse {
    let query = format!(
        "mutation($id: ID!) {{ requestParts(orderId: $id, parts: {parts}, note: \"Fan is dead\") \
         {{ {REQUEST_FIELDS} order {{ {ORDER_FIELDS} }} }} }}"
    );
    app.gql(auth, &query, json!({ "id": order["id"] })).await
}

async fn step(app: &TestApp, auth: &Auth, name: &str, request: &Value, args: &str) -> GqlResponse {
    let query = format!(
        "mutation($id: ID!) {{ {name}(id: $id{args}) {{ {REQUEST_FIELDS} order {{ {ORDER_FIELDS} }} }} }}"
    );
    app.gql(auth, &query, json!({ "id": request["id"] })).await
}

async fn ok(app: &TestApp, auth: &Auth, name: &str, request: &Value, args: &str) -> Value {
    step(app, auth, name, request, args).await.data()[name].clone()
}

/// Status, version and timeline actions of the order, as its agent sees them.
async fn order_state(app: &TestApp, w: &RepairWorld, order: &Value) -> Value {
    let query = "query($id: ID!) { repairOrder(id: $id) { status version waitingReason \
                 events { action note } partsRequests { id status } } }";
    app.gql(&w.agent.auth, query, json!({ "id": order["id"] }))
        .await
        .data()["repairOrder"]
        .clone()
}

/// The state of the order's latest arrival clock.
async fn arrival(app: &TestApp, w: &RepairWorld, order: &Value) -> String {
    let query = "query($id: ID!) { repairOrder(id: $id) { slaClocks { metric state } } }";
    let seen = app
        .gql(&w.agent.auth, query, json!({ "id": order["id"] }))
        .await;
    seen.data()["repairOrder"]["slaClocks"]
        .as_array()
        .expect("clocks")
        .iter()
        .rev()
        .find(|c| c["metric"] == "ARRIVAL")
        .expect("an arrival clock")["state"]
        .as_str()
        .expect("state")
        .to_owned()
}

fn actions(order: &Value) -> Vec<String> {
    order["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["action"].as_str().expect("action").to_owned())
        .collect()
}

const FAN: &str = "[{ code: \"FAN-12\", name: \"Condenser fan\", quantity: 2, urgency: HIGH }, \
                    { code: \"CAP-3\", name: \"Start capacitor\" }]";
const VALVE: &str = "[{ code: \"V-2\", name: \"Valve\", urgency: URGENT }]";

async fn r_rep_5_parts_are_approved_by_another_supervisor_and_the_last_arrival_resumes_the_order(
    app: TestApp,
) {
    let w = app.repair_world().await;
    let order = app.order_in(&w, "ACCEPTED").await;
    let second_supervisor = app.user(Role::Supervisor, Some(w.centre), None).await;

    // The technician on the order asks; nothing waits yet.
    let fan = request_parts(&app, &w.technician.auth, &order, FAN)
        .await
        .data()["requestParts"]
        .clone();
    assert_eq!(fan["status"], "REQUESTED");
    assert_eq!(fan["urgency"], "HIGH");
    assert_eq!(fan["parts"][0]["quantity"], 2);
    assert_eq!(fan["parts"][1]["quantity"], 1);
    assert_eq!(fan["parts"][1]["urgency"], "NORMAL");
    assert_eq!(fan["requestedById"], w.technician.gid());
    assert_eq!(fan["order"]["status"], "ACCEPTED");

    // Only a supervisor approves: the agent and the technician may not.
    step(&app, &w.agent.auth, "approvePartsRequest", &fan, "")
        .await
        .expect_code("FORBIDDEN");
    step(&app, &w.technician.auth, "approvePartsRequest", &fan, "")
        .await
        .expect_code("FORBIDDEN");
    // Filling or receiving before the approval is out of order.
    step(
        &app,
        &w.agent.auth,
        "fillPartsRequest",
        &fan,
        ", source: STOCK",
    )
    .await
    .expect_code("INVALID_TRANSITION");
    let approved = ok(&app, &w.supervisor.auth, "approvePartsRequest", &fan, "").await;
    assert_eq!(approved["status"], "APPROVED");
    assert_eq!(approved["decidedById"], w.supervisor.gid());
    assert_eq!(approved["order"]["status"], "WAITING_FOR_PARTS");
    assert_eq!(
        arrival(&app, &w, &order).await,
        "PAUSED",
        "the arrival clock is paused"
    );
    step(&app, &w.supervisor.auth, "approvePartsRequest", &fan, "")
        .await
        .expect_code("INVALID_TRANSITION");

    // The customer reads that the order waits for parts, not the parts.
    let mine = app
        .gql(
            &w.customer.auth,
            "query($id: ID!) { repairOrder(id: $id) { status events { action note } } }",
            json!({ "id": order["id"] }),
        )
        .await;
    let mine = &mine.data()["repairOrder"];
    assert_eq!(mine["status"], "WAITING_FOR_PARTS");
    assert!(
        mine["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "WAITING_FOR_PARTS" && e["note"] == "waiting for parts")
    );
    assert!(!mine.to_string().contains("FAN-12"));

    // A supervisor's own request needs another supervisor.
    let valve = request_parts(&app, &w.supervisor.auth, &order, VALVE)
        .await
        .data()["requestParts"]
        .clone();
    step(&app, &w.supervisor.auth, "approvePartsRequest", &valve, "")
        .await
        .expect_code("FORBIDDEN");
    let valve = ok(
        &app,
        &second_supervisor.auth,
        "approvePartsRequest",
        &valve,
        "",
    )
    .await;
    assert_eq!(valve["order"]["status"], "WAITING_FOR_PARTS");

    // A rejection needs a reason and changes nothing on the order.
    let spare = request_parts(&app, &w.agent.auth, &order, VALVE)
        .await
        .data()["requestParts"]
        .clone();
    let before = order_state(&app, &w, &order).await;
    step(
        &app,
        &w.supervisor.auth,
        "rejectPartsRequest",
        &spare,
        ", reason: \" \"",
    )
    .await
    .expect_code("BAD_USER_INPUT");
    assert_eq!(order_state(&app, &w, &order).await, before);
    let rejected = ok(
        &app,
        &w.supervisor.auth,
        "rejectPartsRequest",
        &spare,
        ", reason: \"One valve is already on the way\"",
    )
    .await;
    assert_eq!(rejected["status"], "REJECTED");
    assert_eq!(
        rejected["rejectionReason"],
        "One valve is already on the way"
    );
    assert_eq!(rejected["order"]["version"], before["version"]);

    // Filled from stock and by purchase; the first arrival leaves the order waiting for the
    // second, the last resumes it where it waited.
    let filled = ok(
        &app,
        &w.agent.auth,
        "fillPartsRequest",
        &fan,
        ", source: STOCK",
    )
    .await;
    assert_eq!(
        (filled["status"].as_str(), filled["source"].as_str()),
        (Some("FILLED"), Some("STOCK"))
    );
    ok(
        &app,
        &w.supervisor.auth,
        "fillPartsRequest",
        &valve,
        ", source: PURCHASE",
    )
    .await;
    let first = ok(&app, &w.technician.auth, "receiveParts", &fan, "").await;
    assert_eq!(first["status"], "ARRIVED");
    assert_eq!(first["order"]["status"], "WAITING_FOR_PARTS");
    let last = ok(&app, &w.agent.auth, "receiveParts", &valve, "").await;
    assert_eq!(last["order"]["status"], "ACCEPTED", "back where it waited");
    assert_eq!(
        arrival(&app, &w, &order).await,
        "RUNNING",
        "the clock runs again"
    );
    step(&app, &w.agent.auth, "receiveParts", &valve, "")
        .await
        .expect_code("INVALID_TRANSITION");

    // The order's timeline has every step; its requests are listed on it.
    let state = order_state(&app, &w, &order).await;
    let seen = actions(&state);
    for action in [
        "PARTS_REQUESTED",
        "WAITING_FOR_PARTS",
        "PARTS_REQUEST_APPROVED",
        "PARTS_REQUEST_REJECTED",
        "PARTS_REQUEST_FILLED",
        "PARTS_RECEIVED",
        "PARTS_ARRIVED",
    ] {
        assert!(seen.iter().any(|a| a == action), "{action} in {seen:?}");
    }
    assert_eq!(state["waitingReason"], Value::Null);
    let statuses: Vec<&str> = state["partsRequests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["ARRIVED", "ARRIVED", "REJECTED"]);

    // A request is a Node, visible as its order.
    let node = "query($id: ID!) { node(id: $id) { ... on PartsRequest { id status } } }";
    let seen = app
        .gql(&w.customer.auth, node, json!({ "id": fan["id"] }))
        .await;
    assert_eq!(seen.data()["node"]["status"], "ARRIVED");
    app.gql(&w.other_customer.auth, node, json!({ "id": fan["id"] }))
        .await
        .expect_code("NOT_FOUND");
    app.gql(&w.other_agent.auth, node, json!({ "id": fan["id"] }))
        .await
        .expect_code("NOT_FOUND");
}

async fn r_rep_5_bad_parts_and_refused_callers_write_nothing(app: TestApp) {
    let w = app.repair_world().await;
    let order = app.order_in(&w, "ASSIGNED").await;
    let before = order_state(&app, &w, &order).await;
    // Every bad field at once.
    let bad = "[{ code: \"\", name: \"Fan\", quantity: 0 }, { code: \"X\", name: \"\" }]";
    let response = request_parts(&app, &w.agent.auth, &order, bad).await;
    let fields: Vec<&str> = response.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            assert_eq!(e["extensions"]["code"], "BAD_USER_INPUT");
            e["extensions"]["field"].as_str().expect("field")
        })
        .collect();
    assert_eq!(fields.len(), 3, "{fields:?}");
    request_parts(&app, &w.agent.auth, &order, "[]")
        .await
        .expect_code("BAD_USER_INPUT");
    request_parts(&app, &w.customer.auth, &order, VALVE)
        .await
        .expect_code("FORBIDDEN");
    request_parts(&app, &w.other_technician.auth, &order, VALVE)
        .await
        .expect_code("NOT_FOUND");
    request_parts(&app, &w.other_agent.auth, &order, VALVE)
        .await
        .expect_code("NOT_FOUND");
    assert_eq!(order_state(&app, &w, &order).await, before);

    // A finished order takes no parts; an approval after the order was cancelled is refused.
    let pending = request_parts(&app, &w.agent.auth, &order, VALVE)
        .await
        .data()["requestParts"]
        .clone();
    let current = order_state(&app, &w, &order).await;
    let cancel = json!({ "id": order["id"], "version": current["version"] });
    app.gql(
        &w.agent.auth,
        "mutation($id: ID!, $version: Int!) { cancelRepair(id: $id, version: $version, reason: \"Bought a new one\") { status } }",
        cancel,
    )
    .await
    .data();
    step(
        &app,
        &w.supervisor.auth,
        "approvePartsRequest",
        &pending,
        "",
    )
    .await
    .expect_code("INVALID_TRANSITION");
    request_parts(&app, &w.agent.auth, &order, VALVE)
        .await
        .expect_code("INVALID_TRANSITION");
}
