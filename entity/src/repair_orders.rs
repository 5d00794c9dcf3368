//! Repair orders: a fault reported on a customer's product, taken to a technician's visit.

use sea_orm::entity::prelude::*;

/// Where a repair order is in its flow: `SUBMITTED → ASSIGNED → ACCEPTED → EN_ROUTE → ON_SITE →
/// COMPLETED → CONFIRMED → CLOSED`, with `CANCELLED`, `REOPENED` and the two waiting states.
/// A step that the current status does not allow is `INVALID_TRANSITION`.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum RepairStatus {
    /// Reported, no technician yet.
    #[sea_orm(string_value = "SUBMITTED")]
    Submitted,
    /// A technician was dispatched (`assignTechnician`) and has not accepted yet.
    #[sea_orm(string_value = "ASSIGNED")]
    Assigned,
    /// The technician accepted the job.
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    /// The technician is on the way.
    #[sea_orm(string_value = "EN_ROUTE")]
    EnRoute,
    /// The technician arrived; parts and labour are recorded now.
    #[sea_orm(string_value = "ON_SITE")]
    OnSite,
    /// The technician finished; the customer confirms or rejects, or it is confirmed for them after
    /// 3 days.
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    /// The customer accepted the repair (or it was confirmed for them); the survey is issued.
    #[sea_orm(string_value = "CONFIRMED")]
    Confirmed,
    /// Closed by the centre; return visits are scheduled.
    #[sea_orm(string_value = "CLOSED")]
    Closed,
    /// Cancelled with a reason, from SUBMITTED, ASSIGNED, ACCEPTED or a waiting state.
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
    /// The customer rejected the completed repair; waits for another `assignTechnician`.
    #[sea_orm(string_value = "REOPENED")]
    Reopened,
    /// An approved parts request waits for its parts (R-REP-5); the arrival and resolution
    /// clocks pause.
    #[sea_orm(string_value = "WAITING_FOR_PARTS")]
    WaitingForParts,
    /// The customer cannot be reached; the contact and resolution clocks pause, the arrival
    /// clock does not (RULES.md, time rules).
    #[sea_orm(string_value = "WAITING_FOR_CUSTOMER")]
    WaitingForCustomer,
}

/// How urgent the customer says the fault is. `URGENT` selects the strictest limits (on site in
/// 30 minutes; R-SLA-14); the others use the warranty or contract limits.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum Priority {
    /// Can wait.
    #[sea_orm(string_value = "LOW")]
    Low,
    /// The default.
    #[sea_orm(string_value = "NORMAL")]
    Normal,
    /// More pressing than usual; same limits as NORMAL.
    #[sea_orm(string_value = "HIGH")]
    High,
    /// E.g. a leak: contact and arrival within 30 minutes, fixed within 24 h (R-SLA-14).
    #[sea_orm(string_value = "URGENT")]
    Urgent,
}

/// How a fault was reported.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum RepairChannel {
    /// By the customer in the app.
    #[sea_orm(string_value = "APP")]
    App,
    /// By phone to an agent; the customer has been spoken to, so the contact clock is met at once.
    #[sea_orm(string_value = "PHONE")]
    Phone,
    /// In person at the centre; the contact clock is met at once.
    #[sea_orm(string_value = "WALK_IN")]
    WalkIn,
    /// By a partner system.
    #[sea_orm(string_value = "PARTNER")]
    Partner,
}

/// What the customer asks for (R-REP-2): a repair, or returning or exchanging the product.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum RequestType {
    /// Repair the product.
    #[sea_orm(string_value = "REPAIR")]
    Repair,
    /// Return the product; within 15 days of purchase of a verified warranty no reason is needed
    /// (R-REP-4).
    #[sea_orm(string_value = "RETURN")]
    Return,
    /// Exchange the product; within 15 days of purchase of a verified warranty no reason is needed
    /// (R-REP-4).
    #[sea_orm(string_value = "EXCHANGE")]
    Exchange,
}

/// What caused the fault, as the technician diagnosed it (R-REP-1).
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum FaultCause {
    /// A quality fault of the product: free within the warranty.
    #[sea_orm(string_value = "QUALITY")]
    Quality,
    /// Caused by the customer (misuse, damage): paid even within the warranty, with the
    /// technician's reason.
    #[sea_orm(string_value = "CUSTOMER_CAUSED")]
    CustomerCaused,
}

/// The solution the technician chose after the diagnosis (R-REP-2).
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum RepairSolution {
    /// Repair the product.
    #[sea_orm(string_value = "REPAIR")]
    Repair,
    /// Replace the faulty part or unit.
    #[sea_orm(string_value = "REPLACE")]
    Replace,
    /// Take the product back.
    #[sea_orm(string_value = "RETURN")]
    Return,
    /// Exchange the product for another.
    #[sea_orm(string_value = "EXCHANGE")]
    Exchange,
    /// Refund the customer.
    #[sea_orm(string_value = "REFUND")]
    Refund,
}

/// How a return, exchange or refund ended (R-REP-2): the order closes with it, without a
/// technician's completed repair.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ReturnOutcome {
    /// The product was taken back.
    #[sea_orm(string_value = "RETURNED")]
    Returned,
    /// The product was exchanged for another.
    #[sea_orm(string_value = "EXCHANGED")]
    Exchanged,
    /// The customer's money was refunded.
    #[sea_orm(string_value = "REFUNDED")]
    Refunded,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "repair_orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Human-readable, e.g. `RO-20261122-000123`.
    #[sea_orm(unique)]
    pub number: String,
    pub customer_id: i64,
    pub asset_id: i64,
    pub service_centre_id: i64,
    /// The customer's partner organization, copied here so partner scoping is one predicate.
    pub organization_id: Option<i64>,
    pub request_type: RequestType,
    /// The fault, or the reason for a return/exchange (empty when none was needed, R-REP-4).
    pub fault_description: String,
    pub service_address: String,
    pub contact_phone: String,
    pub priority: Priority,
    pub channel: RepairChannel,
    pub status: RepairStatus,
    pub technician_id: Option<i64>,
    pub appointment_start: Option<DateTimeUtc>,
    pub appointment_end: Option<DateTimeUtc>,
    /// Decided from the asset when the fault is reported (R-REP-1, R-SLA-1/2).
    pub in_warranty: bool,
    pub reported_at: DateTimeUtc,
    pub arrived_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub cancel_reason: Option<String>,
    /// What the customer pays: the sum of the lines, zero in warranty (R-REP-1).
    pub total_amount: Decimal,
    /// Optimistic concurrency: every change must name the version it read.
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// 1 = agent, 2 = centre supervisors, 3 = top level; raised by missed clocks (R-ESC-2).
    pub escalation_level: i16,
    /// The status a waiting order goes back to when the wait ends.
    pub resume_status: Option<RepairStatus>,
    /// Why the order waits: the parts asked for, or why the customer is unreachable.
    pub waiting_reason: Option<String>,
    /// The policy scope its clocks run by: `URGENT` or `PREMIUM` (R-SLA-14), else
    /// `IN_WARRANTY` / `OUT_OF_WARRANTY` (R-SLA-1/2), decided at the report.
    pub sla_scope: String,
    /// The creating client's own id for it, unique per `reference_owner` (issue 13).
    pub external_reference: Option<String>,
    /// `org:<id>` for a partner organization, `user:<id>` for a user.
    pub reference_owner: Option<String>,
    /// The technician's findings on site (R-REP-2); `None` before the diagnosis.
    pub diagnosis: Option<String>,
    pub fault_cause: Option<FaultCause>,
    /// Why the fault counts as the customer's (R-REP-1).
    pub fault_cause_reason: Option<String>,
    pub solution: Option<RepairSolution>,
    /// How a return, exchange or refund ended (R-REP-2); `None` for repairs.
    pub return_outcome: Option<ReturnOutcome>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
