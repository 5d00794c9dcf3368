//! The audit writer (R-PRV-3): reads of personal data are recorded without a round trip in the
//! request. A request queues its entry on a bounded channel; one task per process commits
//! whatever has queued in one transaction, so under load entries are written in groups. A full
//! queue makes requests wait (back-pressure) rather than lose entries; shutdown writes what is
//! left (`close`, called by `http::serve` when the server stops).

use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::sync::{mpsc, oneshot};

use crate::error::ApiResult;
use crate::store;
use crate::store::audit::Access;

/// Attempts at committing one group before its entries go to the error log instead.
const ATTEMPTS: u32 = 5;
/// Pause between attempts.
const RETRY_PAUSE: Duration = Duration::from_millis(200);

enum Message {
    Entry(Box<Access>),
    /// Answered once everything queued before it is committed.
    Flush(oneshot::Sender<()>),
    /// Like `Flush`, and the writer stops.
    Close(oneshot::Sender<()>),
}

/// The handle requests record through. Cheap to clone.
#[derive(Clone)]
pub struct AuditWriter {
    /// None: entries are dropped (`discarding`).
    sender: Option<mpsc::Sender<Message>>,
    /// Writes entries itself once the task has stopped (after `close`).
    db: DatabaseConnection,
}

impl AuditWriter {
    /// Starts the writer task: a queue of `capacity` entries, groups of at most `batch`.
    pub fn start(db: DatabaseConnection, capacity: usize, batch: usize) -> Self {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        tokio::spawn(run(db.clone(), receiver, batch.max(1)));
        Self {
            sender: Some(sender),
            db,
        }
    }

    /// A writer that drops every entry: only for measuring what auditing costs (the bench),
    /// never for serving, since reads then leave no trace (R-PRV-3).
    pub fn discarding(db: DatabaseConnection) -> Self {
        Self { sender: None, db }
    }

    /// Queues `entry`; waits only while the queue is full.
    pub async fn record(&self, entry: Access) -> ApiResult<()> {
        let Some(sender) = &self.sender else {
            return Ok(());
        };
        match sender.send(Message::Entry(Box::new(entry))).await {
            Ok(()) => Ok(()),
            Err(mpsc::error::SendError(Message::Entry(entry))) => {
                // The writer has stopped (shutdown): write it here and now.
                let txn = store::begin_write(&self.db).await?;
                store::audit::insert_batch(&txn, std::slice::from_ref(&entry)).await?;
                txn.commit().await?;
                Ok(())
            }
            Err(_) => unreachable!("an entry was sent"),
        }
    }

    /// Returns once every entry queued so far is committed: readers of the log see their own
    /// process's accesses.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        let Some(sender) = &self.sender else { return };
        if sender.send(Message::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }

    /// Writes what is queued and stops the task; later entries are written directly.
    pub async fn close(&self) {
        let (done, wait) = oneshot::channel();
        let Some(sender) = &self.sender else { return };
        if sender.send(Message::Close(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

async fn run(db: DatabaseConnection, mut receiver: mpsc::Receiver<Message>, batch: usize) {
    let mut group: Vec<Access> = Vec::with_capacity(batch);
    let mut waiting: Vec<oneshot::Sender<()>> = Vec::new();
    while let Some(first) = receiver.recv().await {
        let mut closing = false;
        let mut next = Some(first);
        // Take whatever queued while the last group was committed, up to `batch` entries.
        while let Some(message) = next.take() {
            match message {
                Message::Entry(entry) => group.push(*entry),
                Message::Flush(done) => waiting.push(done),
                Message::Close(done) => {
                    waiting.push(done);
                    closing = true;
                }
            }
            if group.len() < batch && !closing {
                next = receiver.try_recv().ok();
            }
        }
        if !group.is_empty() {
            commit(&db, &group).await;
            group.clear();
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
        if closing {
            receiver.close();
            // Entries that raced the close.
            while let Some(message) = receiver.recv().await {
                match message {
                    Message::Entry(entry) => group.push(*entry),
                    Message::Flush(done) | Message::Close(done) => waiting.push(done),
                }
            }
            if !group.is_empty() {
                commit(&db, &group).await;
            }
            for done in waiting.drain(..) {
                let _ = done.send(());
            }
            return;
        }
    }
}

/// Commits one group, retrying a failing database; a group that still fails is logged in full,
/// so the trail survives in the server log.
async fn commit(db: &DatabaseConnection, group: &[Access]) {
    for attempt in 1..=ATTEMPTS {
        let written = async {
            let txn = store::begin_write(db).await?;
            store::audit::insert_batch(&txn, group).await?;
            txn.commit().await?;
            Ok::<_, crate::error::ApiError>(())
        }
        .await;
        match written {
            Ok(()) => return,
            Err(err) if attempt < ATTEMPTS => {
                tracing::warn!(error = ?err, attempt, "audit entries not written yet");
                tokio::time::sleep(RETRY_PAUSE).await;
            }
            Err(err) => {
                tracing::error!(error = ?err, entries = ?group, "audit entries could not be written");
            }
        }
    }
}
