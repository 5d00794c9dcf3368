//! Per-request DataLoaders: nested fields of a page of tickets cost one query per kind of
//! field, not one per ticket. Values are shared (`Arc`): every load hands out a copy of what
//! the cache holds, and a page asks for the same customer or timeline more than once.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::ticket_events::{self, TicketKind};
use entity::{
    assets, attachments, complaints, escalations, follow_up_cases, repair_lines, repair_orders,
    sla_clocks, surveys, users,
};
use sea_orm::DatabaseConnection;

use crate::error::ApiError;
use crate::store;

pub struct DbLoader {
    pub db: DatabaseConnection,
}

/// The per-request loader. It caches, so a page resolver can prefetch what its nodes will ask
/// for (see `repair::prefetch`) and the field resolvers then find it loaded.
pub type Loaders = DataLoader<DbLoader, HashMapCache>;

pub fn for_request(db: DatabaseConnection) -> Loaders {
    DataLoader::with_cache(DbLoader { db }, tokio::spawn, HashMapCache::default())
}

pub fn loaders<'a>(ctx: &Context<'a>) -> Result<&'a Loaders, ApiError> {
    ctx.data::<Loaders>()
        .map_err(|_| ApiError::Internal("request without loaders".into()))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UserKey(pub i64);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AssetKey(pub i64);

/// One repair order by key (`nodes`); the caller checks visibility.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RepairOrderKey(pub i64);

/// The survey of one ticket, if it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SurveyKey(pub TicketKind, pub i64);

/// One complaint by key (`nodes`); the caller checks visibility.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ComplaintKey(pub i64);

/// The whole timeline of one repair order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RepairEventsKey(pub i64);

/// The whole timeline of one complaint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ComplaintEventsKey(pub i64);

/// The whole timeline of one inquiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InquiryEventsKey(pub i64);

/// The escalations of one ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EscalationsKey(pub TicketKind, pub i64);

/// The SLA clocks of one ticket, every cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClocksKey(pub TicketKind, pub i64);

/// The parts and labour lines of one repair order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RepairLinesKey(pub i64);

/// The attachments of one ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AttachmentsKey(pub TicketKind, pub i64);

/// The parts requests of one repair order, with their items (R-REP-5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PartsRequestsKey(pub i64);

/// The follow-up links of one ticket, as original or follow-up (R-CMP-7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FollowUpsKey(pub TicketKind, pub i64);

/// A customer and a partner organization: whether a consent or legal basis for the
/// organization to receive the customer's data is in force (R-PRV-12).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DisclosureKey {
    pub customer_id: i64,
    pub organization_id: i64,
}

fn keys<K: Copy>(keys: &[K], key: impl Fn(K) -> i64) -> Vec<i64> {
    keys.iter().map(|&k| key(k)).collect()
}

impl Loader<UserKey> for DbLoader {
    type Value = Arc<users::Model>;
    type Error = ApiError;

    async fn load(&self, ids: &[UserKey]) -> Result<HashMap<UserKey, Self::Value>, ApiError> {
        let rows = store::users::by_ids(&self.db, &keys(ids, |k| k.0)).await?;
        Ok(rows
            .into_iter()
            .map(|row| (UserKey(row.id), Arc::new(row)))
            .collect())
    }
}

impl Loader<AssetKey> for DbLoader {
    type Value = Arc<assets::Model>;
    type Error = ApiError;

    async fn load(&self, ids: &[AssetKey]) -> Result<HashMap<AssetKey, Self::Value>, ApiError> {
        let rows = store::assets::by_ids(&self.db, &keys(ids, |k| k.0)).await?;
        Ok(rows
            .into_iter()
            .map(|row| (AssetKey(row.id), Arc::new(row)))
            .collect())
    }
}

impl Loader<RepairOrderKey> for DbLoader {
    type Value = Arc<repair_orders::Model>;
    type Error = ApiError;

    async fn load(
        &self,
        ids: &[RepairOrderKey],
    ) -> Result<HashMap<RepairOrderKey, Self::Value>, ApiError> {
        let rows = store::repair_orders::by_ids(&self.db, &keys(ids, |k| k.0)).await?;
        Ok(rows
            .into_iter()
            .map(|row| (RepairOrderKey(row.id), Arc::new(row)))
            .collect())
    }
}

impl Loader<ComplaintKey> for DbLoader {
    type Value = Arc<complaints::Model>;
    type Error = ApiError;

    async fn load(
        &self,
        ids: &[ComplaintKey],
    ) -> Result<HashMap<ComplaintKey, Self::Value>, ApiError> {
        let rows = store::complaints::by_ids(&self.db, &keys(ids, |k| k.0)).await?;
        Ok(rows
            .into_iter()
            .map(|row| (ComplaintKey(row.id), Arc::new(row)))
            .collect())
    }
}

impl Loader<SurveyKey> for DbLoader {
    type Value = Arc<surveys::Model>;
    type Error = ApiError;

    async fn load(&self, keys: &[SurveyKey]) -> Result<HashMap<SurveyKey, Self::Value>, ApiError> {
        let mut found = HashMap::new();
        for kind in [TicketKind::RepairOrder, TicketKind::Complaint] {
            let ids: Vec<i64> = keys.iter().filter(|k| k.0 == kind).map(|k| k.1).collect();
            if ids.is_empty() {
                continue;
            }
            for row in store::surveys::of_tickets(&self.db, kind, &ids).await? {
                found.insert(SurveyKey(kind, row.ticket_id), Arc::new(row));
            }
        }
        Ok(found)
    }
}

impl Loader<RepairEventsKey> for DbLoader {
    type Value = Arc<Vec<ticket_events::Model>>;
    type Error = ApiError;

    async fn load(
        &self,
        ids: &[RepairEventsKey],
    ) -> Result<HashMap<RepairEventsKey, Self::Value>, ApiError> {
        let rows =
            store::events::for_tickets(&self.db, TicketKind::RepairOrder, &keys(ids, |k| k.0))
                .await?;
        Ok(group(ids, rows, |row| RepairEventsKey(row.ticket_id)))
    }
}

impl Loader<ComplaintEventsKey> for DbLoader {
    type Value = Arc<Vec<ticket_events::Model>>;
    type Error = ApiError;

    async fn load(
        &self,
        ids: &[ComplaintEventsKey],
    ) -> Result<HashMap<ComplaintEventsKey, Self::Value>, ApiError> {
        let rows = store::events::for_tickets(&self.db, TicketKind::Complaint, &keys(ids, |k| k.0))
            .await?;
        Ok(group(ids, rows, |row| ComplaintEventsKey(row.ticket_id)))
    }
}

impl Loader<InquiryEventsKey> for DbLoader {
    type Value = Arc<Vec<ticket_events::Model>>;
    type Error = ApiError;

    async fn load(
        &self,
        ids: &[InquiryEventsKey],
    ) -> Result<HashMap<InquiryEventsKey, Self::Value>, ApiError> {
        let rows =
            store::events::for_tickets(&self.db, TicketKind::Inquiry, &keys(ids, |k| k.0)).await?;
        Ok(group(ids, rows, |row| InquiryEventsKey(row.ticket_id)))
    }
}

impl Loader<EscalationsKey> for DbLoader {
    type Value = Arc<Vec<escalations::Model>>;
    type Error = ApiError;

    async fn load(
        &self,
        ids: &[EscalationsKey],
    ) -> Result<HashMap<EscalationsKey, Self::Value>, ApiError> {
        let mut found = HashMap::new();
        for (kind, ids) in by_kind(ids, |k| (k.0, k.1)) {
            let rows = store::escalations::for_tickets(&self.db, kind, &ids).await?;
            let asked: Vec<_> = ids.iter().map(|&id| EscalationsKey(kind, id)).collect();
            found.extend(group(&asked, rows, |row| {
                EscalationsKey(row.ticket_kind, row.ticket_id)
            }));
        }
        Ok(found)
    }
}

impl Loader<ClocksKey> for DbLoader {
    type Value = Arc<Vec<sla_clocks::Model>>;
    type Error = ApiError;

    async fn load(&self, ids: &[ClocksKey]) -> Result<HashMap<ClocksKey, Self::Value>, ApiError> {
        let mut found = HashMap::new();
        for (kind, ids) in by_kind(ids, |k| (k.0, k.1)) {
            let rows = store::sla_clocks::of_tickets(&self.db, kind, &ids).await?;
            let asked: Vec<_> = ids.iter().map(|&id| ClocksKey(kind, id)).collect();
            found.extend(group(&asked, rows, |row| {
                ClocksKey(row.ticket_kind, row.ticket_id)
            }));
        }
        Ok(found)
    }
}

/// Keys of several ticket kinds, one list of ids per kind (one query each).
fn by_kind<K: Copy>(
    keys: &[K],
    split: impl Fn(K) -> (TicketKind, i64),
) -> HashMap<TicketKind, Vec<i64>> {
    let mut kinds: HashMap<TicketKind, Vec<i64>> = HashMap::new();
    for &key in keys {
        let (kind, id) = split(key);
        kinds.entry(kind).or_default().push(id);
    }
    kinds
}

impl Loader<RepairLinesKey> for DbLoader {
    type Value = Arc<Vec<repair_lines::Model>>;
    type Error = ApiError;

    async fn load(
        &self,
        ids: &[RepairLinesKey],
    ) -> Result<HashMap<RepairLinesKey, Self::Value>, ApiError> {
        let rows = store::repair_lines::for_orders(&self.db, &keys(ids, |k| k.0)).await?;
        Ok(group(ids, rows, |row| RepairLinesKey(row.repair_order_id)))
    }
}

/// Rows grouped by key, with an (empty) entry for every key asked for, so that "none" is
/// cached too and not asked again.
impl Loader<AttachmentsKey> for DbLoader {
    type Value = Arc<Vec<attachments::Model>>;
    type Error = ApiError;

    async fn load(
        &self,
        asked: &[AttachmentsKey],
    ) -> Result<HashMap<AttachmentsKey, Self::Value>, ApiError> {
        let mut rows = Vec::new();
        for kind in [
            TicketKind::RepairOrder,
            TicketKind::Complaint,
            TicketKind::ReturnVisit,
        ] {
            let ids: Vec<i64> = asked.iter().filter(|k| k.0 == kind).map(|k| k.1).collect();
            if !ids.is_empty() {
                rows.extend(store::attachments::for_tickets(&self.db, kind, &ids).await?);
            }
        }
        Ok(group(asked, rows, |row| {
            AttachmentsKey(
                row.ticket_kind.unwrap_or(TicketKind::RepairOrder),
                row.ticket_id.unwrap_or_default(),
            )
        }))
    }
}

fn group<K: std::hash::Hash + Eq + Copy, V>(
    asked: &[K],
    rows: Vec<V>,
    key: impl Fn(&V) -> K,
) -> HashMap<K, Arc<Vec<V>>> {
    let mut grouped: HashMap<K, Vec<V>> = asked.iter().map(|&k| (k, Vec::new())).collect();
    for row in rows {
        grouped.entry(key(&row)).or_default().push(row);
    }
    grouped.into_iter().map(|(k, v)| (k, Arc::new(v))).collect()
}

impl Loader<DisclosureKey> for DbLoader {
    type Value = ();
    type Error = ApiError;

    /// Only the pairs in force are in the answer.
    async fn load(
        &self,
        pairs: &[DisclosureKey],
    ) -> Result<HashMap<DisclosureKey, Self::Value>, ApiError> {
        let asked: Vec<(i64, i64)> = pairs
            .iter()
            .map(|pair| (pair.customer_id, pair.organization_id))
            .collect();
        let in_force = store::consents::in_force(&self.db, &asked).await?;
        Ok(in_force
            .into_iter()
            .map(|(customer_id, organization_id)| {
                let key = DisclosureKey {
                    customer_id,
                    organization_id,
                };
                (key, ())
            })
            .collect())
    }
}

impl Loader<PartsRequestsKey> for DbLoader {
    type Value = Arc<Vec<crate::services::parts_requests::FullRequest>>;
    type Error = ApiError;

    async fn load(
        &self,
        orders: &[PartsRequestsKey],
    ) -> Result<HashMap<PartsRequestsKey, Self::Value>, ApiError> {
        let all =
            crate::services::parts_requests::of_orders(&self.db, &keys(orders, |k| k.0)).await?;
        let mut by_order: HashMap<PartsRequestsKey, Vec<_>> = HashMap::new();
        for full in all {
            by_order
                .entry(PartsRequestsKey(full.request.repair_order_id))
                .or_default()
                .push(full);
        }
        Ok(by_order
            .into_iter()
            .map(|(key, requests)| (key, Arc::new(requests)))
            .collect())
    }
}

impl Loader<FollowUpsKey> for DbLoader {
    type Value = Arc<Vec<follow_up_cases::Model>>;
    type Error = ApiError;

    async fn load(
        &self,
        tickets: &[FollowUpsKey],
    ) -> Result<HashMap<FollowUpsKey, Self::Value>, ApiError> {
        let asked: Vec<(TicketKind, i64)> = tickets.iter().map(|k| (k.0, k.1)).collect();
        let rows = store::follow_ups::of_tickets(&self.db, &asked).await?;
        let mut by_ticket: HashMap<FollowUpsKey, Vec<follow_up_cases::Model>> = HashMap::new();
        for row in rows {
            for key in [
                FollowUpsKey(row.original_kind, row.original_id),
                FollowUpsKey(row.follow_up_kind, row.follow_up_id),
            ] {
                if tickets.contains(&key) {
                    by_ticket.entry(key).or_default().push(row.clone());
                }
            }
        }
        Ok(by_ticket
            .into_iter()
            .map(|(key, rows)| (key, Arc::new(rows)))
            .collect())
    }
}
