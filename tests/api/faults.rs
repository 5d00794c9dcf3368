//! Database faults: concurrent writers on SQLite, lost PostgreSQL connections, an unreachable
//! database.

use std::sync::Arc;
use std::time::{Duration, Instant};

use entity::users::Role;
use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use serde_json::json;
use servicedesk_tests::{Backend, TestApp, db_tests, test_config};
use servicedesk_tests::{NodeType, gid};

db_tests!(
    concurrent_writers_never_fail,
    reads_go_on_beside_a_long_write
);

/// The acceptance figure of item 17: this many writers for this long, and not one error.
const WRITERS: usize = 30;
const WRITE_FOR: Duration = Duration::from_secs(30);

const REPORT: &str = "mutation($input: ReportFaultInput!) { reportFault(input: $input) { id } }";

/// Every writer reports faults as fast as it can; on SQLite they all queue for the one write
/// lock, which must make them wait (busy timeout, WAL) rather than fail.
async fn concurrent_writers_never_fail(app: TestApp) {
    let app = Arc::new(app);
    let centre = app.service_centre("North").await;
    let mut writers = tokio::task::JoinSet::new();
    for _ in 0..WRITERS {
        let customer = app.user(Role::Customer, Some(centre), None).await;
        let asset = app
            .asset(
                customer.id,
                app.clock_now().date_naive() + chrono::Duration::days(200),
            )
            .await;
        let app = app.clone();
        writers.spawn(async move {
            let input = json!({ "assetId": gid(NodeType::Asset, asset), "faultDescription": "Not cooling",
                                "serviceAddress": "1 Road", "contactPhone": "13812345678" });
            let (mut written, mut failures) = (0usize, Vec::new());
            let deadline = Instant::now() + WRITE_FOR;
            while Instant::now() < deadline {
                let response = app
                    .gql(&customer.auth, REPORT, json!({ "input": input }))
                    .await;
                if response.status == 200 && response.body.get("errors").is_none() {
                    written += 1;
                } else {
                    failures.push(format!("HTTP {}: {}", response.status, response.body));
                }
            }
            (written, failures)
        });
    }
    let (mut written, mut failures) = (0, Vec::new());
    while let Some(result) = writers.join_next().await {
        let (ok, failed) = result.expect("writer task");
        written += ok;
        failures.extend(failed);
    }
    eprintln!(
        "{WRITERS} writers for {} s: {written} reports, {} failures",
        WRITE_FOR.as_secs(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} writes failed, first: {}",
        failures.len(),
        written + failures.len(),
        failures[0]
    );
    assert!(written >= WRITERS, "every writer got through at least once");
}

/// A write transaction that holds its lock (a bulk import, a slow mutation) must not stall
/// readers: with SQLite's rollback journal its exclusive lock blocked every read until the busy
/// timeout, then failed it; in WAL mode readers read the last committed state.
async fn reads_go_on_beside_a_long_write(app: TestApp) {
    let centre = app.service_centre("North").await;
    let agent = app.user(Role::Agent, Some(centre), None).await;
    let writer = app
        .db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Exclusive),
            ..Default::default()
        })
        .await
        .expect("begin the long write");
    writer
        .execute_unprepared("UPDATE service_centres SET name = 'Renamed' WHERE name = 'North'")
        .await
        .expect("write");
    let started = Instant::now();
    let read = app
        .gql(&agent.auth, "{ me { user { email } } }", json!({}))
        .await;
    let took = started.elapsed();
    assert_eq!(read.data()["me"]["user"]["email"], agent.email.as_str());
    assert!(took < Duration::from_secs(1), "the read waited {took:?}");
    writer.rollback().await.expect("rollback");
}

/// An administrator's connection to the PostgreSQL server, outside the server's pool.
async fn admin(app: &TestApp) -> DatabaseConnection {
    Database::connect(app.database_url())
        .await
        .expect("admin connection")
}

/// Ends the server's sessions matching `filter` (SQL on `pg_stat_activity`), as a PostgreSQL
/// restart would; returns how many.
async fn terminate(admin: &DatabaseConnection, filter: &str) -> i64 {
    let sql = format!(
        "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND {filter}"
    );
    let row = admin
        .query_one_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            sql,
        ))
        .await
        .expect("terminate")
        .expect("a row");
    row.try_get("", "n").expect("count")
}

async fn wait_for(what: &str, condition: impl Fn() -> bool) {
    for _ in 0..1000 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting until {what}");
}

const ME: &str = "{ me { role } }";
const CREATE_ORGANIZATION: &str =
    "mutation($name: String!) { createOrganization(name: $name) { id } }";

/// Item 12: once PostgreSQL answers again, not one request fails on a dead pooled connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_request_fails_after_the_database_restarts() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = TestApp::start(backend).await;
    let admin_user = app.user(Role::Admin, None, None).await;
    // Fill the pool with idle connections, as a busy server's would be.
    let mut warm = tokio::task::JoinSet::new();
    let app = Arc::new(app);
    for _ in 0..8 {
        let (app, auth) = (app.clone(), admin_user.auth.clone());
        warm.spawn(async move { app.gql(&auth, ME, json!({})).await.status });
    }
    while let Some(status) = warm.join_next().await {
        assert_eq!(status.expect("task"), 200);
    }
    let admin = admin(&app).await;
    assert!(
        terminate(&admin, "true").await >= 2,
        "pool and listener ended"
    );
    for i in 0..20 {
        let response = if i % 4 == 3 {
            app.gql(
                &admin_user.auth,
                CREATE_ORGANIZATION,
                json!({ "name": format!("After restart {i}") }),
            )
            .await
        } else {
            app.gql(&admin_user.auth, ME, json!({})).await
        };
        assert_eq!(response.status, 200, "request {i}: {}", response.body);
        response.data();
    }
}

/// Item 12: a write that may have reached the database is never sent twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_write_is_not_repeated() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = Arc::new(TestApp::start(backend).await);
    let admin_user = app.user(Role::Admin, None, None).await;
    app.gql(&admin_user.auth, ME, json!({})).await.data();
    let admin = admin(&app).await;
    let lock = admin.begin().await.expect("begin");
    lock.execute_unprepared("LOCK TABLE organizations IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("lock");
    let request = {
        let (app, auth) = (app.clone(), admin_user.auth.clone());
        tokio::spawn(async move {
            app.gql(&auth, CREATE_ORGANIZATION, json!({ "name": "Twice?" }))
                .await
        })
    };
    // The INSERT has been sent and waits for the lock: end its session under it.
    let waiting = "wait_event_type = 'Lock' AND query ILIKE 'INSERT INTO \"organizations\"%'";
    let mut ended = 0;
    for _ in 0..500 {
        ended = terminate(&admin, waiting).await;
        if ended > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(ended, 1, "the INSERT was waiting for the lock");
    // Repeated, the INSERT would wait for the lock again and not answer.
    let answered = tokio::time::timeout(Duration::from_secs(3), async {
        while !request.is_finished() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    lock.rollback().await.expect("unlock");
    let response = request.await.expect("request task");
    assert!(answered.is_ok(), "the failed write was sent again");
    assert_eq!(response.status, 503, "{}", response.body);
    response.expect_code("SERVICE_UNAVAILABLE");
    let created = admin
        .query_one_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            "SELECT count(*) AS n FROM organizations WHERE name = 'Twice?'",
        ))
        .await
        .expect("count")
        .expect("row")
        .try_get::<i64>("", "n")
        .expect("n");
    assert_eq!(created, 0);
}

/// Item 13: the account-cache listener comes back after the database was away, and a change
/// made on another instance evicts again (R-PRV-4). Meanwhile the unreachable database is
/// `SERVICE_UNAVAILABLE`, and `/readyz` says so in time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_cache_listener_reconnects() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = TestApp::start(backend).await;
    let other = app.another_instance().await;
    let centre = app.service_centre("North").await;
    let admin_user = app.user(Role::Admin, None, None).await;
    let leaver = app.user(Role::Technician, Some(centre), None).await;
    let admin = admin(&app).await;
    let name: String = admin
        .query_one_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            "SELECT current_database() AS name",
        ))
        .await
        .expect("name")
        .expect("row")
        .try_get("", "name")
        .expect("name");
    let allow = |yes: bool| format!("ALTER DATABASE {name} WITH ALLOW_CONNECTIONS {yes}");
    // A database cannot close itself: ALTER it from the server's administrative database.
    let server = Database::connect(std::env::var("TEST_DATABASE_URL").expect("set"))
        .await
        .expect("server admin connection");

    // The database goes away: no new session is allowed, and the existing ones end.
    server
        .execute_unprepared(&allow(false))
        .await
        .expect("close");
    terminate(&admin, "true").await;
    wait_for("caching is off", || !other.state.principals.is_caching()).await;
    let down = other.gql(&leaver.auth, ME, json!({})).await;
    assert_eq!(down.status, 503, "{}", down.body);
    down.expect_code("SERVICE_UNAVAILABLE");
    assert!(down.headers.contains_key("retry-after"));
    let started = Instant::now();
    let ready = other
        .http
        .get(format!("{}/readyz", other.base_url))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 503);
    assert!(started.elapsed() < Duration::from_millis(1500));
    // Long enough for several reconnect attempts to fail.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!other.state.principals.is_caching());

    server.execute_unprepared(&allow(true)).await.expect("open");
    wait_for("caching is back", || other.state.principals.is_caching()).await;
    assert_eq!(other.gql(&leaver.auth, ME, json!({})).await.status, 200);
    app.gql(
        &admin_user.auth,
        "mutation($id: ID!) { deactivateUser(userId: $id) { id } }",
        json!({ "id": leaver.gid() }),
    )
    .await
    .data();
    let mut status = 200;
    for _ in 0..100 {
        status = other.gql(&leaver.auth, ME, json!({})).await.status;
        if status == 401 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        status, 401,
        "the other instance still accepts the leaver's token"
    );
}

/// `/readyz` answers within its timeout although every pooled connection is taken.
async fn readiness_answers_in_time_when_the_pool_is_exhausted(backend: Backend) {
    let mut config = test_config();
    config.database_max_connections = Some(3);
    let app = TestApp::start_with(backend, config).await;
    // On PostgreSQL the account-cache listener holds one connection already.
    let free = match app.db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => 2,
        _ => 3,
    };
    let mut held = Vec::new();
    for _ in 0..free {
        held.push(app.db.begin().await.expect("take a connection"));
    }
    let started = Instant::now();
    let ready = app
        .http
        .get(format!("{}/readyz", app.base_url))
        .send()
        .await
        .expect("readyz");
    let took = started.elapsed();
    assert_eq!(ready.status(), 503);
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    drop(held);
    let ready = app
        .http
        .get(format!("{}/readyz", app.base_url))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_answers_in_time_when_the_pool_is_exhausted_sqlite() {
    readiness_answers_in_time_when_the_pool_is_exhausted(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_answers_in_time_when_the_pool_is_exhausted_postgres() {
    if let Some(backend) = Backend::postgres() {
        readiness_answers_in_time_when_the_pool_is_exhausted(backend).await;
    }
}
