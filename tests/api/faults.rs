//! Database faults: concurrent writers on SQLite, lost PostgreSQL connections, an unreachable
//! database.

use std::sync::Arc;
use std::time::{Duration, Instant};

use entity::users::Role;
use sea_orm::{ConnectionTrait, SqliteTransactionMode, TransactionOptions, TransactionTrait};
use serde_json::json;
use servicedesk_tests::{TestApp, db_tests};

db_tests!(concurrent_writers_never_fail, reads_go_on_beside_a_long_write);

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
            .asset(customer.id, app.clock_now().date_naive() + chrono::Duration::days(200))
            .await;
        let app = app.clone();
        writers.spawn(async move {
            let input = json!({ "assetId": asset.to_string(), "faultDescription": "Not cooling",
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
