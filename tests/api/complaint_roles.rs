//! Complaint approvals for every role (R-ESC-4, R-ESC-5) and concurrent SLA sweepers
//! (R-ESC-2: each overdue complaint escalated exactly once per missed period).

use chrono::Duration;
use entity::users::Role;
use entity::{escalations, ticket_events};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};
use servicedesk::domain::identity::{Principal, UserPrincipal};
use servicedesk::jobs::sla_sweeper::sweep_once;
use servicedesk::services::{Env, complaints};
use servicedesk_tests::{Auth, RepairWorld, TestApp, TestUser, db_tests};

db_tests!(
    r_esc_5_compensation_approval_for_every_role,
    r_esc_4_closure_approval_for_every_role,
    two_sweepers_escalate_each_overdue_complaint_exactly_once,
);

const FIELDS: &str = "id version status compensationAmount supervisorApproved topLevelApproved";

async fn op(
    app: &TestApp,
    auth: &Auth,
    name: &str,
    complaint: &Value,
    args: &str,
) -> servicedesk_tests::GqlResponse {
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

/// A GENERAL (or, with `category`, SERIOUS) complaint of `w.customer`, investigated.
async fn investigating(app: &TestApp, w: &RepairWorld, category: &str) -> Value {
    let query = format!(
        "mutation($input: FileComplaintInput!) {{ fileComplaint(input: $input) {{ {FIELDS} }} }}"
    );
    let input = json!({ "customerId": w.customer.id.to_string(), "channel": "PHONE", "category": category,
                        "description": "x" });
    let c = app
        .gql(&w.agent.auth, &query, json!({ "input": input }))
        .await
        .data()["fileComplaint"]
        .clone();
    let now = app.clock_now();
    let args = format!(
        ", promisedResolutionAt: \"{}\", nextContactAt: \"{}\"",
        (now + Duration::hours(8)).to_rfc3339(),
        (now + Duration::hours(2)).to_rfc3339()
    );
    let c = ok(app, &w.agent.auth, "acknowledgeComplaint", &c, &args).await;
    ok(
        app,
        &w.agent.auth,
        "recordInvestigation",
        &c,
        ", cause: \"c\", responsibleParty: \"p\", justified: true",
    )
    .await
}

/// Everyone but the two who may act, with what they get.
fn refused(
    w: &RepairWorld,
    others: &[(&'static str, Auth, &'static str)],
) -> Vec<(&'static str, Auth, &'static str)> {
    let mut all = vec![
        ("owner customer", w.customer.auth.clone(), "FORBIDDEN"),
        ("other customer", w.other_customer.auth.clone(), "NOT_FOUND"),
        ("technician", w.technician.auth.clone(), "NOT_FOUND"),
        (
            "other-centre agent",
            w.other_agent.auth.clone(),
            "NOT_FOUND",
        ),
        ("admin", w.admin.auth.clone(), "NOT_FOUND"),
        (
            "partner of another organization",
            w.partner.clone(),
            "NOT_FOUND",
        ),
        ("anonymous", Auth::None, "UNAUTHENTICATED"),
    ];
    all.extend(others.iter().cloned());
    all
}

async fn top_level_supervisor(app: &TestApp, w: &RepairWorld) -> TestUser {
    let manager = app.user(Role::Supervisor, Some(w.centre), None).await;
    entity::users::Entity::update_many()
        .col_expr(entity::users::Column::TopLevel, Expr::value(true))
        .filter(entity::users::Column::Id.eq(manager.id))
        .exec(&app.db)
        .await
        .unwrap();
    manager
}

async fn r_esc_5_compensation_approval_for_every_role(app: TestApp) {
    let w = app.repair_world().await;
    let complaint = investigating(&app, &w, "BILLING").await;
    for (who, auth, code) in refused(
        &w,
        &[("agent above the limit", w.agent.auth.clone(), "FORBIDDEN")],
    ) {
        let amount = if who.starts_with("agent") {
            "500.01"
        } else {
            "500.00"
        };
        let response = op(
            &app,
            &auth,
            "approveCompensation",
            &complaint,
            &format!(", amount: \"{amount}\""),
        )
        .await;
        assert_eq!(response.code(), code, "{who}: {}", response.body);
    }
    let unchanged = ok(
        &app,
        &w.supervisor.auth,
        "reassignComplaint",
        &complaint,
        &format!(", ownerId: \"{}\"", w.agent.id),
    )
    .await;
    assert_eq!(
        unchanged["compensationAmount"],
        Value::Null,
        "refused approvals wrote nothing"
    );

    let by_agent = ok(
        &app,
        &w.agent.auth,
        "approveCompensation",
        &unchanged,
        ", amount: \"500.00\"",
    )
    .await;
    assert_eq!(by_agent["compensationAmount"], "500.00");
    let by_supervisor = ok(
        &app,
        &w.supervisor.auth,
        "approveCompensation",
        &by_agent,
        ", amount: \"2500.00\"",
    )
    .await;
    assert_eq!(by_supervisor["compensationAmount"], "2500.00");
    // Resolving with compensation needs that very amount approved.
    op(
        &app,
        &w.agent.auth,
        "resolveComplaint",
        &by_supervisor,
        ", resolution: \"r\", compensation: \"3000.00\"",
    )
    .await
    .expect_code("BAD_USER_INPUT");
    let resolved = ok(
        &app,
        &w.agent.auth,
        "resolveComplaint",
        &by_supervisor,
        ", resolution: \"r\", compensation: \"2500.00\"",
    )
    .await;
    assert_eq!(resolved["status"], "RESOLVED");
}

async fn r_esc_4_closure_approval_for_every_role(app: TestApp) {
    let w = app.repair_world().await;
    let manager = top_level_supervisor(&app, &w).await;
    let general = investigating(&app, &w, "BILLING").await;
    let general = ok(
        &app,
        &w.agent.auth,
        "resolveComplaint",
        &general,
        ", resolution: \"r\"",
    )
    .await;
    op(&app, &w.agent.auth, "closeComplaint", &general, "")
        .await
        .expect_code("BAD_USER_INPUT");
    for (who, auth, code) in refused(&w, &[("agent", w.agent.auth.clone(), "FORBIDDEN")]) {
        let response = op(&app, &auth, "approveComplaintClosure", &general, "").await;
        assert_eq!(response.code(), code, "{who}: {}", response.body);
    }
    let approved = ok(
        &app,
        &w.supervisor.auth,
        "approveComplaintClosure",
        &general,
        "",
    )
    .await;
    assert_eq!(approved["supervisorApproved"], true);
    assert_eq!(
        ok(&app, &w.agent.auth, "closeComplaint", &approved, "").await["status"],
        "CLOSED"
    );

    let serious = investigating(&app, &w, "PROPERTY_DAMAGE").await;
    let serious = ok(
        &app,
        &w.agent.auth,
        "resolveComplaint",
        &serious,
        ", resolution: \"r\"",
    )
    .await;
    let serious = ok(
        &app,
        &w.supervisor.auth,
        "approveComplaintClosure",
        &serious,
        "",
    )
    .await;
    assert_eq!(serious["topLevelApproved"], false);
    op(&app, &w.agent.auth, "closeComplaint", &serious, "")
        .await
        .expect_code("BAD_USER_INPUT");
    let serious = ok(&app, &manager.auth, "approveComplaintClosure", &serious, "").await;
    assert_eq!(serious["topLevelApproved"], true);
    assert_eq!(
        ok(&app, &w.supervisor.auth, "closeComplaint", &serious, "").await["status"],
        "CLOSED"
    );
}

async fn two_sweepers_escalate_each_overdue_complaint_exactly_once(app: TestApp) {
    let w = app.repair_world().await;
    // 500 on PostgreSQL, where row claiming is what is under test; fewer on SQLite, which
    // serializes writers anyway.
    let count = if app.db.get_database_backend() == sea_orm::DbBackend::Postgres {
        500
    } else {
        60
    };
    let agent = app_user_principal(&app, w.agent.id).await;
    let env = Env {
        db: &app.db,
        now: app.clock_now(),
        actor: &agent,
        settings: &app.state_settings(),
    };
    for _ in 0..count {
        complaints::file(
            &env,
            complaints::FileComplaint {
                customer_id: Some(w.customer.id),
                repair_order_id: None,
                service_centre_id: None,
                channel: Some(entity::complaints::ComplaintChannel::Phone),
                category: entity::complaints::ComplaintCategory::ServiceAttitude,
                severity: None,
                description: "slow".into(),
            },
        )
        .await
        .map_err(|e| e.message())
        .unwrap();
    }
    let automatic = || escalations::Entity::find().filter(escalations::Column::Automatic.eq(true));
    for (hours, level, rows) in [(24, 2, count), (48, 3, 2 * count), (72, 3, 2 * count)] {
        app.clock
            .set(env.now + Duration::hours(hours) + Duration::minutes(1));
        let now = app.clock_now();
        let (a, b) = (app.db.clone(), app.db.clone());
        let first = tokio::spawn(async move { sweep_once(&a, now).await.map_err(|e| e.message()) });
        let second =
            tokio::spawn(async move { sweep_once(&b, now).await.map_err(|e| e.message()) });
        let swept = first.await.unwrap().unwrap() + second.await.unwrap().unwrap();
        assert_eq!(
            swept, count,
            "each overdue complaint handled once at +{hours}h"
        );
        assert_eq!(
            automatic().count(&app.db).await.unwrap(),
            rows as u64,
            "+{hours}h"
        );
        let below = entity::complaints::Entity::find()
            .filter(entity::complaints::Column::EscalationLevel.ne(level))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(below, 0, "every complaint at level {level} at +{hours}h");
    }
    let escalated_events = ticket_events::Entity::find()
        .filter(ticket_events::Column::Action.eq("ESCALATED"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(escalated_events, 2 * count as u64);
}

async fn app_user_principal(app: &TestApp, id: i64) -> Principal {
    let user = servicedesk::store::users::get(&app.db, id)
        .await
        .map_err(|e| e.message())
        .unwrap();
    Principal::User(UserPrincipal::from(&user))
}
