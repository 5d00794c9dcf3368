//! Bulk exports of personal data (R-PRV-12, R-PRV-3): requested by staff, approved by another
//! supervisor of the centre, produced by `jobs::exports`, downloaded once by the requester
//! before it expires. Every step is in the audit log.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use entity::exports;
use entity::users::Role;

use super::Env;
use crate::domain::privacy;
use crate::error::{ApiError, ApiResult};
use crate::store;
use crate::store::audit::{Access, Actor};

/// The only export kind so far: the centre's repair orders with their customers' contacts.
pub const REPAIR_ORDERS: &str = "REPAIR_ORDERS";

/// Who may ask for, and approve, exports.
const STAFF: &[Role] = &[Role::Agent, Role::Supervisor];

async fn audit(
    txn: &sea_orm::DatabaseTransaction,
    env: &Env<'_>,
    address: IpAddr,
    action: &'static str,
    export: &exports::Model,
) -> ApiResult<()> {
    store::audit::write(
        txn,
        &Access {
            occurred_at: env.now,
            actor: Actor::of(env.actor, address),
            action,
            subject_kind: "EXPORT",
            subject_id: Some(export.id),
            operation: Some(export.kind.clone()),
            fields: Vec::new(),
            row_count: export.row_count,
            users: Vec::new(),
            detail: None,
        },
    )
    .await
}

/// Staff ask for an export of their centre's orders reported in `[from, to)`.
pub async fn request(
    env: &Env<'_>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    address: IpAddr,
) -> ApiResult<exports::Model> {
    env.actor.require(STAFF)?;
    let requester = env.actor.user()?.id;
    let centre = env.actor.centre()?;
    if let (Some(from), Some(to)) = (from, to)
        && from >= to
    {
        return Err(ApiError::bad_input(
            "filter",
            "reportedFrom must be before reportedTo",
        ));
    }
    let txn = store::begin_write(env.db).await?;
    let export = store::exports::insert(
        &txn,
        store::exports::NewExport {
            kind: REPAIR_ORDERS,
            service_centre_id: centre,
            reported_from: from,
            reported_to: to,
            requested_by: requester,
        },
        env.now,
    )
    .await?;
    audit(&txn, env, address, "export.requested", &export).await?;
    txn.commit().await?;
    Ok(export)
}

/// The export as its centre's staff see it; `NOT_FOUND` for others.
pub async fn get(env: &Env<'_>, id: i64) -> ApiResult<exports::Model> {
    env.actor.require(STAFF)?;
    let centre = env.actor.centre()?;
    store::exports::find(env.db, id)
        .await?
        .filter(|export| export.service_centre_id == centre)
        .ok_or(ApiError::NotFound("export"))
}

/// A supervisor of the centre other than the requester approves (`FORBIDDEN` for the
/// requester and for agents); an export approved already is `INVALID_TRANSITION`.
pub async fn approve(env: &Env<'_>, id: i64, address: IpAddr) -> ApiResult<exports::Model> {
    let export = get(env, id).await?;
    env.actor.require(&[Role::Supervisor])?;
    let approver = env.actor.user()?.id;
    privacy::check_approver(export.requested_by, approver)?;
    let txn = store::begin_write(env.db).await?;
    if !store::exports::approve(&txn, id, approver, env.now).await? {
        return Err(ApiError::InvalidTransition {
            action: "approve the export",
            current: "APPROVED".into(),
        });
    }
    audit(&txn, env, address, "export.approved", &export).await?;
    txn.commit().await?;
    store::exports::find(env.db, id)
        .await?
        .ok_or(ApiError::NotFound("export"))
}

/// The requester downloads the file once, before it expires: the CSV. Anyone else:
/// `NOT_FOUND`; not produced yet, downloaded or expired: `INVALID_TRANSITION`.
pub async fn download(env: &Env<'_>, id: i64, address: IpAddr) -> ApiResult<String> {
    let export = get(env, id).await?.clone();
    if export.requested_by != env.actor.user()?.id {
        return Err(ApiError::NotFound("export"));
    }
    let status = privacy::export_status(
        export.approved_at.is_some(),
        export.expires_at,
        export.downloaded_at.is_some(),
        env.now,
    );
    let refused = || ApiError::InvalidTransition {
        action: "download the export",
        current: format!("{status:?}").to_uppercase(),
    };
    if status != privacy::ExportStatus::Ready {
        return Err(refused());
    }
    let txn = store::begin_write(env.db).await?;
    let content = store::exports::take(&txn, &export, env.now)
        .await?
        .ok_or_else(refused)?;
    audit(&txn, env, address, "export.downloaded", &export).await?;
    txn.commit().await?;
    Ok(content)
}
