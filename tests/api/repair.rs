//! Repair orders end to end, one test per rule (R-SLA-1/2, R-REP-1..3, R-PRV-2), the timeline,
//! keyset pagination and the DataLoader statement bound.

use chrono::{DateTime, Duration, Utc};
use entity::sla_policies;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};
use servicedesk_tests::{Auth, ORDER_FIELDS, RepairWorld, TestApp, db_tests};
use servicedesk_tests::{NodeType, gid};

db_tests!(
    happy_path_customer_agent_technician_customer,
    r_sla_1_in_warranty_technician_on_site_within_12h,
    r_sla_2_out_of_warranty_technician_on_site_within_48h,
    arrival_limits_come_from_the_policy_rows,
    r_sla_1_customer_window_after_the_limit_moves_the_deadline,
    staff_window_does_not_move_the_deadline_unless_customer_requested,
    r_rep_1_in_warranty_repair_is_free,
    r_rep_1_out_of_warranty_parts_and_labour_are_charged_exactly,
    r_rep_1_a_fault_the_customer_caused_is_paid_even_in_warranty,
    r_rep_2_the_diagnosis_and_solution_are_recorded_steps,
    r_rep_2_returns_exchanges_and_refunds_end_with_their_outcome_not_a_repair_visit,
    r_rep_3_repair_record_is_queryable,
    r_prv_2_technician_sees_contact_only_while_assigned_and_open,
    r_prv_2_customer_sees_masked_technician_phone,
    internal_notes_are_hidden_from_customers_and_partners,
    rejected_repair_reopens_and_is_reassigned,
    cancel_needs_a_reason_and_an_early_state,
    report_fault_rejects_bad_input_and_writes_nothing,
    keyset_pages_cover_every_order_once,
    list_filters_by_status_technician_breach_and_date,
    page_of_50_with_nested_fields_costs_constant_statements,
    r_rep_4_return_within_15_days_needs_no_reason,
);

fn parse_time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().expect("time string"))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

async fn order_as(app: &TestApp, auth: &Auth, id: &Value, fields: &str) -> Value {
    let query = format!("query($id: ID!) {{ repairOrder(id: $id) {{ {fields} }} }}");
    app.gql(auth, &query, json!({ "id": id })).await.data()["repairOrder"].clone()
}

fn actions(order: &Value) -> Vec<String> {
    order["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn happy_path_customer_agent_technician_customer(app: TestApp) {
    let w = app.repair_world().await;
    let order = app.report(&w.customer, w.asset).await;
    assert_eq!(order["status"], "SUBMITTED");
    assert_eq!(order["channel"], "APP");
    assert_eq!(order["inWarranty"], true);
    assert_eq!(order["version"], 1);
    let number = order["number"].as_str().unwrap();
    assert!(number.starts_with("RO-20261102-"), "{number}");
    assert_eq!(number.len(), "RO-20261102-000001".len());

    let tech = format!(", technicianId: \"{}\"", w.technician.gid());
    let order = app
        .repair_ok(&w.agent.auth, "assignTechnician", &order, &tech)
        .await;
    assert_eq!(order["status"], "ASSIGNED");
    let order = app
        .repair_ok(&w.technician.auth, "acceptRepair", &order, "")
        .await;
    let order = app
        .repair_ok(&w.technician.auth, "startTravel", &order, "")
        .await;
    app.clock.advance(Duration::hours(2));
    let order = app
        .repair_ok(&w.technician.auth, "markArrived", &order, "")
        .await;
    assert_eq!(order["status"], "ON_SITE");
    assert_eq!(order["slaStatus"]["breached"], false);
    let line = ", input: { kind: PART, description: \"Fan motor\", partCode: \"FM-1\", quantity: \"1\", unitPrice: \"120.50\" }";
    let order = app
        .repair_ok(&w.technician.auth, "addRepairLine", &order, line)
        .await;
    let order = app
        .repair_ok(
            &w.technician.auth,
            "completeRepair",
            &order,
            ", workDone: \"Replaced the fan motor\"",
        )
        .await;
    assert_eq!(order["status"], "COMPLETED");
    let order = app
        .repair_ok(&w.customer.auth, "confirmRepair", &order, "")
        .await;
    assert_eq!(order["status"], "CONFIRMED");
    let order = app
        .repair_ok(&w.agent.auth, "closeRepair", &order, "")
        .await;
    assert_eq!(order["status"], "CLOSED");
    assert_eq!(order["version"], 9);

    let seen = order_as(
        &app,
        &w.agent.auth,
        &order["id"],
        "closedAt events { action fromStatus toStatus actorRole }",
    )
    .await;
    assert!(seen["closedAt"].is_string());
    assert_eq!(
        actions(&seen),
        [
            "REPORTED",
            "ASSIGNED",
            "ACCEPTED",
            "TRAVEL_STARTED",
            "ARRIVED",
            "LINE_ADDED",
            "COMPLETED",
            // Follow-ups go on the timeline in the transition's transaction, before its entry.
            "SURVEY_ISSUED",
            "CONFIRMED",
            "RETURN_VISIT_SCHEDULED",
            "RETURN_VISIT_SCHEDULED",
            "CLOSED"
        ]
    );
    let confirm = &seen["events"][8];
    assert_eq!(confirm["fromStatus"], "COMPLETED");
    assert_eq!(confirm["toStatus"], "CONFIRMED");
    assert_eq!(confirm["actorRole"], "CUSTOMER");
}

async fn r_sla_1_in_warranty_technician_on_site_within_12h(app: TestApp) {
    let w = app.repair_world().await;
    let reported = app.clock_now();
    let order = app.order_in(&w, "EN_ROUTE").await;
    assert_eq!(
        parse_time(&order["slaStatus"]["deadline"]),
        reported + Duration::hours(12)
    );
    assert_eq!(order["slaStatus"]["remainingSeconds"], 12 * 3600);

    app.clock
        .advance(Duration::hours(12) + Duration::minutes(1));
    let overdue = order_as(
        &app,
        &w.agent.auth,
        &order["id"],
        "slaStatus { breached remainingSeconds }",
    )
    .await;
    assert_eq!(overdue["slaStatus"]["breached"], true);
    assert_eq!(overdue["slaStatus"]["remainingSeconds"], -60);

    let arrived = app
        .repair_ok(&w.technician.auth, "markArrived", &order, "")
        .await;
    assert_eq!(arrived["slaStatus"]["breached"], true);
    assert_eq!(arrived["slaStatus"]["remainingSeconds"], Value::Null);
    let staff_view = order_as(
        &app,
        &w.agent.auth,
        &order["id"],
        "slaClocks { metric state metAt } events(sla: true) { action public note }",
    )
    .await;
    let arrival = staff_view["slaClocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["metric"] == "ARRIVAL")
        .expect("arrival clock");
    assert_eq!(arrival["state"], "BREACHED");
    let breach =
        staff_view["events"].as_array().unwrap().iter().find(|e| {
            e["action"] == "SLA_MET" && e["note"].as_str().unwrap().starts_with("ARRIVAL")
        });
    let breach = breach.expect("breach recorded on the timeline");
    assert_eq!(breach["public"], false);
    assert!(
        breach["note"].as_str().unwrap().contains("met 1 min late"),
        "{breach}"
    );
}

async fn r_sla_2_out_of_warranty_technician_on_site_within_48h(app: TestApp) {
    let w = app.repair_world().await;
    let reported = app.clock_now();
    let order = app.report(&w.customer, w.old_asset).await;
    assert_eq!(order["inWarranty"], false);
    assert_eq!(
        parse_time(&order["slaStatus"]["deadline"]),
        reported + Duration::hours(48)
    );
    let tech = format!(", technicianId: \"{}\"", w.technician.gid());
    let order = app
        .repair_ok(&w.agent.auth, "assignTechnician", &order, &tech)
        .await;
    let order = app
        .repair_ok(&w.technician.auth, "acceptRepair", &order, "")
        .await;
    let order = app
        .repair_ok(&w.technician.auth, "startTravel", &order, "")
        .await;
    // Later than the in-warranty limit, within the out-of-warranty one.
    app.clock.advance(Duration::hours(47));
    let arrived = app
        .repair_ok(&w.technician.auth, "markArrived", &order, "")
        .await;
    assert_eq!(arrived["slaStatus"]["breached"], false);
}

async fn arrival_limits_come_from_the_policy_rows(app: TestApp) {
    let w = app.repair_world().await;
    sla_policies::Entity::update_many()
        .col_expr(sla_policies::Column::DurationMinutes, Expr::value(90))
        .filter(sla_policies::Column::Scope.eq("IN_WARRANTY"))
        .exec(&app.db)
        .await
        .unwrap();
    let reported = app.clock_now();
    let order = app.report(&w.customer, w.asset).await;
    assert_eq!(
        parse_time(&order["slaStatus"]["deadline"]),
        reported + Duration::minutes(90)
    );
}

async fn r_sla_1_customer_window_after_the_limit_moves_the_deadline(app: TestApp) {
    let w = app.repair_world().await;
    let reported = app.clock_now();
    let order = app.order_in(&w, "ACCEPTED").await;
    let (start, end) = (
        reported + Duration::hours(20),
        reported + Duration::hours(22),
    );
    let args = format!(
        ", start: \"{}\", end: \"{}\"",
        start.to_rfc3339(),
        end.to_rfc3339()
    );
    let order = app
        .repair_ok(&w.customer.auth, "scheduleAppointment", &order, &args)
        .await;
    assert_eq!(parse_time(&order["slaStatus"]["deadline"]), end);
    assert_eq!(order["slaStatus"]["customerRequested"], true);
    let timeline = order_as(&app, &w.customer.auth, &order["id"], "events { action }").await;
    assert!(actions(&timeline).contains(&"DEADLINE_MOVED_BY_CUSTOMER".to_owned()));

    let order = app
        .repair_ok(&w.technician.auth, "startTravel", &order, "")
        .await;
    app.clock.advance(Duration::hours(21));
    let arrived = app
        .repair_ok(&w.technician.auth, "markArrived", &order, "")
        .await;
    assert_eq!(
        arrived["slaStatus"]["breached"], false,
        "arrived inside the customer's window"
    );
}

async fn staff_window_does_not_move_the_deadline_unless_customer_requested(app: TestApp) {
    let w = app.repair_world().await;
    let reported = app.clock_now();
    let order = app.order_in(&w, "ASSIGNED").await;
    let (start, end) = (
        reported + Duration::hours(20),
        reported + Duration::hours(22),
    );
    let args = format!(
        ", start: \"{}\", end: \"{}\"",
        start.to_rfc3339(),
        end.to_rfc3339()
    );
    let order = app
        .repair_ok(&w.agent.auth, "scheduleAppointment", &order, &args)
        .await;
    assert_eq!(
        parse_time(&order["slaStatus"]["deadline"]),
        reported + Duration::hours(12)
    );
    assert_eq!(order["slaStatus"]["customerRequested"], false);

    let args = format!("{args}, customerRequested: true");
    let order = app
        .repair_ok(&w.agent.auth, "scheduleAppointment", &order, &args)
        .await;
    assert_eq!(parse_time(&order["slaStatus"]["deadline"]), end);

    let past = format!(
        ", start: \"{}\", end: \"{}\"",
        (reported - Duration::hours(1)).to_rfc3339(),
        reported.to_rfc3339()
    );
    app.repair_op(&w.agent.auth, "scheduleAppointment", &order, &past)
        .await
        .expect_code("BAD_USER_INPUT");
}

const PART: &str = ", input: { kind: PART, description: \"Compressor\", partCode: \"C-9\", quantity: \"1\", unitPrice: \"120.50\" }";
const LABOUR: &str =
    ", input: { kind: LABOUR, description: \"Labour\", quantity: \"2\", unitPrice: \"80.25\" }";

async fn r_rep_1_in_warranty_repair_is_free(app: TestApp) {
    let w = app.repair_world().await;
    let order = app.order_in(&w, "ON_SITE").await;
    let order = app
        .repair_ok(&w.technician.auth, "addRepairLine", &order, PART)
        .await;
    let order = app
        .repair_ok(&w.technician.auth, "addRepairLine", &order, LABOUR)
        .await;
    assert_eq!(order["totalAmount"], "0.00");
}

async fn r_rep_1_out_of_warranty_parts_and_labour_are_charged_exactly(app: TestApp) {
    let w = app.repair_world().await;
    let order = app.report(&w.customer, w.old_asset).await;
    let tech = format!(", technicianId: \"{}\"", w.technician.gid());
    let mut order = app
        .repair_ok(&w.agent.auth, "assignTechnician", &order, &tech)
        .await;
    for step in ["acceptRepair", "startTravel", "markArrived"] {
        order = app.repair_ok(&w.technician.auth, step, &order, "").await;
    }
    let order = app
        .repair_ok(&w.technician.auth, "addRepairLine", &order, PART)
        .await;
    let order = app
        .repair_ok(&w.technician.auth, "addRepairLine", &order, LABOUR)
        .await;
    assert_eq!(order["totalAmount"], "281.00");
    let bad = ", input: { kind: PART, description: \"x\", quantity: \"0\", unitPrice: \"1\" }";
    app.repair_op(&w.technician.auth, "addRepairLine", &order, bad)
        .await
        .expect_code("BAD_USER_INPUT");
}

/// The technician's diagnosis as GraphQL arguments.
fn diagnosis(cause: &str, reason: Option<&str>) -> String {
    let reason = reason.map_or(String::new(), |r| format!(", causeReason: \"{r}\""));
    format!(
        ", input: {{ diagnosis: \"Cracked door seal\", cause: {cause}{reason}, solution: REPLACE }}"
    )
}

async fn r_rep_1_a_fault_the_customer_caused_is_paid_even_in_warranty(app: TestApp) {
    let w = app.repair_world().await;
    let order = app.order_in(&w, "ON_SITE").await;
    assert_eq!(order["inWarranty"], true);
    let order = app
        .repair_ok(&w.technician.auth, "addRepairLine", &order, PART)
        .await;
    assert_eq!(order["totalAmount"], "0.00");
    // The reason is required, and only for a fault the customer caused.
    let unexplained = diagnosis("CUSTOMER_CAUSED", None);
    let refused = app
        .repair_op(&w.technician.auth, "diagnoseRepair", &order, &unexplained)
        .await;
    assert_eq!(
        refused.expect_code("BAD_USER_INPUT")["field"],
        "causeReason"
    );
    let caused = diagnosis("CUSTOMER_CAUSED", Some("Door forced past its stop"));
    let order = app
        .repair_ok(&w.technician.auth, "diagnoseRepair", &order, &caused)
        .await;
    assert_eq!(
        order["totalAmount"], "120.50",
        "charged although in warranty"
    );
    let order = app
        .repair_ok(&w.technician.auth, "addRepairLine", &order, LABOUR)
        .await;
    assert_eq!(order["totalAmount"], "281.00");
    // Re-diagnosed as a quality fault: free again.
    let quality = diagnosis("QUALITY", None);
    let order = app
        .repair_ok(&w.technician.auth, "diagnoseRepair", &order, &quality)
        .await;
    assert_eq!(order["totalAmount"], "0.00");
}

async fn r_rep_2_the_diagnosis_and_solution_are_recorded_steps(app: TestApp) {
    let w = app.repair_world().await;
    let order = app.order_in(&w, "EN_ROUTE").await;
    let quality = diagnosis("QUALITY", None);
    let early = app
        .repair_op(&w.technician.auth, "diagnoseRepair", &order, &quality)
        .await;
    assert_eq!(
        early.expect_code("INVALID_TRANSITION")["status"],
        "EN_ROUTE"
    );
    let order = app
        .repair_ok(&w.technician.auth, "markArrived", &order, "")
        .await;
    for auth in [&w.agent.auth, &w.customer.auth] {
        app.repair_op(auth, "diagnoseRepair", &order, &quality)
            .await
            .expect_code("FORBIDDEN");
    }
    app.repair_op(&w.other_technician.auth, "diagnoseRepair", &order, &quality)
        .await
        .expect_code("NOT_FOUND");
    let blank =
        ", input: { diagnosis: \" \", cause: QUALITY, causeReason: \"x\", solution: REPAIR }";
    let refused = app
        .repair_op(&w.technician.auth, "diagnoseRepair", &order, blank)
        .await;
    let fields: Vec<_> = refused.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["extensions"]["field"].clone())
        .collect();
    assert_eq!(fields, [json!("diagnosis"), json!("causeReason")]);
    let order = app
        .repair_ok(&w.technician.auth, "diagnoseRepair", &order, &quality)
        .await;
    assert_eq!(order["status"], "ON_SITE");
    let record = order_as(
        &app,
        &w.customer.auth,
        &order["id"],
        "diagnosis faultCause faultCauseReason solution events { action note }",
    )
    .await;
    assert_eq!(record["diagnosis"], "Cracked door seal");
    assert_eq!(record["faultCause"], "QUALITY");
    assert!(record["faultCauseReason"].is_null());
    assert_eq!(record["solution"], "REPLACE");
    let events = record["events"].as_array().expect("events");
    let diagnosed = events
        .iter()
        .find(|e| e["action"] == "DIAGNOSED")
        .expect("on the timeline");
    assert!(diagnosed["note"].as_str().unwrap().contains("REPLACE"));
}

async fn r_rep_2_returns_exchanges_and_refunds_end_with_their_outcome_not_a_repair_visit(
    app: TestApp,
) {
    let w = app.repair_world().await;
    // On site the technician finds that the product is to be exchanged.
    let order = app.order_in(&w, "ON_SITE").await;
    let exchange =
        ", input: { diagnosis: \"Compressor seized\", cause: QUALITY, solution: EXCHANGE }";
    let order = app
        .repair_ok(&w.technician.auth, "diagnoseRepair", &order, exchange)
        .await;
    // No repair visit ends it: no lines, no completion.
    app.repair_op(
        &w.technician.auth,
        "completeRepair",
        &order,
        ", workDone: \"Done\"",
    )
    .await
    .expect_code("INVALID_TRANSITION");
    app.repair_op(&w.technician.auth, "addRepairLine", &order, PART)
        .await
        .expect_code("INVALID_TRANSITION");
    let outcome = |outcome: &str| format!(", outcome: {outcome}, note: \"New unit handed over\"");
    let wrong = app
        .repair_op(
            &w.technician.auth,
            "recordReturnOutcome",
            &order,
            &outcome("REFUNDED"),
        )
        .await;
    assert_eq!(wrong.expect_code("BAD_USER_INPUT")["field"], "outcome");
    app.repair_op(
        &w.customer.auth,
        "recordReturnOutcome",
        &order,
        &outcome("EXCHANGED"),
    )
    .await
    .expect_code("FORBIDDEN");
    let closed = app
        .repair_ok(
            &w.technician.auth,
            "recordReturnOutcome",
            &order,
            &outcome("EXCHANGED"),
        )
        .await;
    assert_eq!(closed["status"], "CLOSED");
    let record = order_as(
        &app,
        &w.customer.auth,
        &order["id"],
        "returnOutcome closedAt events { action note }",
    )
    .await;
    assert_eq!(record["returnOutcome"], "EXCHANGED");
    assert!(record["closedAt"].is_string());
    let seen = actions(&record);
    assert!(
        seen.contains(&"RETURN_OUTCOME_RECORDED".to_owned()),
        "{seen:?}"
    );
    assert!(
        seen.contains(&"SURVEY_ISSUED".to_owned()),
        "then the survey: {seen:?}"
    );

    // A return the customer asked for ends with its outcome without any visit.
    let asset = app
        .asset(
            w.customer.id,
            app.clock_now().date_naive() + Duration::days(300),
        )
        .await;
    let query = format!(
        "mutation($input: ReportFaultInput!) {{ reportFault(input: $input) {{ {ORDER_FIELDS} }} }}"
    );
    let input = json!({ "input": { "assetId": gid(NodeType::Asset, asset), "requestType": "RETURN",
                        "faultDescription": "Too loud", "serviceAddress": "1 Road",
                        "contactPhone": "13812345678" } });
    let returned = app.gql(&w.customer.auth, &query, input).await.data()["reportFault"].clone();
    let refunded = app
        .repair_ok(
            &w.agent.auth,
            "recordReturnOutcome",
            &returned,
            &outcome("REFUNDED"),
        )
        .await;
    assert_eq!(refunded["status"], "CLOSED");

    // A repair has no return outcome.
    let repair = app.report(&w.customer, w.asset).await;
    app.repair_op(
        &w.agent.auth,
        "recordReturnOutcome",
        &repair,
        &outcome("RETURNED"),
    )
    .await
    .expect_code("INVALID_TRANSITION");
}

async fn r_rep_3_repair_record_is_queryable(app: TestApp) {
    let w = app.repair_world().await;
    let order = app.order_in(&w, "ON_SITE").await;
    let order = app
        .repair_ok(&w.technician.auth, "addRepairLine", &order, PART)
        .await;
    let order = app
        .repair_ok(
            &w.technician.auth,
            "completeRepair",
            &order,
            ", workDone: \"Replaced compressor\"",
        )
        .await;
    let record = order_as(
        &app,
        &w.customer.auth,
        &order["id"],
        "faultDescription reportedAt arrivedAt completedAt technician { name }
         lines { kind description partCode quantity unitPrice amount }
         events { action note }",
    )
    .await;
    assert_eq!(record["faultDescription"], "Not cooling");
    assert!(record["arrivedAt"].is_string() && record["completedAt"].is_string());
    assert_eq!(record["technician"]["name"], "Test Technician");
    assert_eq!(record["lines"][0]["partCode"], "C-9");
    assert_eq!(record["lines"][0]["amount"], "120.50");
    let completed = record["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "COMPLETED")
        .unwrap();
    assert_eq!(completed["note"], "Replaced compressor");
}

const CONTACT: &str = "serviceAddress contactPhone customer { name phone masked }";

async fn r_prv_2_technician_sees_contact_only_while_assigned_and_open(app: TestApp) {
    let w = app.repair_world().await;
    let order = app.order_in(&w, "ON_SITE").await;
    let open = order_as(&app, &w.technician.auth, &order["id"], CONTACT).await;
    assert_eq!(open["contactPhone"], "+8613812345678");
    assert_eq!(
        open["serviceAddress"],
        "Room 1201, 88 Century Avenue, Pudong"
    );
    assert_eq!(open["customer"]["masked"], false);

    let order = app
        .repair_ok(
            &w.technician.auth,
            "completeRepair",
            &order,
            ", workDone: \"done\"",
        )
        .await;
    let order = app
        .repair_ok(&w.customer.auth, "confirmRepair", &order, "")
        .await;
    app.repair_ok(&w.agent.auth, "closeRepair", &order, "")
        .await;
    let closed = order_as(&app, &w.technician.auth, &order["id"], CONTACT).await;
    // Phones are stored in E.164 (issue 14) and masked to the country code and last four.
    assert_eq!(closed["contactPhone"], "+86****5678");
    assert_eq!(closed["serviceAddress"], "Room 1****");
    assert_eq!(
        closed["customer"]["phone"],
        format!("+86****{}", &w.customer.phone[w.customer.phone.len() - 4..])
    );
    assert_eq!(closed["customer"]["name"], "T************");
    assert_eq!(closed["customer"]["masked"], true);
    // Staff of the centre keep seeing the full data they work with.
    let agent = order_as(&app, &w.agent.auth, &order["id"], CONTACT).await;
    assert_eq!(agent["contactPhone"], "+8613812345678");
}

async fn r_prv_2_customer_sees_masked_technician_phone(app: TestApp) {
    let w = app.repair_world().await;
    let order = app.order_in(&w, "ASSIGNED").await;
    let fields = "technician { name phone }";
    let customer = order_as(&app, &w.customer.auth, &order["id"], fields).await;
    assert_eq!(customer["technician"]["name"], "Test Technician");
    assert_eq!(customer["technician"]["phone"], "+86****5678");
    let agent = order_as(&app, &w.agent.auth, &order["id"], fields).await;
    assert_eq!(agent["technician"]["phone"], "+8613812345678");
}

async fn internal_notes_are_hidden_from_customers_and_partners(app: TestApp) {
    let w = app.repair_world().await;
    let report = format!(
        "mutation($input: ReportFaultInput!) {{ reportFault(input: $input) {{ {ORDER_FIELDS} }} }}"
    );
    let input = json!({ "customerId": w.partner_customer.gid(), "assetId": gid(NodeType::Asset, w.partner_asset),
                        "serviceCentreId": gid(NodeType::ServiceCentre, w.centre),
                        "faultDescription": "Noisy", "serviceAddress": "12 Dealer Road, Minhang",
                        "contactPhone": "13711112222" });
    let order = app
        .gql(&w.partner, &report, json!({ "input": input }))
        .await
        .data()["reportFault"]
        .clone();
    let note = "mutation($id: ID!, $note: String!, $public: Boolean!) { addRepairNote(id: $id, note: $note, public: $public) { id } }";
    app.gql(
        &w.agent.auth,
        note,
        json!({ "id": order["id"], "note": "customer was rude", "public": false }),
    )
    .await
    .data();
    app.gql(
        &w.agent.auth,
        note,
        json!({ "id": order["id"], "note": "we will call you", "public": true }),
    )
    .await
    .data();
    let fields = "events { note public }";
    let staff = order_as(&app, &w.agent.auth, &order["id"], fields).await;
    assert!(staff.to_string().contains("customer was rude"));
    for viewer in [&w.partner_customer.auth, &w.partner] {
        let seen = order_as(&app, viewer, &order["id"], fields).await;
        assert!(!seen.to_string().contains("customer was rude"), "{seen}");
        assert!(seen.to_string().contains("we will call you"));
        assert!(
            seen["events"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["public"] == true)
        );
    }
    // Customers cannot write notes at all.
    app.gql(
        &w.partner_customer.auth,
        note,
        json!({ "id": order["id"], "note": "x", "public": true }),
    )
    .await
    .expect_code("FORBIDDEN");
}

async fn rejected_repair_reopens_and_is_reassigned(app: TestApp) {
    let w = app.repair_world().await;
    let order = app.order_in(&w, "COMPLETED").await;
    app.repair_op(&w.customer.auth, "rejectRepair", &order, ", reason: \" \"")
        .await
        .expect_code("BAD_USER_INPUT");
    let order = app
        .repair_ok(
            &w.customer.auth,
            "rejectRepair",
            &order,
            ", reason: \"Still warm\"",
        )
        .await;
    assert_eq!(order["status"], "REOPENED");
    let tech = format!(", technicianId: \"{}\"", w.other_technician.gid());
    let order = app
        .repair_ok(&w.supervisor.auth, "assignTechnician", &order, &tech)
        .await;
    assert_eq!(order["status"], "ASSIGNED");
    let reassigned = order_as(
        &app,
        &w.other_technician.auth,
        &order["id"],
        "technician { id }",
    )
    .await;
    assert_eq!(reassigned["technician"]["id"], w.other_technician.gid());
    // The technician of another centre cannot be dispatched here.
    let stranger = app
        .user(entity::users::Role::Technician, Some(w.other_centre), None)
        .await;
    let tech = format!(", technicianId: \"{}\"", stranger.gid());
    app.repair_op(&w.agent.auth, "assignTechnician", &order, &tech)
        .await
        .expect_code("BAD_USER_INPUT");
}

async fn cancel_needs_a_reason_and_an_early_state(app: TestApp) {
    let w = app.repair_world().await;
    let order = app.order_in(&w, "ACCEPTED").await;
    app.repair_op(&w.customer.auth, "cancelRepair", &order, ", reason: \"\"")
        .await
        .expect_code("BAD_USER_INPUT");
    let cancelled = app
        .repair_ok(
            &w.customer.auth,
            "cancelRepair",
            &order,
            ", reason: \"Fixed itself\"",
        )
        .await;
    assert_eq!(cancelled["status"], "CANCELLED");
    let travelling = app.order_in(&w, "EN_ROUTE").await;
    let refused = app
        .repair_op(
            &w.agent.auth,
            "cancelRepair",
            &travelling,
            ", reason: \"late\"",
        )
        .await;
    assert_eq!(
        refused.expect_code("INVALID_TRANSITION")["status"],
        "EN_ROUTE"
    );
}

async fn report_fault_rejects_bad_input_and_writes_nothing(app: TestApp) {
    let w = app.repair_world().await;
    let query = "mutation($input: ReportFaultInput!) { reportFault(input: $input) { id } }";
    let valid = json!({ "assetId": gid(NodeType::Asset, w.asset), "faultDescription": "Broken",
                        "serviceAddress": "1 Road", "contactPhone": "13812345678" });
    let cases = [
        ("faultDescription", json!("  "), "BAD_USER_INPUT"),
        ("contactPhone", json!("call me"), "BAD_USER_INPUT"),
        ("serviceAddress", json!("x".repeat(501)), "BAD_USER_INPUT"),
        (
            "assetId",
            json!(gid(NodeType::Asset, w.partner_asset)),
            "NOT_FOUND",
        ),
        ("assetId", json!("nope"), "NOT_FOUND"),
    ];
    for (field, value, code) in cases {
        let mut input = valid.clone();
        input[field] = value;
        let response = app
            .gql(&w.customer.auth, query, json!({ "input": input }))
            .await;
        assert_eq!(response.code(), code, "{field}: {}", response.body);
    }
    // Staff must name the customer and may not claim the APP channel.
    let response = app
        .gql(&w.agent.auth, query, json!({ "input": valid }))
        .await;
    assert_eq!(
        response.expect_code("BAD_USER_INPUT")["field"],
        "customerId"
    );
    let mut as_app = valid.clone();
    as_app["customerId"] = json!(w.customer.gid());
    as_app["channel"] = json!("APP");
    app.gql(&w.agent.auth, query, json!({ "input": as_app }))
        .await
        .expect_code("BAD_USER_INPUT");
    app.gql(&w.technician.auth, query, json!({ "input": valid }))
        .await
        .expect_code("FORBIDDEN");

    let listed = app
        .gql(
            &w.agent.auth,
            "{ repairOrders { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(listed.data()["repairOrders"]["edges"], json!([]));
}

async fn ids_of_pages(app: &TestApp, auth: &Auth, first: usize, filter: Value) -> Vec<String> {
    let query = "query($first: Int, $after: String, $filter: RepairOrderFilter) {
        repairOrders(first: $first, after: $after, filter: $filter) {
            edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }";
    let mut after = Value::Null;
    let mut ids = Vec::new();
    loop {
        let response = app
            .gql(
                auth,
                query,
                json!({ "first": first, "after": after, "filter": filter }),
            )
            .await;
        let page = response.data()["repairOrders"].clone();
        ids.extend(
            page["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["id"].as_str().unwrap().to_owned()),
        );
        if page["pageInfo"]["hasNextPage"] != true {
            return ids;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

async fn reported_ids(app: &TestApp, w: &RepairWorld, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..count {
        // Some orders share a timestamp, so the id must break ties.
        if i % 3 == 0 {
            app.clock.advance(Duration::minutes(1));
        }
        ids.push(
            app.report(&w.customer, w.asset).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    ids
}

async fn keyset_pages_cover_every_order_once(app: TestApp) {
    let w = app.repair_world().await;
    let mut expected = reported_ids(&app, &w, 8).await;
    expected.reverse();
    assert_eq!(
        ids_of_pages(&app, &w.agent.auth, 3, Value::Null).await,
        expected
    );
    assert_eq!(
        ids_of_pages(&app, &w.agent.auth, 100, Value::Null).await,
        expected
    );
    assert!(
        ids_of_pages(&app, &w.other_agent.auth, 3, Value::Null)
            .await
            .is_empty()
    );
    let bad = app
        .gql(
            &w.agent.auth,
            "{ repairOrders(after: \"garbage\") { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(bad.expect_code("BAD_USER_INPUT")["field"], "after");
    let too_many = app
        .gql(
            &w.agent.auth,
            "{ repairOrders(first: 101) { edges { cursor } } }",
            json!({}),
        )
        .await;
    too_many.expect_code("BAD_USER_INPUT");
}

async fn list_filters_by_status_technician_breach_and_date(app: TestApp) {
    let w = app.repair_world().await;
    let start = app.clock_now();
    let submitted = app.report(&w.customer, w.asset).await;
    app.clock.advance(Duration::hours(1));
    let assigned = app.order_in(&w, "ASSIGNED").await;
    let one = |v: &Value| vec![v["id"].as_str().unwrap().to_owned()];
    assert_eq!(
        ids_of_pages(&app, &w.agent.auth, 10, json!({ "status": ["SUBMITTED"] })).await,
        one(&submitted)
    );
    let by_tech = json!({ "technicianId": w.technician.gid() });
    assert_eq!(
        ids_of_pages(&app, &w.agent.auth, 10, by_tech).await,
        one(&assigned)
    );
    let window = json!({ "reportedFrom": start.to_rfc3339(), "reportedTo": (start + Duration::minutes(30)).to_rfc3339() });
    assert_eq!(
        ids_of_pages(&app, &w.agent.auth, 10, window).await,
        one(&submitted)
    );
    assert!(
        ids_of_pages(&app, &w.agent.auth, 10, json!({ "breached": true }))
            .await
            .is_empty()
    );
    // The first order's 12 h limit passes; the second's (an hour later) not yet.
    app.clock
        .advance(Duration::hours(11) + Duration::minutes(30));
    assert_eq!(
        ids_of_pages(&app, &w.agent.auth, 10, json!({ "breached": true })).await,
        one(&submitted)
    );
    assert_eq!(
        ids_of_pages(&app, &w.agent.auth, 10, json!({ "breached": false })).await,
        one(&assigned)
    );
}

async fn page_cost(app: &TestApp, auth: &Auth, first: usize) -> usize {
    let query = "query($first: Int) { repairOrders(first: $first) { edges { node {
        id number status customer { name phone } asset { model serialNumber }
        technician { name phone } lines { amount } events(last: 3) { action note }
        slaStatus { deadline breached } } } } }";
    let (response, statements) = app
        .count_statements(app.gql(auth, query, json!({ "first": first })))
        .await;
    let edges = response.data()["repairOrders"]["edges"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(edges, first);
    statements
}

async fn page_of_50_with_nested_fields_costs_constant_statements(app: TestApp) {
    let w = app.repair_world().await;
    for i in 0..50 {
        let order = app
            .report(&w.customer, if i % 2 == 0 { w.asset } else { w.old_asset })
            .await;
        let tech = if i % 2 == 0 {
            &w.technician
        } else {
            &w.other_technician
        };
        let args = format!(", technicianId: \"{}\"", tech.gid());
        app.repair_ok(&w.agent.auth, "assignTechnician", &order, &args)
            .await;
    }
    let small = page_cost(&app, &w.agent.auth, 5).await;
    // 40 rows: the whole selection fits the complexity limit (page size × selection).
    let large = page_cost(&app, &w.agent.auth, 40).await;
    assert_eq!(small, large, "statements must not grow with the page size");
    // The page, users, assets, lines, events, clocks; the agent's account is cached by now.
    assert_eq!(large, 6, "statements for one page");
}

async fn r_rep_4_return_within_15_days_needs_no_reason(app: TestApp) {
    let w = app.repair_world().await;
    let today = app.clock_now().date_naive();
    let bought = |days_ago: i64| servicedesk::store::assets::NewAsset {
        customer_id: w.customer.id,
        model: "Kettle".into(),
        product_model_id: None,
        serial_number: format!("K-{days_ago}"),
        purchase_date: today - Duration::days(days_ago),
        warranty_ends_on: today + Duration::days(300),
        warranty_verified_at: Some(app.clock_now()),
        reference: None,
    };
    let recent = servicedesk::store::assets::insert(&app.db, bought(15), app.clock_now())
        .await
        .unwrap()
        .id;
    let older = servicedesk::store::assets::insert(&app.db, bought(16), app.clock_now())
        .await
        .unwrap()
        .id;
    let query = "mutation($input: ReportFaultInput!) { reportFault(input: $input) { requestType faultDescription } }";
    let ask = |asset: i64, kind: &str, reason: Option<&str>| {
        json!({ "input": { "assetId": gid(NodeType::Asset, asset), "requestType": kind, "faultDescription": reason,
                           "serviceAddress": "1 Road", "contactPhone": "13812345678" } })
    };
    let returned = app
        .gql(&w.customer.auth, query, ask(recent, "RETURN", None))
        .await;
    assert_eq!(returned.data()["reportFault"]["requestType"], "RETURN");
    assert_eq!(returned.data()["reportFault"]["faultDescription"], "");
    app.gql(&w.customer.auth, query, ask(recent, "EXCHANGE", None))
        .await
        .data();
    let late = app
        .gql(&w.customer.auth, query, ask(older, "RETURN", None))
        .await;
    assert_eq!(
        late.expect_code("BAD_USER_INPUT")["field"],
        "faultDescription"
    );
    let with_reason = app
        .gql(
            &w.customer.auth,
            query,
            ask(older, "RETURN", Some("Too loud")),
        )
        .await;
    assert_eq!(
        with_reason.data()["reportFault"]["faultDescription"],
        "Too loud"
    );
    let repair = app
        .gql(&w.customer.auth, query, ask(recent, "REPAIR", None))
        .await;
    repair.expect_code("BAD_USER_INPUT");
}
