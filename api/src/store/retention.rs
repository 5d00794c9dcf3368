//! Retention policies, legal holds and destruction records (R-PRV-6), and the in-place
//! anonymization of a ticket's personal data the retention job applies.

use chrono::{DateTime, Utc};
use entity::ticket_events::TicketKind;
use entity::{destruction_records, legal_holds, retention_policies, return_visits};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Order, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::Cursor;
use crate::error::ApiResult;

/// What an anonymized personal field holds from then on.
pub const REMOVED: &str = "[removed]";

pub async fn policies(db: &impl ConnectionTrait) -> ApiResult<Vec<retention_policies::Model>> {
    Ok(retention_policies::Entity::find()
        .order_by_asc(retention_policies::Column::TicketKind)
        .all(db)
        .await?)
}

/// Sets the period of `kind`; the period it replaces, if any.
pub async fn set_policy(
    db: &impl ConnectionTrait,
    kind: TicketKind,
    days: i32,
    now: DateTime<Utc>,
) -> ApiResult<(Option<i32>, retention_policies::Model)> {
    let old = retention_policies::Entity::find_by_id(kind).one(db).await?;
    let row = retention_policies::ActiveModel {
        ticket_kind: Set(kind),
        retention_days: Set(days),
        updated_at: Set(now),
    };
    let saved = match &old {
        Some(_) => row.update(db).await?,
        None => row.insert(db).await?,
    };
    Ok((old.map(|policy| policy.retention_days), saved))
}

pub async fn place_hold(
    db: &impl ConnectionTrait,
    kind: TicketKind,
    ticket_id: i64,
    reason: String,
    by: i64,
    now: DateTime<Utc>,
) -> ApiResult<legal_holds::Model> {
    Ok(legal_holds::ActiveModel {
        ticket_kind: Set(kind),
        ticket_id: Set(ticket_id),
        reason: Set(reason),
        placed_by: Set(by),
        placed_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Releases the ticket's holds in force; how many there were.
pub async fn release_holds(
    db: &impl ConnectionTrait,
    kind: TicketKind,
    ticket_id: i64,
    by: i64,
    now: DateTime<Utc>,
) -> ApiResult<u64> {
    use legal_holds::Column;
    Ok(legal_holds::Entity::update_many()
        .col_expr(Column::ReleasedBy, Expr::value(by))
        .col_expr(Column::ReleasedAt, Expr::value(now))
        .filter(Column::TicketKind.eq(kind))
        .filter(Column::TicketId.eq(ticket_id))
        .filter(Column::ReleasedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// The ticket's holds in force.
pub async fn holds_of(
    db: &impl ConnectionTrait,
    kind: TicketKind,
    ticket_id: i64,
) -> ApiResult<Vec<legal_holds::Model>> {
    use legal_holds::Column;
    Ok(legal_holds::Entity::find()
        .filter(Column::TicketKind.eq(kind))
        .filter(Column::TicketId.eq(ticket_id))
        .filter(Column::ReleasedAt.is_null())
        .all(db)
        .await?)
}

/// Ids of tickets of `kind` that are done with: anonymized already, or held.
fn exempt(
    kind: TicketKind,
) -> (
    sea_orm::sea_query::SelectStatement,
    sea_orm::sea_query::SelectStatement,
) {
    let destroyed = Query::select()
        .column(destruction_records::Column::TicketId)
        .from(destruction_records::Entity)
        .and_where(destruction_records::Column::TicketKind.eq(kind))
        .to_owned();
    let held = Query::select()
        .column(legal_holds::Column::TicketId)
        .from(legal_holds::Entity)
        .and_where(legal_holds::Column::TicketKind.eq(kind))
        .and_where(legal_holds::Column::ReleasedAt.is_null())
        .to_owned();
    (destroyed, held)
}

/// Where a kind of ticket keeps its personal data (R-PRV-6): its table, when it closed, and
/// the columns the retention job clears, each with the field name the destruction record
/// lists. One table drives every kind, so a new kind is a new row here, not a new function.
pub struct PersonalData {
    pub kind: TicketKind,
    pub table: &'static str,
    /// Columns whose first non-null value is the closing time.
    pub closed_at: &'static [&'static str],
    /// `(column, field)`: cleared when not null.
    pub columns: &'static [(&'static str, &'static str)],
}

const REPAIR_ORDER: PersonalData = PersonalData {
    kind: TicketKind::RepairOrder,
    table: "repair_orders",
    closed_at: &["closed_at"],
    columns: &[
        ("service_address", "serviceAddress"),
        ("contact_phone", "contactPhone"),
    ],
};

const COMPLAINT: PersonalData = PersonalData {
    kind: TicketKind::Complaint,
    table: "complaints",
    closed_at: &["closed_at"],
    columns: &[("description", "description")],
};

/// An inquiry is closed when answered or converted.
const INQUIRY: PersonalData = PersonalData {
    kind: TicketKind::Inquiry,
    table: "inquiries",
    closed_at: &["answered_at", "converted_at"],
    columns: &[("question", "question"), ("answer", "answer")],
};

/// Free text kept beside any ticket, keyed by `ticket_kind`/`ticket_id`: `(table, column,
/// field)`. Return visits' entries go on the ticket they visit, so they are cleared with it.
const BESIDE: [(&str, &str, &str); 5] = [
    ("ticket_events", "note", "timeline.note"),
    ("return_visits", "answers", "returnVisit.answers"),
    ("return_visits", "improvement", "returnVisit.improvement"),
    ("return_visits", "review_note", "returnVisit.reviewNote"),
    ("surveys", "comment", "survey.comment"),
];

/// The field a destruction record lists for the ticket's deleted attachments.
pub const ATTACHMENTS: &str = "attachments";

/// Where `kind` keeps personal data; `None` for return visits, whose data goes with the
/// ticket they visit.
pub fn personal_data(kind: TicketKind) -> Option<&'static PersonalData> {
    match kind {
        TicketKind::RepairOrder => Some(&REPAIR_ORDER),
        TicketKind::Complaint => Some(&COMPLAINT),
        TicketKind::Inquiry => Some(&INQUIRY),
        TicketKind::ReturnVisit => None,
    }
}

/// One ticket due for destruction.
pub struct Expired {
    pub id: i64,
    pub customer_id: i64,
    pub closed_at: DateTime<Utc>,
}

fn closed_at_of(spec: &PersonalData) -> Expr {
    match spec.closed_at {
        [one] => Expr::col(Alias::new(*one)),
        many => Func::coalesce(many.iter().map(|c| Expr::col(Alias::new(*c)))).into(),
    }
}

/// When the ticket `kind`/`id` closed; `None` while open (or for a kind with no closing).
pub async fn closed_at(
    db: &impl ConnectionTrait,
    kind: TicketKind,
    id: i64,
) -> ApiResult<Option<DateTime<Utc>>> {
    let Some(spec) = personal_data(kind) else {
        return Ok(None);
    };
    let query = Query::select()
        .expr_as(closed_at_of(spec), Alias::new("closed"))
        .from(Alias::new(spec.table))
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    let row = db
        .query_one_raw(db.get_database_backend().build(&query))
        .await?;
    Ok(match row {
        Some(row) => row.try_get("", "closed")?,
        None => None,
    })
}

/// Up to `limit` tickets of `spec`'s kind closed before `cutoff`, not yet anonymized and not
/// held.
pub async fn expired(
    db: &impl ConnectionTrait,
    spec: &PersonalData,
    cutoff: DateTime<Utc>,
    limit: u64,
) -> ApiResult<Vec<Expired>> {
    let (destroyed, held) = exempt(spec.kind);
    let id = || Expr::col(Alias::new("id"));
    let query = Query::select()
        .expr_as(id(), Alias::new("id"))
        .expr_as(
            Expr::col(Alias::new("customer_id")),
            Alias::new("customer_id"),
        )
        .expr_as(closed_at_of(spec), Alias::new("closed"))
        .from(Alias::new(spec.table))
        .and_where(closed_at_of(spec).lt(cutoff))
        .and_where(id().not_in_subquery(destroyed))
        .and_where(id().not_in_subquery(held))
        .order_by(Alias::new("id"), Order::Asc)
        .limit(limit)
        .to_owned();
    let rows = db
        .query_all_raw(db.get_database_backend().build(&query))
        .await?;
    let mut due = Vec::with_capacity(rows.len());
    for row in rows {
        due.push(Expired {
            id: row.try_get("", "id")?,
            customer_id: row.try_get("", "customer_id")?,
            closed_at: row.try_get("", "closed")?,
        });
    }
    Ok(due)
}

/// Sets `column` of the rows matching `filter` to `REMOVED` where it holds something; whether
/// any row changed.
async fn clear(
    db: &impl ConnectionTrait,
    table: &str,
    column: &str,
    filter: Condition,
    touched: Option<DateTime<Utc>>,
) -> ApiResult<bool> {
    let mut update = Query::update();
    update
        .table(Alias::new(table))
        .value(Alias::new(column), REMOVED)
        .cond_where(filter.add(Expr::col(Alias::new(column)).is_not_null()));
    if let Some(now) = touched {
        update.value(Alias::new("updated_at"), now);
    }
    let result = db
        .execute_raw(db.get_database_backend().build(&update))
        .await?;
    Ok(result.rows_affected() > 0)
}

/// Clears the ticket's personal data in place — its own columns, timeline notes, return-visit
/// answers and survey comments — and deletes its attachment rows; the object keys of those
/// attachments (for the caller to delete from the store) and the fields cleared.
pub async fn anonymize(
    db: &impl ConnectionTrait,
    spec: &PersonalData,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<(Vec<String>, Vec<&'static str>)> {
    let mut fields = Vec::new();
    for (column, field) in spec.columns {
        let own = Condition::all().add(Expr::col(Alias::new("id")).eq(id));
        if clear(db, spec.table, column, own, Some(now)).await? {
            fields.push(*field);
        }
    }
    for (table, column, field) in BESIDE {
        let of_ticket = Condition::all()
            .add(Expr::col(Alias::new("ticket_kind")).eq(spec.kind))
            .add(Expr::col(Alias::new("ticket_id")).eq(id));
        if clear(db, table, column, of_ticket, None).await? {
            fields.push(field);
        }
    }
    // The ticket's files and those of its return visits.
    let visits: Vec<i64> = return_visits::Entity::find()
        .select_only()
        .column(return_visits::Column::Id)
        .filter(return_visits::Column::TicketKind.eq(spec.kind))
        .filter(return_visits::Column::TicketId.eq(id))
        .into_tuple()
        .all(db)
        .await?;
    let mut files = super::attachments::for_tickets(db, spec.kind, &[id]).await?;
    if !visits.is_empty() {
        files.extend(super::attachments::for_tickets(db, TicketKind::ReturnVisit, &visits).await?);
    }
    if !files.is_empty() {
        let ids: Vec<i64> = files.iter().map(|file| file.id).collect();
        super::attachments::delete(db, &ids).await?;
        fields.push(ATTACHMENTS);
    }
    Ok((
        files.into_iter().map(|file| file.object_key).collect(),
        fields,
    ))
}

/// What was destroyed, when, by which period.
pub struct Destruction<'a> {
    pub kind: TicketKind,
    pub ticket_id: i64,
    pub closed_at: DateTime<Utc>,
    pub retention_days: i32,
    pub fields: &'a [&'a str],
}

pub async fn record_destruction(
    db: &impl ConnectionTrait,
    destruction: Destruction<'_>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    destruction_records::ActiveModel {
        ticket_kind: Set(destruction.kind),
        ticket_id: Set(destruction.ticket_id),
        closed_at: Set(destruction.closed_at),
        retention_days: Set(destruction.retention_days),
        fields: Set(destruction.fields.join(",")),
        destroyed_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A page of destruction records, newest first.
pub async fn destruction_records(
    db: &impl ConnectionTrait,
    after: Option<Cursor>,
    limit: u64,
) -> ApiResult<Vec<destruction_records::Model>> {
    use destruction_records::Column;
    let mut query = destruction_records::Entity::find();
    if let Some(cursor) = after {
        query = query.filter(super::after(Column::DestroyedAt, Column::Id, cursor));
    }
    Ok(query
        .order_by_desc(Column::DestroyedAt)
        .order_by_desc(Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}
