//! Repair orders over GraphQL: thin resolvers over `services::repair_orders`.

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::repair_lines::{self, RepairLineKind};
use entity::repair_orders::{self, Priority, RepairChannel, RepairStatus, RequestType};
use entity::sla_policies::SlaMetric;
use entity::ticket_events::TicketKind;
use entity::users::Role;
use entity::{assets, product_models, ticket_events};
use rust_decimal::Decimal;

use super::loaders::{AssetKey, ClocksKey, RepairEventsKey, RepairLinesKey, UserKey, loaders};
use super::pagination::{KeysetConnection, PageRequest, TicketOrder};
use super::scalars::{id, key};
use super::{RoleGuard, env, principal};
use crate::domain::masking::{mask_address, mask_name, mask_phone};
use crate::domain::money::money;
use crate::domain::repair::{self, OrderParties, RepairAction};
use crate::domain::sla::transitions;
use crate::error::ApiError;
use crate::services::{assets as asset_service, repair_orders as service, required_text};
use crate::store::repair_orders::ListFilter;

pub struct RepairOrder(pub repair_orders::Model);

#[derive(SimpleObject)]
pub struct AppointmentWindow {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

/// The customer as the viewer may see them (R-PRV-2).
#[derive(SimpleObject)]
pub struct CustomerContact {
    id: ID,
    name: String,
    phone: Option<String>,
    masked: bool,
}

/// The assigned technician; customers and partners get a masked phone (R-PRV-2).
#[derive(SimpleObject)]
pub struct TechnicianContact {
    id: ID,
    name: String,
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

#[derive(SimpleObject)]
pub struct Asset {
    id: ID,
    customer_id: ID,
    /// The catalogue code when the model is listed.
    model: String,
    /// The product model the warranty length comes from; null when not listed.
    product_model_id: Option<ID>,
    serial_number: String,
    purchase_date: NaiveDate,
    /// Last day covered, inclusive; it counts only once `warrantyStatus` is VERIFIED.
    warranty_ends_on: NaiveDate,
    warranty_status: WarrantyStatus,
    /// The registering client's own id for it.
    external_reference: Option<String>,
}

impl From<assets::Model> for Asset {
    fn from(asset: assets::Model) -> Self {
        Self {
            id: id(asset.id),
            customer_id: id(asset.customer_id),
            model: asset.model,
            product_model_id: asset.product_model_id.map(id),
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
    id: ID,
    /// Upper-cased; what `registerAsset(model:)` takes.
    code: String,
    name: String,
    warranty_months: i32,
    updated_at: DateTime<Utc>,
}

impl From<product_models::Model> for ProductModel {
    fn from(model: product_models::Model) -> Self {
        Self {
            id: id(model.id),
            code: model.code,
            name: model.name,
            warranty_months: model.warranty_months,
            updated_at: model.updated_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct RepairLine {
    id: ID,
    kind: RepairLineKind,
    description: String,
    part_code: Option<String>,
    quantity: Decimal,
    unit_price: Decimal,
    amount: Decimal,
    created_at: DateTime<Utc>,
}

impl From<repair_lines::Model> for RepairLine {
    fn from(line: repair_lines::Model) -> Self {
        Self {
            id: id(line.id),
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
    id: ID,
    /// e.g. `REPORTED`, `ASSIGNED`, `ESCALATED`, `SURVEY_ISSUED`; `SLA_*` for the clocks'
    /// own entries (staff only).
    action: String,
    from_status: Option<String>,
    to_status: Option<String>,
    note: Option<String>,
    /// The actor's role then, or `SYSTEM`.
    actor_role: String,
    /// Shown to customers and partners; staff also see internal entries.
    public: bool,
    created_at: DateTime<Utc>,
}

impl From<ticket_events::Model> for TimelineEvent {
    fn from(event: ticket_events::Model) -> Self {
        Self {
            id: id(event.id),
            action: event.action,
            from_status: event.from_status,
            to_status: event.to_status,
            note: event.note,
            actor_role: event.actor_role,
            public: event.public,
            created_at: event.created_at,
        }
    }
}

#[Object]
impl RepairOrder {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// Human-readable number, e.g. `RO-20261122-000123`.
    async fn number(&self) -> &str {
        &self.0.number
    }
    /// The reporting client's own id for the order (`ReportFaultInput.externalReference`).
    async fn external_reference(&self) -> Option<&str> {
        self.0.external_reference.as_deref()
    }
    async fn status(&self) -> RepairStatus {
        self.0.status
    }
    async fn priority(&self) -> Priority {
        self.0.priority
    }
    async fn channel(&self) -> RepairChannel {
        self.0.channel
    }
    async fn request_type(&self) -> RequestType {
        self.0.request_type
    }
    async fn fault_description(&self) -> &str {
        &self.0.fault_description
    }
    async fn service_centre_id(&self) -> ID {
        id(self.0.service_centre_id)
    }
    /// Masked unless the viewer needs it (R-PRV-2).
    async fn service_address(&self, ctx: &Context<'_>) -> String {
        if self.shows_contact(ctx) {
            self.0.service_address.clone()
        } else {
            mask_address(&self.0.service_address)
        }
    }
    /// Masked unless the viewer needs it (R-PRV-2).
    async fn contact_phone(&self, ctx: &Context<'_>) -> String {
        if self.shows_contact(ctx) {
            self.0.contact_phone.clone()
        } else {
            mask_phone(&self.0.contact_phone)
        }
    }
    /// The asset's verified warranty covered the day of the report: the repair is free
    /// (R-REP-1). An unverified warranty never counts here.
    async fn in_warranty(&self) -> bool {
        self.0.in_warranty
    }
    async fn reported_at(&self) -> DateTime<Utc> {
        self.0.reported_at
    }
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
    async fn arrived_at(&self) -> Option<DateTime<Utc>> {
        self.0.arrived_at
    }
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }
    async fn cancel_reason(&self) -> Option<&str> {
        self.0.cancel_reason.as_deref()
    }
    /// What the customer pays: zero in warranty (R-REP-1).
    async fn total_amount(&self) -> Decimal {
        money(self.0.total_amount)
    }
    /// Pass it back with every change; a stale one is a `CONFLICT`.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    async fn customer(&self, ctx: &Context<'_>) -> Result<CustomerContact> {
        let customer = load_user(ctx, self.0.customer_id).await?;
        let shown = self.shows_contact(ctx);
        Ok(CustomerContact {
            id: id(customer.id),
            name: if shown {
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

    async fn technician(&self, ctx: &Context<'_>) -> Result<Option<TechnicianContact>> {
        let Some(technician_id) = self.0.technician_id else {
            return Ok(None);
        };
        let technician = load_user(ctx, technician_id).await?;
        let full = repair::sees_technician_phone(principal(ctx));
        Ok(Some(TechnicianContact {
            id: id(technician.id),
            name: technician.name.clone(),
            phone: technician
                .phone
                .as_deref()
                .map(|p| if full { p.to_owned() } else { mask_phone(p) }),
        }))
    }

    async fn asset(&self, ctx: &Context<'_>) -> Result<Asset> {
        let loader = loaders(ctx)?;
        let asset = loader
            .load_one(AssetKey(self.0.asset_id))
            .await?
            .ok_or_else(|| ApiError::Internal(format!("asset {} missing", self.0.asset_id)))?;
        Ok(Asset::from(assets::Model::clone(&asset)))
    }

    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<RepairLine>> {
        let loader = loaders(ctx)?;
        let lines = loader
            .load_one(RepairLinesKey(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(lines.iter().cloned().map(RepairLine::from).collect())
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

    /// The timeline, oldest first; `last` keeps only the newest entries. Internal entries are
    /// left out for customers and partners; the clocks' own entries (`SLA_STARTED`,
    /// `SLA_PAUSED`, `SLA_MET`, …, staff only) only with `sla: true`.
    async fn events(
        &self,
        ctx: &Context<'_>,
        last: Option<usize>,
        #[graphql(default = false)] sla: bool,
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
    fn shows_contact(&self, ctx: &Context<'_>) -> bool {
        repair::sees_customer_contact(principal(ctx), &OrderParties::from(&self.0), self.0.status)
    }
}

async fn load_user(ctx: &Context<'_>, user_id: i64) -> Result<Arc<entity::users::Model>> {
    let loader = loaders(ctx)?;
    Ok(loader
        .load_one(UserKey(user_id))
        .await?
        .ok_or_else(|| ApiError::Internal(format!("user {user_id} missing")))?)
}

pub type RepairOrderConnection = KeysetConnection<RepairOrder>;

#[derive(InputObject, Default)]
pub struct RepairOrderFilter {
    status: Option<Vec<RepairStatus>>,
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
            .map(|t| key(&t, "technician"))
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
    Ok(connection)
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
    /// One order; `NOT_FOUND` when it does not exist or is not yours to see.
    async fn repair_order(&self, ctx: &Context<'_>, id: ID) -> Result<RepairOrder> {
        let env = env(ctx)?;
        Ok(RepairOrder(
            service::get(&env, key(&id, "repair order")?).await?,
        ))
    }

    /// The service centre's orders (agents, supervisors) or the organization's (partners),
    /// newest first unless `orderBy` says otherwise.
    #[graphql(
        guard = "RoleGuard(&[Role::Agent, Role::Supervisor, Role::Partner])",
        complexity = "crate::graphql::pagination::page_cost(first, child_complexity)"
    )]
    async fn repair_orders(
        &self,
        ctx: &Context<'_>,
        filter: Option<RepairOrderFilter>,
        order_by: Option<TicketOrder>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<RepairOrderConnection> {
        page(ctx, filter, order_by, first, after).await
    }

    /// A customer's own orders, or a technician's assigned ones, newest first unless `orderBy`
    /// says otherwise.
    #[graphql(
        guard = "RoleGuard(&[Role::Customer, Role::Technician])",
        complexity = "crate::graphql::pagination::page_cost(first, child_complexity)"
    )]
    async fn my_repair_orders(
        &self,
        ctx: &Context<'_>,
        filter: Option<RepairOrderFilter>,
        order_by: Option<TicketOrder>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<RepairOrderConnection> {
        page(ctx, filter, order_by, first, after).await
    }

    /// A customer's registered products (customers: their own).
    async fn assets(&self, ctx: &Context<'_>, customer_id: Option<ID>) -> Result<Vec<Asset>> {
        let env = env(ctx)?;
        let customer_id = customer_id.map(|c| key(&c, "customer")).transpose()?;
        let customer = asset_service::acting_for_customer(&env, customer_id).await?;
        let assets = crate::store::assets::of_customer(env.db, customer.id).await?;
        Ok(assets.into_iter().map(Asset::from).collect())
    }

    /// The product catalogue, by code: the models whose warranty length is known.
    #[graphql(
        guard = "RoleGuard(&[Role::Customer, Role::Agent, Role::Supervisor, Role::Admin, Role::Partner])"
    )]
    async fn product_models(&self, ctx: &Context<'_>) -> Result<Vec<ProductModel>> {
        let env = env(ctx)?;
        let models = crate::store::product_models::all(env.db).await?;
        Ok(models.into_iter().map(ProductModel::from).collect())
    }
}

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

#[derive(InputObject)]
pub struct ReportFaultInput {
    /// Required for staff and partners; customers report for themselves.
    customer_id: Option<ID>,
    asset_id: ID,
    /// Staff report into their own centre; others default to the customer's.
    service_centre_id: Option<ID>,
    /// REPAIR by default; RETURN and EXCHANGE within the no-reason window (15 days after
    /// purchase by default) need no description (R-REP-4).
    #[graphql(default_with = "RequestType::Repair")]
    request_type: RequestType,
    /// The fault, or the reason for a return or exchange.
    fault_description: Option<String>,
    service_address: String,
    contact_phone: String,
    priority: Option<Priority>,
    /// Staff only: PHONE (default) or WALK_IN. Customers are APP, partners PARTNER.
    channel: Option<RepairChannel>,
    /// Your own id for the order (1–100 characters, e.g. a dealer's job number or the app's id
    /// for a queued report), unique for you (a partner: for the organization): reporting again
    /// with it returns the first order instead of a second.
    external_reference: Option<String>,
}

/// R-REP-5: what the repair waits for.
#[derive(InputObject)]
pub struct PartsRequestInput {
    part_code: String,
    part_name: String,
    #[graphql(default_with = "Priority::Normal")]
    urgency: Priority,
}

#[derive(InputObject)]
pub struct RepairLineInput {
    kind: RepairLineKind,
    description: String,
    part_code: Option<String>,
    quantity: Decimal,
    unit_price: Decimal,
}

#[derive(Default)]
pub struct RepairMutation;

#[Object]
impl RepairMutation {
    /// Registers a product with its warranty UNVERIFIED until staff check the proof of
    /// purchase (`verifyAssetWarranty`); `CONFLICT` when the serial number of the model is
    /// registered already.
    async fn register_asset(&self, ctx: &Context<'_>, input: RegisterAssetInput) -> Result<Asset> {
        let env = env(ctx)?;
        let asset = asset_service::register(
            &env,
            asset_service::RegisterAsset {
                customer_id: input.customer_id.map(|c| key(&c, "customer")).transpose()?,
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
    #[graphql(guard = "RoleGuard(&[Role::Agent, Role::Supervisor])")]
    async fn verify_asset_warranty(
        &self,
        ctx: &Context<'_>,
        asset_id: ID,
        purchase_date: NaiveDate,
        warranty_ends_on: Option<NaiveDate>,
    ) -> Result<Asset> {
        let env = env(ctx)?;
        let asset = asset_service::verify_warranty(
            &env,
            key(&asset_id, "asset")?,
            purchase_date,
            warranty_ends_on,
        )
        .await?;
        Ok(asset.into())
    }

    /// Adds a model to the product catalogue; `CONFLICT` when the code exists.
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn create_product_model(
        &self,
        ctx: &Context<'_>,
        code: String,
        name: String,
        warranty_months: i32,
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
    #[graphql(guard = "RoleGuard(&[Role::Admin])")]
    async fn update_product_model(
        &self,
        ctx: &Context<'_>,
        id: ID,
        name: String,
        warranty_months: i32,
    ) -> Result<ProductModel> {
        let env = env(ctx)?;
        let model = crate::store::product_models::find(env.db, key(&id, "product model")?)
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
    async fn report_fault(
        &self,
        ctx: &Context<'_>,
        input: ReportFaultInput,
    ) -> Result<RepairOrder> {
        let env = env(ctx)?;
        let order = service::report_fault(
            &env,
            service::ReportFault {
                customer_id: input.customer_id.map(|c| key(&c, "customer")).transpose()?,
                asset_id: key(&input.asset_id, "asset")?,
                service_centre_id: input
                    .service_centre_id
                    .map(|c| key(&c, "service centre"))
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
    async fn assign_technician(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        technician_id: ID,
        note: Option<String>,
        #[graphql(default = false)] note_internal: bool,
    ) -> Result<RepairOrder> {
        let env = env(ctx)?;
        let technician = key(&technician_id, "technician")?;
        let order = service::assign_technician(
            &env,
            key(&id, "repair order")?,
            version,
            technician,
            note,
            note_internal,
        )
        .await?;
        Ok(RepairOrder(order))
    }

    async fn accept_repair(&self, ctx: &Context<'_>, id: ID, version: i32) -> Result<RepairOrder> {
        step(ctx, id, version, RepairAction::Accept, None).await
    }

    async fn start_travel(&self, ctx: &Context<'_>, id: ID, version: i32) -> Result<RepairOrder> {
        step(ctx, id, version, RepairAction::StartTravel, None).await
    }

    /// Arrival after the deadline records a breach (R-SLA-1/2).
    async fn mark_arrived(&self, ctx: &Context<'_>, id: ID, version: i32) -> Result<RepairOrder> {
        let env = env(ctx)?;
        Ok(RepairOrder(
            service::mark_arrived(&env, key(&id, "repair order")?, version).await?,
        ))
    }

    async fn add_repair_line(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        input: RepairLineInput,
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
            service::add_line(&env, key(&id, "repair order")?, version, line).await?,
        ))
    }

    async fn complete_repair(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        work_done: String,
    ) -> Result<RepairOrder> {
        let env = env(ctx)?;
        Ok(RepairOrder(
            service::complete(&env, key(&id, "repair order")?, version, work_done).await?,
        ))
    }

    /// The customer accepts the result.
    async fn confirm_repair(&self, ctx: &Context<'_>, id: ID, version: i32) -> Result<RepairOrder> {
        step(ctx, id, version, RepairAction::Confirm, None).await
    }

    /// The customer rejects the result; the order is reopened for another visit.
    async fn reject_repair(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        reason: String,
    ) -> Result<RepairOrder> {
        let env = env(ctx)?;
        Ok(RepairOrder(
            service::reject(&env, key(&id, "repair order")?, version, reason).await?,
        ))
    }

    async fn cancel_repair(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        reason: String,
    ) -> Result<RepairOrder> {
        let env = env(ctx)?;
        Ok(RepairOrder(
            service::cancel(&env, key(&id, "repair order")?, version, reason).await?,
        ))
    }

    /// Agents and supervisors close a confirmed order, or one whose customer cannot be reached
    /// (WAITING_FOR_CUSTOMER), which needs a `reason`.
    async fn close_repair(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        reason: Option<String>,
    ) -> Result<RepairOrder> {
        step(ctx, id, version, RepairAction::Close, reason).await
    }

    /// R-REP-5: the repair needs parts (technician, agent, supervisor). The order waits in
    /// WAITING_FOR_PARTS, its arrival and resolution clocks paused; the customer reads
    /// "waiting for parts".
    async fn enter_waiting_for_parts(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        parts: PartsRequestInput,
    ) -> Result<RepairOrder> {
        let wait = service::Wait::Parts {
            part_code: parts.part_code,
            part_name: parts.part_name,
            urgency: parts.urgency,
        };
        start_wait(ctx, id, version, wait).await
    }

    /// The parts are here: back to the status the order waited in; the paused clocks run again
    /// with their deadlines moved on by the wait.
    async fn parts_arrived(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        note: Option<String>,
    ) -> Result<RepairOrder> {
        end_wait(ctx, id, version, RepairAction::PartsArrived, note).await
    }

    /// The customer cannot be reached (with the reason, kept internal): WAITING_FOR_CUSTOMER.
    /// The contact and resolution clocks pause; the arrival clock does not.
    async fn mark_customer_unreachable(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        reason: String,
    ) -> Result<RepairOrder> {
        start_wait(ctx, id, version, service::Wait::Customer { reason }).await
    }

    /// The customer was reached: back to the status the order waited in.
    async fn mark_customer_reached(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        note: Option<String>,
    ) -> Result<RepairOrder> {
        end_wait(ctx, id, version, RepairAction::CustomerReached, note).await
    }

    /// Books the visit window. A customer's window after the arrival limit moves the limit to
    /// the window's end; staff set `customerRequested` when booking the customer's wish.
    async fn schedule_appointment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        #[graphql(default = false)] customer_requested: bool,
    ) -> Result<RepairOrder> {
        let env = env(ctx)?;
        let order = service::schedule_appointment(
            &env,
            key(&id, "repair order")?,
            version,
            (start, end),
            customer_requested,
        )
        .await?;
        Ok(RepairOrder(order))
    }

    /// Staff note on the timeline; `public: false` keeps it from customers and partners.
    async fn add_repair_note(
        &self,
        ctx: &Context<'_>,
        id: ID,
        note: String,
        public: bool,
    ) -> Result<RepairOrder> {
        let env = env(ctx)?;
        Ok(RepairOrder(
            service::add_note(&env, key(&id, "repair order")?, note, public).await?,
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
        service::wait(&env, key(&id, "repair order")?, version, wait).await?,
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
        service::end_wait(&env, key(&id, "repair order")?, version, action, note).await?,
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
        service::advance(&env, key(&id, "repair order")?, version, action, note).await?,
    ))
}
