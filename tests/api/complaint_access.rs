//! Who may approve what on a complaint, role by role: compensation up to the agent's limit and
//! above it (R-ESC-5), closure approvals by the manager and the top level (R-ESC-4); the
//! starting level by severity (R-ESC-1, R-CLS-1..3); and two SLA sweepers running at once over
//! the same overdue complaints (R-ESC-2, R-SLA-3/4/6), each complaint escalated exactly once per
//! missed period.

use std::collections::BTreeMap;

use chrono::Duration;
use entity::users::Role;
use entity::{escalations, ticket_events};
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use servicedesk::domain::identity::{Principal, UserPrincipal};
use servicedesk::jobs::sla_sweeper::sweep_once;
use servicedesk::services::{Env, complaints};
use servicedesk_tests::{Auth, GqlResponse, RepairWorld, TestApp, TestUser, db_tests};

db_tests!(
    r_esc_5_compensation_limit_for_every_role,
    r_esc_4_closure_approvals_for_every_role,
    two_sweepers_escalate_each_overdue_complaint_exactly_once,
    r_esc_1_serious_starts_at_l2_and_major_at_l3,
);

/// What a mutation returns.
const FIELDS: &str = "id number version status severity escalationLevel compensationAmount
    compensationApproved supervisorApproved topLevelApproved";

/// Everything a refused call must leave as it was, as a supervisor of the centre reads it.
const SNAPSHOT: &str = "id version status escalationLevel compensationAmount compensationApproved
    supervisorApproved topLevelApproved resolvedAt closedAt
    escalations { id } events { id action }";

async fn file(app: &TestApp, auth: &Auth, input: Value) -> GqlResponse {
    let query = format!(
        "mutation($input: FileComplaintInput!) {{ fileComplaint(input: $input) {{ {FIELDS} }} }}"
    );
    app.gql(auth, &query, json!({ "input": input })).await
}

/// `name(id, version<args>)` on `complaint` (its `id` and `version`).
async fn op(app: &TestApp, auth: &Auth, name: &str, complaint: &Value, args: &str) -> GqlResponse {
    let query = format!(
        "mutation($id: ID!, $version: Int!) {{ {name}(id: $id, version: $version{args}) {{ {FIELDS} }} }}"
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

async fn by_id(app: &TestApp, auth: &Auth, id: &Value, fields: &str) -> Value {
    let query = format!("query($id: ID!) {{ complaintById(id: $id) {{ {fields} }} }}");
    app.gql(auth, &query, json!({ "id": id })).await.data()["complaintById"].clone()
}

/// A complaint the agent took by phone from `customer`, acknowledged and investigated.
async fn investigating(
    app: &TestApp,
    w: &RepairWorld,
    customer: &TestUser,
    category: &str,
) -> Value {
    let input = json!({ "customerId": customer.gid(), "channel": "PHONE",
                        "category": category, "description": "The fridge leaked onto the floor" });
    let filed = file(app, &w.agent.auth, input).await.data()["fileComplaint"].clone();
    assert_eq!(filed["status"], "RECEIVED");
    let now = app.clock_now();
    let args = format!(
        ", promisedResolutionAt: \"{}\", nextContactAt: \"{}\"",
        (now + Duration::hours(8)).to_rfc3339(),
        (now + Duration::hours(2)).to_rfc3339()
    );
    let acknowledged = ok(app, &w.agent.auth, "acknowledgeComplaint", &filed, &args).await;
    let investigated = ok(
        app,
        &w.agent.auth,
        "recordInvestigation",
        &acknowledged,
        ", cause: \"hose not fastened\", responsibleParty: \"installer\", justified: true",
    )
    .await;
    assert_eq!(investigated["status"], "INVESTIGATING");
    investigated
}

/// Callers who may not act on a complaint of `w.partner_customer` filed at `w.centre`, with the
/// code each gets: those who can see it (its customer, the partner of its organization) are
/// `FORBIDDEN`; everyone else cannot see it (`NOT_FOUND`); nobody is `UNAUTHENTICATED`.
async fn outsiders(app: &TestApp, w: &RepairWorld) -> Vec<(&'static str, Auth, &'static str)> {
    let other_supervisor = app.user(Role::Supervisor, Some(w.other_centre), None).await;
    vec![
        (
            "complainant (customer)",
            w.partner_customer.auth.clone(),
            "FORBIDDEN",
        ),
        (
            "partner of the complainant's organization",
            w.partner.clone(),
            "FORBIDDEN",
        ),
        ("another customer", w.customer.auth.clone(), "NOT_FOUND"),
        (
            "technician of the centre",
            w.technician.auth.clone(),
            "NOT_FOUND",
        ),
        ("admin", w.admin.auth.clone(), "NOT_FOUND"),
        (
            "agent of another centre",
            w.other_agent.auth.clone(),
            "NOT_FOUND",
        ),
        (
            "supervisor of another centre",
            other_supervisor.auth,
            "NOT_FOUND",
        ),
        (
            "partner of another organization",
            w.other_partner.clone(),
            "NOT_FOUND",
        ),
        ("anonymous", Auth::None, "UNAUTHENTICATED"),
    ]
}

async fn r_esc_5_compensation_limit_for_every_role(app: TestApp) {
    let w = app.repair_world().await;
    let complaint = investigating(&app, &w, &w.partner_customer, "PRODUCT_QUALITY").await;
    assert_eq!(complaint["compensationApproved"], false);
    // Only the compensation of a proposed solution is approved.
    let unproposed = op(
        &app,
        &w.agent.auth,
        "approveCompensation",
        &complaint,
        ", amount: \"100.00\"",
    )
    .await;
    assert_eq!(unproposed.expect_code("BAD_USER_INPUT")["field"], "amount");

    // Up to the limit (500.00 in tests) the agent approves alone what someone else proposed.
    let proposed = ok(
        &app,
        &w.supervisor.auth,
        "proposeSolution",
        &complaint,
        ", solution: \"We replace the shelf\", compensation: \"500.00\"",
    )
    .await;
    let at_limit = ok(
        &app,
        &w.agent.auth,
        "approveCompensation",
        &proposed,
        ", amount: \"500.00\"",
    )
    .await;
    assert_eq!(at_limit["compensationAmount"], "500.00");
    assert_eq!(at_limit["compensationApproved"], true);
    assert_eq!(
        at_limit["version"],
        proposed["version"].as_i64().unwrap() + 1
    );

    // Above it is a supervisor's, and the refusal writes nothing.
    let proposed = ok(
        &app,
        &w.agent.auth,
        "proposeSolution",
        &at_limit,
        ", solution: \"We replace the fridge\", compensation: \"5000\"",
    )
    .await;
    assert_eq!(
        proposed["compensationApproved"], false,
        "a new proposal withdraws the approval"
    );
    let other_agent = app.user(Role::Agent, Some(w.centre), None).await;
    let before = by_id(&app, &w.supervisor.auth, &complaint["id"], SNAPSHOT).await;
    op(
        &app,
        &other_agent.auth,
        "approveCompensation",
        &proposed,
        ", amount: \"5000\"",
    )
    .await
    .expect_code("FORBIDDEN");
    // Nobody approves their own proposal (R-ESC-5).
    op(
        &app,
        &w.agent.auth,
        "approveCompensation",
        &proposed,
        ", amount: \"5000\"",
    )
    .await
    .expect_code("FORBIDDEN");
    // Nobody else may approve any amount; those who cannot see the complaint learn nothing.
    for (who, auth, code) in outsiders(&app, &w).await {
        let response = op(
            &app,
            &auth,
            "approveCompensation",
            &proposed,
            ", amount: \"5000\"",
        )
        .await;
        assert_eq!(response.code(), code, "{who}: {}", response.body);
    }
    assert_eq!(
        by_id(&app, &w.supervisor.auth, &complaint["id"], SNAPSHOT).await,
        before,
        "a refused approval changed the complaint"
    );
    // Not another amount than proposed.
    let other_amount = op(
        &app,
        &w.supervisor.auth,
        "approveCompensation",
        &proposed,
        ", amount: \"4000\"",
    )
    .await;
    assert_eq!(
        other_amount.expect_code("BAD_USER_INPUT")["field"],
        "amount"
    );
    let by_supervisor = ok(
        &app,
        &w.supervisor.auth,
        "approveCompensation",
        &proposed,
        ", amount: \"5000\"",
    )
    .await;
    assert_eq!(by_supervisor["compensationAmount"], "5000.00");
    assert_eq!(by_supervisor["compensationApproved"], true);

    // The customer is told nothing before the solution is approved (the top level, R-ESC-5).
    let early = op(
        &app,
        &w.agent.auth,
        "resolveComplaint",
        &by_supervisor,
        ", resolution: \"We replace the fridge\", compensation: \"5000.00\"",
    )
    .await;
    assert_eq!(early.expect_code("BAD_USER_INPUT")["field"], "id");
    let manager = app.general_manager(&w).await;
    let approved = ok(&app, &manager.auth, "approveSolution", &by_supervisor, "").await;

    // Then only an amount approved as such: not the earlier, superseded one, not one cent
    // less, not more.
    for amount in ["500.00", "4999.99", "5000.01", "0", "-5000"] {
        let response = op(
            &app,
            &w.agent.auth,
            "resolveComplaint",
            &approved,
            &format!(", resolution: \"We replace the fridge\", compensation: \"{amount}\""),
        )
        .await;
        let extensions = response.expect_code("BAD_USER_INPUT");
        assert_eq!(extensions["field"], "compensation", "{amount}");
    }
    let resolved = ok(
        &app,
        &w.agent.auth,
        "resolveComplaint",
        &approved,
        ", resolution: \"We replace the fridge\", compensation: \"5000.00\"",
    )
    .await;
    assert_eq!(resolved["status"], "RESOLVED");
    assert_eq!(resolved["compensationAmount"], "5000.00");
    // Approvals belong to INVESTIGATING: once resolved even the supervisor cannot change them.
    op(
        &app,
        &w.supervisor.auth,
        "approveCompensation",
        &resolved,
        ", amount: \"5000.00\"",
    )
    .await
    .expect_code("INVALID_TRANSITION");
}

async fn r_esc_4_closure_approvals_for_every_role(app: TestApp) {
    let w = app.repair_world().await;
    let manager = app.user(Role::Supervisor, Some(w.centre), None).await;
    app.make_top_level(&manager).await;
    // The flag makes a SUPERVISOR the top level; it gives an agent nothing.
    let flagged_agent = app.user(Role::Agent, Some(w.centre), None).await;
    app.make_top_level(&flagged_agent).await;
    let mut refused = outsiders(&app, &w).await;
    refused.push(("agent of the centre", w.agent.auth.clone(), "FORBIDDEN"));
    refused.push((
        "agent flagged top level",
        flagged_agent.auth.clone(),
        "FORBIDDEN",
    ));

    // GENERAL: the manager's approval, then closing.
    let general = investigating(&app, &w, &w.partner_customer, "SERVICE_ATTITUDE").await;
    assert_eq!(general["severity"], "GENERAL");
    let general = app
        .approved_solution(&w, &general, "We apologise", None)
        .await;
    let general = ok(
        &app,
        &w.agent.auth,
        "resolveComplaint",
        &general,
        ", resolution: \"We apologised\"",
    )
    .await;
    op(&app, &w.agent.auth, "closeComplaint", &general, "")
        .await
        .expect_code("BAD_USER_INPUT");
    let before = by_id(&app, &w.supervisor.auth, &general["id"], SNAPSHOT).await;
    for (who, auth, code) in &refused {
        let response = op(&app, auth, "approveComplaintClosure", &general, "").await;
        assert_eq!(response.code(), *code, "{who}: {}", response.body);
    }
    assert_eq!(
        by_id(&app, &w.supervisor.auth, &general["id"], SNAPSHOT).await,
        before,
        "a refused closure approval changed the complaint"
    );
    op(&app, &w.agent.auth, "closeComplaint", &general, "")
        .await
        .expect_code("BAD_USER_INPUT");
    let approved = ok(
        &app,
        &w.supervisor.auth,
        "approveComplaintClosure",
        &general,
        "",
    )
    .await;
    assert_eq!(approved["supervisorApproved"], true);
    assert_eq!(approved["topLevelApproved"], false);
    assert_eq!(approved["status"], "RESOLVED");
    let closed = ok(&app, &w.agent.auth, "closeComplaint", &approved, "").await;
    assert_eq!(closed["status"], "CLOSED");

    // SERIOUS: the manager's approval is not enough; the top level's too.
    let serious = investigating(&app, &w, &w.partner_customer, "PROPERTY_DAMAGE").await;
    assert_eq!(serious["severity"], "SERIOUS");
    let serious = app
        .approved_solution(&w, &serious, "We pay for the floor", None)
        .await;
    let serious = ok(
        &app,
        &w.agent.auth,
        "resolveComplaint",
        &serious,
        ", resolution: \"We paid for the floor\"",
    )
    .await;
    for (who, auth, code) in &refused {
        let response = op(&app, auth, "approveComplaintClosure", &serious, "").await;
        assert_eq!(response.code(), *code, "{who} (SERIOUS): {}", response.body);
    }
    let serious = ok(
        &app,
        &w.supervisor.auth,
        "approveComplaintClosure",
        &serious,
        "",
    )
    .await;
    assert_eq!(serious["supervisorApproved"], true);
    assert_eq!(serious["topLevelApproved"], false);
    for closer in [&w.agent.auth, &w.supervisor.auth] {
        op(&app, closer, "closeComplaint", &serious, "")
            .await
            .expect_code("BAD_USER_INPUT");
    }
    let serious = ok(&app, &manager.auth, "approveComplaintClosure", &serious, "").await;
    assert_eq!(serious["supervisorApproved"], true);
    assert_eq!(serious["topLevelApproved"], true);
    let closed = ok(&app, &w.agent.auth, "closeComplaint", &serious, "").await;
    assert_eq!(closed["status"], "CLOSED");
    // Closed is final: no approval of anyone applies any more.
    op(&app, &manager.auth, "approveComplaintClosure", &closed, "")
        .await
        .expect_code("INVALID_TRANSITION");
}

async fn principal(app: &TestApp, id: i64) -> Principal {
    let user = servicedesk::store::users::get(&app.db, id)
        .await
        .map_err(|e| e.message())
        .expect("user");
    Principal::User(UserPrincipal::from(&user))
}

/// `(from, to)` levels of the automatic escalation rows, per complaint.
async fn automatic_escalations(app: &TestApp) -> BTreeMap<i64, Vec<(i16, i16)>> {
    let mut rows = escalations::Entity::find()
        .filter(escalations::Column::Automatic.eq(true))
        .all(&app.db)
        .await
        .expect("escalations");
    rows.sort_by_key(|e| (e.ticket_id, e.from_level));
    let mut per_complaint = BTreeMap::<i64, Vec<(i16, i16)>>::new();
    for e in rows {
        per_complaint
            .entry(e.ticket_id)
            .or_default()
            .push((e.from_level, e.to_level));
    }
    per_complaint
}

/// How many complaint timeline entries with `action` each complaint has.
async fn events_per_complaint(app: &TestApp, action: &str) -> BTreeMap<i64, usize> {
    let rows = ticket_events::Entity::find()
        .filter(ticket_events::Column::TicketKind.eq(ticket_events::TicketKind::Complaint))
        .filter(ticket_events::Column::Action.eq(action))
        .all(&app.db)
        .await
        .expect("events");
    let mut per_complaint = BTreeMap::new();
    for e in rows {
        *per_complaint.entry(e.ticket_id).or_insert(0) += 1;
    }
    per_complaint
}

async fn two_sweepers_escalate_each_overdue_complaint_exactly_once(app: TestApp) {
    let w = app.repair_world().await;
    // Row claiming (FOR UPDATE SKIP LOCKED) is what is under test, so PostgreSQL gets many
    // complaints; SQLite serializes writers anyway and gets fewer.
    let postgres = app.db.get_database_backend() == DbBackend::Postgres;
    let count = if postgres { 500 } else { 50 };
    let filed_at = app.clock_now();

    // Filed through the server's own use case (`services::complaints::file`, what the
    // `fileComplaint` resolver calls) rather than over HTTP, to keep 500 complaints fast, and
    // rather than raw ActiveModels, so deadlines, next_deadline, number and RECEIVED event are
    // exactly what the server writes. GENERAL, unacknowledged: the first-response (R-SLA-6),
    // update (R-SLA-3) and resolution (R-SLA-4) clocks all run out at +24 h.
    let agent = principal(&app, w.agent.id).await;
    let settings = app.state_settings();
    let env = Env {
        db: &app.db,
        now: filed_at,
        actor: &agent,
        settings: &settings,
    };
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        let filed = complaints::file(
            &env,
            complaints::FileComplaint {
                customer_id: Some(w.customer.id),
                repair_order_id: None,
                service_centre_id: None,
                channel: Some(entity::complaints::ComplaintChannel::Phone),
                category: entity::complaints::ComplaintCategory::ServiceAttitude,
                severity: None,
                description: format!("Rude on the phone, call {i}"),
                external_reference: None,
                details: Default::default(),
            },
        )
        .await
        .map_err(|e| e.message())
        .expect("file complaint");
        assert_eq!(filed.escalation_level, 1);
        ids.push(filed.id);
    }
    assert!(automatic_escalations(&app).await.is_empty());

    // Just before the deadline nothing is due.
    let early = filed_at + Duration::hours(24) - Duration::minutes(1);
    assert_eq!(
        sweep_once(&app.db, early).await.map_err(|e| e.message()),
        Ok(0)
    );

    for (hours, level, expected) in [
        (24, 2, vec![(1, 2)]),
        (48, 3, vec![(1, 2), (2, 3)]),
        // At the top level a further missed period has no level left to climb.
        (72, 3, vec![(1, 2), (2, 3)]),
    ] {
        app.clock
            .set(filed_at + Duration::hours(hours) + Duration::minutes(1));
        let now = app.clock_now();
        let (db_a, db_b) = (app.db.clone(), app.db.clone());
        let (a, b) = tokio::join!(sweep_once(&db_a, now), sweep_once(&db_b, now));
        let (a, b) = (
            a.map_err(|e| e.message()).expect("first sweeper"),
            b.map_err(|e| e.message()).expect("second sweeper"),
        );
        eprintln!("+{hours}h: sweepers handled {a} + {b}");
        assert_eq!(
            a + b,
            count,
            "+{hours}h: every overdue complaint handled by exactly one sweeper"
        );
        if postgres {
            // Both really ran side by side, each skipping the rows the other held.
            assert!(a > 0 && b > 0, "+{hours}h: one sweeper did all: {a} + {b}");
        }
        // Nothing is left overdue: a third sweep at the same instant finds nothing.
        assert_eq!(
            sweep_once(&app.db, now).await.map_err(|e| e.message()),
            Ok(0)
        );

        let rows = entity::complaints::Entity::find()
            .filter(entity::complaints::Column::Id.is_in(ids.clone()))
            .all(&app.db)
            .await
            .expect("complaints");
        assert_eq!(rows.len(), count);
        for c in &rows {
            assert_eq!(c.escalation_level, level, "+{hours}h: complaint {}", c.id);
        }
        let still_due = entity::sla_clocks::Entity::find()
            .filter(entity::sla_clocks::Column::NextCheckAt.lte(now))
            .count(&app.db)
            .await
            .expect("clocks");
        assert_eq!(still_due, 0, "+{hours}h: no clock is left due");
        let escalated = automatic_escalations(&app).await;
        assert_eq!(
            escalated.len(),
            count,
            "+{hours}h: complaints with escalations"
        );
        let escalated_events = events_per_complaint(&app, "ESCALATED").await;
        for id in &ids {
            assert_eq!(
                escalated.get(id),
                Some(&expected),
                "+{hours}h: automatic escalations of complaint {id}"
            );
            assert_eq!(
                escalated_events.get(id).copied().unwrap_or(0),
                expected.len(),
                "+{hours}h: ESCALATED events of complaint {id}"
            );
        }
        let all_escalations = escalations::Entity::find()
            .all(&app.db)
            .await
            .expect("escalations");
        assert_eq!(
            all_escalations.len(),
            count * expected.len(),
            "+{hours}h: no escalation rows besides the automatic ones"
        );
        for e in &all_escalations {
            assert!(e.automatic && e.escalated_by.is_none());
            assert_eq!(
                e.from_user_id,
                Some(w.agent.id),
                "the holder is recorded (R-ESC-6)"
            );
            assert!(e.deadline_kind.is_some() && e.deadline_at.is_some());
        }
    }
}

async fn r_esc_1_serious_starts_at_l2_and_major_at_l3(app: TestApp) {
    let w = app.repair_world().await;
    let fields = "id number severity escalationLevel
        escalations { fromLevel toLevel automatic deadlineKind } events { action }";
    let by_phone = |category: &str, severity: Option<&str>| {
        json!({ "customerId": w.customer.gid(), "channel": "PHONE",
                "category": category, "severity": severity, "description": "complaint" })
    };
    let cases = [
        // R-CLS-1: service attitude, no loss: the agent's (L1), nothing escalated.
        ("GENERAL", by_phone("SERVICE_ATTITUDE", None), 1),
        // R-CLS-2: property loss is SERIOUS whatever was asked: the manager's at once (L2).
        ("SERIOUS", by_phone("PROPERTY_DAMAGE", Some("GENERAL")), 2),
        ("SERIOUS", by_phone("INJURY", None), 2),
        // R-CLS-3: media exposure or a penalty is MAJOR: straight to the top (L3).
        ("MAJOR", by_phone("PRODUCT_QUALITY", Some("MAJOR")), 3),
        ("MAJOR", by_phone("PROPERTY_DAMAGE", Some("MAJOR")), 3),
    ];
    for (severity, input, level) in cases {
        let filed = file(&app, &w.agent.auth, input.clone()).await.data()["fileComplaint"].clone();
        assert_eq!(filed["severity"], severity, "{input}");
        assert_eq!(filed["escalationLevel"], level, "{input}");
        let complaint = by_id(&app, &w.supervisor.auth, &filed["id"], fields).await;
        assert_eq!(complaint["escalationLevel"], level, "{input}");
        let expected_escalations = if level == 1 {
            json!([])
        } else {
            json!([{ "fromLevel": 1, "toLevel": level, "automatic": true, "deadlineKind": null }])
        };
        assert_eq!(complaint["escalations"], expected_escalations, "{input}");
        let actions: Vec<&str> = complaint["events"]
            .as_array()
            .expect("events")
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        let expected_actions = if level == 1 {
            vec!["RECEIVED"]
        } else {
            vec!["RECEIVED", "ESCALATED"]
        };
        assert_eq!(actions, expected_actions, "{input}");
        // The agent of the centre sees the same level.
        let seen_by_agent = by_id(&app, &w.agent.auth, &filed["id"], "escalationLevel").await;
        assert_eq!(seen_by_agent["escalationLevel"], level);
    }

    // A customer's own report from the app is classified the same way, and they are told in
    // plain words who handles it.
    let from_app = file(
        &app,
        &w.customer.auth,
        json!({ "category": "PROPERTY_DAMAGE", "description": "Water damaged my parquet" }),
    )
    .await
    .data()["fileComplaint"]
        .clone();
    assert_eq!(from_app["severity"], "SERIOUS");
    assert_eq!(from_app["escalationLevel"], 2);
    let tracking = app
        .gql(
            &w.customer.auth,
            "query($n: String!) { complaint(number: $n) { number handledAt } }",
            json!({ "n": from_app["number"] }),
        )
        .await;
    assert_eq!(
        tracking.data()["complaint"]["handledAt"],
        "handled by the customer-service manager"
    );
    let complaint = by_id(&app, &w.supervisor.auth, &from_app["id"], fields).await;
    assert_eq!(
        complaint["escalations"],
        json!([{ "fromLevel": 1, "toLevel": 2, "automatic": true, "deadlineKind": null }])
    );
}
