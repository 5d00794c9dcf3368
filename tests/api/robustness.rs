//! Faults that are not the caller's: an unreachable database is an outage (SERVICE_UNAVAILABLE,
//! HTTP 503), never a user error, and one bad row does not stop the SLA sweeper.

use chrono::Duration;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use servicedesk::jobs::sla_sweeper::{Backoff, SweepReport, sweep};
use servicedesk_tests::key_of;
use servicedesk_tests::{Auth, GqlResponse, TestApp, db_tests};
use servicedesk_tests::{NodeType, gid};

db_tests!(
    outage_is_service_unavailable_not_a_user_error,
    sweeper_skips_a_failing_complaint_and_retries_it_later,
);

fn assert_outage(app: &TestApp, response: &GqlResponse, field: &str) {
    response.expect_code("SERVICE_UNAVAILABLE");
    assert_eq!(response.status, 503, "{}", response.body);
    assert!(
        response.headers.contains_key("retry-after"),
        "no Retry-After: {:?}",
        response.headers
    );
    // Raised by the resolver while the account is cached; on PostgreSQL the closed pool also
    // stops the cache (its listener is gone), so authentication itself reports the outage.
    if app.state.principals.is_caching() {
        assert_eq!(response.body["errors"][0]["path"], json!([field]));
    }
}

/// Item 14: lookups whose "no such row" is the caller's mistake turned every database error
/// into BAD_USER_INPUT / NOT_FOUND, so an outage told clients to fix their input.
async fn outage_is_service_unavailable_not_a_user_error(app: TestApp) {
    let w = app.repair_world().await;
    let me = app.gql(&w.admin.auth, "{ me { role } }", json!({})).await;
    assert_eq!(me.data()["me"]["role"], "ADMIN");
    app.db.clone().close().await.expect("close the pool");

    let create = app
        .gql(
            &w.admin.auth,
            "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
            json!({ "input": { "email": "new.agent@example.test", "name": "New Agent",
                    "role": "AGENT", "password": "a long and unusual passphrase 42",
                    "serviceCentreId": gid(NodeType::ServiceCentre, w.centre) } }),
        )
        .await;
    assert_outage(&app, &create, "createUser");

    let policy = app
        .gql(
            &w.admin.auth,
            "mutation { updateSlaPolicy(ticketKind: COMPLAINT, metric: RESOLUTION, scope: \"GENERAL\", durationMinutes: 720) { durationMinutes } }",
            json!({}),
        )
        .await;
    assert_outage(&app, &policy, "updateSlaPolicy");
}

async fn file(app: &TestApp, auth: &Auth, customer: i64, category: &str) -> Value {
    let input = json!({ "customerId": gid(NodeType::User, customer), "channel": "PHONE",
                        "category": category, "description": "Something went wrong" });
    app.gql(
        auth,
        "mutation($input: FileComplaintInput!) { fileComplaint(input: $input) { id severity } }",
        json!({ "input": input }),
    )
    .await
    .data()["fileComplaint"]
        .clone()
}

async fn level(app: &TestApp, auth: &Auth, complaint: &Value) -> i64 {
    app.gql(
        auth,
        "query($id: ID!) { complaintById(id: $id) { escalationLevel } }",
        json!({ "id": complaint["id"] }),
    )
    .await
    .data()["complaintById"]["escalationLevel"]
        .as_i64()
        .expect("level")
}

/// Item 16: the sweeper claimed the same failing complaint first on every tick and gave up, so
/// no other complaint was ever escalated again. A bad row now: clocks whose ticket row is gone
/// (their ticket id points nowhere), due first.
async fn sweeper_skips_a_failing_complaint_and_retries_it_later(app: TestApp) {
    let w = app.repair_world().await;
    let serious = file(&app, &w.agent.auth, w.customer.id, "PROPERTY_DAMAGE").await;
    assert_eq!(serious["severity"], "SERIOUS");
    let general = file(&app, &w.agent.auth, w.customer.id, "SERVICE_ATTITUDE").await;
    let serious_id: i64 = key_of(&serious["id"]);
    let hide = format!(
        "UPDATE sla_clocks SET ticket_id = -ticket_id, next_check_at = started_at \
         WHERE ticket_kind = 'COMPLAINT' AND ticket_id = {serious_id}"
    );
    app.db.execute_unprepared(&hide).await.unwrap();
    app.clock.advance(Duration::hours(25));
    let now = app.clock_now();
    let settings = app.state_settings();

    let mut backoff = Backoff::default();
    let report = sweep(&app.db, &settings, now, &mut backoff)
        .await
        .expect("the sweep goes on");
    assert_eq!((report.tickets, report.escalated, report.failed), (1, 1, 1));
    assert_eq!(level(&app, &w.supervisor.auth, &general).await, 2);
    assert_eq!(level(&app, &w.supervisor.auth, &serious).await, 2);

    // Resting: the next tick does not try it again at once.
    let again = sweep(
        &app.db,
        &settings,
        now + Duration::seconds(10),
        &mut backoff,
    )
    .await
    .unwrap();
    assert_eq!(again, SweepReport::default());

    // Mended and past its backoff, it is escalated.
    let mended = format!(
        "UPDATE sla_clocks SET ticket_id = -ticket_id \
         WHERE ticket_kind = 'COMPLAINT' AND ticket_id = -{serious_id}"
    );
    app.db.execute_unprepared(&mended).await.unwrap();
    let later = sweep(&app.db, &settings, now + Duration::minutes(1), &mut backoff)
        .await
        .unwrap();
    assert_eq!(later.failed, 0);
    assert_eq!(later.escalated, 1);
    assert_eq!(level(&app, &w.supervisor.auth, &serious).await, 3);
}
