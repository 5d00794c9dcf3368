//! Return visits (回访): scheduled when a repair or a complaint closes, at intervals the SLA
//! policy sets (R-SLA-7, R-SLA-8), outside rest hours (R-SUR-2), recorded in full with retries
//! (R-SUR-3), complaints raised on the call (R-CMP-6), reports filed and reviewed on time
//! (R-SLA-9).

use chrono::{DateTime, Duration, TimeZone, Utc};
use entity::sla_policies::SlaMetric;
use entity::ticket_events::TicketKind;
use entity::{return_visits, sla_clocks};
use sea_orm::{ActiveEnum, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use servicedesk::jobs::sla_sweeper::sweep_once;
use servicedesk_tests::{Auth, GqlResponse, RepairWorld, TestApp, db_tests};
use servicedesk_tests::{NodeType, gid};

db_tests!(
    r_sla_7_r_sla_8_closing_a_repair_schedules_visits_at_3_and_30_days,
    r_sur_2_visits_avoid_rest_hours_unless_the_customer_chose_the_time,
    r_sur_3_every_visit_is_recorded_in_full_and_unreachable_is_retried,
    r_cmp_6_a_complaint_raised_on_a_return_visit,
    r_cmp_7_a_need_raised_on_a_return_visit_opens_a_linked_follow_up_case,
    r_sla_13_a_return_visit_one_month_before_the_warranty_of_a_product_ends,
    r_sur_4_average_is_handled_like_dissatisfied,
    r_sla_9_report_by_the_end_of_next_day_reviewed_by_a_supervisor,
    r_sla_9_a_report_filed_on_friday_is_reviewed_by_the_end_of_monday,
    r_sla_7_a_visit_nobody_made_breaches_its_clock,
    r_sla_7_r_sla_8_visit_intervals_are_the_admins_policy,
    r_sla_7_closing_a_complaint_schedules_one_visit_within_3_days,
    r_sla_7_visits_survive_the_migration_down_and_up,
);

const VISIT_FIELDS: &str =
    "id ticketKind ticketId customerId purpose attempt dueAt customerChoseTime
    agentId visitedAt channel satisfied satisfaction improvement answers outcome retryAt complaintId recordedAt
    reviewedBy reviewedAt reviewNote
    slaClocks { metric state startedAt dueAt metAt breachedAt businessTime }";

fn time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().expect("time"))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

fn utc(month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, hour, minute, 0)
        .unwrap()
}

async fn due(app: &TestApp, auth: &Auth) -> Vec<Value> {
    let query = format!("{{ returnVisitsDue {{ {VISIT_FIELDS} }} }}");
    app.gql(auth, &query, json!({})).await.data()["returnVisitsDue"]
        .as_array()
        .expect("list")
        .clone()
}

/// The visits of one ticket among `visits`.
fn of_ticket(visits: Vec<Value>, kind: &str, ticket: &Value) -> Vec<Value> {
    visits
        .into_iter()
        .filter(|v| v["ticketKind"] == kind && v["ticketId"] == ticket["id"])
        .collect()
}

async fn record(app: &TestApp, auth: &Auth, visit: &Value, input: Value) -> GqlResponse {
    let query = format!(
        "mutation($id: ID!, $input: RecordReturnVisitInput!) {{ recordReturnVisit(id: $id, input: $input) {{ {VISIT_FIELDS} }} }}"
    );
    app.gql(auth, &query, json!({ "id": visit["id"], "input": input }))
        .await
}

/// The visit's clock of `metric`.
fn clock<'v>(visit: &'v Value, metric: &str) -> &'v Value {
    visit["slaClocks"]
        .as_array()
        .expect("clocks")
        .iter()
        .find(|c| c["metric"] == metric)
        .unwrap_or_else(|| panic!("no {metric} clock in {visit}"))
}

fn reached(at: DateTime<Utc>) -> Value {
    json!({ "visitedAt": at.to_rfc3339(), "channel": "PHONE", "satisfaction": "SATISFIED",
            "answers": "Fridge cools again; technician was polite", "outcome": "OK" })
}

/// Completes a repair now and confirms and closes it `later`.
async fn closed_after(app: &TestApp, w: &RepairWorld, later: Duration) -> Value {
    let order = app.order_in(w, "COMPLETED").await;
    app.clock.advance(later);
    let order = app
        .repair_ok(&w.customer.auth, "confirmRepair", &order, "")
        .await;
    app.repair_ok(&w.agent.auth, "closeRepair", &order, "")
        .await
}

async fn r_sla_7_r_sla_8_closing_a_repair_schedules_visits_at_3_and_30_days(app: TestApp) {
    let w = app.repair_world().await;
    app.order_in(&w, "CONFIRMED").await;
    assert!(
        due(&app, &w.agent.auth).await.is_empty(),
        "only closure schedules"
    );
    let completed_at = app.clock_now();
    let order = closed_after(&app, &w, Duration::hours(1)).await;
    let closed_at = app.clock_now();
    let visits = of_ticket(due(&app, &w.agent.auth).await, "REPAIR_ORDER", &order);
    assert_eq!(visits.len(), 2);
    assert_eq!(visits[0]["purpose"], "AFTER_CLOSURE");
    assert_eq!(time(&visits[0]["dueAt"]), closed_at + Duration::days(3));
    assert_eq!(visits[1]["purpose"], "THIRTY_DAY");
    assert_eq!(time(&visits[1]["dueAt"]), completed_at + Duration::days(30));
    for visit in &visits {
        assert_eq!(visit["attempt"], 1);
        assert_eq!(visit["customerId"], w.customer.gid());
        assert!(visit["recordedAt"].is_null());
    }
    // Bounded by `until`; another centre's agents see none of it.
    let query = "query($until: DateTime!) { returnVisitsDue(until: $until) { purpose } }";
    let until = (closed_at + Duration::days(4)).to_rfc3339();
    let soon = app
        .gql(&w.agent.auth, query, json!({ "until": until }))
        .await;
    assert_eq!(
        soon.data()["returnVisitsDue"],
        json!([{ "purpose": "AFTER_CLOSURE" }])
    );
    assert!(due(&app, &w.other_agent.auth).await.is_empty());
    app.gql(&w.customer.auth, "{ returnVisitsDue { id } }", json!({}))
        .await
        .expect_code("FORBIDDEN");
}

async fn r_sur_2_visits_avoid_rest_hours_unless_the_customer_chose_the_time(app: TestApp) {
    let w = app.repair_world().await;
    // Completed 17:00 Shanghai, closed 22:30: the 3-day visit would fall in rest hours.
    closed_after(&app, &w, Duration::minutes(330)).await;
    let visits = due(&app, &w.agent.auth).await;
    assert_eq!(visits[0]["purpose"], "AFTER_CLOSURE");
    assert_eq!(time(&visits[0]["dueAt"]), utc(11, 5, 13, 0), "21:00 local");
    assert_eq!(time(&visits[1]["dueAt"]), utc(12, 2, 9, 0), "17:00 local");

    // Rest hours are the centre's: 20:00–08:00 moves a 22:30 visit to 20:00 local.
    let set = "mutation($c: ID!) { setRestHours(serviceCentreId: $c, start: \"20:00:00\", end: \"08:00:00\") }";
    app.gql(
        &w.agent.auth,
        set,
        json!({ "c": gid(NodeType::ServiceCentre, w.centre) }),
    )
    .await
    .expect_code("FORBIDDEN");
    app.gql(
        &w.admin.auth,
        set,
        json!({ "c": gid(NodeType::ServiceCentre, w.centre) }),
    )
    .await
    .data();
    closed_after(&app, &w, Duration::zero()).await;
    let visits = due(&app, &w.agent.auth).await;
    let due_times: Vec<DateTime<Utc>> = visits.iter().map(|v| time(&v["dueAt"])).collect();
    assert!(due_times.contains(&utc(11, 5, 12, 0)), "{due_times:?}");
    assert!(due_times.contains(&utc(12, 2, 12, 0)), "{due_times:?}");

    // An agent cannot pick 23:00 local for the retry; the customer can.
    let night = utc(11, 3, 15, 0);
    let unreachable = json!({ "visitedAt": app.clock_now().to_rfc3339(), "channel": "PHONE",
                              "answers": "No answer", "outcome": "UNREACHABLE",
                              "retryAt": night.to_rfc3339() });
    let refused = record(&app, &w.agent.auth, &visits[0], unreachable.clone()).await;
    assert_eq!(refused.expect_code("BAD_USER_INPUT")["field"], "retryAt");
    let mut chosen = unreachable;
    chosen["retryCustomerChosen"] = json!(true);
    record(&app, &w.agent.auth, &visits[0], chosen).await.data();
    let retry = due(&app, &w.agent.auth).await;
    let retry = retry.iter().find(|v| v["attempt"] == 2).expect("retry");
    assert_eq!(time(&retry["dueAt"]), night);
    assert_eq!(retry["customerChoseTime"], true);
}

async fn r_sur_3_every_visit_is_recorded_in_full_and_unreachable_is_retried(app: TestApp) {
    let w = app.repair_world().await;
    closed_after(&app, &w, Duration::zero()).await;
    let visits = due(&app, &w.agent.auth).await;
    let first = &visits[0];
    let now = app.clock_now();

    let mut incomplete = reached(now);
    incomplete["satisfaction"] = Value::Null;
    let refused = record(&app, &w.agent.auth, first, incomplete).await;
    assert_eq!(
        refused.expect_code("BAD_USER_INPUT")["field"],
        "satisfaction"
    );
    let mut no_retry = reached(now);
    no_retry["outcome"] = json!("UNREACHABLE");
    no_retry["satisfaction"] = Value::Null;
    let refused = record(&app, &w.agent.auth, first, no_retry).await;
    assert_eq!(refused.expect_code("BAD_USER_INPUT")["field"], "retryAt");
    assert_eq!(due(&app, &w.agent.auth).await, visits, "nothing stored");
    record(&app, &w.other_agent.auth, first, reached(now))
        .await
        .expect_code("NOT_FOUND");

    let retry_at = now + Duration::days(1);
    let input = json!({ "visitedAt": now.to_rfc3339(), "channel": "PHONE",
                        "answers": "Rang three times, no answer", "outcome": "UNREACHABLE",
                        "retryAt": retry_at.to_rfc3339() });
    let missed = record(&app, &w.agent.auth, first, input).await;
    let missed = &missed.data()["recordReturnVisit"];
    assert_eq!(missed["agentId"], w.agent.gid());
    assert_eq!(time(&missed["visitedAt"]), now);
    assert_eq!(missed["channel"], "PHONE");
    assert_eq!(missed["answers"], "Rang three times, no answer");
    assert_eq!(missed["outcome"], "UNREACHABLE");
    assert_eq!(time(&missed["retryAt"]), retry_at);
    assert_eq!(time(&missed["recordedAt"]), now);

    let pending = due(&app, &w.agent.auth).await;
    assert_eq!(pending.len(), 2, "rescheduled, not dropped");
    let again = &pending[0];
    assert_eq!(again["purpose"], "AFTER_CLOSURE");
    assert_eq!(again["attempt"], 2);
    assert_eq!(time(&again["dueAt"]), retry_at);

    app.clock.advance(Duration::days(1));
    let visited = app.clock_now() - Duration::minutes(10);
    let mut input = reached(visited);
    input["channel"] = json!("ON_SITE");
    let done = record(&app, &w.agent.auth, again, input.clone()).await;
    let done = &done.data()["recordReturnVisit"];
    assert_eq!(done["satisfied"], true);
    assert_eq!(done["channel"], "ON_SITE");
    assert_eq!(done["outcome"], "OK");
    assert_eq!(time(&done["visitedAt"]), visited);
    assert!(done["retryAt"].is_null());
    assert_eq!(due(&app, &w.agent.auth).await.len(), 1);
    let twice = record(&app, &w.agent.auth, again, input).await;
    assert_eq!(
        twice.expect_code("INVALID_TRANSITION")["status"],
        "RECORDED"
    );
    let mut future = reached(app.clock_now() + Duration::hours(1));
    future["outcome"] = json!("OK");
    let refused = record(&app, &w.agent.auth, &pending[1], future).await;
    assert_eq!(refused.expect_code("BAD_USER_INPUT")["field"], "visitedAt");
}

/// R-SUR-4: "are you satisfied with <service>?" has three answers; AVERAGE, like DISSATISFIED,
/// is not satisfied: the agent asks what to improve, apologises and calls again, and the
/// pass rate counts neither.
async fn r_sur_4_average_is_handled_like_dissatisfied(app: TestApp) {
    let w = app.repair_world().await;
    let start = app.clock_now();
    for answer in ["AVERAGE", "DISSATISFIED"] {
        let order = closed_after(&app, &w, Duration::zero()).await;
        let visit = of_ticket(due(&app, &w.agent.auth).await, "REPAIR_ORDER", &order)[0].clone();
        let now = app.clock_now();
        let mut input = reached(now);
        input["satisfaction"] = json!(answer);
        let refused = record(&app, &w.agent.auth, &visit, input.clone()).await;
        assert_eq!(
            refused.expect_code("BAD_USER_INPUT")["field"],
            "improvement",
            "{answer}"
        );
        input["improvement"] = json!("Call before coming");
        let refused = record(&app, &w.agent.auth, &visit, input.clone()).await;
        assert_eq!(
            refused.expect_code("BAD_USER_INPUT")["field"],
            "retryAt",
            "{answer}"
        );
        let follow_up = now + Duration::days(2);
        input["retryAt"] = json!(follow_up.to_rfc3339());
        let done = record(&app, &w.agent.auth, &visit, input).await;
        let done = &done.data()["recordReturnVisit"];
        assert_eq!(done["satisfaction"], answer);
        assert_eq!(done["satisfied"], false, "{answer} is not satisfied");
        assert_eq!(done["improvement"], "Call before coming");
        let again = of_ticket(due(&app, &w.agent.auth).await, "REPAIR_ORDER", &order);
        let again = again
            .iter()
            .find(|v| v["attempt"] == 2)
            .unwrap_or_else(|| panic!("{answer}: no follow-up call in {again:?}"));
        assert_eq!(time(&again["dueAt"]), follow_up);
        let timeline = app
            .gql(
                &w.agent.auth,
                "query($id: ID!) { repairOrder(id: $id) { events { action note } } }",
                json!({ "id": order["id"] }),
            )
            .await;
        let noted = timeline.data()["repairOrder"]["events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| {
                e["action"] == "RETURN_VISIT_RECORDED"
                    && e["note"].as_str().is_some_and(|n| n.contains("apologised"))
            });
        assert!(noted, "{answer}: the apology is on the timeline");
    }
    // A satisfied customer is not called again.
    let order = closed_after(&app, &w, Duration::zero()).await;
    let visit = of_ticket(due(&app, &w.agent.auth).await, "REPAIR_ORDER", &order)[0].clone();
    let mut input = reached(app.clock_now());
    input["retryAt"] = json!((app.clock_now() + Duration::days(2)).to_rfc3339());
    let refused = record(&app, &w.agent.auth, &visit, input.clone()).await;
    assert_eq!(refused.expect_code("BAD_USER_INPUT")["field"], "retryAt");
    input["retryAt"] = Value::Null;
    record(&app, &w.agent.auth, &visit, input).await.data();
    // One of three reached customers passes.
    let query = "query($from: DateTime!, $to: DateTime!, $centre: ID) { \
                 serviceMetrics(from: $from, to: $to, serviceCentreId: $centre) { \
                 returnVisitPassRate { numerator denominator } } }";
    let period = json!({ "from": start.to_rfc3339(),
                         "to": (app.clock_now() + Duration::days(1)).to_rfc3339(),
                         "centre": gid(NodeType::ServiceCentre, w.centre) });
    let metrics = app.gql(&w.supervisor.auth, query, period).await;
    assert_eq!(
        metrics.data()["serviceMetrics"]["returnVisitPassRate"],
        json!({ "numerator": 1, "denominator": 3 })
    );
}

async fn r_cmp_6_a_complaint_raised_on_a_return_visit(app: TestApp) {
    let w = app.repair_world().await;
    let order = closed_after(&app, &w, Duration::zero()).await;
    let visit = due(&app, &w.agent.auth).await[0].clone();
    let mut input = reached(app.clock_now());
    input["satisfaction"] = json!("DISSATISFIED");
    input["outcome"] = json!("COMPLAINT_RAISED");
    let missing = record(&app, &w.agent.auth, &visit, input.clone()).await;
    assert_eq!(missing.expect_code("BAD_USER_INPUT")["field"], "complaint");
    input["complaint"] = json!({ "category": "SERVICE_ATTITUDE",
                                 "description": "The technician left a mess" });
    let recorded = record(&app, &w.agent.auth, &visit, input).await;
    let recorded = &recorded.data()["recordReturnVisit"];
    assert_eq!(recorded["outcome"], "COMPLAINT_RAISED");
    let query = "query($id: ID!) { complaintById(id: $id) {
        channel status repairOrderId customerId serviceCentreId ownerId description } }";
    let complaint = app
        .gql(
            &w.agent.auth,
            query,
            json!({ "id": recorded["complaintId"] }),
        )
        .await;
    let complaint = &complaint.data()["complaintById"];
    assert_eq!(complaint["channel"], "RETURN_VISIT");
    assert_eq!(complaint["status"], "RECEIVED");
    assert_eq!(complaint["repairOrderId"], order["id"]);
    assert_eq!(complaint["customerId"], w.customer.gid());
    assert_eq!(
        complaint["serviceCentreId"],
        gid(NodeType::ServiceCentre, w.centre)
    );
    assert_eq!(complaint["ownerId"], w.agent.gid());
    assert_eq!(complaint["description"], "The technician left a mess");
}

async fn r_sla_9_report_by_the_end_of_next_day_reviewed_by_a_supervisor(app: TestApp) {
    let w = app.repair_world().await;
    // Closed Monday 2 Nov, 17:00 Shanghai.
    closed_after(&app, &w, Duration::zero()).await;
    let visits = due(&app, &w.agent.auth).await;
    app.clock.set(utc(11, 5, 9, 0));
    // Called Tuesday 17:00 local, filed Thursday: after the end of Wednesday.
    let late = record(&app, &w.agent.auth, &visits[0], reached(utc(11, 3, 9, 0))).await;
    let late = late.data()["recordReturnVisit"].clone();
    let report = clock(&late, "REPORT");
    assert_eq!(time(&report["startedAt"]), utc(11, 3, 9, 0));
    assert_eq!(time(&report["dueAt"]), utc(11, 4, 16, 0));
    assert_eq!(report["state"], "BREACHED");
    assert_eq!(report["businessTime"], true);
    assert_eq!(clock(&late, "RETURN_VISIT")["state"], "MET");
    let on_time = record(&app, &w.agent.auth, &visits[1], reached(app.clock_now())).await;
    let on_time = on_time.data()["recordReturnVisit"].clone();
    assert_eq!(clock(&on_time, "REPORT")["state"], "MET");
    // Reviews are due by the end of the working day after filing (Friday, local).
    let review_clock = clock(&on_time, "REVIEW");
    assert_eq!(time(&review_clock["dueAt"]), utc(11, 6, 16, 0));
    assert_eq!(review_clock["state"], "RUNNING");

    let review = "mutation($id: ID!) { reviewReturnVisit(id: $id, note: \"Checked\") {
        reviewedBy reviewedAt reviewNote slaClocks { metric state } } }";
    app.gql(&w.agent.auth, review, json!({ "id": late["id"] }))
        .await
        .expect_code("FORBIDDEN");
    let overdue = "{ returnVisitReviewsOverdue { id } }";
    let listed = app.gql(&w.supervisor.auth, overdue, json!({})).await;
    assert_eq!(listed.data()["returnVisitReviewsOverdue"], json!([]));
    app.gql(&w.supervisor.auth, review, json!({ "id": on_time["id"] }))
        .await
        .data();

    app.clock.set(utc(11, 6, 17, 0));
    let listed = app.gql(&w.supervisor.auth, overdue, json!({})).await;
    assert_eq!(
        listed.data()["returnVisitReviewsOverdue"],
        json!([{ "id": late["id"] }])
    );
    let reviewed = app
        .gql(&w.supervisor.auth, review, json!({ "id": late["id"] }))
        .await;
    let reviewed = &reviewed.data()["reviewReturnVisit"];
    assert_eq!(reviewed["reviewedBy"], w.supervisor.gid());
    assert_eq!(time(&reviewed["reviewedAt"]), app.clock_now());
    assert_eq!(reviewed["reviewNote"], "Checked");
    assert_eq!(clock(reviewed, "REVIEW")["state"], "BREACHED", "met late");
    let listed = app.gql(&w.supervisor.auth, overdue, json!({})).await;
    assert_eq!(listed.data()["returnVisitReviewsOverdue"], json!([]));
    let twice = app
        .gql(&w.supervisor.auth, review, json!({ "id": late["id"] }))
        .await;
    assert_eq!(
        twice.expect_code("INVALID_TRANSITION")["status"],
        "REVIEWED"
    );
}

/// R-SLA-9 counts working days: a report filed on Friday afternoon is reviewed by the end of
/// Monday, and the sweeper records the miss on the visited order's timeline on Tuesday.
async fn r_sla_9_a_report_filed_on_friday_is_reviewed_by_the_end_of_monday(app: TestApp) {
    let w = app.repair_world().await;
    let order = closed_after(&app, &w, Duration::zero()).await;
    let visits = of_ticket(due(&app, &w.agent.auth).await, "REPAIR_ORDER", &order);
    // Friday 6 Nov, 17:00 Shanghai; the call was at 16:00.
    app.clock.set(utc(11, 6, 9, 0));
    let recorded = record(&app, &w.agent.auth, &visits[0], reached(utc(11, 6, 8, 0))).await;
    let recorded = recorded.data()["recordReturnVisit"].clone();
    let end_of_monday = utc(11, 9, 16, 0);
    assert_eq!(time(&clock(&recorded, "REPORT")["dueAt"]), end_of_monday);
    assert_eq!(clock(&recorded, "REPORT")["state"], "MET");
    assert_eq!(time(&clock(&recorded, "REVIEW")["dueAt"]), end_of_monday);

    let overdue = "{ returnVisitReviewsOverdue { id slaClocks { metric state breachedAt } } }";
    app.clock.set(end_of_monday - Duration::minutes(1));
    assert_eq!(
        sweep_once(&app.db, app.clock_now()).await.expect("sweep"),
        0
    );
    let listed = app.gql(&w.supervisor.auth, overdue, json!({})).await;
    assert_eq!(listed.data()["returnVisitReviewsOverdue"], json!([]));

    app.clock.set(end_of_monday + Duration::minutes(30));
    assert_eq!(
        sweep_once(&app.db, app.clock_now()).await.expect("sweep"),
        1
    );
    let listed = app.gql(&w.supervisor.auth, overdue, json!({})).await;
    let listed = &listed.data()["returnVisitReviewsOverdue"];
    assert_eq!(listed[0]["id"], recorded["id"]);
    let review = clock(&listed[0], "REVIEW");
    assert_eq!(review["state"], "BREACHED");
    assert_eq!(time(&review["breachedAt"]), end_of_monday);
    let timeline = app
        .gql(
            &w.supervisor.auth,
            "query($id: ID!) { repairOrder(id: $id) { escalationLevel events(sla: true) { action note } } }",
            json!({ "id": order["id"] }),
        )
        .await;
    let timeline = &timeline.data()["repairOrder"];
    assert_eq!(
        timeline["escalationLevel"], 1,
        "a visit does not escalate the order"
    );
    assert!(
        timeline["events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["action"] == "SLA_BREACHED"
                && e["note"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("REVIEW #1"))),
        "{timeline}"
    );
}

/// R-SLA-7: a visit nobody made by the end of its interval is a breach the sweeper records and
/// the centre's supervisors find in `slaBreaches`; making it late keeps it a breach.
async fn r_sla_7_a_visit_nobody_made_breaches_its_clock(app: TestApp) {
    let w = app.repair_world().await;
    let order = closed_after(&app, &w, Duration::zero()).await;
    let closed_at = app.clock_now();
    let visits = of_ticket(due(&app, &w.agent.auth).await, "REPAIR_ORDER", &order);
    let visit = &visits[0];
    assert_eq!(visit["purpose"], "AFTER_CLOSURE");
    let limit = clock(visit, "RETURN_VISIT");
    assert_eq!(time(&limit["startedAt"]), closed_at);
    assert_eq!(time(&limit["dueAt"]), closed_at + Duration::days(3));
    assert!(
        time(&visit["dueAt"]) <= time(&limit["dueAt"]),
        "planned within it"
    );

    app.clock
        .set(closed_at + Duration::days(3) - Duration::minutes(1));
    assert_eq!(
        sweep_once(&app.db, app.clock_now()).await.expect("sweep"),
        0
    );
    app.clock.advance(Duration::minutes(2));
    assert_eq!(
        sweep_once(&app.db, app.clock_now()).await.expect("sweep"),
        1
    );
    let breaches = "{ slaBreaches(first: 10, filter: { ticketKind: RETURN_VISIT }) {
        edges { node { ticketId metric state breachedAt } } } }";
    let page = app.gql(&w.supervisor.auth, breaches, json!({})).await;
    assert_eq!(
        page.data()["slaBreaches"]["edges"],
        json!([{ "node": { "ticketId": visit["id"], "metric": "RETURN_VISIT",
            "state": "BREACHED",
            "breachedAt": limit["dueAt"] } }])
    );
    let late = record(&app, &w.agent.auth, visit, reached(app.clock_now())).await;
    let late = late.data()["recordReturnVisit"].clone();
    assert_eq!(clock(&late, "RETURN_VISIT")["state"], "BREACHED");
    assert!(clock(&late, "RETURN_VISIT")["metAt"].is_string());
    let thirty = &visits[1];
    assert_eq!(thirty["purpose"], "THIRTY_DAY");
    let still = due(&app, &w.agent.auth).await;
    let still = of_ticket(still, "REPAIR_ORDER", &order);
    assert_eq!(clock(&still[0], "RETURN_VISIT")["state"], "RUNNING");
}

const UPDATE_POLICY: &str = "mutation($kind: TicketKind!, $scope: String!, $minutes: Int!) {
    updateSlaPolicy(ticketKind: $kind, metric: RETURN_VISIT, scope: $scope, durationMinutes: $minutes) {
        ticketKind metric scope durationMinutes ruleId } }";

/// The intervals are `sla_policies` rows, read when a ticket closes: after the admin changes
/// them, the next visits fall due at the new intervals, not at 3 and 30 days.
async fn r_sla_7_r_sla_8_visit_intervals_are_the_admins_policy(app: TestApp) {
    let w = app.repair_world().await;
    // The defaults of RULES.md.
    let listed = app
        .gql(
            &w.admin.auth,
            "{ slaPolicies { ticketKind metric scope durationMinutes businessTime ruleId } }",
            json!({}),
        )
        .await;
    let mut defaults: Vec<Value> = listed.data()["slaPolicies"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|p| p["metric"] == "RETURN_VISIT")
        .map(|p| {
            assert_eq!(p["businessTime"], false, "wall-clock days");
            json!([
                p["ticketKind"],
                p["scope"],
                p["durationMinutes"],
                p["ruleId"]
            ])
        })
        .collect();
    defaults.sort_by_key(Value::to_string);
    assert_eq!(
        defaults,
        [
            json!(["RETURN_VISIT", "AFTER_CLOSURE", 3 * 1440, "R-SLA-7"]),
            json!(["RETURN_VISIT", "THIRTY_DAY", 30 * 1440, "R-SLA-8"]),
        ]
    );

    let set = |kind: &str, scope: &str, days: i64| json!({ "kind": kind, "scope": scope, "minutes": days * 1440 });
    let refused = [
        (
            &w.agent.auth,
            set("RETURN_VISIT", "AFTER_CLOSURE", 1),
            "FORBIDDEN",
        ),
        (
            &w.admin.auth,
            set("COMPLAINT", "THIRTY_DAY", 7),
            "NOT_FOUND",
        ),
        (
            &w.admin.auth,
            set("REPAIR_ORDER", "AFTER_CLOSURE", 7),
            "NOT_FOUND",
        ),
    ];
    for (auth, change, code) in refused {
        app.gql(auth, UPDATE_POLICY, change).await.expect_code(code);
    }
    for (kind, scope, days) in [
        ("RETURN_VISIT", "AFTER_CLOSURE", 1),
        ("RETURN_VISIT", "THIRTY_DAY", 7),
    ] {
        let updated = app
            .gql(&w.admin.auth, UPDATE_POLICY, set(kind, scope, days))
            .await;
        assert_eq!(
            updated.data()["updateSlaPolicy"]["durationMinutes"],
            days * 1440
        );
    }

    let completed_at = app.clock_now();
    let order = closed_after(&app, &w, Duration::hours(1)).await;
    let closed_at = app.clock_now();
    let visits = of_ticket(due(&app, &w.agent.auth).await, "REPAIR_ORDER", &order);
    assert_eq!(visits[0]["purpose"], "AFTER_CLOSURE");
    assert_eq!(time(&visits[0]["dueAt"]), closed_at + Duration::days(1));
    assert_eq!(visits[1]["purpose"], "THIRTY_DAY");
    assert_eq!(time(&visits[1]["dueAt"]), completed_at + Duration::days(7));

    let complaint = app.complaint_in(&w, &w.customer, "CLOSED").await;
    let visits = of_ticket(due(&app, &w.agent.auth).await, "COMPLAINT", &complaint);
    assert_eq!(visits.len(), 1);
    assert_eq!(
        time(&visits[0]["dueAt"]),
        time(&complaint["closedAt"]) + Duration::days(1),
        "R-SLA-7 is one rule for every ticket"
    );
}

/// R-SLA-7 covers complaints too: closing one schedules a single visit (the 30-day visit of
/// R-SLA-8 is for repairs) at the last callable time within 3 days (R-SUR-2), recorded like
/// any visit (R-SUR-3) on the complaint's timeline.
const FOLLOW_UP_FIELDS: &str = "kind originalKind originalId followUpId returnVisitId
    repairOrder { id status channel serviceAddress customer { id } }
    complaint { id channel status repairOrderId customerId }";

async fn open_follow_up(app: &TestApp, auth: &Auth, visit: &Value, input: Value) -> GqlResponse {
    let query = format!(
        "mutation($id: ID!, $input: FollowUpCaseInput!) {{ openFollowUpCase(returnVisitId: $id, \
         input: $input) {{ {FOLLOW_UP_FIELDS} }} }}"
    );
    app.gql(auth, &query, json!({ "id": visit["id"], "input": input }))
        .await
}

async fn r_cmp_7_a_need_raised_on_a_return_visit_opens_a_linked_follow_up_case(app: TestApp) {
    let w = app.repair_world().await;
    let order = closed_after(&app, &w, Duration::zero()).await;
    let visit = due(&app, &w.agent.auth).await[0].clone();
    let repair = json!({ "kind": "REPAIR_ORDER", "description": "The ice maker leaks now" });
    let complaint = json!({ "kind": "COMPLAINT", "category": "SERVICE_ATTITUDE",
                            "description": "Nobody called back about the ice maker" });
    // Staff of the visit's centre only; a complaint needs its category; nothing is written.
    open_follow_up(&app, &w.customer.auth, &visit, repair.clone())
        .await
        .expect_code("FORBIDDEN");
    open_follow_up(&app, &w.other_agent.auth, &visit, repair.clone())
        .await
        .expect_code("NOT_FOUND");
    let no_category = json!({ "kind": "COMPLAINT", "description": " " });
    let refused = open_follow_up(&app, &w.agent.auth, &visit, no_category).await;
    assert_eq!(refused.body["errors"].as_array().expect("errors").len(), 2);
    let links = "query($id: ID!) { repairOrder(id: $id) { followUps { kind followUpId } \
                 events { action note } } }";
    let before = app
        .gql(&w.agent.auth, links, json!({ "id": order["id"] }))
        .await;
    assert_eq!(before.data()["repairOrder"]["followUps"], json!([]));

    // A repair order: reported by phone for the customer, on the original's product and address.
    let opened = open_follow_up(&app, &w.agent.auth, &visit, repair).await;
    let opened = opened.data()["openFollowUpCase"].clone();
    assert_eq!(opened["kind"], "REPAIR_ORDER");
    assert_eq!(opened["originalKind"], "REPAIR_ORDER");
    assert_eq!(opened["originalId"], order["id"]);
    assert_eq!(opened["returnVisitId"], visit["id"]);
    let new_order = &opened["repairOrder"];
    assert_eq!(new_order["status"], "SUBMITTED");
    assert_eq!(new_order["channel"], "PHONE");
    assert_eq!(new_order["customer"]["id"], w.customer.gid());
    assert_eq!(opened["followUpId"], new_order["id"]);
    // A complaint about the same order.
    let filed = open_follow_up(&app, &w.agent.auth, &visit, complaint).await;
    let filed = filed.data()["openFollowUpCase"].clone();
    assert_eq!(filed["complaint"]["channel"], "RETURN_VISIT");
    assert_eq!(filed["complaint"]["repairOrderId"], order["id"]);

    // Visible on both: the original lists its follow-ups, each follow-up names its original,
    // and the customer reads it on both timelines.
    let after = app
        .gql(&w.agent.auth, links, json!({ "id": order["id"] }))
        .await;
    let follow_ups = &after.data()["repairOrder"]["followUps"];
    assert_eq!(
        *follow_ups,
        json!([{ "kind": "REPAIR_ORDER", "followUpId": new_order["id"] },
               { "kind": "COMPLAINT", "followUpId": filed["followUpId"] }])
    );
    let of = "query($id: ID!) { repairOrder(id: $id) { followUpOf { originalId returnVisitId } } }";
    let back = app
        .gql(&w.customer.auth, of, json!({ "id": new_order["id"] }))
        .await;
    assert_eq!(
        back.data()["repairOrder"]["followUpOf"]["originalId"],
        order["id"]
    );
    let of_complaint = "query($id: ID!) { complaintById(id: $id) { followUpOf { originalId } } }";
    let back = app
        .gql(
            &w.supervisor.auth,
            of_complaint,
            json!({ "id": filed["followUpId"] }),
        )
        .await;
    assert_eq!(
        back.data()["complaintById"]["followUpOf"]["originalId"],
        order["id"]
    );
    for id in [&order["id"], &new_order["id"]] {
        let seen = app.gql(&w.customer.auth, links, json!({ "id": id })).await;
        let events = seen.data()["repairOrder"]["events"].to_string();
        assert!(events.contains("FOLLOW_UP_OPENED"), "{events}");
    }

    // Either kind: a complaint's visit opens a repair order, naming the product.
    let resolved = app.complaint_in(&w, &w.customer, "RESOLVED").await;
    let approved = app
        .complaint_ok(&w.supervisor.auth, "approveComplaintClosure", &resolved, "")
        .await;
    let closed = app
        .complaint_ok(&w.agent.auth, "closeComplaint", &approved, "")
        .await;
    let visit = of_ticket(due(&app, &w.agent.auth).await, "COMPLAINT", &closed)[0].clone();
    let bare = json!({ "kind": "REPAIR_ORDER", "description": "Door hinge broke",
                       "serviceAddress": "1 Road", "contactPhone": "13812345678" });
    let refused = open_follow_up(&app, &w.agent.auth, &visit, bare.clone()).await;
    assert_eq!(refused.expect_code("BAD_USER_INPUT")["field"], "assetId");
    let mut named = bare;
    named["assetId"] = json!(gid(NodeType::Asset, w.asset));
    let opened = open_follow_up(&app, &w.agent.auth, &visit, named).await;
    let opened = &opened.data()["openFollowUpCase"];
    assert_eq!(opened["originalKind"], "COMPLAINT");
    assert_eq!(opened["originalId"], closed["id"]);
    let listed = app
        .gql(
            &w.supervisor.auth,
            "query($id: ID!) { complaintById(id: $id) { followUps { followUpId } } }",
            json!({ "id": closed["id"] }),
        )
        .await;
    assert_eq!(
        listed.data()["complaintById"]["followUps"][0]["followUpId"],
        opened["followUpId"]
    );
}

async fn warranty_visits_due(app: &TestApp, auth: &Auth) -> GqlResponse {
    app.gql(
        auth,
        "{ warrantyVisitsDue { id assetId customerId warrantyEndsOn dueOn visitedAt reached } }",
        json!({}),
    )
    .await
}

async fn r_sla_13_a_return_visit_one_month_before_the_warranty_of_a_product_ends(app: TestApp) {
    let w = app.repair_world().await;
    let schedule = || servicedesk::jobs::warranty_visits::run(&app.db, app.clock_now());
    // The partner's customer's product ends in 30 days: due now. The customer's ends in 200
    // days, their old one has ended: neither. Two instances at once schedule it once.
    let (first, second) = tokio::join!(schedule(), schedule());
    assert_eq!(first.unwrap() + second.unwrap(), 1);
    assert_eq!(schedule().await.unwrap(), 0, "once per product");
    let due = warranty_visits_due(&app, &w.agent.auth).await;
    let due = due.data()["warrantyVisitsDue"]
        .as_array()
        .expect("list")
        .clone();
    assert_eq!(due.len(), 1, "{due:?}");
    let visit = due[0].clone();
    assert_eq!(visit["assetId"], gid(NodeType::Asset, w.partner_asset));
    assert_eq!(visit["customerId"], w.partner_customer.gid());
    let today = app.clock_now().date_naive();
    assert_eq!(
        visit["warrantyEndsOn"],
        (today + Duration::days(30)).to_string()
    );
    assert_eq!(visit["dueOn"], "2026-11-02", "one month before");
    let other = warranty_visits_due(&app, &w.other_agent.auth).await;
    assert_eq!(other.data()["warrantyVisitsDue"], json!([]));
    warranty_visits_due(&app, &w.customer.auth)
        .await
        .expect_code("FORBIDDEN");

    // 171 days on, the customer's product ends within the month too.
    let later = app.clock_now() + Duration::days(171);
    let scheduled = servicedesk::jobs::warranty_visits::run(&app.db, later).await;
    assert_eq!(scheduled.unwrap(), 1);
    let due = warranty_visits_due(&app, &w.agent.auth).await;
    assert_eq!(due.data()["warrantyVisitsDue"].as_array().unwrap().len(), 2);

    // Recorded by an agent of the centre, once.
    async fn record(app: &TestApp, visit: &Value, auth: &Auth, note: &str) -> GqlResponse {
        let query = "mutation($id: ID!, $note: String!) { recordWarrantyVisit(id: $id, \
                     channel: PHONE, reached: true, note: $note) { visitedAt reached note } }";
        app.gql(auth, query, json!({ "id": visit["id"], "note": note }))
            .await
    }
    record(&app, &visit, &w.other_agent.auth, "Called")
        .await
        .expect_code("NOT_FOUND");
    record(&app, &visit, &w.agent.auth, " ")
        .await
        .expect_code("BAD_USER_INPUT");
    let done = record(
        &app,
        &visit,
        &w.agent.auth,
        "Reminded of the warranty end; offered a check-up",
    )
    .await;
    assert_eq!(done.data()["recordWarrantyVisit"]["reached"], true);
    record(&app, &visit, &w.agent.auth, "Again")
        .await
        .expect_code("INVALID_TRANSITION");
    let due = warranty_visits_due(&app, &w.agent.auth).await;
    assert_eq!(due.data()["warrantyVisitsDue"].as_array().unwrap().len(), 1);
    let node = "query($id: ID!) { node(id: $id) { ... on WarrantyVisit { reached } } }";
    let seen = app
        .gql(&w.supervisor.auth, node, json!({ "id": visit["id"] }))
        .await;
    assert_eq!(seen.data()["node"]["reached"], true);
    app.gql(&w.partner_customer.auth, node, json!({ "id": visit["id"] }))
        .await
        .expect_code("NOT_FOUND");
}

async fn r_sla_7_closing_a_complaint_schedules_one_visit_within_3_days(app: TestApp) {
    let w = app.repair_world().await;
    let resolved = app.complaint_in(&w, &w.customer, "RESOLVED").await;
    let approved = app
        .complaint_ok(&w.supervisor.auth, "approveComplaintClosure", &resolved, "")
        .await;
    assert!(
        due(&app, &w.agent.auth).await.is_empty(),
        "only closure schedules"
    );
    // Closed at 22:30 Shanghai: 3 days later is in the customer's rest hours.
    app.clock.set(utc(11, 2, 14, 30));
    let closed = app
        .complaint_ok(&w.agent.auth, "closeComplaint", &approved, "")
        .await;
    let closed_at = time(&closed["closedAt"]);
    let visits = due(&app, &w.agent.auth).await;
    assert_eq!(visits.len(), 1, "{visits:?}");
    let visit = &visits[0];
    assert_eq!(visit["ticketKind"], "COMPLAINT");
    assert_eq!(visit["ticketId"], closed["id"]);
    assert_eq!(visit["purpose"], "AFTER_CLOSURE");
    assert_eq!(visit["attempt"], 1);
    assert_eq!(visit["customerId"], w.customer.gid());
    let due_at = time(&visit["dueAt"]);
    assert!(due_at <= closed_at + Duration::days(3), "within 3 days");
    assert_eq!(due_at, utc(11, 5, 13, 0), "21:00 local");
    assert!(due(&app, &w.other_agent.auth).await.is_empty());

    app.clock.advance(Duration::days(1));
    let now = app.clock_now();
    let recorded = record(&app, &w.agent.auth, visit, reached(now)).await;
    let recorded = &recorded.data()["recordReturnVisit"];
    assert_eq!(recorded["ticketKind"], "COMPLAINT");
    assert_eq!(recorded["agentId"], w.agent.gid());
    assert_eq!(recorded["outcome"], "OK");
    assert_eq!(recorded["satisfied"], true);
    assert_eq!(time(&recorded["recordedAt"]), now);
    assert!(due(&app, &w.agent.auth).await.is_empty());
    let timeline = app
        .gql(
            &w.supervisor.auth,
            "query($id: ID!) { complaintById(id: $id) { events { action } } }",
            json!({ "id": closed["id"] }),
        )
        .await;
    let events = &timeline.data()["complaintById"]["events"];
    assert!(
        events
            .as_array()
            .expect("events")
            .contains(&json!({ "action": "RETURN_VISIT_RECORDED" })),
        "{events}"
    );
}

type VisitClock = (
    i64,
    SlaMetric,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

/// (visit, metric, started, due, met, breached) of every visit clock.
async fn visit_clocks(app: &TestApp) -> Vec<VisitClock> {
    let mut clocks: Vec<VisitClock> = sla_clocks::Entity::find()
        .filter(sla_clocks::Column::TicketKind.eq(TicketKind::ReturnVisit))
        .all(&app.db)
        .await
        .expect("clocks")
        .into_iter()
        .map(|c| {
            (
                c.ticket_id,
                c.metric,
                c.started_at,
                c.due_at,
                c.met_at,
                c.breached_at,
            )
        })
        .collect();
    clocks.sort_by_key(|c| (c.0, c.1.to_value()));
    clocks
}

async fn all_visits(app: &TestApp) -> Vec<return_visits::Model> {
    return_visits::Entity::find()
        .order_by_asc(return_visits::Column::Id)
        .all(&app.db)
        .await
        .expect("visits")
}

/// The migration that lets visits follow any ticket keeps every repair visit, recorded or
/// not, on SQLite (the table is rebuilt) and PostgreSQL (changed in place); going back drops
/// only complaint visits, which the old table cannot hold. Scheduling works afterwards.
async fn r_sla_7_visits_survive_the_migration_down_and_up(app: TestApp) {
    let w = app.repair_world().await;
    closed_after(&app, &w, Duration::hours(1)).await;
    let visits = due(&app, &w.agent.auth).await;
    record(&app, &w.agent.auth, &visits[0], reached(app.clock_now()))
        .await
        .data();
    app.complaint_in(&w, &w.customer, "CLOSED").await;
    let before = all_visits(&app).await;
    assert_eq!(before.len(), 3);

    // The visits' clocks go back into columns and come out again: the report and review
    // clocks as they were, the visit clock met as it was (later migrations go back on the
    // way).
    let clocks = visit_clocks(&app).await;
    assert_eq!(clocks.len(), 5, "three visits, one report, one review");
    app.migrate_round_trip_from("m20261207_000010").await;
    let again = visit_clocks(&app).await;
    assert_eq!(again.len(), clocks.len());
    for (old, new) in clocks.iter().zip(&again) {
        assert_eq!(
            (old.0, old.1, &old.4, &old.5),
            (new.0, new.1, &new.4, &new.5)
        );
        if old.1 != SlaMetric::ReturnVisit {
            assert_eq!(old, new);
        }
    }

    // Back to before return visits followed every ticket (the SLA clocks' migrations go back
    // on the way).
    app.migrate_round_trip_from("m20261201_000007").await;
    let repairs: Vec<return_visits::Model> = before
        .into_iter()
        .filter(|v| v.ticket_kind == TicketKind::RepairOrder)
        .collect();
    assert_eq!(repairs.len(), 2);
    assert_eq!(all_visits(&app).await, repairs);

    let complaint = app.complaint_in(&w, &w.customer, "CLOSED").await;
    let visits = of_ticket(due(&app, &w.agent.auth).await, "COMPLAINT", &complaint);
    assert_eq!(visits.len(), 1, "the policies are back");
}
