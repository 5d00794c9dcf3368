//! The product catalogue (warranty lengths, R-REP-1).

use chrono::{DateTime, Utc};
use entity::product_models;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    SqlErr,
};

use crate::error::{ApiError, ApiResult};

pub async fn all(db: &impl ConnectionTrait) -> ApiResult<Vec<product_models::Model>> {
    Ok(product_models::Entity::find()
        .order_by_asc(product_models::Column::Code)
        .all(db)
        .await?)
}

pub async fn find_by_code(
    db: &impl ConnectionTrait,
    code: &str,
) -> ApiResult<Option<product_models::Model>> {
    Ok(product_models::Entity::find()
        .filter(product_models::Column::Code.eq(code))
        .one(db)
        .await?)
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> ApiResult<Option<product_models::Model>> {
    Ok(product_models::Entity::find_by_id(id).one(db).await?)
}

pub async fn insert(
    db: &impl ConnectionTrait,
    code: String,
    name: String,
    warranty_months: i32,
    now: DateTime<Utc>,
) -> ApiResult<product_models::Model> {
    let model = product_models::ActiveModel {
        code: Set(code),
        name: Set(name),
        warranty_months: Set(warranty_months),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    model.insert(db).await.map_err(|err| match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            ApiError::Conflict("a product model with this code already exists".into())
        }
        _ => err.into(),
    })
}

/// Changes the name and warranty length; assets already registered keep their warranty end.
pub async fn update(
    db: &impl ConnectionTrait,
    model: product_models::Model,
    name: String,
    warranty_months: i32,
    now: DateTime<Utc>,
) -> ApiResult<product_models::Model> {
    let mut active: product_models::ActiveModel = model.into();
    active.name = Set(name);
    active.warranty_months = Set(warranty_months);
    active.updated_at = Set(now);
    Ok(active.update(db).await?)
}
