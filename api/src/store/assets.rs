//! Customers' products.

use chrono::{DateTime, NaiveDate, Utc};
use entity::assets;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    SqlErr,
};

use crate::error::{ApiError, ApiResult};

pub async fn find(db: &impl ConnectionTrait, id: i64) -> ApiResult<Option<assets::Model>> {
    Ok(assets::Entity::find_by_id(id).one(db).await?)
}

pub async fn by_ids(db: &impl ConnectionTrait, ids: &[i64]) -> ApiResult<Vec<assets::Model>> {
    Ok(assets::Entity::find()
        .filter(assets::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

pub async fn of_customer(
    db: &impl ConnectionTrait,
    customer_id: i64,
) -> ApiResult<Vec<assets::Model>> {
    Ok(assets::Entity::find()
        .filter(assets::Column::CustomerId.eq(customer_id))
        .order_by_asc(assets::Column::Id)
        .all(db)
        .await?)
}

pub struct NewAsset {
    pub customer_id: i64,
    pub model: String,
    pub product_model_id: Option<i64>,
    pub serial_number: String,
    pub purchase_date: NaiveDate,
    pub warranty_ends_on: NaiveDate,
    /// Set only for assets loaded as verified (seed, fixtures); registration never verifies.
    pub warranty_verified_at: Option<DateTime<Utc>>,
    pub reference: Option<crate::domain::reference::ClientReference>,
}

/// `CONFLICT` when the model and serial number are registered already (unique index).
pub async fn insert(
    db: &impl ConnectionTrait,
    asset: NewAsset,
    now: DateTime<Utc>,
) -> ApiResult<assets::Model> {
    let model = assets::ActiveModel {
        customer_id: Set(asset.customer_id),
        model: Set(asset.model),
        product_model_id: Set(asset.product_model_id),
        serial_number: Set(asset.serial_number),
        purchase_date: Set(asset.purchase_date),
        warranty_ends_on: Set(asset.warranty_ends_on),
        warranty_verified_at: Set(asset.warranty_verified_at),
        warranty_verified_by: Set(None),
        created_at: Set(now),
        external_reference: Set(asset.reference.as_ref().map(|r| r.reference.clone())),
        reference_owner: Set(asset.reference.map(|r| r.owner)),
        ..Default::default()
    };
    model.insert(db).await.map_err(|err| match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            ApiError::Conflict("this serial number of this model is registered already".into())
        }
        _ => err.into(),
    })
}

/// Staff checked the proof of purchase: the purchase date and warranty end as verified.
pub async fn verify(
    db: &impl ConnectionTrait,
    asset: assets::Model,
    purchase_date: NaiveDate,
    warranty_ends_on: NaiveDate,
    verified_by: i64,
    now: DateTime<Utc>,
) -> ApiResult<assets::Model> {
    let mut active: assets::ActiveModel = asset.into();
    active.purchase_date = Set(purchase_date);
    active.warranty_ends_on = Set(warranty_ends_on);
    active.warranty_verified_at = Set(Some(now));
    active.warranty_verified_by = Set(Some(verified_by));
    Ok(active.update(db).await?)
}
