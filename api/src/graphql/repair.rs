//! Repair orders over GraphQL: thin resolvers over `services::repair_orders`.

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::repair_lines::{self, RepairLineKind};
use entity::repair_orders::{
    self, FaultCause, Priority, RepairChannel, RepairSolution, RepairStatus, RequestType,
    ReturnOutcome,
};
use entity::sla_policies::SlaMetric;
use entity::ticket_events::TicketKind;
use entity::users::Role;
use entity::{assets, product_models, ticket_events};
use rust_decimal::Decimal;

use super::loaders::{
    AssetKey, ClocksKey, DisclosureKey, RepairEventsKey, RepairLinesKey, UserKey, loaders,
};
use super::pagination::{KeysetConnection, PageRequest, TicketOrder};
use super::scalars::{NodeType, id, key};
use super::timeline::{ActorRole, TimelineAction};
use super::{RoleGuard, env, principal};
use crate::domain::identity::Principal;
use crate::domain::masking::{self, mask_address, mask_name, mask_phone};
use crate::domain::money::money;
use crate::domain::privacy;
use crate::domain::repair::{self, OrderParties, RepairAction};
use crate::domain::sla::transitions;
use crate::error::ApiError;
use crate::services::{assets as asset_service, repair_orders as service, required_text};
use crate::store::repair_orders::ListFilter;

pub struct RepairOrder(pub repair_orders::Model);

/// A booked visit window.
#[derive(SimpleObject)]
pub struct AppointmentWindow {
    /// Start of the window (RFC 3339, UTC).
    start: DateTime<Utc>,
    /// End of the window (RFC 3339, UTC).
    end: DateTime<Utc>,
}

/// The customer as the viewer may see them (R-PRV-2).
#[derive(SimpleObject)]
pub struct CustomerContact {
    /// The customer's id.
    id: ID,
    /// The customer's name; masked (first letter kept, e.g. `Z********`) when `masked`.
    name: String,
    /// The customer's phone; masked when `masked`; null when none.
    phone: Option<String>,
    /// True when the phone (and, for a technician, the name) is masked for this viewer: a
    /// technician sees them in full only while the order is theirs and not finished; agents
    /// and supervisors see phones masked in lists and reveal them with `revealContact`
    /// (R-PRV-2).
    masked: bool,
}

/// The assigned technician; customers and partners get a masked phone (R-PRV-2).
#[derive(SimpleObject)]
pub struct TechnicianContact {
    /// The technician's id.
    id: ID,
    /// The technician's name.
    name: String,
    /// The technician's phone; masked for customers and partners; null when none.
    phone: Option<String>,
}

/// Whether staff checked an asset's proof of purchase.
#[derive(Copy, Clone, Debug, PartialEq, Eq, async_graphql::Enum)]
pub enum WarrantyStatus {
    /// The customer's or partner's word: repairs are charged and returns need a reason.
    Unverified,
    /// Checked by an agent or supervisor: repairs in warranty are free (R-REP-1), returns in
    /// the window need no reason (R-REP-4).
    Verified,
}

/// A customer's registered product.
#[derive(SimpleObject)]
pub struct Asset {
    /// The asset's id (opaque global id, `Node`).
    #[graphql(owned)]
    pub(crate) id: ID,
    /// The owning customer.
    customer_id: ID,
    /// The catalogue code when the model is listed.
    model: String,
    /// The product model the warranty length comes from; null when not listed.
    product_model_id: Option<ID>,
    /// Serial number, upper-cased; unique per model.
    serial_number: String,
    /// Purchase date (`YYYY-MM-DD`), as verified once `warrantyStatus` is VERIFIED.
    purchase_date: NaiveDate,
    /// Last day covered, inclusive; it counts only once `warrantyStatus` is VERIFIED.
    warranty_ends_on: NaiveDate,
    /// Whether staff checked the proof of purchase.
    warranty_status: WarrantyStatus,
    /// The registering client's own id for it.
    external_reference: Option<String>,
}

impl From<assets::Model> for Asset {
    fn from(asset: assets::Model) -> Self {
        Self {
            id: id(NodeType::Asset, asset.id),
            customer_id: id(NodeType::User, asset.customer_id),
            model: asset.model,
            product_model_id: asset
                .product_model_id
                .map(|k| id(NodeType::ProductModel, k)),
            serial_number: asset.serial_number,
            purchase_date: asset.purchase_date,
            warranty_ends_on: asset.warranty_ends_on,
            warranty_status: if asset.warranty_verified_at.is_some() {
                WarrantyStatus::Verified
            } else {
                WarrantyStatus::Unverified
            },
            external_reference: asset.external_reference,
        }
    }
}

/// A catalogue entry: an asset of this model gets `warrantyMonths` from its purchase date.
#[derive(SimpleObject)]
pub struct ProductModel {
    /// The model's id (opaque global id, `Node`).
    #[graphql(owned)]
    pub(crate) id: ID,
    /// Upper-cased; what `registerAsset(model:)` takes.
    code: String,
    /// Display name.
    name: String,
    /// Warranty length in months from the purchase date (1–120).
    warranty_months: i32,
    /// When it was last changed (RFC 3339, UTC).
    updated_at: DateTime<Utc>,
}

impl From<product_models::Model> for ProductModel {
    fn from(model: product_models::Model) -> Self {
        Self {
            id: id(NodeType::ProductModel, model.id),
            code: model.code,
            name: model.name,
            warranty_months: model.warranty_months,
            updated_at: model.updated_at,
        }
    }
}

/// Parts or labour recorded on a repair order (R-REP-3).
#[derive(SimpleObject)]
pub struct RepairLine {
    /// The line's id.
    #[graphql(owned)]
    pub(crate) id: ID,
    /// Part or labour.
    kind: RepairLineKind,
    /// What was done or used.
    description: String,
    /// The part's code; null for labour.
    part_code: Option<String>,
    /// Quantity, a decimal string (up to 3 decimals; hours for labour).
    quantity: Decimal,
    /// Price per unit, a decimal string with 2 decimals.
    unit_price: Decimal,
    /// Quantity × unit price rounded to cents, a decimal string. Charged only out of warranty
    /// (R-REP-1).
    amount: Decimal,
    /// When it was recorded (RFC 3339, UTC).
    created_at: DateTime<Utc>,
}

impl From<repair_lines::Model> for RepairLine {
    fn from(line: repair_lines::Model) -> Self {
        Self {
            id: id(NodeType::RepairLine, line.id),
            kind: line.kind,
            description: line.description,
            part_code: line.part_code,
            quantity: line.quantity.normalize(),
            unit_price: money(line.unit_price),
            amount: money(line.amount),
            created_at: line.created_at,
        }
    }
}

/// One timeline entry. Customers and partners only ever see public ones.
#[derive(SimpleObject)]
pub struct TimelineEvent {
    /// The entry's id.
    #[graphql(owned)]
    pub(crate) id: ID,
    /// What happened; `SLA_*` values are the clocks' own entries (staff only).
    action: TimelineAction,
    /// The ticket's status before; null when the entry changed none.
    from_status: Option<String>,
    /// The ticket's status after; null when the entry changed none.
    to_status: Option<String>,
    /// The note or message of the entry, if any.
    note: Option<String>,
    /// The actor's role then, or `SYSTEM`.
    actor_role: ActorRole,
    /// Shown to customers and partners; staff also see internal entries.
    public: bool,
    /// When it happened (RFC 3339, UTC).
    created_at: DateTime<Utc>,
}

impl From<ticket_events::Model> for TimelineEvent {
    fn from(event: ticket_events::Model) -> Self {
        Self {
            id: id(NodeType::TimelineEvent, event.id),
            action: TimelineAction::of(&event.action),
            from_status: event.from_status,
            to_status: event.to_status,
            note: event.note,
            actor_role: ActorRole::of(&event.actor_role),
            public: event.public,
            created_at: event.created_at,
        }
    }
}

/// A repair order: a fault report, or a return or exchange request, and its visits. Customers
/// see their own, technicians those assigned to them, agents and supervisors their centre's,
/// partners their organization's customers' (R-PRV-1, R-PRV-7); admins none.
#[Object]
impl RepairOrder {
    /// The order's id (opaque global id, `Node`).
    pub(crate) async fn id(&self) -> ID {
        id(NodeType::RepairOrder, self.0.id)
    }
    /// Human-readable number, e.g. `RO-20261122-000123`.
    async fn number(&self) -> &str {
        &self.0.number
    }
    /// The reporting client's own id for the order (`ReportFaultInput.externalReference`).
    async fn external_reference(&self) -> Option<&str> {
        self.0.external_reference.as_deref()
    }
    /// Where the order is in its flow.
    async fn status(&self) -> RepairStatus {
        self.0.status
    }
    /// How urgent it is; `URGENT` selects the strictest limits (R-SLA-14).
    async fn priority(&self) -> Priority {
        self.0.priority
    }
    /// How it was reported.
    async fn channel(&self) -> RepairChannel {
        self.0.channel
    }
    /// Repair, return or exchange.
    async fn request_type(&self) -> RequestType {
        self.0.request_type
    }
    /// The fault, or the reason for a return or exchange; empty when none was needed (R-REP-4).
    async fn fault_description(&self) -> &str {
        &self.0.fault_description
    }
    /// The centre that handles it.
    async fn service_centre_id(&self) -> ID {
        id(NodeType::ServiceCentre, self.0.service_centre_id)
    }
    /// Where the technician goes. Shown in full to the customer, agents and supervisors, to
    /// the partner on orders it filed or with the customer's consent (R-PRV-12), and to the
    /// assigned technician while the order is open; masked for others, and for agents and
    /// supervisors in lists (`revealContact` shows it, R-PRV-2).
    async fn service_address(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(if self.shows_contact_here(ctx).await? {
            self.0.service_address.clone()
        } else {
            mask_address(&self.0.service_address)
        })
    }
    /// The phone to reach the customer on for this order; shown in full or masked as
    /// `serviceAddress` (R-PRV-2).
    async fn contact_phone(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(if self.shows_contact_here(ctx).await? {
            self.0.contact_phone.clone()
        } else {
            mask_phone(&self.0.contact_phone)
        })
    }
    /// The asset's verified warranty covered the day of the report: the repair is free
    /// (R-REP-1). An unverified warranty never counts here.
    async fn in_warranty(&self) -> bool {
        self.0.in_warranty
    }
    /// The technician's findings on site (R-REP-2); null before the diagnosis.
    async fn diagnosis(&self) -> Option<&str> {
        self.0.diagnosis.as_deref()
    }
    /// A quality fault, or one the customer caused (paid even in warranty, R-REP-1); null
    /// before the diagnosis.
    async fn fault_cause(&self) -> Option<FaultCause> {
        self.0.fault_cause
    }
    /// Why the fault is the customer's, as the technician recorded it (R-REP-1).
    async fn fault_cause_reason(&self) -> Option<&str> {
        self.0.fault_cause_reason.as_deref()
    }
    /// How a return, exchange or refund ended (`recordReturnOutcome`, R-REP-2); null for
    /// repairs and before the outcome.
    async fn return_outcome(&self) -> Option<ReturnOutcome> {
        self.0.return_outcome
    }
    /// The solution chosen after the diagnosis (R-REP-2).
    async fn solution(&self) -> Option<RepairSolution> {
        self.0.solution
    }
    /// When it was reported (RFC 3339, UTC); the clocks count from here.
    async fn reported_at(&self) -> DateTime<Utc> {
        self.0.reported_at
    }
    /// The booked visit window; null when none.
    async fn appointment(&self) -> Option<AppointmentWindow> {
        Some(AppointmentWindow {
            start: self.0.appointment_start?,
            end: self.0.appointment_end?,
        })
    }
    /// The current arrival clock; null when the order's policy has none.
    async fn sla_status(&self, ctx: &Context<'_>) -> Result<Option<super::sla::SlaStatus>> {
        let now = env(ctx)?.now;
        let arrival =
            super::sla::latest(ctx, TicketKind::RepairOrder, self.0.id, SlaMetric::Arrival).await?;
        Ok(arrival.map(|clock| super::sla::SlaStatus::of(&clock, now)))
    }
    /// Every time limit of the order, each visit's cycle included: contact, arrival,
    /// resolution and the customer's confirmation period.
    async fn sla_clocks(&self, ctx: &Context<'_>) -> Result<Vec<super::sla::SlaClock>> {
        super::sla::clocks_of(ctx, TicketKind::RepairOrder, self.0.id).await
    }
    /// 1 agent, 2 the centre's supervisors, 3 the top level: raised by missed clocks (R-ESC-2).
    async fn escalation_level(&self) -> i32 {
        i32::from(self.0.escalation_level)
    }
    /// The policy scope its clocks run by: `URGENT` or `PREMIUM` (R-SLA-14), `IN_WARRANTY` or
    /// `OUT_OF_WARRANTY` (R-SLA-1/2).
    async fn sla_tier(&self) -> &str {
        &self.0.sla_scope
    }
    /// Why the order waits (parts asked for, why the customer is unreachable); staff only.
    async fn waiting_reason(&self, ctx: &Context<'_>) -> Option<&str> {
        repair::sees_internal_events(principal(ctx))
            .then_some(self.0.waiting_reason.as_deref())
            .flatten()
    }
    /// When the technician arrived (latest visit); null before.
    async fn arrived_at(&self) -> Option<DateTime<Utc>> {
        self.0.arrived_at
    }
    /// When the repair was completed; null before.
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
    /// When the order was closed; null before.
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }
    /// Why it was cancelled; null unless CANCELLED.
    async fn cancel_reason(&self) -> Option<&str> {
        self.0.cancel_reason.as_deref()
    }
    /// What the customer pays: zero in warranty (R-REP-1).
    async fn total_amount(&self) -> Decimal {
        money(self.0.total_amount)
    }
    /// Pass it back with every change; a stale one is a `CONFLICT` whose
    /// `extensions.currentVersion` is the version now.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When the row was created (RFC 3339, UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed, a new timeline entry included (RFC 3339, UTC).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// The customer, masked unless the viewer needs the contact (R-PRV-2).
    async fn customer(&self, ctx: &Context<'_>) -> Result<CustomerContact> {
        let customer = load_user(ctx, self.0.customer_id).await?;
        let named = self.shows_contact(ctx).await?;
        let shown = self.shows_contact_here(ctx).await?;
        Ok(CustomerContact {
            id: id(NodeType::User, customer.id),
            name: if named {
                customer.name.clone()
            } else {
                mask_name(&customer.name)
            },
            phone: customer
                .phone
                .as_deref()
                .map(|p| if shown { p.to_owned() } else { mask_phone(p) }),
            masked: !shown,
        })
    }

    /// The assigned technician; null before one is assigned.
    async fn technician(&self, ctx: &Context<'_>) -> Result<Option<TechnicianContact>> {
        let Some(technician_id) = self.0.technician_id else {
            return Ok(None);
        };
        let technician = load_user(ctx, technician_id).await?;
        let full = repair::sees_technician_phone(principal(ctx));
        Ok(Some(TechnicianContact {
            id: id(NodeType::User, technician.id),
            name: technician.name.clone(),
            phone: technician
                .phone
                .as_deref()
                .map(|p| if full { p.to_owned() } else { mask_phone(p) }),
        }))
    }

    /// The product concerned.
    async fn asset(&self, ctx: &Context<'_>) -> Result<Asset> {
        let loader = loaders(ctx)?;
        let asset = loader
            .load_one(AssetKey(self.0.asset_id))
            .await?
            .ok_or_else(|| ApiError::Internal(format!("asset {} missing", self.0.asset_id)))?;
        Ok(Asset::from(assets::Model::clone(&asset)))
    }

    /// The satisfaction survey issued when the order closed (R-SUR-1); null before, or when
    /// the caller may not read it (the customer always may; staff and partners once answered).
    async fn survey(&self, ctx: &Context<'_>) -> Result<Option<super::survey::Survey>> {
        super::survey::of_ticket(ctx, TicketKind::RepairOrder, self.0.id).await
    }

    /// Parts and labour recorded, oldest first (R-REP-3).
    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<RepairLine>> {
        let loader = loaders(ctx)?;
        let lines = loader
            .load_one(RepairLinesKey(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(lines.iter().cloned().map(RepairLine::from).collect())
    }

    /// Follow-up cases opened for new needs raised on this order's return visits (R-CMP-7),
    /// oldest first; those the caller may see.
    async fn follow_ups(&self, ctx: &Context<'_>) -> Result<Vec<super::follow_ups::FollowUpCase>> {
        let (follow_ups, _) =
            super::follow_ups::links(ctx, TicketKind::RepairOrder, self.0.id).await?;
        Ok(follow_ups)
    }

    /// The case this order follows up, when it was opened on a return visit (R-CMP-7).
    async fn follow_up_of(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<super::follow_ups::FollowUpCase>> {
        let (_, of) = super::follow_ups::links(ctx, TicketKind::RepairOrder, self.0.id).await?;
        Ok(of)
    }

    /// Parts requests of the order, oldest first (R-REP-5).
    async fn parts_requests(&self, ctx: &Context<'_>) -> Result<Vec<super::parts::PartsRequest>> {
        let requests = loaders(ctx)?
            .load_one(super::loaders::PartsRequestsKey(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(requests
            .iter()
            .cloned()
            .map(super::parts::PartsRequest)
            .collect())
    }

    /// Photos and videos on the order, oldest first, each with a short-lived download URL
    /// (`attachUploads` adds them). Whoever sees the order sees them.
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<super::attachments::Attachment>> {
        super::attachments::of_ticket(
            ctx,
            crate::services::attachments::Viewed::RepairOrder(&self.0),
        )
        .await
    }

    /// The inquiry this order was raised from (`convertInquiry`, R-SLA-11), if the caller
    /// sees it.
    async fn inquiry(&self, ctx: &Context<'_>) -> Result<Option<super::inquiry::Inquiry>> {
        let env = super::env(ctx)?;
        let found = crate::services::inquiries::converted_into(
            &env,
            entity::ticket_events::TicketKind::RepairOrder,
            self.0.id,
        )
        .await?;
        Ok(found.map(super::inquiry::Inquiry))
    }
    /// The timeline, oldest first; `last` keeps only the newest entries. Internal entries are
    /// left out for customers and partners; the clocks' own entries (`SLA_STARTED`,
    /// `SLA_PAUSED`, `SLA_MET`, …, staff only) only with `sla: true`.
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Keep only this many of the newest entries.")] last: Option<usize>,
        #[graphql(
            default = false,
            desc = "Include the SLA clocks' own entries (staff only)."
        )]
        sla: bool,
    ) -> Result<Vec<TimelineEvent>> {
        let loader = loaders(ctx)?;
        let internal = repair::sees_internal_events(principal(ctx));
        let timeline = loader
            .load_one(RepairEventsKey(self.0.id))
            .await?
            .unwrap_or_default();
        let events: Vec<_> = timeline
            .iter()
            .filter(|event| internal || event.public)
            .filter(|event| sla || !transitions::is_clock_event(&event.action))
            .collect();
        let skip = last.map_or(0, |n| events.len().saturating_sub(n));
        Ok(events
            .into_iter()
            .skip(skip)
            .cloned()
            .map(TimelineEvent::from)
            .collect())
    }
}

impl RepairOrder {
    async fn shows_contact(&self, ctx: &Context<'_>) -> Result<bool> {
        let viewer = principal(ctx);
        if !repair::sees_customer_contact(viewer, &OrderParties::from(&self.0), self.0.status) {
            return Ok(false);
        }
        let Principal::Partner {
            organization_id, ..
        } = viewer
        else {
            return Ok(true);
        };
        let filed_by_partner = self.0.channel == RepairChannel::Partner;
        let basis_in_force = !filed_by_partner
            && loaders(ctx)?
                .load_one(DisclosureKey {
                    customer_id: self.0.customer_id,
                    organization_id: *organization_id,
                })
                .await?
                .is_some();
        Ok(privacy::partner_receives(filed_by_partner, basis_in_force))
    }

    /// `shows_contact`, except that phones and addresses in a list are masked for the roles
    /// that reveal them one at a time (R-PRV-2).
    async fn shows_contact_here(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(self.shows_contact(ctx).await?
            && !(in_list(ctx) && masking::masked_in_lists(principal(ctx))))
    }
}

/// The field is resolved for an element of a list (a page, `nodes(ids:)`), not for one record
/// asked for by itself.
fn in_list(ctx: &Context<'_>) -> bool {
    let mut at = ctx.path_node.as_ref();
    while let Some(node) = at {
        if matches!(node.segment, async_graphql::QueryPathSegment::Index(_)) {
            return true;
        }
        at = node.parent;
    }
    false
}

async fn load_user(ctx: &Context<'_>, user_id: i64) -> Result<Arc<entity::users::Model>> {
    let loader = loaders(ctx)?;
    Ok(loader
        .load_one(UserKey(user_id))
        .await?
        .ok_or_else(|| ApiError::Internal(format!("user {user_id} missing")))?)
}

pub type RepairOrderConnection = KeysetConnection<RepairOrder>;

/// Narrows a repair-order list; all given conditions must hold.
#[derive(InputObject, Default)]
pub struct RepairOrderFilter {
    /// Any of these statuses.
    status: Option<Vec<RepairStatus>>,
    /// Assigned to this technician.
    technician_id: Option<ID>,
    /// Orders whose arrival clock was missed, recorded or overdue now.
    breached: Option<bool>,
    /// Reported at or after.
    reported_from: Option<DateTime<Utc>>,
    /// Reported before.
    reported_to: Option<DateTime<Utc>>,
    /// The order reported with this `externalReference`.
    external_reference: Option<String>,
    /// Changed (any field, a new timeline entry) at or after.
    updated_since: Option<DateTime<Utc>>,
}

async fn page(
    ctx: &Context<'_>,
    filter: Option<RepairOrderFilter>,
    order: Option<TicketOrder>,
    first: Option<i32>,
    after: Option<String>,
) -> Result<RepairOrderConnection> {
    let env = env(ctx)?;
    let scope = service::scope_of(env.actor)?;
    let filter = filter.unwrap_or_default();
    let filter = ListFilter {
        statuses: filter.status.unwrap_or_default(),
        technician_id: filter
            .technician_id
            .map(|t| key(&t, NodeType::User))
            .transpose()?,
        breached: filter.breached,
        reported_from: filter.reported_from,
        reported_to: filter.reported_to,
        external_reference: filter.external_reference,
        updated_since: filter.updated_since,
        order: order.unwrap_or_default().into(),
    };
    let page = PageRequest::parse(first, after)?;
    let rows = crate::store::repair_orders::list(
        env.db,
        scope,
        &filter,
        page.after,
        page.limit(),
        env.now,
    )
    .await?;
    let order = filter.order;
    let connection = page.connection(
        rows,
        |row| order.position(row.created_at, row.updated_at, row.id),
        RepairOrder,
    );
    let nodes: Vec<_> = connection.edges.iter().map(|edge| &edge.node.0).collect();
    prefetch(ctx, &nodes).await?;
    let people: Vec<i64> = nodes.iter().map(|order| order.customer_id).collect();
    let page = ctx.look_ahead();
    let selected = [page.field("edges").field("node"), page.field("nodes")];
    record_read(ctx, &selected, true, &people).await?;
    Ok(connection)
}

/// Records a read of orders of `people` in the audit log (R-PRV-3): a page, `nodes`, or one
/// order opened by itself (`in_list` false: unmasked for agents). `orders` are where the
/// query selects the order's fields.
pub(super) async fn record_read(
    ctx: &Context<'_>,
    orders: &[async_graphql::Lookahead<'_>],
    in_list: bool,
    people: &[i64],
) -> Result<(), ApiError> {
    super::privacy::record_page(
        ctx,
        super::privacy::PageRead {
            subject_kind: "REPAIR_ORDER",
            fields: personal_fields(ctx, orders, in_list),
            people,
        },
    )
    .await
}

/// The customer's personal fields selected under `nodes` that the viewer gets unmasked.
fn personal_fields(
    ctx: &Context<'_>,
    nodes: &[async_graphql::Lookahead<'_>],
    in_list: bool,
) -> Vec<&'static str> {
    let masked = in_list && masking::masked_in_lists(principal(ctx));
    let selected = |path: &[&str]| {
        nodes.iter().any(|node| {
            let mut at = node.field(path[0]);
            for name in &path[1..] {
                at = at.field(name);
            }
            at.exists()
        })
    };
    [
        ("customer.name", &["customer", "name"][..]),
        ("customer.phone", &["customer", "phone"][..]),
        ("serviceAddress", &["serviceAddress"][..]),
        ("contactPhone", &["contactPhone"][..]),
    ]
    .into_iter()
    .filter(|(name, path)| selected(path) && !(masked && *name != "customer.name"))
    .map(|(name, _)| name)
    .collect()
}

/// Loads, one statement per kind, the nested data the query selects for a page, so the cost
/// of a page does not depend on its size nor on how the field resolvers happen to be batched.
async fn prefetch(ctx: &Context<'_>, rows: &[&repair_orders::Model]) -> Result<(), ApiError> {
    let node = ctx.look_ahead().field("edges").field("node");
    let loader = loaders(ctx)?;
    let selected = |field: &str| !rows.is_empty() && node.field(field).exists();
    let users = async {
        let mut keys: Vec<UserKey> = Vec::new();
        if selected("customer") {
            keys.extend(rows.iter().map(|r| UserKey(r.customer_id)));
        }
        if selected("technician") {
            keys.extend(rows.iter().filter_map(|r| r.technician_id.map(UserKey)));
        }
        if !keys.is_empty() {
            loader.load_many(keys).await?;
        }
        Ok::<_, ApiError>(())
    };
    let assets = async {
        if selected("asset") {
            loader
                .load_many(rows.iter().map(|r| AssetKey(r.asset_id)))
                .await?;
        }
        Ok(())
    };
    let lines = async {
        if selected("lines") {
            loader
                .load_many(rows.iter().map(|r| RepairLinesKey(r.id)))
                .await?;
        }
        Ok(())
    };
    let events = async {
        if selected("events") {
            loader
                .load_many(rows.iter().map(|r| RepairEventsKey(r.id)))
                .await?;
        }
        Ok(())
    };
    let clocks = async {
        if selected("slaStatus") || selected("slaClocks") {
            loader
                .load_many(
                    rows.iter()
                        .map(|r| ClocksKey(TicketKind::RepairOrder, r.id)),
                )
                .await?;
        }
        Ok(())
    };
    tokio::try_join!(users, assets, lines, events, clocks)?;
    Ok(())
}

#[derive(Default)]
pub struct RepairQuery;

#[Object]
impl RepairQuery {
    /// One order by `id` or by `number` (`RO-…`), exactly one of them (`BAD_USER_INPUT`
    /// otherwise); `NOT_FOUND` when it does not exist or is not yours to see.
    async fn repair_order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's id; give this or `number`.")] id: Option<ID>,
        #[graphql(desc = "The human number, e.g. `RO-20261122-000123`.")] number: Option<String>,
    ) -> Result<RepairOrder> {
        let env = env(ctx)?;
        let key = match (id, number) {
            (Some(id), None) => key(&id, NodeType::RepairOrder)?,
            (None, Some(number)) => crate::store::repair_orders::find_by_number(env.db, &number)
                .await?
                .ok_or(ApiError::NotFound("repair order"))?,
            _ => {
                return Err(ApiError::bad_input("id", "give either id or number").into());
            }
        };
        let order = service::get(&env, key).await?;
        record_read(ctx, &[ctx.look_ahead()], false, &[order.customer_id]).await?;
        Ok(RepairOrder(order))
    }

    /// The service centre's orders (agents, supervisors) or the organization's (partners),
    /// newest first unless `orderBy` says otherwise.
    /// `FORBIDDEN` for other roles; `BAD_USER_INPUT` for a bad `first` or `after`.
    #[graphql(
        guard = "RoleGuard(&[Role::Agent, Role::Supervisor, Role::Partner])",
        complexity = "crate::graphql::pagination::page_cost(first, child_complexity)"
    )]
    async fn repair_orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only orders matching this filter.")] filter: Option<RepairOrderFilter>,
        #[graphql(
            desc = "Sort order; newest report first by default. A cursor belongs to the order it came from."
        )]
        order_by: Option<TicketOrder>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; omit for the first page.")]
        after: Option<String>,
    ) -> Result<RepairOrderConnection> {
        page(ctx, filter, order_by, first, after).await
    }

    /// A customer's own orders, or a technician's assigned ones, newest first unless `orderBy`
    /// says otherwise.
    /// `FORBIDDEN` for other roles; `BAD_USER_INPUT` for a bad `first` or `after`.
    #[graphql(
        guard = "RoleGuard(&[Role::Customer, Role::Technician])",
        complexity = "crate::graphql::pagination::page_cost(first, child_complexity)"
    )]
    async fn my_repair_orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only orders matching this filter.")] filter: Option<RepairOrderFilter>,
        #[graphql(
            desc = "Sort order; newest report first by default. A cursor belongs to the order it came from."
        )]
        order_by: Option<TicketOrder>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; omit for the first page.")]
        after: Option<String>,
    ) -> Result<RepairOrderConnection> {
        page(ctx, filter, order_by, first, after).await
    }

    /// A customer's registered products (customers: their own).
    /// Agents and supervisors give `customerId` (customers of their centre), partners too (their
    /// organization's); `NOT_FOUND` for a customer the caller cannot act for, `BAD_USER_INPUT`
    /// when they omit `customerId`, `FORBIDDEN` for technicians and admins.
    async fn assets(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer; omitted by customers (their own).")] customer_id: Option<
            ID,
        >,
    ) -> Result<Vec<Asset>> {
        let env = env(ctx)?;
        let customer_id = customer_id.map(|c| key(&c, NodeType::User)).transpose()?;
        let customer = asset_service::acting_for_customer(&env, customer_id).await?;
        let assets = crate::store::assets::of_customer(env.db, customer.id).await?;
        Ok(assets.into_iter().map(Asset::from).collect())
    }

    /// The product catalogue, by code: the models whose warranty length is known.
    /// Customers, agents, supervisors, admins and partners; `FORBIDDEN` for technicians.
    #[graphql(
        guard = "RoleGuard(&[Role::Customer, Role::Agent, Role::Supervisor, Role::Admin, Role::Partner])"
    )]
    async fn product_models(&self, ctx: &Context<'_>) -> Result<Vec<ProductModel>> {
        let env = env(ctx)?;
        let models = crate::store::product_models::all(env.db).await?;
        Ok(models.into_iter().map(ProductModel::from).collect())
    }
}

/// A product to register for a customer.
#[derive(InputObject)]
pub struct RegisterAssetInput {
    /// Required for staff and partners; customers register their own. Staff act for the
    /// customers of their own centre only.
    customer_id: Option<ID>,
    /// A `productModels` code (the warranty length comes from it), or the name of a model not
    /// listed.
    model: String,
    /// Unique per model.
    serial_number: String,
    /// Not in the future, at most 30 years ago.
    purchase_date: NaiveDate,
    /// Only for a model not listed: the last day covered, inclusive, at most 120 months after
    /// the purchase.
    warranty_ends_on: Option<NaiveDate>,
    /// Your own id for the asset, unique for you: registering again with it returns the first.
    external_reference: Option<String>,
}

/// A fault to report, or a return or exchange to ask for.
#[derive(InputObject)]
pub struct ReportFaultInput {
    /// Required for staff and partners; customers report for themselves.
    customer_id: Option<ID>,
    /// The customer's registered product (`registerAsset`).
    asset_id: ID,
    /// Staff report into their own centre; others default to the customer's.
    service_centre_id: Option<ID>,
    /// REPAIR by default; RETURN and EXCHANGE within the no-reason window (15 days after
    /// purchase by default) need no description (R-REP-4).
    #[graphql(default_with = "RequestType::Repair")]
    request_type: RequestType,
    /// The fault, or the reason for a return or exchange.
    fault_description: Option<String>,
    /// Where the technician goes (1–500 characters); masked for viewers who do not need it.
    service_address: String,
    /// The phone to reach the customer on for this order: digits, `+`, `-` and spaces, 5–20
    /// digits.
    contact_phone: String,
    /// NORMAL by default; URGENT selects the strictest limits (R-SLA-14).
    priority: Option<Priority>,
    /// Staff only: PHONE (default) or WALK_IN. Customers are APP, partners PARTNER.
    channel: Option<RepairChannel>,
    /// Your own id for the order (1–100 characters, e.g. a dealer's job number or the app's id
    /// for a queued report), unique for you (a partner: for the organization): reporting again
    /// with it returns the first order instead of a second.
    external_reference: Option<String>,
}

/// Parts or labour to record on an order.
#[derive(InputObject)]
pub struct RepairLineInput {
    /// Part or labour.
    kind: RepairLineKind,
    /// What was done or used (1–500 characters).
    description: String,
    /// The part's code, for a part.
    part_code: Option<String>,
    /// Quantity, a positive decimal string with at most 3 decimals.
    quantity: Decimal,
    /// Price per unit, a decimal string with at most 2 decimals, not negative.
    unit_price: Decimal,
}

/// What the technician found on site (R-REP-2).
#[derive(InputObject)]
pub struct DiagnosisInput {
    /// The findings (1–2,000 characters); public on the timeline.
    diagnosis: String,
    /// A quality fault (free in warranty) or one the customer caused (paid even in warranty,
    /// R-REP-1).
    cause: FaultCause,
    /// Why the fault is the customer's (1–1,000 characters); required for CUSTOMER_CAUSED and
    /// only then.
    cause_reason: Option<String>,
    /// The solution chosen.
    solution: RepairSolution,
}

#[derive(Default)]
pub struct RepairMutation;

#[Object]
impl RepairMutation {
    /// Registers a product with its warranty UNVERIFIED until staff check the proof of
    /// purchase (`verifyAssetWarranty`); `CONFLICT` when the serial number of the model is
    /// registered already.
    /// Customers register their own; agents and supervisors for customers of their centre,
    /// partners for their organization's (`customerId`). Errors: `NOT_FOUND` (a customer the caller
    /// cannot act for), `FORBIDDEN` (technicians, admins), `BAD_USER_INPUT` (dates out of range,
    /// `warrantyEndsOn` given for a listed model or missing for another).
    async fn register_asset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The product.")] input: RegisterAssetInput,
    ) -> Result<Asset> {
        let env = env(ctx)?;
        let asset = asset_service::register(
            &env,
            asset_service::RegisterAsset {
                customer_id: input
                    .customer_id
                    .map(|c| key(&c, NodeType::User))
                    .transpose()?,
                model: input.model,
                serial_number: input.serial_number,
                purchase_date: input.purchase_date,
                warranty_ends_on: input.warranty_ends_on,
                external_reference: input.external_reference,
            },
        )
        .await?;
        Ok(asset.into())
    }

    /// Agents and supervisors verify the warranty of a product of their centre's customer from
    /// its proof of purchase: the purchase date it shows and, for a model not listed, the
    /// warranty end (a listed model's comes from the catalogue). Repairs reported from then on
    /// are free in warranty (R-REP-1).
    /// Errors: `FORBIDDEN` (other roles), `NOT_FOUND` (an asset of another centre's customer),
    /// `BAD_USER_INPUT` (dates out of range, `warrantyEndsOn` given for a listed model or missing
    /// for another).
    #[graphql(guard = "RoleGuard(&[Role::Agent, Role::Supervisor])")]
    async fn verify_asset_warranty(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The asset to verify.")] asset_id: ID,
        #[graphql(desc = "The purchase date the proof shows.")] purchase_date: NaiveDate,
        #[graphql(desc = "For a model not listed: the last day covered, as the proof shows.")]
        warranty_ends_on: Option<NaiveDate>,
    ) -> Result<Asset> {
        let env = env(ctx)?;
        let asset = asset_service::verify_warranty(
            &env,
            key(&asset_id, NodeType::Asset)?,
            purchase_date,
            warranty_ends_on,
        )
        .await?;
        Ok(asset.into())
    }

    /// Adds a model to the product catalogue; `CONFLICT` when the code exists.
    /// Admins only (`FORBIDDEN` otherwise); `BAD_USER_INPUT` for an empty code or name or
    /// `warrantyMonths` outside 1–120.
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn create_product_model(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The model's code (1–64 characters, stored upper-cased).")] code: String,
        #[graphql(desc = "Display name (1–200 characters).")] name: String,
        #[graphql(desc = "Warranty length in months, 1–120.")] warranty_months: i32,
    ) -> Result<ProductModel> {
        let env = env(ctx)?;
        let code = required_text("code", &code, 64)?.to_uppercase();
        let name = required_text("name", &name, 200)?;
        repair::check_warranty_months(warranty_months)?;
        let created =
            crate::store::product_models::insert(env.db, code, name, warranty_months, env.now)
                .await?;
        Ok(created.into())
    }

    /// Renames a model or changes its warranty length for assets registered or verified from
    /// now on; assets already registered keep their warranty end.
    /// Admins only (`FORBIDDEN` otherwise); `NOT_FOUND` for an unknown model, `BAD_USER_INPUT` as
    /// for `createProductModel`.
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn update_product_model(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The model's id.")] id: ID,
        #[graphql(desc = "The new display name (1–200 characters).")] name: String,
        #[graphql(desc = "The new warranty length in months, 1–120.")] warranty_months: i32,
    ) -> Result<ProductModel> {
        let env = env(ctx)?;
        let model = crate::store::product_models::find(env.db, key(&id, NodeType::ProductModel)?)
            .await?
            .ok_or(ApiError::NotFound("product model"))?;
        let name = required_text("name", &name, 200)?;
        repair::check_warranty_months(warranty_months)?;
        let updated =
            crate::store::product_models::update(env.db, model, name, warranty_months, env.now)
                .await?;
        Ok(updated.into())
    }

    /// Customers (app), agents and supervisors (phone, walk-in) and partners (their
    /// organization's customers) report a fault.
    /// Starts the order's clocks: contact within 24 h (met at once by phone or walk-in; R-SLA-6)
    /// and arrival within 12 h in warranty or 48 h out (R-SLA-1/2), or the stricter tier for
    /// URGENT or a PREMIUM contract (R-SLA-14). Errors: `NOT_FOUND` (an asset or customer the
    /// caller cannot act for), `FORBIDDEN` (technicians, admins), `BAD_USER_INPUT` (invalid
    /// fields; a description missing where one is needed; another centre than the customer's).
    async fn report_fault(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The report.")] input: ReportFaultInput,
    ) -> Result<RepairOrder> {
        let env = env(ctx)?;
        let order = service::report_fault(
            &env,
            service::ReportFault {
                customer_id: input
                    .customer_id
                    .map(|c| key(&c, NodeType::User))
                    .transpose()?,
                asset_id: key(&input.asset_id, NodeType::Asset)?,
                service_centre_id: input
                    .service_centre_id
                    .map(|c| key(&c, NodeType::ServiceCentre))
                    .transpose()?,
                request_type: input.request_type,
                fault_description: input.fault_description,
                service_address: input.service_address,
                contact_phone: input.contact_phone,
                priority: input.priority,
                channel: input.channel,
                external_reference: input.external_reference,
            },
        )
        .await?;
        Ok(RepairOrder(order))
    }

    /// Agents and supervisors dispatch a technician of the order's centre. `note` is a public
    /// timeline entry that the customer and the partner read, unless `noteInternal` is true:
    /// then only staff (technicians, agents, supervisors) see it, and the customer's entry just
    /// names the technician.
    /// Also re-assigns an ASSIGNED or ACCEPTED order and sends a REOPENED one out again.
    /// Errors: `NOT_FOUND` (order not visible), `FORBIDDEN` (other roles), `CONFLICT` (stale
    /// `version`), `INVALID_TRANSITION`, `BAD_USER_INPUT` (not a technician of the centre).
    async fn assign_technician(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
        #[graphql(desc = "A technician of the order's centre.")] technician_id: ID,
        #[graphql(desc = "A note for the timeline (up to 2,000 characters).")] note: Option<String>,
        #[graphql(
            default = false,
            desc = "Keep `note` off the customer's and partner's timeline."
        )]
        note_internal: bool,
    ) -> Result<RepairOrder> {
        let env = env(ctx)?;
        let technician = key(&technician_id, NodeType::User)?;
        let order = service::assign_technician(
            &env,
            key(&id, NodeType::RepairOrder)?,
            version,
            technician,
            note,
            note_internal,
        )
        .await?;
        Ok(RepairOrder(order))
    }

    /// The assigned technician accepts an ASSIGNED order. Errors: `NOT_FOUND` (not theirs),
    /// `FORBIDDEN` (other roles), `CONFLICT` (stale `version`), `INVALID_TRANSITION`.
    async fn accept_repair(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
    ) -> Result<RepairOrder> {
        step(ctx, id, version, RepairAction::Accept, None).await
    }

    /// The assigned technician sets out to an ACCEPTED order (EN_ROUTE). Errors: `NOT_FOUND`,
    /// `FORBIDDEN`, `CONFLICT`, `INVALID_TRANSITION`.
    async fn start_travel(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
    ) -> Result<RepairOrder> {
        step(ctx, id, version, RepairAction::StartTravel, None).await
    }

    /// Arrival after the deadline records a breach (R-SLA-1/2).
    /// The assigned technician is on site (from EN_ROUTE): meets the arrival clock and the
    /// contact clock. Errors: `NOT_FOUND`, `FORBIDDEN`, `CONFLICT`, `INVALID_TRANSITION`.
    async fn mark_arrived(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
    ) -> Result<RepairOrder> {
        let env = env(ctx)?;
        Ok(RepairOrder(
            service::mark_arrived(&env, key(&id, NodeType::RepairOrder)?, version).await?,
        ))
    }

    /// The assigned technician records on site what they found, the fault's cause and the
    /// solution (R-REP-2). A fault the customer caused (with `causeReason`) is paid even within
    /// the warranty: the total is recomputed (R-REP-1). Recorded again, the latest counts.
    /// Errors: `NOT_FOUND`, `FORBIDDEN`, `CONFLICT`, `INVALID_TRANSITION` (not ON_SITE),
    /// `BAD_USER_INPUT` (every bad field at once).
    async fn diagnose_repair(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
        #[graphql(desc = "Findings, cause and solution.")] input: DiagnosisInput,
    ) -> Result<RepairOrder> {
        let env = env(ctx)?;
        let diagnosis = service::Diagnosis {
            findings: input.diagnosis,
            cause: input.cause,
            cause_reason: input.cause_reason,
            solution: input.solution,
        };
        Ok(RepairOrder(
            service::diagnose(&env, key(&id, NodeType::RepairOrder)?, version, diagnosis).await?,
        ))
    }

    /// R-REP-2: a return, exchange or refund ends with its outcome, not a completed repair. For
    /// an order the customer asked to return or exchange (before any diagnosis), or whose
    /// diagnosis chose RETURN, EXCHANGE or REFUND: the technician on the order, agents and
    /// supervisors record RETURNED, EXCHANGED or REFUNDED (matching the solution) from
    /// SUBMITTED to ON_SITE or REOPENED, and the order is CLOSED: its clocks are resolved, the
    /// survey is issued and the return visits are scheduled. Such orders take no repair lines
    /// and cannot be completed as a repair (`INVALID_TRANSITION`), and a repair has no return
    /// outcome. Errors: `NOT_FOUND`, `FORBIDDEN`, `CONFLICT`, `INVALID_TRANSITION`,
    /// `BAD_USER_INPUT` (`outcome` not fitting the solution, `note`).
    async fn record_return_outcome(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
        #[graphql(desc = "How it ended.")] outcome: ReturnOutcome,
        #[graphql(desc = "What was handed over or paid back (1–2,000 characters); public.")]
        note: String,
    ) -> Result<RepairOrder> {
        let env = env(ctx)?;
        Ok(RepairOrder(
            service::record_outcome(
                &env,
                key(&id, NodeType::RepairOrder)?,
                version,
                outcome,
                note,
            )
            .await?,
        ))
    }

    /// The assigned technician records parts or labour while ON_SITE; the total stays 0.00 in
    /// warranty unless the customer caused the fault (R-REP-1). Errors: `NOT_FOUND`, `FORBIDDEN`, `CONFLICT`, `INVALID_TRANSITION`,
    /// `BAD_USER_INPUT` (amounts out of range).
    async fn add_repair_line(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
        #[graphql(desc = "The part or labour.")] input: RepairLineInput,
    ) -> Result<RepairOrder> {
        let env = env(ctx)?;
        let line = service::NewLine {
            kind: input.kind,
            description: input.description,
            part_code: input.part_code,
            quantity: input.quantity,
            unit_price: input.unit_price,
        };
        Ok(RepairOrder(
            service::add_line(&env, key(&id, NodeType::RepairOrder)?, version, line).await?,
        ))
    }

    /// The assigned technician finishes an ON_SITE repair: meets the resolution clock and starts
    /// the customer's 3-day confirmation period (then confirmed for them, R-SUR-1). Errors:
    /// `NOT_FOUND`, `FORBIDDEN`, `CONFLICT`, `INVALID_TRANSITION`, `BAD_USER_INPUT`.
    async fn complete_repair(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
        #[graphql(desc = "What was done (1–4,000 characters); public on the timeline.")] work_done: String,
    ) -> Result<RepairOrder> {
        let env = env(ctx)?;
        Ok(RepairOrder(
            service::complete(&env, key(&id, NodeType::RepairOrder)?, version, work_done).await?,
        ))
    }

    /// The customer accepts the result.
    /// The order's customer, on a COMPLETED order; the satisfaction survey is issued (R-SUR-1).
    /// Errors: `NOT_FOUND`, `FORBIDDEN`, `CONFLICT`, `INVALID_TRANSITION`.
    async fn confirm_repair(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
    ) -> Result<RepairOrder> {
        step(ctx, id, version, RepairAction::Confirm, None).await
    }

    /// The customer rejects the result; the order is reopened for another visit.
    /// The order's customer, on a COMPLETED order; a new arrival cycle starts. Errors:
    /// `NOT_FOUND`, `FORBIDDEN`, `CONFLICT`, `INVALID_TRANSITION`, `BAD_USER_INPUT`.
    async fn reject_repair(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
        #[graphql(desc = "What is still wrong (1–2,000 characters).")] reason: String,
    ) -> Result<RepairOrder> {
        let env = env(ctx)?;
        Ok(RepairOrder(
            service::reject(&env, key(&id, NodeType::RepairOrder)?, version, reason).await?,
        ))
    }

    /// Cancels an order from SUBMITTED, ASSIGNED, ACCEPTED or a waiting state; the running clocks
    /// stop. The customer, agents and supervisors of its centre, or the partner. Errors:
    /// `NOT_FOUND`, `FORBIDDEN`, `CONFLICT`, `INVALID_TRANSITION`, `BAD_USER_INPUT`.
    async fn cancel_repair(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
        #[graphql(desc = "Why (1–2,000 characters).")] reason: String,
    ) -> Result<RepairOrder> {
        let env = env(ctx)?;
        Ok(RepairOrder(
            service::cancel(&env, key(&id, NodeType::RepairOrder)?, version, reason).await?,
        ))
    }

    /// Agents and supervisors close a confirmed order, or one whose customer cannot be reached
    /// (WAITING_FOR_CUSTOMER), which needs a `reason`.
    /// Return visits are scheduled (R-SLA-7/8). Errors: `NOT_FOUND`, `FORBIDDEN`, `CONFLICT`,
    /// `INVALID_TRANSITION`, `BAD_USER_INPUT` (no reason for an unreachable customer's order).
    async fn close_repair(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
        #[graphql(desc = "Why (up to 2,000 characters); required from WAITING_FOR_CUSTOMER.")]
        reason: Option<String>,
    ) -> Result<RepairOrder> {
        step(ctx, id, version, RepairAction::Close, reason).await
    }

    /// The customer cannot be reached (with the reason, kept internal): WAITING_FOR_CUSTOMER.
    /// The contact and resolution clocks pause; the arrival clock does not.
    /// The assigned technician, agents and supervisors. Errors: `NOT_FOUND`, `FORBIDDEN`,
    /// `CONFLICT`, `INVALID_TRANSITION`, `BAD_USER_INPUT`.
    async fn mark_customer_unreachable(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
        #[graphql(desc = "Why (1–2,000 characters); staff only.")] reason: String,
    ) -> Result<RepairOrder> {
        start_wait(ctx, id, version, service::Wait::Customer { reason }).await
    }

    /// The customer was reached: back to the status the order waited in.
    /// The paused clocks run again. The assigned technician, agents and supervisors. Errors:
    /// `NOT_FOUND`, `FORBIDDEN`, `CONFLICT`, `INVALID_TRANSITION` (not WAITING_FOR_CUSTOMER).
    async fn mark_customer_reached(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
        #[graphql(desc = "A note for the timeline (up to 2,000 characters).")] note: Option<String>,
    ) -> Result<RepairOrder> {
        end_wait(ctx, id, version, RepairAction::CustomerReached, note).await
    }

    /// Books the visit window. A customer's window after the arrival limit moves the limit to
    /// the window's end; staff set `customerRequested` when booking the customer's wish.
    /// Booking a visit is the contact (R-SLA-6). The customer, agents and supervisors, before the
    /// technician sets out. Errors: `NOT_FOUND`, `FORBIDDEN`, `CONFLICT`, `INVALID_TRANSITION`,
    /// `BAD_USER_INPUT` (a window that ends before it starts or has started).
    async fn schedule_appointment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's id.")] id: ID,
        #[graphql(desc = "The `version` you last read (stale: `CONFLICT`).")] version: i32,
        #[graphql(desc = "Start of the window (RFC 3339); not in the past.")] start: DateTime<Utc>,
        #[graphql(desc = "End of the window (RFC 3339); after `start`.")] end: DateTime<Utc>,
        #[graphql(
            default = false,
            desc = "Staff: the customer chose this window (then it may move the arrival limit)."
        )]
        customer_requested: bool,
    ) -> Result<RepairOrder> {
        let env = env(ctx)?;
        let order = service::schedule_appointment(
            &env,
            key(&id, NodeType::RepairOrder)?,
            version,
            (start, end),
            customer_requested,
        )
        .await?;
        Ok(RepairOrder(order))
    }

    /// Staff note on the timeline; `public: false` keeps it from customers and partners.
    /// Technicians (their orders), agents and supervisors, on an order not CLOSED; a public note
    /// is the contact (R-SLA-6). No `version`: notes never conflict. Errors: `NOT_FOUND`,
    /// `FORBIDDEN`, `INVALID_TRANSITION`, `BAD_USER_INPUT`.
    async fn add_repair_note(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's id.")] id: ID,
        #[graphql(desc = "The note (1–4,000 characters).")] note: String,
        #[graphql(desc = "Whether customers and partners read it.")] public: bool,
    ) -> Result<RepairOrder> {
        let env = env(ctx)?;
        Ok(RepairOrder(
            service::add_note(&env, key(&id, NodeType::RepairOrder)?, note, public).await?,
        ))
    }
}

#[derive(Default)]
pub struct CustomerNoteMutation;

#[Object]
impl CustomerNoteMutation {
    /// The customer adds a public note to their own open order, e.g. a gate code or a better
    /// time to call (1–1,000 characters): a `CUSTOMER_NOTE` timeline entry that the
    /// technician, staff and the partner read. The order's customer only: `NOT_FOUND` for an
    /// order the caller cannot see, `FORBIDDEN` for anyone else who can; `INVALID_TRANSITION` once the order is CLOSED or
    /// CANCELLED; `CONFLICT` (with `extensions.currentVersion`) when `version` is given and
    /// stale.
    async fn add_customer_note(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Your order's id.")] id: ID,
        #[graphql(desc = "The `version` you last read; when given, a stale one is a `CONFLICT`.")]
        version: Option<i32>,
        #[graphql(desc = "The note, shown to everyone on the order (e.g. a gate code).")]
        note: String,
    ) -> Result<RepairOrder> {
        let env = env(ctx)?;
        Ok(RepairOrder(
            service::add_customer_note(&env, key(&id, NodeType::RepairOrder)?, version, note)
                .await?,
        ))
    }
}

async fn start_wait(
    ctx: &Context<'_>,
    id: ID,
    version: i32,
    wait: service::Wait,
) -> Result<RepairOrder> {
    let env = env(ctx)?;
    Ok(RepairOrder(
        service::wait(&env, key(&id, NodeType::RepairOrder)?, version, wait).await?,
    ))
}

async fn end_wait(
    ctx: &Context<'_>,
    id: ID,
    version: i32,
    action: RepairAction,
    note: Option<String>,
) -> Result<RepairOrder> {
    let env = env(ctx)?;
    Ok(RepairOrder(
        service::end_wait(
            &env,
            key(&id, NodeType::RepairOrder)?,
            version,
            action,
            note,
        )
        .await?,
    ))
}

async fn step(
    ctx: &Context<'_>,
    id: ID,
    version: i32,
    action: RepairAction,
    note: Option<String>,
) -> Result<RepairOrder> {
    let env = env(ctx)?;
    Ok(RepairOrder(
        service::advance(
            &env,
            key(&id, NodeType::RepairOrder)?,
            version,
            action,
            note,
        )
        .await?,
    ))
}
