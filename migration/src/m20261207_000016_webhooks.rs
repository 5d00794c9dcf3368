//! Webhooks (issue 13): `webhook_endpoints` (a partner organization's, or internal when it has
//! none), `webhook_messages` (one per endpoint and timeline event, unique so that a dispatcher
//! racing another never writes one twice; indexed by what the delivery worker claims),
//! `webhook_attempts` (the delivery log) and `webhook_dispatch`, the single row that holds how
//! far the dispatcher has read the timeline. `down` drops them.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoints::Table)
                    .col(big_pk_auto(WebhookEndpoints::Id))
                    .col(big_integer_null(WebhookEndpoints::OrganizationId))
                    .col(string_len(WebhookEndpoints::Url, 2048))
                    .col(string_len(WebhookEndpoints::Description, 500))
                    .col(text(WebhookEndpoints::EventTypes))
                    .col(string_len(WebhookEndpoints::Secret, 100))
                    .col(string_len_null(WebhookEndpoints::PreviousSecret, 100))
                    .col(timestamp_with_time_zone_null(
                        WebhookEndpoints::PreviousSecretExpiresAt,
                    ))
                    .col(boolean(WebhookEndpoints::Enabled))
                    .col(timestamp_with_time_zone_null(WebhookEndpoints::DisabledAt))
                    .col(string_len_null(WebhookEndpoints::DisabledReason, 500))
                    .col(timestamp_with_time_zone_null(
                        WebhookEndpoints::FailingSince,
                    ))
                    .col(string_len(WebhookEndpoints::CreatedBy, 64))
                    .col(timestamp_with_time_zone(WebhookEndpoints::CreatedAt))
                    .col(integer(WebhookEndpoints::Version))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookEndpoints::Table, WebhookEndpoints::OrganizationId)
                            .to(Organizations::Table, Organizations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_webhook_endpoints_organization",
            WebhookEndpoints::Table,
            &[WebhookEndpoints::OrganizationId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookMessages::Table)
                    .col(big_pk_auto(WebhookMessages::Id))
                    .col(big_integer(WebhookMessages::EndpointId))
                    .col(big_integer(WebhookMessages::EventId))
                    .col(string_len(WebhookMessages::MsgId, 40))
                    .col(string_len(WebhookMessages::EventType, 100))
                    .col(text(WebhookMessages::Payload))
                    .col(string_len(WebhookMessages::Status, 16))
                    .col(integer(WebhookMessages::Attempts))
                    .col(timestamp_with_time_zone(WebhookMessages::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(WebhookMessages::LockedUntil))
                    .col(timestamp_with_time_zone(WebhookMessages::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookMessages::Table, WebhookMessages::EndpointId)
                            .to(WebhookEndpoints::Table, WebhookEndpoints::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_webhook_messages_endpoint_event")
                    .table(WebhookMessages::Table)
                    .col(WebhookMessages::EndpointId)
                    .col(WebhookMessages::EventId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_webhook_messages_due",
            WebhookMessages::Table,
            &[
                WebhookMessages::Status,
                WebhookMessages::NextAttemptAt,
                WebhookMessages::Id,
            ],
        )
        .await?;
        index(
            manager,
            "idx_webhook_messages_endpoint_created",
            WebhookMessages::Table,
            &[
                WebhookMessages::EndpointId,
                WebhookMessages::CreatedAt,
                WebhookMessages::Id,
            ],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookAttempts::Table)
                    .col(big_pk_auto(WebhookAttempts::Id))
                    .col(big_integer(WebhookAttempts::MessageId))
                    .col(timestamp_with_time_zone(WebhookAttempts::AttemptedAt))
                    .col(integer(WebhookAttempts::DurationMs))
                    .col(integer_null(WebhookAttempts::ResponseStatus))
                    .col(text_null(WebhookAttempts::Error))
                    .col(text_null(WebhookAttempts::ResponseBody))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookAttempts::Table, WebhookAttempts::MessageId)
                            .to(WebhookMessages::Table, WebhookMessages::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_webhook_attempts_message",
            WebhookAttempts::Table,
            &[WebhookAttempts::MessageId, WebhookAttempts::Id],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookDispatch::Table)
                    .col(integer(WebhookDispatch::Id).primary_key())
                    .col(big_integer(WebhookDispatch::CommitTx))
                    .col(big_integer(WebhookDispatch::EventId))
                    .to_owned(),
            )
            .await?;
        // Timeline rows written before webhooks existed have no endpoint to go to.
        let start = Query::select()
            .expr(Expr::val(1))
            .expr(Expr::cust("COALESCE(MAX(commit_tx), 0)"))
            .expr(Expr::cust("COALESCE(MAX(id), 0)"))
            .from(TicketEvents::Table)
            .to_owned();
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(WebhookDispatch::Table)
                    .columns([
                        WebhookDispatch::Id,
                        WebhookDispatch::CommitTx,
                        WebhookDispatch::EventId,
                    ])
                    .select_from(start)
                    .map_err(|err| DbErr::Migration(err.to_string()))?
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookDispatch::Table.into_iden(),
            WebhookAttempts::Table.into_iden(),
            WebhookMessages::Table.into_iden(),
            WebhookEndpoints::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookEndpoints {
    Table,
    Id,
    OrganizationId,
    Url,
    Description,
    EventTypes,
    Secret,
    PreviousSecret,
    PreviousSecretExpiresAt,
    Enabled,
    DisabledAt,
    DisabledReason,
    FailingSince,
    CreatedBy,
    CreatedAt,
    Version,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookMessages {
    Table,
    Id,
    EndpointId,
    EventId,
    MsgId,
    EventType,
    Payload,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookAttempts {
    Table,
    Id,
    MessageId,
    AttemptedAt,
    DurationMs,
    ResponseStatus,
    Error,
    ResponseBody,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookDispatch {
    Table,
    Id,
    CommitTx,
    EventId,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum TicketEvents {
    Table,
}
