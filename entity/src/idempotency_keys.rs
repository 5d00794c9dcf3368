//! Requests sent with an `Idempotency-Key`: the claim of the first one and its answer, kept
//! for replay (see the server's `idempotency` module).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Whose key: `user:<id>` or `api_key:<id>`.
    pub principal: String,
    pub key: String,
    /// SHA-256 of the first request's body.
    pub fingerprint: String,
    /// The answer, once the first request finished; `None` while it runs.
    pub response_status: Option<i32>,
    pub content_type: Option<String>,
    pub response_body: Option<String>,
    pub created_at: DateTimeUtc,
    pub completed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
