//! Catching up by time (issue 13): `updatedSince` and the `UPDATED_AT` orders on the ticket
//! lists. The cursor is a position `(updated_at, id)`, never a time alone, so rows that share
//! a timestamp are neither repeated nor skipped (PostHog#59215), and a ticket changed while a
//! client pages comes again at the end of an ascending walk.

use serde_json::{Value, json};
use servicedesk_tests::{Auth, TestApp, db_tests};

db_tests!(
    updated_since_and_updated_at_order_page_without_repeats_or_gaps,
    complaints_list_by_update_too,
);

const ORDERS: &str = "query($filter: RepairOrderFilter, $order: TicketOrder, $after: String) {
    repairOrders(filter: $filter, orderBy: $order, first: 1, after: $after) {
        edges { node { id updatedAt } } pageInfo { hasNextPage endCursor } } }";

/// Every order id the list gives, one per page, following the cursor.
async fn walk(app: &TestApp, auth: &Auth, filter: Value, order: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app
            .gql(
                auth,
                ORDERS,
                json!({ "filter": filter, "order": order, "after": after }),
            )
            .await
            .data()["repairOrders"]
            .clone();
        for edge in page["edges"].as_array().expect("edges") {
            ids.push(edge["node"]["id"].as_str().expect("id").to_owned());
        }
        if page["pageInfo"]["hasNextPage"] != true {
            return ids;
        }
        after = page["pageInfo"]["endCursor"].clone();
        assert!(ids.len() < 50, "the walk loops: {ids:?}");
    }
}

fn id(order: &Value) -> String {
    order["id"].as_str().expect("id").to_owned()
}

async fn updated_since_and_updated_at_order_page_without_repeats_or_gaps(app: TestApp) {
    let w = app.repair_world().await;
    // Three orders with one and the same timestamp: the server clock stands still.
    let first = app.report(&w.customer, w.asset).await;
    let second = app.report(&w.customer, w.asset).await;
    let third = app.report(&w.customer, w.asset).await;
    let all = walk(&app, &w.agent.auth, json!({}), "UPDATED_AT_ASC").await;
    assert_eq!(all, [id(&first), id(&second), id(&third)]);

    // The first changes later: it moves to the end, and only it is updated since then.
    app.clock.advance(chrono::Duration::minutes(5));
    let since = app.clock_now();
    let tech = format!(", technicianId: \"{}\"", w.technician.gid());
    app.repair_ok(&w.agent.auth, "assignTechnician", &first, &tech)
        .await;
    assert_eq!(
        walk(&app, &w.agent.auth, json!({}), "UPDATED_AT_ASC").await,
        [id(&second), id(&third), id(&first)]
    );
    assert_eq!(
        walk(&app, &w.agent.auth, json!({}), "UPDATED_AT_DESC").await,
        [id(&first), id(&third), id(&second)]
    );
    assert_eq!(
        walk(
            &app,
            &w.agent.auth,
            json!({ "updatedSince": since }),
            "UPDATED_AT_ASC"
        )
        .await,
        [id(&first)]
    );
    // The default is still newest report first; partners get the same orders for theirs.
    assert_eq!(
        walk(&app, &w.agent.auth, json!({}), "REPORTED_AT_DESC").await,
        [id(&third), id(&second), id(&first)]
    );
    let partners = app.report(&w.partner_customer, w.partner_asset).await;
    assert_eq!(
        walk(
            &app,
            &w.partner,
            json!({ "updatedSince": since }),
            "UPDATED_AT_ASC"
        )
        .await,
        [id(&partners)]
    );
    let bad = app
        .gql(
            &w.agent.auth,
            ORDERS,
            json!({ "filter": { "updatedSince": "yesterday" } }),
        )
        .await;
    bad.expect_code("BAD_USER_INPUT");
}

async fn complaints_list_by_update_too(app: TestApp) {
    const COMPLAINTS: &str = "query($filter: ComplaintFilter) {
        complaints(filter: $filter, orderBy: UPDATED_AT_ASC, first: 10) {
            edges { node { id } } } }";
    let w = app.repair_world().await;
    let older = app.complaint_in(&w, &w.customer, "RECEIVED").await;
    let newer = app.complaint_in(&w, &w.customer, "RECEIVED").await;
    app.clock.advance(chrono::Duration::minutes(5));
    let since = app.clock_now();
    app.complaint_ok(
        &w.agent.auth,
        "acknowledgeComplaint",
        &older,
        &format!(
            ", promisedResolutionAt: \"{}\", nextContactAt: \"{}\"",
            (since + chrono::Duration::hours(8)).to_rfc3339(),
            (since + chrono::Duration::hours(2)).to_rfc3339()
        ),
    )
    .await;
    let ids = |page: &Value| -> Vec<String> {
        page["complaints"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| e["node"]["id"].as_str().expect("id").to_owned())
            .collect()
    };
    let all = app.gql(&w.agent.auth, COMPLAINTS, json!({})).await;
    assert_eq!(ids(all.data()), [id(&newer), id(&older)]);
    let since = app
        .gql(
            &w.agent.auth,
            COMPLAINTS,
            json!({ "filter": { "updatedSince": since } }),
        )
        .await;
    assert_eq!(ids(since.data()), [id(&older)]);
}
