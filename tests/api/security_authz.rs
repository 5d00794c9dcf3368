//! Issue 11, authorization and data (items 7–11): each test replays an attack that worked on
//! `main` and checks that it is refused with a stable code and leaves every row as it was.

use chrono::{Duration, Months, NaiveDate, TimeZone, Utc};
use entity::users::Role;
use entity::{assets, complaints, product_models, repair_orders, ticket_events};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use servicedesk_tests::key_of;
use servicedesk_tests::{
    Auth, GqlResponse, ORDER_FIELDS, RepairWorld, TestApp, TestUser, db_tests,
};
use servicedesk_tests::{NodeType, gid};

db_tests!(
    r_prv_8_partner_report_and_metrics_obey_the_field_rules,
    r_cls_2_lowering_severity_needs_a_supervisor_from_major_the_top_level,
    r_esc_4_closure_follows_the_highest_severity_ever,
    r_cls_3_customers_and_partners_claim_severity_into_their_own_centre,
    r_prv_1_agents_act_only_for_customers_of_their_own_centre,
    r_prv_1_file_complaint_rejects_an_order_the_caller_cannot_see,
    r_rep_1_self_declared_warranty_is_refused_or_unverified_until_staff_verify,
    r_rep_4_unverified_purchase_date_gives_no_reason_free_return,
    r_rep_1_product_models_are_admin_managed_and_give_the_warranty,
    same_serial_number_of_the_same_model_is_a_conflict,
    assign_technician_note_can_be_kept_internal,
    r_prv_7_faults_are_reported_into_the_customers_own_centre,
);

const COMPLAINT: &str = "id number version status severity highestSeverity claimedSeverity
    escalationLevel serviceCentreId supervisorApproved topLevelApproved";

const ASSET: &str =
    "id model productModelId serialNumber purchaseDate warrantyEndsOn warrantyStatus";

/// Rows of every table the refused calls could write to.
async fn rows(app: &TestApp) -> [u64; 5] {
    [
        complaints::Entity::find()
            .count(&app.db)
            .await
            .expect("count"),
        repair_orders::Entity::find()
            .count(&app.db)
            .await
            .expect("count"),
        assets::Entity::find().count(&app.db).await.expect("count"),
        ticket_events::Entity::find()
            .count(&app.db)
            .await
            .expect("count"),
        product_models::Entity::find()
            .count(&app.db)
            .await
            .expect("count"),
    ]
}

async fn file(app: &TestApp, auth: &Auth, input: Value) -> GqlResponse {
    let query = format!(
        "mutation($input: FileComplaintInput!) {{ fileComplaint(input: $input) {{ {COMPLAINT} }} }}"
    );
    app.gql(auth, &query, json!({ "input": input })).await
}

async fn op(app: &TestApp, auth: &Auth, name: &str, complaint: &Value, args: &str) -> GqlResponse {
    let query = format!(
        "mutation($id: ID!, $version: Int!) {{ {name}(id: $id, version: $version{args}) {{ {COMPLAINT} }} }}"
    );
    app.gql(
        auth,
        &query,
        json!({ "id": complaint["id"], "version": complaint["version"] }),
    )
    .await
}

async fn ok(app: &TestApp, auth: &Auth, name: &str, complaint: &Value, args: &str) -> Value {
    op(app, auth, name, complaint, args).await.data()[name].clone()
}

async fn complaint_as(app: &TestApp, auth: &Auth, id: &Value) -> Value {
    let query = format!("query($id: ID!) {{ complaintById(id: $id) {{ {COMPLAINT} }} }}");
    app.gql(auth, &query, json!({ "id": id })).await.data()["complaintById"].clone()
}

/// A complaint the world's agent takes by phone, acknowledged.
async fn acknowledged(app: &TestApp, w: &RepairWorld, customer: &TestUser, input: Value) -> Value {
    let mut input = input;
    input["customerId"] = json!(customer.gid());
    input["channel"] = json!("PHONE");
    input["description"] = json!("The fridge leaked onto the parquet");
    let filed = file(app, &w.agent.auth, input).await.data()["fileComplaint"].clone();
    let now = app.clock_now();
    let args = format!(
        ", promisedResolutionAt: \"{}\", nextContactAt: \"{}\"",
        (now + Duration::hours(8)).to_rfc3339(),
        (now + Duration::hours(2)).to_rfc3339()
    );
    ok(app, &w.agent.auth, "acknowledgeComplaint", &filed, &args).await
}

async fn investigated(app: &TestApp, w: &RepairWorld, complaint: &Value, cause: &str) -> Value {
    let args = format!(", cause: \"{cause}\", responsibleParty: \"installer\", justified: true");
    ok(app, &w.agent.auth, "recordInvestigation", complaint, &args).await
}

// ---------------------------------------------------------------------------------------------
// 7. Aggregates obey the field rules of the rows they summarize (R-PRV-1/8)
// ---------------------------------------------------------------------------------------------

async fn r_prv_8_partner_report_and_metrics_obey_the_field_rules(app: TestApp) {
    let w = app.repair_world().await;
    let secret = "staff error by Li";
    let complaint = acknowledged(
        &app,
        &w,
        &w.partner_customer,
        json!({ "category": "PROPERTY_DAMAGE" }),
    )
    .await;
    investigated(&app, &w, &complaint, secret).await;
    // The partner may not read the cause on the row…
    let row = app
        .gql(
            &w.partner,
            "query($id: ID!) { complaintById(id: $id) { cause } }",
            json!({ "id": complaint["id"] }),
        )
        .await;
    row.expect_code("FORBIDDEN");
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 12, 3, 8, 0, 0).unwrap());
    // … nor in the monthly report that counts it.
    let report = "query { monthlyComplaintReport(month: \"2026-11\") { bySeverity { key count } topCauses { key count } } }";
    let partner = app.gql(&w.partner, report, json!({})).await;
    partner.expect_code("FORBIDDEN");
    assert_eq!(partner.body["errors"][0]["path"][1], "topCauses");
    assert!(
        !partner.body.to_string().contains(secret),
        "the cause leaked: {}",
        partner.body
    );
    let breaches = app
        .gql(
            &w.partner,
            "query { monthlyComplaintReport(month: \"2026-11\") { breaches } }",
            json!({}),
        )
        .await;
    breaches.expect_code("FORBIDDEN");
    // What partners may see of the rows, they still see summed up.
    let counts = app
        .gql(
            &w.partner,
            "query { monthlyComplaintReport(month: \"2026-11\") { bySeverity { key count } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        counts.data()["monthlyComplaintReport"]["bySeverity"],
        json!([{ "key": "SERIOUS", "count": 1 }])
    );
    // Staff see the cause.
    let supervisor = app.gql(&w.supervisor.auth, report, json!({})).await;
    assert_eq!(
        supervisor.data()["monthlyComplaintReport"]["topCauses"],
        json!([{ "key": secret, "count": 1 }])
    );

    // The same rule for every metric built from staff-internal rows.
    let period = json!({ "from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z" });
    for field in [
        "escalationsByLevel { level count }",
        "penaltyPoints { userId points }",
        "returnVisitRate { numerator denominator }",
        "returnVisitPassRate { numerator denominator }",
    ] {
        let query = format!(
            "query($from: DateTime!, $to: DateTime!) {{ serviceMetrics(from: $from, to: $to) {{ {field} }} }}"
        );
        let partner = app.gql(&w.partner, &query, period.clone()).await;
        assert_eq!(partner.code(), "FORBIDDEN", "{field}: {}", partner.body);
        app.gql(&w.supervisor.auth, &query, period.clone())
            .await
            .data();
    }
    let allowed = "query($from: DateTime!, $to: DateTime!) { serviceMetrics(from: $from, to: $to) { complaintHandlingRate { denominator } majorComplaints } }";
    let partner = app.gql(&w.partner, allowed, period).await;
    assert_eq!(
        partner.data()["serviceMetrics"]["complaintHandlingRate"]["denominator"],
        1
    );
}

// ---------------------------------------------------------------------------------------------
// 8. Severity: staff classify, lowering needs a supervisor, closure follows the highest
// ---------------------------------------------------------------------------------------------

async fn r_cls_2_lowering_severity_needs_a_supervisor_from_major_the_top_level(app: TestApp) {
    let w = app.repair_world().await;
    let serious = acknowledged(
        &app,
        &w,
        &w.customer,
        json!({ "category": "PROPERTY_DAMAGE" }),
    )
    .await;
    assert_eq!(serious["severity"], "SERIOUS");
    let before = rows(&app).await;
    let lower = ", category: SERVICE_ATTITUDE, severity: GENERAL";
    op(&app, &w.agent.auth, "reclassifyComplaint", &serious, lower)
        .await
        .expect_code("FORBIDDEN");
    assert_eq!(rows(&app).await, before, "a refused downgrade wrote rows");
    let unchanged = complaint_as(&app, &w.supervisor.auth, &serious["id"]).await;
    assert_eq!(unchanged["severity"], "SERIOUS");
    assert_eq!(unchanged["version"], serious["version"]);
    // Raising stays every handler's call.
    let major = ok(
        &app,
        &w.agent.auth,
        "reclassifyComplaint",
        &serious,
        ", severity: MAJOR",
    )
    .await;
    assert_eq!(major["severity"], "MAJOR");
    // From MAJOR only the top level lowers.
    op(
        &app,
        &w.supervisor.auth,
        "reclassifyComplaint",
        &major,
        ", severity: SERIOUS",
    )
    .await
    .expect_code("FORBIDDEN");
    let top = app.user(Role::Supervisor, Some(w.centre), None).await;
    app.make_top_level(&top).await;
    let back = ok(
        &app,
        &top.auth,
        "reclassifyComplaint",
        &major,
        ", severity: SERIOUS",
    )
    .await;
    assert_eq!(back["severity"], "SERIOUS");
    assert_eq!(back["highestSeverity"], "MAJOR");
    // A supervisor lowers SERIOUS.
    let general = ok(
        &app,
        &w.supervisor.auth,
        "reclassifyComplaint",
        &back,
        lower,
    )
    .await;
    assert_eq!(general["severity"], "GENERAL");
    assert_eq!(general["highestSeverity"], "MAJOR");
}

async fn r_esc_4_closure_follows_the_highest_severity_ever(app: TestApp) {
    let w = app.repair_world().await;
    let serious = acknowledged(
        &app,
        &w,
        &w.customer,
        json!({ "category": "PROPERTY_DAMAGE" }),
    )
    .await;
    let lowered = ok(
        &app,
        &w.supervisor.auth,
        "reclassifyComplaint",
        &serious,
        ", category: SERVICE_ATTITUDE, severity: GENERAL",
    )
    .await;
    assert_eq!(lowered["severity"], "GENERAL");
    assert_eq!(lowered["highestSeverity"], "SERIOUS");
    let investigated = investigated(&app, &w, &lowered, "hose not fastened").await;
    let investigated = app
        .approved_solution(&w, &investigated, "We replace the parquet", None)
        .await;
    let resolved = ok(
        &app,
        &w.agent.auth,
        "resolveComplaint",
        &investigated,
        ", resolution: \"We replaced the parquet\"",
    )
    .await;
    let signed = ok(
        &app,
        &w.supervisor.auth,
        "approveComplaintClosure",
        &resolved,
        "",
    )
    .await;
    assert_eq!(signed["supervisorApproved"], true);
    let before = rows(&app).await;
    let refused = op(&app, &w.agent.auth, "closeComplaint", &signed, "").await;
    assert_eq!(refused.expect_code("BAD_USER_INPUT")["field"], "id");
    assert_eq!(rows(&app).await, before, "a refused closure wrote rows");
    let top = app.user(Role::Supervisor, Some(w.centre), None).await;
    app.make_top_level(&top).await;
    let both = ok(&app, &top.auth, "approveComplaintClosure", &signed, "").await;
    assert_eq!(both["topLevelApproved"], true);
    let closed = ok(&app, &w.agent.auth, "closeComplaint", &both, "").await;
    assert_eq!(closed["status"], "CLOSED");
}

async fn r_cls_3_customers_and_partners_claim_severity_into_their_own_centre(app: TestApp) {
    let w = app.repair_world().await;
    let mine = file(
        &app,
        &w.customer.auth,
        json!({ "category": "DELAY", "severity": "MAJOR", "description": "Three weeks late" }),
    )
    .await;
    let mine = &mine.data()["fileComplaint"];
    assert_eq!(mine["severity"], "GENERAL", "staff classify: {mine}");
    assert_eq!(mine["claimedSeverity"], "MAJOR");
    assert_eq!(mine["escalationLevel"], 1);
    let partner = file(
        &app,
        &w.partner,
        json!({ "customerId": w.partner_customer.gid(), "channel": "PHONE",
                "category": "PROPERTY_DAMAGE", "severity": "MAJOR", "description": "Wet floor" }),
    )
    .await;
    let partner = &partner.data()["fileComplaint"];
    assert_eq!(
        partner["severity"], "SERIOUS",
        "the category's minimum only"
    );
    assert_eq!(partner["claimedSeverity"], "MAJOR");
    assert_eq!(partner["escalationLevel"], 2);
    // Staff set what they classify.
    let staff = file(
        &app,
        &w.agent.auth,
        json!({ "customerId": w.customer.gid(), "channel": "PHONE",
                "category": "DELAY", "severity": "MAJOR", "description": "On TV tonight" }),
    )
    .await;
    assert_eq!(staff.data()["fileComplaint"]["severity"], "MAJOR");

    // Nobody files into another centre than the customer's.
    let before = rows(&app).await;
    let elsewhere = gid(NodeType::ServiceCentre, w.other_centre);
    for (who, auth, input) in [
        (
            "customer",
            &w.customer.auth,
            json!({ "category": "DELAY", "description": "Late", "serviceCentreId": elsewhere }),
        ),
        (
            "partner",
            &w.partner,
            json!({ "customerId": w.partner_customer.gid(), "channel": "PHONE",
                    "category": "DELAY", "description": "Late", "serviceCentreId": elsewhere }),
        ),
    ] {
        let refused = file(&app, auth, input).await;
        assert_eq!(
            refused.expect_code("BAD_USER_INPUT")["field"],
            "serviceCentreId",
            "{who}"
        );
        assert!(refused.body["data"].is_null(), "{who}: {}", refused.body);
    }
    assert_eq!(rows(&app).await, before, "a refused complaint wrote rows");
}

// ---------------------------------------------------------------------------------------------
// 9. Staff act for the customers of their own centre
// ---------------------------------------------------------------------------------------------

async fn r_prv_1_agents_act_only_for_customers_of_their_own_centre(app: TestApp) {
    let w = app.repair_world().await;
    let before = rows(&app).await;
    let south_supervisor = app.user(Role::Supervisor, Some(w.other_centre), None).await;
    let missing = gid(NodeType::User, w.customer.id + 10_000);
    let customer = w.customer.gid();
    let attempts = |c: &str| {
        [
            (
                "assets",
                "query($c: ID!) { assets(customerId: $c) { id serialNumber } }".to_owned(),
                json!({ "c": c }),
            ),
            (
                "reportFault",
                format!(
                    "mutation($input: ReportFaultInput!) {{ reportFault(input: $input) {{ {ORDER_FIELDS} customer {{ name phone }} }} }}"
                ),
                json!({ "input": { "customerId": c, "assetId": gid(NodeType::Asset, w.asset),
                        "faultDescription": "Not cooling", "serviceAddress": "1 Probe Road",
                        "contactPhone": "13700000000" } }),
            ),
            (
                "registerAsset",
                format!(
                    "mutation($input: RegisterAssetInput!) {{ registerAsset(input: $input) {{ {ASSET} }} }}"
                ),
                json!({ "input": { "customerId": c, "model": "Frost 300 fridge",
                        "serialNumber": "PROBE-1", "purchaseDate": "2026-10-01",
                        "warrantyEndsOn": "2027-09-30" } }),
            ),
            (
                "fileComplaint",
                format!(
                    "mutation($input: FileComplaintInput!) {{ fileComplaint(input: $input) {{ {COMPLAINT} }} }}"
                ),
                json!({ "input": { "customerId": c, "channel": "PHONE", "category": "DELAY",
                        "description": "Probe" } }),
            ),
        ]
    };
    for auth in [&w.other_agent.auth, &south_supervisor.auth] {
        for ((name, query, variables), (_, _, missing_variables)) in
            attempts(&customer).into_iter().zip(attempts(&missing))
        {
            let probed = app.gql(auth, &query, variables).await;
            probed.expect_code("NOT_FOUND");
            assert!(probed.body["data"].is_null(), "{name}: {}", probed.body);
            let text = probed.body.to_string();
            assert!(
                !text.contains("Test Customer") && !text.contains("13812345678"),
                "{name} leaked personal data: {text}"
            );
            // Another centre's customer looks exactly like no customer at all.
            let absent = app.gql(auth, &query, missing_variables).await;
            assert_eq!(probed.body, absent.body, "{name}");
        }
    }
    assert_eq!(rows(&app).await, before, "a refused call wrote rows");
    // The customer's own centre still serves them.
    let own = app
        .gql(
            &w.agent.auth,
            "query($c: ID!) { assets(customerId: $c) { id } }",
            json!({ "c": customer }),
        )
        .await;
    assert_eq!(own.data()["assets"].as_array().map(Vec::len), Some(2));
}

async fn r_prv_1_file_complaint_rejects_an_order_the_caller_cannot_see(app: TestApp) {
    let w = app.repair_world().await;
    // The North customer has a repair done by the South centre (handed over after the report:
    // a customer reports only into their own centre).
    let south = app.report(&w.customer, w.asset).await;
    let south_id: i64 = key_of(&south["id"]);
    repair_orders::Entity::update_many()
        .col_expr(
            repair_orders::Column::ServiceCentreId,
            Expr::value(w.other_centre),
        )
        .filter(repair_orders::Column::Id.eq(south_id))
        .exec(&app.db)
        .await
        .expect("hand the order over");
    // The North agent cannot see that order, so cannot attach a complaint to it.
    let before = rows(&app).await;
    let refused = file(
        &app,
        &w.agent.auth,
        json!({ "customerId": w.customer.gid(), "channel": "PHONE",
                "category": "DELAY", "description": "Late", "repairOrderId": south["id"] }),
    )
    .await;
    refused.expect_code("NOT_FOUND");
    assert!(
        !refused
            .body
            .to_string()
            .contains(south["number"].as_str().unwrap())
    );
    assert_eq!(rows(&app).await, before, "a refused complaint wrote rows");
    // The customer can: it is their own order.
    let own = file(
        &app,
        &w.customer.auth,
        json!({ "category": "DELAY", "description": "Late", "repairOrderId": south["id"] }),
    )
    .await;
    assert_eq!(
        own.data()["fileComplaint"]["serviceCentreId"],
        gid(NodeType::ServiceCentre, w.other_centre)
    );
}

// ---------------------------------------------------------------------------------------------
// 10. Warranty comes from the catalogue and counts once verified
// ---------------------------------------------------------------------------------------------

async fn register(app: &TestApp, auth: &Auth, input: Value) -> GqlResponse {
    let query = format!(
        "mutation($input: RegisterAssetInput!) {{ registerAsset(input: $input) {{ {ASSET} }} }}"
    );
    app.gql(auth, &query, json!({ "input": input })).await
}

async fn verify(app: &TestApp, auth: &Auth, asset: &Value, args: &str) -> GqlResponse {
    let query =
        format!("mutation($id: ID!) {{ verifyAssetWarranty(assetId: $id{args}) {{ {ASSET} }} }}");
    app.gql(auth, &query, json!({ "id": asset["id"] })).await
}

async fn report_on(app: &TestApp, customer: &TestUser, asset: &Value, extra: Value) -> GqlResponse {
    let query = format!(
        "mutation($input: ReportFaultInput!) {{ reportFault(input: $input) {{ {ORDER_FIELDS} }} }}"
    );
    let mut input = json!({ "assetId": asset["id"], "faultDescription": "Not cooling",
                            "serviceAddress": "Room 1201, 88 Century Avenue",
                            "contactPhone": "13812345678" });
    if let (Some(input), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
        input.extend(extra.clone());
    }
    app.gql(&customer.auth, &query, json!({ "input": input }))
        .await
}

/// Drives `order` to ON_SITE and records one part: the total the customer pays.
async fn charged_for_a_part(app: &TestApp, w: &RepairWorld, order: Value) -> Value {
    let tech = format!(", technicianId: \"{}\"", w.technician.gid());
    let mut order = app
        .repair_ok(&w.agent.auth, "assignTechnician", &order, &tech)
        .await;
    for step in ["acceptRepair", "startTravel", "markArrived"] {
        order = app.repair_ok(&w.technician.auth, step, &order, "").await;
    }
    let line = ", input: { kind: PART, description: \"Compressor\", quantity: \"1\", unitPrice: \"480.00\" }";
    let order = app
        .repair_ok(&w.technician.auth, "addRepairLine", &order, line)
        .await;
    order["totalAmount"].clone()
}

async fn r_rep_1_self_declared_warranty_is_refused_or_unverified_until_staff_verify(app: TestApp) {
    let w = app.repair_world().await;
    let before = rows(&app).await;
    // The attack of the issue, and its neighbours.
    for (case, input, field) in [
        (
            "1900 to 9999",
            json!({ "purchaseDate": "1900-01-01", "warrantyEndsOn": "9999-12-31" }),
            "purchaseDate",
        ),
        (
            "bought in the future",
            json!({ "purchaseDate": "2026-11-05", "warrantyEndsOn": "2027-11-04" }),
            "purchaseDate",
        ),
        (
            "a warranty of 80 years",
            json!({ "purchaseDate": "2026-10-01", "warrantyEndsOn": "2106-09-30" }),
            "warrantyEndsOn",
        ),
        (
            "ends before the purchase",
            json!({ "purchaseDate": "2026-10-01", "warrantyEndsOn": "2026-09-30" }),
            "warrantyEndsOn",
        ),
        (
            "no warranty end for a model not listed",
            json!({ "purchaseDate": "2026-10-01" }),
            "warrantyEndsOn",
        ),
    ] {
        let mut input = input;
        input["model"] = json!("Frost 300 fridge");
        input["serialNumber"] = json!("FR-ATTACK");
        let refused = register(&app, &w.customer.auth, input).await;
        assert_eq!(
            refused.expect_code("BAD_USER_INPUT")["field"],
            field,
            "{case}: {}",
            refused.body
        );
    }
    assert_eq!(
        rows(&app).await,
        before,
        "a refused registration wrote rows"
    );

    // A plausible claim is taken, but as a claim: the repair is charged.
    let claimed = register(
        &app,
        &w.customer.auth,
        json!({ "model": "Frost 300 fridge", "serialNumber": "fr-1", "purchaseDate": "2026-10-01",
                "warrantyEndsOn": "2028-09-30" }),
    )
    .await;
    let claimed = claimed.data()["registerAsset"].clone();
    assert_eq!(claimed["warrantyStatus"], "UNVERIFIED");
    assert_eq!(claimed["serialNumber"], "FR-1");
    let order = report_on(&app, &w.customer, &claimed, json!({})).await;
    let order = order.data()["reportFault"].clone();
    assert_eq!(
        order["inWarranty"], false,
        "an unverified warranty is not free"
    );
    // The arrival limit follows the warranty as claimed (12 h, R-SLA-1): only money waits.
    let reported = app.clock_now();
    let deadline = order["slaStatus"]["deadline"].as_str().expect("deadline");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(deadline).expect("RFC 3339"),
        reported + Duration::hours(12)
    );
    assert_eq!(charged_for_a_part(&app, &w, order).await, "480.00");

    // Customers and partners cannot verify; another centre's agent cannot see the asset.
    let proof = ", purchaseDate: \"2026-10-01\", warrantyEndsOn: \"2028-09-30\"";
    verify(&app, &w.customer.auth, &claimed, proof)
        .await
        .expect_code("FORBIDDEN");
    verify(&app, &w.partner, &claimed, proof)
        .await
        .expect_code("FORBIDDEN");
    verify(&app, &w.other_agent.auth, &claimed, proof)
        .await
        .expect_code("NOT_FOUND");
    let absurd = verify(
        &app,
        &w.agent.auth,
        &claimed,
        ", purchaseDate: \"1900-01-01\", warrantyEndsOn: \"9999-12-31\"",
    )
    .await;
    assert_eq!(
        absurd.expect_code("BAD_USER_INPUT")["field"],
        "purchaseDate"
    );
    // The agent checks the receipt: from now on the repair is free.
    let verified = verify(&app, &w.agent.auth, &claimed, proof).await;
    assert_eq!(
        verified.data()["verifyAssetWarranty"]["warrantyStatus"],
        "VERIFIED"
    );
    let free = report_on(&app, &w.customer, &claimed, json!({})).await;
    let free = free.data()["reportFault"].clone();
    assert_eq!(free["inWarranty"], true);
    assert_eq!(charged_for_a_part(&app, &w, free).await, "0.00");
}

async fn r_rep_4_unverified_purchase_date_gives_no_reason_free_return(app: TestApp) {
    let w = app.repair_world().await;
    let bought = app.clock_now().date_naive() - Duration::days(3);
    let asset = register(
        &app,
        &w.customer.auth,
        json!({ "model": "Kettle", "serialNumber": "K-1", "purchaseDate": bought.to_string(),
                "warrantyEndsOn": (bought + Duration::days(364)).to_string() }),
    )
    .await;
    let asset = asset.data()["registerAsset"].clone();
    let before = rows(&app).await;
    let no_reason = json!({ "requestType": "RETURN", "faultDescription": null });
    let refused = report_on(&app, &w.customer, &asset, no_reason.clone()).await;
    assert_eq!(
        refused.expect_code("BAD_USER_INPUT")["field"],
        "faultDescription"
    );
    assert_eq!(rows(&app).await, before, "a refused return wrote rows");
    let args = format!(
        ", purchaseDate: \"{bought}\", warrantyEndsOn: \"{}\"",
        bought + Duration::days(364)
    );
    verify(&app, &w.agent.auth, &asset, &args).await.data();
    let accepted = report_on(&app, &w.customer, &asset, no_reason).await;
    assert_eq!(accepted.data()["reportFault"]["status"], "SUBMITTED");
}

async fn r_rep_1_product_models_are_admin_managed_and_give_the_warranty(app: TestApp) {
    let w = app.repair_world().await;
    let create = "mutation($code: String!, $months: Int!) { createProductModel(code: $code, name: \"Frost 300 fridge\", warrantyMonths: $months) { id code name warrantyMonths } }";
    let before = rows(&app).await;
    for auth in [
        &w.agent.auth,
        &w.supervisor.auth,
        &w.customer.auth,
        &w.partner,
    ] {
        app.gql(auth, create, json!({ "code": "frost-300", "months": 24 }))
            .await
            .expect_code("FORBIDDEN");
    }
    for months in [0, -1, 121, 100_000] {
        let refused = app
            .gql(
                &w.admin.auth,
                create,
                json!({ "code": "frost-300", "months": months }),
            )
            .await;
        assert_eq!(
            refused.expect_code("BAD_USER_INPUT")["field"],
            "warrantyMonths",
            "{months}"
        );
    }
    assert_eq!(
        rows(&app).await,
        before,
        "a refused product model was written"
    );
    let created = app
        .gql(
            &w.admin.auth,
            create,
            json!({ "code": " frost-300 ", "months": 24 }),
        )
        .await;
    let created = created.data()["createProductModel"].clone();
    assert_eq!(created["code"], "FROST-300");
    app.gql(
        &w.admin.auth,
        create,
        json!({ "code": "FROST-300", "months": 12 }),
    )
    .await
    .expect_code("CONFLICT");
    let listed = app
        .gql(
            &w.customer.auth,
            "{ productModels { code warrantyMonths } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed.data()["productModels"],
        json!([{ "code": "FROST-300", "warrantyMonths": 24 }])
    );

    // A listed model's warranty comes from the catalogue, not from the customer.
    let bought = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
    let stated = register(
        &app,
        &w.customer.auth,
        json!({ "model": "frost-300", "serialNumber": "F-1", "purchaseDate": bought.to_string(),
                "warrantyEndsOn": "2036-09-30" }),
    )
    .await;
    assert_eq!(
        stated.expect_code("BAD_USER_INPUT")["field"],
        "warrantyEndsOn"
    );
    let asset = register(
        &app,
        &w.customer.auth,
        json!({ "model": "frost-300", "serialNumber": "F-1", "purchaseDate": bought.to_string() }),
    )
    .await;
    let asset = asset.data()["registerAsset"].clone();
    assert_eq!(asset["model"], "FROST-300");
    assert_eq!(asset["productModelId"], created["id"]);
    let ends = bought + Months::new(24) - Duration::days(1);
    assert_eq!(asset["warrantyEndsOn"], ends.to_string());
    assert_eq!(asset["warrantyStatus"], "UNVERIFIED");
    // Staff verify the purchase date; the length stays the catalogue's.
    let refused = verify(
        &app,
        &w.agent.auth,
        &asset,
        ", purchaseDate: \"2026-09-01\", warrantyEndsOn: \"2036-08-31\"",
    )
    .await;
    assert_eq!(
        refused.expect_code("BAD_USER_INPUT")["field"],
        "warrantyEndsOn"
    );
    let verified = verify(
        &app,
        &w.agent.auth,
        &asset,
        ", purchaseDate: \"2026-09-01\"",
    )
    .await;
    let verified = &verified.data()["verifyAssetWarranty"];
    assert_eq!(verified["warrantyStatus"], "VERIFIED");
    assert_eq!(verified["purchaseDate"], "2026-09-01");
    assert_eq!(verified["warrantyEndsOn"], "2028-08-31");

    // The admin changes the length for what is registered from now on.
    let update = "mutation($id: ID!, $months: Int!) { updateProductModel(id: $id, name: \"Frost 300\", warrantyMonths: $months) { code name warrantyMonths } }";
    app.gql(
        &w.agent.auth,
        update,
        json!({ "id": created["id"], "months": 36 }),
    )
    .await
    .expect_code("FORBIDDEN");
    let refused = app
        .gql(
            &w.admin.auth,
            update,
            json!({ "id": created["id"], "months": 0 }),
        )
        .await;
    assert_eq!(
        refused.expect_code("BAD_USER_INPUT")["field"],
        "warrantyMonths"
    );
    let updated = app
        .gql(
            &w.admin.auth,
            update,
            json!({ "id": created["id"], "months": 36 }),
        )
        .await;
    assert_eq!(
        updated.data()["updateProductModel"],
        json!({ "code": "FROST-300", "name": "Frost 300", "warrantyMonths": 36 })
    );
}

async fn same_serial_number_of_the_same_model_is_a_conflict(app: TestApp) {
    let w = app.repair_world().await;
    let input = |serial: &str, model: &str| {
        json!({ "model": model, "serialNumber": serial, "purchaseDate": "2026-10-01",
                "warrantyEndsOn": "2027-09-30" })
    };
    register(&app, &w.customer.auth, input("SN-42", "Frost 300 fridge"))
        .await
        .data();
    let before = rows(&app).await;
    for (who, auth, input) in [
        (
            "the same customer",
            &w.customer.auth,
            input("SN-42", "Frost 300 fridge"),
        ),
        (
            "in other letters",
            &w.customer.auth,
            input(" sn-42 ", "Frost 300 fridge"),
        ),
        (
            "another customer",
            &w.other_customer.auth,
            input("SN-42", "Frost 300 fridge"),
        ),
    ] {
        let refused = register(&app, auth, input).await;
        assert_eq!(refused.code(), "CONFLICT", "{who}: {}", refused.body);
    }
    assert_eq!(rows(&app).await, before, "a duplicate was written");
    // The same serial number of another model is another product.
    register(&app, &w.customer.auth, input("SN-42", "AquaPure washer"))
        .await
        .data();
}

// ---------------------------------------------------------------------------------------------
// 11. A note given with a state change can stay internal
// ---------------------------------------------------------------------------------------------

async fn assign_technician_note_can_be_kept_internal(app: TestApp) {
    let w = app.repair_world().await;
    let secret = "Customer was abusive on the phone; go in pairs";
    let partner_order = {
        let query = format!(
            "mutation($input: ReportFaultInput!) {{ reportFault(input: $input) {{ {ORDER_FIELDS} }} }}"
        );
        let input = json!({ "customerId": w.partner_customer.gid(),
                            "assetId": gid(NodeType::Asset, w.partner_asset), "faultDescription": "Noisy",
                            "serviceAddress": "12 Dealer Road", "contactPhone": "13711112222" });
        app.gql(&w.partner, &query, json!({ "input": input }))
            .await
            .data()["reportFault"]
            .clone()
    };
    let args = format!(
        ", technicianId: \"{}\", note: \"{secret}\", noteInternal: true",
        w.technician.gid()
    );
    let assigned = app
        .repair_ok(&w.agent.auth, "assignTechnician", &partner_order, &args)
        .await;
    assert_eq!(assigned["status"], "ASSIGNED");
    let events = "query($id: ID!) { repairOrder(id: $id) { events { action note public } } }";
    for (who, auth) in [
        ("customer", &w.partner_customer.auth),
        ("partner", &w.partner),
    ] {
        let seen = app.gql(auth, events, json!({ "id": assigned["id"] })).await;
        let text = seen.data().to_string();
        assert!(
            !text.contains(secret),
            "{who} read the internal note: {text}"
        );
        assert!(
            text.contains("ASSIGNED"),
            "{who} still sees the dispatch: {text}"
        );
    }
    for auth in [&w.agent.auth, &w.technician.auth] {
        let seen = app.gql(auth, events, json!({ "id": assigned["id"] })).await;
        let internal = seen.data()["repairOrder"]["events"]
            .as_array()
            .expect("events")
            .iter()
            .find(|e| e["note"] == secret)
            .cloned()
            .expect("staff read the note");
        assert_eq!(internal["public"], false);
    }
    // Without the flag the note is public, as the schema says.
    let order = app.report(&w.customer, w.asset).await;
    let public = format!(
        ", technicianId: \"{}\", note: \"Technician brings the spare fan\"",
        w.technician.gid()
    );
    let order = app
        .repair_ok(&w.agent.auth, "assignTechnician", &order, &public)
        .await;
    let seen = app
        .gql(&w.customer.auth, events, json!({ "id": order["id"] }))
        .await;
    assert!(
        seen.data()
            .to_string()
            .contains("Technician brings the spare fan")
    );
}

/// Like complaints, a fault report from a customer or partner goes to the customer's own
/// centre: naming another one was accepted and put the order, with the customer's address
/// and phone, in front of that centre's staff.
async fn r_prv_7_faults_are_reported_into_the_customers_own_centre(app: TestApp) {
    let w = app.repair_world().await;
    let elsewhere = gid(NodeType::ServiceCentre, w.other_centre);
    let before = rows(&app).await;
    for (who, auth, customer, asset) in [
        ("customer", &w.customer.auth, &w.customer, w.asset),
        ("partner", &w.partner, &w.partner_customer, w.partner_asset),
    ] {
        let input = json!({ "customerId": customer.gid(),
                            "assetId": gid(NodeType::Asset, asset), "faultDescription": "Not cooling",
                            "serviceAddress": "Room 1201, 88 Century Avenue",
                            "contactPhone": "13812345678", "serviceCentreId": elsewhere });
        let refused = app
            .gql(
                auth,
                "mutation($input: ReportFaultInput!) { reportFault(input: $input) { id } }",
                json!({ "input": input }),
            )
            .await;
        assert_eq!(
            refused.expect_code("BAD_USER_INPUT")["field"],
            "serviceCentreId",
            "{who}"
        );
    }
    assert_eq!(rows(&app).await, before, "a refused report wrote rows");
    let order = app.report(&w.customer, w.asset).await;
    assert_eq!(order["status"], "SUBMITTED");
}
