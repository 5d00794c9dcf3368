//! Satisfaction surveys: one per ticket, answered once by its customer before expiry
//! (R-SUR-1, R-CMP-4).

use sea_orm::entity::prelude::*;

use crate::ticket_events::TicketKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "surveys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ticket_kind: TicketKind,
    pub ticket_id: i64,
    pub customer_id: i64,
    pub service_centre_id: i64,
    /// The ticket's partner organization, whose API keys may read the result (R-PRV-7).
    pub organization_id: Option<i64>,
    pub expires_at: DateTimeUtc,
    /// `None` until the customer answers; the scores below are set together with it.
    pub submitted_at: Option<DateTimeUtc>,
    pub timeliness: Option<i16>,
    pub attitude: Option<i16>,
    pub professionalism: Option<i16>,
    pub result: Option<i16>,
    pub overall: Option<i16>,
    pub comment: Option<String>,
    /// 0–10.
    pub would_recommend: Option<i16>,
    /// The complaint a low overall score opened (R-CMP-6).
    pub follow_up_complaint_id: Option<i64>,
    /// The staff member who entered answers the customer gave by phone (R-SUR-5); `None` when
    /// the customer answered themselves.
    pub entered_by: Option<i64>,
    /// When the survey was issued.
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
