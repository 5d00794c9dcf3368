//! R-SLA-13 warranty-end return visits over GraphQL.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::return_visits::VisitChannel;
use entity::users::Role;
use entity::warranty_visits;

use super::scalars::{NodeType, id, key};
use super::{RoleGuard, env};
use crate::services::warranty_visits as service;

/// A return visit one month before the warranty of a sold product ends (R-SLA-13). It belongs
/// to the product, not to a ticket: the server schedules one per product with a verified
/// warranty, in the customer's centre, whose agents and supervisors (only) see and record it.
#[derive(SimpleObject)]
pub struct WarrantyVisit {
    /// The visit's id (opaque global id, `Node`).
    #[graphql(owned)]
    pub(crate) id: ID,
    /// The product whose warranty ends.
    asset_id: ID,
    /// Its owner, the customer to call.
    customer_id: ID,
    /// The warranty's last day.
    warranty_ends_on: NaiveDate,
    /// One month before `warrantyEndsOn`.
    due_on: NaiveDate,
    /// When it was scheduled (RFC 3339, UTC).
    created_at: DateTime<Utc>,
    /// Who made the call; null until recorded.
    agent_id: Option<ID>,
    /// When it was recorded (RFC 3339, UTC).
    visited_at: Option<DateTime<Utc>>,
    /// How.
    channel: Option<VisitChannel>,
    /// Whether the customer was reached.
    reached: Option<bool>,
    /// What was said.
    note: Option<String>,
}

impl From<warranty_visits::Model> for WarrantyVisit {
    fn from(visit: warranty_visits::Model) -> Self {
        Self {
            id: id(NodeType::WarrantyVisit, visit.id),
            asset_id: id(NodeType::Asset, visit.asset_id),
            customer_id: id(NodeType::User, visit.customer_id),
            warranty_ends_on: visit.warranty_ends_on,
            due_on: visit.due_on,
            created_at: visit.created_at,
            agent_id: visit.agent_id.map(|a| id(NodeType::User, a)),
            visited_at: visit.visited_at,
            channel: visit.channel,
            reached: visit.reached,
            note: visit.note,
        }
    }
}

#[derive(Default)]
pub struct WarrantyVisitQuery;

#[Object]
impl WarrantyVisitQuery {
    /// The caller's centre's warranty-end visits not made yet, soonest due first (R-SLA-13).
    /// Agents and supervisors.
    #[graphql(guard = "RoleGuard(&[Role::Agent, Role::Supervisor])")]
    async fn warranty_visits_due(&self, ctx: &Context<'_>) -> Result<Vec<WarrantyVisit>> {
        let env = env(ctx)?;
        Ok(service::open(&env)
            .await?
            .into_iter()
            .map(WarrantyVisit::from)
            .collect())
    }
}

#[derive(Default)]
pub struct WarrantyVisitMutation;

#[Object]
impl WarrantyVisitMutation {
    /// An agent or supervisor of the customer's centre records the warranty-end call
    /// (R-SLA-13). Errors: `NOT_FOUND` (another centre's), `FORBIDDEN`, `INVALID_TRANSITION`
    /// (recorded already), `BAD_USER_INPUT` (`note`).
    #[graphql(guard = "RoleGuard(&[Role::Agent, Role::Supervisor])")]
    async fn record_warranty_visit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The visit's id (from `warrantyVisitsDue`).")] id: ID,
        #[graphql(desc = "How the customer was contacted.")] channel: VisitChannel,
        #[graphql(desc = "Whether the customer was reached.")] reached: bool,
        #[graphql(desc = "What was said (1–2,000 characters).")] note: String,
    ) -> Result<WarrantyVisit> {
        let env = env(ctx)?;
        let id = key(&id, NodeType::WarrantyVisit)?;
        Ok(service::record(&env, id, channel, reached, note)
            .await?
            .into())
    }
}
