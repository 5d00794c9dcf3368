//! The SLA sweeper: one pass over every clock due at `now`, whatever its ticket kind, read by
//! the clocks' next due instant (`idx_sla_clocks_next_check`), so a pass costs O(due clocks)
//! however many tickets are open. Each ticket is swept in its own transaction by the engine
//! (`services::sla::sweep_ticket`: warnings, breaches, penalties, one level per missed period);
//! a clock that asks for an action of its own (a repair the customer never confirmed) gets it
//! here. A sweeper takes the ticket's row with `FOR UPDATE SKIP LOCKED` on PostgreSQL before
//! its clocks, so several server instances never handle the same ticket at once (and a ticket
//! someone is changing waits for the next tick); on SQLite writers are serialized anyway.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use entity::sla_policies::SlaMetric;
use entity::ticket_events::TicketKind;
use sea_orm::DatabaseConnection;

use crate::domain::clock::Clock;
use crate::error::{ApiError, ApiResult};
use crate::services::{RuleSettings, repair_orders, sla};
use crate::store;

/// Sweeps every clock due at `now` with the default rule settings; returns how many tickets
/// missed a deadline (a clock breached, or a further period passed). A ticket that fails is
/// logged and left for a later sweep (see [`sweep`]).
pub async fn sweep_once(db: &DatabaseConnection, now: DateTime<Utc>) -> ApiResult<usize> {
    let settings = RuleSettings::default();
    Ok(sweep(db, &settings, now, &mut Backoff::default())
        .await?
        .missed)
}

/// What one pass did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Tickets swept.
    pub tickets: usize,
    /// Tickets that missed a deadline in this pass.
    pub missed: usize,
    /// Levels climbed (R-ESC-2).
    pub escalated: usize,
    pub breaches: usize,
    pub warnings: usize,
    /// Tickets whose sweep failed in this pass; retried after their backoff.
    pub failed: usize,
}

/// Tickets whose sweep failed, and when each may be tried again. One bad row must not stop the
/// sweep: it would be claimed first on every tick and starve every other ticket.
#[derive(Debug, Default)]
pub struct Backoff {
    failing: HashMap<Ticket, (u32, DateTime<Utc>)>,
}

type Ticket = (TicketKind, i64);

/// First wait after a failure; it doubles with each further failure of the same ticket.
const FIRST_RETRY: Duration = Duration::seconds(30);
const LONGEST_RETRY: Duration = Duration::hours(1);

impl Backoff {
    fn resting(&self, now: DateTime<Utc>) -> Vec<Ticket> {
        self.failing
            .iter()
            .filter(|(_, (_, retry_at))| *retry_at > now)
            .map(|(id, _)| *id)
            .collect()
    }

    fn failed(&mut self, id: Ticket, now: DateTime<Utc>) -> Duration {
        let attempts = self.failing.get(&id).map_or(0, |(attempts, _)| *attempts);
        let wait = (FIRST_RETRY * 2_i32.saturating_pow(attempts.min(16))).min(LONGEST_RETRY);
        self.failing.insert(id, (attempts + 1, now + wait));
        wait
    }

    fn succeeded(&mut self, id: Ticket) {
        self.failing.remove(&id);
    }
}

/// One pass over the due clocks, skipping those still resting after a failure. Only a
/// database outage ends the pass early (every other ticket would fail the same way).
pub async fn sweep(
    db: &DatabaseConnection,
    settings: &RuleSettings,
    now: DateTime<Utc>,
    backoff: &mut Backoff,
) -> ApiResult<SweepReport> {
    let mut report = SweepReport::default();
    // A clock the engine left due would be claimed again at once: a bug, handled as a failure
    // so that the pass ends.
    let mut seen = HashSet::new();
    // Tickets another sweeper (or a change in progress) holds: theirs, or the next tick's.
    let mut busy = Vec::new();
    loop {
        let txn = store::begin_write(db).await?;
        let mut skip = backoff.resting(now);
        skip.extend(busy.iter().copied());
        let Some(claimed) = store::sla_clocks::next_due(&txn, now, &skip).await? else {
            txn.commit().await?;
            return Ok(report);
        };
        let ticket = (claimed.ticket_kind, claimed.ticket_id);
        if !store::tickets::try_lock(&txn, ticket.0, ticket.1).await? {
            busy.push(ticket);
            txn.rollback().await?;
            continue;
        }
        let outcome = if seen.insert(claimed.id) {
            match sweep_claimed(&txn, settings, &claimed, now).await {
                Ok(swept) => txn.commit().await.map(|()| swept).map_err(ApiError::from),
                Err(err) => Err(err),
            }
        } else {
            Err(ApiError::Internal(format!(
                "clock {} still due after its sweep",
                claimed.id
            )))
        };
        match outcome {
            Ok(swept) => {
                backoff.succeeded(ticket);
                report.tickets += 1;
                report.missed += usize::from(swept.missed);
                report.escalated += swept.escalations;
                report.breaches += swept.breaches;
                report.warnings += swept.warnings;
            }
            Err(err @ ApiError::Unavailable(_)) => return Err(err),
            Err(err) => {
                let retry_in = backoff.failed(ticket, now);
                tracing::error!(
                    clock_id = claimed.id,
                    ticket_kind = ?claimed.ticket_kind,
                    ticket_id = claimed.ticket_id,
                    error = ?err,
                    retry_in_seconds = retry_in.num_seconds(),
                    "SLA sweep of a ticket failed; skipped until the retry"
                );
                report.failed += 1;
            }
        }
    }
}

/// The engine's sweep of the claimed clock's ticket, then the actions its missed clocks ask
/// for, in the same transaction.
async fn sweep_claimed(
    txn: &sea_orm::DatabaseTransaction,
    settings: &RuleSettings,
    claimed: &entity::sla_clocks::Model,
    now: DateTime<Utc>,
) -> ApiResult<sla::Swept> {
    let swept = sla::sweep_ticket(txn, claimed, now).await?;
    for metric in &swept.follow_ups {
        if (swept.kind, *metric) == (Some(TicketKind::RepairOrder), SlaMetric::Confirmation) {
            repair_orders::confirm_for_silent_customer(txn, settings, swept.ticket_id, now).await?;
        }
    }
    Ok(swept)
}

/// Runs [`sweep`], then the manager's daily digests (`jobs::digest`) and the purge of expired
/// idempotency keys, every `interval` until the process ends; errors are logged, not fatal.
pub fn spawn(
    db: DatabaseConnection,
    settings: RuleSettings,
    clock: Arc<dyn Clock>,
    interval: StdDuration,
    metrics: Arc<crate::metrics::Metrics>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut backoff = Backoff::default();
        loop {
            ticker.tick().await;
            let swept = sweep(&db, &settings, clock.now(), &mut backoff).await;
            let finished = clock.now().timestamp_millis() as f64 / 1000.0;
            metrics.observe_sweep(swept.is_ok(), finished);
            match swept {
                Ok(SweepReport { tickets: 0, .. }) => {}
                Ok(report) => tracing::info!(
                    tickets = report.tickets,
                    escalated = report.escalated,
                    breaches = report.breaches,
                    warnings = report.warnings,
                    failed = report.failed,
                    "SLA sweep"
                ),
                Err(err) => tracing::error!(error = ?err, "SLA sweep failed"),
            }
            match super::digest::run(&db, clock.now()).await {
                Ok(0) => {}
                Ok(written) => tracing::info!(written, "daily GENERAL complaint digests"),
                Err(err) => tracing::error!(error = ?err, "daily digests failed"),
            }
            match super::warranty_visits::run(&db, clock.now()).await {
                Ok(0) => {}
                Ok(written) => tracing::info!(written, "warranty-end return visits scheduled"),
                Err(err) => tracing::error!(error = ?err, "warranty-end visits failed"),
            }
            if let Err(err) = crate::idempotency::purge(&db, clock.now()).await {
                tracing::error!(error = ?err, "purging expired idempotency keys failed");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_failing_ticket_rests_longer_each_time_and_not_after_success() {
        let now = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
        let mut backoff = Backoff::default();
        let ticket = (TicketKind::Complaint, 7);
        assert_eq!(backoff.failed(ticket, now), Duration::seconds(30));
        assert_eq!(backoff.resting(now), vec![ticket]);
        assert!(backoff.resting(now + Duration::seconds(30)).is_empty());
        assert_eq!(backoff.failed(ticket, now), Duration::seconds(60));
        for _ in 0..20 {
            backoff.failed(ticket, now);
        }
        assert_eq!(backoff.failed(ticket, now), LONGEST_RETRY);
        backoff.succeeded(ticket);
        assert!(backoff.resting(now).is_empty());
    }
}
