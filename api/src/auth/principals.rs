//! Recently verified accounts, so an authenticated request need not re-read its user row.
//!
//! R-PRV-4 (a disabled account's tokens stop working at once) still holds: every change to a
//! user goes through [`PrincipalCache::changed`] after its commit on this instance, and on
//! PostgreSQL `store::users::update` announces it in the same transaction, so that every other
//! instance evicts the user too. When the listener loses its connection the cache is emptied
//! (announcements made meanwhile are gone); when it fails for good, caching stops. The
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
            if let Err(err) = follow(&pool, &cache).await {
                tracing::warn!(%err, "user change listener stopped; principals are not cached");
                if let Some(cache) = cache.upgrade() {
                    cache.caching.store(false, Ordering::SeqCst);
                    cache.clear();
                }
            }
        });
    }
}

/// Evicts announced users; every lost connection empties the cache, since announcements made
/// meanwhile are gone.
async fn follow(pool: &sea_orm::sqlx::PgPool, cache: &Weak<PrincipalCache>) -> anyhow::Result<()> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(store::users::CHANGES_CHANNEL).await?;
    if let Some(cache) = cache.upgrade() {
        cache.caching.store(true, Ordering::SeqCst);
    }
    loop {
        let notification = listener.try_recv().await;
        let Some(cache) = cache.upgrade() else {
            return Ok(());
        };
        match notification {
            Ok(Some(notification)) => match notification.payload().parse() {
                Ok(user_id) => cache.changed(user_id),
                Err(_) => cache.clear(),
            },
            Ok(None) => cache.clear(),
            Err(err) => return Err(err.into()),
        }
    }
}
