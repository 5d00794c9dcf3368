//! Photos and videos on tickets: the metadata of a file kept in object storage. A row without
//! a ticket is a pending upload, removed with its object when not attached in time.

use sea_orm::entity::prelude::*;

use crate::ticket_events::TicketKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attachments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The ticket it is attached to; `None` while pending.
    pub ticket_kind: Option<TicketKind>,
    pub ticket_id: Option<i64>,
    /// Who uploaded it: a user, or a partner's API key.
    pub uploader_user_id: Option<i64>,
    pub uploader_api_key_id: Option<i64>,
    /// Where the bytes are in the object store; never shown to clients.
    pub object_key: String,
    /// The type sniffed from the content (`image/jpeg`, `video/mp4`, …), not the client's word.
    pub content_type: String,
    /// The client's file name, checked (no control characters, bounded), for display only.
    pub file_name: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    pub created_at: DateTimeUtc,
    pub attached_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
