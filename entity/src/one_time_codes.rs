//! One-time codes sent to a phone or an e-mail address (sign-up, password reset). Only a keyed
//! hash of the code is stored.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "one_time_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `SIGN_UP` or `RESET`.
    pub purpose: String,
    /// The E.164 phone or the lower-cased e-mail address the code went to.
    pub destination: String,
    /// HMAC-SHA256 (server secret) of purpose, destination and code, hex.
    pub code_hash: String,
    /// Wrong codes tried against it.
    pub attempts: i32,
    pub client_address: Option<String>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// Used (single use).
    pub consumed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
