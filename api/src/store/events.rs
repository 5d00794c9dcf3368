//! The ticket timeline, which is also the change feed's event log. Rows are only ever inserted.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use entity::ticket_events::{self, TicketKind};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, Set, Statement,
};

use super::repair_orders::Scope;
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

/// A place in the change feed: after the row `(commit_tx, id)`. `START` is before every row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub commit_tx: i64,
    pub id: i64,
}

impl Position {
    pub const START: Self = Self {
        commit_tx: 0,
        id: 0,
    };

    pub fn of(event: &ticket_events::Model) -> Self {
        Self {
            commit_tx: event.commit_tx,
            id: event.id,
        }
    }

    /// The opaque cursor clients hold (the change feed's, and a webhook payload's), never a
    /// time: time cursors loop or skip when many rows share a timestamp.
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("e1:{}:{}", self.commit_tx, self.id))
    }

    /// The position of a cursor from `encode`.
    pub fn decode(cursor: &str) -> Option<Self> {
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
        let mut parts = text.split(':');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("e1"), Some(tx), Some(id), None) => Some(Self {
                commit_tx: tx.parse().ok()?,
                id: id.parse().ok()?,
            }),
            _ => None,
        }
    }
}

/// Which timeline rows a change-feed reader sees: the tickets the GraphQL lists give them, of
/// the kinds asked for; internal entries only for staff.
pub struct FeedFilter {
    pub scope: Scope,
    pub internal: bool,
    pub kinds: Vec<TicketKind>,
}

/// Timeline rows after `after` that `filter` lets through, in position order, at most `limit`.
pub async fn feed(
    db: &impl ConnectionTrait,
    filter: &FeedFilter,
    after: Position,
    limit: u64,
) -> ApiResult<Vec<ticket_events::Model>> {
    let rows = read(db, after, limit, |params| {
        let kinds: Vec<String> = filter
            .kinds
            .iter()
            .map(|kind| format!("'{}'", kind.to_value()))
            .collect();
        // Each placeholder takes its own value: SQLite's `?` cannot be named twice.
        let mut either = |column: &str, value: i64| {
            let (orders, complaints) = (params.push(value.into()), params.push(value.into()));
            format!("(r.{column} = {orders} OR c.{column} = {complaints})")
        };
        let scope = match filter.scope {
            Scope::ServiceCentre(centre) => either("service_centre_id", centre),
            Scope::Customer(customer) => either("customer_id", customer),
            Scope::Organization(organization) => either("organization_id", organization),
            Scope::Technician(technician) => {
                format!("r.technician_id = {}", params.push(technician.into()))
            }
        };
        let public = if filter.internal { "" } else { " AND e.public" };
        format!(
            " AND e.ticket_kind IN ({kinds}) AND {scope}{public}",
            kinds = if kinds.is_empty() {
                "NULL".to_owned()
            } else {
                kinds.join(", ")
            },
        )
    })
    .await?;
    Ok(rows.into_iter().map(|(event, _)| event).collect())
}

/// Every timeline row after `after`, in position order, at most `limit`, each with the
/// partner organization of its ticket: what the webhook dispatcher reads (it applies each
/// endpoint's visibility itself).
pub async fn log(
    db: &impl ConnectionTrait,
    after: Position,
    limit: u64,
) -> ApiResult<Vec<(ticket_events::Model, Option<i64>)>> {
    read(db, after, limit, |_| String::new()).await
}

/// Placeholders of one raw statement and their values.
struct Params {
    backend: DbBackend,
    values: Vec<sea_orm::Value>,
}

impl Params {
    fn push(&mut self, value: sea_orm::Value) -> String {
        self.values.push(value);
        match self.backend {
            DbBackend::Postgres => format!("${}", self.values.len()),
            _ => "?".to_owned(),
        }
    }
}

/// Timeline rows after `after` that the conditions `and` writes let through, in position
/// order. On PostgreSQL only rows of transactions older than every one still in flight are
/// read (`pg_snapshot_xmin`): a row committed later always sorts after what was returned, so a
/// reader that goes on from its last position never skips one (a plain `id > cursor` read
/// does, when a transaction with a lower id commits after one with a higher id).
async fn read(
    db: &impl ConnectionTrait,
    after: Position,
    limit: u64,
    and: impl FnOnce(&mut Params) -> String,
) -> ApiResult<Vec<(ticket_events::Model, Option<i64>)>> {
    let backend = db.get_database_backend();
    let mut params = Params {
        backend,
        values: Vec::new(),
    };
    let position = format!(
        "(e.commit_tx, e.id) > ({}, {})",
        params.push(after.commit_tx.into()),
        params.push(after.id.into())
    );
    let stable = match backend {
        DbBackend::Postgres => {
            " AND e.commit_tx < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
        }
        _ => "",
    };
    let conditions = and(&mut params);
    let limit = params.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
    let sql = format!(
        "SELECT e.*, COALESCE(r.organization_id, c.organization_id) AS ticket_organization_id \
         FROM ticket_events e \
         LEFT JOIN repair_orders r ON e.ticket_kind = 'REPAIR_ORDER' AND r.id = e.ticket_id \
         LEFT JOIN complaints c ON e.ticket_kind = 'COMPLAINT' AND c.id = e.ticket_id \
         WHERE {position}{stable}{conditions} \
         ORDER BY e.commit_tx, e.id LIMIT {limit}"
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, params.values))
        .await?;
    rows.iter()
        .map(|row| -> ApiResult<_> {
            Ok((
                ticket_events::Model::from_query_result(row, "")?,
                row.try_get::<Option<i64>>("", "ticket_organization_id")?,
            ))
        })
        .collect()
}
