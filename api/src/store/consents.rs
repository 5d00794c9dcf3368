//! Disclosure consents (R-PRV-12): recorded, withdrawn, and looked up per customer and
//! partner organization. The only writer of `disclosure_consents`.

use chrono::{DateTime, Utc};
use entity::disclosure_consents::{self, ConsentChannel, DisclosureBasis};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use crate::error::{ApiError, ApiResult};

/// What a new record says.
pub struct NewConsent {
    pub customer_id: i64,
    pub organization_id: i64,
    pub basis: DisclosureBasis,
    pub channel: ConsentChannel,
    pub reference: Option<String>,
    pub recorded_by: i64,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    new: NewConsent,
    now: DateTime<Utc>,
) -> ApiResult<disclosure_consents::Model> {
    Ok(disclosure_consents::ActiveModel {
        customer_id: Set(new.customer_id),
        organization_id: Set(new.organization_id),
        basis: Set(new.basis),
        channel: Set(new.channel),
        reference: Set(new.reference),
        recorded_by: Set(new.recorded_by),
        recorded_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> ApiResult<disclosure_consents::Model> {
    disclosure_consents::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("consent"))
}

/// Stamps the withdrawal on a record in force; `false` when it was withdrawn already.
pub async fn withdraw(
    db: &impl ConnectionTrait,
    id: i64,
    by: i64,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    use disclosure_consents::Column;
    let result = disclosure_consents::Entity::update_many()
        .col_expr(Column::WithdrawnAt, now.into())
        .col_expr(Column::WithdrawnBy, by.into())
        .filter(Column::Id.eq(id))
        .filter(Column::WithdrawnAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// A customer's records, newest first.
pub async fn of_customer(
    db: &impl ConnectionTrait,
    customer_id: i64,
) -> ApiResult<Vec<disclosure_consents::Model>> {
    use disclosure_consents::Column;
    Ok(disclosure_consents::Entity::find()
        .filter(Column::CustomerId.eq(customer_id))
        .order_by_desc(Column::RecordedAt)
        .order_by_desc(Column::Id)
        .all(db)
        .await?)
}

/// Which of the `(customer, organization)` pairs have a record in force.
pub async fn in_force(
    db: &impl ConnectionTrait,
    pairs: &[(i64, i64)],
) -> ApiResult<Vec<(i64, i64)>> {
    use disclosure_consents::Column;
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let any_pair = pairs.iter().fold(Condition::any(), |any, (customer, org)| {
        any.add(
            Condition::all()
                .add(Column::CustomerId.eq(*customer))
                .add(Column::OrganizationId.eq(*org)),
        )
    });
    let rows = disclosure_consents::Entity::find()
        .filter(Column::WithdrawnAt.is_null())
        .filter(any_pair)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.customer_id, row.organization_id))
        .collect())
}
