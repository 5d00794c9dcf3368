//! R-REP-5 parts requests over GraphQL: thin resolvers over `services::parts_requests`.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::parts_requests::{PartsRequestStatus, PartsSource};
use entity::repair_orders::Priority;

use super::env;
use super::loaders::{RepairOrderKey, loaders};
use super::repair::RepairOrder;
use super::scalars::{NodeType, id, key};
use crate::domain::parts::{self, Part};
use crate::error::ApiError;
use crate::services::parts_requests::{self as service, FullRequest};

/// A request for spare parts for a repair order (R-REP-5): asked for by the technician on the
/// order or an agent, approved or rejected by a supervisor of the centre who did not ask,
/// filled from stock or by purchase; while an approved request's parts have not arrived the
/// order waits in WAITING_FOR_PARTS. Readable by whoever sees its order.
pub struct PartsRequest(pub FullRequest);

/// One part of a parts request.
#[derive(SimpleObject)]
pub struct RequestedPart {
    /// The part's code.
    code: String,
    /// The part's name.
    name: String,
    /// How many pieces.
    quantity: i32,
    /// How urgently it is needed.
    urgency: Priority,
}

/// A request for spare parts for a repair order (R-REP-5): REQUESTED by the technician on the
/// order or an agent, APPROVED or REJECTED by a supervisor of the centre who did not ask,
/// FILLED from stock or by purchase, ARRIVED; while an approved request's parts have not
/// arrived the order waits in WAITING_FOR_PARTS. Readable by whoever sees its order.
#[Object]
impl PartsRequest {
    /// The request's id (opaque global id, `Node`).
    pub(crate) async fn id(&self) -> ID {
        id(NodeType::PartsRequest, self.0.request.id)
    }

    /// Where the request is: REQUESTED, APPROVED, REJECTED, FILLED, ARRIVED.
    async fn status(&self) -> PartsRequestStatus {
        self.0.request.status
    }

    /// The parts asked for, in the order given.
    async fn parts(&self) -> Vec<RequestedPart> {
        self.0
            .items
            .iter()
            .map(|item| RequestedPart {
                code: item.part_code.clone(),
                name: item.part_name.clone(),
                quantity: item.quantity,
                urgency: item.urgency,
            })
            .collect()
    }

    /// The most urgent of the parts.
    async fn urgency(&self) -> Priority {
        parts::urgency(self.0.items.iter().map(|item| item.urgency))
    }

    /// What the parts are for, in the requester's words.
    async fn note(&self) -> Option<&str> {
        self.0.request.note.as_deref()
    }

    /// The technician, agent or supervisor who asked.
    async fn requested_by_id(&self) -> ID {
        id(NodeType::User, self.0.request.requested_by)
    }

    /// The supervisor who approved or rejected it; null before.
    async fn decided_by_id(&self) -> Option<ID> {
        self.0.request.decided_by.map(|k| id(NodeType::User, k))
    }

    /// When it was approved or rejected (RFC 3339, UTC).
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.request.decided_at
    }

    /// Why it was rejected; null unless REJECTED.
    async fn rejection_reason(&self) -> Option<&str> {
        self.0.request.rejection_reason.as_deref()
    }

    /// Where the parts come from, once filled.
    async fn source(&self) -> Option<PartsSource> {
        self.0.request.source
    }

    /// When it was filled (RFC 3339, UTC).
    async fn filled_at(&self) -> Option<DateTime<Utc>> {
        self.0.request.filled_at
    }

    /// When the parts arrived (RFC 3339, UTC).
    async fn arrived_at(&self) -> Option<DateTime<Utc>> {
        self.0.request.arrived_at
    }

    /// When it was asked for (RFC 3339, UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.request.created_at
    }

    /// The repair order the parts are for, as it is now (its status and `version` after the
    /// step just taken).
    async fn order(&self, ctx: &Context<'_>) -> Result<RepairOrder> {
        let loader = loaders(ctx)?;
        let order_id = self.0.request.repair_order_id;
        let order = loader
            .load_one(RepairOrderKey(order_id))
            .await?
            .ok_or_else(|| ApiError::Internal(format!("repair order {order_id} missing")))?;
        Ok(RepairOrder((*order).clone()))
    }
}

/// One part to ask for.
#[derive(InputObject)]
pub struct PartInput {
    /// The part's code (1–64 characters).
    code: String,
    /// The part's name (1–200 characters).
    name: String,
    /// How many pieces (1–9,999).
    #[graphql(default = 1)]
    quantity: i32,
    /// How urgently the part is needed (NORMAL by default).
    #[graphql(default_with = "Priority::Normal")]
    urgency: Priority,
}

#[derive(Default)]
pub struct PartsMutation;

#[Object]
impl PartsMutation {
    /// Asks for spare parts for a repair (R-REP-5): the technician on the order, agents and
    /// supervisors of its centre, while the repair is still to be done (SUBMITTED to ON_SITE,
    /// REOPENED, or already WAITING_FOR_PARTS). The order does not wait yet: a supervisor
    /// approves first. An internal `PARTS_REQUESTED` timeline entry. Errors: `NOT_FOUND`
    /// (order not visible), `FORBIDDEN`, `INVALID_TRANSITION`, `BAD_USER_INPUT` (1–20 parts;
    /// every bad field at once: `parts.code`, `parts.name`, `parts.quantity`, `note`).
    async fn request_parts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The repair order's id.")] order_id: ID,
        #[graphql(desc = "The parts needed (1–20).")] parts: Vec<PartInput>,
        #[graphql(desc = "What they are for (up to 2,000 characters).")] note: Option<String>,
    ) -> Result<PartsRequest> {
        let env = env(ctx)?;
        let parts = parts
            .into_iter()
            .map(|p| Part {
                code: p.code,
                name: p.name,
                quantity: p.quantity,
                urgency: p.urgency,
            })
            .collect();
        let order_id = key(&order_id, NodeType::RepairOrder)?;
        Ok(PartsRequest(
            service::request(&env, order_id, parts, note).await?,
        ))
    }

    /// A supervisor of the order's centre approves a REQUESTED parts request they did not make
    /// themselves (R-REP-5). The order goes to WAITING_FOR_PARTS (unless it waits already):
    /// its arrival and resolution clocks pause, the customer reads "waiting for parts".
    /// Errors: `NOT_FOUND`, `FORBIDDEN` (not a supervisor; one's own request),
    /// `INVALID_TRANSITION` (not REQUESTED; an order past the repair).
    async fn approve_parts_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The parts request's id.")] id: ID,
    ) -> Result<PartsRequest> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::PartsRequest)?;
        Ok(PartsRequest(service::decide(&env, id, true, None).await?))
    }

    /// A supervisor of the order's centre rejects a REQUESTED parts request they did not make,
    /// with the reason (R-REP-5); the order is not changed. Errors: `NOT_FOUND`, `FORBIDDEN`,
    /// `INVALID_TRANSITION`, `BAD_USER_INPUT` (`reason`).
    async fn reject_parts_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The parts request's id.")] id: ID,
        #[graphql(desc = "Why (1–2,000 characters).")] reason: String,
    ) -> Result<PartsRequest> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::PartsRequest)?;
        Ok(PartsRequest(
            service::decide(&env, id, false, Some(reason)).await?,
        ))
    }

    /// Agents and supervisors of the centre fill an APPROVED parts request from stock or by
    /// purchase (R-REP-5). Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_TRANSITION`.
    async fn fill_parts_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The parts request's id.")] id: ID,
        #[graphql(desc = "STOCK or PURCHASE.")] source: PartsSource,
    ) -> Result<PartsRequest> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::PartsRequest)?;
        Ok(PartsRequest(service::fill(&env, id, source).await?))
    }

    /// The parts of a FILLED request arrived (R-REP-5; the technician on the order, agents,
    /// supervisors). When no other approved request of the order is still outstanding, the
    /// order leaves WAITING_FOR_PARTS for the status it waited in (`PARTS_ARRIVED`, public
    /// `note`) and its paused clocks run again, their deadlines moved on by the wait.
    /// Errors: `NOT_FOUND`, `FORBIDDEN`, `INVALID_TRANSITION` (not FILLED), `BAD_USER_INPUT`.
    async fn receive_parts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The parts request's id.")] id: ID,
        #[graphql(desc = "A note for the customer's timeline (up to 2,000 characters).")]
        note: Option<String>,
    ) -> Result<PartsRequest> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::PartsRequest)?;
        Ok(PartsRequest(service::receive(&env, id, note).await?))
    }
}
