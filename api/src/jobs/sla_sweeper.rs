//! The SLA sweeper (R-ESC-2): finds complaints past a deadline, escalates them one level per
//! missed period up to the top, moves the missed deadlines on, and records escalation and
//! timeline rows — one transaction per complaint. Rows are claimed with `FOR UPDATE SKIP
//! LOCKED` on PostgreSQL, so several server instances never escalate a complaint twice; on
//! SQLite a single instance is assumed (writers are serialized anyway).

use std::collections::HashMap;
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

/// Escalates every complaint overdue at `now`; returns how many were escalated. A complaint
/// that fails is logged and left for a later sweep (see [`sweep`]).
pub async fn sweep_once(db: &DatabaseConnection, now: DateTime<Utc>) -> ApiResult<usize> {
    Ok(sweep(db, now, &mut Backoff::default()).await?.escalated)
}

/// What one pass did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub escalated: usize,
    /// Complaints whose escalation failed in this pass; retried after their backoff.
    pub failed: usize,
}

/// Complaints whose escalation failed, and when each may be tried again. One bad row must not
/// stop the sweep: it would be claimed first on every tick and starve every other complaint.
#[derive(Debug, Default)]
pub struct Backoff {
    failing: HashMap<i64, (u32, DateTime<Utc>)>,
}

/// First wait after a failure; it doubles with each further failure of the same complaint.
const FIRST_RETRY: Duration = Duration::seconds(30);
const LONGEST_RETRY: Duration = Duration::hours(1);

impl Backoff {
    fn resting(&self, now: DateTime<Utc>) -> Vec<i64> {
        self.failing
            .iter()
            .filter(|(_, (_, retry_at))| *retry_at > now)
            .map(|(id, _)| *id)
            .collect()
    }

    fn failed(&mut self, id: i64, now: DateTime<Utc>) -> Duration {
        let attempts = self.failing.get(&id).map_or(0, |(attempts, _)| *attempts);
        let wait = (FIRST_RETRY * 2_i32.saturating_pow(attempts.min(16))).min(LONGEST_RETRY);
        self.failing.insert(id, (attempts + 1, now + wait));
        wait
    }

    fn succeeded(&mut self, id: i64) {
        self.failing.remove(&id);
    }
}

/// One pass over the overdue complaints, skipping those still resting after a failure. Only a
/// database outage ends the pass early (every other complaint would fail the same way).
pub async fn sweep(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    backoff: &mut Backoff,
) -> ApiResult<SweepReport> {
    let mut report = SweepReport::default();
    loop {
        let txn = store::begin_write(db).await?;
        let resting = backoff.resting(now);
        let Some(overdue) = store::complaints::claim_overdue(&txn, now, 1, &resting)
            .await?
            .pop()
        else {
            txn.commit().await?;
            return Ok(report);
        };
        let outcome = match escalate_overdue(&txn, &overdue, now).await {
            Ok(()) => txn.commit().await.map_err(ApiError::from),
            Err(err) => Err(err),
        };
        match outcome {
            Ok(()) => {
                backoff.succeeded(overdue.id);
                report.escalated += 1;
            }
            Err(err @ ApiError::Unavailable(_)) => return Err(err),
            Err(err) => {
                let retry_in = backoff.failed(overdue.id, now);
                tracing::error!(
                    complaint_id = overdue.id,
                    error = ?err,
                    retry_in_seconds = retry_in.num_seconds(),
                    "SLA escalation failed; skipped until the retry"
                );
                report.failed += 1;
            }
        }
    }
}

/// Runs [`sweep`] every `interval` until the process ends; errors are logged, not fatal.
pub fn spawn(
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    interval: StdDuration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut backoff = Backoff::default();
        loop {
            ticker.tick().await;
            match sweep(&db, clock.now(), &mut backoff).await {
                Ok(SweepReport {
                    escalated: 0,
                    failed: 0,
                }) => {}
                Ok(report) => tracing::info!(
                    escalated = report.escalated,
                    failed = report.failed,
                    "SLA sweep"
                ),
                Err(err) => tracing::error!(error = ?err, "SLA sweep failed"),
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_failing_complaint_rests_longer_each_time_and_not_after_success() {
        let now = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
        let mut backoff = Backoff::default();
        assert_eq!(backoff.failed(7, now), Duration::seconds(30));
        assert_eq!(backoff.resting(now), vec![7]);
        assert!(backoff.resting(now + Duration::seconds(30)).is_empty());
        assert_eq!(backoff.failed(7, now), Duration::seconds(60));
        for _ in 0..20 {
            backoff.failed(7, now);
        }
        assert_eq!(backoff.failed(7, now), LONGEST_RETRY);
        backoff.succeeded(7);
        assert!(backoff.resting(now).is_empty());
    }
}
