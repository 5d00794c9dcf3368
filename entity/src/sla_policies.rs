//! Configurable time limits (RULES.md: "numbers are defaults of a configurable policy").

use sea_orm::entity::prelude::*;

use crate::ticket_events::TicketKind;

/// Which clock a policy sets.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum SlaMetric {
    /// The customer hears from the service team (R-SLA-6, R-SLA-14).
    #[sea_orm(string_value = "CONTACT")]
    Contact,
    /// Technician on site (R-SLA-1/2).
    #[sea_orm(string_value = "ARRIVAL")]
    Arrival,
    /// A complaint's first reply to the customer, met by its acknowledgement (24 h; R-SLA-6).
    #[sea_orm(string_value = "FIRST_RESPONSE")]
    FirstResponse,
    /// A complaint's next progress update to the customer, repeating every 24 h while it is open
    /// (R-SLA-3).
    #[sea_orm(string_value = "PROGRESS_UPDATE")]
    ProgressUpdate,
    /// The cause found and a solution proposed by the person responsible for a complaint, within 1
    /// working day of the acknowledgement (R-SLA-5).
    #[sea_orm(string_value = "SOLUTION")]
    Solution,
    /// The ticket resolved: a complaint within 24 h (GENERAL, R-SLA-4) or 72 h (SERIOUS, MAJOR;
    /// R-SLA-12); an URGENT or PREMIUM repair fixed within 24 h (R-SLA-14).
    #[sea_orm(string_value = "RESOLUTION")]
    Resolution,
    /// Days after purchase in which a return or exchange needs no reason (R-REP-4).
    #[sea_orm(string_value = "RETURN_WINDOW")]
    ReturnWindow,
    /// Time from closure (or completion) to a return visit, scoped by the visit's purpose
    /// (R-SLA-7, R-SLA-8).
    #[sea_orm(string_value = "RETURN_VISIT")]
    ReturnVisit,
    /// The written return-visit report, filed the day after the call (R-SLA-9).
    #[sea_orm(string_value = "REPORT")]
    Report,
    /// A supervisor's review of a filed return-visit report (R-SLA-9).
    #[sea_orm(string_value = "REVIEW")]
    Review,
    /// A completed repair the customer neither confirms nor rejects is confirmed for them
    /// when this clock runs out.
    #[sea_orm(string_value = "CONFIRMATION")]
    Confirmation,
    /// A complaint's first contact with the customer (acknowledgement, update or resolution),
    /// within 1 working day of receipt (R-SLA-15).
    #[sea_orm(string_value = "FIRST_CONTACT")]
    FirstContact,
    /// A long-running complaint's proactive contact with the customer, repeating weekly; it runs
    /// instead of PROGRESS_UPDATE only where that is switched off or longer (R-SLA-15).
    #[sea_orm(string_value = "PROACTIVE_CONTACT")]
    ProactiveContact,
    /// An inquiry's reply to the customer: 30 minutes, or the time the agent promised
    /// (R-SLA-11).
    #[sea_orm(string_value = "REPLY")]
    Reply,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sla_policies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ticket_kind: TicketKind,
    pub metric: SlaMetric,
    /// What the limit applies to within the kind: `IN_WARRANTY` / `OUT_OF_WARRANTY` for repair
    /// arrival, a severity for complaints, a visit purpose for return visits.
    pub scope: String,
    pub duration_minutes: i32,
    /// Counted in working hours of the service centre's calendar instead of wall-clock time.
    pub business_time: bool,
    /// The RULES.md id the limit implements.
    pub rule_id: String,
    pub updated_at: DateTimeUtc,
    /// Percent of the limit at which a warning is sent, comma-separated (`75,90`).
    pub warn_percents: String,
    /// Ticket statuses that pause the clock, comma-separated (`WAITING_FOR_PARTS`).
    pub pause_states: String,
    /// A new cycle starts when the clock is met or missed (R-SLA-3).
    pub repeating: bool,
    /// A miss escalates the ticket one level per missed period (R-ESC-2).
    pub escalates: bool,
    /// The limit runs to the end of the local day it falls on ("the day after", R-SLA-9):
    /// whole days then count dates, working dates for business time.
    pub day_end: bool,
    /// Switched on: the policy starts clocks. A switched-off policy starts none (an admin
    /// moves a complaint severity from the 24 h update to the weekly contact, R-SLA-15).
    pub active: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
