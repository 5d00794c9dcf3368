//! Parts and labour lines.

use chrono::{DateTime, Utc};
use entity::repair_lines::{self, RepairLineKind};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::error::ApiResult;

pub struct NewLine {
    pub repair_order_id: i64,
    pub kind: RepairLineKind,
    pub description: String,
    pub part_code: Option<String>,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub amount: Decimal,
    pub created_by: i64,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    line: NewLine,
    now: DateTime<Utc>,
) -> ApiResult<repair_lines::Model> {
    let model = repair_lines::ActiveModel {
        repair_order_id: Set(line.repair_order_id),
        kind: Set(line.kind),
        description: Set(line.description),
        part_code: Set(line.part_code),
        quantity: Set(line.quantity),
        unit_price: Set(line.unit_price),
        amount: Set(line.amount),
        created_by: Set(line.created_by),
        created_at: Set(now),
        ..Default::default()
    };
    Ok(model.insert(db).await?)
}

/// Lines of several orders, in the order they were recorded.
pub async fn for_orders(
    db: &impl ConnectionTrait,
    order_ids: &[i64],
) -> ApiResult<Vec<repair_lines::Model>> {
    Ok(repair_lines::Entity::find()
        .filter(repair_lines::Column::RepairOrderId.is_in(order_ids.iter().copied()))
        .order_by_asc(repair_lines::Column::Id)
        .all(db)
        .await?)
}
