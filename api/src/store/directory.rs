//! Organizations and service centres.

use chrono::{DateTime, Utc};
use entity::{organizations, service_centres};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::error::{ApiError, ApiResult};

pub async fn get_organization(
    db: &impl ConnectionTrait,
    id: i64,
) -> ApiResult<organizations::Model> {
    organizations::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("organization"))
}

pub async fn get_service_centre(
    db: &impl ConnectionTrait,
    id: i64,
) -> ApiResult<service_centres::Model> {
    service_centres::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("service centre"))
}

pub async fn insert_organization(
    db: &impl ConnectionTrait,
    name: String,
    now: DateTime<Utc>,
) -> ApiResult<organizations::Model> {
    let model = organizations::ActiveModel {
        name: Set(name),
        created_at: Set(now),
        ..Default::default()
    };
    Ok(model.insert(db).await?)
}

/// Every service centre (a few per organization), by id.
pub async fn service_centres(db: &impl ConnectionTrait) -> ApiResult<Vec<service_centres::Model>> {
    use sea_orm::QueryOrder;
    Ok(service_centres::Entity::find()
        .order_by_asc(service_centres::Column::Id)
        .all(db)
        .await?)
}

pub async fn insert_service_centre(
    db: &impl ConnectionTrait,
    name: String,
    timezone: String,
    now: DateTime<Utc>,
) -> ApiResult<service_centres::Model> {
    let model = service_centres::ActiveModel {
        name: Set(name),
        timezone: Set(timezone),
        created_at: Set(now),
        ..Default::default()
    };
    Ok(model.insert(db).await?)
}

/// The organization named `name`, created if missing.
pub async fn ensure_organization(
    db: &impl ConnectionTrait,
    name: &str,
    now: DateTime<Utc>,
) -> ApiResult<organizations::Model> {
    let existing = organizations::Entity::find()
        .filter(organizations::Column::Name.eq(name))
        .one(db)
        .await?;
    match existing {
        Some(organization) => Ok(organization),
        None => insert_organization(db, name.to_owned(), now).await,
    }
}

/// The service centre named `name`, created if missing.
pub async fn ensure_service_centre(
    db: &impl ConnectionTrait,
    name: &str,
    timezone: &str,
    now: DateTime<Utc>,
) -> ApiResult<service_centres::Model> {
    let existing = service_centres::Entity::find()
        .filter(service_centres::Column::Name.eq(name))
        .one(db)
        .await?;
    match existing {
        Some(centre) => Ok(centre),
        None => insert_service_centre(db, name.to_owned(), timezone.to_owned(), now).await,
    }
}

/// The centre's IANA time zone; an unparsable one is a data error (it is checked on creation).
pub fn time_zone(centre: &service_centres::Model) -> ApiResult<chrono_tz::Tz> {
    centre
        .timezone
        .parse()
        .map_err(|_| ApiError::Internal(format!("centre {} has a bad time zone", centre.id)))
}
