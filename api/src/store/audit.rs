//! The audit log (R-PRV-3, R-PRV-11, R-PRV-12): one append-only row per access to or change of
//! personal data, with the people it touched in `audit_log_users`. The only writer of both
//! tables. Changes are recorded in the transaction of the change (`record`); reads go through
//! the batched writer (`jobs::audit_writer`), which calls `insert_batch`.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use entity::users::Role;
use entity::{audit_log, audit_log_users};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};

use super::Cursor;
use crate::domain::identity::Principal;
use crate::error::{ApiError, ApiResult};

/// A change recorded in the transaction that makes it.
pub struct Entry<'a> {
    /// `customer.lookup`, `customer.created`, …
    pub action: &'static str,
    pub subject_kind: &'static str,
    pub subject_id: Option<i64>,
    /// JSON details (how the subject was named, what was found, old and new values); never
    /// secrets.
    pub detail: serde_json::Value,
    pub actor: &'a Principal,
    pub client_address: IpAddr,
}

/// Who acted, owned, so that an access can wait in the writer's queue.
#[derive(Clone, Debug)]
pub struct Actor {
    pub role: String,
    pub user_id: Option<i64>,
    pub api_key_id: Option<i64>,
    pub client_address: String,
}

impl Actor {
    pub fn of(principal: &Principal, client_address: IpAddr) -> Self {
        let (user_id, api_key_id) = match principal {
            Principal::User(user) => (Some(user.id), None),
            Principal::Partner { api_key_id, .. } => (None, Some(*api_key_id)),
            Principal::Anonymous => (None, None),
        };
        Self {
            role: principal
                .role()
                .map_or_else(|| "ANONYMOUS".to_owned(), |role: Role| role.to_value()),
            user_id,
            api_key_id,
            client_address: client_address.to_string(),
        }
    }

    /// Work of the server itself (the retention job).
    pub fn system() -> Self {
        Self {
            role: "SYSTEM".to_owned(),
            user_id: None,
            api_key_id: None,
            client_address: String::new(),
        }
    }
}

/// One audit row as written: a read (with operation, fields and row count) or a change.
#[derive(Clone, Debug)]
pub struct Access {
    pub occurred_at: DateTime<Utc>,
    pub actor: Actor,
    /// `repairOrders.read`, `contact.reveal`, `customer.lookup`, …
    pub action: &'static str,
    pub subject_kind: &'static str,
    pub subject_id: Option<i64>,
    pub operation: Option<String>,
    /// Personal fields returned, e.g. `customer.name`.
    pub fields: Vec<&'static str>,
    pub row_count: Option<i32>,
    /// The people whose data this touched.
    pub users: Vec<i64>,
    pub detail: Option<serde_json::Value>,
}

/// Records a change in the transaction `db` that makes it (its subject, when a user, is
/// linked as touched).
pub async fn record(
    db: &impl ConnectionTrait,
    entry: Entry<'_>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let users = match (entry.subject_kind, entry.subject_id) {
        ("USER", Some(id)) => vec![id],
        _ => Vec::new(),
    };
    write(
        db,
        &Access {
            occurred_at: now,
            actor: Actor::of(entry.actor, entry.client_address),
            action: entry.action,
            subject_kind: entry.subject_kind,
            subject_id: entry.subject_id,
            operation: None,
            fields: Vec::new(),
            row_count: None,
            users,
            detail: Some(entry.detail),
        },
    )
    .await
}

/// Writes `entries` (the caller commits them together). All their links go in one statement
/// whose one parameter is a JSON array of `[user, entry]` pairs: building a row of
/// parameters per person cost the server more CPU than the page it audits (the agent's page
/// links 50 people), and a group of full pages would pass PostgreSQL's 65,535 parameters.
pub async fn insert_batch(db: &impl ConnectionTrait, entries: &[Access]) -> ApiResult<()> {
    let mut links: Vec<(i64, i64)> = Vec::new();
    for entry in entries {
        let id = insert_row(db, entry).await?;
        let mut users = entry.users.clone();
        users.sort_unstable();
        users.dedup();
        links.extend(users.into_iter().map(|user| (user, id)));
    }
    if links.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "INSERT INTO audit_log_users (user_id, audit_id) \
             SELECT (link->>0)::bigint, (link->>1)::bigint FROM json_array_elements($1::json) AS link"
        }
        _ => {
            "INSERT INTO audit_log_users (user_id, audit_id) \
             SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?)"
        }
    };
    let pairs = serde_json::to_string(&links).map_err(|err| ApiError::Internal(err.to_string()))?;
    db.execute_raw(Statement::from_sql_and_values(backend, sql, [pairs.into()]))
        .await?;
    Ok(())
}

/// Writes one entry (the caller commits it).
pub async fn write(db: &impl ConnectionTrait, entry: &Access) -> ApiResult<()> {
    insert_batch(db, std::slice::from_ref(entry)).await
}

async fn insert_row(db: &impl ConnectionTrait, entry: &Access) -> ApiResult<i64> {
    let row = audit_log::ActiveModel {
        occurred_at: Set(entry.occurred_at),
        actor_role: Set(entry.actor.role.clone()),
        actor_user_id: Set(entry.actor.user_id),
        actor_api_key_id: Set(entry.actor.api_key_id),
        client_address: Set(
            Some(entry.actor.client_address.clone()).filter(|address| !address.is_empty())
        ),
        action: Set(entry.action.to_owned()),
        subject_kind: Set(entry.subject_kind.to_owned()),
        subject_id: Set(entry.subject_id),
        detail: Set(entry.detail.as_ref().map(ToString::to_string)),
        operation: Set(entry.operation.clone()),
        fields: Set(Some(entry.fields.join(",")).filter(|fields| !fields.is_empty())),
        row_count: Set(entry.row_count),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.id)
}

/// Narrows `auditLog`; all given conditions hold.
#[derive(Default)]
pub struct Filter {
    pub actor_user_id: Option<i64>,
    pub action: Option<String>,
    pub subject_kind: Option<String>,
    pub subject_id: Option<i64>,
    /// Entries that touched this person's data.
    pub touched_user_id: Option<i64>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// A page of entries, newest first, by keyset on `(occurred_at, id)`.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &Filter,
    after: Option<Cursor>,
    limit: u64,
) -> ApiResult<Vec<audit_log::Model>> {
    use audit_log::Column;
    let mut query = audit_log::Entity::find();
    if let Some(actor) = filter.actor_user_id {
        query = query.filter(Column::ActorUserId.eq(actor));
    }
    if let Some(action) = &filter.action {
        query = query.filter(Column::Action.eq(action.as_str()));
    }
    if let Some(kind) = &filter.subject_kind {
        query = query.filter(Column::SubjectKind.eq(kind.as_str()));
    }
    if let Some(subject) = filter.subject_id {
        query = query.filter(Column::SubjectId.eq(subject));
    }
    if let Some(user) = filter.touched_user_id {
        query = query.filter(
            Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(audit_log_users::Column::AuditId)
                    .from(audit_log_users::Entity)
                    .and_where(audit_log_users::Column::UserId.eq(user))
                    .to_owned(),
            ),
        );
    }
    if let Some(from) = filter.from {
        query = query.filter(Column::OccurredAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(Column::OccurredAt.lt(to));
    }
    if let Some(cursor) = after {
        query = query.filter(super::after(Column::OccurredAt, Column::Id, cursor));
    }
    Ok(query
        .order_by_desc(Column::OccurredAt)
        .order_by_desc(Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}
