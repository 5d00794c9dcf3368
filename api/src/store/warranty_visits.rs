//! Warranty-end return visits (R-SLA-13).

use chrono::NaiveDate;
use entity::{assets, users, warranty_visits};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};

use crate::error::ApiResult;

/// Verified products of the centre's customers whose warranty ends between `from` and `until`
/// and that have no warranty-end visit yet.
pub async fn unscheduled(
    db: &impl ConnectionTrait,
    centre_id: i64,
    from: NaiveDate,
    until: NaiveDate,
) -> ApiResult<Vec<assets::Model>> {
    let scheduled = Query::select()
        .column(warranty_visits::Column::AssetId)
        .from(warranty_visits::Entity)
        .to_owned();
    Ok(assets::Entity::find()
        .join(
            sea_orm::JoinType::InnerJoin,
            assets::Relation::Customer.def(),
        )
        .filter(users::Column::ServiceCentreId.eq(centre_id))
        .filter(assets::Column::WarrantyVerifiedAt.is_not_null())
        .filter(assets::Column::WarrantyEndsOn.between(from, until))
        .filter(assets::Column::Id.not_in_subquery(scheduled))
        .order_by_asc(assets::Column::Id)
        .all(db)
        .await?)
}

/// Writes the visit unless the product has one already (another instance may have written it
/// a moment ago); whether this call wrote it.
pub async fn insert_once(
    db: &impl ConnectionTrait,
    visit: warranty_visits::ActiveModel,
) -> ApiResult<bool> {
    let inserted = warranty_visits::Entity::insert(visit)
        .on_conflict(
            OnConflict::column(warranty_visits::Column::AssetId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted > 0)
}

/// The centre's visits not made yet, soonest due first.
pub async fn open_in_centre(
    db: &impl ConnectionTrait,
    centre_id: i64,
) -> ApiResult<Vec<warranty_visits::Model>> {
    use warranty_visits::Column as C;
    Ok(warranty_visits::Entity::find()
        .filter(C::ServiceCentreId.eq(centre_id))
        .filter(C::VisitedAt.is_null())
        .order_by_asc(C::DueOn)
        .order_by_asc(C::Id)
        .all(db)
        .await?)
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> ApiResult<Option<warranty_visits::Model>> {
    Ok(warranty_visits::Entity::find_by_id(id).one(db).await?)
}

/// Records the visit if nobody has yet; the visit as it is now when this call recorded it.
pub async fn record(
    db: &impl ConnectionTrait,
    id: i64,
    changes: warranty_visits::ActiveModel,
) -> ApiResult<Option<warranty_visits::Model>> {
    use warranty_visits::Column as C;
    let updated = warranty_visits::Entity::update_many()
        .set(changes)
        .filter(C::Id.eq(id))
        .filter(C::VisitedAt.is_null())
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Ok(None);
    }
    find(db, id).await
}
