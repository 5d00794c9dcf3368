//! Append-only timeline of every ticket; also the audit log.

use sea_orm::entity::prelude::*;

/// The kind of a ticket (or of a clock owner): ids are per kind.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TicketKind {
    /// A repair order (fault report, return or exchange request).
    #[sea_orm(string_value = "REPAIR_ORDER")]
    RepairOrder,
    /// A complaint.
    #[sea_orm(string_value = "COMPLAINT")]
    Complaint,
    /// A return visit's own clocks and policies (R-SLA-7..9); its timeline entries go on the
    /// ticket it visits.
    #[sea_orm(string_value = "RETURN_VISIT")]
    ReturnVisit,
    /// An inquiry (R-SLA-11): a question, with its own reply clock.
    #[sea_orm(string_value = "INQUIRY")]
    Inquiry,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ticket_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ticket_kind: TicketKind,
    pub ticket_id: i64,
    /// The user who acted; `None` for partners (see `actor_api_key_id`) and the system.
    pub actor_user_id: Option<i64>,
    pub actor_api_key_id: Option<i64>,
    /// Role of the actor at the time, or `SYSTEM`.
    pub actor_role: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub note: Option<String>,
    /// Shown to customers and partners; internal entries are staff-only.
    pub public: bool,
    pub created_at: DateTimeUtc,
    /// The writing transaction on PostgreSQL (0 on SQLite): with `id`, the change feed's
    /// commit-ordered position. Set by the database, never by the server.
    pub commit_tx: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
