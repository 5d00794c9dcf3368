//! A customer's consent, or a legal basis, for their personal data to go to one partner
//! organization (R-PRV-12). In force until `withdrawn_at`; never deleted.

use sea_orm::entity::prelude::*;

/// Why the data may go out.
#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum DisclosureBasis {
    /// The customer's own written consent (in the app, or a signed form).
    #[sea_orm(string_value = "CONSENT")]
    Consent,
    /// A legal basis other than consent (a law, a contract the customer signed), named in
    /// `reference`.
    #[sea_orm(string_value = "LEGAL_BASIS")]
    LegalBasis,
}

/// How it was given.
#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ConsentChannel {
    /// By the customer in the app (electronic written form).
    #[sea_orm(string_value = "APP")]
    App,
    /// On paper, entered by staff from the signed form named in `reference`.
    #[sea_orm(string_value = "WRITTEN")]
    Written,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "disclosure_consents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub customer_id: i64,
    /// The partner organization the data may go to.
    pub organization_id: i64,
    pub basis: DisclosureBasis,
    pub channel: ConsentChannel,
    /// The signed form's number, or the law or contract relied on.
    pub reference: Option<String>,
    pub recorded_by: i64,
    pub recorded_at: DateTimeUtc,
    pub withdrawn_by: Option<i64>,
    pub withdrawn_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
