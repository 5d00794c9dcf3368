//! Customers' products.

use chrono::{DateTime, NaiveDate, Utc};
use entity::assets;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::error::ApiResult;

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
    pub serial_number: String,
    pub purchase_date: NaiveDate,
    pub warranty_ends_on: NaiveDate,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    asset: NewAsset,
    now: DateTime<Utc>,
) -> ApiResult<assets::Model> {
    let model = assets::ActiveModel {
        customer_id: Set(asset.customer_id),
        model: Set(asset.model),
        serial_number: Set(asset.serial_number),
        purchase_date: Set(asset.purchase_date),
        warranty_ends_on: Set(asset.warranty_ends_on),
        created_at: Set(now),
        ..Default::default()
    };
    Ok(model.insert(db).await?)
}
