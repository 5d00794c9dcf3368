//! Attachments on repair orders, complaints and return visits: one use case for every ticket
//! kind. An upload is stored pending, owned by its uploader; attaching it needs the right to
//! change the ticket (each kind's own rule, in `domain`) and writes a timeline entry in the
//! same transaction; a download URL goes to whoever sees the ticket (each kind's visibility).
//! Pending uploads older than `ATTACHMENT_PENDING_TTL_SECONDS` cannot be attached and are
//! removed by `jobs::attachments`.

use entity::attachments;
use entity::complaints;
use entity::repair_orders;
use entity::ticket_events::TicketKind;
use entity::users::Role;
use sea_orm::{DatabaseTransaction, Set};

use super::Env;
use crate::attachments::Storage;
use crate::domain::attachment::Inspected;
use crate::domain::complaint::{self, ComplaintAction, ComplaintParties};
use crate::domain::repair::{self, OrderParties, RepairAction};
use crate::domain::return_visit;
use crate::error::{ApiError, ApiResult};
use crate::store::{self, events::NewEvent};

/// Roles that may attach something somewhere (admins see no tickets).
const UPLOADERS: &[Role] = &[
    Role::Customer,
    Role::Technician,
    Role::Agent,
    Role::Supervisor,
    Role::Partner,
];

/// One checked file and its bytes.
pub struct Upload {
    pub inspected: Inspected,
    pub content: Vec<u8>,
}

/// Stores the files as the caller's pending uploads. The objects are written first, so that
/// no row names a missing object; if the rows cannot be written, the objects are removed.
pub async fn upload(
    env: &Env<'_>,
    storage: &Storage,
    files: Vec<Upload>,
) -> ApiResult<Vec<attachments::Model>> {
    env.actor.require(UPLOADERS)?;
    let uploader = store::attachments::uploader(env.actor).ok_or(ApiError::Unauthenticated)?;
    let since = env.now - storage.pending_ttl;
    let pending = store::attachments::count_pending(env.db, uploader, since).await?;
    let max = storage.limits.max_pending_per_uploader;
    if pending.saturating_add(files.len() as u64) > max as u64 {
        return Err(ApiError::bad_input(
            "files",
            format!(
                "you hold {pending} uploads not attached to a ticket yet (at most {max}): \
                 attach them, or wait until they expire"
            ),
        ));
    }
    let mut stored: Vec<(String, Inspected)> = Vec::with_capacity(files.len());
    for file in files {
        let key = Storage::new_key();
        if let Err(err) = storage.put(&key, file.content).await {
            remove_objects(storage, stored.iter().map(|(key, _)| key)).await;
            return Err(err);
        }
        stored.push((key, file.inspected));
    }
    match insert_rows(env, &stored).await {
        Ok(rows) => Ok(rows),
        Err(err) => {
            remove_objects(storage, stored.iter().map(|(key, _)| key)).await;
            Err(err)
        }
    }
}

async fn insert_rows(
    env: &Env<'_>,
    stored: &[(String, Inspected)],
) -> ApiResult<Vec<attachments::Model>> {
    let (user_id, api_key_id) = match env.actor {
        crate::domain::identity::Principal::User(user) => (Some(user.id), None),
        crate::domain::identity::Principal::Partner { api_key_id, .. } => (None, Some(*api_key_id)),
        crate::domain::identity::Principal::Anonymous => return Err(ApiError::Unauthenticated),
    };
    let rows = stored
        .iter()
        .map(|(key, file)| attachments::ActiveModel {
            ticket_kind: Set(None),
            ticket_id: Set(None),
            uploader_user_id: Set(user_id),
            uploader_api_key_id: Set(api_key_id),
            object_key: Set(key.clone()),
            content_type: Set(file.content_type.to_owned()),
            file_name: Set(file.file_name.clone()),
            size_bytes: Set(i64::try_from(file.size).unwrap_or(i64::MAX)),
            sha256: Set(file.sha256.clone()),
            created_at: Set(env.now),
            attached_at: Set(None),
            ..Default::default()
        })
        .collect();
    let txn = store::begin_write(env.db).await?;
    store::attachments::insert_many(&txn, rows).await?;
    let keys = stored.iter().map(|(key, _)| key.clone()).collect();
    let rows = store::attachments::by_object_keys(&txn, keys).await?;
    txn.commit().await?;
    Ok(rows)
}

/// Best effort: an object left behind is only unreferenced storage, logged for the operator.
async fn remove_objects<'a>(storage: &Storage, keys: impl Iterator<Item = &'a String>) {
    for key in keys {
        if let Err(err) = storage.delete(key).await {
            tracing::warn!(key, error = ?err, "could not remove an unreferenced attachment object");
        }
    }
}

/// Where the attach goes on the timeline, and whether customers and partners read it there.
struct Target {
    timeline: (TicketKind, i64),
    public: bool,
}

/// Locks the ticket for this change and checks that the caller may change it, by the kind's
/// own rules: `NOT_FOUND` when unseen, `FORBIDDEN` for a role that may not, and
/// `INVALID_TRANSITION` once it is closed.
async fn lock_for_change(
    txn: &DatabaseTransaction,
    env: &Env<'_>,
    kind: TicketKind,
    id: i64,
) -> ApiResult<Target> {
    match kind {
        TicketKind::RepairOrder => {
            let order = store::repair_orders::find_for_update(txn, id)
                .await?
                .ok_or(ApiError::NotFound("repair order"))?;
            let action = RepairAction::Attach;
            repair::authorize(env.actor, action, &OrderParties::from(&order))?;
            super::ensure_unsealed(env, "repair order", order.closed_at)?;
            repair::next_status(action, order.status, None)?;
            Ok(Target {
                timeline: (kind, id),
                public: true,
            })
        }
        TicketKind::Complaint => {
            let found = store::complaints::find_for_update(txn, id)
                .await?
                .ok_or(ApiError::NotFound("complaint"))?;
            let action = ComplaintAction::Attach;
            complaint::authorize(env.actor, action, &ComplaintParties::from(&found))?;
            super::ensure_unsealed(env, "complaint", found.closed_at)?;
            complaint::next_status(action, found.status)?;
            Ok(Target {
                timeline: (kind, id),
                public: true,
            })
        }
        // Inquiries take no files (yet); `attachUploads` names no inquiry.
        TicketKind::Inquiry => Err(ApiError::NotFound("ticket")),
        TicketKind::ReturnVisit => {
            let visit = super::return_visits::visit_of_centre(txn, env, id).await?;
            super::ensure_ticket_unsealed(txn, env, visit.ticket_kind, visit.ticket_id).await?;
            // Return visits are staff work: their entries on the visited ticket are internal.
            Ok(Target {
                timeline: (visit.ticket_kind, visit.ticket_id),
                public: false,
            })
        }
    }
}

/// Attaches the caller's pending uploads `ids` to the ticket. Naming one already on this
/// ticket is harmless (a retry); one that is not the caller's, is on another ticket or expired
/// is `NOT_FOUND`. One timeline entry lists the files added.
pub async fn attach(
    env: &Env<'_>,
    storage: &Storage,
    (kind, ticket_id): (TicketKind, i64),
    ids: &[i64],
) -> ApiResult<Vec<attachments::Model>> {
    env.actor.role().ok_or(ApiError::Unauthenticated)?;
    let uploader = store::attachments::uploader(env.actor).ok_or(ApiError::Unauthenticated)?;
    let txn = store::begin_write(env.db).await?;
    let target = lock_for_change(&txn, env, kind, ticket_id).await?;
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let max = storage.limits.max_per_ticket;
    if ids.is_empty() || ids.len() > max {
        return Err(ApiError::bad_input(
            "attachmentIds",
            format!("name between 1 and {max} uploads"),
        ));
    }
    let rows = store::attachments::of_uploader(&txn, uploader, &ids).await?;
    let since = env.now - storage.pending_ttl;
    let mut new = Vec::new();
    for id in &ids {
        let row = rows
            .iter()
            .find(|row| row.id == *id)
            .ok_or(ApiError::NotFound("attachment"))?;
        match (row.ticket_kind, row.ticket_id) {
            (Some(k), Some(t)) if (k, t) == (kind, ticket_id) => {}
            (None, None) if row.created_at > since => new.push(row),
            _ => return Err(ApiError::NotFound("attachment")),
        }
    }
    if !new.is_empty() {
        let held = store::attachments::count_on_ticket(&txn, kind, ticket_id).await?;
        if held.saturating_add(new.len() as u64) > max as u64 {
            return Err(ApiError::bad_input(
                "attachmentIds",
                format!("a ticket holds at most {max} attachments and this one has {held}"),
            ));
        }
        let new_ids: Vec<i64> = new.iter().map(|row| row.id).collect();
        let attached =
            store::attachments::attach(&txn, &new_ids, (kind, ticket_id), since, env.now).await?;
        if attached != new_ids.len() as u64 {
            // The removal job took one meanwhile; nothing is written.
            return Err(ApiError::NotFound("attachment"));
        }
        let names: Vec<&str> = new.iter().map(|row| row.file_name.as_str()).collect();
        let mut note = format!("{} file(s) attached: {}", names.len(), names.join(", "));
        if kind == TicketKind::ReturnVisit {
            note = format!("return visit {ticket_id}: {note}");
        }
        let (timeline_kind, timeline_id) = target.timeline;
        store::events::append(
            &txn,
            NewEvent {
                kind: timeline_kind,
                ticket_id: timeline_id,
                actor: env.actor,
                action: RepairAction::Attach.event(),
                from_status: None,
                to_status: None,
                note: Some(note),
                public: target.public,
            },
            env.now,
        )
        .await?;
    }
    let attached = store::attachments::of_uploader(
        &txn,
        store::attachments::uploader(env.actor).ok_or(ApiError::Unauthenticated)?,
        &ids,
    )
    .await?;
    txn.commit().await?;
    Ok(attached)
}

/// A ticket whose attachments are read, as the caller holds it.
#[derive(Clone, Copy)]
pub enum Viewed<'a> {
    RepairOrder(&'a repair_orders::Model),
    Complaint(&'a complaints::Model),
    /// A return visit by its id and its service centre.
    ReturnVisit {
        id: i64,
        centre_id: i64,
    },
}

impl Viewed<'_> {
    pub fn key(self) -> (TicketKind, i64) {
        match self {
            Self::RepairOrder(order) => (TicketKind::RepairOrder, order.id),
            Self::Complaint(complaint) => (TicketKind::Complaint, complaint.id),
            Self::ReturnVisit { id, .. } => (TicketKind::ReturnVisit, id),
        }
    }

    /// Whether the caller sees the ticket, by its kind's one visibility rule: customers their
    /// own, technicians the orders assigned to them, agents and supervisors their centre's,
    /// partners their organization's (return visits: the centre's staff only); admins none.
    pub fn visible_to(self, actor: &crate::domain::identity::Principal) -> bool {
        match self {
            Self::RepairOrder(order) => repair::can_view(actor, &OrderParties::from(order)),
            Self::Complaint(found) => complaint::can_view(actor, &ComplaintParties::from(found)),
            Self::ReturnVisit { centre_id, .. } => return_visit::can_view(actor, centre_id),
        }
    }
}
