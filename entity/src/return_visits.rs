//! Return visits (回访) after a repair or a complaint: scheduled at closure (R-SLA-7, R-SLA-8),
//! recorded in full (R-SUR-3) and reviewed by a supervisor (R-SLA-9). Each attempt is a row, so
//! an unreachable customer leaves a record and a new attempt.

use sea_orm::entity::prelude::*;

use crate::ticket_events::TicketKind;

/// Which rule scheduled the visit.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum VisitPurpose {
    /// Within 3 days of closure, for every ticket (R-SLA-7).
    #[sea_orm(string_value = "AFTER_CLOSURE")]
    AfterClosure,
    /// 30 days after the repair, for repair orders only (R-SLA-8).
    #[sea_orm(string_value = "THIRTY_DAY")]
    ThirtyDay,
}

/// How a return visit was made.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum VisitChannel {
    /// A phone call.
    #[sea_orm(string_value = "PHONE")]
    Phone,
    /// A text message.
    #[sea_orm(string_value = "SMS")]
    Sms,
    /// In person at the customer's place.
    #[sea_orm(string_value = "ON_SITE")]
    OnSite,
    /// Through the mobile app.
    #[sea_orm(string_value = "APP")]
    App,
}

/// What came of a return-visit call.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum VisitOutcome {
    /// The customer was reached and the visit is done.
    #[sea_orm(string_value = "OK")]
    Ok,
    /// The customer was reached and raised a complaint, filed with the visit (`raisedComplaint`;
    /// R-CMP-6).
    #[sea_orm(string_value = "COMPLAINT_RAISED")]
    ComplaintRaised,
    /// Nobody answered: the visit is tried again at `retryAt`.
    #[sea_orm(string_value = "UNREACHABLE")]
    Unreachable,
}

/// The customer's answer to "are you satisfied with <service>?" (R-SUR-4). AVERAGE is handled
/// like DISSATISFIED: the agent asks what to improve, apologises and calls again.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum VisitSatisfaction {
    /// 满意.
    #[sea_orm(string_value = "SATISFIED")]
    Satisfied,
    /// 一般: not satisfied, handled like DISSATISFIED.
    #[sea_orm(string_value = "AVERAGE")]
    Average,
    /// 不满意.
    #[sea_orm(string_value = "DISSATISFIED")]
    Dissatisfied,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "return_visits")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The ticket the visit follows up, like a survey's.
    pub ticket_kind: TicketKind,
    pub ticket_id: i64,
    pub customer_id: i64,
    pub service_centre_id: i64,
    /// The ticket's partner organization, copied so metrics scope visits without a join.
    pub organization_id: Option<i64>,
    pub purpose: VisitPurpose,
    /// 1 for the scheduled visit, +1 for each retry after an unreachable attempt.
    pub attempt: i16,
    pub due_at: DateTimeUtc,
    /// The customer set this time, so it may fall in their rest hours (R-SUR-2).
    pub customer_chose_time: bool,
    /// The fields below stay `None` until the visit is recorded (R-SUR-3).
    pub agent_id: Option<i64>,
    pub visited_at: Option<DateTimeUtc>,
    pub channel: Option<VisitChannel>,
    /// SATISFIED only; kept beside `satisfaction` for the satisfaction rate (R-SUR-1).
    pub satisfied: Option<bool>,
    pub satisfaction: Option<VisitSatisfaction>,
    /// What the customer would have done better, asked when not satisfied (R-SUR-4).
    pub improvement: Option<String>,
    pub answers: Option<String>,
    pub outcome: Option<VisitOutcome>,
    pub retry_at: Option<DateTimeUtc>,
    /// The complaint the customer raised on the call (R-CMP-6), not the ticket visited.
    pub complaint_id: Option<i64>,
    /// When the report was filed; its deadline and the review's are SLA clocks (R-SLA-9).
    pub recorded_at: Option<DateTimeUtc>,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<DateTimeUtc>,
    pub review_note: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Rest hours of a service centre's customers, local time; no row means 21:00–09:00
/// (R-SUR-2).
pub mod rest_hours {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "rest_hours")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub service_centre_id: i64,
        /// Minutes after local midnight when rest begins.
        pub start_minute: i32,
        /// Minutes after local midnight when rest ends (may be before `start_minute`).
        pub end_minute: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
