//! The ticket timeline. Rows are only ever inserted.

use chrono::{DateTime, Utc};
use entity::ticket_events::{self, TicketKind};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::domain::identity::Principal;
use crate::error::ApiResult;

/// One timeline entry to write.
pub struct NewEvent<'a> {
    pub kind: TicketKind,
    pub ticket_id: i64,
    pub actor: &'a Principal,
    pub action: &'static str,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub note: Option<String>,
    pub public: bool,
}

pub async fn append(
    db: &impl ConnectionTrait,
    event: NewEvent<'_>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    row(event, now).insert(db).await?;
    Ok(())
}

/// Several entries with one statement (a ticket change and its clock transitions).
pub async fn append_many<'a>(
    db: &impl ConnectionTrait,
    events: impl IntoIterator<Item = NewEvent<'a>>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let rows: Vec<_> = events.into_iter().map(|event| row(event, now)).collect();
    if !rows.is_empty() {
        ticket_events::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(())
}

fn row(event: NewEvent<'_>, now: DateTime<Utc>) -> ticket_events::ActiveModel {
    let (user_id, api_key_id, role) = match event.actor {
        Principal::User(user) => (Some(user.id), None, role_name(event.actor)),
        Principal::Partner { api_key_id, .. } => (None, Some(*api_key_id), role_name(event.actor)),
        Principal::Anonymous => (None, None, "SYSTEM".to_owned()),
    };
    ticket_events::ActiveModel {
        ticket_kind: Set(event.kind),
        ticket_id: Set(event.ticket_id),
        actor_user_id: Set(user_id),
        actor_api_key_id: Set(api_key_id),
        actor_role: Set(role),
        action: Set(event.action.to_owned()),
        from_status: Set(event.from_status),
        to_status: Set(event.to_status),
        note: Set(event.note),
        public: Set(event.public),
        created_at: Set(now),
        ..Default::default()
    }
}

fn role_name(principal: &Principal) -> String {
    use sea_orm::ActiveEnum;
    principal
        .role()
        .map_or_else(|| "SYSTEM".to_owned(), |role| role.to_value())
}

/// Timelines of several tickets, oldest first; internal entries only when asked for.
pub async fn for_tickets(
    db: &impl ConnectionTrait,
    kind: TicketKind,
    ticket_ids: &[i64],
) -> ApiResult<Vec<ticket_events::Model>> {
    Ok(ticket_events::Entity::find()
        .filter(ticket_events::Column::TicketKind.eq(kind))
        .filter(ticket_events::Column::TicketId.is_in(ticket_ids.iter().copied()))
        .order_by_asc(ticket_events::Column::TicketId)
        .order_by_asc(ticket_events::Column::Id)
        .all(db)
        .await?)
}
