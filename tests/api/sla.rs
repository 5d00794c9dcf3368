//! The SLA clock engine over HTTP: one clock moved at a time (the others given a week), pauses,
//! policy changes during a pause, business-time warnings, penalties per missed clock, the
//! stricter R-SLA-14 tier, external cases, confirmation for a silent customer, and two
//! sweepers over a thousand mixed clocks.

use chrono::{DateTime, Duration, TimeZone, Utc};
use entity::staff_penalties;
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use servicedesk::domain::identity::{Principal, UserPrincipal};
use servicedesk::jobs::sla_sweeper::sweep_once;
use servicedesk::services::{Env, complaints, repair_orders};
use servicedesk_tests::{Auth, ORDER_FIELDS, RepairWorld, TestApp, db_tests};
use servicedesk_tests::{NodeType, gid};

db_tests!(
    r_sla_1_r_esc_2_an_unreached_order_escalates_to_the_supervisors_at_12h_and_the_top_at_24h,
    r_sla_2_an_unreached_order_out_of_warranty_escalates_at_48h,
    r_rep_5_two_days_waiting_for_parts_move_the_arrival_breach_by_two_days,
    glpi_15605_a_policy_change_during_a_pause_keeps_the_paused_time,
    zammad_4432_a_business_time_warning_due_friday_night_fires_monday,
    r_esc_6_r_sla_10_coinciding_clocks_each_record_their_penalty,
    r_esc_6_major_complaints_earn_penalties_at_the_top_level,
    r_esc_2_reclassification_does_not_re_escalate_a_swept_deadline,
    r_sla_14_urgent_repairs_and_premium_contracts_get_the_strict_tier,
    r_cmp_8_an_external_case_pauses_the_resolution_clock_not_the_24h_update,
    r_sur_1_a_repair_nobody_confirms_is_confirmed_after_3_days,
    r_sla_1_a_revisit_after_rejection_is_judged_by_its_own_clock,
    r_sla_1_on_time_arrival_counts_orders_nobody_reached_as_late,
    waiting_for_the_customer_pauses_contact_not_arrival,
    customers_see_the_clocks_that_promise_them_something,
    sla_breaches_lists_the_centres_missed_clocks,
    two_sweepers_escalate_a_thousand_mixed_clocks_exactly_once,
    deadlines_survive_the_clock_migration_down_and_up,
    r_sla_5_new_working_hours_move_the_running_solution_clock,
    r_esc_1_the_inbox_of_each_level_is_a_policy,
    r_sla_15_a_complaint_is_first_contacted_within_one_working_day,
    r_sla_15_a_severity_switched_to_the_weekly_contact_runs_it_instead_of_the_24h_update,
);

const CLOCK_FIELDS: &str = "slaClocks { metric cycle state description dueAt remainingSeconds \
    pausedSeconds businessTime warnedAt breachedAt metAt escalationLevel holderId }";

fn at(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().expect("a time"))
        .expect("rfc3339")
        .with_timezone(&Utc)
}

/// The latest cycle of `metric` among a ticket's clocks.
fn clock<'a>(clocks: &'a Value, metric: &str) -> &'a Value {
    clocks["slaClocks"]
        .as_array()
        .expect("clocks")
        .iter()
        .filter(|c| c["metric"] == metric)
        .max_by_key(|c| c["cycle"].as_i64())
        .unwrap_or_else(|| panic!("no {metric} clock in {clocks}"))
}

async fn order(app: &TestApp, auth: &Auth, id: &Value, fields: &str) -> Value {
    let query = format!("query($id: ID!) {{ repairOrder(id: $id) {{ {fields} }} }}");
    app.gql(auth, &query, json!({ "id": id })).await.data()["repairOrder"].clone()
}

async fn complaint(app: &TestApp, auth: &Auth, id: &Value, fields: &str) -> Value {
    let query = format!("query($id: ID!) {{ complaintById(id: $id) {{ {fields} }} }}");
    app.gql(auth, &query, json!({ "id": id })).await.data()["complaintById"].clone()
}

/// The sweeper at the server's clock; how many tickets missed a deadline.
async fn sweep(app: &TestApp) -> usize {
    sweep_once(&app.db, app.clock_now())
        .await
        .map_err(|e| e.message())
        .expect("sweep")
}

/// The caller's own escalation inbox.
async fn inbox(app: &TestApp, auth: &Auth) -> Vec<Value> {
    let query = "{ escalationInbox { id ticketKind ticketId fromLevel toLevel reason target } }";
    app.gql(auth, query, json!({})).await.data()["escalationInbox"]
        .as_array()
        .expect("inbox")
        .clone()
}

/// A complaint the world's agent takes by phone (so the agent holds it).
async fn by_phone(app: &TestApp, w: &RepairWorld, category: &str, severity: &str) -> Value {
    let input = json!({ "customerId": w.customer.gid(), "channel": "PHONE",
                        "category": category, "severity": severity, "description": "Late" });
    app.gql(
        &w.agent.auth,
        "mutation($input: FileComplaintInput!) { fileComplaint(input: $input) { id version status severity escalationLevel } }",
        json!({ "input": input }),
    )
    .await
    .data()["fileComplaint"]
        .clone()
}

async fn penalties(app: &TestApp) -> Vec<(String, i32, i64)> {
    let mut rows: Vec<_> = staff_penalties::Entity::find()
        .all(&app.db)
        .await
        .expect("penalties")
        .into_iter()
        .map(|p| (p.deadline_kind, p.points, p.user_id))
        .collect();
    rows.sort();
    rows
}

async fn r_sla_1_r_esc_2_an_unreached_order_escalates_to_the_supervisors_at_12h_and_the_top_at_24h(
    app: TestApp,
) {
    let w = app.repair_world().await;
    // Only the arrival clock runs out: the contact clock gets a week.
    app.set_policy(
        &w.admin.auth,
        "REPAIR_ORDER",
        "CONTACT",
        "IN_WARRANTY",
        7 * 24 * 60,
    )
    .await;
    let reported = app.clock_now();
    let order_row = app.report(&w.customer, w.asset).await;
    assert_eq!(
        at(&order_row["slaStatus"]["deadline"]),
        reported + Duration::hours(12)
    );

    app.clock
        .set(reported + Duration::hours(12) - Duration::minutes(1));
    assert_eq!(sweep(&app).await, 0);
    app.clock
        .set(reported + Duration::hours(12) + Duration::minutes(1));
    assert_eq!(sweep(&app).await, 1);
    let seen = order(
        &app,
        &w.agent.auth,
        &order_row["id"],
        &format!("escalationLevel status {CLOCK_FIELDS}"),
    )
    .await;
    assert_eq!(seen["escalationLevel"], 2);
    let arrival = clock(&seen, "ARRIVAL");
    assert_eq!(arrival["state"], "BREACHED");
    assert_eq!(at(&arrival["breachedAt"]), reported + Duration::hours(12));
    assert_eq!(clock(&seen, "CONTACT")["state"], "RUNNING");
    // R-ESC-1 routing: level 2 is the centre supervisors' inbox.
    let items = inbox(&app, &w.supervisor.auth).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["ticketKind"], "REPAIR_ORDER");
    assert_eq!(items[0]["ticketId"], order_row["id"]);
    assert_eq!(items[0]["toLevel"], 2);
    assert!(items[0]["reason"].as_str().unwrap().contains("ARRIVAL"));
    // The top level's inbox is not a plain supervisor's.
    app.gql(
        &w.supervisor.auth,
        "{ escalationInbox(target: TOP_LEVEL) { id } }",
        json!({}),
    )
    .await
    .expect_code("FORBIDDEN");

    // Each further missed period escalates again: level 3, the top level's inbox.
    app.clock
        .set(reported + Duration::hours(24) + Duration::minutes(1));
    assert_eq!(sweep(&app).await, 1);
    let seen = order(&app, &w.agent.auth, &order_row["id"], "escalationLevel").await;
    assert_eq!(seen["escalationLevel"], 3);
    let top = app
        .user(entity::users::Role::Supervisor, Some(w.centre), None)
        .await;
    app.make_top_level(&top).await;
    let items = inbox(&app, &top.auth).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(
        (items[0]["fromLevel"].clone(), items[0]["toLevel"].clone()),
        (json!(2), json!(3))
    );
    // At the top nothing more climbs.
    app.clock
        .set(reported + Duration::hours(36) + Duration::minutes(1));
    assert_eq!(sweep(&app).await, 0);
    let escalations = entity::escalations::Entity::find()
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(escalations, 2);
}

async fn r_sla_2_an_unreached_order_out_of_warranty_escalates_at_48h(app: TestApp) {
    let w = app.repair_world().await;
    app.set_policy(
        &w.admin.auth,
        "REPAIR_ORDER",
        "CONTACT",
        "OUT_OF_WARRANTY",
        7 * 24 * 60,
    )
    .await;
    let reported = app.clock_now();
    let order_row = app.report(&w.customer, w.old_asset).await;
    app.clock
        .set(reported + Duration::hours(48) - Duration::minutes(1));
    assert_eq!(sweep(&app).await, 0);
    let seen = order(&app, &w.agent.auth, &order_row["id"], "escalationLevel").await;
    assert_eq!(seen["escalationLevel"], 1);
    app.clock
        .set(reported + Duration::hours(48) + Duration::minutes(1));
    assert_eq!(sweep(&app).await, 1);
    let seen = order(
        &app,
        &w.agent.auth,
        &order_row["id"],
        "escalationLevel slaStatus { breached }",
    )
    .await;
    assert_eq!(seen["escalationLevel"], 2);
    assert_eq!(seen["slaStatus"]["breached"], true);
}

/// R-REP-5: the agent asks for a part and the supervisor approves it, which puts the order in
/// WAITING_FOR_PARTS; returns the order as the approval left it and the request's id.
async fn wait_for_parts(app: &TestApp, w: &RepairWorld, order_row: &Value) -> (Value, Value) {
    let query = "mutation($id: ID!) { requestParts(orderId: $id, parts: [{ code: \"FAN-12\", \
                 name: \"Condenser fan\", urgency: HIGH }]) { id } }";
    let asked = app
        .gql(&w.agent.auth, query, json!({ "id": order_row["id"] }))
        .await;
    let request = asked.data()["requestParts"]["id"].clone();
    let approved = parts_step(app, &w.supervisor.auth, "approvePartsRequest", &request, "")
        .await
        .data()["approvePartsRequest"]["order"]
        .clone();
    (approved, request)
}

/// A step on a parts request, answering with the request's order.
async fn parts_step(
    app: &TestApp,
    auth: &Auth,
    name: &str,
    request: &Value,
    args: &str,
) -> servicedesk_tests::GqlResponse {
    let query = format!(
        "mutation($id: ID!) {{ {name}(id: $id{args}) {{ status order {{ {ORDER_FIELDS} }} }} }}"
    );
    app.gql(auth, &query, json!({ "id": request })).await
}

/// The request is filled from stock and its parts arrive: the order as the arrival left it.
async fn parts_arrive(app: &TestApp, w: &RepairWorld, request: &Value) -> Value {
    parts_step(
        app,
        &w.agent.auth,
        "fillPartsRequest",
        request,
        ", source: STOCK",
    )
    .await
    .data();
    parts_step(app, &w.agent.auth, "receiveParts", request, "")
        .await
        .data()["receiveParts"]["order"]
        .clone()
}

async fn r_rep_5_two_days_waiting_for_parts_move_the_arrival_breach_by_two_days(app: TestApp) {
    let w = app.repair_world().await;
    app.set_policy(
        &w.admin.auth,
        "REPAIR_ORDER",
        "CONTACT",
        "IN_WARRANTY",
        7 * 24 * 60,
    )
    .await;
    let reported = app.clock_now();
    let order_row = app.report(&w.customer, w.asset).await;
    app.clock.advance(Duration::hours(1));
    let (waiting, request) = wait_for_parts(&app, &w, &order_row).await;
    assert_eq!(waiting["status"], "WAITING_FOR_PARTS");
    assert_eq!(waiting["slaStatus"]["deadline"], Value::Null, "paused");
    // The customer reads that the order waits for parts, not the part codes.
    let mine = order(
        &app,
        &w.customer.auth,
        &order_row["id"],
        "status events { action note } waitingReason",
    )
    .await;
    assert_eq!(mine["status"], "WAITING_FOR_PARTS");
    assert!(
        mine["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["note"] == "waiting for parts")
    );
    assert_eq!(mine["waitingReason"], Value::Null);
    assert!(!mine.to_string().contains("FAN-12"));
    let staff = order(&app, &w.agent.auth, &order_row["id"], "waitingReason").await;
    assert!(staff["waitingReason"].as_str().unwrap().contains("FAN-12"));

    // The original deadline passes while waiting: nothing is missed.
    app.clock.set(reported + Duration::hours(13));
    assert_eq!(sweep(&app).await, 0);
    app.clock
        .set(reported + Duration::hours(1) + Duration::days(2));
    let back = parts_arrive(&app, &w, &request).await;
    assert_eq!(back["status"], "SUBMITTED", "back where it waited");
    let due = reported + Duration::hours(12) + Duration::days(2);
    assert_eq!(at(&back["slaStatus"]["deadline"]), due);
    app.clock.set(due - Duration::minutes(1));
    assert_eq!(sweep(&app).await, 0);
    app.clock.set(due + Duration::minutes(1));
    assert_eq!(sweep(&app).await, 1);
    let seen = order(&app, &w.agent.auth, &order_row["id"], CLOCK_FIELDS).await;
    let arrival = clock(&seen, "ARRIVAL");
    assert_eq!(at(&arrival["breachedAt"]), due);
    assert_eq!(arrival["pausedSeconds"], 2 * 24 * 3600);
    // Parts arrive once.
    parts_step(&app, &w.agent.auth, "receiveParts", &request, "")
        .await
        .expect_code("INVALID_TRANSITION");
}

async fn glpi_15605_a_policy_change_during_a_pause_keeps_the_paused_time(app: TestApp) {
    let w = app.repair_world().await;
    let reported = app.clock_now();
    let order_row = app.report(&w.customer, w.asset).await;
    app.clock.advance(Duration::hours(1));
    let (_, request) = wait_for_parts(&app, &w, &order_row).await;
    app.clock.advance(Duration::hours(48));
    // The limit changes while the order waits.
    app.set_policy(
        &w.admin.auth,
        "REPAIR_ORDER",
        "ARRIVAL",
        "IN_WARRANTY",
        6 * 60,
    )
    .await;
    let back = parts_arrive(&app, &w, &request).await;
    // Start + the new limit + every second of the pause.
    assert_eq!(
        at(&back["slaStatus"]["deadline"]),
        reported + Duration::hours(6) + Duration::hours(48)
    );
    let seen = order(&app, &w.agent.auth, &order_row["id"], CLOCK_FIELDS).await;
    assert_eq!(clock(&seen, "ARRIVAL")["pausedSeconds"], 48 * 3600);
    // A running clock takes a change at once, from its own start.
    app.set_policy(
        &w.admin.auth,
        "REPAIR_ORDER",
        "ARRIVAL",
        "IN_WARRANTY",
        8 * 60,
    )
    .await;
    let seen = order(
        &app,
        &w.agent.auth,
        &order_row["id"],
        "slaStatus { deadline }",
    )
    .await;
    assert_eq!(
        at(&seen["slaStatus"]["deadline"]),
        reported + Duration::hours(8) + Duration::hours(48)
    );
}

async fn zammad_4432_a_business_time_warning_due_friday_night_fires_monday(app: TestApp) {
    let w = app.repair_world().await;
    app.only_complaint_clock(&w.admin.auth, "GENERAL", "PROGRESS_UPDATE")
        .await;
    // The update clock in working time: 8 working hours, warned at 75 %.
    let policy = "mutation { updateSlaPolicy(ticketKind: COMPLAINT, metric: PROGRESS_UPDATE, \
        scope: \"GENERAL\", durationMinutes: 480, businessTime: true, warnPercents: [75]) { businessTime warnPercents } }";
    let set = app.gql(&w.admin.auth, policy, json!({})).await;
    assert_eq!(set.data()["updateSlaPolicy"]["warnPercents"], json!([75]));
    // Friday 2026-11-06 15:00 in Shanghai (the centre's zone, 09:00–18:00 by default). On the
    // wall clock 75 % of 8 h is Friday 21:00; in working time it is Monday 12:00.
    let friday = Utc.with_ymd_and_hms(2026, 11, 6, 7, 0, 0).unwrap();
    app.clock.set(friday);
    let filed = by_phone(&app, &w, "SERVICE_ATTITUDE", "GENERAL").await;
    let update = |c: &Value| clock(c, "PROGRESS_UPDATE").clone();
    let seen = complaint(&app, &w.agent.auth, &filed["id"], CLOCK_FIELDS).await;
    assert_eq!(update(&seen)["businessTime"], true);
    // Monday 14:00 Shanghai.
    assert_eq!(
        at(&update(&seen)["dueAt"]),
        Utc.with_ymd_and_hms(2026, 11, 9, 6, 0, 0).unwrap()
    );
    let warnings = |c: &Value| {
        c["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "SLA_WARNING")
            .count()
    };
    for (moment, expected) in [
        (friday + Duration::hours(6), 0),  // Friday 21:00
        (friday + Duration::hours(30), 0), // Saturday 21:00
        (Utc.with_ymd_and_hms(2026, 11, 9, 3, 59, 0).unwrap(), 0), // Monday 11:59
        (Utc.with_ymd_and_hms(2026, 11, 9, 4, 0, 0).unwrap(), 1), // Monday 12:00
    ] {
        app.clock.set(moment);
        sweep(&app).await;
        let seen = complaint(
            &app,
            &w.agent.auth,
            &filed["id"],
            &format!("events(sla: true) {{ action note }} {CLOCK_FIELDS}"),
        )
        .await;
        assert_eq!(warnings(&seen), expected, "at {moment}");
        if expected == 1 {
            assert_eq!(at(&update(&seen)["warnedAt"]), moment);
        }
    }
}

async fn r_esc_6_r_sla_10_coinciding_clocks_each_record_their_penalty(app: TestApp) {
    let w = app.repair_world().await;
    let filed = by_phone(&app, &w, "SERVICE_ATTITUDE", "GENERAL").await;
    // First response, update and resolution all run out at 24 h (the defaults).
    app.clock
        .advance(Duration::hours(24) + Duration::minutes(5));
    assert_eq!(sweep(&app).await, 1);
    let agent = w.agent.id;
    assert_eq!(
        penalties(&app).await,
        vec![
            ("FIRST_RESPONSE".into(), 5, agent),
            ("PROGRESS_UPDATE".into(), 5, agent),
            ("RESOLUTION".into(), 5, agent),
        ]
    );
    // One missed period: one level, naming every clock.
    let seen = complaint(
        &app,
        &w.agent.auth,
        &filed["id"],
        "escalationLevel escalations { reason automatic }",
    )
    .await;
    assert_eq!(seen["escalationLevel"], 2);
    let escalations = seen["escalations"].as_array().unwrap();
    assert_eq!(escalations.len(), 1);
    let reason = escalations[0]["reason"].as_str().unwrap();
    for metric in ["FIRST_RESPONSE", "PROGRESS_UPDATE", "RESOLUTION"] {
        assert!(reason.contains(metric), "{reason}");
    }
    // Still missed 11 minutes on: each penalty moves up a tier (R-SLA-10).
    app.clock.advance(Duration::minutes(6));
    sweep(&app).await;
    let points: Vec<i32> = penalties(&app).await.into_iter().map(|p| p.1).collect();
    assert_eq!(points, vec![10, 10, 10]);
}

async fn r_esc_6_major_complaints_earn_penalties_at_the_top_level(app: TestApp) {
    let w = app.repair_world().await;
    let filed = by_phone(&app, &w, "OTHER", "MAJOR").await;
    assert_eq!(filed["escalationLevel"], 3);
    app.clock
        .advance(Duration::hours(24) + Duration::minutes(40));
    assert_eq!(sweep(&app).await, 1);
    let agent = w.agent.id;
    assert_eq!(
        penalties(&app).await,
        vec![
            ("FIRST_RESPONSE".into(), 20, agent),
            ("PROGRESS_UPDATE".into(), 20, agent),
        ]
    );
    let seen = complaint(
        &app,
        &w.agent.auth,
        &filed["id"],
        "escalationLevel events { action }",
    )
    .await;
    assert_eq!(seen["escalationLevel"], 3);
    assert!(
        seen["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "DEADLINE_MISSED")
    );
}

async fn r_esc_2_reclassification_does_not_re_escalate_a_swept_deadline(app: TestApp) {
    let w = app.repair_world().await;
    app.only_complaint_clock(&w.admin.auth, "GENERAL", "FIRST_RESPONSE")
        .await;
    app.only_complaint_clock(&w.admin.auth, "SERIOUS", "FIRST_RESPONSE")
        .await;
    let filed = by_phone(&app, &w, "DELAY", "GENERAL").await;
    app.clock
        .advance(Duration::hours(24) + Duration::minutes(1));
    assert_eq!(sweep(&app).await, 1);
    let seen = complaint(
        &app,
        &w.agent.auth,
        &filed["id"],
        "id version escalationLevel",
    )
    .await;
    assert_eq!(seen["escalationLevel"], 2);
    let reclassified = app
        .complaint_ok(
            &w.agent.auth,
            "reclassifyComplaint",
            &seen,
            ", severity: SERIOUS",
        )
        .await;
    assert_eq!(reclassified["status"], "RECEIVED");
    assert_eq!(
        sweep(&app).await,
        0,
        "the swept deadline is not missed again"
    );
    app.clock.advance(Duration::hours(1));
    assert_eq!(sweep(&app).await, 0);
    let seen = complaint(
        &app,
        &w.agent.auth,
        &filed["id"],
        &format!("escalationLevel escalations {{ automatic }} {CLOCK_FIELDS}"),
    )
    .await;
    assert_eq!(seen["escalationLevel"], 2);
    let automatic = seen["escalations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["automatic"] == true)
        .count();
    assert_eq!(automatic, 1);
    // The other clocks took the SERIOUS limits from their own start.
    let created = at(&clock(&seen, "RESOLUTION")["dueAt"]) - Duration::days(7);
    assert_eq!(
        created + Duration::hours(25) + Duration::minutes(1),
        app.clock_now()
    );
}

async fn r_sla_14_urgent_repairs_and_premium_contracts_get_the_strict_tier(app: TestApp) {
    let w = app.repair_world().await;
    let reported = app.clock_now();
    let query = format!(
        "mutation($input: ReportFaultInput!) {{ reportFault(input: $input) {{ id slaTier {CLOCK_FIELDS} }} }}"
    );
    let input = json!({ "assetId": gid(NodeType::Asset, w.asset), "faultDescription": "Water on the floor",
                        "serviceAddress": "Room 1201", "contactPhone": "13812345678", "priority": "URGENT" });
    let urgent = app
        .gql(&w.customer.auth, &query, json!({ "input": input }))
        .await
        .data()["reportFault"]
        .clone();
    assert_eq!(urgent["slaTier"], "URGENT");
    assert_eq!(
        at(&clock(&urgent, "ARRIVAL")["dueAt"]),
        reported + Duration::minutes(30)
    );
    assert_eq!(
        at(&clock(&urgent, "CONTACT")["dueAt"]),
        reported + Duration::minutes(30)
    );
    assert_eq!(
        at(&clock(&urgent, "RESOLUTION")["dueAt"]),
        reported + Duration::hours(24)
    );

    // A customer whose contract is PREMIUM: contact 30 min, on site 2 h, fixed in 24 h.
    entity::users::Entity::update_many()
        .col_expr(
            entity::users::Column::SlaTier,
            sea_orm::sea_query::Expr::value("PREMIUM"),
        )
        .filter(entity::users::Column::Id.eq(w.customer.id))
        .exec(&app.db)
        .await
        .unwrap();
    let by_agent = json!({ "customerId": w.customer.gid(), "assetId": gid(NodeType::Asset, w.asset),
                           "faultDescription": "Noisy", "serviceAddress": "Room 1201", "contactPhone": "13812345678" });
    let premium = app
        .gql(&w.agent.auth, &query, json!({ "input": by_agent }))
        .await
        .data()["reportFault"]
        .clone();
    assert_eq!(premium["slaTier"], "PREMIUM");
    assert_eq!(
        at(&clock(&premium, "CONTACT")["dueAt"]),
        reported + Duration::minutes(30)
    );
    assert_eq!(
        clock(&premium, "CONTACT")["state"],
        "MET",
        "a customer on the phone is in contact"
    );
    assert_eq!(
        at(&clock(&premium, "ARRIVAL")["dueAt"]),
        reported + Duration::hours(2)
    );
    assert_eq!(
        at(&clock(&premium, "RESOLUTION")["dueAt"]),
        reported + Duration::hours(24)
    );

    // 31 minutes on, the urgent order's contact and arrival are missed: one level up.
    app.clock.advance(Duration::minutes(31));
    assert_eq!(sweep(&app).await, 1);
    let seen = order(&app, &w.agent.auth, &urgent["id"], "escalationLevel").await;
    assert_eq!(seen["escalationLevel"], 2);
}

async fn external_case(app: &TestApp, w: &RepairWorld, filed: &Value) -> Value {
    app.complaint_ok(
        &w.agent.auth,
        "openExternalCase",
        filed,
        ", authority: \"Pudong police\", reference: \"PD-2026-114\"",
    )
    .await
}

async fn r_cmp_8_an_external_case_pauses_the_resolution_clock_not_the_24h_update(app: TestApp) {
    let w = app.repair_world().await;
    let now = app.clock_now();
    let acknowledge = format!(
        ", promisedResolutionAt: \"{}\", nextContactAt: \"{}\"",
        (now + Duration::days(30)).to_rfc3339(),
        (now + Duration::hours(20)).to_rfc3339()
    );
    // Only a complaint that caused loss or injury becomes an external case.
    let general = by_phone(&app, &w, "DELAY", "GENERAL").await;
    let general = app
        .complaint_ok(
            &w.agent.auth,
            "acknowledgeComplaint",
            &general,
            &acknowledge,
        )
        .await;
    app.complaint_op(
        &w.agent.auth,
        "openExternalCase",
        &general,
        ", authority: \"police\", reference: \"1\"",
    )
    .await
    .expect_code("BAD_USER_INPUT");
    let filed = by_phone(&app, &w, "PROPERTY_DAMAGE", "SERIOUS").await;
    let acknowledged = app
        .complaint_ok(&w.agent.auth, "acknowledgeComplaint", &filed, &acknowledge)
        .await;
    app.clock.advance(Duration::hours(1));
    let external = external_case(&app, &w, &acknowledged).await;
    assert_eq!(external["status"], "EXTERNAL_CASE");
    let seen = complaint(&app, &w.agent.auth, &filed["id"], CLOCK_FIELDS).await;
    assert_eq!(clock(&seen, "RESOLUTION")["state"], "PAUSED");
    assert_eq!(clock(&seen, "SOLUTION")["state"], "PAUSED");
    assert_eq!(clock(&seen, "PROGRESS_UPDATE")["state"], "RUNNING");
    // The 24 h update still applies (R-SLA-3) …
    app.clock
        .set(now + Duration::hours(24) + Duration::minutes(1));
    assert_eq!(sweep(&app).await, 2, "both complaints missed their update");
    let seen = complaint(&app, &w.agent.auth, &filed["id"], CLOCK_FIELDS).await;
    let second_update = seen["slaClocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["metric"] == "PROGRESS_UPDATE" && k["cycle"] == 2)
        .cloned()
        .expect("the update cycle the acknowledgement started");
    assert_eq!(second_update["state"], "BREACHED");
    assert_eq!(clock(&seen, "RESOLUTION")["state"], "PAUSED");
    // … the 72 h resolution does not, however long the case takes.
    app.clock.set(now + Duration::days(10));
    sweep(&app).await;
    let seen = complaint(
        &app,
        &w.agent.auth,
        &filed["id"],
        &format!("version {CLOCK_FIELDS}"),
    )
    .await;
    assert_eq!(clock(&seen, "RESOLUTION")["state"], "PAUSED");
    assert_eq!(clock(&seen, "RESOLUTION")["breachedAt"], Value::Null);
    let missed_updates = seen["slaClocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["metric"] == "PROGRESS_UPDATE" && c["state"] == "BREACHED")
        .count();
    assert!(
        missed_updates >= 9,
        "a cycle per missed day: {missed_updates}"
    );
    // The investigation recorded during the case meets the paused solution clock in time.
    let investigated = app
        .complaint_ok(
            &w.agent.auth,
            "recordInvestigation",
            &json!({ "id": filed["id"], "version": seen["version"] }),
            ", cause: \"Burst pipe\", responsibleParty: \"Installer\", justified: true",
        )
        .await;
    assert_eq!(investigated["status"], "EXTERNAL_CASE");
    let seen = complaint(&app, &w.agent.auth, &filed["id"], CLOCK_FIELDS).await;
    assert_eq!(clock(&seen, "SOLUTION")["state"], "MET");
    let back = app
        .complaint_ok(
            &w.agent.auth,
            "closeExternalCase",
            &investigated,
            ", outcome: \"The insurer paid\"",
        )
        .await;
    assert_eq!(back["status"], "INVESTIGATING");
    let seen = complaint(&app, &w.agent.auth, &filed["id"], CLOCK_FIELDS).await;
    let resolution = clock(&seen, "RESOLUTION");
    assert_eq!(resolution["state"], "RUNNING");
    let paused = Duration::days(10) - Duration::hours(1);
    assert_eq!(resolution["pausedSeconds"], paused.num_seconds());
    assert_eq!(at(&resolution["dueAt"]), now + Duration::hours(72) + paused);
}

async fn r_sur_1_a_repair_nobody_confirms_is_confirmed_after_3_days(app: TestApp) {
    let w = app.repair_world().await;
    let completed = app.order_in(&w, "COMPLETED").await;
    app.clock.advance(Duration::days(3) - Duration::minutes(1));
    sweep(&app).await;
    assert_eq!(
        order(&app, &w.agent.auth, &completed["id"], "status").await["status"],
        "COMPLETED"
    );
    app.clock.advance(Duration::minutes(2));
    sweep(&app).await;
    let seen = order(
        &app,
        &w.customer.auth,
        &completed["id"],
        "id status version events { action note }",
    )
    .await;
    assert_eq!(seen["status"], "CONFIRMED");
    assert!(
        seen["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "AUTO_CONFIRMED")
    );
    // The survey goes out as for a confirmed repair (R-SUR-1), and the order closes as usual.
    let surveys = app
        .gql(
            &w.customer.auth,
            "{ mySurveys { ticketKind ticketId } }",
            json!({}),
        )
        .await;
    assert_eq!(surveys.data()["mySurveys"].as_array().unwrap().len(), 1);
    let closed = app.repair_ok(&w.agent.auth, "closeRepair", &seen, "").await;
    assert_eq!(closed["status"], "CLOSED");
    // The customer's silence costs the technician nothing.
    assert!(penalties(&app).await.is_empty());
}

async fn r_sla_1_a_revisit_after_rejection_is_judged_by_its_own_clock(app: TestApp) {
    let w = app.repair_world().await;
    let reopened = app.order_in(&w, "REOPENED").await;
    let rejected_at = app.clock_now();
    app.clock.advance(Duration::hours(11));
    assert_eq!(
        sweep(&app).await,
        0,
        "the first visit's deadline is not the revisit's"
    );
    let tech = format!(", technicianId: \"{}\"", w.technician.gid());
    let mut order_row = app
        .repair_ok(&w.agent.auth, "assignTechnician", &reopened, &tech)
        .await;
    for name in ["acceptRepair", "startTravel", "markArrived"] {
        order_row = app
            .repair_ok(&w.technician.auth, name, &order_row, "")
            .await;
    }
    assert_eq!(order_row["slaStatus"]["breached"], false);
    let seen = order(&app, &w.agent.auth, &reopened["id"], CLOCK_FIELDS).await;
    let revisit = clock(&seen, "ARRIVAL");
    assert_eq!(revisit["cycle"], 2);
    assert_eq!(revisit["state"], "MET");
    assert_eq!(at(&revisit["dueAt"]), rejected_at + Duration::hours(12));
}

async fn r_sla_1_on_time_arrival_counts_orders_nobody_reached_as_late(app: TestApp) {
    let w = app.repair_world().await;
    let start = app.clock_now() - Duration::hours(1);
    app.order_in(&w, "ON_SITE").await; // on time
    app.report(&w.customer, w.asset).await; // nobody comes
    app.clock.advance(Duration::hours(13));
    let query = "query($from: DateTime!, $to: DateTime!) { serviceMetrics(from: $from, to: $to) { onTimeArrivalRate { numerator denominator } } }";
    let period =
        json!({ "from": start.to_rfc3339(), "to": (start + Duration::days(1)).to_rfc3339() });
    let rate = app.gql(&w.supervisor.auth, query, period).await;
    assert_eq!(
        rate.data()["serviceMetrics"]["onTimeArrivalRate"],
        json!({ "numerator": 1, "denominator": 2 })
    );
}

async fn waiting_for_the_customer_pauses_contact_not_arrival(app: TestApp) {
    let w = app.repair_world().await;
    let reported = app.order_in(&w, "ASSIGNED").await;
    let unreachable = app
        .repair_ok(
            &w.agent.auth,
            "markCustomerUnreachable",
            &reported,
            ", reason: \"Phone off, three calls\"",
        )
        .await;
    assert_eq!(unreachable["status"], "WAITING_FOR_CUSTOMER");
    let seen = order(&app, &w.agent.auth, &reported["id"], CLOCK_FIELDS).await;
    assert_eq!(clock(&seen, "CONTACT")["state"], "PAUSED");
    assert_eq!(
        clock(&seen, "ARRIVAL")["state"],
        "RUNNING",
        "RULES.md: arrival does not pause"
    );
    // Closing an unreachable customer's order needs the reason.
    let missing = app
        .repair_op(&w.agent.auth, "closeRepair", &unreachable, "")
        .await;
    missing.expect_code("BAD_USER_INPUT");
    assert_eq!(missing.body["errors"][0]["extensions"]["field"], "reason");
    let closed = app
        .repair_ok(
            &w.agent.auth,
            "closeRepair",
            &unreachable,
            ", reason: \"Unreachable for two weeks\"",
        )
        .await;
    assert_eq!(closed["status"], "CLOSED");
    let seen = order(&app, &w.agent.auth, &reported["id"], CLOCK_FIELDS).await;
    assert_eq!(clock(&seen, "ARRIVAL")["state"], "STOPPED");
    assert_eq!(clock(&seen, "CONTACT")["state"], "STOPPED");
}

async fn customers_see_the_clocks_that_promise_them_something(app: TestApp) {
    let w = app.repair_world().await;
    let order_row = app.report(&w.customer, w.asset).await;
    let mine = order(&app, &w.customer.auth, &order_row["id"], CLOCK_FIELDS).await;
    for c in mine["slaClocks"].as_array().unwrap() {
        assert!(c["description"].is_string(), "{c}");
        assert_eq!(c["holderId"], Value::Null);
    }
    let filed = app.complaint_in(&w, &w.customer, "INVESTIGATING").await;
    let tracked = app
        .gql(
            &w.customer.auth,
            "query($n: String!) { complaint(number: $n) { slaClocks { metric description } } }",
            json!({ "n": filed["number"] }),
        )
        .await;
    let metrics: Vec<_> = tracked.data()["complaint"]["slaClocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["metric"].as_str().unwrap().to_owned())
        .collect();
    assert!(!metrics.is_empty());
    assert!(
        !metrics.contains(&"SOLUTION".to_owned()),
        "the solution clock is the staff's: {metrics:?}"
    );
    let staff = complaint(&app, &w.agent.auth, &filed["id"], CLOCK_FIELDS).await;
    assert!(
        staff["slaClocks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["metric"] == "SOLUTION")
    );
}

async fn sla_breaches_lists_the_centres_missed_clocks(app: TestApp) {
    let w = app.repair_world().await;
    app.only_complaint_clock(&w.admin.auth, "GENERAL", "FIRST_RESPONSE")
        .await;
    by_phone(&app, &w, "DELAY", "GENERAL").await;
    app.clock
        .advance(Duration::hours(24) + Duration::minutes(1));
    sweep(&app).await;
    let query = "{ slaBreaches(first: 10, filter: { ticketKind: COMPLAINT }) { edges { node { ticketKind metric state holderId } } } }";
    let page = app.gql(&w.supervisor.auth, query, json!({})).await;
    let edges = page.data()["slaBreaches"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(edges.len(), 1);
    assert_eq!(edges[0]["node"]["metric"], "FIRST_RESPONSE");
    assert_eq!(edges[0]["node"]["holderId"], w.agent.gid());
    let elsewhere = app
        .user(entity::users::Role::Supervisor, Some(w.other_centre), None)
        .await;
    let none = app.gql(&elsewhere.auth, query, json!({})).await;
    assert_eq!(none.data()["slaBreaches"]["edges"], json!([]));
    app.gql(&w.customer.auth, query, json!({}))
        .await
        .expect_code("FORBIDDEN");
}

/// R-SLA-5: new working hours recompute the centre's running business-time clocks from their
/// own start.
async fn r_sla_5_new_working_hours_move_the_running_solution_clock(app: TestApp) {
    let w = app.repair_world().await;
    // Acknowledged on Monday 17:00 in Shanghai: one working day is Tuesday 17:00.
    let filed = app.complaint_in(&w, &w.customer, "ACKNOWLEDGED").await;
    let seen = complaint(&app, &w.agent.auth, &filed["id"], CLOCK_FIELDS).await;
    assert_eq!(
        at(&clock(&seen, "SOLUTION")["dueAt"]),
        Utc.with_ymd_and_hms(2026, 11, 3, 9, 0, 0).unwrap()
    );
    // Mornings only: work starts Tuesday 09:00, one working day later is Wednesday 09:00.
    let hours: Vec<String> = (1..=5)
        .map(|d| format!("{{ weekday: {d}, start: \"09:00:00\", end: \"12:00:00\" }}"))
        .collect();
    let mutation = format!(
        "mutation {{ setBusinessHours(serviceCentreId: \"{}\", hours: [{}]) }}",
        gid(NodeType::ServiceCentre, w.centre),
        hours.join(", ")
    );
    app.gql(&w.admin.auth, &mutation, json!({})).await.data();
    let seen = complaint(&app, &w.agent.auth, &filed["id"], CLOCK_FIELDS).await;
    assert_eq!(
        at(&clock(&seen, "SOLUTION")["dueAt"]),
        Utc.with_ymd_and_hms(2026, 11, 4, 1, 0, 0).unwrap()
    );
}

/// Open deadlines as (kind, ticket, metric, due, met): what both schemas can hold.
async fn deadlines(app: &TestApp) -> Vec<(String, i64, String, DateTime<Utc>, bool)> {
    let mut rows: Vec<_> = entity::sla_clocks::Entity::find()
        .all(&app.db)
        .await
        .expect("clocks")
        .into_iter()
        .filter(|c| {
            matches!(
                c.metric,
                entity::sla_policies::SlaMetric::Arrival
                    | entity::sla_policies::SlaMetric::FirstResponse
                    | entity::sla_policies::SlaMetric::Solution
                    | entity::sla_policies::SlaMetric::Resolution
            )
        })
        .map(|c| {
            (
                format!("{:?}", c.ticket_kind),
                c.ticket_id,
                format!("{:?}", c.metric),
                c.due_at,
                c.met_at.is_some(),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// Migration 000009 moves the deadline columns into clocks and `down` puts them back: an open
/// order whose customer moved its arrival, an acknowledged complaint, back and forth, keep
/// their due times, and the sweeper escalates them when they fall due.
async fn deadlines_survive_the_clock_migration_down_and_up(app: TestApp) {
    let w = app.repair_world().await;
    let reported = app.clock_now();
    let order_row = app.report(&w.customer, w.asset).await;
    let window = (
        reported + Duration::hours(20),
        reported + Duration::hours(22),
    );
    let args = format!(
        ", start: \"{}\", end: \"{}\"",
        window.0.to_rfc3339(),
        window.1.to_rfc3339()
    );
    let booked = app
        .repair_ok(&w.customer.auth, "scheduleAppointment", &order_row, &args)
        .await;
    assert_eq!(at(&booked["slaStatus"]["deadline"]), window.1);
    let filed = app.complaint_in(&w, &w.customer, "ACKNOWLEDGED").await;
    let before = deadlines(&app).await;
    assert_eq!(before.len(), 4, "{before:?}");

    // The later migrations go back on the way.
    app.migrate_round_trip_from("m20261207_000009").await;
    assert_eq!(deadlines(&app).await, before);
    let seen = order(
        &app,
        &w.agent.auth,
        &order_row["id"],
        "slaStatus { deadline customerRequested }",
    )
    .await;
    assert_eq!(seen["slaStatus"]["customerRequested"], true);

    app.clock.set(window.1 + Duration::minutes(1));
    sweep(&app).await;
    let seen = order(&app, &w.agent.auth, &order_row["id"], "escalationLevel").await;
    assert_eq!(
        seen["escalationLevel"], 2,
        "the migrated arrival clock runs out"
    );
    let seen = complaint(&app, &w.agent.auth, &filed["id"], "escalationLevel").await;
    assert_eq!(seen["escalationLevel"], 1, "not due before 24 h");
    app.clock
        .set(reported + Duration::hours(24) + Duration::minutes(1));
    sweep(&app).await;
    let seen = complaint(&app, &w.agent.auth, &filed["id"], "escalationLevel").await;
    assert_eq!(
        seen["escalationLevel"], 2,
        "the migrated clocks run out at 24 h"
    );
}

/// The acceptance case: two sweepers side by side over a thousand overdue clocks of both
/// kinds (PostgreSQL; SQLite serializes writers and gets fewer): every ticket climbs exactly
/// the levels its missed periods give it, once.
async fn two_sweepers_escalate_a_thousand_mixed_clocks_exactly_once(app: TestApp) {
    let w = app.repair_world().await;
    let postgres = app.db.get_database_backend() == DbBackend::Postgres;
    // Each order has 2 clocks (contact 24 h, arrival 12 h), each complaint 3 (24 h).
    let (orders, filed) = if postgres { (200, 200) } else { (20, 20) };
    let start = app.clock_now();
    let settings = app.state_settings();
    let customer = Principal::User(UserPrincipal::from(
        &servicedesk::store::users::get(&app.db, w.customer.id)
            .await
            .map_err(|e| e.message())
            .unwrap(),
    ));
    let agent = Principal::User(UserPrincipal::from(
        &servicedesk::store::users::get(&app.db, w.agent.id)
            .await
            .map_err(|e| e.message())
            .unwrap(),
    ));
    let env = |actor| Env {
        db: &app.db,
        now: start,
        actor,
        settings: &settings,
    };
    for i in 0..orders {
        repair_orders::report_fault(
            &env(&customer),
            repair_orders::ReportFault {
                customer_id: None,
                asset_id: w.asset,
                service_centre_id: None,
                request_type: entity::repair_orders::RequestType::Repair,
                fault_description: Some(format!("fault {i}")),
                service_address: "Room 1201".into(),
                contact_phone: "13812345678".into(),
                priority: None,
                channel: None,
                external_reference: None,
            },
        )
        .await
        .map_err(|e| e.message())
        .expect("report");
    }
    for i in 0..filed {
        complaints::file(
            &env(&agent),
            complaints::FileComplaint {
                customer_id: Some(w.customer.id),
                repair_order_id: None,
                service_centre_id: None,
                channel: Some(entity::complaints::ComplaintChannel::Phone),
                category: entity::complaints::ComplaintCategory::Delay,
                severity: None,
                description: format!("complaint {i}"),
                external_reference: None,
                details: Default::default(),
            },
        )
        .await
        .map_err(|e| e.message())
        .expect("file");
    }
    let clocks = entity::sla_clocks::Entity::find()
        .count(&app.db)
        .await
        .unwrap();
    // A complaint: first response, first contact (R-SLA-15), progress update, resolution.
    assert_eq!(clocks, (2 * orders + 4 * filed) as u64);

    let now = start + Duration::hours(24) + Duration::minutes(1);
    app.clock.set(now);
    let (a, b) = tokio::join!(sweep_once(&app.db, now), sweep_once(&app.db, now));
    let (a, b) = (
        a.map_err(|e| e.message()).unwrap(),
        b.map_err(|e| e.message()).unwrap(),
    );
    eprintln!("sweepers handled {a} + {b} tickets");
    assert_eq!(
        a + b,
        orders + filed,
        "every ticket swept by exactly one sweeper"
    );
    if postgres {
        assert!(a > 0 && b > 0, "one sweeper did all: {a} + {b}");
    }
    assert_eq!(sweep(&app).await, 0, "nothing left due");
    let due = entity::sla_clocks::Entity::find()
        .filter(entity::sla_clocks::Column::NextCheckAt.lte(now))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(due, 0);
    // An order missed its arrival at 12 h and again at 24 h (with contact): L1 → L2 → L3; a
    // complaint missed three clocks at 24 h: L1 → L2.
    let rows = entity::escalations::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    let mut per_ticket = std::collections::BTreeMap::<(String, i64), Vec<(i16, i16)>>::new();
    for e in rows {
        per_ticket
            .entry((format!("{:?}", e.ticket_kind), e.ticket_id))
            .or_default()
            .push((e.from_level, e.to_level));
    }
    assert_eq!(per_ticket.len(), orders + filed);
    for ((kind, id), steps) in per_ticket {
        let expected = if kind == "RepairOrder" {
            vec![(1, 2), (2, 3)]
        } else {
            vec![(1, 2)]
        };
        assert_eq!(steps, expected, "{kind} {id}");
    }
}

/// R-ESC-1 routing is a policy: an admin sends repair orders at level 2 straight to the top
/// level; the arrival breach lands in the top level's inbox, not the supervisors', while a
/// SERIOUS complaint still reaches the supervisors. Routes are checked at the boundary.
async fn r_esc_1_the_inbox_of_each_level_is_a_policy(app: TestApp) {
    let w = app.repair_world().await;
    let routes = "{ escalationRoutes { ticketKind level target } }";
    let listed = app.gql(&w.supervisor.auth, routes, json!({})).await;
    assert_eq!(
        listed.data()["escalationRoutes"],
        json!([
            { "ticketKind": "COMPLAINT", "level": 2, "target": "CENTRE_SUPERVISORS" },
            { "ticketKind": "COMPLAINT", "level": 3, "target": "TOP_LEVEL" },
            { "ticketKind": "REPAIR_ORDER", "level": 2, "target": "CENTRE_SUPERVISORS" },
            { "ticketKind": "REPAIR_ORDER", "level": 3, "target": "TOP_LEVEL" },
        ])
    );
    let set = "mutation($kind: TicketKind!, $level: Int!) {
        setEscalationRoute(ticketKind: $kind, level: $level, target: TOP_LEVEL) {
            ticketKind level target } }";
    let args = |kind: &str, level: i32| json!({ "kind": kind, "level": level });
    app.gql(&w.supervisor.auth, set, args("REPAIR_ORDER", 2))
        .await
        .expect_code("FORBIDDEN");
    for (kind, level, field) in [
        ("REPAIR_ORDER", 1, "level"),
        ("REPAIR_ORDER", 4, "level"),
        ("RETURN_VISIT", 2, "ticketKind"),
    ] {
        let refused = app.gql(&w.admin.auth, set, args(kind, level)).await;
        assert_eq!(refused.expect_code("BAD_USER_INPUT")["field"], field);
    }
    let routed = app.gql(&w.admin.auth, set, args("REPAIR_ORDER", 2)).await;
    assert_eq!(
        routed.data()["setEscalationRoute"],
        json!({ "ticketKind": "REPAIR_ORDER", "level": 2, "target": "TOP_LEVEL" })
    );

    app.set_policy(
        &w.admin.auth,
        "REPAIR_ORDER",
        "CONTACT",
        "IN_WARRANTY",
        7 * 24 * 60,
    )
    .await;
    let reported = app.clock_now();
    let order_row = app.report(&w.customer, w.asset).await;
    app.clock
        .set(reported + Duration::hours(12) + Duration::minutes(1));
    assert_eq!(sweep(&app).await, 1);
    assert_eq!(inbox(&app, &w.supervisor.auth).await, Vec::<Value>::new());
    let top = app
        .user(entity::users::Role::Supervisor, Some(w.centre), None)
        .await;
    app.make_top_level(&top).await;
    let items = inbox(&app, &top.auth).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["ticketId"], order_row["id"]);
    assert_eq!(items[0]["toLevel"], 2);
    assert_eq!(items[0]["target"], "TOP_LEVEL");
    let take = "mutation($id: ID!) { acknowledgeEscalation(id: $id) { acknowledgedAt } }";
    app.gql(&w.supervisor.auth, take, json!({ "id": items[0]["id"] }))
        .await
        .expect_code("FORBIDDEN");
    app.gql(&top.auth, take, json!({ "id": items[0]["id"] }))
        .await
        .data();

    by_phone(&app, &w, "PROPERTY_DAMAGE", "SERIOUS").await;
    let items = inbox(&app, &w.supervisor.auth).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["ticketKind"], "COMPLAINT");
    assert_eq!(items[0]["target"], "CENTRE_SUPERVISORS");
}

fn metrics_of(clocks: &Value) -> Vec<String> {
    clocks["slaClocks"]
        .as_array()
        .expect("clocks")
        .iter()
        .map(|c| c["metric"].as_str().unwrap().to_owned())
        .collect()
}

async fn r_sla_15_a_complaint_is_first_contacted_within_one_working_day(app: TestApp) {
    let w = app.repair_world().await;
    // Friday 2026-11-06 17:00 in Shanghai (09:00–18:00): one working day later is Monday
    // 17:00, not Saturday as on the wall clock.
    let friday = Utc.with_ymd_and_hms(2026, 11, 6, 9, 0, 0).unwrap();
    let monday = Utc.with_ymd_and_hms(2026, 11, 9, 9, 0, 0).unwrap();
    app.clock.set(friday);
    let contacted = by_phone(&app, &w, "DELAY", "GENERAL").await;
    let silent = by_phone(&app, &w, "DELAY", "GENERAL").await;
    let seen = complaint(&app, &w.agent.auth, &contacted["id"], CLOCK_FIELDS).await;
    let first = clock(&seen, "FIRST_CONTACT");
    assert_eq!(first["businessTime"], true);
    assert_eq!(at(&first["dueAt"]), monday);
    assert_eq!(
        at(&clock(&seen, "FIRST_RESPONSE")["dueAt"]),
        friday + Duration::hours(24)
    );
    // By default the 24 h update is the contact rhythm; the weekly one does not run.
    assert!(
        !metrics_of(&seen).contains(&"PROACTIVE_CONTACT".to_owned()),
        "{seen}"
    );
    assert_eq!(clock(&seen, "PROGRESS_UPDATE")["state"], "RUNNING");

    // Monday morning, still within the working day: the acknowledgement is the first contact.
    app.clock.set(monday - Duration::minutes(1));
    sweep(&app).await;
    let seen = complaint(&app, &w.agent.auth, &silent["id"], CLOCK_FIELDS).await;
    assert_eq!(clock(&seen, "FIRST_CONTACT")["state"], "RUNNING");
    let now = app.clock_now();
    let acknowledge = format!(
        ", promisedResolutionAt: \"{}\", nextContactAt: \"{}\"",
        (now + Duration::days(2)).to_rfc3339(),
        (now + Duration::hours(20)).to_rfc3339()
    );
    // The missed 24 h first response escalated it over the weekend: read its version again.
    let current = complaint(&app, &w.agent.auth, &contacted["id"], "id version").await;
    app.complaint_ok(
        &w.agent.auth,
        "acknowledgeComplaint",
        &current,
        &acknowledge,
    )
    .await;
    let seen = complaint(&app, &w.agent.auth, &contacted["id"], CLOCK_FIELDS).await;
    let first = clock(&seen, "FIRST_CONTACT");
    assert_eq!(first["state"], "MET", "{first}");
    assert_eq!(at(&first["metAt"]), now);

    // Nobody called the other customer back by Monday 17:00 local.
    app.clock.set(monday + Duration::minutes(1));
    sweep(&app).await;
    let seen = complaint(&app, &w.agent.auth, &silent["id"], CLOCK_FIELDS).await;
    let first = clock(&seen, "FIRST_CONTACT");
    assert_eq!(first["state"], "BREACHED", "{first}");
    assert_eq!(at(&first["breachedAt"]), monday);
}

async fn r_sla_15_a_severity_switched_to_the_weekly_contact_runs_it_instead_of_the_24h_update(
    app: TestApp,
) {
    let w = app.repair_world().await;
    let listed = app
        .gql(
            &w.admin.auth,
            "{ slaPolicies { ticketKind metric scope durationMinutes businessTime active ruleId } }",
            json!({}),
        )
        .await;
    let policies = listed.data()["slaPolicies"].as_array().unwrap().clone();
    let weekly = policies
        .iter()
        .find(|p| p["metric"] == "PROACTIVE_CONTACT" && p["scope"] == "SERIOUS")
        .expect("the weekly contact policy");
    assert_eq!(weekly["durationMinutes"], 7 * 24 * 60);
    assert_eq!(weekly["active"], true);
    assert_eq!(weekly["ruleId"], "R-SLA-15");
    // Only admins switch a policy.
    let switch = "mutation($active: Boolean!) { updateSlaPolicy(ticketKind: COMPLAINT, \
        metric: PROGRESS_UPDATE, scope: \"SERIOUS\", active: $active) { active } }";
    app.gql(&w.supervisor.auth, switch, json!({ "active": false }))
        .await
        .expect_code("FORBIDDEN");
    let off = app
        .gql(&w.admin.auth, switch, json!({ "active": false }))
        .await;
    assert_eq!(off.data()["updateSlaPolicy"]["active"], false);

    let start = app.clock_now();
    let serious = by_phone(&app, &w, "PROPERTY_DAMAGE", "SERIOUS").await;
    let general = by_phone(&app, &w, "DELAY", "GENERAL").await;
    let seen = complaint(&app, &w.agent.auth, &general["id"], CLOCK_FIELDS).await;
    assert!(metrics_of(&seen).contains(&"PROGRESS_UPDATE".to_owned()));
    assert!(!metrics_of(&seen).contains(&"PROACTIVE_CONTACT".to_owned()));
    let seen = complaint(&app, &w.agent.auth, &serious["id"], CLOCK_FIELDS).await;
    assert!(
        !metrics_of(&seen).contains(&"PROGRESS_UPDATE".to_owned()),
        "{seen}"
    );
    let weekly = clock(&seen, "PROACTIVE_CONTACT");
    assert_eq!(at(&weekly["dueAt"]), start + Duration::days(7));

    // The acknowledgement is a contact: the next one is due a week later.
    app.clock.advance(Duration::hours(2));
    let now = app.clock_now();
    let acknowledge = format!(
        ", promisedResolutionAt: \"{}\", nextContactAt: \"{}\"",
        (now + Duration::days(3)).to_rfc3339(),
        (now + Duration::days(6)).to_rfc3339()
    );
    app.complaint_ok(
        &w.agent.auth,
        "acknowledgeComplaint",
        &serious,
        &acknowledge,
    )
    .await;
    let seen = complaint(&app, &w.agent.auth, &serious["id"], CLOCK_FIELDS).await;
    assert!(
        !metrics_of(&seen).contains(&"PROGRESS_UPDATE".to_owned()),
        "{seen}"
    );
    let weekly = clock(&seen, "PROACTIVE_CONTACT");
    assert_eq!(weekly["cycle"], 2);
    assert_eq!(at(&weekly["dueAt"]), now + Duration::days(7));

    // Six silent days are no miss on the weekly rhythm; the seventh is.
    app.clock.set(now + Duration::days(6));
    sweep(&app).await;
    let seen = complaint(&app, &w.agent.auth, &serious["id"], CLOCK_FIELDS).await;
    assert_eq!(clock(&seen, "PROACTIVE_CONTACT")["state"], "RUNNING");
    app.clock
        .set(now + Duration::days(7) + Duration::minutes(1));
    sweep(&app).await;
    let seen = complaint(&app, &w.agent.auth, &serious["id"], CLOCK_FIELDS).await;
    let missed: Vec<&Value> = seen["slaClocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["metric"] == "PROACTIVE_CONTACT" && c["state"] == "BREACHED")
        .collect();
    assert_eq!(missed.len(), 1, "{seen}");
    assert_eq!(at(&missed[0]["breachedAt"]), now + Duration::days(7));
    assert_eq!(clock(&seen, "PROACTIVE_CONTACT")["cycle"], 3);
    // The general complaint kept the 24 h update and missed it every day.
    let seen = complaint(&app, &w.agent.auth, &general["id"], CLOCK_FIELDS).await;
    assert!(!metrics_of(&seen).contains(&"PROACTIVE_CONTACT".to_owned()));
}
