//! Fan-out of the event log to live readers (subscriptions): one reader per process follows
//! `ticket_events` in commit order and broadcasts what it reads, with each row's ticket owners,
//! to every subscriber, who keeps what its own filter admits. A change therefore costs one read
//! however many subscribers there are.
//!
//! The reader wakes when this process wrote (`poke`, after every mutation), when PostgreSQL
//! announces another instance's commit on [`CHANNEL`] (a trigger notifies the writing
//! transaction's id, never a payload, which `NOTIFY` would cap at 8,000 bytes), and every poll
//! interval anyway. Notifications sent while the listener reconnects are lost, so a reconnect
//! wakes the reader, which catches up from the table: the table is the truth, the notification
//! only a hint to look now. Its reads are background work, not counted in `/metrics`.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::sync::{Notify, broadcast, watch};

use crate::error::ApiResult;
use crate::notifications::Listener;
use crate::store::events::{self, Owned, Position};

/// The PostgreSQL channel on which the `ticket_events` trigger announces commits.
pub const CHANNEL: &str = "servicedesk_events";

/// Rows read and broadcast at a time.
const PAGE: u64 = 500;
/// Pause before looking again for an announced transaction whose rows are not readable yet
/// (an older transaction is still in flight); doubles up to the poll interval.
const FIRST_RETRY: Duration = Duration::from_millis(5);

/// Rows read together, in position order.
pub type Batch = Arc<[Owned]>;

pub struct HubSettings {
    /// How often the reader looks even when nothing woke it.
    pub poll: Duration,
    /// Batches a subscriber may fall behind before it is dropped as a slow consumer.
    pub capacity: usize,
}

pub struct EventHub {
    batches: broadcast::Sender<Batch>,
    /// Everything up to here has been broadcast.
    position: watch::Sender<Position>,
    wake: Arc<Notify>,
    /// The newest transaction PostgreSQL announced; the reader retries until it has read it.
    announced: AtomicI64,
}

impl Drop for EventHub {
    fn drop(&mut self) {
        // The reader holds only a weak reference: wake it so it sees the hub is gone.
        self.wake.notify_one();
    }
}

impl EventHub {
    /// Starts the reader for as long as the hub lives; on PostgreSQL, pass the hub to
    /// `notifications::listen` to hear other instances' commits.
    pub fn start(db: DatabaseConnection, settings: HubSettings) -> Arc<Self> {
        let wake = Arc::new(Notify::new());
        let hub = Arc::new(Self {
            batches: broadcast::channel(settings.capacity.max(1)).0,
            position: watch::channel(Position::START).0,
            wake: wake.clone(),
            announced: AtomicI64::new(0),
        });
        tokio::spawn(follow(db, Arc::downgrade(&hub), wake, settings.poll));
        hub
    }

    /// New batches from now on, and the position up to which earlier ones went out: a reader
    /// that starts after it misses nothing.
    pub fn subscribe(&self) -> (broadcast::Receiver<Batch>, Position) {
        let receiver = self.batches.subscribe();
        (receiver, *self.position.borrow())
    }

    /// This process committed timeline rows: look now.
    pub fn poke(&self) {
        self.wake.notify_one();
    }

    /// Live subscribers on this instance.
    pub fn subscribers(&self) -> usize {
        self.batches.receiver_count()
    }

    /// Waits until everything up to `position` has been broadcast (tests, shutdown).
    pub async fn reached(&self, position: Position) {
        let mut seen = self.position.subscribe();
        let _ = seen.wait_for(|at| *at >= position).await;
    }
}

/// Reads and broadcasts new rows until the hub is dropped.
async fn follow(db: DatabaseConnection, hub: Weak<EventHub>, wake: Arc<Notify>, poll: Duration) {
    let mut position = None;
    let mut retry = FIRST_RETRY;
    loop {
        let Some(live) = hub.upgrade() else {
            return;
        };
        let behind = match read(&db, &live, &mut position).await {
            Ok(()) => position
                .is_some_and(|at: Position| at.commit_tx < live.announced.load(Ordering::SeqCst)),
            Err(err) => {
                tracing::warn!(error = %err.message(), "event fan-out cannot read the log");
                false
            }
        };
        drop(live);
        let pause = if behind {
            retry = (retry * 2).min(poll);
            retry / 2
        } else {
            retry = FIRST_RETRY;
            poll
        };
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(pause) => {}
        }
    }
}

/// Broadcasts the rows after `position` (from the log's head the first time).
async fn read(
    db: &DatabaseConnection,
    hub: &EventHub,
    position: &mut Option<Position>,
) -> ApiResult<()> {
    let mut at = match *position {
        Some(at) => at,
        None => {
            let head = events::head(db).await?;
            hub.position.send_replace(head);
            *position = Some(head);
            head
        }
    };
    loop {
        let rows = events::owned(db, at, PAGE).await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        at = Position::of(&last.event);
        *position = Some(at);
        let full = rows.len() as u64 == PAGE;
        // Position first: a subscriber that reads it after subscribing gets every later batch.
        hub.position.send_replace(at);
        let _ = hub.batches.send(rows.into());
        if !full {
            return Ok(());
        }
    }
}

/// Commits announced by any instance (this one's too): look now.
impl Listener for EventHub {
    fn channel(&self) -> &'static str {
        CHANNEL
    }

    fn heard(&self, payload: &str) {
        if let Ok(tx) = payload.parse::<i64>() {
            self.announced.fetch_max(tx, Ordering::SeqCst);
        }
        self.wake.notify_one();
    }

    /// Whatever was announced while not listening is lost: catch up from the table.
    fn listening(&self) {
        self.wake.notify_one();
    }

    /// Until it listens again, the poll interval is the latest a change arrives.
    fn deaf(&self) {}
}
