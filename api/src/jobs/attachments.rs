//! Removal of uploads never attached to a ticket: after `ATTACHMENT_PENDING_TTL_SECONDS` the
//! row and its object go. Rows are claimed in batches (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL), so several instances share the work and an attach racing a removal finds the
//! row gone rather than attaching a deleted file.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::attachments::Storage;
use crate::domain::clock::Clock;
use crate::error::ApiResult;
use crate::store;

/// Rows claimed per transaction.
const BATCH: u64 = 100;

/// Removes every upload pending since before `now - pending_ttl`; the number removed. An
/// object that cannot be deleted keeps its row (and its batch), to be tried on the next pass.
pub async fn remove_expired(
    db: &DatabaseConnection,
    storage: &Storage,
    now: DateTime<Utc>,
) -> ApiResult<u64> {
    let cutoff = now - storage.pending_ttl;
    let mut removed = 0;
    loop {
        let txn = store::begin_write(db).await?;
        let rows = store::attachments::claim_expired(&txn, cutoff, BATCH).await?;
        if rows.is_empty() {
            return Ok(removed);
        }
        for row in &rows {
            storage.delete(&row.object_key).await?;
        }
        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        store::attachments::delete(&txn, &ids).await?;
        txn.commit().await?;
        removed += ids.len() as u64;
        if (ids.len() as u64) < BATCH {
            return Ok(removed);
        }
    }
}

/// Runs `remove_expired` every `interval` until the process ends.
pub fn spawn(
    db: DatabaseConnection,
    storage: Arc<Storage>,
    clock: Arc<dyn Clock>,
    interval: StdDuration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match remove_expired(&db, &storage, clock.now()).await {
                Ok(0) => {}
                Ok(removed) => tracing::info!(removed, "removed unattached uploads"),
                Err(err) => tracing::error!(error = ?err, "removing unattached uploads failed"),
            }
        }
    })
}
