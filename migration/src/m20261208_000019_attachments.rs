//! Attachments (issue 15): photos and videos uploaded through the GraphQL multipart request
//! spec and kept in object storage. A row is the file's metadata; `ticket_kind`/`ticket_id`
//! stay NULL until the upload is attached, and pending rows older than the setting are removed
//! with their objects (indexed by age for that job). `down` drops the table (the objects stay
//! in the store).

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Attachments::Table)
                    .col(big_pk_auto(Attachments::Id))
                    .col(string_len_null(Attachments::TicketKind, 16))
                    .col(big_integer_null(Attachments::TicketId))
                    .col(big_integer_null(Attachments::UploaderUserId))
                    .col(big_integer_null(Attachments::UploaderApiKeyId))
                    .col(string_len(Attachments::ObjectKey, 128))
                    .col(string_len(Attachments::ContentType, 64))
                    .col(string_len(Attachments::FileName, 255))
                    .col(big_integer(Attachments::SizeBytes))
                    .col(string_len(Attachments::Sha256, 64))
                    .col(timestamp_with_time_zone(Attachments::CreatedAt))
                    .col(timestamp_with_time_zone_null(Attachments::AttachedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_attachments_object_key")
                    .table(Attachments::Table)
                    .col(Attachments::ObjectKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_attachments_ticket",
            Attachments::Table,
            &[Attachments::TicketKind, Attachments::TicketId],
        )
        .await?;
        index(
            manager,
            "idx_attachments_pending",
            Attachments::Table,
            &[Attachments::AttachedAt, Attachments::CreatedAt],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Attachments::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Attachments {
    Table,
    Id,
    TicketKind,
    TicketId,
    UploaderUserId,
    UploaderApiKeyId,
    ObjectKey,
    ContentType,
    FileName,
    SizeBytes,
    Sha256,
    CreatedAt,
    AttachedAt,
}
