//! Retried creates never duplicate (issue 13). `Idempotency-Key`: concurrent duplicates make
//! one order, a retry gets the first answer back (marked as a replay), the same key with
//! another body is refused, keys are per caller, and an answer is kept for 24 hours.
//! `externalReference`: a create with a reference its owner used before returns the first.

use std::sync::Arc;

use chrono::Duration;
use entity::repair_orders;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use servicedesk_tests::{Auth, GqlResponse, TestApp, db_tests};
use servicedesk_tests::{NodeType, gid};

db_tests!(
    external_reference_a_queued_retry_returns_the_first_ticket,
    idempotency_twenty_concurrent_identical_reports_make_one_order,
    idempotency_a_retry_is_answered_from_the_first_and_other_bodies_are_refused,
);

const REPORT: &str =
    "mutation($input: ReportFaultInput!) { reportFault(input: $input) { id number } }";

fn report_body(asset: i64, description: &str) -> Value {
    json!({ "query": REPORT, "variables": { "input": {
        "assetId": gid(NodeType::Asset, asset), "faultDescription": description,
        "serviceAddress": "Room 1201, 88 Century Avenue, Pudong",
        "contactPhone": "13812345678" } } })
}

async fn send(app: &TestApp, auth: &Auth, body: Value, key: &str) -> GqlResponse {
    app.post_with_headers(auth, body, &[("Idempotency-Key", key)])
        .await
}

fn replayed(response: &GqlResponse) -> &str {
    response
        .headers
        .get("idempotent-replayed")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("absent")
}

async fn orders(app: &TestApp) -> u64 {
    repair_orders::Entity::find()
        .count(&app.db)
        .await
        .expect("count")
}

async fn idempotency_twenty_concurrent_identical_reports_make_one_order(app: TestApp) {
    let w = app.repair_world().await;
    let app = Arc::new(app);
    let before = orders(&app).await;
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (app, auth, body) = (
            app.clone(),
            w.customer.auth.clone(),
            report_body(w.asset, "Not cooling"),
        );
        requests.spawn(async move { send(&app, &auth, body, "fridge-2026-12-07").await });
    }
    let mut answers = Vec::new();
    while let Some(answer) = requests.join_next().await {
        answers.push(answer.expect("task"));
    }
    assert_eq!(orders(&app).await, before + 1, "one order");
    let first = answers[0].data()["reportFault"].clone();
    for answer in &answers {
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.data()["reportFault"], first);
    }
    let fresh = answers.iter().filter(|a| replayed(a) == "false").count();
    assert_eq!(fresh, 1, "one ran, the others got its answer");
    assert_eq!(answers.iter().filter(|a| replayed(a) == "true").count(), 19);

    // Without a key, a retry is a second order (the header is what makes retries safe).
    app.post_json(&w.customer.auth, report_body(w.asset, "Not cooling"))
        .await
        .data();
    app.post_json(&w.customer.auth, report_body(w.asset, "Not cooling"))
        .await
        .data();
    assert_eq!(orders(&app).await, before + 3);
}

async fn idempotency_a_retry_is_answered_from_the_first_and_other_bodies_are_refused(app: TestApp) {
    let w = app.repair_world().await;
    let first = send(&app, &w.customer.auth, report_body(w.asset, "Noisy"), "k-1").await;
    assert_eq!(replayed(&first), "false");
    let order = first.data()["reportFault"].clone();
    let again = send(&app, &w.customer.auth, report_body(w.asset, "Noisy"), "k-1").await;
    assert_eq!(replayed(&again), "true");
    assert_eq!(again.data()["reportFault"], order);
    assert_eq!(again.body, first.body);

    // The same key with another body: refused, nothing runs.
    let count = orders(&app).await;
    let other = send(
        &app,
        &w.customer.auth,
        report_body(w.asset, "Leaking"),
        "k-1",
    )
    .await;
    assert_eq!(other.status, 422);
    assert_eq!(
        other.expect_code("BAD_USER_INPUT")["field"],
        "Idempotency-Key"
    );
    assert_eq!(orders(&app).await, count);

    // Keys are the caller's own: another caller's same key runs for them.
    let me = json!({ "query": "{ me { user { id } } }" });
    let mine = send(&app, &w.customer.auth, me.clone(), "k-2").await;
    let theirs = send(&app, &w.agent.auth, me.clone(), "k-2").await;
    assert_eq!(mine.data()["me"]["user"]["id"], w.customer.gid());
    assert_eq!(theirs.data()["me"]["user"]["id"], w.agent.gid());
    assert_eq!(replayed(&theirs), "false");

    // A failed first attempt is kept too (errors included): the retry gets the same error.
    let bad = json!({ "query": REPORT, "variables": { "input": {
        "assetId": "999999", "faultDescription": "x", "serviceAddress": "Room 1",
        "contactPhone": "13812345678" } } });
    let failed = send(&app, &w.customer.auth, bad.clone(), "k-3").await;
    failed.expect_code("NOT_FOUND");
    let retried = send(&app, &w.customer.auth, bad, "k-3").await;
    assert_eq!(replayed(&retried), "true");
    retried.expect_code("NOT_FOUND");

    // Bad keys are refused before anything runs.
    let long = "k".repeat(256);
    for key in ["", "has space", long.as_str()] {
        let refused = send(&app, &w.customer.auth, report_body(w.asset, "Noisy"), key).await;
        assert_eq!(refused.status, 400, "{key:?}");
        assert_eq!(
            refused.expect_code("BAD_USER_INPUT")["field"],
            "Idempotency-Key"
        );
    }
    assert_eq!(orders(&app).await, count);

    // After 24 hours the key is free again: the same request runs anew.
    app.clock
        .advance(Duration::hours(24) + Duration::minutes(1));
    let later = send(&app, &w.customer.auth, report_body(w.asset, "Noisy"), "k-1").await;
    assert_eq!(replayed(&later), "false");
    assert_ne!(later.data()["reportFault"]["id"], order["id"]);
}

const PARTNER_REPORT: &str = "mutation($input: ReportFaultInput!) {
    reportFault(input: $input) { id externalReference } }";

/// A partner's queued retries of one dealer job make one order, whichever of the
/// organization's keys sends them; the same reference from another owner is theirs alone;
/// complaints and assets work the same way; references are checked and can be looked up.
async fn external_reference_a_queued_retry_returns_the_first_ticket(app: TestApp) {
    let w = app.repair_world().await;
    let input = |reference: &str| {
        json!({ "input": {
        "customerId": w.partner_customer.gid(),
        "assetId": gid(NodeType::Asset, w.partner_asset), "faultDescription": "No heat",
        "serviceAddress": "Room 3, 1 Dealer Road", "contactPhone": "13812345678",
        "externalReference": reference } })
    };
    let before = orders(&app).await;
    let first = app.gql(&w.partner, PARTNER_REPORT, input("DLR-0042")).await;
    let first = first.data()["reportFault"].clone();
    assert_eq!(first["externalReference"], "DLR-0042");
    let again = app
        .gql(&w.partner, PARTNER_REPORT, input(" DLR-0042 "))
        .await;
    assert_eq!(again.data()["reportFault"], first);
    assert_eq!(orders(&app).await, before + 1);
    let other = app.gql(&w.partner, PARTNER_REPORT, input("DLR-0043")).await;
    assert_ne!(other.data()["reportFault"]["id"], first["id"]);

    // The customer's own "DLR-0042" is another owner's reference: a new order.
    let mine = json!({ "input": { "assetId": gid(NodeType::Asset, w.asset), "faultDescription": "Noisy",
        "serviceAddress": "Room 1201", "contactPhone": "13812345678",
        "externalReference": "DLR-0042" } });
    let mine = app.gql(&w.customer.auth, PARTNER_REPORT, mine).await;
    assert_ne!(mine.data()["reportFault"]["id"], first["id"]);
    assert_eq!(orders(&app).await, before + 3);

    // Looked up by reference, within what the caller may see.
    let lookup = "query($r: String!) { repairOrders(first: 5, filter: { externalReference: $r }) {
        edges { node { id } } } }";
    let found = app
        .gql(&w.partner, lookup, json!({ "r": "DLR-0042" }))
        .await;
    assert_eq!(
        found.data()["repairOrders"]["edges"],
        json!([{ "node": { "id": first["id"] } }])
    );

    // Complaints and assets: the second create returns the first.
    let complaint = |reference: &str| {
        json!({ "input": {
        "customerId": w.partner_customer.gid(), "channel": "PHONE",
        "category": "SERVICE_ATTITUDE", "description": "Rude", "externalReference": reference } })
    };
    let file = "mutation($input: FileComplaintInput!) { fileComplaint(input: $input) { id externalReference } }";
    let one = app.gql(&w.partner, file, complaint("C-1")).await;
    let two = app.gql(&w.partner, file, complaint("C-1")).await;
    assert_eq!(one.data()["fileComplaint"], two.data()["fileComplaint"]);
    let asset = |reference: &str| {
        json!({ "input": {
        "customerId": w.partner_customer.gid(), "model": "Unlisted heater",
        "serialNumber": "SN-REF-1", "purchaseDate": "2026-01-10", "warrantyEndsOn": "2027-01-09",
        "externalReference": reference } })
    };
    let register = "mutation($input: RegisterAssetInput!) { registerAsset(input: $input) { id externalReference } }";
    let one = app.gql(&w.partner, register, asset("A-1")).await;
    let two = app.gql(&w.partner, register, asset("A-1")).await;
    assert_eq!(one.data()["registerAsset"], two.data()["registerAsset"]);
    assert_eq!(one.data()["registerAsset"]["externalReference"], "A-1");

    let long = "R".repeat(101);
    for bad in ["", "   ", "tab\there", long.as_str()] {
        let refused = app.gql(&w.partner, PARTNER_REPORT, input(bad)).await;
        assert_eq!(
            refused.expect_code("BAD_USER_INPUT")["field"],
            "externalReference",
            "{bad:?}"
        );
    }
    assert_eq!(orders(&app).await, before + 3);
}
