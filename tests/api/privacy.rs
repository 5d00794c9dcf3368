//! Privacy and data governance (issue 17): the access audit (R-PRV-3/12), masking in lists and
//! reveals (R-PRV-2/8), sealing (R-PRV-9), retention (R-PRV-6), nothing deleted (R-PRV-11).

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use servicedesk_tests::{Auth, NodeType, RepairWorld, TestApp, db_tests, gid};

db_tests!(
    r_prv_3_an_agents_list_page_writes_one_entry_not_one_per_row,
    r_prv_3_reads_without_personal_data_and_a_customers_own_are_not_recorded,
    r_prv_3_audit_log_is_for_admins_and_customers_see_who_read_their_data,
    r_prv_3_queued_entries_are_written_when_the_server_stops,
);

const PAGE: &str =
    "{ repairOrders(first: 50) { edges { node { number customer { name phone } } } } }";

const LOG: &str = "query($filter: AuditLogFilter) { auditLog(filter: $filter, first: 50) {
    edges { node { actorRole actorId clientAddress action subjectKind operation fields rowCount } } } }";

/// The audit log's entries as an admin reads them.
async fn audit_log(app: &TestApp, admin: &Auth, filter: Value) -> Vec<Value> {
    let response = app.gql(admin, LOG, json!({ "filter": filter })).await;
    response.data()["auditLog"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

/// An order the world's partner reports for its customer.
async fn partner_order(app: &TestApp, w: &RepairWorld) -> Value {
    let input = json!({ "customerId": w.partner_customer.gid(), "assetId": gid(NodeType::Asset, w.partner_asset),
                        "serviceCentreId": gid(NodeType::ServiceCentre, w.centre),
                        "faultDescription": "Noisy", "serviceAddress": "12 Dealer Road, Minhang",
                        "contactPhone": "13711112222" });
    let response = app
        .gql(
            &w.partner,
            "mutation($input: ReportFaultInput!) { reportFault(input: $input) { id version } }",
            json!({ "input": input }),
        )
        .await;
    response.data()["reportFault"].clone()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let backend = app.db.get_database_backend();
    let row = app
        .db
        .query_one_raw(Statement::from_string(backend, sql.to_owned()))
        .await
        .expect("count")
        .expect("row");
    row.try_get::<i64>("", "n").expect("n")
}

async fn r_prv_3_an_agents_list_page_writes_one_entry_not_one_per_row(app: TestApp) {
    let w = app.repair_world().await;
    for _ in 0..3 {
        app.report(&w.customer, w.asset).await;
    }
    let theirs = app
        .asset(
            w.other_customer.id,
            app.clock_now().date_naive() + chrono::Duration::days(90),
        )
        .await;
    app.report(&w.other_customer, theirs).await;
    let page = app.gql(&w.agent.auth, PAGE, json!({})).await;
    assert_eq!(
        page.data()["repairOrders"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        4
    );

    let reads = audit_log(
        &app,
        &w.admin.auth,
        json!({ "action": "personal_data.read" }),
    )
    .await;
    assert_eq!(reads.len(), 1, "one entry for the page: {reads:?}");
    let entry = &reads[0];
    assert_eq!(entry["actorRole"], "AGENT");
    assert_eq!(entry["actorId"], w.agent.gid());
    assert_eq!(entry["clientAddress"], "127.0.0.1");
    assert_eq!(entry["subjectKind"], "REPAIR_ORDER");
    assert_eq!(entry["operation"], "repairOrders");
    assert_eq!(entry["rowCount"], 4);
    // Phones in lists are masked for agents: not personal data any more.
    assert_eq!(entry["fields"], json!(["customer.name"]));
    // Both customers are linked to the one entry, once each.
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM audit_log_users").await,
        2
    );
    let of_customer = audit_log(
        &app,
        &w.admin.auth,
        json!({ "customerId": w.other_customer.gid() }),
    )
    .await;
    assert_eq!(of_customer.len(), 1);
}

async fn r_prv_3_reads_without_personal_data_and_a_customers_own_are_not_recorded(app: TestApp) {
    let w = app.repair_world().await;
    app.report(&w.customer, w.asset).await;
    app.gql(
        &w.agent.auth,
        "{ repairOrders(first: 50) { edges { node { number status } } } }",
        json!({}),
    )
    .await
    .data();
    app.gql(
        &w.customer.auth,
        "{ myRepairOrders(first: 50) { edges { node { number contactPhone customer { name } } } } }",
        json!({}),
    )
    .await
    .data();
    assert!(
        audit_log(
            &app,
            &w.admin.auth,
            json!({ "action": "personal_data.read" })
        )
        .await
        .is_empty()
    );
    // Addresses in an agent's list are masked: nothing personal was shown.
    app.gql(
        &w.supervisor.auth,
        "{ repairOrders(first: 5) { nodes { serviceAddress contactPhone } } }",
        json!({}),
    )
    .await
    .data();
    assert!(
        audit_log(
            &app,
            &w.admin.auth,
            json!({ "action": "personal_data.read" })
        )
        .await
        .is_empty()
    );
    // A partner sees the addresses it entered in full, through `nodes` too: recorded.
    partner_order(&app, &w).await;
    app.gql(
        &w.partner,
        "{ repairOrders(first: 5) { nodes { serviceAddress } } }",
        json!({}),
    )
    .await
    .data();
    let reads = audit_log(
        &app,
        &w.admin.auth,
        json!({ "action": "personal_data.read" }),
    )
    .await;
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0]["fields"], json!(["serviceAddress"]));
    assert_eq!(reads[0]["actorRole"], "PARTNER");
}

async fn r_prv_3_audit_log_is_for_admins_and_customers_see_who_read_their_data(app: TestApp) {
    let w = app.repair_world().await;
    app.report(&w.customer, w.asset).await;
    app.gql(&w.agent.auth, PAGE, json!({})).await.data();
    for auth in [
        &w.agent.auth,
        &w.supervisor.auth,
        &w.customer.auth,
        &w.partner,
    ] {
        app.gql(auth, LOG, json!({})).await.expect_code("FORBIDDEN");
    }
    let mine = "{ myDataAccess(first: 10) { edges { node { actorRole actorName action operation fields } } } }";
    let seen = app.gql(&w.customer.auth, mine, json!({})).await;
    let edges = seen.data()["myDataAccess"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(edges.len(), 1, "{edges:?}");
    let access = &edges[0]["node"];
    assert_eq!(access["actorRole"], "AGENT");
    assert_eq!(access["actorName"], "Test Agent");
    assert_eq!(access["operation"], "repairOrders");
    assert_eq!(access["fields"], json!(["customer.name"]));
    // Nobody read the other customer's data.
    let theirs = app.gql(&w.other_customer.auth, mine, json!({})).await;
    assert_eq!(theirs.data()["myDataAccess"]["edges"], json!([]));
    app.gql(&w.agent.auth, mine, json!({}))
        .await
        .expect_code("FORBIDDEN");
}

async fn r_prv_3_queued_entries_are_written_when_the_server_stops(mut app: TestApp) {
    let w = app.repair_world().await;
    app.report(&w.customer, w.asset).await;
    for _ in 0..20 {
        app.gql(&w.agent.auth, PAGE, json!({})).await.data();
    }
    app.shut_down().await;
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM audit_log WHERE action = 'personal_data.read'"
        )
        .await,
        20
    );
}
