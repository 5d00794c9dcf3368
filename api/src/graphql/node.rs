//! Relay Global Object Identification: the `Node` interface and `node(id)` / `nodes(ids)`.
//! Each id's type tag picks the same loader and visibility rule its typed query uses, so a
//! record the caller cannot see through `repairOrder(id)` is `NOT_FOUND` here too.

use async_graphql::{Context, ID, Interface, Object, Result};
use entity::users::Role;

use super::complaint::{Complaint, ComplaintTracking};
use super::identity::{ServiceCentre, User};
use super::loaders::{AssetKey, ComplaintKey, RepairOrderKey, UserKey, loaders};
use super::repair::{Asset, ProductModel, RepairOrder};
use super::survey::{ReturnVisit, Survey};
use super::webhooks::WebhookEndpoint;
use super::{env, principal};
use crate::domain::global_id::{NodeType, decode};
use crate::domain::identity::Principal;
use crate::domain::{complaint, repair};
use crate::error::{ApiError, ApiResult};
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
        Ok(resolve(ctx, &env, &id).await?)
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
        resolved
            .into_iter()
            .map(|node| match node {
                Ok(node) => Ok(Some(node)),
                Err(ApiError::NotFound(_)) => Ok(None),
                Err(other) => Err(other.into()),
            })
            .collect()
    }
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
        NodeType::ReturnVisit => store::return_visits::find(env.db, key)
            .await?
            .filter(|v| may_read_return_visit(actor, v))
            .map(|v| ReturnVisit::from(v).into()),
        NodeType::WebhookEndpoint => {
            actor.require(super::webhooks::MANAGERS).map_err(hidden)?;
            Some(WebhookEndpoint::from(webhooks::endpoint(env, key).await.map_err(hidden)?).into())
        }
        // Parts of another object, not fetched on their own: read them through their owner.
        NodeType::RepairLine
        | NodeType::Attachment
        | NodeType::TimelineEvent
        | NodeType::Organization
        | NodeType::ApiKey
        | NodeType::WebhookMessage
        | NodeType::SlaClock
        | NodeType::Escalation
        | NodeType::AuditEntry
        | NodeType::Export => None,
    };
    found.ok_or(not_found)
}

/// `returnVisitsDue`: agents and supervisors, their own centre's visits.
fn may_read_return_visit(actor: &Principal, visit: &entity::return_visits::Model) -> bool {
    matches!(actor, Principal::User(user)
        if matches!(user.role, Role::Agent | Role::Supervisor)
            && user.service_centre_id == Some(visit.service_centre_id))
}
