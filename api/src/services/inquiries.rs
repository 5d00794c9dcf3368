//! Inquiries (R-SLA-11): asked from every channel, answered on the spot or passed at once to
//! the person in charge with a reply clock (30 minutes, or the time the agent promised),
//! answered, or converted into a repair order or complaint when they turn out to be one. Each
//! use case is one transaction: the inquiry, its timeline entry, its clock and, for a
//! conversion, the new ticket with its own entries and clocks.

use chrono::{DateTime, Utc};
use entity::complaints::{ComplaintCategory, ComplaintChannel, Severity};
use entity::inquiries::{self, InquiryChannel, InquiryStatus};
use entity::repair_orders::{Priority, RepairChannel, RequestType};
use entity::sla_policies::SlaMetric;
use entity::ticket_events::TicketKind;
use entity::users::Role;
use sea_orm::{ActiveEnum, DatabaseTransaction, Set};

use super::assets::acting_for_customer;
use super::sla::{self as clocks, ClockTicket};
use super::{Env, required_text};
use crate::domain::identity::Principal;
use crate::domain::inquiry::{self, InquiryAction, InquiryParties};
use crate::domain::sla::transitions;
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::store::{self, events::NewEvent};

/// Longest question or answer.
const MAX_TEXT: usize = 4000;

pub struct AskInquiry {
    pub customer_id: Option<i64>,
    pub service_centre_id: Option<i64>,
    pub channel: Option<InquiryChannel>,
    pub question: String,
    /// Staff who answer at once: the inquiry closes on the spot, with no clock.
    pub answer: Option<String>,
}

/// R-SLA-11: records a question from any channel: customers (app) for themselves, agents and
/// supervisors for their centre's customers, partners for their organization's. Answered on
/// the spot (staff only) it is ANSWERED at once and runs no clock; otherwise it is OPEN and its
/// reply clock starts.
pub async fn ask(env: &Env<'_>, input: AskInquiry) -> ApiResult<inquiries::Model> {
    let customer = acting_for_customer(env, input.customer_id).await?;
    let role = env.actor.role();
    let staff = matches!(role, Some(Role::Agent | Role::Supervisor));
    let mut errors = FieldErrors::default();
    let channel = errors.check(
        inquiry::channel_for(role, input.channel)
            .map_err(|(field, message)| ApiError::bad_input(field, message)),
    )?;
    let question = errors.check(required_text("question", &input.question, MAX_TEXT))?;
    let answer = errors.check(match input.answer {
        Some(_) if !staff => Err(ApiError::bad_input(
            "answer",
            "only an agent or supervisor answers on the spot",
        )),
        Some(text) => required_text("answer", &text, MAX_TEXT).map(Some),
        None => Ok(None),
    })?;
    let (channel, question, answer) = {
        let ((channel, question), answer) = errors.values(channel.zip(question).zip(answer))?;
        (channel, question, answer)
    };
    let centre_id = match env.actor {
        Principal::User(user) if staff => user.service_centre_id,
        _ => crate::domain::identity::own_centre(
            input.service_centre_id,
            customer.service_centre_id,
        )?,
    }
    .ok_or_else(|| ApiError::bad_input("serviceCentreId", "choose the service centre"))?;
    store::directory::get_service_centre(env.db, centre_id)
        .await
        .map_err(|err| err.missing_as_bad_input("serviceCentreId", "no such service centre"))?;
    let answered_by = match (env.actor, &answer) {
        (Principal::User(user), Some(_)) => Some(user.id),
        _ => None,
    };
    let status = if answer.is_some() {
        InquiryStatus::Answered
    } else {
        InquiryStatus::Open
    };
    let txn = store::begin_write(env.db).await?;
    let row = inquiries::ActiveModel {
        customer_id: Set(customer.id),
        service_centre_id: Set(centre_id),
        organization_id: Set(customer.organization_id),
        channel: Set(channel),
        question: Set(question),
        answer: Set(answer.clone()),
        status: Set(status),
        handler_id: Set(None),
        passed_at: Set(None),
        promised_reply_at: Set(None),
        answered_at: Set(answer.as_ref().map(|_| env.now)),
        answered_by: Set(answered_by),
        converted_kind: Set(None),
        converted_id: Set(None),
        converted_at: Set(None),
        escalation_level: Set(1),
        version: Set(1),
        created_at: Set(env.now),
        updated_at: Set(env.now),
        ..Default::default()
    };
    let created = store::inquiries::insert(&txn, row, env.now).await?;
    let note = format!("asked via {}", channel.to_value());
    append(
        &txn,
        env,
        created.id,
        "ASKED",
        None,
        Some(InquiryStatus::Open),
        note,
    )
    .await?;
    if let Some(answer) = answer {
        // Answered on the spot: nothing is owed, so no clock runs.
        append(
            &txn,
            env,
            created.id,
            "ANSWERED",
            Some(InquiryStatus::Open),
            Some(InquiryStatus::Answered),
            answer,
        )
        .await?;
    } else {
        let ticket = ClockTicket::from(&created);
        let policies = store::sla_policies::of_kind(&txn, TicketKind::Inquiry).await?;
        let metrics = (transitions::on_creation(TicketKind::Inquiry), &[][..]);
        clocks::start_new(&txn, env.actor, &ticket, policies, metrics, env.now).await?;
    }
    txn.commit().await?;
    Ok(created)
}

async fn append(
    txn: &DatabaseTransaction,
    env: &Env<'_>,
    id: i64,
    action: &'static str,
    from: Option<InquiryStatus>,
    to: Option<InquiryStatus>,
    note: String,
) -> ApiResult<()> {
    store::events::append(
        txn,
        NewEvent {
            kind: TicketKind::Inquiry,
            ticket_id: id,
            actor: env.actor,
            action,
            from_status: from.map(inquiry::status_name),
            to_status: to.map(inquiry::status_name),
            note: Some(note),
            public: true,
        },
        env.now,
    )
    .await
}

/// One inquiry, if the caller may see it (`NOT_FOUND` otherwise).
pub async fn get(env: &Env<'_>, id: i64) -> ApiResult<inquiries::Model> {
    env.actor.role().ok_or(ApiError::Unauthenticated)?;
    store::inquiries::find(env.db, id)
        .await?
        .filter(|i| inquiry::can_view(env.actor, &InquiryParties::from(i)))
        .ok_or(ApiError::NotFound("inquiry"))
}

/// The inquiry a repair order or complaint came from, if the caller may see it.
pub async fn converted_into(
    env: &Env<'_>,
    kind: TicketKind,
    id: i64,
) -> ApiResult<Option<inquiries::Model>> {
    Ok(store::inquiries::converted_into(env.db, kind, id)
        .await?
        .filter(|i| inquiry::can_view(env.actor, &InquiryParties::from(i))))
}

/// A change of one inquiry in progress: its row held, the caller authorized, the next status
/// decided.
struct Step {
    txn: DatabaseTransaction,
    inquiry: inquiries::Model,
    to: InquiryStatus,
    action: InquiryAction,
}

impl Step {
    async fn begin(env: &Env<'_>, id: i64, action: InquiryAction) -> ApiResult<Self> {
        env.actor.role().ok_or(ApiError::Unauthenticated)?;
        let txn = store::begin_write(env.db).await?;
        let inquiry = store::inquiries::find_for_update(&txn, id)
            .await?
            .ok_or(ApiError::NotFound("inquiry"))?;
        inquiry::authorize(env.actor, action, &InquiryParties::from(&inquiry))?;
        super::ensure_unsealed(env, "inquiry", inquiry::closed_at(&inquiry))?;
        let to = inquiry::next_status(action, inquiry.status)?;
        Ok(Self {
            txn,
            inquiry,
            to,
            action,
        })
    }

    /// Writes the change with its timeline entry and what it does to the reply clock.
    async fn finish(
        self,
        env: &Env<'_>,
        mut changes: inquiries::ActiveModel,
        note: String,
    ) -> ApiResult<(DatabaseTransaction, inquiries::Model)> {
        changes.status = Set(self.to);
        let updated = store::versioned::update::<inquiries::Entity>(
            &self.txn,
            self.inquiry.id,
            self.inquiry.version,
            changes,
            env.now,
        )
        .await?;
        append(
            &self.txn,
            env,
            updated.id,
            self.action.name(),
            Some(self.inquiry.status),
            Some(self.to),
            note,
        )
        .await?;
        let ticket = ClockTicket::from(&updated);
        clocks::transition(&self.txn, env.actor, &ticket, self.action.clocks(), env.now).await?;
        Ok((self.txn, updated))
    }
}

/// R-SLA-11: passes the inquiry at once to the person in charge (an active agent, supervisor
/// or technician of its centre), who now holds its reply clock. A promised reply time (at
/// least a minute, at most a week ahead) replaces the clock's limit.
pub async fn pass(
    env: &Env<'_>,
    id: i64,
    handler_id: i64,
    promised_reply_at: Option<DateTime<Utc>>,
) -> ApiResult<inquiries::Model> {
    let step = Step::begin(env, id, InquiryAction::Pass).await?;
    let mut errors = FieldErrors::default();
    let handler = errors.check(
        store::users::find(&step.txn, handler_id)
            .await?
            .filter(|u| {
                u.active
                    && matches!(u.role, Role::Agent | Role::Supervisor | Role::Technician)
                    && u.service_centre_id == Some(step.inquiry.service_centre_id)
            })
            .ok_or_else(|| ApiError::bad_input("handlerId", "no such staff member in this centre")),
    )?;
    let promised = errors.check(
        promised_reply_at
            .map(|at| inquiry::check_promise(at, env.now))
            .transpose()
            .map_err(|(field, message)| ApiError::bad_input(field, message)),
    )?;
    let (handler, promised) = errors.values(handler.zip(promised))?;
    let note = match promised {
        Some(at) => format!(
            "passed to the person in charge; reply promised by {}",
            at.to_rfc3339()
        ),
        None => "passed to the person in charge".to_owned(),
    };
    let changes = inquiries::ActiveModel {
        handler_id: Set(Some(handler.id)),
        passed_at: Set(Some(env.now)),
        promised_reply_at: Set(promised.or(step.inquiry.promised_reply_at)),
        ..Default::default()
    };
    let (txn, updated) = step.finish(env, changes, note).await?;
    if let Some(at) = promised {
        let ticket = ClockTicket::from(&updated);
        clocks::promise(&txn, env.actor, &ticket, SlaMetric::Reply, at, env.now).await?;
    }
    txn.commit().await?;
    Ok(updated)
}

/// R-SLA-11: the customer's reply; meets the reply clock (late when past its due time, which
/// is a breach of whoever held it). The customer and the partner see the answer.
pub async fn answer(env: &Env<'_>, id: i64, answer: String) -> ApiResult<inquiries::Model> {
    let step = Step::begin(env, id, InquiryAction::Answer).await?;
    let answer = required_text("answer", &answer, MAX_TEXT)?;
    let changes = inquiries::ActiveModel {
        answer: Set(Some(answer.clone())),
        answered_at: Set(Some(env.now)),
        answered_by: Set(env.actor.user().ok().map(|u| u.id)),
        ..Default::default()
    };
    let (txn, updated) = step.finish(env, changes, answer).await?;
    txn.commit().await?;
    Ok(updated)
}

/// What an inquiry becomes.
pub enum Conversion {
    /// A complaint: its category, severity (staff classify, R-CLS-1..3), channel when the
    /// inquiry's has no complaint equivalent, and text (the question when omitted).
    Complaint {
        category: ComplaintCategory,
        severity: Option<Severity>,
        channel: Option<ComplaintChannel>,
        description: Option<String>,
    },
    /// A repair order for one of the customer's products.
    RepairOrder {
        asset_id: i64,
        request_type: RequestType,
        priority: Option<Priority>,
        service_address: String,
        contact_phone: String,
        fault_description: Option<String>,
    },
}

/// How a complaint raised from an inquiry came in: the same channel, where complaints have it.
fn complaint_channel(channel: InquiryChannel) -> Option<ComplaintChannel> {
    match channel {
        InquiryChannel::App => Some(ComplaintChannel::App),
        InquiryChannel::Phone => Some(ComplaintChannel::Phone),
        InquiryChannel::Sms => Some(ComplaintChannel::Sms),
        InquiryChannel::Chat => Some(ComplaintChannel::Chat),
        InquiryChannel::Email => Some(ComplaintChannel::Email),
        InquiryChannel::WalkIn => Some(ComplaintChannel::WalkIn),
        InquiryChannel::Partner => None,
    }
}

/// A repair order raised from an inquiry is reported by the converting agent, who speaks with
/// the customer: in person for a walk-in, else by phone (so its contact clock is met, R-SLA-6).
fn repair_channel(channel: InquiryChannel) -> RepairChannel {
    match channel {
        InquiryChannel::WalkIn => RepairChannel::WalkIn,
        _ => RepairChannel::Phone,
    }
}

/// R-SLA-11: the inquiry turned out to be a fault or a complaint. In one transaction the
/// repair order or complaint is raised through its own use case's rules (checks, timeline,
/// clocks), both are linked (the inquiry names it; its timeline names the inquiry), the
/// inquiry ends CONVERTED and its reply clock stops. Agents and supervisors of its centre.
pub async fn convert(
    env: &Env<'_>,
    id: i64,
    into: ApiResult<Conversion>,
) -> ApiResult<(inquiries::Model, TicketKind, i64)> {
    let step = Step::begin(env, id, InquiryAction::Convert).await?;
    let into = into?;
    let source = step.inquiry.clone();
    let customer = store::users::find(&step.txn, source.customer_id)
        .await?
        .ok_or(ApiError::NotFound("customer"))?;
    let (kind, ticket_id, number) = match into {
        Conversion::Complaint {
            category,
            severity,
            channel,
            description,
        } => {
            let channel = match (channel, complaint_channel(source.channel)) {
                (Some(ComplaintChannel::App), _) => Err(ApiError::bad_input(
                    "channel",
                    "staff say how the customer complained",
                )),
                (Some(channel), _) | (None, Some(channel)) => Ok(channel),
                (None, None) => Err(ApiError::bad_input(
                    "channel",
                    "say how the customer complained",
                )),
            };
            let mut errors = FieldErrors::default();
            let channel = errors.check(channel)?;
            let description = errors.check(
                description
                    .map(|text| required_text("description", &text, MAX_TEXT))
                    .unwrap_or_else(|| Ok(source.question.clone())),
            )?;
            let (channel, description) = errors.values(channel.zip(description))?;
            let created = super::complaints::insert(
                &step.txn,
                env,
                super::complaints::NewComplaint {
                    customer_id: source.customer_id,
                    organization_id: source.organization_id,
                    repair_order_id: None,
                    service_centre_id: source.service_centre_id,
                    channel,
                    category,
                    severity,
                    description,
                    reference: None,
                    details: Default::default(),
                },
            )
            .await?;
            (TicketKind::Complaint, created.id, created.number)
        }
        Conversion::RepairOrder {
            asset_id,
            request_type,
            priority,
            service_address,
            contact_phone,
            fault_description,
        } => {
            let customer = crate::domain::identity::UserPrincipal::from(&customer);
            let created = super::repair_orders::report_in(
                &step.txn,
                env,
                &customer,
                super::repair_orders::ReportFault {
                    customer_id: Some(customer.id),
                    asset_id,
                    service_centre_id: Some(source.service_centre_id),
                    request_type,
                    fault_description: fault_description.or(Some(source.question.clone())),
                    service_address,
                    contact_phone,
                    priority,
                    channel: Some(repair_channel(source.channel)),
                    external_reference: None,
                },
                None,
            )
            .await?;
            (TicketKind::RepairOrder, created.id, created.number)
        }
    };
    store::events::append(
        &step.txn,
        NewEvent {
            kind,
            ticket_id,
            actor: env.actor,
            action: "CONVERTED_FROM_INQUIRY",
            from_status: None,
            to_status: None,
            note: Some(format!("raised from inquiry {}", source.number)),
            public: true,
        },
        env.now,
    )
    .await?;
    let what = match kind {
        TicketKind::Complaint => "complaint",
        _ => "repair order",
    };
    let changes = inquiries::ActiveModel {
        converted_kind: Set(Some(kind)),
        converted_id: Set(Some(ticket_id)),
        converted_at: Set(Some(env.now)),
        ..Default::default()
    };
    let (txn, updated) = step
        .finish(env, changes, format!("converted into {what} {number}"))
        .await?;
    txn.commit().await?;
    Ok((updated, kind, ticket_id))
}
