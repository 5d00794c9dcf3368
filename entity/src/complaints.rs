//! Complaints: classified, timed and escalated by the server (R-CLS, R-ESC, R-CMP, R-SLA-3..6).

use sea_orm::entity::prelude::*;

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ComplaintChannel {
    #[sea_orm(string_value = "PHONE")]
    Phone,
    #[sea_orm(string_value = "SMS")]
    Sms,
    #[sea_orm(string_value = "CHAT")]
    Chat,
    #[sea_orm(string_value = "EMAIL")]
    Email,
    #[sea_orm(string_value = "APP")]
    App,
    #[sea_orm(string_value = "WALK_IN")]
    WalkIn,
    #[sea_orm(string_value = "RETURN_VISIT")]
    ReturnVisit,
    #[sea_orm(string_value = "SURVEY")]
    Survey,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum ComplaintCategory {
    #[sea_orm(string_value = "SERVICE_ATTITUDE")]
    ServiceAttitude,
    #[sea_orm(string_value = "PRODUCT_QUALITY")]
    ProductQuality,
    #[sea_orm(string_value = "DELAY")]
    Delay,
    #[sea_orm(string_value = "BILLING")]
    Billing,
    #[sea_orm(string_value = "PROPERTY_DAMAGE")]
    PropertyDamage,
    #[sea_orm(string_value = "INJURY")]
    Injury,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// R-CLS-1..3.
#[derive(
    Copy,
    Clone,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum Severity {
    #[sea_orm(string_value = "GENERAL")]
    General,
    #[sea_orm(string_value = "SERIOUS")]
    Serious,
    #[sea_orm(string_value = "MAJOR")]
    Major,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum ComplaintStatus {
    #[sea_orm(string_value = "RECEIVED")]
    Received,
    #[sea_orm(string_value = "ACKNOWLEDGED")]
    Acknowledged,
    #[sea_orm(string_value = "INVESTIGATING")]
    Investigating,
    #[sea_orm(string_value = "RESOLVED")]
    Resolved,
    #[sea_orm(string_value = "CLOSED")]
    Closed,
    #[sea_orm(string_value = "REOPENED")]
    Reopened,
    /// R-CMP-8: a long-running case with the police or an insurer; the resolution clock
    /// pauses, the 24 h update clock keeps running.
    #[sea_orm(string_value = "EXTERNAL_CASE")]
    ExternalCase,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "complaints")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Human-readable, e.g. `CP-20261122-000042`.
    #[sea_orm(unique)]
    pub number: String,
    pub customer_id: i64,
    pub service_centre_id: i64,
    pub organization_id: Option<i64>,
    pub repair_order_id: Option<i64>,
    pub channel: ComplaintChannel,
    pub category: ComplaintCategory,
    pub severity: Severity,
    pub status: ComplaintStatus,
    pub description: String,
    /// Who holds the complaint now; late handling is attributed to them (R-ESC-6).
    pub owner_id: Option<i64>,
    /// 1 = agent, 2 = supervisor/manager, 3 = top level (R-ESC-1).
    pub escalation_level: i16,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub promised_resolution_at: Option<DateTimeUtc>,
    pub next_contact_at: Option<DateTimeUtc>,
    /// Last acknowledgement or progress update: the start of the current update cycle.
    pub last_update_at: Option<DateTimeUtc>,
    pub cause: Option<String>,
    pub responsible_party: Option<String>,
    pub justified: Option<bool>,
    pub investigated_at: Option<DateTimeUtc>,
    pub resolution: Option<String>,
    pub compensation_amount: Option<Decimal>,
    pub compensation_approved_by: Option<i64>,
    pub resolved_at: Option<DateTimeUtc>,
    pub supervisor_approved_by: Option<i64>,
    pub top_approved_by: Option<i64>,
    pub closed_at: Option<DateTimeUtc>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The highest severity the complaint ever had: closure sign-off follows it (R-ESC-4), so
    /// lowering the severity does not lower the approvals needed.
    pub max_severity: Severity,
    /// The severity a customer or partner asked for when filing; staff classify (R-CLS-3).
    pub claimed_severity: Option<Severity>,
    /// The creating client's own id for it, unique per `reference_owner` (issue 13).
    pub external_reference: Option<String>,
    /// `org:<id>` for a partner organization, `user:<id>` for a user.
    pub reference_owner: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
