//! R-SLA-13: a return visit one month before the warranty of a sold product ends. The visit
//! belongs to the product, not to a ticket: the job (`jobs::warranty_visits`, on the sweeper's
//! tick) schedules one per verified product whose warranty ends within a month, in the
//! customer's centre (their local date); the unique product key makes it once per product
//! however many instances run it. The centre's agents list the visits due and record them.

use chrono::{DateTime, Utc};
use entity::return_visits::VisitChannel;
use entity::users::Role;
use entity::warranty_visits;
use sea_orm::{DatabaseConnection, Set};

use super::{Env, required_text};
use crate::domain::{return_visit, warranty_visit};
use crate::error::{ApiError, ApiResult};
use crate::store;

const STAFF: &[Role] = &[Role::Agent, Role::Supervisor];

/// Schedules the missing visits as of `now`; returns how many this call wrote.
pub async fn schedule(db: &DatabaseConnection, now: DateTime<Utc>) -> ApiResult<usize> {
    let mut written = 0;
    for centre in store::directory::service_centres(db).await? {
        let today = now
            .with_timezone(&store::directory::time_zone(&centre)?)
            .date_naive();
        let (from, until) = warranty_visit::window(today);
        for asset in store::warranty_visits::unscheduled(db, centre.id, from, until).await? {
            if !warranty_visit::is_due(asset.warranty_ends_on, today) {
                continue;
            }
            let Some(due_on) = warranty_visit::due_on(asset.warranty_ends_on) else {
                continue;
            };
            let visit = warranty_visits::ActiveModel {
                asset_id: Set(asset.id),
                customer_id: Set(asset.customer_id),
                service_centre_id: Set(centre.id),
                warranty_ends_on: Set(asset.warranty_ends_on),
                due_on: Set(due_on),
                created_at: Set(now),
                ..Default::default()
            };
            if store::warranty_visits::insert_once(db, visit).await? {
                written += 1;
            }
        }
    }
    Ok(written)
}

/// The caller's centre's visits not made yet (agents and supervisors).
pub async fn open(env: &Env<'_>) -> ApiResult<Vec<warranty_visits::Model>> {
    env.actor.require(STAFF)?;
    let centre = env
        .actor
        .user()?
        .service_centre_id
        .ok_or(ApiError::Forbidden)?;
    store::warranty_visits::open_in_centre(env.db, centre).await
}

/// One visit, for the staff of its centre; `NOT_FOUND` for anyone else.
pub async fn get(env: &Env<'_>, id: i64) -> ApiResult<warranty_visits::Model> {
    store::warranty_visits::find(env.db, id)
        .await?
        .filter(|v| return_visit::can_view(env.actor, v.service_centre_id))
        .ok_or(ApiError::NotFound("warranty visit"))
}

/// The agent records the call: how, whether the customer was reached, what was said.
pub async fn record(
    env: &Env<'_>,
    id: i64,
    channel: VisitChannel,
    reached: bool,
    note: String,
) -> ApiResult<warranty_visits::Model> {
    env.actor.require(STAFF)?;
    let agent = env.actor.user()?.id;
    let visit = get(env, id).await?;
    if visit.visited_at.is_some() {
        return Err(ApiError::InvalidTransition {
            action: "record the warranty visit",
            current: "RECORDED".into(),
        });
    }
    let note = required_text("note", &note, 2000)?;
    let changes = warranty_visits::ActiveModel {
        agent_id: Set(Some(agent)),
        visited_at: Set(Some(env.now)),
        channel: Set(Some(channel)),
        reached: Set(Some(reached)),
        note: Set(Some(note)),
        ..Default::default()
    };
    store::warranty_visits::record(env.db, id, changes)
        .await?
        .ok_or(ApiError::InvalidTransition {
            action: "record the warranty visit",
            current: "RECORDED".into(),
        })
}
