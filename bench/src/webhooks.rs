//! The webhook cell (issue 13): deliveries per second to a receiver on loopback that answers
//! 204 at once, so the figure is the server's cost per delivery (claim, sign, POST, log).
//! On a database of its own: `events` timeline rows for internal endpoints (1 and 8 of them),
//! dispatched into messages, then sent by `servicedesk::jobs::webhooks::deliver_due` in-process
//! until none is due, timed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Set};
use servicedesk::jobs::webhooks::{self, Sender, WebhookSettings};

const DATABASE: &str = "servicedesk_bench_webhooks";
pub const HEADING: &str = "## Webhook deliveries";

/// One run: so many events for so many endpoints.
pub struct Run {
    pub endpoints: usize,
    pub messages: u64,
    pub dispatch: Duration,
    pub deliver: Duration,
    /// Requests the receiver got.
    pub received: u64,
    /// The machine's 1-minute load average before and after: other work on the cores.
    pub load_average: (f64, f64),
}

impl Run {
    pub fn per_second(&self) -> f64 {
        self.messages as f64 / self.deliver.as_secs_f64()
    }
}

/// Runs the cell for 1 and 8 endpoints with `events` events each.
pub async fn run(admin_url: &str, events: u64) -> anyhow::Result<Vec<Run>> {
    let received = Arc::new(AtomicU64::new(0));
    let counter = received.clone();
    let app = axum::Router::new().route(
        "/{endpoint}",
        axum::routing::post(move || {
            counter.fetch_add(1, Ordering::Relaxed);
            async { axum::http::StatusCode::NO_CONTENT }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let receiver = tokio::spawn(async move { axum::serve(listener, app).await });
    let sender = Sender::new(&WebhookSettings {
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(15),
        allow_private_targets: true,
    })
    .map_err(|err| anyhow::anyhow!("{err:?}"))?;
    let mut runs = Vec::new();
    for endpoints in [1, 8] {
        let db = fresh(admin_url).await?;
        received.store(0, Ordering::Relaxed);
        runs.push(one(&db, &sender, &base, endpoints, events, &received).await?);
        db.close().await.ok();
    }
    receiver.abort();
    let admin = Database::connect(admin_url).await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        .await?;
    Ok(runs)
}

async fn fresh(admin_url: &str) -> anyhow::Result<DatabaseConnection> {
    let admin = Database::connect(admin_url).await?;
    let url = crate::fresh_database(&admin, admin_url, DATABASE).await?;
    let db = servicedesk::db::connect(&url, &crate::bench_config(url.clone())).await?;
    servicedesk::db::migrate(&db).await?;
    Ok(db)
}

async fn one(
    db: &DatabaseConnection,
    sender: &Sender,
    base: &str,
    endpoints: usize,
    events: u64,
    received: &AtomicU64,
) -> anyhow::Result<Run> {
    let created = Utc::now() - chrono::Duration::hours(1);
    for i in 0..endpoints {
        let endpoint = entity::webhook_endpoints::ActiveModel {
            organization_id: Set(None),
            url: Set(format!("{base}/{i}")),
            description: Set(String::new()),
            event_types: Set("[]".into()),
            secret: Set(servicedesk::domain::webhook::generate_secret()),
            enabled: Set(true),
            created_by: Set("bench".into()),
            created_at: Set(created),
            version: Set(1),
            ..Default::default()
        };
        servicedesk::store::webhooks::insert_endpoint(db, endpoint)
            .await
            .map_err(|err| anyhow::anyhow!("{err:?}"))?;
    }
    db.execute_unprepared(&format!(
        "INSERT INTO ticket_events (ticket_kind, ticket_id, actor_role, action, from_status, \
         to_status, public, created_at) SELECT 'REPAIR_ORDER', g, 'AGENT', 'ASSIGNED', \
         'SUBMITTED', 'ASSIGNED', TRUE, now() FROM generate_series(1, {events}) g"
    ))
    .await?;
    db.execute_unprepared("ANALYZE").await?;
    let failed = |err| anyhow::anyhow!("{err:?}");
    let load_before = crate::sweep::load_average();
    let started = Instant::now();
    let mut messages = 0;
    while messages < events * endpoints as u64 {
        let made = webhooks::dispatch(db, Utc::now()).await.map_err(failed)?;
        if made == 0 {
            // Held back behind a transaction still in flight on the server (another database's).
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        messages += made;
    }
    let dispatch = started.elapsed();
    let started = Instant::now();
    let mut attempted = 0;
    loop {
        let (sent, _, more) = webhooks::deliver_due(db, sender, Utc::now())
            .await
            .map_err(failed)?;
        attempted += sent as u64;
        if !more {
            break;
        }
    }
    let deliver = started.elapsed();
    anyhow::ensure!(
        attempted == messages,
        "{attempted} attempts, {messages} messages"
    );
    let run = Run {
        endpoints,
        messages,
        dispatch,
        deliver,
        received: received.load(Ordering::Relaxed),
        load_average: (load_before, crate::sweep::load_average()),
    };
    eprintln!(
        "webhooks: {} endpoints, {} messages: dispatched in {:.2} s, delivered at {:.0}/s",
        endpoints,
        messages,
        dispatch.as_secs_f64(),
        run.per_second()
    );
    Ok(run)
}

/// The cell's section of RESULTS.md.
pub fn report(runs: &[Run]) -> String {
    let mut text = format!(
        "\n{HEADING}\n\nInternal endpoints on one receiver on loopback that answers 204 at once; \
         the worker in-process on PostgreSQL, one instance, claims of 50, each endpoint's \
         messages one after another and the endpoints concurrently. Every delivery is a claim \
         share, an HMAC signature, an HTTP POST and its logged attempt (an UPDATE and an \
         INSERT in one transaction).\n\n\
         | endpoints | messages | dispatch (messages/s) | deliveries/s | load average before → after |\n\
         |---|---|---|---|---|\n"
    );
    for run in runs {
        text.push_str(&format!(
            "| {} | {} | {:.0} | {:.0} | {:.2} → {:.2} |\n",
            run.endpoints,
            run.messages,
            run.messages as f64 / run.dispatch.as_secs_f64(),
            run.per_second(),
            run.load_average.0,
            run.load_average.1
        ));
    }
    text
}

/// The receiver got every request.
pub fn check(runs: &[Run]) -> anyhow::Result<()> {
    for run in runs {
        anyhow::ensure!(
            run.received == run.messages,
            "{} requests for {} messages",
            run.received,
            run.messages
        );
    }
    Ok(())
}
