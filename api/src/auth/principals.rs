//! Recently verified accounts, so an authenticated request need not re-read its user row.
//!
//! R-PRV-4 (a disabled account's tokens stop working at once) still holds: every change to a
//! user goes through [`PrincipalCache::changed`] after its commit on this instance, and on
//! PostgreSQL `store::users::update` announces it in the same transaction, so that every other
//! instance evicts the user too. When the listener loses its connection, caching stops and the
//! cache is emptied (announcements made meanwhile are gone); it reconnects with growing pauses
//! for as long as the process runs, and caching resumes, from empty, once it listens again. The
//! time-to-live bounds what a notification lost while reconnecting could leave behind.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{DatabaseBackend, DatabaseConnection};

use crate::domain::identity::UserPrincipal;
use crate::error::ApiResult;
use crate::store;

/// Bounds memory: a principal is a few dozen bytes.
const CAPACITY: u64 = 20_000;
/// The safety net should a notification be lost while the listener reconnects.
const TIME_TO_LIVE: Duration = Duration::from_secs(60);
/// First pause before the listener reconnects; it doubles per failed attempt, up to the most.
const RECONNECT_PAUSE: Duration = Duration::from_millis(100);
const MAX_RECONNECT_PAUSE: Duration = Duration::from_secs(30);

pub struct PrincipalCache {
    entries: moka::sync::Cache<i64, UserPrincipal>,
    /// Bumped by every eviction, so a lookup that raced with one does not keep what it read.
    evictions: AtomicU64,
    /// Off on PostgreSQL while no listener hears other instances' changes.
    caching: AtomicBool,
}

impl Default for PrincipalCache {
    fn default() -> Self {
        Self {
            entries: moka::sync::Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(TIME_TO_LIVE)
                .build(),
            evictions: AtomicU64::new(0),
            caching: AtomicBool::new(true),
        }
    }
}

impl PrincipalCache {
    /// The active user `user_id`, from the cache or the database; `None` when the account does
    /// not exist or is disabled.
    pub async fn active_user(
        &self,
        db: &DatabaseConnection,
        user_id: i64,
    ) -> ApiResult<Option<UserPrincipal>> {
        if let Some(principal) = self.entries.get(&user_id) {
            return Ok(Some(principal));
        }
        let seen = self.evictions.load(Ordering::SeqCst);
        let principal = store::users::find(db, user_id)
            .await?
            .filter(|user| user.active)
            .map(|user| UserPrincipal::from(&user));
        if let Some(principal) = principal
            .as_ref()
            .filter(|_| self.caching.load(Ordering::SeqCst))
        {
            self.entries.insert(user_id, principal.clone());
            // An eviction since the read may have been for a change the read did not see.
            if self.evictions.load(Ordering::SeqCst) != seen {
                self.entries.invalidate(&user_id);
            }
        }
        Ok(principal)
    }

    /// Whether principals are being cached: always on SQLite (one process), on PostgreSQL once
    /// the listener hears other instances' changes.
    pub fn is_caching(&self) -> bool {
        self.caching.load(Ordering::SeqCst)
    }

    /// Forgets `user_id` on this instance; call after the change is committed.
    pub fn changed(&self, user_id: i64) {
        self.evictions.fetch_add(1, Ordering::SeqCst);
        self.entries.invalidate(&user_id);
    }

    fn clear(&self) {
        self.evictions.fetch_add(1, Ordering::SeqCst);
        self.entries.invalidate_all();
    }

    /// On PostgreSQL, evicts the users other instances announce until the cache is dropped.
    pub fn listen(self: &Arc<Self>, db: &DatabaseConnection) {
        if db.get_database_backend() != DatabaseBackend::Postgres {
            return;
        }
        self.caching.store(false, Ordering::SeqCst);
        let pool = db.get_postgres_connection_pool().clone();
        let cache = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut pause = RECONNECT_PAUSE;
            loop {
                let result = follow(&pool, &cache, &mut pause).await;
                let Some(live) = cache.upgrade() else {
                    return;
                };
                live.caching.store(false, Ordering::SeqCst);
                live.clear();
                drop(live);
                match result {
                    Ok(()) => return,
                    Err(err) => tracing::warn!(
                        %err,
                        retry_in_ms = pause.as_millis() as u64,
                        "user change listener lost its connection; principals are not cached"
                    ),
                }
                crate::reconnect::connection_lost();
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(MAX_RECONNECT_PAUSE);
            }
        });
    }
}

/// Evicts announced users until the cache is dropped (`Ok`) or the connection is lost. Once it
/// listens, caching resumes from empty and the reconnect pause starts over.
async fn follow(
    pool: &sea_orm::sqlx::PgPool,
    cache: &Weak<PrincipalCache>,
    pause: &mut Duration,
) -> anyhow::Result<()> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(store::users::CHANGES_CHANNEL).await?;
    let Some(live) = cache.upgrade() else {
        return Ok(());
    };
    live.clear();
    live.caching.store(true, Ordering::SeqCst);
    drop(live);
    *pause = RECONNECT_PAUSE;
    loop {
        let notification = listener.try_recv().await;
        let Some(cache) = cache.upgrade() else {
            return Ok(());
        };
        match notification? {
            Some(notification) => match notification.payload().parse() {
                Ok(user_id) => cache.changed(user_id),
                Err(_) => cache.clear(),
            },
            // The connection was lost: whatever was announced meanwhile is gone.
            None => anyhow::bail!("connection lost"),
        }
    }
}
