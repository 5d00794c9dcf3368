//! The deployment's backlog for `/metrics`: open SLA clocks and webhook delivery, counted at
//! scrape time (a few `COUNT`s over the columns the sweeper and the delivery worker claim by).

use chrono::{DateTime, Utc};
use entity::sla_clocks::{self, Column as Clock};
use entity::webhook_endpoints::{self, Column as Endpoint};
use entity::webhook_messages::{self, Column as Message, MessageStatus};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::error::ApiResult;
use crate::metrics::Backlog;

pub async fn backlog(db: &impl ConnectionTrait, now: DateTime<Utc>) -> ApiResult<Backlog> {
    let open = || {
        sla_clocks::Entity::find()
            .filter(Clock::MetAt.is_null())
            .filter(Clock::StoppedAt.is_null())
    };
    let running = || open().filter(Clock::PausedSince.is_null());
    let overdue = || running().filter(Clock::DueAt.lte(now));
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    Ok(Backlog {
        clocks_running: count(running().count(db).await?),
        clocks_paused: count(
            open()
                .filter(Clock::PausedSince.is_not_null())
                .count(db)
                .await?,
        ),
        clocks_overdue: count(overdue().count(db).await?),
        clocks_unswept: count(
            overdue()
                .filter(Clock::BreachedAt.is_null())
                .count(db)
                .await?,
        ),
        webhook_pending: count(
            webhook_messages::Entity::find()
                .filter(Message::Status.eq(MessageStatus::Pending))
                .count(db)
                .await?,
        ),
        webhook_endpoints_failing: count(
            webhook_endpoints::Entity::find()
                .filter(Endpoint::Enabled.eq(true))
                .filter(Endpoint::FailingSince.is_not_null())
                .count(db)
                .await?,
        ),
        webhook_endpoints_disabled: count(
            webhook_endpoints::Entity::find()
                .filter(Endpoint::Enabled.eq(false))
                .count(db)
                .await?,
        ),
    })
}
