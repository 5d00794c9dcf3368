//! The retention job (R-PRV-6): personal data of tickets closed longer ago than their kind's
//! retention period is destroyed by anonymizing it in place — the ticket stays for statistics
//! and nothing is deleted (R-PRV-11) — with a destruction record and an audit entry in the same
//! transaction. A ticket under a legal hold is left alone. Each batch is one transaction; a
//! second instance racing on the same ticket fails on the destruction record's unique key and
//! rolls back, so nothing is recorded twice.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use entity::ticket_events::TicketKind;
use sea_orm::DatabaseConnection;

use crate::attachments::Storage;

use crate::domain::clock::Clock;
use crate::domain::privacy;
use crate::error::ApiResult;
use crate::store;
use crate::store::audit::{Access, Actor};
use crate::store::retention::Destruction;

/// Tickets anonymized per transaction.
const BATCH: u64 = 100;

/// Anonymizes every expired ticket not on hold; the number anonymized. The stored objects of
/// a ticket's attachments are deleted before its batch commits: an object that cannot be
/// deleted fails the batch, which the next pass tries again.
pub async fn run(db: &DatabaseConnection, storage: &Storage, now: DateTime<Utc>) -> ApiResult<u64> {
    let mut destroyed = 0;
    for policy in store::retention::policies(db).await? {
        let Some(spec) = store::retention::personal_data(policy.ticket_kind) else {
            continue;
        };
        let cutoff = privacy::retention_cutoff(now, policy.retention_days);
        loop {
            let txn = store::begin_write(db).await?;
            let due = store::retention::expired(&txn, spec, cutoff, BATCH).await?;
            for ticket in &due {
                let (objects, fields) =
                    store::retention::anonymize(&txn, spec, ticket.id, now).await?;
                for key in &objects {
                    storage.delete(key).await?;
                }
                store::retention::record_destruction(
                    &txn,
                    Destruction {
                        kind: policy.ticket_kind,
                        ticket_id: ticket.id,
                        closed_at: ticket.closed_at,
                        retention_days: policy.retention_days,
                        fields: &fields,
                    },
                    now,
                )
                .await?;
                store::audit::write(
                    &txn,
                    &Access {
                        occurred_at: now,
                        actor: Actor::system(),
                        action: "personal_data.destroyed",
                        subject_kind: subject_kind(policy.ticket_kind),
                        subject_id: Some(ticket.id),
                        operation: Some("retention".to_owned()),
                        fields: fields.clone(),
                        row_count: Some(1),
                        users: vec![ticket.customer_id],
                        detail: Some(serde_json::json!({ "retentionDays": policy.retention_days })),
                    },
                )
                .await?;
            }
            txn.commit().await?;
            destroyed += due.len() as u64;
            if (due.len() as u64) < BATCH {
                break;
            }
        }
    }
    Ok(destroyed)
}

/// The audit log's name for a ticket kind.
pub fn subject_kind(kind: TicketKind) -> &'static str {
    match kind {
        TicketKind::RepairOrder => "REPAIR_ORDER",
        TicketKind::Complaint => "COMPLAINT",
        TicketKind::ReturnVisit => "RETURN_VISIT",
        TicketKind::Inquiry => "INQUIRY",
    }
}

/// A ticket kind in words, for messages.
pub fn subject_name(kind: TicketKind) -> &'static str {
    match kind {
        TicketKind::RepairOrder => "repair order",
        TicketKind::Complaint => "complaint",
        TicketKind::ReturnVisit => "return visit",
        TicketKind::Inquiry => "inquiry",
    }
}

/// Runs `run` every `interval` until the process ends.
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
            match run(&db, &storage, clock.now()).await {
                Ok(0) => {}
                Ok(destroyed) => {
                    tracing::info!(destroyed, "personal data past retention anonymized")
                }
                Err(err) => tracing::error!(error = ?err, "retention pass failed"),
            }
        }
    })
}
