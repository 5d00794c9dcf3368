//! Parts requests and their items (R-REP-5).

use chrono::{DateTime, Utc};
use entity::parts_request_items;
use entity::parts_requests::{self, PartsRequestStatus};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::domain::parts::Part;
use crate::error::ApiResult;

/// Inserts a request in REQUESTED with its parts.
pub async fn insert(
    db: &impl ConnectionTrait,
    repair_order_id: i64,
    requested_by: i64,
    note: Option<String>,
    parts: &[Part],
    now: DateTime<Utc>,
) -> ApiResult<(parts_requests::Model, Vec<parts_request_items::Model>)> {
    let request = parts_requests::ActiveModel {
        repair_order_id: Set(repair_order_id),
        status: Set(PartsRequestStatus::Requested),
        requested_by: Set(requested_by),
        note: Set(note),
        decided_by: Set(None),
        decided_at: Set(None),
        rejection_reason: Set(None),
        source: Set(None),
        filled_by: Set(None),
        filled_at: Set(None),
        arrived_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut items = Vec::with_capacity(parts.len());
    for part in parts {
        let item = parts_request_items::ActiveModel {
            parts_request_id: Set(request.id),
            part_code: Set(part.code.clone()),
            part_name: Set(part.name.clone()),
            quantity: Set(part.quantity),
            urgency: Set(part.urgency),
            ..Default::default()
        }
        .insert(db)
        .await?;
        items.push(item);
    }
    Ok((request, items))
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> ApiResult<Option<parts_requests::Model>> {
    Ok(parts_requests::Entity::find_by_id(id).one(db).await?)
}

/// Requests of several orders, oldest first.
pub async fn for_orders(
    db: &impl ConnectionTrait,
    order_ids: &[i64],
) -> ApiResult<Vec<parts_requests::Model>> {
    Ok(parts_requests::Entity::find()
        .filter(parts_requests::Column::RepairOrderId.is_in(order_ids.iter().copied()))
        .order_by_asc(parts_requests::Column::Id)
        .all(db)
        .await?)
}

/// Items of several requests, in the order asked.
pub async fn items(
    db: &impl ConnectionTrait,
    request_ids: &[i64],
) -> ApiResult<Vec<parts_request_items::Model>> {
    Ok(parts_request_items::Entity::find()
        .filter(parts_request_items::Column::PartsRequestId.is_in(request_ids.iter().copied()))
        .order_by_asc(parts_request_items::Column::Id)
        .all(db)
        .await?)
}

/// Writes a request's changes (the caller holds its order's row lock).
pub async fn update(
    db: &impl ConnectionTrait,
    request: parts_requests::Model,
    mut changes: parts_requests::ActiveModel,
    now: DateTime<Utc>,
) -> ApiResult<parts_requests::Model> {
    changes.id = sea_orm::ActiveValue::Unchanged(request.id);
    changes.updated_at = Set(now);
    Ok(changes.update(db).await?)
}
