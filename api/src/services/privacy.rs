//! Privacy use cases: revealing one masked value (R-PRV-2/8), with its audit entry committed
//! before the value leaves; retention periods and legal holds (R-PRV-6), audited with their
//! old and new values (R-PRV-11); consents to disclosure to partners (R-PRV-12).

use std::net::IpAddr;

use entity::disclosure_consents::{self, ConsentChannel, DisclosureBasis};
use entity::ticket_events::TicketKind;
use entity::users::{self, Role};
use entity::{legal_holds, retention_policies};
use sea_orm::ActiveEnum;

use super::Env;
use crate::domain::privacy;
use crate::domain::repair;
use crate::error::{ApiError, ApiResult};
use crate::store;
use crate::store::audit::{Access, Actor};

/// A contact field of a repair order that lists mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContactField {
    ServiceAddress,
    ContactPhone,
    CustomerPhone,
}

impl ContactField {
    fn name(self) -> &'static str {
        match self {
            Self::ServiceAddress => "serviceAddress",
            Self::ContactPhone => "contactPhone",
            Self::CustomerPhone => "customer.phone",
        }
    }
}

/// The unmasked `field` of order `id` for the centre's agents (while the order is worked on)
/// and supervisors; `NOT_FOUND` for an order the caller cannot see, `FORBIDDEN` for others.
/// The reveal is in the audit log before the value is returned.
pub async fn reveal_contact(
    env: &Env<'_>,
    id: i64,
    field: ContactField,
    address: IpAddr,
) -> ApiResult<Option<String>> {
    let order = super::repair_orders::get(env, id).await?;
    if !privacy::may_reveal(env.actor, repair::is_finished(order.status)) {
        return Err(ApiError::Forbidden);
    }
    let value = match field {
        ContactField::ServiceAddress => Some(order.service_address.clone()),
        ContactField::ContactPhone => Some(order.contact_phone.clone()),
        ContactField::CustomerPhone => store::users::get(env.db, order.customer_id).await?.phone,
    };
    let txn = store::begin_write(env.db).await?;
    store::audit::write(
        &txn,
        &Access {
            occurred_at: env.now,
            actor: Actor::of(env.actor, address),
            action: "contact.reveal",
            subject_kind: "REPAIR_ORDER",
            subject_id: Some(order.id),
            operation: Some("revealContact".to_owned()),
            fields: vec![field.name()],
            row_count: Some(1),
            users: vec![order.customer_id],
            detail: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(value)
}

/// The audit log's record of a change made in `txn`, with its details (old and new values).
async fn audit_change(
    txn: &sea_orm::DatabaseTransaction,
    env: &Env<'_>,
    address: IpAddr,
    action: &'static str,
    (subject_kind, subject_id): (&'static str, Option<i64>),
    detail: serde_json::Value,
) -> ApiResult<()> {
    store::audit::write(
        txn,
        &Access {
            occurred_at: env.now,
            actor: Actor::of(env.actor, address),
            action,
            subject_kind,
            subject_id,
            operation: None,
            fields: Vec::new(),
            row_count: None,
            users: Vec::new(),
            detail: Some(detail),
        },
    )
    .await
}

/// Admins set how long a kind of ticket keeps its personal data after closing (R-PRV-6): at
/// least the seal period; return visits have none of their own (`BAD_USER_INPUT`). The change
/// is audited with the old and new period (R-PRV-11).
pub async fn set_retention_policy(
    env: &Env<'_>,
    kind: TicketKind,
    days: i32,
    address: IpAddr,
) -> ApiResult<retention_policies::Model> {
    env.actor.require(&[Role::Admin])?;
    if kind == TicketKind::ReturnVisit {
        return Err(ApiError::bad_input(
            "kind",
            "return visits follow the ticket they visit",
        ));
    }
    privacy::check_retention_days(days, env.settings.seal_after)?;
    let txn = store::begin_write(env.db).await?;
    let (old, policy) = store::retention::set_policy(&txn, kind, days, env.now).await?;
    audit_change(
        &txn,
        env,
        address,
        "retention_policy.changed",
        ("RETENTION_POLICY", None),
        serde_json::json!({
            "kind": crate::jobs::retention::subject_kind(kind),
            "old": { "retentionDays": old },
            "new": { "retentionDays": days },
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(policy)
}

/// The ticket `kind`/`id` as the caller may see it: its closing time (`NOT_FOUND` when unseen).
async fn visible_ticket(env: &Env<'_>, kind: TicketKind, id: i64) -> ApiResult<()> {
    match kind {
        TicketKind::RepairOrder => super::repair_orders::get(env, id).await.map(|_| ()),
        TicketKind::Complaint => super::complaints::get(env, id).await.map(|_| ()),
        TicketKind::Inquiry => super::inquiries::get(env, id).await.map(|_| ()),
        TicketKind::ReturnVisit => Err(ApiError::NotFound("ticket")),
    }
}

/// Supervisors put a ticket of their centre under legal hold (a dispute, a police case): the
/// retention job keeps its personal data until the hold is released (R-PRV-6). Sealed tickets
/// may be held. Audited.
pub async fn place_legal_hold(
    env: &Env<'_>,
    kind: TicketKind,
    id: i64,
    reason: &str,
    address: IpAddr,
) -> ApiResult<legal_holds::Model> {
    let supervisor = env.actor.user()?.id;
    env.actor.require(&[Role::Supervisor])?;
    visible_ticket(env, kind, id).await?;
    let reason = super::required_text("reason", reason, 2000)?;
    let txn = store::begin_write(env.db).await?;
    let hold =
        store::retention::place_hold(&txn, kind, id, reason.clone(), supervisor, env.now).await?;
    let subject = (crate::jobs::retention::subject_kind(kind), Some(id));
    let detail = serde_json::json!({ "reason": reason });
    audit_change(&txn, env, address, "legal_hold.placed", subject, detail).await?;
    txn.commit().await?;
    Ok(hold)
}

/// Releases the ticket's holds in force; `NOT_FOUND` when it has none. Audited.
pub async fn release_legal_hold(
    env: &Env<'_>,
    kind: TicketKind,
    id: i64,
    address: IpAddr,
) -> ApiResult<u64> {
    let supervisor = env.actor.user()?.id;
    env.actor.require(&[Role::Supervisor])?;
    visible_ticket(env, kind, id).await?;
    let txn = store::begin_write(env.db).await?;
    let released = store::retention::release_holds(&txn, kind, id, supervisor, env.now).await?;
    if released == 0 {
        return Err(ApiError::NotFound("legal hold"));
    }
    let subject = (crate::jobs::retention::subject_kind(kind), Some(id));
    let detail = serde_json::json!({ "released": released });
    audit_change(&txn, env, address, "legal_hold.released", subject, detail).await?;
    txn.commit().await?;
    Ok(released)
}

/// What `record_consent` is asked to record.
pub struct ConsentRequest {
    /// Staff name the customer; a customer records their own (`None`).
    pub customer_id: Option<i64>,
    /// The partner organization; by default the customer's own.
    pub organization_id: Option<i64>,
    pub basis: DisclosureBasis,
    pub channel: ConsentChannel,
    pub reference: Option<String>,
}

/// The customer a consent is about: the caller, or one in the staff member's scope
/// (`NOT_FOUND` otherwise).
async fn consenting_customer(env: &Env<'_>, asked: Option<i64>) -> ApiResult<users::Model> {
    let me = env.actor.user()?;
    if me.role == Role::Customer {
        if asked.is_some_and(|asked| asked != me.id) {
            return Err(ApiError::NotFound("customer"));
        }
        return store::users::get(env.db, me.id).await;
    }
    let Some(id) = asked else {
        return Err(ApiError::bad_input("customerId", "name the customer"));
    };
    let customer = store::users::get(env.db, id)
        .await
        .map_err(|err| match err {
            ApiError::NotFound(_) => ApiError::NotFound("customer"),
            other => other,
        })?;
    if !super::accounts::in_scope(env.actor, &customer) {
        return Err(ApiError::NotFound("customer"));
    }
    Ok(customer)
}

/// R-PRV-12: records a customer's written consent (or a supervisor's legal basis) for their
/// personal data to go to a partner organization (`domain::privacy::check_disclosure_record`
/// says who and how). One record in force per customer and organization (`CONFLICT`).
/// Audited.
pub async fn record_consent(
    env: &Env<'_>,
    request: ConsentRequest,
    address: IpAddr,
) -> ApiResult<disclosure_consents::Model> {
    let role = env
        .actor
        .require(&[Role::Customer, Role::Agent, Role::Supervisor])?;
    let reference = request
        .reference
        .as_deref()
        .map(|text| super::required_text("reference", text, 200))
        .transpose()?;
    privacy::check_disclosure_record(role, request.basis, request.channel, reference.as_deref())?;
    let customer = consenting_customer(env, request.customer_id).await?;
    let organization = request
        .organization_id
        .or(customer.organization_id)
        .ok_or_else(|| {
            ApiError::bad_input("organizationId", "the customer has no partner organization")
        })?;
    store::directory::get_organization(env.db, organization)
        .await
        .map_err(|err| err.missing_as_bad_input("organizationId", "no such organization"))?;
    let txn = store::begin_write(env.db).await?;
    if !store::consents::in_force(&txn, &[(customer.id, organization)])
        .await?
        .is_empty()
    {
        return Err(ApiError::Conflict(
            "a consent for this organization is in force already".into(),
        ));
    }
    let consent = store::consents::insert(
        &txn,
        store::consents::NewConsent {
            customer_id: customer.id,
            organization_id: organization,
            basis: request.basis,
            channel: request.channel,
            reference,
            recorded_by: env.actor.user()?.id,
        },
        env.now,
    )
    .await?;
    let detail = serde_json::json!({
        "new": { "organization": organization, "basis": request.basis.to_value(),
                 "channel": request.channel.to_value(), "reference": consent.reference },
    });
    audit_change(
        &txn,
        env,
        address,
        "consent.recorded",
        ("USER", Some(customer.id)),
        detail,
    )
    .await?;
    txn.commit().await?;
    Ok(consent)
}

/// Withdraws a consent: the customer their own, staff one of a customer in their scope
/// (`NOT_FOUND` otherwise); `INVALID_TRANSITION` when withdrawn already. From now on the
/// partner sees that customer's data masked. Audited.
pub async fn withdraw_consent(
    env: &Env<'_>,
    id: i64,
    address: IpAddr,
) -> ApiResult<disclosure_consents::Model> {
    env.actor
        .require(&[Role::Customer, Role::Agent, Role::Supervisor])?;
    let consent = store::consents::get(env.db, id).await?;
    consenting_customer(env, Some(consent.customer_id)).await?;
    let txn = store::begin_write(env.db).await?;
    if !store::consents::withdraw(&txn, id, env.actor.user()?.id, env.now).await? {
        return Err(ApiError::InvalidTransition {
            action: "withdraw",
            current: "WITHDRAWN".into(),
        });
    }
    let detail = serde_json::json!({ "organization": consent.organization_id, "consent": id });
    let subject = ("USER", Some(consent.customer_id));
    audit_change(&txn, env, address, "consent.withdrawn", subject, detail).await?;
    let consent = store::consents::get(&txn, id).await?;
    txn.commit().await?;
    Ok(consent)
}

/// A customer's consents, newest first: the customer's own, or (staff) one in their scope.
pub async fn consents(
    env: &Env<'_>,
    customer_id: Option<i64>,
) -> ApiResult<Vec<disclosure_consents::Model>> {
    env.actor
        .require(&[Role::Customer, Role::Agent, Role::Supervisor])?;
    let customer = consenting_customer(env, customer_id).await?;
    store::consents::of_customer(env.db, customer.id).await
}
