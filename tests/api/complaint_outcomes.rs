//! Complaint outcomes and facts (issue 16): rejection (R-CMP-11), the customer's rating of the
//! result (R-CMP-13), the facts that set the lowest severity (R-CLS-3/4), the named staff
//! member, verification and the monthly alert (R-CMP-12, R-CMP-9), anonymity (R-PRV-10).

use chrono::{Duration, TimeZone, Utc};
use entity::users::Role;
use serde_json::{Value, json};
use servicedesk_tests::{Auth, GqlResponse, RepairWorld, TestApp, TestUser, db_tests};

db_tests!(
    r_cmp_11_unjustified_complaint_is_rejected_with_a_reason_and_counted_apart,
    r_cmp_13_low_rating_reopens_one_level_up_and_at_the_top_asks_for_review,
    r_cmp_13_the_complaint_survey_rates_the_result_instead_of_opening_a_new_complaint,
    r_cls_4_repeat_and_regulator_complaints_are_serious_and_major,
    r_cmp_9_r_cmp_12_third_valid_complaint_of_a_local_month_alerts_the_supervisors,
    r_prv_10_anonymous_complainant_is_hidden_from_the_staff_member_and_agents,
    r_esc_5_solution_is_approved_by_the_top_level_before_the_customer_is_told,
    r_esc_7_goodwill_for_a_major_client_is_the_top_levels_and_recorded_apart,
    complaint_outcome_mutations_for_every_role,
    migrations_000030_to_000033_round_trip_keep_complaints,
    r_cmp_10_a_case_records_order_purchase_date_and_request_and_the_customer_hears_the_result,
    r_cmp_10_a_case_not_handled_on_the_spot_requires_order_purchase_date_and_request,
);

const FIELDS: &str = "id number version status severity escalationLevel repeatOfId
    regulatorComplaint mediaExposure governmentPenalty rejectionReason resultRating
    solutionApproved compensationAmount goodwillAmount";

async fn file(app: &TestApp, auth: &Auth, input: Value) -> GqlResponse {
    let query = format!(
        "mutation($input: FileComplaintInput!) {{ fileComplaint(input: $input) {{ {FIELDS} }} }}"
    );
    app.gql(auth, &query, json!({ "input": input })).await
}

async fn filed(app: &TestApp, auth: &Auth, input: Value) -> Value {
    file(app, auth, input).await.data()["fileComplaint"].clone()
}

fn by_phone(w: &RepairWorld, extra: Value) -> Value {
    let mut input = json!({ "customerId": w.customer.gid(), "channel": "PHONE",
                            "category": "SERVICE_ATTITUDE", "description": "Rude on the phone" });
    input
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    input
}

async fn op(app: &TestApp, auth: &Auth, name: &str, complaint: &Value, args: &str) -> GqlResponse {
    let query = format!(
        "mutation($id: ID!, $version: Int!) {{ {name}(id: $id, version: $version{args}) {{ {FIELDS} }} }}"
    );
    let vars = json!({ "id": complaint["id"], "version": complaint["version"] });
    app.gql(auth, &query, vars).await
}

async fn ok(app: &TestApp, auth: &Auth, name: &str, complaint: &Value, args: &str) -> Value {
    op(app, auth, name, complaint, args).await.data()[name].clone()
}

async fn staff_view(app: &TestApp, auth: &Auth, complaint: &Value, fields: &str) -> Value {
    let query = format!("query($id: ID!) {{ complaintById(id: $id) {{ {fields} }} }}");
    app.gql(auth, &query, json!({ "id": complaint["id"] }))
        .await
        .data()["complaintById"]
        .clone()
}

fn acknowledge_args(app: &TestApp) -> String {
    let now = app.clock_now();
    format!(
        ", promisedResolutionAt: \"{}\", nextContactAt: \"{}\"",
        (now + Duration::hours(20)).to_rfc3339(),
        (now + Duration::hours(4)).to_rfc3339()
    )
}

fn investigation(justified: bool) -> String {
    format!(", cause: \"Checked the call\", responsibleParty: \"Hotline\", justified: {justified}")
}

async fn r_cmp_11_unjustified_complaint_is_rejected_with_a_reason_and_counted_apart(app: TestApp) {
    let w = app.repair_world().await;
    let start = app.clock_now() - Duration::hours(1);
    let complaint = filed(&app, &w.agent.auth, by_phone(&w, json!({}))).await;
    let complaint = ok(
        &app,
        &w.agent.auth,
        "acknowledgeComplaint",
        &complaint,
        &acknowledge_args(&app),
    )
    .await;
    let reason = ", reason: \"The call recording shows a polite agent\"";
    // Not before the investigation found it unjustified.
    op(&app, &w.agent.auth, "rejectComplaint", &complaint, reason)
        .await
        .expect_code("INVALID_TRANSITION");
    let justified = ok(
        &app,
        &w.agent.auth,
        "recordInvestigation",
        &complaint,
        &investigation(true),
    )
    .await;
    let refused = op(&app, &w.agent.auth, "rejectComplaint", &justified, reason).await;
    assert_eq!(refused.expect_code("BAD_USER_INPUT")["field"], "id");
    let unjustified = ok(
        &app,
        &w.agent.auth,
        "recordInvestigation",
        &justified,
        &investigation(false),
    )
    .await;
    let blank = op(
        &app,
        &w.agent.auth,
        "rejectComplaint",
        &unjustified,
        ", reason: \"  \"",
    )
    .await;
    assert_eq!(blank.expect_code("BAD_USER_INPUT")["field"], "reason");
    op(
        &app,
        &w.customer.auth,
        "rejectComplaint",
        &unjustified,
        reason,
    )
    .await
    .expect_code("FORBIDDEN");

    let rejected = ok(&app, &w.agent.auth, "rejectComplaint", &unjustified, reason).await;
    assert_eq!(rejected["status"], "REJECTED");
    assert_eq!(
        rejected["rejectionReason"],
        "The call recording shows a polite agent"
    );
    // Final: no more updates, no resolution.
    op(
        &app,
        &w.agent.auth,
        "resolveComplaint",
        &rejected,
        ", resolution: \"x\"",
    )
    .await
    .expect_code("INVALID_TRANSITION");

    // The customer reads why, at once, in their own view and on the public timeline.
    let query = "query($n: String!) { complaint(number: $n) { status rejectionReason timeline { action note } } }";
    let mine = app
        .gql(&w.customer.auth, query, json!({ "n": rejected["number"] }))
        .await;
    let mine = &mine.data()["complaint"];
    assert_eq!(mine["status"], "REJECTED");
    assert_eq!(
        mine["rejectionReason"],
        "The call recording shows a polite agent"
    );
    let timeline = mine["timeline"].as_array().unwrap();
    assert!(
        timeline.iter().any(|e| e["action"] == "NOT_UPHELD"
            && e["note"] == "The call recording shows a polite agent"),
        "{timeline:?}"
    );
    // Its clocks stopped: none is left running.
    let clocks = staff_view(&app, &w.agent.auth, &rejected, "slaClocks { metric state }").await;
    for clock in clocks["slaClocks"].as_array().unwrap() {
        assert!(
            clock["state"] != "RUNNING" && clock["state"] != "PAUSED",
            "{clock:?}"
        );
    }

    // Counted apart: a handled complaint and the rejected one.
    filed(&app, &w.agent.auth, by_phone(&w, json!({}))).await;
    let metrics = "query($from: DateTime!, $to: DateTime!) { serviceMetrics(from: $from, to: $to) {
        rejectedComplaints complaintHandlingRate { denominator } } }";
    let period =
        json!({ "from": start.to_rfc3339(), "to": (start + Duration::days(2)).to_rfc3339() });
    let m = app.gql(&w.supervisor.auth, metrics, period).await;
    assert_eq!(m.data()["serviceMetrics"]["rejectedComplaints"], 1);
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap());
    let report =
        "query { monthlyComplaintReport(month: \"2026-11\") { rejected byOutcome { key count } } }";
    let report = app.gql(&w.supervisor.auth, report, json!({})).await;
    let report = &report.data()["monthlyComplaintReport"];
    assert_eq!(report["rejected"], 1);
    assert!(
        report["byOutcome"]
            .as_array()
            .unwrap()
            .contains(&json!({ "key": "REJECTED", "count": 1 }))
    );
}

async fn escalations(app: &TestApp, auth: &Auth, complaint: &Value) -> Vec<Value> {
    staff_view(
        app,
        auth,
        complaint,
        "escalations { fromLevel toLevel reason automatic target }",
    )
    .await["escalations"]
        .as_array()
        .unwrap()
        .clone()
}

async fn rate(app: &TestApp, customer: &TestUser, complaint: &Value, rating: &str) -> GqlResponse {
    let query = "mutation($id: ID!, $version: Int!, $rating: ResultRating!) {
        rateComplaintResult(id: $id, version: $version, rating: $rating) { status resultRating version } }";
    let vars = json!({ "id": complaint["id"], "version": complaint["version"], "rating": rating });
    app.gql(&customer.auth, query, vars).await
}

async fn r_cmp_13_low_rating_reopens_one_level_up_and_at_the_top_asks_for_review(app: TestApp) {
    let w = app.repair_world().await;
    app.make_top_level(&w.supervisor).await;
    let complaint = app.complaint_in(&w, &w.customer, "RESOLVED").await;
    // Only the complaint's customer rates.
    rate(&app, &w.other_customer, &complaint, "SATISFIED")
        .await
        .expect_code("NOT_FOUND");
    let staff_rating = "mutation($id: ID!, $version: Int!) { rateComplaintResult(id: $id, version: $version, rating: SATISFIED) { status } }";
    app.gql(
        &w.agent.auth,
        staff_rating,
        json!({ "id": complaint["id"], "version": complaint["version"] }),
    )
    .await
    .expect_code("FORBIDDEN");

    let low = rate(&app, &w.customer, &complaint, "DISSATISFIED").await;
    let low = &low.data()["rateComplaintResult"];
    assert_eq!(low["status"], "REOPENED");
    assert_eq!(low["resultRating"], "DISSATISFIED");
    let seen = staff_view(
        &app,
        &w.agent.auth,
        &complaint,
        "id escalationLevel status supervisorApproved version",
    )
    .await;
    assert_eq!(seen["escalationLevel"], 2, "one level up at once");
    assert_eq!(
        seen["supervisorApproved"], false,
        "the approvals are withdrawn"
    );
    let up = escalations(&app, &w.agent.auth, &complaint).await;
    let last = up.last().expect("an escalation");
    assert_eq!(
        (last["fromLevel"].as_i64(), last["toLevel"].as_i64()),
        (Some(1), Some(2))
    );
    assert_eq!(last["automatic"], true);
    assert!(last["reason"].as_str().unwrap().contains("R-CMP-13"));
    // A REOPENED complaint is not rated again.
    rate(&app, &w.customer, &seen, "SATISFIED")
        .await
        .expect_code("INVALID_TRANSITION");

    // A new resolution is rated anew; an upper answer lets it close.
    let again = ok(
        &app,
        &w.agent.auth,
        "recordInvestigation",
        &seen,
        &investigation(true),
    )
    .await;
    // The reopened complaint needs a solution approved anew (R-ESC-5).
    let unapproved = op(
        &app,
        &w.agent.auth,
        "resolveComplaint",
        &again,
        ", resolution: \"x\"",
    )
    .await;
    assert_eq!(unapproved.expect_code("BAD_USER_INPUT")["field"], "id");
    let again = app
        .approved_solution(&w, &again, "A new agent calls you", None)
        .await;
    let again = ok(
        &app,
        &w.agent.auth,
        "resolveComplaint",
        &again,
        ", resolution: \"A new agent calls you\"",
    )
    .await;
    assert!(again["resultRating"].is_null());
    let fine = rate(&app, &w.customer, &again, "NEUTRAL").await;
    assert_eq!(fine.data()["rateComplaintResult"]["status"], "RESOLVED");
    let fine = staff_view(&app, &w.agent.auth, &again, "id version").await;
    rate(&app, &w.customer, &fine, "VERY_SATISFIED")
        .await
        .expect_code("CONFLICT");
    let approved = app
        .complaint_ok(&w.supervisor.auth, "approveComplaintClosure", &fine, "")
        .await;
    let closed = app
        .complaint_ok(&w.agent.auth, "closeComplaint", &approved, "")
        .await;
    assert_eq!(closed["status"], "CLOSED");

    // At the top level a low rating reopens it for the top level's review.
    let major = filed(
        &app,
        &w.agent.auth,
        by_phone(&w, json!({ "severity": "MAJOR" })),
    )
    .await;
    assert_eq!(major["escalationLevel"], 3);
    let major = ok(
        &app,
        &w.agent.auth,
        "acknowledgeComplaint",
        &major,
        &acknowledge_args(&app),
    )
    .await;
    let major = ok(
        &app,
        &w.agent.auth,
        "recordInvestigation",
        &major,
        &investigation(true),
    )
    .await;
    let major = app.approved_solution(&w, &major, "Refund", None).await;
    let major = ok(
        &app,
        &w.agent.auth,
        "resolveComplaint",
        &major,
        ", resolution: \"Refund\"",
    )
    .await;
    let low = rate(&app, &w.customer, &major, "VERY_DISSATISFIED").await;
    assert_eq!(low.data()["rateComplaintResult"]["status"], "REOPENED");
    let review = escalations(&app, &w.supervisor.auth, &major).await;
    let last = review.last().unwrap();
    assert_eq!(
        (last["fromLevel"].as_i64(), last["toLevel"].as_i64()),
        (Some(3), Some(3))
    );
    assert_eq!(last["target"], "TOP_LEVEL");
    assert!(last["reason"].as_str().unwrap().contains("review"));
    let inbox = "{ escalationInbox(target: TOP_LEVEL) { ticketId toLevel reason } }";
    let inbox = app.gql(&w.supervisor.auth, inbox, json!({})).await;
    assert!(
        inbox.data()["escalationInbox"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["ticketId"] == major["id"]
                && e["reason"].as_str().unwrap().contains("review")),
        "the top level's review task"
    );
}

async fn r_cmp_13_the_complaint_survey_rates_the_result_instead_of_opening_a_new_complaint(
    app: TestApp,
) {
    let w = app.repair_world().await;
    let complaint = app.complaint_in(&w, &w.customer, "RESOLVED").await;
    let surveys = app
        .gql(&w.customer.auth, "{ mySurveys { id ticketId } }", json!({}))
        .await;
    let survey = surveys.data()["mySurveys"][0].clone();
    assert_eq!(survey["ticketId"], complaint["id"]);
    let answers = json!({ "timeliness": 2, "attitude": 2, "professionalism": 2, "result": 2,
                          "overall": 1, "wouldRecommend": 0 });
    let query = "mutation($id: ID!, $answers: SurveyAnswersInput!) { submitSurvey(id: $id, answers: $answers) { followUpComplaintId } }";
    let done = app
        .gql(
            &w.customer.auth,
            query,
            json!({ "id": survey["id"], "answers": answers }),
        )
        .await;
    assert!(
        done.data()["submitSurvey"]["followUpComplaintId"].is_null(),
        "no unrelated new complaint"
    );
    let mine = app
        .gql(
            &w.customer.auth,
            "{ myComplaints { nodes { number } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        mine.data()["myComplaints"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let seen = staff_view(
        &app,
        &w.agent.auth,
        &complaint,
        "status escalationLevel resultRating",
    )
    .await;
    assert_eq!(seen["status"], "REOPENED");
    assert_eq!(seen["escalationLevel"], 2);
    assert_eq!(seen["resultRating"], "DISSATISFIED");
}

async fn r_cls_4_repeat_and_regulator_complaints_are_serious_and_major(app: TestApp) {
    let w = app.repair_world().await;
    let order = app.report(&w.customer, w.asset).await;
    let about_order =
        json!({ "category": "DELAY", "description": "Nobody came", "repairOrderId": order["id"] });
    let first = filed(&app, &w.customer.auth, about_order.clone()).await;
    assert_eq!(first["severity"], "GENERAL");
    assert!(first["repeatOfId"].is_null());
    // The same order again: a repeat, at least SERIOUS, at the manager's level at once.
    let second = filed(&app, &w.customer.auth, about_order).await;
    assert_eq!(second["severity"], "SERIOUS");
    assert_eq!(second["escalationLevel"], 2);
    assert_eq!(second["repeatOfId"], first["id"]);
    // The same complaint named by staff, without an order.
    let named = filed(
        &app,
        &w.agent.auth,
        by_phone(&w, json!({ "repeatOf": first["id"] })),
    )
    .await;
    assert_eq!(named["severity"], "SERIOUS");
    assert_eq!(named["repeatOfId"], first["id"]);
    // Someone else's complaint is not one the caller may name.
    let other = filed(
        &app,
        &w.other_customer.auth,
        json!({ "category": "DELAY", "description": "x" }),
    )
    .await;
    file(
        &app,
        &w.customer.auth,
        json!({ "category": "DELAY", "description": "x", "repeatOf": other["id"] }),
    )
    .await
    .expect_code("NOT_FOUND");

    // A regulator / 12315 complaint is MAJOR: a recorded field, set by staff.
    let regulator = filed(
        &app,
        &w.agent.auth,
        by_phone(&w, json!({ "regulatorComplaint": true })),
    )
    .await;
    assert_eq!(regulator["severity"], "MAJOR");
    assert_eq!(regulator["escalationLevel"], 3);
    assert_eq!(regulator["regulatorComplaint"], true);
    let claimed = file(
        &app,
        &w.customer.auth,
        json!({ "category": "DELAY", "description": "x", "regulatorComplaint": true }),
    )
    .await;
    assert_eq!(
        claimed.expect_code("BAD_USER_INPUT")["field"],
        "regulatorComplaint"
    );
    // Even the top level cannot classify it below MAJOR while the fact stands.
    app.make_top_level(&w.supervisor).await;
    let kept = ok(
        &app,
        &w.supervisor.auth,
        "reclassifyComplaint",
        &regulator,
        ", severity: GENERAL",
    )
    .await;
    assert_eq!(kept["severity"], "MAJOR");

    // Media exposure or a government penalty found later makes it MAJOR (R-CLS-3).
    for fact in ["mediaExposure", "governmentPenalty"] {
        let general = filed(&app, &w.agent.auth, by_phone(&w, json!({}))).await;
        assert_eq!(general["severity"], "GENERAL");
        let raised = ok(
            &app,
            &w.agent.auth,
            "reclassifyComplaint",
            &general,
            &format!(", facts: {{ {fact}: true }}"),
        )
        .await;
        assert_eq!(raised["severity"], "MAJOR", "{fact}");
        assert_eq!(raised[fact], true);
        assert_eq!(raised["escalationLevel"], 3, "{fact}");
    }
}

async fn verify(app: &TestApp, auth: &Auth, complaint: &Value, args: &str) -> GqlResponse {
    let query = format!(
        "mutation($id: ID!, $version: Int!) {{ verifyComplaint(id: $id, version: $version{args}) {{ id version valid serviceCaused staffMemberId }} }}"
    );
    let vars = json!({ "id": complaint["id"], "version": complaint["version"] });
    app.gql(auth, &query, vars).await
}

async fn acknowledged(app: &TestApp, w: &RepairWorld, staff: &TestUser) -> Value {
    let input = by_phone(w, json!({ "staffMemberId": staff.gid() }));
    let complaint = filed(app, &w.agent.auth, input).await;
    ok(
        app,
        &w.agent.auth,
        "acknowledgeComplaint",
        &complaint,
        &acknowledge_args(app),
    )
    .await
}

async fn alerts(app: &TestApp, auth: &Auth) -> Vec<Value> {
    let query = "{ staffComplaintAlerts { id staffMemberId month complaintCount complaintId } }";
    app.gql(auth, query, json!({})).await.data()["staffComplaintAlerts"]
        .as_array()
        .unwrap()
        .clone()
}

async fn r_cmp_9_r_cmp_12_third_valid_complaint_of_a_local_month_alerts_the_supervisors(
    app: TestApp,
) {
    let w = app.repair_world().await;
    let tech = &w.technician;
    // R-CMP-12: the staff member is named apart from who received it, in the centre.
    let elsewhere = app.user(Role::Technician, Some(w.other_centre), None).await;
    file(
        &app,
        &w.agent.auth,
        by_phone(&w, json!({ "staffMemberId": elsewhere.gid() })),
    )
    .await
    .expect_code("BAD_USER_INPUT");
    let a = acknowledged(&app, &w, tech).await;
    let b = acknowledged(&app, &w, tech).await;
    let seen = staff_view(&app, &w.agent.auth, &a, "staffMemberId ownerId").await;
    assert_eq!(seen["staffMemberId"], tech.gid());
    assert_eq!(seen["ownerId"], w.agent.gid());
    // 23:30 on 30 November in Shanghai, the centre's zone: still November.
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 30, 15, 30, 0).unwrap());
    let d = acknowledged(&app, &w, tech).await;
    // 00:30 on 1 December there, though still November in UTC.
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 30, 16, 30, 0).unwrap());
    let c = acknowledged(&app, &w, tech).await;
    let invalid = acknowledged(&app, &w, tech).await;

    // Supervisors verify; not agents, not about themselves.
    verify(
        &app,
        &w.agent.auth,
        &a,
        ", valid: true, serviceCaused: true",
    )
    .await
    .expect_code("FORBIDDEN");
    let about_supervisor = acknowledged(&app, &w, &w.supervisor).await;
    verify(
        &app,
        &w.supervisor.auth,
        &about_supervisor,
        ", valid: true, serviceCaused: true",
    )
    .await
    .expect_code("FORBIDDEN");

    for complaint in [&a, &b, &c] {
        let done = verify(
            &app,
            &w.supervisor.auth,
            complaint,
            ", valid: true, serviceCaused: true",
        )
        .await;
        assert_eq!(done.data()["verifyComplaint"]["valid"], true);
    }
    let not_counted = verify(
        &app,
        &w.supervisor.auth,
        &invalid,
        ", valid: true, serviceCaused: false",
    )
    .await;
    assert_eq!(
        not_counted.data()["verifyComplaint"]["serviceCaused"],
        false
    );
    assert!(
        alerts(&app, &w.supervisor.auth).await.is_empty(),
        "two in November, one in December, one not caused by the service"
    );

    verify(
        &app,
        &w.supervisor.auth,
        &d,
        ", valid: true, serviceCaused: true",
    )
    .await
    .data();
    let raised = alerts(&app, &w.supervisor.auth).await;
    assert_eq!(raised.len(), 1);
    assert_eq!(raised[0]["staffMemberId"], tech.gid());
    assert_eq!(raised[0]["month"], "2026-11");
    assert_eq!(raised[0]["complaintCount"], 3);
    assert_eq!(raised[0]["complaintId"], d["id"]);
    let events = staff_view(&app, &w.supervisor.auth, &d, "events { action }").await;
    assert!(
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "STAFF_COMPLAINT_ALERT")
    );
    // Agents do not read the inbox; a supervisor takes the alert out of it.
    app.gql(&w.agent.auth, "{ staffComplaintAlerts { id } }", json!({}))
        .await
        .expect_code("FORBIDDEN");
    let take = "mutation($id: ID!) { acknowledgeStaffComplaintAlert(id: $id) { acknowledgedAt } }";
    let taken = app
        .gql(&w.supervisor.auth, take, json!({ "id": raised[0]["id"] }))
        .await;
    assert!(!taken.data()["acknowledgeStaffComplaintAlert"]["acknowledgedAt"].is_null());
    assert!(alerts(&app, &w.supervisor.auth).await.is_empty());
}

async fn r_prv_10_anonymous_complainant_is_hidden_from_the_staff_member_and_agents(app: TestApp) {
    let w = app.repair_world().await;
    let named_agent = app.user(Role::Agent, Some(w.centre), None).await;
    let order = app.report(&w.customer, w.asset).await;
    let input = by_phone(
        &w,
        json!({ "anonymous": true, "staffMemberId": named_agent.gid(),
                                      "repairOrderId": order["id"] }),
    );
    let complaint = filed(&app, &w.agent.auth, input).await;
    let fields = "anonymous customerId repairOrderId orderNumber description";
    for viewer in [&named_agent.auth, &w.agent.auth] {
        let seen = staff_view(&app, viewer, &complaint, fields).await;
        assert_eq!(seen["anonymous"], true);
        assert!(seen["customerId"].is_null(), "{seen:?}");
        assert!(seen["repairOrderId"].is_null(), "{seen:?}");
        assert!(seen["orderNumber"].is_null(), "{seen:?}");
    }
    let supervisor = staff_view(&app, &w.supervisor.auth, &complaint, fields).await;
    assert_eq!(supervisor["customerId"], w.customer.gid());
    assert_eq!(supervisor["repairOrderId"], order["id"]);
    assert_eq!(supervisor["orderNumber"], order["number"]);
    // A supervisor complained about is not told who complained either.
    let about_supervisor = by_phone(
        &w,
        json!({ "anonymous": true, "staffMemberId": w.supervisor.gid() }),
    );
    let about_supervisor = filed(&app, &w.agent.auth, about_supervisor).await;
    let seen = staff_view(&app, &w.supervisor.auth, &about_supervisor, fields).await;
    assert!(seen["customerId"].is_null());
    // Without anonymity, agents see the complainant as before.
    let open = filed(
        &app,
        &w.agent.auth,
        by_phone(&w, json!({ "staffMemberId": named_agent.gid() })),
    )
    .await;
    let seen = staff_view(&app, &named_agent.auth, &open, fields).await;
    assert_eq!(seen["customerId"], w.customer.gid());

    // The return visit of an anonymous complaint keeps the complainant hidden the same way.
    let input = by_phone(
        &w,
        json!({ "anonymous": true, "staffMemberId": named_agent.gid() }),
    );
    app.complaint_filed_as(&w, input, "CLOSED").await;
    let visits = "{ returnVisitsDue { ticketKind customerId } }";
    for (viewer, sees) in [
        (&named_agent.auth, false),
        (&w.agent.auth, false),
        (&w.supervisor.auth, true),
    ] {
        let due = app.gql(viewer, visits, json!({})).await;
        let due = due.data()["returnVisitsDue"].as_array().unwrap().clone();
        assert_eq!(due.len(), 1, "{due:?}");
        assert_eq!(due[0]["ticketKind"], "COMPLAINT");
        let expected = if sees {
            w.customer.gid().into()
        } else {
            Value::Null
        };
        assert_eq!(due[0]["customerId"], expected, "{due:?}");
    }
}

async fn investigating(app: &TestApp, w: &RepairWorld, extra: Value) -> Value {
    let complaint = filed(app, &w.agent.auth, by_phone(w, extra)).await;
    let complaint = ok(
        app,
        &w.agent.auth,
        "acknowledgeComplaint",
        &complaint,
        &acknowledge_args(app),
    )
    .await;
    ok(
        app,
        &w.agent.auth,
        "recordInvestigation",
        &complaint,
        &investigation(true),
    )
    .await
}

async fn r_esc_5_solution_is_approved_by_the_top_level_before_the_customer_is_told(app: TestApp) {
    let w = app.repair_world().await;
    let manager = app.general_manager(&w).await;
    let complaint = investigating(&app, &w, json!({})).await;
    let early = op(
        &app,
        &w.agent.auth,
        "resolveComplaint",
        &complaint,
        ", resolution: \"Sorry\"",
    )
    .await;
    assert_eq!(early.expect_code("BAD_USER_INPUT")["field"], "id");
    let nothing = op(&app, &manager.auth, "approveSolution", &complaint, "").await;
    assert_eq!(nothing.expect_code("BAD_USER_INPUT")["field"], "id");

    let proposed = ok(
        &app,
        &w.agent.auth,
        "proposeSolution",
        &complaint,
        ", solution: \"Apologise in person\"",
    )
    .await;
    assert_eq!(proposed["solutionApproved"], false);
    // Not the agent, not a supervisor who is not the top level (no delegation by default).
    for auth in [&w.agent.auth, &w.supervisor.auth] {
        op(&app, auth, "approveSolution", &proposed, "")
            .await
            .expect_code("FORBIDDEN");
    }
    let approved = ok(&app, &manager.auth, "approveSolution", &proposed, "").await;
    assert_eq!(approved["solutionApproved"], true);

    // Nobody approves what they proposed, the top level included; a new proposal needs a new
    // approval.
    let own = ok(
        &app,
        &manager.auth,
        "proposeSolution",
        &approved,
        ", solution: \"A voucher\", compensation: \"50\"",
    )
    .await;
    assert_eq!(own["solutionApproved"], false);
    op(&app, &manager.auth, "approveSolution", &own, "")
        .await
        .expect_code("FORBIDDEN");
    op(
        &app,
        &w.agent.auth,
        "resolveComplaint",
        &own,
        ", resolution: \"A voucher\"",
    )
    .await
    .expect_code("BAD_USER_INPUT");
    let second = app.general_manager(&w).await;
    let approved = ok(&app, &second.auth, "approveSolution", &own, "").await;
    let resolved = ok(
        &app,
        &w.agent.auth,
        "resolveComplaint",
        &approved,
        ", resolution: \"A voucher\", compensation: \"50.00\"",
    )
    .await;
    assert_eq!(resolved["status"], "RESOLVED");
    assert_eq!(resolved["compensationAmount"], "50.00");
    // The proposal is internal: the customer's timeline does not show it.
    let query = "query($n: String!) { complaint(number: $n) { timeline { action } } }";
    let mine = app
        .gql(&w.customer.auth, query, json!({ "n": resolved["number"] }))
        .await;
    assert!(
        !mine.data()["complaint"]["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "SOLUTION_PROPOSED" || e["action"] == "SOLUTION_APPROVED")
    );

    // The policy may delegate GENERAL complaints to supervisors, never SERIOUS ones.
    let mut config = servicedesk_tests::test_config();
    config.solution_approval_delegated = true;
    let delegated = app.another_instance_with(config).await;
    let general = investigating(&app, &w, json!({})).await;
    let general = ok(
        &app,
        &w.agent.auth,
        "proposeSolution",
        &general,
        ", solution: \"Apologise\"",
    )
    .await;
    let by_supervisor = ok(
        &delegated,
        &w.supervisor.auth,
        "approveSolution",
        &general,
        "",
    )
    .await;
    assert_eq!(by_supervisor["solutionApproved"], true);
    let serious = investigating(&app, &w, json!({ "severity": "SERIOUS" })).await;
    let serious = ok(
        &app,
        &w.agent.auth,
        "proposeSolution",
        &serious,
        ", solution: \"Repair\"",
    )
    .await;
    op(
        &delegated,
        &w.supervisor.auth,
        "approveSolution",
        &serious,
        "",
    )
    .await
    .expect_code("FORBIDDEN");
    ok(&delegated, &manager.auth, "approveSolution", &serious, "").await;
}

async fn r_esc_7_goodwill_for_a_major_client_is_the_top_levels_and_recorded_apart(app: TestApp) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let w = app.repair_world().await;
    let manager = app.general_manager(&w).await;
    entity::users::Entity::update_many()
        .col_expr(entity::users::Column::SlaTier, Expr::value("PREMIUM"))
        .filter(entity::users::Column::Id.eq(w.customer.id))
        .exec(&app.db)
        .await
        .unwrap();
    // Before liability is settled: acknowledged, not investigated.
    let complaint = filed(&app, &w.agent.auth, by_phone(&w, json!({}))).await;
    let complaint = ok(
        &app,
        &w.agent.auth,
        "acknowledgeComplaint",
        &complaint,
        &acknowledge_args(&app),
    )
    .await;
    let args = ", amount: \"300\", reason: \"Long-standing client\"";
    for auth in [&w.agent.auth, &w.supervisor.auth, &w.customer.auth] {
        op(&app, auth, "approveGoodwillCompensation", &complaint, args)
            .await
            .expect_code("FORBIDDEN");
    }
    let paid = ok(
        &app,
        &manager.auth,
        "approveGoodwillCompensation",
        &complaint,
        args,
    )
    .await;
    assert_eq!(paid["goodwillAmount"], "300.00");
    assert_eq!(paid["status"], "ACKNOWLEDGED");
    assert!(
        paid["compensationAmount"].is_null(),
        "recorded as goodwill, not as compensation"
    );
    let events = staff_view(&app, &w.supervisor.auth, &paid, "events { action note }").await;
    assert!(
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "GOODWILL_APPROVED")
    );
    // Only for a major client.
    let input = json!({ "customerId": w.other_customer.gid(), "channel": "PHONE",
                        "category": "DELAY", "description": "Late" });
    let ordinary = filed(&app, &w.agent.auth, input).await;
    let refused = op(
        &app,
        &manager.auth,
        "approveGoodwillCompensation",
        &ordinary,
        args,
    )
    .await;
    assert_eq!(refused.expect_code("BAD_USER_INPUT")["field"], "id");
}

/// Every new complaint mutation for everyone who may not call it: those who see the complaint
/// are `FORBIDDEN`, everyone else `NOT_FOUND` (mutations for supervisors only are `FORBIDDEN` to
/// every other role before the complaint is looked at), anonymous callers `UNAUTHENTICATED`;
/// and a refused call changes nothing.
async fn complaint_outcome_mutations_for_every_role(app: TestApp) {
    let w = app.repair_world().await;
    let manager = app.general_manager(&w).await;
    let other_supervisor = app.user(Role::Supervisor, Some(w.other_centre), None).await;
    let complaint = investigating(&app, &w, json!({})).await;
    let complaint = ok(
        &app,
        &w.agent.auth,
        "proposeSolution",
        &complaint,
        ", solution: \"Sorry\"",
    )
    .await;
    let snapshot = "version status escalationLevel solutionApproved goodwillAmount rejectionReason
        valid events { id }";
    let before = staff_view(&app, &w.supervisor.auth, &complaint, snapshot).await;
    const F: &str = "FORBIDDEN";
    const NF: &str = "NOT_FOUND";
    const UN: &str = "UNAUTHENTICATED";
    let callers: [(&str, Auth); 8] = [
        ("complainant", w.customer.auth.clone()),
        ("another customer", w.other_customer.auth.clone()),
        ("technician", w.technician.auth.clone()),
        ("admin", w.admin.auth.clone()),
        ("agent of another centre", w.other_agent.auth.clone()),
        (
            "supervisor of another centre",
            other_supervisor.auth.clone(),
        ),
        ("partner of another organization", w.other_partner.clone()),
        ("anonymous", Auth::None),
    ];
    let handlers = [F, NF, NF, NF, NF, NF, NF, UN];
    let supervisors = [F, F, F, F, F, NF, F, UN];
    let top_level = [F, F, F, F, F, NF, F, UN];
    let cases: [(&str, &str, [&str; 8]); 5] = [
        ("rejectComplaint", ", reason: \"No\"", handlers),
        ("proposeSolution", ", solution: \"Other\"", handlers),
        (
            "verifyComplaint",
            ", valid: true, serviceCaused: true",
            supervisors,
        ),
        ("approveSolution", "", supervisors),
        (
            "approveGoodwillCompensation",
            ", amount: \"10\", reason: \"x\"",
            top_level,
        ),
    ];
    let mut failures = Vec::new();
    for (mutation, args, expected) in cases {
        for ((who, auth), code) in callers.iter().zip(expected) {
            let response = op(&app, auth, mutation, &complaint, args).await;
            let got = response.body["errors"][0]["extensions"]["code"].clone();
            if got != code {
                failures.push(format!(
                    "{mutation} as {who}: expected {code}, got {}",
                    response.body
                ));
            }
        }
    }
    // Supervisors of the centre who are not the top level, and agents, where the rule says so.
    for (mutation, args, auth) in [
        ("approveSolution", "", &w.supervisor.auth),
        ("approveSolution", "", &w.agent.auth),
        (
            "verifyComplaint",
            ", valid: true, serviceCaused: true",
            &w.agent.auth,
        ),
        (
            "approveGoodwillCompensation",
            ", amount: \"10\", reason: \"x\"",
            &w.supervisor.auth,
        ),
    ] {
        let response = op(&app, auth, mutation, &complaint, args).await;
        if response.body["errors"][0]["extensions"]["code"] != F {
            failures.push(format!("{mutation} by a centre member: {}", response.body));
        }
    }
    // The rating is the complainant's: staff are refused, whatever the status.
    let rating = "mutation($id: ID!, $version: Int!) { rateComplaintResult(id: $id, version: $version, rating: NEUTRAL) { status } }";
    let vars = json!({ "id": complaint["id"], "version": complaint["version"] });
    for auth in [&w.agent.auth, &w.supervisor.auth, &manager.auth] {
        let response = app.gql(auth, rating, vars.clone()).await;
        if response.body["errors"][0]["extensions"]["code"] != F {
            failures.push(format!("rateComplaintResult by staff: {}", response.body));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(
        staff_view(&app, &w.supervisor.auth, &complaint, snapshot).await,
        before,
        "a refused call changed the complaint"
    );
    // The alert inbox is the supervisors'.
    for auth in [
        &w.agent.auth,
        &w.customer.auth,
        &w.admin.auth,
        &w.technician.auth,
    ] {
        app.gql(auth, "{ staffComplaintAlerts { id } }", json!({}))
            .await
            .expect_code(F);
    }
}

/// The migrations of this issue go down and up again on a database with complaints in it;
/// the complaints stay and take the new fields' defaults.
async fn migrations_000030_to_000033_round_trip_keep_complaints(app: TestApp) {
    let w = app.repair_world().await;
    let complaint = filed(
        &app,
        &w.agent.auth,
        by_phone(&w, json!({ "anonymous": true })),
    )
    .await;
    app.migrate_round_trip_from("m20261209_000030").await;
    let seen = staff_view(
        &app,
        &w.supervisor.auth,
        &complaint,
        "number anonymous regulatorComplaint solutionApproved",
    )
    .await;
    assert_eq!(seen["number"], complaint["number"]);
    assert_eq!(
        seen["anonymous"], false,
        "down dropped the column; up adds it with its default"
    );
    assert_eq!(seen["regulatorComplaint"], false);
    assert_eq!(seen["solutionApproved"], false);
    assert!(alerts(&app, &w.supervisor.auth).await.is_empty());
}

/// R-CMP-10: a case not settled on the spot records the order number, the purchase date, the
/// problem and what the customer asks for (the repair order supplies the first two); once it
/// is handled the customer reads the result.
async fn r_cmp_10_a_case_records_order_purchase_date_and_request_and_the_customer_hears_the_result(
    app: TestApp,
) {
    let w = app.repair_world().await;
    let fields = "orderNumber purchaseDate customerRequest description";
    // Named by the customer over the phone, without a repair order.
    let input = by_phone(
        &w,
        json!({ "orderNumber": "JD-2026-0042", "purchaseDate": "2026-05-01",
                                      "customerRequest": "Replace the unit" }),
    );
    let named = filed(&app, &w.agent.auth, input).await;
    let seen = staff_view(&app, &w.agent.auth, &named, fields).await;
    assert_eq!(
        seen,
        json!({ "orderNumber": "JD-2026-0042", "purchaseDate": "2026-05-01",
                "customerRequest": "Replace the unit", "description": "Rude on the phone" })
    );
    let blank = file(
        &app,
        &w.agent.auth,
        by_phone(&w, json!({ "customerRequest": " " })),
    )
    .await;
    assert_eq!(
        blank.expect_code("BAD_USER_INPUT")["field"],
        "customerRequest"
    );
    let long = file(
        &app,
        &w.agent.auth,
        by_phone(&w, json!({ "orderNumber": "x".repeat(65) })),
    )
    .await;
    assert_eq!(long.expect_code("BAD_USER_INPUT")["field"], "orderNumber");

    // From the repair order: its number and its product's purchase date.
    let order = app.report(&w.customer, w.asset).await;
    let input = by_phone(
        &w,
        json!({ "repairOrderId": order["id"], "customerRequest": "A refund" }),
    );
    let complaint = filed(&app, &w.agent.auth, input).await;
    let seen = staff_view(&app, &w.agent.auth, &complaint, fields).await;
    assert_eq!(seen["orderNumber"], order["number"]);
    let purchased = app.clock_now().date_naive() + Duration::days(200) - Duration::days(365);
    assert_eq!(seen["purchaseDate"], purchased.to_string());
    assert_eq!(seen["customerRequest"], "A refund");

    // Handled: the customer reads the result on their own complaint.
    let complaint = ok(
        &app,
        &w.agent.auth,
        "acknowledgeComplaint",
        &complaint,
        &acknowledge_args(&app),
    )
    .await;
    let complaint = ok(
        &app,
        &w.agent.auth,
        "recordInvestigation",
        &complaint,
        &investigation(true),
    )
    .await;
    let complaint = app.approved_solution(&w, &complaint, "Refund", None).await;
    ok(
        &app,
        &w.agent.auth,
        "resolveComplaint",
        &complaint,
        ", resolution: \"We refund the repair\"",
    )
    .await;
    let query = "query($n: String!) { complaint(number: $n) { orderNumber customerRequest timeline { action note } } }";
    let mine = app
        .gql(&w.customer.auth, query, json!({ "n": complaint["number"] }))
        .await;
    let mine = &mine.data()["complaint"];
    assert_eq!(mine["orderNumber"], order["number"]);
    assert_eq!(mine["customerRequest"], "A refund");
    assert!(mine["timeline"].as_array().unwrap().iter().any(|e| {
        e["action"] == "RESOLVED"
            && e["note"]
                .as_str()
                .unwrap()
                .starts_with("We refund the repair")
    }));
}

async fn r_cmp_10_a_case_not_handled_on_the_spot_requires_order_purchase_date_and_request(
    app: TestApp,
) {
    let w = app.repair_world().await;
    let count = || async {
        use sea_orm::{EntityTrait, PaginatorTrait};
        entity::complaints::Entity::find()
            .count(&app.db)
            .await
            .unwrap()
    };
    let before = count().await;
    // Every missing detail at once, nothing written.
    let bare = file(
        &app,
        &w.agent.auth,
        by_phone(&w, json!({ "handledOnTheSpot": false })),
    )
    .await;
    let mut fields: Vec<String> = bare.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            assert_eq!(e["extensions"]["code"], "BAD_USER_INPUT", "{e}");
            e["extensions"]["field"].as_str().unwrap().to_owned()
        })
        .collect();
    fields.sort();
    assert_eq!(fields, ["customerRequest", "orderNumber", "purchaseDate"]);
    let partial = file(
        &app,
        &w.agent.auth,
        by_phone(
            &w,
            json!({ "handledOnTheSpot": false, "orderNumber": "JD-1", "customerRequest": "Refund" }),
        ),
    )
    .await;
    assert_eq!(
        partial.expect_code("BAD_USER_INPUT")["field"],
        "purchaseDate"
    );
    assert_eq!(count().await, before, "nothing filed");

    // All three named: filed. A repair order stands in for the order number and purchase date.
    let full = by_phone(
        &w,
        json!({ "handledOnTheSpot": false, "orderNumber": "JD-1", "purchaseDate": "2026-05-01",
                "customerRequest": "Refund" }),
    );
    filed(&app, &w.agent.auth, full).await;
    let order = app.report(&w.customer, w.asset).await;
    let from_order = by_phone(
        &w,
        json!({ "handledOnTheSpot": false, "repairOrderId": order["id"],
                "customerRequest": "Replace it" }),
    );
    let complaint = filed(&app, &w.agent.auth, from_order).await;
    let seen = staff_view(
        &app,
        &w.agent.auth,
        &complaint,
        "orderNumber purchaseDate customerRequest",
    )
    .await;
    assert_eq!(seen["orderNumber"], order["number"]);
    assert!(!seen["purchaseDate"].is_null());
    // Handled on the spot (or not said): the details stay optional.
    filed(
        &app,
        &w.agent.auth,
        by_phone(&w, json!({ "handledOnTheSpot": true })),
    )
    .await;
}
