//! `EXPLAIN` of every statement each workload runs, on the loaded data set: one request per
//! workload goes to an in-process server whose statements (with their values) are captured from
//! the `servicedesk::sql` trace, then each is explained on the same database.

use std::sync::{Arc, Mutex};

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use servicedesk::app::AppState;
use servicedesk::domain::clock::SystemClock;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context as LayerContext, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, filter::Targets};

use crate::load::Sizes;
use crate::workload::{Kind, Tokens, request};

/// Tables big enough in the data set that a sequential scan of them is a missing index.
const BIG_TABLES: &[&str] = &[
    "repair_orders",
    "complaints",
    "ticket_events",
    "users",
    "assets",
    "sla_clocks",
];
/// Below this many rows a sequential scan reads a few pages and is the planner's right choice.
const MIN_ROWS: f64 = 1000.0;
const BIND: &str = "127.0.0.1:18081";

/// Collects the `sql` field of `servicedesk::sql` events.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<String>>>);

impl Captured {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

struct SqlField(Option<String>);

impl Visit for SqlField {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "sql" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for Captured {
    fn on_event(&self, event: &tracing::Event<'_>, _: LayerContext<'_, S>) {
        let mut sql = SqlField(None);
        event.record(&mut sql);
        if let Some(sql) = sql.0 {
            self.0.lock().unwrap_or_else(|e| e.into_inner()).push(sql);
        }
    }
}

/// One explained statement.
pub struct Explained {
    pub sql: String,
    /// The plan's scan nodes, e.g. `Index Scan using uq_complaints_number on complaints c`.
    pub scans: Vec<String>,
    /// A sequential scan of one of the big tables.
    pub seq_scan_of_big_table: bool,
}

/// Explains what one request of each workload runs.
pub async fn workloads(
    url: &str,
    db: &DatabaseConnection,
    tokens: &Tokens,
    sizes: &Sizes,
) -> anyhow::Result<Vec<(Kind, Vec<Explained>)>> {
    let captured = Captured::default();
    tracing_subscriber::registry()
        .with(Targets::new().with_target("servicedesk::sql", tracing::Level::TRACE))
        .with(captured.clone())
        .try_init()
        .context("install the statement capture")?;
    let config = crate::bench_config(url.to_owned());
    let server_db = servicedesk::db::connect(url, &config).await?;
    let state = AppState::new(server_db, Arc::new(SystemClock), &config, crate::SECRET);
    let listener = tokio::net::TcpListener::bind(BIND).await?;
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            servicedesk::http::router(state)
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    let client = reqwest::Client::new();
    let mut out = Vec::new();
    for kind in Kind::ALL {
        captured.take();
        let (token, body) = request(kind, tokens, sizes, 1);
        let mut call = client.post(format!("http://{BIND}/graphql")).json(&body);
        if let Some(token) = token {
            call = call.bearer_auth(token);
        }
        let text = call.send().await?.text().await?;
        anyhow::ensure!(!text.contains("\"errors\""), "{}: {text}", kind.name());
        let mut explained = Vec::new();
        for sql in captured.take() {
            explained.push(explain(db, sql, BIG_TABLES).await?);
        }
        out.push((kind, explained));
    }
    server.abort();
    Ok(out)
}

/// `EXPLAIN` of `sql` (with its values); a sequential scan of one of `big_tables` returning
/// under 10% of it is flagged.
pub(crate) async fn explain(
    db: &DatabaseConnection,
    sql: String,
    big_tables: &[&str],
) -> anyhow::Result<Explained> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!("EXPLAIN {sql}"),
        ))
        .await
        .with_context(|| format!("EXPLAIN {sql}"))?;
    let mut scans = Vec::new();
    let mut seq_scan_of_big_table = false;
    for row in rows {
        let line: String = row.try_get("", "QUERY PLAN")?;
        let line = line.trim().trim_start_matches("->").trim();
        if !line.contains("Scan") {
            continue;
        }
        let (node, estimate) = line.split_once("  (").unwrap_or((line, ""));
        let mut node = node.to_owned();
        let big = big_tables
            .iter()
            .find(|t| node.starts_with("Seq Scan") && node.split(' ').nth(3) == Some(**t));
        if let Some(table) = big {
            // A scan returning a large part of the table is the right plan, not a missing index.
            let rows = table_rows(db, table).await?;
            let share = estimated_rows(estimate) / rows.max(1.0);
            node.push_str(&format!(" (returns ~{:.0}% of it)", share * 100.0));
            seq_scan_of_big_table |= share < 0.10 && rows >= MIN_ROWS;
        }
        scans.push(node);
    }
    Ok(Explained {
        sql,
        scans,
        seq_scan_of_big_table,
    })
}

/// `rows=N` from a plan node's estimate.
fn estimated_rows(estimate: &str) -> f64 {
    estimate
        .split_whitespace()
        .find_map(|part| part.strip_prefix("rows="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0)
}

async fn table_rows(db: &DatabaseConnection, table: &str) -> anyhow::Result<f64> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT CAST(reltuples AS DOUBLE PRECISION) AS n FROM pg_class WHERE relname = '{table}'"
            ),
        ))
        .await?
        .context("table statistics")?;
    Ok(row.try_get("", "n")?)
}

/// The Markdown section for RESULTS.md.
pub fn report(explained: &[(Kind, Vec<Explained>)]) -> String {
    let mut out = String::from(
        "\n## EXPLAIN of each workload's statements\n\n\
         Every statement one request of each workload ran (captured with its values), explained on \
         the loaded data set. A sequential scan of a loaded table (repair orders, complaints, \
         events, users, assets, SLA clocks) returning under 10% of it is a missing index: marked ✗, and \
         the harness fails.\n",
    );
    for (kind, statements) in explained {
        out.push_str(&format!("\n**{}**\n\n", kind.name()));
        for e in statements {
            let mark = if e.seq_scan_of_big_table {
                "✗"
            } else {
                "✓"
            };
            let sql: String = e.sql.chars().take(110).collect();
            let scans = if e.scans.is_empty() {
                "no scan".to_owned()
            } else {
                e.scans.join("; ")
            };
            out.push_str(&format!(
                "- {mark} `{}…` → {scans}\n",
                sql.replace('`', "'")
            ));
        }
    }
    out
}
