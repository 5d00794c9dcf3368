//! Relay Global Object Identification: the `Node` interface and `node(id)` / `nodes(ids)`.
//! Each id's type tag picks the same loader and visibility rule its typed query uses, so a
//! record the caller cannot see through `repairOrder(id)` is `NOT_FOUND` here too.

use async_graphql::{Context, ID, Interface, Object, Result};
use entity::ticket_events::TicketKind;
use entity::users::Role;
use entity::{api_keys, escalations, organizations, repair_lines, sla_clocks, ticket_events};

use super::attachments::Attachment;
use super::complaint::{Complaint, ComplaintTracking, Escalation};
use super::identity::{ApiKey, Organization, ServiceCentre, User};
use super::inquiry::Inquiry;
use super::loaders::{AssetKey, ComplaintKey, RepairOrderKey, UserKey, loaders};
use super::parts::PartsRequest;
use super::repair::{Asset, ProductModel, RepairLine, RepairOrder, TimelineEvent};
use super::sla::{SlaClock, sees_all_clocks};
use super::survey::{ReturnVisit, Survey};
use super::warranty_visits::WarrantyVisit;
use super::webhooks::{WebhookEndpoint, WebhookMessage};
use super::{env, principal, services};
use crate::domain::global_id::{NodeType, decode};
use crate::domain::identity::Principal;
use crate::domain::sla::transitions;
use crate::domain::{complaint, inquiry, repair, return_visit};
use crate::error::{ApiError, ApiResult};
use crate::services::attachments::Viewed;
use crate::services::{Env, assets as asset_service, surveys, webhooks};
use crate::store;

/// An object with an opaque global id that `node(id:)` fetches again. Ids are type-tagged:
/// one names exactly one record of one type, and an id given where another type is expected
/// names nothing (`NOT_FOUND`). Keep ids as the API hands them out; do not parse them.
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "Opaque global id: pass it to `node(id:)` or to any argument expecting this type."
))]
pub enum Node {
    RepairOrder(RepairOrder),
    /// Staff and partners get the complaint itself.
    Complaint(Complaint),
    /// Customers get a complaint as `ComplaintTracking` (same id).
    ComplaintTracking(ComplaintTracking),
    Asset(Asset),
    ProductModel(ProductModel),
    User(User),
    ServiceCentre(ServiceCentre),
    Survey(Survey),
    ReturnVisit(ReturnVisit),
    WebhookEndpoint(WebhookEndpoint),
    WebhookMessage(WebhookMessage),
    /// Readable by whoever sees its repair order.
    RepairLine(RepairLine),
    /// Readable by whoever sees its ticket; internal entries by staff only.
    TimelineEvent(TimelineEvent),
    /// Readable by whoever sees its ticket; customers and partners only the clocks that
    /// promise them something.
    SlaClock(SlaClock),
    /// Staff who see its ticket.
    Escalation(Escalation),
    /// Whoever sees its ticket; a pending upload only its uploader.
    Attachment(Attachment),
    /// Admins, and the organization's own partner keys.
    Organization(Organization),
    /// Admins.
    ApiKey(ApiKey),
    /// Whoever sees the inquiry (R-SLA-11).
    Inquiry(Inquiry),
    /// Readable by whoever sees its repair order (R-REP-5).
    PartsRequest(PartsRequest),
    /// Agents and supervisors of the customer's centre (R-SLA-13).
    WarrantyVisit(WarrantyVisit),
}

/// Most ids one `nodes` call takes (`GRAPHQL_MAX_NODE_IDS`).
#[derive(Clone, Copy)]
pub struct MaxNodeIds(pub usize);

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its global id, for anyone who may read it through its typed query
    /// (`repairOrder(id:)`, `webhookEndpoint(id:)`, …). `NOT_FOUND` when the id is malformed,
    /// does not exist, or names a record the caller may not see; anonymous callers may read
    /// service centres only.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id as any `id` field returns it.")] id: ID,
    ) -> Result<Node> {
        let env = env(ctx)?;
        let node = resolve(ctx, &env, &id).await?;
        record_order_reads(ctx, [&node], false).await?;
        Ok(node)
    }

    /// Several objects by global id, in the order asked; each entry is null when `node` would
    /// say `NOT_FOUND` for that id. At most `GRAPHQL_MAX_NODE_IDS` ids (default 100;
    /// `BAD_USER_INPUT` beyond). Tickets, users and assets are fetched in one query per kind.
    #[graphql(complexity = "ids.len() * child_complexity")]
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ids, any mix of types.")] ids: Vec<ID>,
    ) -> Result<Vec<Option<Node>>> {
        let max = ctx.data_opt::<MaxNodeIds>().map_or(100, |m| m.0);
        if ids.len() > max {
            return Err(
                ApiError::bad_input("ids", format!("at most {max} ids in one call")).into(),
            );
        }
        let env = env(ctx)?;
        let resolved =
            futures_util::future::join_all(ids.iter().map(|id| resolve(ctx, &env, id))).await;
        let nodes = resolved
            .into_iter()
            .map(|node| match node {
                Ok(node) => Ok(Some(node)),
                Err(ApiError::NotFound(_)) => Ok(None),
                Err(other) => Err(other),
            })
            .collect::<ApiResult<Vec<_>>>()?;
        record_order_reads(ctx, nodes.iter().flatten(), true).await?;
        Ok(nodes)
    }
}

/// One audit entry for the repair orders among `nodes` (R-PRV-3): their customers' data is
/// read by id as it is in a page.
async fn record_order_reads<'a>(
    ctx: &Context<'_>,
    nodes: impl IntoIterator<Item = &'a Node>,
    in_list: bool,
) -> ApiResult<()> {
    let people: Vec<i64> = nodes
        .into_iter()
        .filter_map(|node| match node {
            Node::RepairOrder(order) => Some(order.0.customer_id),
            _ => None,
        })
        .collect();
    super::repair::record_read(ctx, &[ctx.look_ahead()], in_list, &people).await
}

/// The object `id` names, if the caller may see it. Every refusal reads `NOT_FOUND` (an id
/// never tells whether the record exists); an outage stays an outage.
async fn resolve(ctx: &Context<'_>, env: &Env<'_>, id: &ID) -> ApiResult<Node> {
    let (node, key) = decode(id).ok_or(ApiError::NotFound("node"))?;
    let not_found = ApiError::NotFound(node.what());
    let hidden = |err: ApiError| match err {
        ApiError::Unavailable(_) | ApiError::Internal(_) => err,
        _ => ApiError::NotFound(node.what()),
    };
    let actor = principal(ctx);
    let role = actor.role();
    let loader = loaders(ctx)?;
    let found: Option<Node> = match node {
        NodeType::RepairOrder => loader
            .load_one(RepairOrderKey(key))
            .await?
            .filter(|o| repair::can_view(actor, &repair::OrderParties::from(&**o)))
            .map(|o| RepairOrder((*o).clone()).into()),
        NodeType::Complaint => loader
            .load_one(ComplaintKey(key))
            .await?
            .filter(|c| complaint::can_view(actor, &complaint::ComplaintParties::from(&**c)))
            .map(|c| {
                let model = (*c).clone();
                if role == Some(Role::Customer) {
                    ComplaintTracking(model).into()
                } else {
                    Complaint(model).into()
                }
            }),
        NodeType::Asset => {
            let Some(asset) = loader.load_one(AssetKey(key)).await? else {
                return Err(not_found);
            };
            asset_service::acting_for_customer(env, Some(asset.customer_id))
                .await
                .map_err(hidden)?;
            Some(Asset::from((*asset).clone()).into())
        }
        NodeType::ProductModel => {
            actor
                .require(&[
                    Role::Customer,
                    Role::Agent,
                    Role::Supervisor,
                    Role::Admin,
                    Role::Partner,
                ])
                .map_err(hidden)?;
            store::product_models::find(env.db, key)
                .await?
                .map(|m| ProductModel::from(m).into())
        }
        NodeType::User => loader
            .load_one(UserKey(key))
            .await?
            .filter(|u| super::identity::may_read_user(actor, u))
            .map(|u| User((*u).clone()).into()),
        NodeType::ServiceCentre => store::directory::get_service_centre(env.db, key)
            .await
            .map_err(hidden)
            .map(|c| Some(ServiceCentre::from(c).into()))?,
        NodeType::Survey => store::surveys::find(env.db, key)
            .await?
            .filter(|s| surveys::can_view(actor, s))
            .map(|s| Survey::new(s, env.now).into()),
        NodeType::Inquiry => store::inquiries::find(env.db, key)
            .await?
            .filter(|i| inquiry::can_view(actor, &inquiry::InquiryParties::from(i)))
            .map(|i| Inquiry(i).into()),
        NodeType::ReturnVisit => store::return_visits::find(env.db, key)
            .await?
            .filter(|v| return_visit::can_view(actor, v.service_centre_id))
            .map(|v| ReturnVisit::from(v).into()),
        NodeType::WebhookEndpoint => {
            actor.require(super::webhooks::MANAGERS).map_err(hidden)?;
            Some(WebhookEndpoint::from(webhooks::endpoint(env, key).await.map_err(hidden)?).into())
        }
        NodeType::WebhookMessage => {
            actor.require(super::webhooks::MANAGERS).map_err(hidden)?;
            let found = webhooks::message(env, key).await.map_err(hidden)?;
            Some(WebhookMessage::new(found.message, found.attempts, actor).into())
        }
        NodeType::RepairLine => match store::by_key::<repair_lines::Entity>(env.db, key).await? {
            Some(line)
                if sees_ticket(ctx, env, TicketKind::RepairOrder, line.repair_order_id).await? =>
            {
                Some(RepairLine::from(line).into())
            }
            _ => None,
        },
        NodeType::TimelineEvent => {
            match store::by_key::<ticket_events::Entity>(env.db, key).await? {
                Some(event)
                    if (event.public || sees_internal_entries(actor, event.ticket_kind))
                        && sees_ticket(ctx, env, event.ticket_kind, event.ticket_id).await? =>
                {
                    Some(TimelineEvent::from(event).into())
                }
                _ => None,
            }
        }
        NodeType::SlaClock => {
            let staff = sees_all_clocks(actor);
            match store::by_key::<sla_clocks::Entity>(env.db, key).await? {
                Some(clock)
                    if (staff
                        || transitions::customer_words(clock.ticket_kind, clock.metric)
                            .is_some())
                        && sees_ticket(ctx, env, clock.ticket_kind, clock.ticket_id).await? =>
                {
                    Some(SlaClock::new(&clock, staff, env.now).into())
                }
                _ => None,
            }
        }
        NodeType::Escalation => {
            actor.require(complaint::INTERNAL_READERS).map_err(hidden)?;
            match store::by_key::<escalations::Entity>(env.db, key).await? {
                Some(row) if sees_ticket(ctx, env, row.ticket_kind, row.ticket_id).await? => {
                    Some(Escalation::from(row).into())
                }
                _ => None,
            }
        }
        NodeType::Attachment => match store::attachments::find(env.db, key).await? {
            Some(row) if sees_attachment(ctx, env, &row).await? => {
                let storage = &services(ctx)?.attachments;
                Some(
                    super::attachments::attachment(storage, &row, env.now)
                        .await
                        .map_err(|e| ApiError::Internal(e.message))?
                        .into(),
                )
            }
            _ => None,
        },
        NodeType::Organization => {
            let allowed = match actor {
                Principal::Partner {
                    organization_id, ..
                } => *organization_id == key,
                _ => role == Some(Role::Admin),
            };
            if allowed {
                store::by_key::<organizations::Entity>(env.db, key)
                    .await?
                    .map(|o| Organization::from(o).into())
            } else {
                None
            }
        }
        NodeType::ApiKey => {
            actor.require(&[Role::Admin]).map_err(hidden)?;
            store::by_key::<api_keys::Entity>(env.db, key)
                .await?
                .map(|k| ApiKey::from(k).into())
        }
        NodeType::PartsRequest => match crate::services::parts_requests::get(env, key).await {
            Ok(found) => Some(PartsRequest(found).into()),
            Err(err) => return Err(hidden(err)),
        },
        NodeType::WarrantyVisit => match crate::services::warranty_visits::get(env, key).await {
            Ok(found) => Some(WarrantyVisit::from(found).into()),
            Err(err) => return Err(hidden(err)),
        },
        // Read through their own lists: an alert in `staffComplaintAlerts` by the supervisor it
        // alerts, audit entries in `auditLog`, exports in the requester's list, consents in
        // `disclosureConsents`.
        NodeType::StaffComplaintAlert
        | NodeType::AuditEntry
        | NodeType::Export
        | NodeType::DisclosureConsent => None,
    };
    found.ok_or(not_found)
}

/// Whether the caller sees the ticket a part belongs to, by its kind's visibility rule.
async fn sees_ticket(
    ctx: &Context<'_>,
    env: &Env<'_>,
    kind: TicketKind,
    ticket_id: i64,
) -> ApiResult<bool> {
    let loader = loaders(ctx)?;
    let actor = env.actor;
    Ok(match kind {
        TicketKind::RepairOrder => loader
            .load_one(RepairOrderKey(ticket_id))
            .await?
            .is_some_and(|o| Viewed::RepairOrder(&o).visible_to(actor)),
        TicketKind::Complaint => loader
            .load_one(ComplaintKey(ticket_id))
            .await?
            .is_some_and(|c| Viewed::Complaint(&c).visible_to(actor)),
        TicketKind::ReturnVisit => store::return_visits::find(env.db, ticket_id)
            .await?
            .is_some_and(|v| return_visit::can_view(actor, v.service_centre_id)),
        TicketKind::Inquiry => store::inquiries::find(env.db, ticket_id)
            .await?
            .is_some_and(|i| inquiry::can_view(actor, &inquiry::InquiryParties::from(&i))),
    })
}

/// Internal timeline entries, as each ticket kind's `events` shows them.
fn sees_internal_entries(actor: &Principal, kind: TicketKind) -> bool {
    match kind {
        TicketKind::Complaint => complaint::sees_internals(actor),
        TicketKind::RepairOrder | TicketKind::ReturnVisit => repair::sees_internal_events(actor),
        TicketKind::Inquiry => inquiry::sees_internals(actor),
    }
}

/// An attached file by its ticket; a pending upload by its uploader alone.
async fn sees_attachment(
    ctx: &Context<'_>,
    env: &Env<'_>,
    row: &entity::attachments::Model,
) -> ApiResult<bool> {
    match (row.ticket_kind, row.ticket_id) {
        (Some(kind), Some(ticket_id)) => sees_ticket(ctx, env, kind, ticket_id).await,
        _ => Ok(match env.actor {
            Principal::User(user) => row.uploader_user_id == Some(user.id),
            Principal::Partner { api_key_id, .. } => row.uploader_api_key_id == Some(*api_key_id),
            Principal::Anonymous => false,
        }),
    }
}
