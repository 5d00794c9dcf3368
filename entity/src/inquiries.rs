//! Inquiries (咨询): a customer's question, not a fault or a complaint; the third ticket kind,
//! with its own reply clock (R-SLA-11).

use sea_orm::entity::prelude::*;

use crate::ticket_events::TicketKind;

/// How an inquiry reached the service.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum InquiryChannel {
    /// The mobile app (the channel of every inquiry a customer asks).
    #[sea_orm(string_value = "APP")]
    App,
    /// A phone call to an agent.
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
    /// In person at a service centre.
    #[sea_orm(string_value = "WALK_IN")]
    WalkIn,
    /// A partner system (the channel of every inquiry a partner asks).
    #[sea_orm(string_value = "PARTNER")]
    Partner,
}

/// Where an inquiry stands (R-SLA-11).
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum InquiryStatus {
    /// Asked and not answered on the spot; the reply clock runs.
    #[sea_orm(string_value = "OPEN")]
    Open,
    /// Passed to the person in charge, who owes the customer the reply.
    #[sea_orm(string_value = "PASSED")]
    Passed,
    /// Answered; the customer sees the answer.
    #[sea_orm(string_value = "ANSWERED")]
    Answered,
    /// It turned out to be a fault or a complaint: converted into a repair order or complaint.
    #[sea_orm(string_value = "CONVERTED")]
    Converted,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inquiries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Human-readable, e.g. `IQ-20261211-000042`.
    #[sea_orm(unique)]
    pub number: String,
    pub customer_id: i64,
    pub service_centre_id: i64,
    pub organization_id: Option<i64>,
    pub channel: InquiryChannel,
    pub question: String,
    pub answer: Option<String>,
    pub status: InquiryStatus,
    /// The person in charge it was passed to; a miss of the reply clock is theirs (R-ESC-6).
    pub handler_id: Option<i64>,
    pub passed_at: Option<DateTimeUtc>,
    /// The reply time the agent promised the customer; replaces the default limit.
    pub promised_reply_at: Option<DateTimeUtc>,
    pub answered_at: Option<DateTimeUtc>,
    pub answered_by: Option<i64>,
    /// The repair order or complaint it became.
    pub converted_kind: Option<TicketKind>,
    pub converted_id: Option<i64>,
    pub converted_at: Option<DateTimeUtc>,
    /// 1 = agent, 2 = supervisor/manager, 3 = top level (R-ESC-2).
    pub escalation_level: i16,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
