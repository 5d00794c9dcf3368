//! Keyset pagination: the agent's `repairOrders(first: 50)` page 1 against a page deep in the
//! list (page 10,000 at full scale), one client, requests interleaved.

use std::time::Instant;

use anyhow::Context;
use async_graphql::connection::CursorType;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::json;
use servicedesk::graphql::pagination::KeysetCursor;

use crate::workload::Tokens;

const PAGE: i64 = 50;
const WANTED_PAGE: i64 = 10_000;
pub const REQUESTS: usize = 300;

pub struct Comparison {
    pub deep_page: i64,
    pub first_median_ms: f64,
    pub first_p95_ms: f64,
    pub deep_median_ms: f64,
    pub deep_p95_ms: f64,
}

impl Comparison {
    /// Deep page median over page-1 median.
    pub fn ratio(&self) -> f64 {
        self.deep_median_ms / self.first_median_ms.max(f64::EPSILON)
    }
}

/// The cursor of the last row before `page` in the agent's list (newest first, centre 1).
async fn cursor_before(db: &DatabaseConnection, page: i64) -> anyhow::Result<String> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT created_at, id FROM repair_orders WHERE service_centre_id = 1 \
                 ORDER BY created_at DESC, id DESC OFFSET {} LIMIT 1",
                (page - 1) * PAGE - 1
            ),
        ))
        .await?
        .context("the list is shorter than the page")?;
    let created_at: DateTime<Utc> = row.try_get("", "created_at")?;
    let id: i64 = row.try_get("", "id")?;
    Ok(KeysetCursor(created_at, id).encode_cursor())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0.0)
}

pub async fn compare(
    base: &str,
    db: &DatabaseConnection,
    tokens: &Tokens,
    orders: i64,
) -> anyhow::Result<Comparison> {
    let deep_page = WANTED_PAGE.min(orders / PAGE - 1).max(2);
    let cursor = cursor_before(db, deep_page).await?;
    let query = "query($after: String) { repairOrders(first: 50, after: $after) { edges { node { number status customer { name phone } asset { model } technician { name } events(last: 3) { action createdAt } } } } }";
    let client = reqwest::Client::new();
    let (mut first, mut deep) = (Vec::new(), Vec::new());
    for i in 0..REQUESTS * 2 {
        let after = (i % 2 == 1).then(|| cursor.clone());
        let sent = Instant::now();
        let text = client
            .post(format!("{base}/graphql"))
            .bearer_auth(tokens.agent())
            .json(&json!({ "query": query, "variables": { "after": after } }))
            .send()
            .await?
            .text()
            .await?;
        let ms = sent.elapsed().as_secs_f64() * 1000.0;
        anyhow::ensure!(text.contains("\"edges\":[{"), "page {i}: {text}");
        if after.is_some() {
            deep.push(ms)
        } else {
            first.push(ms)
        }
    }
    first.sort_by(f64::total_cmp);
    deep.sort_by(f64::total_cmp);
    Ok(Comparison {
        deep_page,
        first_median_ms: percentile(&first, 0.5),
        first_p95_ms: percentile(&first, 0.95),
        deep_median_ms: percentile(&deep, 0.5),
        deep_p95_ms: percentile(&deep, 0.95),
    })
}
