//! One PostgreSQL `LISTEN` connection per process for every announcement: user changes (the
//! principal cache, R-PRV-4) and event-log commits (live updates). One connection rather than
//! one per reader, since each holds a pool connection for as long as the process runs.
//!
//! Notifications sent while the connection is down are lost: readers are told when it is lost
//! and when it listens again, and make up for it from the tables. It reconnects with pauses
//! growing from 100 ms to 30 s for as long as any reader lives. SQLite runs in one process and
//! has nothing to announce.

use std::sync::{Arc, Weak};
use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{DatabaseBackend, DatabaseConnection};

const RECONNECT_PAUSE: Duration = Duration::from_millis(100);
const MAX_RECONNECT_PAUSE: Duration = Duration::from_secs(30);

/// Something that reads announcements on PostgreSQL channels.
pub trait Listener: Send + Sync {
    fn channel(&self) -> &'static str;
    /// An announcement on the channel.
    fn heard(&self, payload: &str);
    /// Listening, first or again: announcements made while not listening are lost.
    fn listening(&self);
    /// Not listening (at the start, or the connection was lost).
    fn deaf(&self);
}

/// On PostgreSQL, passes announcements to `listeners` for as long as any of them lives.
pub fn listen(db: &DatabaseConnection, listeners: Vec<Arc<dyn Listener>>) {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return;
    }
    for listener in &listeners {
        listener.deaf();
    }
    let listeners: Vec<Weak<dyn Listener>> = listeners.iter().map(Arc::downgrade).collect();
    let pool = db.get_postgres_connection_pool().clone();
    tokio::spawn(async move {
        let mut pause = RECONNECT_PAUSE;
        loop {
            let result = follow(&pool, &listeners, &mut pause).await;
            let live = alive(&listeners);
            if live.is_empty() {
                return;
            }
            live.iter().for_each(|listener| listener.deaf());
            drop(live);
            if let Err(err) = result {
                tracing::warn!(
                    %err,
                    retry_in_ms = pause.as_millis() as u64,
                    "lost the database notification connection; caches off, live updates polling"
                );
            }
            crate::reconnect::connection_lost();
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_RECONNECT_PAUSE);
        }
    });
}

fn alive(listeners: &[Weak<dyn Listener>]) -> Vec<Arc<dyn Listener>> {
    listeners.iter().filter_map(Weak::upgrade).collect()
}

/// Passes announcements on until every listener is gone (`Ok`) or the connection is lost.
async fn follow(
    pool: &sea_orm::sqlx::PgPool,
    listeners: &[Weak<dyn Listener>],
    pause: &mut Duration,
) -> anyhow::Result<()> {
    let mut connection = PgListener::connect_with(pool).await?;
    let channels: Vec<&str> = alive(listeners).iter().map(|l| l.channel()).collect();
    connection.listen_all(channels).await?;
    let live = alive(listeners);
    if live.is_empty() {
        return Ok(());
    }
    live.iter().for_each(|listener| listener.listening());
    drop(live);
    *pause = RECONNECT_PAUSE;
    loop {
        let notification = connection.try_recv().await?;
        let live = alive(listeners);
        if live.is_empty() {
            return Ok(());
        }
        let Some(notification) = notification else {
            anyhow::bail!("connection lost");
        };
        for listener in live
            .iter()
            .filter(|listener| listener.channel() == notification.channel())
        {
            listener.heard(notification.payload());
        }
    }
}
