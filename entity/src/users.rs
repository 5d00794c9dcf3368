//! People who log in: customers and staff. Partners are API keys, not users.

use sea_orm::entity::prelude::*;

/// What a principal may do. `Partner` is only ever held by API keys.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Role {
    /// A person who bought a product (mobile app): reports faults and complaints for themselves and
    /// sees only their own tickets.
    #[sea_orm(string_value = "CUSTOMER")]
    Customer,
    /// Field repair staff of a service centre: works the repair orders assigned to them.
    #[sea_orm(string_value = "TECHNICIAN")]
    Technician,
    /// Customer-service representative: takes tickets on a customer's behalf and handles those of
    /// their service centre.
    #[sea_orm(string_value = "AGENT")]
    Agent,
    /// Customer-service manager: everything an agent may, plus escalations, reassignment, approvals
    /// and metrics of their centre; `topLevel` ones are the general manager.
    #[sea_orm(string_value = "SUPERVISOR")]
    Supervisor,
    /// Operator: users, partners, SLA policies, calendars; sees no tickets (R-PRV-1).
    #[sea_orm(string_value = "ADMIN")]
    Admin,
    /// An integrating system (dealer, installer) calling with an API key, for its organization's
    /// customers only (R-PRV-7). Never a user account.
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
    /// A technician's skills, a JSON array of labels (`["REFRIGERATION","ELECTRICAL"]`).
    pub skills: Option<String>,
    /// A technician's area within the centre, e.g. `Pudong`.
    pub region: Option<String>,
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
