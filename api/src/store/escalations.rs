//! Escalation records of every ticket kind.

use chrono::{DateTime, Utc};
use entity::escalation_routes::{self, EscalationTarget};
use entity::escalations::{self, Column};
use entity::ticket_events::TicketKind;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::domain::sla as escalation;
use crate::error::ApiResult;

/// The ticket an escalation is about, as escalations record it.
#[derive(Clone, Copy, Debug)]
pub struct EscalatedTicket {
    pub kind: TicketKind,
    pub id: i64,
    pub service_centre_id: i64,
    pub organization_id: Option<i64>,
}

/// One level change to record.
pub struct NewEscalation {
    pub from_level: i16,
    pub to_level: i16,
    pub reason: String,
    /// The missed clock: its metric, the end of the missed period and the clock's key.
    pub missed: Option<(String, DateTime<Utc>, i64)>,
    /// Who escalated by hand; `None` for the server.
    pub escalated_by: Option<i64>,
    /// Who held the ticket.
    pub from_user_id: Option<i64>,
}

/// Records a level change, into the inbox the route of its kind and level names now (R-ESC-1).
pub async fn insert(
    db: &impl ConnectionTrait,
    ticket: EscalatedTicket,
    new: NewEscalation,
    now: DateTime<Utc>,
) -> ApiResult<escalations::Model> {
    let target = route(db, ticket.kind, new.to_level).await?;
    let automatic = new.escalated_by.is_none();
    let (kind, at, clock) = match new.missed {
        Some((kind, at, clock)) => (Some(kind), Some(at), Some(clock)),
        None => (None, None, None),
    };
    let model = escalations::ActiveModel {
        ticket_kind: Set(ticket.kind),
        ticket_id: Set(ticket.id),
        service_centre_id: Set(ticket.service_centre_id),
        organization_id: Set(ticket.organization_id),
        clock_id: Set(clock),
        from_level: Set(new.from_level),
        to_level: Set(new.to_level),
        reason: Set(new.reason),
        deadline_kind: Set(kind),
        deadline_at: Set(at),
        escalated_by: Set(new.escalated_by),
        from_user_id: Set(new.from_user_id),
        automatic: Set(automatic),
        created_at: Set(now),
        acknowledged_at: Set(None),
        acknowledged_by: Set(None),
        target: Set(target),
        ..Default::default()
    };
    Ok(model.insert(db).await?)
}

/// Whose inbox a ticket of `kind` reaching `level` goes to: its route, else the regulation's
/// default (R-ESC-1).
pub async fn route(
    db: &impl ConnectionTrait,
    kind: TicketKind,
    level: i16,
) -> ApiResult<EscalationTarget> {
    Ok(escalation_routes::Entity::find_by_id((kind, level))
        .one(db)
        .await?
        .map_or_else(|| escalation::default_target(level), |r| r.target))
}

pub async fn routes(db: &impl ConnectionTrait) -> ApiResult<Vec<escalation_routes::Model>> {
    Ok(escalation_routes::Entity::find()
        .order_by_asc(escalation_routes::Column::TicketKind)
        .order_by_asc(escalation_routes::Column::Level)
        .all(db)
        .await?)
}

pub async fn set_route(
    db: &impl ConnectionTrait,
    route: escalation_routes::Model,
) -> ApiResult<escalation_routes::Model> {
    use escalation_routes::Column as Route;
    escalation_routes::Entity::insert(escalation_routes::ActiveModel::from(route.clone()))
        .on_conflict(
            OnConflict::columns([Route::TicketKind, Route::Level])
                .update_columns([Route::Target, Route::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(route)
}

/// The ends of missed periods a ticket was already escalated for, among `instants`: a period
/// two clocks missed together counts once, also when two sweepers each hold one of them.
pub async fn already_escalated_at(
    db: &impl ConnectionTrait,
    kind: TicketKind,
    id: i64,
    instants: &[DateTime<Utc>],
) -> ApiResult<Vec<DateTime<Utc>>> {
    Ok(escalations::Entity::find()
        .filter(Column::TicketKind.eq(kind))
        .filter(Column::TicketId.eq(id))
        .filter(Column::DeadlineAt.is_in(instants.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|e| e.deadline_at)
        .collect())
}

pub async fn for_tickets(
    db: &impl ConnectionTrait,
    kind: TicketKind,
    ids: &[i64],
) -> ApiResult<Vec<escalations::Model>> {
    Ok(escalations::Entity::find()
        .filter(Column::TicketKind.eq(kind))
        .filter(Column::TicketId.is_in(ids.iter().copied()))
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

/// Escalations of a centre routed to `target` that nobody has taken yet, oldest first
/// (R-ESC-1, R-ESC-2).
pub async fn inbox(
    db: &impl ConnectionTrait,
    service_centre_id: i64,
    target: EscalationTarget,
) -> ApiResult<Vec<escalations::Model>> {
    Ok(escalations::Entity::find()
        .filter(Column::ServiceCentreId.eq(service_centre_id))
        .filter(Column::Target.eq(target))
        .filter(Column::AcknowledgedAt.is_null())
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

/// Marks an escalation as taken; the first acknowledgement stays.
pub async fn acknowledge(
    db: &impl ConnectionTrait,
    escalation: escalations::Model,
    by: i64,
    now: DateTime<Utc>,
) -> ApiResult<escalations::Model> {
    if escalation.acknowledged_at.is_some() {
        return Ok(escalation);
    }
    let mut model: escalations::ActiveModel = escalation.into();
    model.acknowledged_at = Set(Some(now));
    model.acknowledged_by = Set(Some(by));
    Ok(model.update(db).await?)
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> ApiResult<Option<escalations::Model>> {
    Ok(escalations::Entity::find_by_id(id).one(db).await?)
}
