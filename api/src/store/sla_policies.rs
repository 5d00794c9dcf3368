//! The configurable limits.

use entity::sla_policies::{self, SlaMetric};
use entity::ticket_events::TicketKind;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::error::{ApiError, ApiResult};

/// The policy for one clock; a missing row is a deployment error, not the caller's.
pub async fn get(
    db: &impl ConnectionTrait,
    kind: TicketKind,
    metric: SlaMetric,
    scope: &str,
) -> ApiResult<sla_policies::Model> {
    find(db, kind, metric, scope)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("no SLA policy for {kind:?}/{metric:?}/{scope}")))
}

async fn find(
    db: &impl ConnectionTrait,
    kind: TicketKind,
    metric: SlaMetric,
    scope: &str,
) -> ApiResult<Option<sla_policies::Model>> {
    Ok(sla_policies::Entity::find()
        .filter(sla_policies::Column::TicketKind.eq(kind))
        .filter(sla_policies::Column::Metric.eq(metric))
        .filter(sla_policies::Column::Scope.eq(scope))
        .one(db)
        .await?)
}

/// Every policy of one ticket kind.
pub async fn of_kind(
    db: &impl ConnectionTrait,
    kind: TicketKind,
) -> ApiResult<Vec<sla_policies::Model>> {
    Ok(sla_policies::Entity::find()
        .filter(sla_policies::Column::TicketKind.eq(kind))
        .all(db)
        .await?)
}

/// Every policy of one kind and scope (one statement for all of a ticket's clocks).
pub async fn of_scope(
    db: &impl ConnectionTrait,
    kind: TicketKind,
    scope: &str,
) -> ApiResult<Vec<sla_policies::Model>> {
    Ok(sla_policies::Entity::find()
        .filter(sla_policies::Column::TicketKind.eq(kind))
        .filter(sla_policies::Column::Scope.eq(scope))
        .all(db)
        .await?)
}

pub async fn all(db: &impl ConnectionTrait) -> ApiResult<Vec<sla_policies::Model>> {
    Ok(sla_policies::Entity::find().all(db).await?)
}

/// What an admin changes in a policy; `None` keeps the value.
#[derive(Clone, Debug, Default)]
pub struct PolicyChange {
    pub duration_minutes: Option<i32>,
    pub business_time: Option<bool>,
    pub warn_percents: Option<String>,
    pub pause_states: Option<String>,
    /// Switched on or off (R-SLA-15).
    pub active: Option<bool>,
}

/// Changes one policy; the caller rewrites the clocks running by it in the same transaction.
pub async fn update(
    db: &impl ConnectionTrait,
    kind: TicketKind,
    metric: SlaMetric,
    scope: &str,
    change: PolicyChange,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<sla_policies::Model> {
    use sea_orm::{ActiveModelTrait, Set};
    // Only here is a missing row the caller's mistake: an admin naming a policy that is not.
    let policy = find(db, kind, metric, scope)
        .await?
        .ok_or(ApiError::NotFound("SLA policy"))?;
    let mut model: sla_policies::ActiveModel = policy.into();
    if let Some(minutes) = change.duration_minutes {
        model.duration_minutes = Set(minutes);
    }
    if let Some(business) = change.business_time {
        model.business_time = Set(business);
    }
    if let Some(warn) = change.warn_percents {
        model.warn_percents = Set(warn);
    }
    if let Some(pauses) = change.pause_states {
        model.pause_states = Set(pauses);
    }
    if let Some(active) = change.active {
        model.active = Set(active);
    }
    model.updated_at = Set(now);
    Ok(model.update(db).await?)
}
