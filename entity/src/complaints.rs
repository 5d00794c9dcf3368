//! Complaints: classified, timed and escalated by the server (R-CLS, R-ESC, R-CMP, R-SLA-3..6).

use sea_orm::entity::prelude::*;

/// How a complaint reached the service (R-CMP-1).
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ComplaintChannel {
    /// A phone call.
    #[sea_orm(string_value = "PHONE")]
    Phone,
    /// A text message.
    #[sea_orm(string_value = "SMS")]
    Sms,
    /// Online chat.
    #[sea_orm(string_value = "CHAT")]
    Chat,
    /// E-mail.
    #[sea_orm(string_value = "EMAIL")]
    Email,
    /// The mobile app (the channel of every complaint a customer files).
    #[sea_orm(string_value = "APP")]
    App,
    /// In person at a service centre.
    #[sea_orm(string_value = "WALK_IN")]
    WalkIn,
    /// Raised during a return visit (R-CMP-6).
    #[sea_orm(string_value = "RETURN_VISIT")]
    ReturnVisit,
    /// Opened by the server for a low survey score (R-CMP-6).
    #[sea_orm(string_value = "SURVEY")]
    Survey,
}

/// What a complaint is about. `PROPERTY_DAMAGE` and `INJURY` make it at least SERIOUS
/// (R-CLS-2).
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum ComplaintCategory {
    /// Staff behaviour (a typical GENERAL complaint, R-CLS-1).
    #[sea_orm(string_value = "SERVICE_ATTITUDE")]
    ServiceAttitude,
    /// The product's quality.
    #[sea_orm(string_value = "PRODUCT_QUALITY")]
    ProductQuality,
    /// Late service.
    #[sea_orm(string_value = "DELAY")]
    Delay,
    /// Charges and payments.
    #[sea_orm(string_value = "BILLING")]
    Billing,
    /// Damage to the customer's property; at least SERIOUS (R-CLS-2).
    #[sea_orm(string_value = "PROPERTY_DAMAGE")]
    PropertyDamage,
    /// Injury to a person; at least SERIOUS (R-CLS-2).
    #[sea_orm(string_value = "INJURY")]
    Injury,
    /// Anything else.
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// How serious a complaint is: it sets the starting escalation level and the time limits
/// (R-CLS-1..3, R-ESC-1).
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
    /// Service attitude and the like, no loss caused; handled by an agent (level 1), resolved
    /// within 24 h (R-CLS-1, R-SLA-4).
    #[sea_orm(string_value = "GENERAL")]
    General,
    /// Property loss, injury or death: escalated to the centre's supervisors (level 2) at once,
    /// resolved within 72 h (R-CLS-2, R-ESC-1, R-SLA-12).
    #[sea_orm(string_value = "SERIOUS")]
    Serious,
    /// Media exposure or a government penalty: goes straight to the top level (level 3), resolved
    /// within 72 h (R-CLS-3, R-ESC-1, R-SLA-12).
    #[sea_orm(string_value = "MAJOR")]
    Major,
}

/// Where a complaint is in its flow: `RECEIVED → ACKNOWLEDGED → INVESTIGATING → RESOLVED →
/// CLOSED`, `RESOLVED → REOPENED → INVESTIGATING`, and `EXTERNAL_CASE`. A step the current
/// status does not allow is `INVALID_TRANSITION`.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum ComplaintStatus {
    /// Filed, not yet acknowledged to the customer.
    #[sea_orm(string_value = "RECEIVED")]
    Received,
    /// Acknowledged with a promised resolution time and next contact time (R-CMP-2).
    #[sea_orm(string_value = "ACKNOWLEDGED")]
    Acknowledged,
    /// The cause is being investigated (R-CMP-3).
    #[sea_orm(string_value = "INVESTIGATING")]
    Investigating,
    /// A resolution was given to the customer; waits for closure approval.
    #[sea_orm(string_value = "RESOLVED")]
    Resolved,
    /// Closed after the approvals (R-ESC-4).
    #[sea_orm(string_value = "CLOSED")]
    Closed,
    /// The customer was not satisfied with the resolution; investigated again.
    #[sea_orm(string_value = "REOPENED")]
    Reopened,
    /// A long-running case with the police or an insurer (R-CMP-8): the resolution and
    /// solution clocks pause, the 24 h update clock keeps running.
    #[sea_orm(string_value = "EXTERNAL_CASE")]
    ExternalCase,
    /// Not upheld: the investigation found it not justified, and the customer was told why in
    /// writing (R-CMP-11). Final, like CLOSED.
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
}

/// How satisfied the customer is with the result of a resolved complaint, on five points
/// (R-CMP-13): the upper three let it close, the lower two reopen it one level up.
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
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum ResultRating {
    /// Very dissatisfied: reopened and escalated one level.
    #[sea_orm(string_value = "VERY_DISSATISFIED")]
    VeryDissatisfied,
    /// Dissatisfied: reopened and escalated one level.
    #[sea_orm(string_value = "DISSATISFIED")]
    Dissatisfied,
    /// Neither: the complaint may close.
    #[sea_orm(string_value = "NEUTRAL")]
    Neutral,
    /// Satisfied: the complaint may close.
    #[sea_orm(string_value = "SATISFIED")]
    Satisfied,
    /// Very satisfied: the complaint may close.
    #[sea_orm(string_value = "VERY_SATISFIED")]
    VerySatisfied,
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
    /// Why it was not upheld, as the customer was told (R-CMP-11).
    pub rejection_reason: Option<String>,
    pub rejected_at: Option<DateTimeUtc>,
    /// The customer's rating of the current resolution; cleared when it is reopened (R-CMP-13).
    pub result_rating: Option<ResultRating>,
    pub result_rated_at: Option<DateTimeUtc>,
    /// The earlier complaint about the same event (same order or same complaint): this one is
    /// at least SERIOUS (R-CLS-4).
    pub repeat_of_id: Option<i64>,
    /// The customer also complained to a regulator or consumer hotline (12315): MAJOR (R-CLS-4).
    pub regulator_complaint: bool,
    /// The matter was exposed in the media: MAJOR (R-CLS-3).
    pub media_exposure: bool,
    /// A government body penalised the company for it: MAJOR (R-CLS-3).
    pub government_penalty: bool,
    /// The staff member the complaint is about, not who received it (R-CMP-12).
    pub staff_member_id: Option<i64>,
    /// Verification: the complaint is valid (R-CMP-9); null before it is verified.
    pub valid: Option<bool>,
    /// Verification: the service (not the product or the customer) caused it (R-CMP-9).
    pub service_caused: Option<bool>,
    pub verified_at: Option<DateTimeUtc>,
    /// The complainant asked for anonymity (R-PRV-10).
    pub anonymous: bool,
    /// The solution proposed, approved before the customer is told (R-ESC-5).
    pub proposed_solution: Option<String>,
    pub solution_proposed_by: Option<i64>,
    /// Who approved the proposed solution: the top level, or a supervisor where delegated.
    pub solution_approved_by: Option<i64>,
    /// Goodwill compensation for a major client, authorised by the top level before liability
    /// is settled and kept apart from the resolution's compensation (R-ESC-7).
    pub goodwill_amount: Option<Decimal>,
    pub goodwill_approved_by: Option<i64>,
    pub goodwill_at: Option<DateTimeUtc>,
    /// The order the case is about, as the customer names it (or the repair order's number)
    /// (R-CMP-10).
    pub order_number: Option<String>,
    /// When the product was bought (or the repair order's product's purchase date) (R-CMP-10).
    pub purchase_date: Option<Date>,
    /// What the customer asks for (R-CMP-10).
    pub customer_request: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
