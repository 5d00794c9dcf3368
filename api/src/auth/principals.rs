//! Recently verified accounts, so an authenticated request need not re-read its user row.
//!
//! R-PRV-4 (a disabled account's tokens stop working at once) still holds: every change to a
//! user goes through [`PrincipalCache::changed`] after its commit on this instance, and on
//! PostgreSQL `store::users::update` announces it in the same transaction, so that every other
//! instance evicts the user too. When the listener loses its connection, caching stops and the
//! cache is emptied (announcements made meanwhile are gone); it reconnects with growing pauses
//! for as long as the process runs, and caching resumes, from empty, once it listens again. The
//! time-to-live bounds what a notification lost while reconnecting could leave behind.
//!
//! The same announcements tell live connections (subscriptions) to re-check their caller: a
//! deactivated account's or a revoked key's connections end at once.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::sync::broadcast;

use crate::domain::identity::UserPrincipal;
use crate::error::ApiResult;
use crate::notifications::Listener;
use crate::store;

/// Bounds memory: a principal is a few dozen bytes.
const CAPACITY: u64 = 20_000;
/// The safety net should a notification be lost while the listener reconnects.
const TIME_TO_LIVE: Duration = Duration::from_secs(60);

/// A change that may end what a caller was allowed: live connections re-check their caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Revocation {
    User(i64),
    ApiKey(i64),
    /// Changes may have been missed (the listener reconnected): everyone re-checks.
    Everyone,
}

/// Announces key revocations on [`store::users::CHANGES_CHANNEL`] beside user ids.
pub const API_KEY_PREFIX: &str = "key:";

pub struct PrincipalCache {
    entries: moka::sync::Cache<i64, UserPrincipal>,
    revocations: broadcast::Sender<Revocation>,
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
            revocations: broadcast::channel(1024).0,
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
        let _ = self.revocations.send(Revocation::User(user_id));
    }

    /// An API key was revoked (here or on another instance); call after the commit.
    pub fn key_revoked(&self, api_key_id: i64) {
        let _ = self.revocations.send(Revocation::ApiKey(api_key_id));
    }

    /// Changes from now on that may end a caller's rights (R-PRV-4 for live connections).
    pub fn revocations(&self) -> broadcast::Receiver<Revocation> {
        self.revocations.subscribe()
    }

    fn clear(&self) {
        self.evictions.fetch_add(1, Ordering::SeqCst);
        self.entries.invalidate_all();
        let _ = self.revocations.send(Revocation::Everyone);
    }
}

/// Announcements of user changes and key revocations from every instance.
impl Listener for PrincipalCache {
    fn channel(&self) -> &'static str {
        store::users::CHANGES_CHANNEL
    }

    fn heard(&self, payload: &str) {
        match payload.strip_prefix(API_KEY_PREFIX) {
            Some(key) => match key.parse() {
                Ok(api_key_id) => self.key_revoked(api_key_id),
                Err(_) => self.clear(),
            },
            None => match payload.parse() {
                Ok(user_id) => self.changed(user_id),
                Err(_) => self.clear(),
            },
        }
    }

    /// Caching resumes from empty: changes announced while deaf are unknown.
    fn listening(&self) {
        self.clear();
        self.caching.store(true, Ordering::SeqCst);
    }

    /// Another instance's change would go unheard: stop caching.
    fn deaf(&self) {
        self.caching.store(false, Ordering::SeqCst);
        self.clear();
    }
}
