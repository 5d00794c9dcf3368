//! R-CMP-7 follow-up cases over GraphQL: `openFollowUpCase` and the links on both tickets.

use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use entity::complaints::{ComplaintCategory, Severity};
use entity::follow_up_cases;
use entity::ticket_events::TicketKind;

use super::complaint::Complaint;
use super::env;
use super::loaders::{ComplaintKey, FollowUpsKey, RepairOrderKey, loaders};
use super::repair::RepairOrder;
use super::scalars::{NodeType, id, key};
use crate::domain::{complaint, repair};
use crate::error::ApiResult;
use crate::services::follow_ups::{self as service, NewFollowUp};

/// A follow-up case (R-CMP-7): a repair order or complaint opened for a new need the customer
/// raised during a return visit, linked to the ticket the visit followed up. Listed on both
/// tickets (`followUps` on the original, `followUpOf` on the follow-up).
pub struct FollowUpCase(pub follow_up_cases::Model);

/// A follow-up case (R-CMP-7): a repair order or complaint opened for a new need the customer
/// raised during a return visit, linked to the ticket the visit followed up; listed on both
/// (`followUps` on the original, `followUpOf` on the follow-up) for whoever sees both.
#[Object]
impl FollowUpCase {
    /// The return visit the need was raised on.
    async fn return_visit_id(&self) -> ID {
        id(NodeType::ReturnVisit, self.0.return_visit_id)
    }

    /// The kind of the ticket the visit followed up.
    async fn original_kind(&self) -> TicketKind {
        self.0.original_kind
    }

    /// The ticket the visit followed up (a `RepairOrder` or `Complaint` id).
    async fn original_id(&self) -> ID {
        id(
            NodeType::of_ticket(self.0.original_kind),
            self.0.original_id,
        )
    }

    /// The kind of the case opened: REPAIR_ORDER or COMPLAINT.
    async fn kind(&self) -> TicketKind {
        self.0.follow_up_kind
    }

    /// The case opened (a `RepairOrder` or `Complaint` id).
    async fn follow_up_id(&self) -> ID {
        id(
            NodeType::of_ticket(self.0.follow_up_kind),
            self.0.follow_up_id,
        )
    }

    /// The repair order opened; null for a complaint, or when the caller may not see it.
    async fn repair_order(&self, ctx: &Context<'_>) -> Result<Option<RepairOrder>> {
        if self.0.follow_up_kind != TicketKind::RepairOrder {
            return Ok(None);
        }
        let actor = super::principal(ctx);
        Ok(loaders(ctx)?
            .load_one(RepairOrderKey(self.0.follow_up_id))
            .await?
            .filter(|o| repair::can_view(actor, &repair::OrderParties::from(&**o)))
            .map(|o| RepairOrder((*o).clone())))
    }

    /// The complaint opened; null for a repair order, or when the caller may not see it (staff
    /// and partners; customers follow it in `myComplaints`).
    async fn complaint(&self, ctx: &Context<'_>) -> Result<Option<Complaint>> {
        if self.0.follow_up_kind != TicketKind::Complaint {
            return Ok(None);
        }
        let actor = super::principal(ctx);
        if actor.role() == Some(entity::users::Role::Customer) {
            return Ok(None);
        }
        Ok(loaders(ctx)?
            .load_one(ComplaintKey(self.0.follow_up_id))
            .await?
            .filter(|c| complaint::can_view(actor, &complaint::ComplaintParties::from(&**c)))
            .map(|c| Complaint((*c).clone())))
    }

    /// When it was opened (RFC 3339, UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// The links of a ticket: the cases opened from its visits (`follow_ups`) and the case it
/// follows up (`of`), each only when the caller sees the other ticket too.
pub(crate) async fn links(
    ctx: &Context<'_>,
    kind: TicketKind,
    ticket_id: i64,
) -> ApiResult<(Vec<FollowUpCase>, Option<FollowUpCase>)> {
    let rows = loaders(ctx)?
        .load_one(FollowUpsKey(kind, ticket_id))
        .await?
        .unwrap_or_default();
    let mut follow_ups = Vec::new();
    let mut of = None;
    for row in rows.iter().cloned() {
        let mine_is_original = row.original_kind == kind && row.original_id == ticket_id;
        let (other_kind, other_id) = if mine_is_original {
            (row.follow_up_kind, row.follow_up_id)
        } else {
            (row.original_kind, row.original_id)
        };
        if !sees(ctx, other_kind, other_id).await? {
            continue;
        }
        if mine_is_original {
            follow_ups.push(FollowUpCase(row));
        } else {
            of = Some(FollowUpCase(row));
        }
    }
    Ok((follow_ups, of))
}

async fn sees(ctx: &Context<'_>, kind: TicketKind, id: i64) -> ApiResult<bool> {
    let actor = super::principal(ctx);
    let loader = loaders(ctx)?;
    Ok(match kind {
        TicketKind::RepairOrder => loader
            .load_one(RepairOrderKey(id))
            .await?
            .is_some_and(|o| repair::can_view(actor, &repair::OrderParties::from(&*o))),
        TicketKind::Complaint => loader
            .load_one(ComplaintKey(id))
            .await?
            .is_some_and(|c| complaint::can_view(actor, &complaint::ComplaintParties::from(&*c))),
        TicketKind::ReturnVisit | TicketKind::Inquiry => false,
    })
}

/// The new need raised on the visit.
#[derive(InputObject)]
pub struct FollowUpCaseInput {
    /// REPAIR_ORDER or COMPLAINT.
    kind: TicketKind,
    /// The need in the customer's words (1–2,000 characters for a repair, 4,000 for a
    /// complaint).
    description: String,
    /// Complaints: the category (required).
    category: Option<ComplaintCategory>,
    /// Complaints: the severity, as for `fileComplaint`.
    severity: Option<Severity>,
    /// Repairs: the product; by default the original repair order's.
    asset_id: Option<ID>,
    /// Repairs: where to go; by default the original repair order's address.
    service_address: Option<String>,
    /// Repairs: whom to call; by default the original repair order's phone.
    contact_phone: Option<String>,
}

#[derive(Default)]
pub struct FollowUpMutation;

#[Object]
impl FollowUpMutation {
    /// A new need raised during a return visit opens a follow-up case linked to the original
    /// case (R-CMP-7): agents and supervisors of the visit's centre open a repair order
    /// (reported by phone for the customer, by default on the original order's product and
    /// address) or a complaint (channel RETURN_VISIT) in one transaction with the link and a
    /// public `FOLLOW_UP_OPENED` entry on both timelines. Both tickets list the link
    /// (`followUps`, `followUpOf`). Errors: `NOT_FOUND` (visit of another centre),
    /// `FORBIDDEN`, `BAD_USER_INPUT` (every bad field at once, as `reportFault` or
    /// `fileComplaint` would say).
    async fn open_follow_up_case(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The return visit the need was raised on.")] return_visit_id: ID,
        #[graphql(desc = "The need.")] input: FollowUpCaseInput,
    ) -> Result<FollowUpCase> {
        let env = env(ctx)?;
        let visit = key(&return_visit_id, NodeType::ReturnVisit)?;
        let asset_id = input
            .asset_id
            .map(|a| key(&a, NodeType::Asset))
            .transpose()?;
        let opened = service::open(
            &env,
            visit,
            NewFollowUp {
                kind: input.kind,
                description: input.description,
                category: input.category,
                severity: input.severity,
                asset_id,
                service_address: input.service_address,
                contact_phone: input.contact_phone,
            },
        )
        .await?;
        Ok(FollowUpCase(opened.link))
    }
}
