//! The audit log (R-PRV-3): one append-only row per access to or change of personal data. The
//! only writer of `audit_log`; the privacy issue adds exports and deletions through it.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use entity::audit_log;
use entity::users::Role;
use sea_orm::{ActiveEnum, ActiveModelTrait, ConnectionTrait, Set};

use crate::domain::identity::Principal;
use crate::error::ApiResult;

/// What happened to whom.
pub struct Entry<'a> {
    /// `customer.lookup`, `customer.created`, …
    pub action: &'static str,
    pub subject_kind: &'static str,
    pub subject_id: Option<i64>,
    /// JSON details (how the subject was named, what was found); never secrets.
    pub detail: serde_json::Value,
    pub actor: &'a Principal,
    pub client_address: IpAddr,
}

pub async fn record(
    db: &impl ConnectionTrait,
    entry: Entry<'_>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let (user, key) = match entry.actor {
        Principal::User(user) => (Some(user.id), None),
        Principal::Partner { api_key_id, .. } => (None, Some(*api_key_id)),
        Principal::Anonymous => (None, None),
    };
    audit_log::ActiveModel {
        occurred_at: Set(now),
        actor_role: Set(entry
            .actor
            .role()
            .map_or_else(|| "ANONYMOUS".to_owned(), |role: Role| role.to_value())),
        actor_user_id: Set(user),
        actor_api_key_id: Set(key),
        client_address: Set(Some(entry.client_address.to_string())),
        action: Set(entry.action.to_owned()),
        subject_kind: Set(entry.subject_kind.to_owned()),
        subject_id: Set(entry.subject_id),
        detail: Set(Some(entry.detail.to_string())),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
