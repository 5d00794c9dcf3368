//! The SLA sweeper (R-ESC-2): finds complaints past a deadline, escalates them one level per
//! missed period up to the top, moves the missed deadlines on, and records escalation and
//! timeline rows — one transaction per complaint. Rows are claimed with `FOR UPDATE SKIP
//! LOCKED` on PostgreSQL, so several server instances never escalate a complaint twice; on
//! SQLite a single instance is assumed (writers are serialized anyway).

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use entity::complaints;
use sea_orm::{DatabaseConnection, DatabaseTransaction, Set};

use crate::domain::clock::Clock;
use crate::domain::complaint::{self, Clock as SlaClock, TOP_LEVEL, level_words};
use crate::domain::identity::Principal;
use crate::domain::sla::missed_periods;
use crate::error::{ApiError, ApiResult};
use crate::services::complaints::{Deadlines, deadlines};
use crate::store::{self, events::NewEvent};

/// Escalates every complaint overdue at `now`; returns how many were handled.
pub async fn sweep_once(db: &DatabaseConnection, now: DateTime<Utc>) -> ApiResult<usize> {
    let mut handled = 0;
    loop {
        let txn = store::begin_write(db).await?;
        let Some(overdue) = store::complaints::claim_overdue(&txn, now, 1).await?.pop() else {
            txn.commit().await?;
            return Ok(handled);
        };
        escalate_overdue(&txn, &overdue, now).await?;
        txn.commit().await?;
        handled += 1;
    }
}

/// Runs `sweep_once` every `interval` until the process ends; errors are logged, not fatal.
pub fn spawn(
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    interval: StdDuration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match sweep_once(&db, clock.now()).await {
                Ok(0) => {}
                Ok(count) => tracing::info!(count, "escalated overdue complaints"),
                Err(err) => tracing::error!(error = %err.message(), "SLA sweep failed"),
            }
        }
    })
}

fn period(limits: &Deadlines, clock: SlaClock) -> Duration {
    match clock {
        SlaClock::FirstResponse => limits.first_response,
        SlaClock::ProgressUpdate => limits.progress_update,
        SlaClock::Solution => Duration::days(i64::from(limits.solution_days)),
        SlaClock::Resolution => limits.resolution,
    }
}

async fn escalate_overdue(
    txn: &DatabaseTransaction,
    c: &complaints::Model,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let limits = deadlines(txn, c.severity).await?;
    let mut changes = complaints::ActiveModel::default();
    let mut worst: Option<(SlaClock, u32, DateTime<Utc>)> = None;
    let mut moved = c.clone();
    for (clock, due) in complaint::open_clocks(c) {
        let (missed, next_due) = missed_periods(due, period(&limits, clock), now);
        if missed == 0 {
            continue;
        }
        match clock {
            SlaClock::FirstResponse => {
                changes.first_response_due = Set(next_due);
                moved.first_response_due = next_due;
            }
            SlaClock::ProgressUpdate => {
                changes.next_update_due = Set(next_due);
                moved.next_update_due = next_due;
            }
            SlaClock::Solution => {
                changes.solution_due = Set(Some(next_due));
                moved.solution_due = Some(next_due);
            }
            SlaClock::Resolution => {
                changes.resolution_due = Set(next_due);
                moved.resolution_due = next_due;
            }
        }
        if worst.is_none_or(|(_, most, _)| missed > most) {
            worst = Some((clock, missed, due));
        }
    }
    let Some((clock, missed, due)) = worst else {
        return Err(ApiError::Internal(format!(
            "complaint {} claimed but not overdue",
            c.id
        )));
    };
    // Several clocks missed together are one breach: climb by the most missed periods.
    let climb = i16::try_from(missed)
        .unwrap_or(i16::MAX)
        .min(TOP_LEVEL - c.escalation_level)
        .max(0);
    let level = c.escalation_level + climb;
    changes.escalation_level = Set(level);
    changes.next_deadline = Set(complaint::next_deadline(&moved));
    store::complaints::update_versioned(txn, c.id, c.version, changes, now).await?;
    for step in 0..climb {
        let from = c.escalation_level + step;
        let reason = format!("{} deadline missed (R-ESC-2)", clock.name());
        let missed_at = due + period(&limits, clock) * i32::from(step);
        store::escalations::insert(
            txn,
            c.id,
            from,
            from + 1,
            reason,
            Some((clock.name(), missed_at)),
            None,
            c.owner_id,
            true,
            now,
        )
        .await?;
    }
    let system = Principal::Anonymous;
    let (action, note, public) = if climb > 0 {
        ("ESCALATED", level_words(level).to_owned(), true)
    } else {
        (
            "DEADLINE_MISSED",
            format!("{} deadline missed at the top level", clock.name()),
            false,
        )
    };
    store::events::append(
        txn,
        NewEvent {
            kind: entity::ticket_events::TicketKind::Complaint,
            ticket_id: c.id,
            actor: &system,
            action,
            from_status: None,
            to_status: None,
            note: Some(note),
            public,
        },
        now,
    )
    .await
}
