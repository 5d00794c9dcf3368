//! Staff penalty points (R-ESC-6, R-SLA-10): one row per missed clock.

use chrono::{DateTime, Duration, Utc};
use entity::sla_clocks;
use entity::staff_penalties::{self, Column};
use entity::ticket_events::TicketKind;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::error::ApiResult;

/// Records the points of a missed clock for whoever held the ticket at the breach, or raises
/// them when the lateness has reached a higher tier; points never go down.
pub async fn record(
    db: &impl ConnectionTrait,
    clock: &sla_clocks::Model,
    holder: i64,
    lateness: Duration,
    points: u32,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let late_minutes = i32::try_from(lateness.num_minutes()).unwrap_or(i32::MAX);
    let points = i32::try_from(points).unwrap_or(i32::MAX);
    let existing = staff_penalties::Entity::find()
        .filter(Column::ClockId.eq(clock.id))
        .one(db)
        .await?;
    match existing {
        Some(penalty) if penalty.points >= points && penalty.late_minutes >= late_minutes => {}
        Some(penalty) => {
            let mut model: staff_penalties::ActiveModel = penalty.into();
            model.late_minutes = Set(late_minutes);
            model.points = Set(points);
            model.update(db).await?;
        }
        None => {
            use sea_orm::ActiveEnum;
            staff_penalties::ActiveModel {
                user_id: Set(holder),
                ticket_kind: Set(clock.ticket_kind),
                ticket_id: Set(clock.ticket_id),
                service_centre_id: Set(clock.service_centre_id),
                organization_id: Set(clock.organization_id),
                clock_id: Set(Some(clock.id)),
                deadline_kind: Set(clock.metric.to_value()),
                deadline_at: Set(clock.due_at),
                late_minutes: Set(late_minutes),
                points: Set(points),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

pub async fn of_ticket(
    db: &impl ConnectionTrait,
    kind: TicketKind,
    ticket_id: i64,
) -> ApiResult<Vec<staff_penalties::Model>> {
    Ok(staff_penalties::Entity::find()
        .filter(Column::TicketKind.eq(kind))
        .filter(Column::TicketId.eq(ticket_id))
        .all(db)
        .await?)
}
