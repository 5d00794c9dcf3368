//! Use cases: each mutation is one function running one transaction that loads what it needs
//! through `store`, asks `domain` for the decision and writes the result with its timeline
//! entry. Resolvers only translate GraphQL to these calls.

pub mod accounts;
pub mod assets;
pub mod attachments;
pub mod complaints;
pub mod exports;
pub mod feed;
pub mod follow_ups;
pub mod inquiries;
pub mod parts_requests;
pub mod privacy;
pub mod repair_orders;
pub mod return_visits;
pub mod sla;
pub mod surveys;
pub mod warranty_visits;
pub mod webhooks;

use chrono::{DateTime, Utc};
use entity::ticket_events::TicketKind;
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::domain::identity::Principal;
use crate::error::{ApiError, ApiResult};
use crate::store;

/// Who acts, when, and on which database: the context of one use case.
pub struct Env<'a> {
    pub db: &'a DatabaseConnection,
    pub now: DateTime<Utc>,
    pub actor: &'a Principal,
    pub settings: &'a RuleSettings,
}

/// Rule parameters that are deployment settings rather than policy rows.
#[derive(Clone, Debug)]
pub struct RuleSettings {
    /// Highest compensation an agent may approve alone (R-ESC-5).
    pub compensation_agent_limit: rust_decimal::Decimal,
    /// A repair survey's overall score at or below this opens a follow-up complaint (R-CMP-6).
    pub survey_low_score: i16,
    /// How long a customer has to answer a survey.
    pub survey_expiry: chrono::Duration,
    /// Valid, service-caused complaints about one staff member in a month that alert the
    /// supervisors (R-CMP-9).
    pub staff_complaint_alert: i64,
    /// Supervisors approve the solutions of GENERAL complaints, not only the top level
    /// (R-ESC-5).
    pub solution_approval_delegated: bool,
    /// Webhook URLs may point at private, loopback and link-local addresses.
    pub allow_private_webhook_targets: bool,
    /// Region of phone numbers written without a country code (`PHONE_DEFAULT_REGION`).
    pub phone_region: crate::domain::phone::Region,
    /// How long after closing a ticket is sealed (`SEAL_AFTER_DAYS`, R-PRV-9).
    pub seal_after: chrono::Duration,
}

/// The defaults of the settings (`COMPENSATION_AGENT_LIMIT`, `SURVEY_LOW_SCORE`,
/// `SURVEY_EXPIRY_DAYS`, `STAFF_COMPLAINT_ALERT`, `SOLUTION_APPROVAL_DELEGATED`,
/// `WEBHOOK_ALLOW_PRIVATE_TARGETS`, `PHONE_DEFAULT_REGION`, `SEAL_AFTER_DAYS`), for work run
/// outside a configured server (`sweep_once`).
impl Default for RuleSettings {
    fn default() -> Self {
        Self {
            compensation_agent_limit: rust_decimal::Decimal::new(50000, 2),
            survey_low_score: 2,
            survey_expiry: chrono::Duration::days(14),
            staff_complaint_alert: 3,
            solution_approval_delegated: false,
            allow_private_webhook_targets: false,
            phone_region: crate::domain::phone::Region::CN,
            seal_after: chrono::Duration::days(365),
        }
    }
}

/// The parts of a ticket that its survey and return visits copy: whose it is and who may read
/// about it.
pub struct Ticket {
    pub kind: TicketKind,
    pub id: i64,
    pub customer_id: i64,
    pub service_centre_id: i64,
    pub organization_id: Option<i64>,
}

impl From<&entity::repair_orders::Model> for Ticket {
    fn from(order: &entity::repair_orders::Model) -> Self {
        Self {
            kind: TicketKind::RepairOrder,
            id: order.id,
            customer_id: order.customer_id,
            service_centre_id: order.service_centre_id,
            organization_id: order.organization_id,
        }
    }
}

impl From<&entity::complaints::Model> for Ticket {
    fn from(complaint: &entity::complaints::Model) -> Self {
        Self {
            kind: TicketKind::Complaint,
            id: complaint.id,
            customer_id: complaint.customer_id,
            service_centre_id: complaint.service_centre_id,
            organization_id: complaint.organization_id,
        }
    }
}

/// The ticket's number and the repair order a complaint raised about it is linked to (the
/// order itself, or the one the complaint concerns).
async fn number_and_order(
    db: &impl ConnectionTrait,
    ticket: &Ticket,
) -> ApiResult<(String, Option<i64>)> {
    match ticket.kind {
        TicketKind::RepairOrder => {
            let order = store::repair_orders::find(db, ticket.id)
                .await?
                .ok_or(ApiError::NotFound("repair order"))?;
            Ok((order.number, Some(order.id)))
        }
        TicketKind::Complaint => {
            let complaint = store::complaints::find(db, ticket.id)
                .await?
                .ok_or(ApiError::NotFound("complaint"))?;
            Ok((complaint.number, complaint.repair_order_id))
        }
        TicketKind::ReturnVisit | TicketKind::Inquiry => Err(ApiError::Internal(
            "only repair orders and complaints are visited".into(),
        )),
    }
}

/// What a create made before when it carries a client reference its owner used already (a
/// queued retry, issue 13): the id of that row.
async fn created_before(
    db: &impl ConnectionTrait,
    of: store::references::Referenced,
    reference: Option<&crate::domain::reference::ClientReference>,
) -> ApiResult<Option<i64>> {
    match reference {
        Some(reference) => store::references::find(db, of, reference).await,
        None => Ok(None),
    }
}

/// `SEALED` when a ticket closed at `closed_at` is sealed by now (R-PRV-9): every change to a
/// ticket calls this after checking the caller may see it.
pub fn ensure_unsealed(
    env: &Env<'_>,
    what: &'static str,
    closed_at: Option<DateTime<Utc>>,
) -> ApiResult<()> {
    crate::domain::privacy::ensure_unsealed(what, closed_at, env.now, env.settings.seal_after)
}

/// `SEALED` when the ticket `kind`/`id` is sealed (R-PRV-9), for records that follow the seal
/// of the ticket they belong to (return visits).
pub async fn ensure_ticket_unsealed(
    db: &impl sea_orm::ConnectionTrait,
    env: &Env<'_>,
    kind: entity::ticket_events::TicketKind,
    id: i64,
) -> ApiResult<()> {
    let closed_at = store::retention::closed_at(db, kind, id).await?;
    ensure_unsealed(env, crate::jobs::retention::subject_name(kind), closed_at)
}

/// Trimmed text that must not be empty nor longer than `max` characters.
pub fn required_text(field: &'static str, value: &str, max: usize) -> ApiResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ApiError::bad_input(
            field,
            format!("{field} must not be empty"),
        ));
    }
    if value.chars().count() > max {
        return Err(ApiError::bad_input(
            field,
            format!("{field} must be at most {max} characters"),
        ));
    }
    Ok(value.to_owned())
}
