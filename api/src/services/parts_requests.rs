//! R-REP-5 parts requests, one transaction each. How they fit the order's states:
//! - `request`: a technician on the order, an agent or a supervisor asks for parts while the
//!   repair is still to be done; the order does not change yet (an internal `PARTS_REQUESTED`
//!   entry on its timeline).
//! - `decide`: a supervisor of the centre who did not ask approves or rejects it. An approval
//!   puts the order in WAITING_FOR_PARTS (unless it already waits for other parts): its
//!   arrival and resolution clocks pause by the policies, the customer reads "waiting for
//!   parts". A rejection leaves the order as it is, with the reason.
//! - `fill`: the centre's staff take the parts from stock or buy them.
//! - `receive`: the parts arrived; when no other approved request of the order is still
//!   outstanding, the order goes back to the status it waited in and its clocks run again.
//!   Every step locks the order row first, so two arrivals cannot both leave the order waiting.

use entity::parts_request_items;
use entity::parts_requests::{self, PartsSource};
use entity::repair_orders::{self, Priority, RepairStatus};
use sea_orm::{ActiveEnum, DatabaseTransaction, Set};

use super::repair_orders::{Extra, Step, append};
use super::{Env, required_text};
use crate::domain::parts::{self, Part, PartsStep};
use crate::domain::repair::{self, OrderParties, RepairAction};
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::store;

/// A request with its parts.
#[derive(Clone, Debug)]
pub struct FullRequest {
    pub request: parts_requests::Model,
    pub items: Vec<parts_request_items::Model>,
}

/// Asks for parts for an order (R-REP-5).
pub async fn request(
    env: &Env<'_>,
    order_id: i64,
    wanted: Vec<Part>,
    note: Option<String>,
) -> ApiResult<FullRequest> {
    let txn = store::begin_write(env.db).await?;
    let order = lock_order(&txn, env, order_id, RepairAction::RequestParts).await?;
    let mut errors = FieldErrors::default();
    let wanted = errors.check(parts::check_parts(wanted))?;
    let note = errors.check(
        note.filter(|n| !n.trim().is_empty())
            .map(|n| required_text("note", &n, 2000))
            .transpose(),
    )?;
    let (wanted, note) = errors.values(wanted.zip(note))?;
    let requester = env.actor.user()?.id;
    let (request, items) =
        store::parts_requests::insert(&txn, order.id, requester, note.clone(), &wanted, env.now)
            .await?;
    let mut entry = format!("parts request {}: {}", request.id, describe(&wanted));
    if let Some(note) = note {
        entry.push_str(&format!(" — {note}"));
    }
    let action = RepairAction::RequestParts.event();
    append(&txn, env, order.id, action, None, None, Some(entry), false).await?;
    txn.commit().await?;
    Ok(FullRequest { request, items })
}

/// A supervisor approves (the order waits for the parts) or rejects (with a reason) a request.
pub async fn decide(
    env: &Env<'_>,
    id: i64,
    approve: bool,
    reason: Option<String>,
) -> ApiResult<FullRequest> {
    let (action, step) = if approve {
        (RepairAction::ApproveParts, PartsStep::Approve)
    } else {
        (RepairAction::RejectParts, PartsStep::Reject)
    };
    let txn = store::begin_write(env.db).await?;
    let (request, order) = lock_request(&txn, env, id, action).await?;
    parts::check_decider(env.actor, request.requested_by)?;
    let to = parts::next_status(step, request.status)?;
    let reason = if approve {
        None
    } else {
        Some(required_text(
            "reason",
            reason.as_deref().unwrap_or(""),
            2000,
        )?)
    };
    let supervisor = env.actor.user()?.id;
    let items = store::parts_requests::items(&txn, &[request.id]).await?;
    let changes = parts_requests::ActiveModel {
        status: Set(to),
        decided_by: Set(Some(supervisor)),
        decided_at: Set(Some(env.now)),
        rejection_reason: Set(reason.clone()),
        ..Default::default()
    };
    let request = store::parts_requests::update(&txn, request, changes, env.now).await?;
    let entry = match &reason {
        Some(reason) => format!("parts request {} rejected: {reason}", request.id),
        None => format!(
            "parts request {} approved: {}",
            request.id,
            describe_items(&items)
        ),
    };
    if approve && order.status != RepairStatus::WaitingForParts {
        // The order waits for the parts from now on (its clocks pause by the policies).
        let changes = repair_orders::ActiveModel {
            resume_status: Set(Some(order.status)),
            waiting_reason: Set(Some(format!("parts requested: {}", describe_items(&items)))),
            ..Default::default()
        };
        let extra = Extra {
            action: action.event(),
            note: entry,
            public: false,
        };
        Step::locked(txn, order, RepairAction::WaitForParts)?
            .commit(env, changes, Some("waiting for parts".into()), Some(extra))
            .await?;
    } else {
        append(
            &txn,
            env,
            order.id,
            action.event(),
            None,
            None,
            Some(entry),
            false,
        )
        .await?;
        txn.commit().await?;
    }
    Ok(FullRequest { request, items })
}

/// The centre's staff fill an approved request from stock or by purchase.
pub async fn fill(env: &Env<'_>, id: i64, source: PartsSource) -> ApiResult<FullRequest> {
    let action = RepairAction::FillParts;
    let txn = store::begin_write(env.db).await?;
    let (request, order) = lock_request(&txn, env, id, action).await?;
    let to = parts::next_status(PartsStep::Fill, request.status)?;
    let changes = parts_requests::ActiveModel {
        status: Set(to),
        source: Set(Some(source)),
        filled_by: Set(Some(env.actor.user()?.id)),
        filled_at: Set(Some(env.now)),
        ..Default::default()
    };
    let request = store::parts_requests::update(&txn, request, changes, env.now).await?;
    let entry = format!(
        "parts request {} filled from {}",
        request.id,
        source.to_value()
    );
    append(
        &txn,
        env,
        order.id,
        action.event(),
        None,
        None,
        Some(entry),
        false,
    )
    .await?;
    let items = store::parts_requests::items(&txn, &[request.id]).await?;
    txn.commit().await?;
    Ok(FullRequest { request, items })
}

/// The parts of a filled request arrived. The last outstanding approved request of a waiting
/// order resumes it where it waited; its paused clocks run again, moved on by the wait.
pub async fn receive(env: &Env<'_>, id: i64, note: Option<String>) -> ApiResult<FullRequest> {
    let action = RepairAction::ReceiveParts;
    let txn = store::begin_write(env.db).await?;
    let (request, order) = lock_request(&txn, env, id, action).await?;
    let to = parts::next_status(PartsStep::Receive, request.status)?;
    let note = note
        .filter(|n| !n.trim().is_empty())
        .map(|n| required_text("note", &n, 2000))
        .transpose()?;
    let changes = parts_requests::ActiveModel {
        status: Set(to),
        arrived_at: Set(Some(env.now)),
        ..Default::default()
    };
    let request = store::parts_requests::update(&txn, request, changes, env.now).await?;
    let items = store::parts_requests::items(&txn, &[request.id]).await?;
    let others = store::parts_requests::for_orders(&txn, &[order.id]).await?;
    let outstanding = others
        .iter()
        .any(|r| r.id != request.id && parts::holds_order(r.status));
    let entry = format!(
        "parts request {} arrived: {}",
        request.id,
        describe_items(&items)
    );
    if !outstanding && order.status == RepairStatus::WaitingForParts {
        let changes = repair_orders::ActiveModel {
            resume_status: Set(None),
            waiting_reason: Set(None),
            ..Default::default()
        };
        let extra = Extra {
            action: action.event(),
            note: entry,
            public: false,
        };
        Step::locked(txn, order, RepairAction::PartsArrived)?
            .commit(
                env,
                changes,
                note.or(Some("the parts arrived".into())),
                Some(extra),
            )
            .await?;
    } else {
        append(
            &txn,
            env,
            order.id,
            action.event(),
            None,
            None,
            Some(entry),
            false,
        )
        .await?;
        txn.commit().await?;
    }
    Ok(FullRequest { request, items })
}

/// One request, if the caller sees its order; otherwise `NOT_FOUND`.
pub async fn get(env: &Env<'_>, id: i64) -> ApiResult<FullRequest> {
    env.actor.role().ok_or(ApiError::Unauthenticated)?;
    let request = store::parts_requests::find(env.db, id)
        .await?
        .ok_or(ApiError::NotFound("parts request"))?;
    store::repair_orders::find(env.db, request.repair_order_id)
        .await?
        .filter(|o| repair::can_view(env.actor, &OrderParties::from(o)))
        .ok_or(ApiError::NotFound("parts request"))?;
    let items = store::parts_requests::items(env.db, &[request.id]).await?;
    Ok(FullRequest { request, items })
}

/// The requests of several orders with their items, oldest first (two statements, whatever
/// the number of orders: a page's `partsRequests` go through one loader call).
pub async fn of_orders(
    db: &impl sea_orm::ConnectionTrait,
    order_ids: &[i64],
) -> ApiResult<Vec<FullRequest>> {
    let requests = store::parts_requests::for_orders(db, order_ids).await?;
    let ids: Vec<i64> = requests.iter().map(|r| r.id).collect();
    let mut items: std::collections::HashMap<i64, Vec<parts_request_items::Model>> =
        std::collections::HashMap::new();
    for item in store::parts_requests::items(db, &ids).await? {
        items.entry(item.parts_request_id).or_default().push(item);
    }
    Ok(requests
        .into_iter()
        .map(|request| FullRequest {
            items: items.remove(&request.id).unwrap_or_default(),
            request,
        })
        .collect())
}

/// The order, locked, when the caller may take `action` on it in its status.
async fn lock_order(
    txn: &DatabaseTransaction,
    env: &Env<'_>,
    order_id: i64,
    action: RepairAction,
) -> ApiResult<repair_orders::Model> {
    let order = store::repair_orders::find_for_update(txn, order_id)
        .await?
        .ok_or(ApiError::NotFound("repair order"))?;
    repair::authorize(env.actor, action, &OrderParties::from(&order))?;
    super::ensure_unsealed(env, "repair order", order.closed_at)?;
    repair::next_status(action, order.status, order.resume_status)?;
    Ok(order)
}

/// The request and its order (locked), when the caller may take `action` on the order; a
/// request of an order the caller cannot see is `NOT_FOUND`.
async fn lock_request(
    txn: &DatabaseTransaction,
    env: &Env<'_>,
    id: i64,
    action: RepairAction,
) -> ApiResult<(parts_requests::Model, repair_orders::Model)> {
    env.actor.role().ok_or(ApiError::Unauthenticated)?;
    let missing = ApiError::NotFound("parts request");
    let Some(found) = store::parts_requests::find(txn, id).await? else {
        return Err(missing);
    };
    let order = lock_order(txn, env, found.repair_order_id, action)
        .await
        .map_err(|err| match err {
            ApiError::NotFound(_) => ApiError::NotFound("parts request"),
            other => other,
        })?;
    // Read again under the order's lock: a concurrent step may have moved it.
    let request = store::parts_requests::find(txn, id)
        .await?
        .ok_or(ApiError::NotFound("parts request"))?;
    Ok((request, order))
}

fn describe(parts: &[Part]) -> String {
    let listed: Vec<_> = parts
        .iter()
        .map(|p| (p.code.as_str(), p.name.as_str(), p.quantity, p.urgency))
        .collect();
    describe_parts(&listed)
}

fn describe_items(items: &[parts_request_items::Model]) -> String {
    let listed: Vec<_> = items
        .iter()
        .map(|p| {
            (
                p.part_code.as_str(),
                p.part_name.as_str(),
                p.quantity,
                p.urgency,
            )
        })
        .collect();
    describe_parts(&listed)
}

/// `FAN-12 Condenser fan × 2 (HIGH); …`
fn describe_parts(parts: &[(&str, &str, i32, Priority)]) -> String {
    parts
        .iter()
        .map(|(code, name, quantity, urgency)| {
            format!("{code} {name} × {quantity} ({})", urgency.to_value())
        })
        .collect::<Vec<_>>()
        .join("; ")
}
