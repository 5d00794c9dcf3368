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

    /// The opaque cursor clients hold (the change feed's, a subscription's and a webhook
    /// payload's), never a time: time cursors loop or skip when many rows share a timestamp.
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
/// the kinds asked for (and only `ticket`, when set); internal entries only for staff.
pub struct FeedFilter {
    pub scope: Scope,
    pub internal: bool,
    pub kinds: Vec<TicketKind>,
    pub ticket: Option<(TicketKind, i64)>,
}

/// Whose ticket an entry is on, as the list scopes see it: what live subscribers are matched
/// against in memory, since one read serves them all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TicketAccess {
    pub customer_id: Option<i64>,
    pub service_centre_id: Option<i64>,
    pub technician_id: Option<i64>,
    pub organization_id: Option<i64>,
}

/// A timeline row with the owners of its ticket.
#[derive(Clone, Debug)]
pub struct Owned {
    pub event: ticket_events::Model,
    pub access: TicketAccess,
}

impl FeedFilter {
    /// Whether the reader sees `row`: the rule `feed` applies in SQL, for rows already read.
    pub fn admits(&self, row: &Owned) -> bool {
        let event = &row.event;
        let access = &row.access;
        let mine = match self.scope {
            Scope::ServiceCentre(centre) => access.service_centre_id == Some(centre),
            Scope::Customer(customer) => access.customer_id == Some(customer),
            Scope::Organization(organization) => access.organization_id == Some(organization),
            // The orders assigned to them and the inquiries passed to them (R-SLA-11).
            Scope::Technician(technician) => {
                matches!(
                    event.ticket_kind,
                    TicketKind::RepairOrder | TicketKind::Inquiry
                ) && access.technician_id == Some(technician)
            }
        };
        mine && (self.internal || event.public)
            && self.kinds.contains(&event.ticket_kind)
            && self
                .ticket
                .is_none_or(|ticket| ticket == (event.ticket_kind, event.ticket_id))
    }
}

/// Placeholders in the backend's syntax, each with a value of its own (SQLite's `?` cannot be
/// named twice).
struct Params {
    backend: DbBackend,
    values: Vec<sea_orm::Value>,
}

impl Params {
    fn new(backend: DbBackend) -> Self {
        Self {
            backend,
            values: Vec::new(),
        }
    }

    fn add(&mut self, value: impl Into<sea_orm::Value>) -> String {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => format!("${}", self.values.len()),
            _ => "?".to_owned(),
        }
    }
}

/// Rows after `after` in position order, at most `limit`, with the tickets they are on joined
/// as `r` (repair orders), `c` (complaints) and `q` (inquiries); `condition` narrows further (it adds its own
/// values, after the position's: placeholders are numbered in the order they are written). On PostgreSQL only
/// rows of transactions older than every one still in flight are read (`pg_snapshot_xmin`): a
/// row committed later always sorts after what was returned, so a reader that goes on from its
/// last position never skips one (a plain `id > cursor` read does, when a transaction with a
/// lower id commits after one with a higher id).
fn positioned(
    params: &mut Params,
    columns: &str,
    after: Position,
    condition: impl FnOnce(&mut Params) -> String,
    limit: u64,
) -> String {
    let position = format!(
        "(e.commit_tx, e.id) > ({}, {})",
        params.add(after.commit_tx),
        params.add(after.id)
    );
    let condition = condition(params);
    let stable = match params.backend {
        DbBackend::Postgres => {
            " AND e.commit_tx < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
        }
        _ => "",
    };
    let limit = params.add(i64::try_from(limit).unwrap_or(i64::MAX));
    format!(
        "SELECT {columns} FROM ticket_events e \
         LEFT JOIN repair_orders r ON e.ticket_kind = 'REPAIR_ORDER' AND r.id = e.ticket_id \
         LEFT JOIN complaints c ON e.ticket_kind = 'COMPLAINT' AND c.id = e.ticket_id \
         LEFT JOIN inquiries q ON e.ticket_kind = 'INQUIRY' AND q.id = e.ticket_id \
         WHERE {position}{stable} AND {condition} \
         ORDER BY e.commit_tx, e.id LIMIT {limit}"
    )
}

fn kinds_in(kinds: &[TicketKind]) -> String {
    if kinds.is_empty() {
        return "NULL".to_owned();
    }
    let kinds: Vec<String> = kinds
        .iter()
        .map(|kind| format!("'{}'", kind.to_value()))
        .collect();
    kinds.join(", ")
}

/// Timeline rows after `after` that `filter` lets through, in position order, at most `limit`.
pub async fn feed(
    db: &impl ConnectionTrait,
    filter: &FeedFilter,
    after: Position,
    limit: u64,
) -> ApiResult<Vec<ticket_events::Model>> {
    let backend = db.get_database_backend();
    let mut params = Params::new(backend);
    let condition = |params: &mut Params| {
        let mut either = |column: &str, value: i64| {
            let (orders, complaints, inquiries) =
                (params.add(value), params.add(value), params.add(value));
            format!(
                "(r.{column} = {orders} OR c.{column} = {complaints} OR q.{column} = {inquiries})"
            )
        };
        let scope = match filter.scope {
            Scope::ServiceCentre(centre) => either("service_centre_id", centre),
            Scope::Customer(customer) => either("customer_id", customer),
            Scope::Organization(organization) => either("organization_id", organization),
            Scope::Technician(technician) => {
                let (order, inquiry) = (params.add(technician), params.add(technician));
                format!("(r.technician_id = {order} OR q.handler_id = {inquiry})")
            }
        };
        let public = if filter.internal { "" } else { " AND e.public" };
        let ticket = match filter.ticket {
            Some((kind, id)) => format!(
                " AND e.ticket_kind = '{}' AND e.ticket_id = {}",
                kind.to_value(),
                params.add(id)
            ),
            None => String::new(),
        };
        format!(
            "e.ticket_kind IN ({}) AND {scope}{public}{ticket}",
            kinds_in(&filter.kinds)
        )
    };
    let sql = positioned(&mut params, "e.*", after, condition, limit);
    Ok(ticket_events::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(backend, sql, params.values))
        .all(db)
        .await?)
}

/// Every timeline row after `after` with its ticket's owners, for the readers that apply each
/// recipient's visibility themselves: live subscribers ([`FeedFilter::admits`]) and the
/// webhook dispatcher.
pub async fn owned(
    db: &impl ConnectionTrait,
    after: Position,
    limit: u64,
) -> ApiResult<Vec<Owned>> {
    let backend = db.get_database_backend();
    let mut params = Params::new(backend);
    let columns = "e.*, \
        COALESCE(r.customer_id, c.customer_id, q.customer_id) AS access_customer_id, \
        COALESCE(r.service_centre_id, c.service_centre_id, q.service_centre_id) \
            AS access_service_centre_id, \
        COALESCE(r.technician_id, q.handler_id) AS access_technician_id, \
        COALESCE(r.organization_id, c.organization_id, q.organization_id) \
            AS access_organization_id";
    let sql = positioned(&mut params, columns, after, |_| "1 = 1".to_owned(), limit);
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, params.values))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Owned {
                event: ticket_events::Model::from_query_result(row, "")?,
                access: TicketAccess {
                    customer_id: row.try_get("", "access_customer_id")?,
                    service_centre_id: row.try_get("", "access_service_centre_id")?,
                    technician_id: row.try_get("", "access_technician_id")?,
                    organization_id: row.try_get("", "access_organization_id")?,
                },
            })
        })
        .collect()
}

/// The last position readers can see now (`START` on an empty log).
pub async fn head(db: &impl ConnectionTrait) -> ApiResult<Position> {
    let backend = db.get_database_backend();
    let stable = match backend {
        DbBackend::Postgres => {
            "WHERE commit_tx < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
        }
        _ => "",
    };
    let sql = format!(
        "SELECT commit_tx, id FROM ticket_events {stable} ORDER BY commit_tx DESC, id DESC LIMIT 1"
    );
    let row = db
        .query_one_raw(Statement::from_string(backend, sql))
        .await?;
    Ok(match row {
        Some(row) => Position {
            commit_tx: row.try_get("", "commit_tx")?,
            id: row.try_get("", "id")?,
        },
        None => Position::START,
    })
}

/// Whether `user_id` acted on the ticket: any entry of its timeline is theirs (R-SUR-5).
pub async fn acted_on(
    db: &impl ConnectionTrait,
    kind: TicketKind,
    ticket_id: i64,
    user_id: i64,
) -> ApiResult<bool> {
    Ok(ticket_events::Entity::find()
        .filter(ticket_events::Column::TicketKind.eq(kind))
        .filter(ticket_events::Column::TicketId.eq(ticket_id))
        .filter(ticket_events::Column::ActorUserId.eq(user_id))
        .one(db)
        .await?
        .is_some())
}
