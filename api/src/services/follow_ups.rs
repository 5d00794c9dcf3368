//! R-CMP-7: a new need the customer raises during a return visit opens a follow-up case (a
//! repair order or a complaint) linked to the ticket the visit followed up, in one transaction:
//! the case is created by the same functions as any report or complaint (its clocks, its
//! number, its first timeline entry), the link is written, and both tickets say so on their
//! timelines (public entries, so the customer reads them on both).

use entity::complaints::{self, ComplaintCategory, ComplaintChannel, Severity};
use entity::follow_up_cases;
use entity::repair_orders::{self, RequestType};
use entity::ticket_events::TicketKind;
use entity::users::Role;
use sea_orm::DatabaseTransaction;

use super::complaints::{ComplaintDetails, NewComplaint};
use super::repair_orders::{ReportFault, report_in};
use super::{Env, Ticket, required_text};
use crate::domain::identity::{Principal, UserPrincipal};
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::store::{self, events::NewEvent};

/// The new need.
pub struct NewFollowUp {
    pub kind: TicketKind,
    pub description: String,
    /// Complaints: the category (required) and the severity the agent sees.
    pub category: Option<ComplaintCategory>,
    pub severity: Option<Severity>,
    /// Repair orders: the product, the address and the phone; by default those of the
    /// original repair order (or of the complaint's order).
    pub asset_id: Option<i64>,
    pub service_address: Option<String>,
    pub contact_phone: Option<String>,
}

/// What was opened.
pub struct Opened {
    pub link: follow_up_cases::Model,
    pub repair_order: Option<repair_orders::Model>,
    pub complaint: Option<complaints::Model>,
}

/// Opens the follow-up case of a return visit (agents and supervisors of the visit's centre).
pub async fn open(env: &Env<'_>, visit_id: i64, new: NewFollowUp) -> ApiResult<Opened> {
    env.actor.require(&[Role::Agent, Role::Supervisor])?;
    let staff = env.actor.user()?.id;
    let txn = store::begin_write(env.db).await?;
    let visit = super::return_visits::visit_of_centre(&txn, env, visit_id).await?;
    let original = Ticket::from(&visit);
    let (original_number, original_order_id) = super::number_and_order(&txn, &original).await?;
    let original_order = match original_order_id {
        Some(id) => store::repair_orders::find(&txn, id).await?,
        None => None,
    };
    // R-PRV-9: a sealed ticket takes no new timeline entry, so no follow-up either.
    let closed_at = match original.kind {
        TicketKind::RepairOrder => original_order.as_ref().and_then(|o| o.closed_at),
        TicketKind::Complaint => store::complaints::find(&txn, original.id)
            .await?
            .and_then(|c| c.closed_at),
        TicketKind::ReturnVisit | TicketKind::Inquiry => None,
    };
    super::ensure_unsealed(env, "ticket", closed_at)?;
    let (repair_order, complaint, follow_up) = match new.kind {
        TicketKind::RepairOrder => {
            let order =
                open_repair_order(&txn, env, &original, original_order.as_ref(), new).await?;
            let key = (TicketKind::RepairOrder, order.id);
            (Some(order), None, key)
        }
        TicketKind::Complaint => {
            let mut errors = FieldErrors::default();
            let category = errors.check(new.category.ok_or_else(|| {
                ApiError::bad_input("category", "a complaint needs its category")
            }))?;
            let description = errors.check(required_text("description", &new.description, 4000))?;
            let (category, description) = errors.values(category.zip(description))?;
            let complaint = super::complaints::insert(
                &txn,
                env,
                NewComplaint {
                    customer_id: original.customer_id,
                    organization_id: original.organization_id,
                    repair_order_id: original_order_id,
                    service_centre_id: original.service_centre_id,
                    channel: ComplaintChannel::ReturnVisit,
                    category,
                    severity: new.severity,
                    description,
                    reference: None,
                    details: ComplaintDetails::default(),
                },
            )
            .await?;
            let key = (TicketKind::Complaint, complaint.id);
            (None, Some(complaint), key)
        }
        TicketKind::ReturnVisit | TicketKind::Inquiry => {
            return Err(ApiError::bad_input(
                "kind",
                "a follow-up case is a REPAIR_ORDER or a COMPLAINT",
            ));
        }
    };
    let follow_up_number = repair_order
        .as_ref()
        .map(|o| o.number.clone())
        .or_else(|| complaint.as_ref().map(|c| c.number.clone()))
        .unwrap_or_default();
    let link = store::follow_ups::insert(
        &txn,
        visit.id,
        (original.kind, original.id),
        follow_up,
        staff,
        env.now,
    )
    .await?;
    event(
        &txn,
        env,
        (original.kind, original.id),
        format!("follow-up case {follow_up_number} opened on a return visit"),
    )
    .await?;
    event(
        &txn,
        env,
        follow_up,
        format!("follow-up of {original_number}, raised on its return visit"),
    )
    .await?;
    txn.commit().await?;
    Ok(Opened {
        link,
        repair_order,
        complaint,
    })
}

/// The follow-up repair order: reported by the agent for the customer by phone (the visit is
/// the call), on the original order's product unless another is named.
async fn open_repair_order(
    txn: &DatabaseTransaction,
    env: &Env<'_>,
    original: &Ticket,
    original_order: Option<&repair_orders::Model>,
    new: NewFollowUp,
) -> ApiResult<repair_orders::Model> {
    let customer = store::users::find(txn, original.customer_id)
        .await?
        .ok_or(ApiError::NotFound("customer"))?;
    let customer = UserPrincipal::from(&customer);
    let asset_id = new
        .asset_id
        .or(original_order.map(|o| o.asset_id))
        .ok_or_else(|| ApiError::bad_input("assetId", "name the product the need is about"))?;
    let address = new
        .service_address
        .or(original_order.map(|o| o.service_address.clone()))
        .unwrap_or_default();
    let phone = new
        .contact_phone
        .or(original_order.map(|o| o.contact_phone.clone()))
        .unwrap_or_default();
    // The follow-up is handled by the visit's centre, as its agent reports it.
    let actor = match env.actor {
        Principal::User(user) => Principal::User(UserPrincipal {
            service_centre_id: Some(original.service_centre_id),
            ..user.clone()
        }),
        other => other.clone(),
    };
    let env = Env {
        actor: &actor,
        ..*env
    };
    report_in(
        txn,
        &env,
        &customer,
        ReportFault {
            customer_id: Some(customer.id),
            asset_id,
            service_centre_id: None,
            request_type: RequestType::Repair,
            fault_description: Some(new.description),
            service_address: address,
            contact_phone: phone,
            priority: None,
            channel: None,
            external_reference: None,
        },
        None,
    )
    .await
}

async fn event(
    txn: &DatabaseTransaction,
    env: &Env<'_>,
    (kind, ticket_id): (TicketKind, i64),
    note: String,
) -> ApiResult<()> {
    store::events::append(
        txn,
        NewEvent {
            kind,
            ticket_id,
            actor: env.actor,
            action: "FOLLOW_UP_OPENED",
            from_status: None,
            to_status: None,
            note: Some(note),
            public: true,
        },
        env.now,
    )
    .await
}
