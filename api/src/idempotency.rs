//! Idempotent requests (issue 13): a client that sends `Idempotency-Key` with a request gets,
//! for 24 hours, the first response to that key back instead of a second execution, so a retry
//! after a lost answer never makes a second order. The key is the caller's own (per user or
//! partner key); the same key with another body is refused (422), and a duplicate that arrives
//! while the first still runs waits for its answer (409 when it does not come in time).
//! Outages and refused rates are not kept: the client retries them with the same key.
//!
//! The claim is a row with a unique `(principal, key)`: the database decides which of several
//! concurrent duplicates runs, on every instance.

use chrono::{DateTime, Duration, Utc};
use entity::idempotency_keys::{self, Column};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

use crate::domain::identity::Principal;
use crate::error::ApiResult;

/// The request header, and the response header that says whether the answer is a replay.
pub const HEADER: &str = "idempotency-key";
pub const REPLAYED: &str = "idempotent-replayed";

/// Longest key accepted; UUIDs and ULIDs fit many times over.
pub const MAX_KEY: usize = 255;

/// How long a response is replayed.
pub const KEEP: Duration = Duration::hours(24);

/// A claim this old without a response was abandoned (its server stopped mid-request): longer
/// than any request may run.
const LEASE: Duration = Duration::minutes(2);

/// A key as sent: 1–255 visible ASCII characters.
pub fn check_key(raw: &[u8]) -> Result<String, String> {
    let key = std::str::from_utf8(raw)
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= MAX_KEY)
        .filter(|k| k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            format!("Idempotency-Key must be 1 to {MAX_KEY} visible ASCII characters")
        })?;
    Ok(key.to_owned())
}

/// Whose keys these are: a user's or a partner key's. Anonymous requests have no keys of
/// their own (one caller's answer must never reach another), so theirs are ignored.
pub fn principal_key(principal: &Principal) -> Option<String> {
    match principal {
        Principal::User(user) => Some(format!("user:{}", user.id)),
        Principal::Partner { api_key_id, .. } => Some(format!("api_key:{api_key_id}")),
        Principal::Anonymous => None,
    }
}

/// The request body's SHA-256, to tell a retry from another request under the same key.
pub fn fingerprint(body: &[u8]) -> String {
    Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A response kept for replay.
#[derive(Clone, Debug)]
pub struct Stored {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// What to do with a request that carries a key.
#[derive(Debug)]
pub enum Claim {
    /// This request runs; `complete` or `abandon` the claim afterwards.
    Run,
    /// The key's first answer.
    Replay(Stored),
    /// The key was used with another body.
    Mismatch,
    /// The first request with this key is still running.
    Busy,
}

/// Claims `key` for this request, or tells what became of its first use.
pub async fn claim(
    db: &impl ConnectionTrait,
    principal: &str,
    key: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> ApiResult<Claim> {
    // An expired answer or an abandoned claim frees the key.
    idempotency_keys::Entity::delete_many()
        .filter(Column::Principal.eq(principal))
        .filter(Column::Key.eq(key))
        .filter(
            Column::CreatedAt.lt(now - KEEP).or(Column::CompletedAt
                .is_null()
                .and(Column::CreatedAt.lt(now - LEASE))),
        )
        .exec(db)
        .await?;
    let row = idempotency_keys::ActiveModel {
        principal: Set(principal.to_owned()),
        key: Set(key.to_owned()),
        fingerprint: Set(fingerprint.to_owned()),
        created_at: Set(now),
        ..Default::default()
    };
    let inserted = idempotency_keys::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([Column::Principal, Column::Key])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    if inserted > 0 {
        return Ok(Claim::Run);
    }
    let Some(first) = idempotency_keys::Entity::find()
        .filter(Column::Principal.eq(principal))
        .filter(Column::Key.eq(key))
        .one(db)
        .await?
    else {
        // Freed between the insert and the read (abandoned): the caller may try again.
        return Ok(Claim::Busy);
    };
    Ok(match first {
        row if row.fingerprint != fingerprint => Claim::Mismatch,
        idempotency_keys::Model {
            response_status: Some(status),
            response_body: Some(body),
            content_type: Some(content_type),
            ..
        } => Claim::Replay(Stored {
            status: u16::try_from(status).unwrap_or(200),
            content_type,
            body: body.into_bytes(),
        }),
        _ => Claim::Busy,
    })
}

/// Keeps the answer of a claimed request for replay.
pub async fn complete(
    db: &impl ConnectionTrait,
    principal: &str,
    key: &str,
    answer: &Stored,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let changes = idempotency_keys::ActiveModel {
        response_status: Set(Some(i32::from(answer.status))),
        content_type: Set(Some(answer.content_type.clone())),
        response_body: Set(Some(String::from_utf8_lossy(&answer.body).into_owned())),
        completed_at: Set(Some(now)),
        ..Default::default()
    };
    idempotency_keys::Entity::update_many()
        .set(changes)
        .filter(Column::Principal.eq(principal))
        .filter(Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Frees the key of a request whose answer is not kept (an outage, a refused rate): a retry
/// with the same key runs.
pub async fn abandon(db: &impl ConnectionTrait, principal: &str, key: &str) -> ApiResult<()> {
    idempotency_keys::Entity::delete_many()
        .filter(Column::Principal.eq(principal))
        .filter(Column::Key.eq(key))
        .filter(Column::CompletedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Whether an answer is kept: everything but outages (5xx) and refused rates (429).
pub fn keeps(status: u16) -> bool {
    status < 500 && status != 429
}

/// Deletes answers older than `KEEP`; the sweeper calls it on its tick.
pub async fn purge(db: &impl ConnectionTrait, now: DateTime<Utc>) -> ApiResult<u64> {
    Ok(idempotency_keys::Entity::delete_many()
        .filter(Column::CreatedAt.lt(now - KEEP))
        .exec(db)
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_visible_ascii() {
        assert_eq!(check_key(b"order-7f3a").unwrap(), "order-7f3a");
        for bad in [
            &b""[..],
            b"has space",
            b"tab\t",
            "é".as_bytes(),
            &[b'k'; MAX_KEY + 1],
        ] {
            assert!(check_key(bad).is_err(), "{bad:?}");
        }
        assert!(check_key(&[b'k'; MAX_KEY]).is_ok());
    }

    #[test]
    fn outages_and_rate_limits_are_not_kept() {
        assert!(keeps(200) && keeps(400) && keeps(401) && keeps(413));
        assert!(!keeps(429) && !keeps(500) && !keeps(503));
    }

    #[test]
    fn fingerprints_tell_bodies_apart() {
        assert_eq!(fingerprint(b"a"), fingerprint(b"a"));
        assert_ne!(fingerprint(b"a"), fingerprint(b"b"));
        assert_eq!(fingerprint(b"").len(), 64);
    }
}
