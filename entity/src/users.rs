//! People who log in: customers and staff. Partners are API keys, not users.

use sea_orm::entity::prelude::*;

/// What a principal may do. `Partner` is only ever held by API keys.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Role {
    #[sea_orm(string_value = "CUSTOMER")]
    Customer,
    #[sea_orm(string_value = "TECHNICIAN")]
    Technician,
    #[sea_orm(string_value = "AGENT")]
    Agent,
    #[sea_orm(string_value = "SUPERVISOR")]
    Supervisor,
    #[sea_orm(string_value = "ADMIN")]
    Admin,
    #[sea_orm(string_value = "PARTNER")]
    Partner,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Stored lower-cased; unique. A customer who signed up by phone, or a walk-in customer
    /// created by an agent, has none.
    pub email: Option<String>,
    pub name: String,
    /// E.164 (`+8613600000001`); unique among customers.
    pub phone: Option<String>,
    pub role: Role,
    /// Argon2 PHC string; `None` means the account cannot log in yet.
    pub password_hash: Option<String>,
    pub active: bool,
    pub service_centre_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// A supervisor who is also the top level (general manager): L3 escalations, the second
    /// closure approval of serious complaints (R-ESC-1, R-ESC-4).
    pub top_level: bool,
    /// A customer's service contract tier (R-SLA-14): `PREMIUM` gets the stricter repair
    /// clocks; `None` the standard ones.
    pub sla_tier: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::service_centres::Entity",
        from = "Column::ServiceCentreId",
        to = "super::service_centres::Column::Id"
    )]
    ServiceCentre,
    #[sea_orm(
        belongs_to = "super::organizations::Entity",
        from = "Column::OrganizationId",
        to = "super::organizations::Column::Id"
    )]
    Organization,
}

impl ActiveModelBehavior for ActiveModel {}
