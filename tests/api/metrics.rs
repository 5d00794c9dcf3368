//! Service metrics and the monthly report over known data: every number checked, on SQLite and
//! PostgreSQL (R-SUR-1, R-SLA-7/8, R-SLA-1/2, R-SLA-4, R-CLS-3, R-SLA-10, R-CMP-5).

use chrono::{Duration, TimeZone, Utc};
use entity::users::Role;
use serde_json::{Value, json};
use servicedesk::jobs::sla_sweeper::sweep_once;
use servicedesk_tests::{Auth, RepairWorld, TestApp, db_tests};
use servicedesk_tests::{NodeType, gid};

db_tests!(
    metrics_count_exactly_what_happened,
    r_sur_1_r_sla_7_survey_and_return_visit_rates_count_exactly,
    demo_seed_gives_non_trivial_metrics,
    a_query_pays_only_for_the_numbers_it_asks_for,
    r_cmp_5_monthly_report_for_a_finished_month
);

const COMPLAINT: &str = "id number version status";

async fn file(app: &TestApp, w: &RepairWorld, category: &str, severity: &str) -> Value {
    let query = format!(
        "mutation($input: FileComplaintInput!) {{ fileComplaint(input: $input) {{ {COMPLAINT} }} }}"
    );
    let input = json!({ "customerId": w.customer.gid(), "channel": "PHONE", "category": category,
                        "severity": severity, "description": "x" });
    app.gql(&w.agent.auth, &query, json!({ "input": input }))
        .await
        .data()["fileComplaint"]
        .clone()
}

async fn step(app: &TestApp, auth: &Auth, name: &str, complaint: &Value, args: &str) -> Value {
    let query = format!(
        "mutation($id: ID!, $version: Int!) {{ {name}(id: $id, version: $version{args}) {{ {COMPLAINT} }} }}"
    );
    app.gql(
        auth,
        &query,
        json!({ "id": complaint["id"], "version": complaint["version"] }),
    )
    .await
    .data()[name]
        .clone()
}

async fn acknowledge(app: &TestApp, w: &RepairWorld, complaint: &Value) -> Value {
    let now = app.clock_now();
    let args = format!(
        ", promisedResolutionAt: \"{}\", nextContactAt: \"{}\"",
        (now + Duration::hours(8)).to_rfc3339(),
        (now + Duration::hours(2)).to_rfc3339()
    );
    step(app, &w.agent.auth, "acknowledgeComplaint", complaint, &args).await
}

async fn handle(app: &TestApp, w: &RepairWorld, complaint: &Value) {
    let c = acknowledge(app, w, complaint).await;
    let args = ", cause: \"Late dispatch\", responsibleParty: \"Dispatch\", justified: true";
    let c = step(app, &w.agent.auth, "recordInvestigation", &c, args).await;
    let c = app.approved_solution(w, &c, "Apologise", None).await;
    step(
        app,
        &w.agent.auth,
        "resolveComplaint",
        &c,
        ", resolution: \"Apologised\"",
    )
    .await;
}

/// Three repairs (one reopened, one late), five complaints (two resolved in 2 h and 6 h, one
/// acknowledged 15 min late, one SERIOUS, one MAJOR) and one sweep.
async fn known_history(app: &TestApp, w: &RepairWorld) {
    let tech = format!(", technicianId: \"{}\"", w.technician.gid());
    app.order_in(w, "COMPLETED").await;
    let reopened = app.order_in(w, "REOPENED").await;
    let mut order = app
        .repair_ok(&w.agent.auth, "assignTechnician", &reopened, &tech)
        .await;
    for name in ["acceptRepair", "startTravel", "markArrived"] {
        order = app.repair_ok(&w.technician.auth, name, &order, "").await;
    }
    app.repair_ok(
        &w.technician.auth,
        "completeRepair",
        &order,
        ", workDone: \"again\"",
    )
    .await;

    let g1 = file(app, w, "SERVICE_ATTITUDE", "GENERAL").await;
    let g2 = file(app, w, "SERVICE_ATTITUDE", "GENERAL").await;
    let g3 = file(app, w, "SERVICE_ATTITUDE", "GENERAL").await;
    file(app, w, "PROPERTY_DAMAGE", "GENERAL").await; // SERIOUS by category
    file(app, w, "OTHER", "MAJOR").await;
    app.clock.advance(Duration::hours(2));
    handle(app, w, &g1).await;
    app.clock.advance(Duration::hours(4));
    handle(app, w, &g2).await;

    let late = app.order_in(w, "EN_ROUTE").await;
    app.clock.advance(Duration::hours(13)); // past its 12 h limit
    let late = app
        .repair_ok(&w.technician.auth, "markArrived", &late, "")
        .await;
    app.repair_ok(
        &w.technician.auth,
        "completeRepair",
        &late,
        ", workDone: \"fixed\"",
    )
    .await;

    app.clock
        .advance(Duration::hours(5) + Duration::minutes(15)); // 24 h 15 min after filing
    acknowledge(app, w, &g3).await;
    app.clock.advance(Duration::minutes(5));
    sweep_once(&app.db, app.clock_now()).await.unwrap();
}

const METRICS: &str = "query($from: DateTime!, $to: DateTime!, $centre: ID) {
  serviceMetrics(from: $from, to: $to, serviceCentreId: $centre) {
    firstTimeFixRate { numerator denominator value }
    onTimeArrivalRate { numerator denominator value }
    complaintHandlingRate { numerator denominator value }
    generalMedianHandlingHours generalHandled majorComplaints
    escalationsByLevel { level count }
    penaltyPoints { userId points lateActions } } }";

async fn metrics_count_exactly_what_happened(app: TestApp) {
    let w = app.repair_world().await;
    let start = app.clock_now() - Duration::hours(1);
    known_history(&app, &w).await;
    let period =
        json!({ "from": start.to_rfc3339(), "to": (start + Duration::days(30)).to_rfc3339() });
    let response = app.gql(&w.supervisor.auth, METRICS, period.clone()).await;
    let m = &response.data()["serviceMetrics"];
    assert_eq!(
        m["firstTimeFixRate"],
        json!({ "numerator": 2, "denominator": 3, "value": 2.0 / 3.0 })
    );
    // Every visit counts: the reopened order's two visits were in time, the late one was not.
    assert_eq!(
        m["onTimeArrivalRate"],
        json!({ "numerator": 3, "denominator": 4, "value": 0.75 })
    );
    assert_eq!(
        m["complaintHandlingRate"],
        json!({ "numerator": 2, "denominator": 5, "value": 0.4 })
    );
    assert_eq!(m["generalMedianHandlingHours"], 4.0);
    assert_eq!(m["generalHandled"], 2);
    assert_eq!(m["majorComplaints"], 1);
    // At filing: SERIOUS → 2, MAJOR → 3; the sweep: the late GENERAL 1 → 2, SERIOUS 2 → 3.
    assert_eq!(
        m["escalationsByLevel"],
        json!([{ "level": 2, "count": 2 }, { "level": 3, "count": 2 }])
    );
    // R-ESC-6, R-SLA-10: every missed clock costs its holder at the breach, by lateness: the
    // agent holds the three late complaints (the GENERAL one's three clocks, 15 and 20 min
    // late; the SERIOUS and MAJOR ones' first response and update, 20 min late: 7 × 10); the
    // technician arrived an hour late (20).
    assert_eq!(
        m["penaltyPoints"],
        json!([{ "userId": w.agent.gid(), "points": 70, "lateActions": 7 },
               { "userId": w.technician.gid(), "points": 20, "lateActions": 1 }])
    );

    // A period before anything happened counts nothing.
    let empty =
        json!({ "from": (start - Duration::days(2)).to_rfc3339(), "to": start.to_rfc3339() });
    let none = app.gql(&w.admin.auth, METRICS, empty).await;
    assert_eq!(
        none.data()["serviceMetrics"]["complaintHandlingRate"]["value"],
        Value::Null
    );

    // Who may read what.
    let elsewhere = app.user(Role::Supervisor, Some(w.other_centre), None).await;
    let mut ours = period.clone();
    ours["centre"] = json!(gid(NodeType::ServiceCentre, w.centre));
    app.gql(&elsewhere.auth, METRICS, ours.clone())
        .await
        .expect_code("FORBIDDEN");
    app.gql(&w.admin.auth, METRICS, ours).await.data();
    app.gql(&w.agent.auth, METRICS, period.clone())
        .await
        .expect_code("FORBIDDEN");
    let partner = app.gql(&w.partner, METRICS, period).await;
    assert_eq!(
        partner.code(),
        "FORBIDDEN",
        "staff penalties are not for partners"
    );
    let partner_rates = "query($from: DateTime!, $to: DateTime!) { serviceMetrics(from: $from, to: $to) { complaintHandlingRate { denominator } } }";
    let scoped = app
        .gql(
            &w.partner,
            partner_rates,
            json!({ "from": start.to_rfc3339(), "to": (start + Duration::days(30)).to_rfc3339() }),
        )
        .await;
    assert_eq!(
        scoped.data()["serviceMetrics"]["complaintHandlingRate"]["denominator"],
        0
    );
}

async fn r_cmp_5_monthly_report_for_a_finished_month(app: TestApp) {
    let w = app.repair_world().await;
    known_history(&app, &w).await;
    let query = "query($month: String!) { monthlyComplaintReport(month: $month) {
        month breaches byCategory { key count } bySeverity { key count } byOutcome { key count } topCauses { key count } } }";
    app.gql(&w.supervisor.auth, query, json!({ "month": "2026-11" }))
        .await
        .expect_code("BAD_USER_INPUT");
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 12, 3, 8, 0, 0).unwrap());
    let response = app
        .gql(&w.supervisor.auth, query, json!({ "month": "2026-11" }))
        .await;
    let report = &response.data()["monthlyComplaintReport"];
    assert_eq!(
        report["byCategory"],
        json!([{ "key": "SERVICE_ATTITUDE", "count": 3 }, { "key": "OTHER", "count": 1 }, { "key": "PROPERTY_DAMAGE", "count": 1 }])
    );
    assert_eq!(
        report["bySeverity"],
        json!([{ "key": "GENERAL", "count": 3 }, { "key": "MAJOR", "count": 1 }, { "key": "SERIOUS", "count": 1 }])
    );
    assert_eq!(
        report["byOutcome"],
        json!([{ "key": "RECEIVED", "count": 2 }, { "key": "RESOLVED", "count": 2 }, { "key": "ACKNOWLEDGED", "count": 1 }])
    );
    assert_eq!(
        report["topCauses"],
        json!([{ "key": "Late dispatch", "count": 2 }])
    );
    // Each missed clock once: the late GENERAL complaint's first response, first contact,
    // update and resolution; the SERIOUS and MAJOR ones' first response, first contact and
    // update (R-SLA-3, R-SLA-6, R-SLA-15).
    assert_eq!(report["breaches"], 10);
    let october = app
        .gql(&w.supervisor.auth, query, json!({ "month": "2026-10" }))
        .await;
    assert_eq!(
        october.data()["monthlyComplaintReport"]["byCategory"],
        json!([])
    );
}

/// The world's customer's survey for `order`.
async fn survey_of(app: &TestApp, w: &RepairWorld, order: &Value) -> Value {
    let response = app
        .gql(&w.customer.auth, "{ mySurveys { id ticketId } }", json!({}))
        .await;
    response.data()["mySurveys"]
        .as_array()
        .expect("list")
        .iter()
        .find(|s| s["ticketId"] == order["id"])
        .expect("a survey for the order")
        .clone()
}

async fn answer_survey(app: &TestApp, w: &RepairWorld, order: &Value, overall: i32) {
    let survey = survey_of(app, w, order).await;
    let answers = json!({ "timeliness": 4, "attitude": 4, "professionalism": 4, "result": 4,
                          "overall": overall, "wouldRecommend": 8 });
    app.gql(
        &w.customer.auth,
        "mutation($id: ID!, $answers: SurveyAnswersInput!) { submitSurvey(id: $id, answers: $answers) { id } }",
        json!({ "id": survey["id"], "answers": answers }),
    )
    .await
    .data();
}

/// Records the pending return visit after closure of the repair order `ticket` with `input`
/// (visited now).
async fn record_visit(app: &TestApp, w: &RepairWorld, ticket: &Value, input: Value) {
    record_visit_of(app, w, ("REPAIR_ORDER", ticket), input).await;
}

/// Records the pending return visit after closure of a ticket of `kind` with `input`.
async fn record_visit_of(
    app: &TestApp,
    w: &RepairWorld,
    (kind, ticket): (&str, &Value),
    mut input: Value,
) {
    let due = app
        .gql(
            &w.agent.auth,
            "{ returnVisitsDue { id ticketKind ticketId purpose } }",
            json!({}),
        )
        .await;
    let visit = due.data()["returnVisitsDue"]
        .as_array()
        .expect("list")
        .iter()
        .find(|v| {
            v["ticketKind"] == kind
                && v["ticketId"] == ticket["id"]
                && v["purpose"] == "AFTER_CLOSURE"
        })
        .expect("a visit due")
        .clone();
    input["visitedAt"] = json!(app.clock_now().to_rfc3339());
    input["channel"] = json!("PHONE");
    input["answers"] = json!("Asked whether the repair holds");
    app.gql(
        &w.agent.auth,
        "mutation($id: ID!, $input: RecordReturnVisitInput!) { recordReturnVisit(id: $id, input: $input) { id } }",
        json!({ "id": visit["id"], "input": input }),
    )
    .await
    .data();
}

const SURVEY_METRICS: &str = "query($from: DateTime!, $to: DateTime!, $centre: ID) {
  serviceMetrics(from: $from, to: $to, serviceCentreId: $centre) {
    satisfactionRate { numerator denominator value }
    surveyResponseRate { numerator denominator value }
    returnVisitRate { numerator denominator value }
    returnVisitPassRate { numerator denominator value } } }";

/// Four closed repairs: surveys answered 5, 3 and 1 and one unanswered; visits after closure
/// reached on time (satisfied), on time (complaint raised, dissatisfied), late on a retry
/// (satisfied), and never. One closed complaint of the partner's customer: its survey
/// unanswered, its visit after closure reached on time (satisfied) (R-SLA-7).
async fn r_sur_1_r_sla_7_survey_and_return_visit_rates_count_exactly(app: TestApp) {
    let w = app.repair_world().await;
    let start = app.clock_now() - Duration::hours(1);
    let a = app.order_in(&w, "CLOSED").await;
    let b = app.order_in(&w, "CLOSED").await;
    let d = app.order_in(&w, "CLOSED").await;
    app.order_in(&w, "CLOSED").await; // neither surveyed nor visited
    let complaint = app.complaint_in(&w, &w.partner_customer, "CLOSED").await;
    answer_survey(&app, &w, &a, 5).await;
    answer_survey(&app, &w, &b, 3).await;
    answer_survey(&app, &w, &d, 1).await;

    app.clock.advance(Duration::days(1));
    record_visit(
        &app,
        &w,
        &a,
        json!({ "satisfaction": "SATISFIED", "outcome": "OK" }),
    )
    .await;
    let reached = json!({ "satisfaction": "SATISFIED", "outcome": "OK" });
    record_visit_of(&app, &w, ("COMPLAINT", &complaint), reached).await;
    let complaint =
        json!({ "category": "PRODUCT_QUALITY", "severity": "GENERAL", "description": "Noisy" });
    record_visit(
        &app,
        &w,
        &d,
        json!({ "satisfaction": "DISSATISFIED", "outcome": "COMPLAINT_RAISED", "complaint": complaint }),
    )
    .await;
    let retry = app.clock_now() + Duration::days(3); // after the 3-day limit
    record_visit(
        &app,
        &w,
        &b,
        json!({ "outcome": "UNREACHABLE", "retryAt": retry.to_rfc3339() }),
    )
    .await;
    app.clock.set(retry);
    record_visit(
        &app,
        &w,
        &b,
        json!({ "satisfaction": "SATISFIED", "outcome": "OK" }),
    )
    .await;

    // Twenty days: the visits after closure fall due, the 30-day ones do not.
    let period = |centre: i64| {
        json!({ "from": start.to_rfc3339(), "to": (start + Duration::days(20)).to_rfc3339(),
                "centre": gid(NodeType::ServiceCentre, centre) })
    };
    let response = app
        .gql(&w.supervisor.auth, SURVEY_METRICS, period(w.centre))
        .await;
    let m = &response.data()["serviceMetrics"];
    let ratio =
        |n: i64, d: i64| json!({ "numerator": n, "denominator": d, "value": n as f64 / d as f64 });
    assert_eq!(m["satisfactionRate"], ratio(1, 3));
    assert_eq!(m["surveyResponseRate"], ratio(3, 5));
    assert_eq!(m["returnVisitRate"], ratio(3, 5));
    assert_eq!(m["returnVisitPassRate"], ratio(3, 4));

    // Forty days take in the 30-day visits too, but none is due yet nor made: they count
    // neither as on time nor as missed.
    let longer = json!({ "from": start.to_rfc3339(), "to": (start + Duration::days(40)).to_rfc3339(),
                         "centre": gid(NodeType::ServiceCentre, w.centre) });
    let response = app.gql(&w.supervisor.auth, SURVEY_METRICS, longer).await;
    assert_eq!(
        response.data()["serviceMetrics"]["returnVisitRate"],
        ratio(3, 5)
    );

    // Visit logs are staff data (R-PRV-8): the partner gets no rate computed from them.
    let partner = app
        .gql(
            &w.partner,
            SURVEY_METRICS,
            json!({ "from": start.to_rfc3339(), "to": (start + Duration::days(20)).to_rfc3339() }),
        )
        .await;
    let refused: Vec<_> = partner.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| (e["path"][1].clone(), e["extensions"]["code"].clone()))
        .collect();
    assert_eq!(
        refused,
        [
            (json!("returnVisitRate"), json!("FORBIDDEN")),
            (json!("returnVisitPassRate"), json!("FORBIDDEN"))
        ]
    );

    let elsewhere = app
        .gql(&w.admin.auth, SURVEY_METRICS, period(w.other_centre))
        .await;
    let none = json!({ "numerator": 0, "denominator": 0, "value": null });
    for name in [
        "satisfactionRate",
        "surveyResponseRate",
        "returnVisitRate",
        "returnVisitPassRate",
    ] {
        assert_eq!(elsewhere.data()["serviceMetrics"][name], none, "{name}");
    }
}

async fn a_query_pays_only_for_the_numbers_it_asks_for(app: TestApp) {
    let w = app.repair_world().await;
    known_history(&app, &w).await;
    let now = app.clock_now();
    let period = json!({ "from": (now - Duration::days(1)).to_rfc3339(), "to": now.to_rfc3339() });
    let one = "query($from: DateTime!, $to: DateTime!) { serviceMetrics(from: $from, to: $to) { majorComplaints } }";
    // The supervisor's account is cached from here on.
    app.gql(&w.supervisor.auth, "{ me { role } }", json!({}))
        .await
        .data();
    let (response, statements) = app
        .count_statements(app.gql(&w.supervisor.auth, one, period))
        .await;
    assert_eq!(response.data()["serviceMetrics"]["majorComplaints"], 0);
    assert_eq!(statements, 1, "one aggregate for one number");
}

/// The README's metrics example: the demo data fills every rate.
async fn demo_seed_gives_non_trivial_metrics(app: TestApp) {
    let now = app.clock_now();
    let credentials = servicedesk::seed::seed_demo(&app.db, &app.state_settings(), now)
        .await
        .expect("seed");
    let (_, email, password) = credentials
        .logins
        .iter()
        .find(|(role, _, _)| *role == Role::Supervisor)
        .expect("a supervisor");
    let login = app
        .gql(
            &Auth::None,
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
            json!({ "e": email, "p": password }),
        )
        .await;
    let token = login.data()["login"]["accessToken"]
        .as_str()
        .expect("token");
    let period = json!({ "from": (now - Duration::days(1)).to_rfc3339(),
                         "to": (now + Duration::days(7)).to_rfc3339() });
    let response = app
        .gql(&Auth::Bearer(token.into()), SURVEY_METRICS, period)
        .await;
    let m = &response.data()["serviceMetrics"];
    for name in [
        "satisfactionRate",
        "surveyResponseRate",
        "returnVisitRate",
        "returnVisitPassRate",
    ] {
        assert!(m[name]["denominator"].as_i64() > Some(0), "{name}: {m}");
    }
}
