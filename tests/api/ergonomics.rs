//! What clients build on (issue 14, client ergonomics): opaque global ids with `node` /
//! `nodes`, the technicians and service-centre directories, what customers get to track and
//! annotate their tickets, `CONFLICT` with the current version, every field error at once.

use entity::repair_orders;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use servicedesk_tests::{Auth, GqlResponse, NodeType, RepairWorld, TestApp, db_tests, gid};

db_tests!(
    node_round_trips_every_type_and_hides_foreign_ones,
    node_reads_the_parts_of_tickets_as_their_ticket_allows,
    ids_of_the_wrong_type_name_nothing,
    nodes_batch_in_order_with_nulls_and_a_limit,
    technicians_are_listed_for_dispatch_by_skill_region_and_availability,
    service_centres_are_public,
    customers_reopen_complaints_by_id_and_page_their_complaints,
    customers_add_a_public_note_to_their_open_order,
    conflict_names_the_current_version,
    every_bad_field_of_an_input_is_reported_at_once,
    timeline_actions_and_roles_are_enums,
);

const NODE: &str = "query($id: ID!) { node(id: $id) { __typename id } }";

async fn node(app: &TestApp, auth: &Auth, id: &Value) -> GqlResponse {
    app.gql(auth, NODE, json!({ "id": id })).await
}

/// `node(id)` as `auth` gives back the object of `typename` with the same id.
async fn reads(app: &TestApp, auth: &Auth, id: &Value, typename: &str) {
    let got = node(app, auth, id).await;
    let got = &got.data()["node"];
    assert_eq!(got["__typename"], typename, "{id}");
    assert_eq!(&got["id"], id, "{typename} round-trips");
}

async fn hidden(app: &TestApp, auth: &Auth, id: &Value) {
    node(app, auth, id).await.expect_code("NOT_FOUND");
}

async fn product_model(app: &TestApp, w: &RepairWorld) -> Value {
    let created = app
        .gql(
            &w.admin.auth,
            "mutation { createProductModel(code: \"FR-300\", name: \"Frost 300\", \
             warrantyMonths: 24) { id } }",
            json!({}),
        )
        .await;
    created.data()["createProductModel"]["id"].clone()
}

async fn node_round_trips_every_type_and_hides_foreign_ones(app: TestApp) {
    let w = app.repair_world().await;
    // A closed order has its survey and return visits; a resolved complaint is open to reopen.
    let order = app.order_in(&w, "CLOSED").await;
    let complaint = app.complaint_in(&w, &w.customer, "RESOLVED").await;

    // RepairOrder: the customer's own; another customer's is NOT_FOUND, as in repairOrder(id).
    reads(&app, &w.customer.auth, &order["id"], "RepairOrder").await;
    reads(&app, &w.agent.auth, &order["id"], "RepairOrder").await;
    hidden(&app, &w.other_customer.auth, &order["id"]).await;
    hidden(&app, &w.other_agent.auth, &order["id"]).await;
    hidden(&app, &w.partner, &order["id"]).await;
    hidden(&app, &Auth::None, &order["id"]).await;

    // Complaint: staff get the complaint, its customer the tracking view (same id).
    reads(&app, &w.agent.auth, &complaint["id"], "Complaint").await;
    reads(
        &app,
        &w.customer.auth,
        &complaint["id"],
        "ComplaintTracking",
    )
    .await;
    hidden(&app, &w.other_customer.auth, &complaint["id"]).await;
    hidden(&app, &w.technician.auth, &complaint["id"]).await;

    // Asset: the owner and the centre's staff.
    let asset = json!(gid(NodeType::Asset, w.asset));
    reads(&app, &w.customer.auth, &asset, "Asset").await;
    reads(&app, &w.agent.auth, &asset, "Asset").await;
    hidden(&app, &w.other_customer.auth, &asset).await;
    hidden(&app, &w.technician.auth, &asset).await;

    // ProductModel: the roles of productModels.
    let model = product_model(&app, &w).await;
    reads(&app, &w.customer.auth, &model, "ProductModel").await;
    hidden(&app, &w.technician.auth, &model).await;

    // User: admins anyone, everyone themselves, agents their centre's technicians.
    reads(&app, &w.admin.auth, &json!(w.customer.gid()), "User").await;
    reads(&app, &w.customer.auth, &json!(w.customer.gid()), "User").await;
    reads(&app, &w.agent.auth, &json!(w.technician.gid()), "User").await;
    hidden(&app, &w.customer.auth, &json!(w.other_customer.gid())).await;
    hidden(&app, &w.agent.auth, &json!(w.customer.gid())).await;
    hidden(&app, &w.other_agent.auth, &json!(w.technician.gid())).await;

    // ServiceCentre: anyone.
    let centre = json!(gid(NodeType::ServiceCentre, w.centre));
    reads(&app, &Auth::None, &centre, "ServiceCentre").await;

    // Survey: linked from its ticket; the customer may always read it.
    let linked = app
        .gql(
            &w.customer.auth,
            "query($id: ID!) { repairOrder(id: $id) { survey { id status } } }",
            json!({ "id": order["id"] }),
        )
        .await;
    let survey = linked.data()["repairOrder"]["survey"]["id"].clone();
    assert_eq!(linked.data()["repairOrder"]["survey"]["status"], "PENDING");
    reads(&app, &w.customer.auth, &survey, "Survey").await;
    hidden(&app, &w.other_customer.auth, &survey).await;
    // Staff read surveys once answered, as surveyResults lists them.
    hidden(&app, &w.agent.auth, &survey).await;

    // ReturnVisit: the centre's agents.
    let due = app
        .gql(&w.agent.auth, "{ returnVisitsDue { id } }", json!({}))
        .await;
    let visit = due.data()["returnVisitsDue"][0]["id"].clone();
    reads(&app, &w.agent.auth, &visit, "ReturnVisit").await;
    hidden(&app, &w.other_agent.auth, &visit).await;
    hidden(&app, &w.customer.auth, &visit).await;

    // WebhookEndpoint: the partner that owns it and admins.
    let created = app
        .gql(
            &w.partner,
            "mutation($input: CreateWebhookEndpointInput!) { \
             createWebhookEndpoint(input: $input) { endpoint { id } } }",
            json!({ "input": { "url": "http://127.0.0.1:9/hook" } }),
        )
        .await;
    let endpoint = created.data()["createWebhookEndpoint"]["endpoint"]["id"].clone();
    reads(&app, &w.partner, &endpoint, "WebhookEndpoint").await;
    reads(&app, &w.admin.auth, &endpoint, "WebhookEndpoint").await;
    hidden(&app, &w.other_partner, &endpoint).await;
    hidden(&app, &w.agent.auth, &endpoint).await;

    // Every id handed out is opaque: not the database key.
    for id in [&order["id"], &complaint["id"], &survey, &visit, &endpoint] {
        assert!(id.as_str().unwrap().parse::<i64>().is_err(), "{id}");
    }
}

/// Repair lines, timeline entries, clocks, escalations, organizations and API keys are nodes
/// too, readable exactly where their ticket (or, for keys, `apiKeys`) is.
async fn node_reads_the_parts_of_tickets_as_their_ticket_allows(app: TestApp) {
    let w = app.repair_world().await;
    let order = app.order_in(&w, "ON_SITE").await;
    let line = ", input: { kind: PART, description: \"Valve\", partCode: \"V-2\", \
                quantity: \"1\", unitPrice: \"35.00\" }";
    let order = app
        .repair_ok(&w.technician.auth, "addRepairLine", &order, line)
        .await;
    let note = "mutation($id: ID!) { addRepairNote(id: $id, note: \"Dog in the yard\", \
                public: false) { id } }";
    app.gql(&w.agent.auth, note, json!({ "id": order["id"] }))
        .await
        .data();
    let parts = "query($id: ID!) { repairOrder(id: $id) { lines { id } \
                 events { id public } slaClocks { id description } } }";
    let seen = app
        .gql(&w.agent.auth, parts, json!({ "id": order["id"] }))
        .await;
    let seen = &seen.data()["repairOrder"];
    let line = seen["lines"][0]["id"].clone();
    let events = seen["events"].as_array().expect("events");
    let public = events.iter().find(|e| e["public"] == true).expect("public")["id"].clone();
    let internal = events
        .iter()
        .find(|e| e["public"] == false)
        .expect("internal")["id"]
        .clone();
    let clocks = seen["slaClocks"].as_array().expect("clocks");
    let promised = clocks
        .iter()
        .find(|c| !c["description"].is_null())
        .expect("a customer-facing clock")["id"]
        .clone();

    reads(&app, &w.customer.auth, &line, "RepairLine").await;
    reads(&app, &w.technician.auth, &line, "RepairLine").await;
    hidden(&app, &w.other_customer.auth, &line).await;
    hidden(&app, &w.other_agent.auth, &line).await;

    reads(&app, &w.customer.auth, &public, "TimelineEvent").await;
    reads(&app, &w.agent.auth, &internal, "TimelineEvent").await;
    hidden(&app, &w.customer.auth, &internal).await;
    hidden(&app, &w.other_customer.auth, &public).await;
    hidden(&app, &w.partner, &public).await;

    reads(&app, &w.agent.auth, &promised, "SlaClock").await;
    reads(&app, &w.customer.auth, &promised, "SlaClock").await;
    hidden(&app, &w.other_customer.auth, &promised).await;
    if let Some(internal_clock) = clocks.iter().find(|c| c["description"].is_null()) {
        hidden(&app, &w.customer.auth, &internal_clock["id"]).await;
    }

    // Escalation: staff who see the complaint.
    let complaint = app.complaint_in(&w, &w.customer, "ACKNOWLEDGED").await;
    app.complaint_ok(
        &w.agent.auth,
        "escalateComplaint",
        &complaint,
        ", reason: \"Cannot be solved on the spot\"",
    )
    .await;
    let escalations = app
        .gql(
            &w.agent.auth,
            "query($id: ID!) { complaintById(id: $id) { escalations { id } } }",
            json!({ "id": complaint["id"] }),
        )
        .await;
    let escalation = escalations.data()["complaintById"]["escalations"][0]["id"].clone();
    reads(&app, &w.supervisor.auth, &escalation, "Escalation").await;
    hidden(&app, &w.customer.auth, &escalation).await;
    hidden(&app, &w.other_agent.auth, &escalation).await;

    // Organization: admins and its own partner; ApiKey: admins.
    let organization = json!(gid(NodeType::Organization, w.org));
    reads(&app, &w.admin.auth, &organization, "Organization").await;
    reads(&app, &w.partner, &organization, "Organization").await;
    hidden(&app, &w.other_partner, &organization).await;
    hidden(&app, &w.agent.auth, &organization).await;
    let keys = app
        .gql(
            &w.admin.auth,
            "query($org: ID!) { apiKeys(organizationId: $org) { id } }",
            json!({ "org": organization }),
        )
        .await;
    let api_key = keys.data()["apiKeys"][0]["id"].clone();
    reads(&app, &w.admin.auth, &api_key, "ApiKey").await;
    hidden(&app, &w.partner, &api_key).await;
    hidden(&app, &w.supervisor.auth, &api_key).await;
}

async fn ids_of_the_wrong_type_name_nothing(app: TestApp) {
    let w = app.repair_world().await;
    let order = app.report(&w.customer, w.asset).await;
    let complaint = app.complaint_in(&w, &w.customer, "RECEIVED").await;
    let key = servicedesk_tests::key_of(&order["id"]);
    // The same key under another type, a bare key, garbage: all name nothing.
    for wrong in [
        json!(gid(NodeType::Complaint, key)),
        json!(gid(NodeType::Asset, key)),
        json!(key.to_string()),
        json!("not-an-id"),
    ] {
        app.gql(
            &w.agent.auth,
            "query($id: ID!) { repairOrder(id: $id) { id } }",
            json!({ "id": wrong }),
        )
        .await
        .expect_code("NOT_FOUND");
    }
    // A typed argument given a valid id of another type is NOT_FOUND, consistently.
    app.gql(
        &w.agent.auth,
        "query($id: ID!) { complaintById(id: $id) { id } }",
        json!({ "id": order["id"] }),
    )
    .await
    .expect_code("NOT_FOUND");
    app.gql(
        &w.customer.auth,
        "mutation($id: ID!) { reopenComplaint(id: $id, version: 1, reason: \"x\") { id } }",
        json!({ "id": order["id"] }),
    )
    .await
    .expect_code("NOT_FOUND");
    let as_technician = format!(", technicianId: \"{}\"", gid(NodeType::Asset, w.asset));
    app.repair_op(&w.agent.auth, "assignTechnician", &order, &as_technician)
        .await
        .expect_code("NOT_FOUND");
    // …and nothing changed.
    let now = app
        .gql(
            &w.agent.auth,
            "query($id: ID!) { repairOrder(id: $id) { status version } }",
            json!({ "id": order["id"] }),
        )
        .await;
    assert_eq!(now.data()["repairOrder"]["status"], "SUBMITTED");
    assert_eq!(now.data()["repairOrder"]["version"], order["version"]);
    assert_eq!(complaint["status"], "RECEIVED");

    // The human number finds the same order, with the same visibility.
    let by_number = "query($n: String) { repairOrder(number: $n) { id number } }";
    let found = app
        .gql(&w.customer.auth, by_number, json!({ "n": order["number"] }))
        .await;
    assert_eq!(found.data()["repairOrder"]["id"], order["id"]);
    app.gql(
        &w.other_customer.auth,
        by_number,
        json!({ "n": order["number"] }),
    )
    .await
    .expect_code("NOT_FOUND");
    app.gql(
        &w.customer.auth,
        by_number,
        json!({ "n": "RO-19990101-000001" }),
    )
    .await
    .expect_code("NOT_FOUND");
    let both = app
        .gql(
            &w.customer.auth,
            "query($id: ID, $n: String) { repairOrder(id: $id, number: $n) { id } }",
            json!({ "id": order["id"], "n": order["number"] }),
        )
        .await;
    assert_eq!(both.expect_code("BAD_USER_INPUT")["field"], "id");
}

async fn nodes_batch_in_order_with_nulls_and_a_limit(app: TestApp) {
    let w = app.repair_world().await;
    let mine = app.report(&w.customer, w.asset).await;
    let other_asset = app
        .asset(w.other_customer.id, app.clock_now().date_naive())
        .await;
    let foreign = app.report(&w.other_customer, other_asset).await;
    let query = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }";
    let ids = json!([
        mine["id"],
        foreign["id"],
        "bogus",
        gid(NodeType::User, w.customer.id)
    ]);
    let got = app
        .gql(&w.customer.auth, query, json!({ "ids": ids }))
        .await;
    let got = got.data()["nodes"].as_array().unwrap().clone();
    assert_eq!(got.len(), 4);
    assert_eq!(got[0]["id"], mine["id"]);
    assert_eq!(got[1], Value::Null, "another customer's order");
    assert_eq!(got[2], Value::Null, "not an id");
    assert_eq!(got[3]["__typename"], "User");

    let too_many: Vec<String> = (1..=101).map(|k| gid(NodeType::RepairOrder, k)).collect();
    let refused = app
        .gql(&w.customer.auth, query, json!({ "ids": too_many }))
        .await;
    assert_eq!(refused.expect_code("BAD_USER_INPUT")["field"], "ids");
}

async fn set_profile(
    app: &TestApp,
    auth: &Auth,
    user: &str,
    skills: Value,
    region: &str,
) -> GqlResponse {
    app.gql(
        auth,
        "mutation($u: ID!, $s: [String!]!, $r: String) { \
         setTechnicianProfile(userId: $u, skills: $s, region: $r) { id skills region } }",
        json!({ "u": user, "s": skills, "r": region }),
    )
    .await
}

async fn technicians(app: &TestApp, auth: &Auth, filter: Value) -> GqlResponse {
    app.gql(
        auth,
        "query($f: TechnicianFilter) { technicians(filter: $f) { id name skills region } }",
        json!({ "f": filter }),
    )
    .await
}

fn ids(response: &GqlResponse) -> Vec<Value> {
    response.data()["technicians"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].clone())
        .collect()
}

async fn technicians_are_listed_for_dispatch_by_skill_region_and_availability(app: TestApp) {
    // Migration 000021 (skills, region) goes down and up cleanly.
    app.migrate_round_trip_from("m20261208_000021").await;
    let w = app.repair_world().await;
    let set = set_profile(
        &app,
        &w.admin.auth,
        &w.technician.gid(),
        json!(["refrigeration", " Gas-Safe "]),
        "Pudong",
    )
    .await;
    assert_eq!(
        set.data()["setTechnicianProfile"]["skills"],
        json!(["REFRIGERATION", "GAS-SAFE"])
    );
    set_profile(
        &app,
        &w.admin.auth,
        &w.other_technician.gid(),
        json!(["ELECTRICAL"]),
        "Minhang",
    )
    .await
    .data();
    // Only admins set profiles, only of technicians, with sane labels.
    for auth in [
        &w.agent.auth,
        &w.supervisor.auth,
        &w.technician.auth,
        &w.customer.auth,
    ] {
        set_profile(&app, auth, &w.technician.gid(), json!([]), "")
            .await
            .expect_code("FORBIDDEN");
    }
    let not_technician = set_profile(&app, &w.admin.auth, &w.agent.gid(), json!([]), "").await;
    assert_eq!(
        not_technician.expect_code("BAD_USER_INPUT")["field"],
        "userId"
    );
    let bad = set_profile(&app, &w.admin.auth, &w.technician.gid(), json!(["a b"]), "").await;
    assert_eq!(bad.expect_code("BAD_USER_INPUT")["field"], "skills");

    let both = [json!(w.technician.gid()), json!(w.other_technician.gid())];
    let all = technicians(&app, &w.agent.auth, Value::Null).await;
    let mut listed = ids(&all);
    listed.sort_by_key(|v| v.to_string());
    let mut expected = both.to_vec();
    expected.sort_by_key(|v| v.to_string());
    assert_eq!(listed, expected, "the centre's technicians");
    let cold = technicians(
        &app,
        &w.supervisor.auth,
        json!({ "skills": ["Refrigeration"] }),
    )
    .await;
    assert_eq!(ids(&cold), [both[0].clone()]);
    let east = technicians(&app, &w.agent.auth, json!({ "region": "minhang" })).await;
    assert_eq!(ids(&east), [both[1].clone()]);
    let none = technicians(&app, &w.agent.auth, json!({ "skills": ["PLUMBING"] })).await;
    assert!(ids(&none).is_empty());

    // Busy: an order assigned to the technician and not yet done.
    let order = app.report(&w.customer, w.asset).await;
    let tech = format!(", technicianId: \"{}\"", w.technician.gid());
    app.repair_ok(&w.agent.auth, "assignTechnician", &order, &tech)
        .await;
    let free = technicians(&app, &w.agent.auth, json!({ "available": true })).await;
    assert_eq!(ids(&free), [both[1].clone()]);
    let busy = technicians(&app, &w.agent.auth, json!({ "available": false })).await;
    assert_eq!(ids(&busy), [both[0].clone()]);

    // Another centre's agent sees none of them; other roles may not list.
    let south = technicians(&app, &w.other_agent.auth, Value::Null).await;
    assert!(ids(&south).is_empty());
    for auth in [
        &w.customer.auth,
        &w.technician.auth,
        &w.admin.auth,
        &w.partner,
    ] {
        technicians(&app, auth, Value::Null)
            .await
            .expect_code("FORBIDDEN");
    }
    technicians(&app, &Auth::None, Value::Null)
        .await
        .expect_code("UNAUTHENTICATED");
}

async fn service_centres_are_public(app: TestApp) {
    let w = app.repair_world().await;
    for auth in [&Auth::None, &w.customer.auth, &w.partner] {
        let listed = app
            .gql(auth, "{ serviceCentres { id name timezone } }", json!({}))
            .await;
        let centres = listed.data()["serviceCentres"].as_array().unwrap().clone();
        let names: Vec<&str> = centres
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["North", "South"]);
        assert_eq!(centres[0]["id"], gid(NodeType::ServiceCentre, w.centre));
        assert_eq!(centres[0]["timezone"], "Asia/Shanghai");
    }
}

async fn customers_reopen_complaints_by_id_and_page_their_complaints(app: TestApp) {
    let w = app.repair_world().await;
    let first = app.complaint_in(&w, &w.customer, "RECEIVED").await;
    let resolved = app.complaint_in(&w, &w.customer, "RESOLVED").await;
    let query = "query($after: String) { myComplaints(first: 1, after: $after) { \
                 nodes { id version number severity survey { id } } \
                 pageInfo { hasNextPage endCursor } } }";
    let page = app
        .gql(&w.customer.auth, query, json!({ "after": null }))
        .await;
    let page = page.data()["myComplaints"].clone();
    let newest = page["nodes"][0].clone();
    assert_eq!(
        newest["id"], resolved["id"],
        "newest first, same id as staff see"
    );
    assert_eq!(newest["version"], resolved["version"]);
    assert_eq!(
        newest["severity"],
        "general: about the service, with no loss caused"
    );
    assert!(
        newest["survey"]["id"].is_string(),
        "the resolution's satisfaction survey (R-CMP-4) is linked"
    );
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let next = app
        .gql(
            &w.customer.auth,
            query,
            json!({ "after": page["pageInfo"]["endCursor"] }),
        )
        .await;
    let next = next.data()["myComplaints"].clone();
    assert_eq!(next["nodes"][0]["id"], first["id"]);
    assert_eq!(next["pageInfo"]["hasNextPage"], false);

    // With the id and version from the tracking view, the customer reopens the complaint.
    let reopened = app
        .gql(
            &w.customer.auth,
            "mutation($id: ID!, $v: Int!) { reopenComplaint(id: $id, version: $v, \
             reason: \"Still rude\") { status version } }",
            json!({ "id": newest["id"], "v": newest["version"] }),
        )
        .await;
    assert_eq!(reopened.data()["reopenComplaint"]["status"], "REOPENED");
    // Another customer's pages hold none of them.
    let theirs = app
        .gql(&w.other_customer.auth, query, json!({ "after": null }))
        .await;
    assert_eq!(theirs.data()["myComplaints"]["nodes"], json!([]));
}

const NOTE: &str = "mutation($id: ID!, $v: Int, $note: String!) { \
                    addCustomerNote(id: $id, version: $v, note: $note) { \
                    id version events { action note public actorRole } } }";

async fn customers_add_a_public_note_to_their_open_order(app: TestApp) {
    let w = app.repair_world().await;
    let order = app.order_in(&w, "ASSIGNED").await;
    let noted = app
        .gql(
            &w.customer.auth,
            NOTE,
            json!({ "id": order["id"], "v": order["version"], "note": "Gate code 4711" }),
        )
        .await;
    let noted = noted.data()["addCustomerNote"].clone();
    assert_eq!(
        noted["version"], order["version"],
        "a note changes no version"
    );
    let last = noted["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last,
        json!({ "action": "CUSTOMER_NOTE", "note": "Gate code 4711", "public": true,
                "actorRole": "CUSTOMER" })
    );
    // The technician reads it on the order.
    let seen = app
        .gql(
            &w.technician.auth,
            "query($id: ID!) { repairOrder(id: $id) { events { action note } } }",
            json!({ "id": order["id"] }),
        )
        .await;
    assert!(seen.body.to_string().contains("Gate code 4711"));

    // Without a version it is taken as is; empty, overlong or someone else's: refused.
    app.gql(
        &w.customer.auth,
        NOTE,
        json!({ "id": order["id"], "note": "Ring twice" }),
    )
    .await
    .data();
    for note in ["   ".to_owned(), "x".repeat(1001)] {
        let refused = app
            .gql(
                &w.customer.auth,
                NOTE,
                json!({ "id": order["id"], "note": note }),
            )
            .await;
        assert_eq!(refused.expect_code("BAD_USER_INPUT")["field"], "note");
    }
    app.gql(
        &w.other_customer.auth,
        NOTE,
        json!({ "id": order["id"], "note": "Hi" }),
    )
    .await
    .expect_code("NOT_FOUND");
    let stale = app
        .gql(
            &w.customer.auth,
            NOTE,
            json!({ "id": order["id"], "v": order["version"].as_i64().unwrap() - 1, "note": "x" }),
        )
        .await;
    assert_eq!(
        stale.expect_code("CONFLICT")["currentVersion"],
        order["version"]
    );

    // A closed order takes no more notes.
    let closed = app.order_in(&w, "CLOSED").await;
    let refused = app
        .gql(
            &w.customer.auth,
            NOTE,
            json!({ "id": closed["id"], "note": "Thanks" }),
        )
        .await;
    assert_eq!(
        refused.expect_code("INVALID_TRANSITION")["status"],
        "CLOSED"
    );
}

async fn conflict_names_the_current_version(app: TestApp) {
    let w = app.repair_world().await;
    let order = app.order_in(&w, "ACCEPTED").await;
    let mut stale = order.clone();
    stale["version"] = json!(order["version"].as_i64().unwrap() - 1);
    let refused = app
        .repair_op(&w.technician.auth, "startTravel", &stale, "")
        .await;
    assert_eq!(
        refused.expect_code("CONFLICT")["currentVersion"],
        order["version"]
    );
    let complaint = app.complaint_in(&w, &w.customer, "ACKNOWLEDGED").await;
    let mut stale = complaint.clone();
    stale["version"] = json!(1);
    let refused = app
        .complaint_op(
            &w.agent.auth,
            "postProgressUpdate",
            &stale,
            ", message: \"Still on it\", nextContactAt: \"2099-01-01T00:00:00Z\"",
        )
        .await;
    assert_eq!(
        refused.expect_code("CONFLICT")["currentVersion"],
        complaint["version"]
    );
}

async fn every_bad_field_of_an_input_is_reported_at_once(app: TestApp) {
    let w = app.repair_world().await;
    let before = repair_orders::Entity::find().count(&app.db).await.unwrap();
    let input = json!({ "customerId": w.customer.gid(), "assetId": gid(NodeType::Asset, w.asset),
                        "channel": "APP", "faultDescription": " ", "serviceAddress": "  ",
                        "contactPhone": "call me" });
    let response = app
        .gql(
            &w.agent.auth,
            "mutation($input: ReportFaultInput!) { reportFault(input: $input) { id } }",
            json!({ "input": input }),
        )
        .await;
    let errors = response.body["errors"].as_array().expect("errors").clone();
    let mut fields: Vec<&str> = errors
        .iter()
        .map(|e| {
            assert_eq!(e["extensions"]["code"], "BAD_USER_INPUT", "{e}");
            assert_eq!(e["path"], json!(["reportFault"]));
            e["extensions"]["field"].as_str().unwrap()
        })
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "channel",
            "contactPhone",
            "faultDescription",
            "serviceAddress"
        ]
    );
    assert_eq!(
        repair_orders::Entity::find().count(&app.db).await.unwrap(),
        before,
        "nothing written"
    );

    // Complaints and assets the same way.
    let complaint = app
        .gql(
            &w.agent.auth,
            "mutation($input: FileComplaintInput!) { fileComplaint(input: $input) { id } }",
            json!({ "input": { "customerId": w.customer.gid(), "category": "DELAY",
                               "description": " " } }),
        )
        .await;
    let fields: Vec<&Value> = complaint.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["extensions"]["field"])
        .collect();
    assert_eq!(fields, [&json!("channel"), &json!("description")]);
    let asset = app
        .gql(
            &w.customer.auth,
            "mutation($input: RegisterAssetInput!) { registerAsset(input: $input) { id } }",
            json!({ "input": { "model": " ", "serialNumber": "", "purchaseDate": "2099-01-01" } }),
        )
        .await;
    assert_eq!(
        asset.body["errors"].as_array().unwrap().len(),
        3,
        "{}",
        asset.body
    );

    // A walk-in customer, a webhook endpoint and survey answers the same way.
    let customer = app
        .gql(
            &w.agent.auth,
            "mutation { createCustomer(input: { name: \" \", phone: \"12\", \
             email: \"not-an-address\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(fields_of(&customer), ["email", "name", "phone"]);
    let endpoint = app
        .gql(
            &w.partner,
            "mutation { createWebhookEndpoint(input: { url: \"ftp://x\", \
             eventTypes: [\"no.such_event\"] }) { secret } }",
            json!({}),
        )
        .await;
    assert_eq!(fields_of(&endpoint), ["eventTypes", "url"]);
    let order = app.order_in(&w, "CLOSED").await;
    let survey = app
        .gql(
            &w.customer.auth,
            "query($id: ID!) { repairOrder(id: $id) { survey { id } } }",
            json!({ "id": order["id"] }),
        )
        .await;
    let survey = survey.data()["repairOrder"]["survey"]["id"].clone();
    let answers = app
        .gql(
            &w.customer.auth,
            "mutation($id: ID!) { submitSurvey(id: $id, answers: { timeliness: 0, attitude: 6, \
             professionalism: 5, result: 5, overall: 5, wouldRecommend: 11 }) { id } }",
            json!({ "id": survey }),
        )
        .await;
    assert_eq!(
        fields_of(&answers),
        ["attitude", "timeliness", "wouldRecommend"]
    );
}

/// The `extensions.field` of every error, sorted.
fn fields_of(response: &GqlResponse) -> Vec<String> {
    let mut fields: Vec<String> = response.body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("errors expected: {}", response.body))
        .iter()
        .map(|e| e["extensions"]["field"].as_str().unwrap_or("-").to_owned())
        .collect();
    fields.sort();
    fields
}

async fn timeline_actions_and_roles_are_enums(app: TestApp) {
    let w = app.repair_world().await;
    let types = app
        .gql(
            &w.agent.auth,
            "{ __type(name: \"TimelineEvent\") { fields { name type { kind ofType { name kind } } } } }",
            json!({}),
        )
        .await;
    let fields = types.data()["__type"]["fields"].as_array().unwrap().clone();
    let of = |name: &str| {
        fields
            .iter()
            .find(|f| f["name"] == name)
            .map(|f| f["type"]["ofType"].clone())
            .unwrap()
    };
    assert_eq!(
        of("action"),
        json!({ "name": "TimelineAction", "kind": "ENUM" })
    );
    assert_eq!(
        of("actorRole"),
        json!({ "name": "ActorRole", "kind": "ENUM" })
    );
    let order = app.order_in(&w, "ASSIGNED").await;
    let timeline = app
        .gql(
            &w.agent.auth,
            "query($id: ID!) { repairOrder(id: $id) { events { action actorRole } } }",
            json!({ "id": order["id"] }),
        )
        .await;
    assert_eq!(
        timeline.data()["repairOrder"]["events"],
        json!([{ "action": "REPORTED", "actorRole": "CUSTOMER" },
               { "action": "ASSIGNED", "actorRole": "AGENT" }])
    );
}
