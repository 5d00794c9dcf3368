//! Partner API keys.

use chrono::{DateTime, Utc};
use entity::api_keys;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, Set,
    Statement,
};

use crate::auth::principals::API_KEY_PREFIX;
use crate::error::{ApiError, ApiResult};

/// The unrevoked key with this digest.
pub async fn find_active(
    db: &impl ConnectionTrait,
    digest: &str,
) -> ApiResult<Option<api_keys::Model>> {
    Ok(api_keys::Entity::find()
        .filter(api_keys::Column::KeyHash.eq(digest))
        .filter(api_keys::Column::RevokedAt.is_null())
        .one(db)
        .await?)
}

pub async fn insert(
    db: &impl ConnectionTrait,
    organization_id: i64,
    name: String,
    prefix: String,
    digest: String,
    now: DateTime<Utc>,
) -> ApiResult<api_keys::Model> {
    let model = api_keys::ActiveModel {
        organization_id: Set(organization_id),
        name: Set(name),
        prefix: Set(prefix),
        key_hash: Set(digest),
        created_at: Set(now),
        revoked_at: Set(None),
        ..Default::default()
    };
    Ok(model.insert(db).await?)
}

/// Revokes a key; revoking twice is harmless and keeps the first time.
pub async fn revoke(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<api_keys::Model> {
    let key = api_keys::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("API key"))?;
    if key.revoked_at.is_some() {
        return Ok(key);
    }
    let mut model: api_keys::ActiveModel = key.into();
    model.revoked_at = Set(Some(now));
    let key = model.update(db).await?;
    if db.get_database_backend() == DatabaseBackend::Postgres {
        // Other instances end the key's live connections when this commits.
        db.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [
                super::users::CHANGES_CHANNEL.into(),
                format!("{API_KEY_PREFIX}{}", key.id).into(),
            ],
        ))
        .await?;
    }
    Ok(key)
}

/// Whether the key `id` exists and is not revoked.
pub async fn is_active(db: &impl ConnectionTrait, id: i64) -> ApiResult<bool> {
    Ok(api_keys::Entity::find_by_id(id)
        .one(db)
        .await?
        .is_some_and(|key| key.revoked_at.is_none()))
}

pub async fn list_for_organization(
    db: &impl ConnectionTrait,
    organization_id: i64,
) -> ApiResult<Vec<api_keys::Model>> {
    Ok(api_keys::Entity::find()
        .filter(api_keys::Column::OrganizationId.eq(organization_id))
        .all(db)
        .await?)
}
