//! R-SLA-11: inquiries (咨询), the third ticket kind: `inquiries` (number, customer, channel,
//! question and answer, the person in charge, the promised reply time, what it was converted
//! into, level and version), the default reply policy (INQUIRY/REPLY/ANY, 30 minutes on the
//! wall clock, warnings at 50 and 80 %, escalating) and `sla_clocks.promised_due_at`, the
//! reply time an agent promised, which replaces the policy's limit. `down` drops them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Inquiries as I;
        manager
            .create_table(
                Table::create()
                    .table(I::Table)
                    .col(big_pk_auto(I::Id))
                    .col(string_len_uniq(I::Number, 32))
                    .col(big_integer(I::CustomerId))
                    .col(big_integer(I::ServiceCentreId))
                    .col(big_integer_null(I::OrganizationId))
                    .col(string_len(I::Channel, 16))
                    .col(text(I::Question))
                    .col(text_null(I::Answer))
                    .col(string_len(I::Status, 16))
                    .col(big_integer_null(I::HandlerId))
                    .col(timestamp_with_time_zone_null(I::PassedAt))
                    .col(timestamp_with_time_zone_null(I::PromisedReplyAt))
                    .col(timestamp_with_time_zone_null(I::AnsweredAt))
                    .col(big_integer_null(I::AnsweredBy))
                    .col(string_len_null(I::ConvertedKind, 16))
                    .col(big_integer_null(I::ConvertedId))
                    .col(timestamp_with_time_zone_null(I::ConvertedAt))
                    .col(small_integer(I::EscalationLevel).default(1))
                    .col(integer(I::Version).default(1))
                    .col(timestamp_with_time_zone(I::CreatedAt))
                    .col(timestamp_with_time_zone(I::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "idx_inquiries_centre_created",
                &[I::ServiceCentreId, I::CreatedAt][..],
            ),
            (
                "idx_inquiries_customer_created",
                &[I::CustomerId, I::CreatedAt],
            ),
            ("idx_inquiries_organization", &[I::OrganizationId]),
            (
                "idx_inquiries_converted",
                &[I::ConvertedKind, I::ConvertedId],
            ),
        ] {
            crate::common::index(manager, name, I::Table, columns).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(SlaClocks::Table)
                    .add_column(timestamp_with_time_zone_null(SlaClocks::PromisedDueAt))
                    .to_owned(),
            )
            .await?;
        let epoch = crate::common::timestamp_literal(manager, "2026-12-11 00:00:00+00:00");
        let insert = Query::insert()
            .into_table(SlaPolicies::Table)
            .columns([
                SlaPolicies::TicketKind,
                SlaPolicies::Metric,
                SlaPolicies::Scope,
                SlaPolicies::DurationMinutes,
                SlaPolicies::BusinessTime,
                SlaPolicies::RuleId,
                SlaPolicies::UpdatedAt,
                SlaPolicies::WarnPercents,
                SlaPolicies::PauseStates,
                SlaPolicies::Repeating,
                SlaPolicies::Escalates,
                SlaPolicies::DayEnd,
            ])
            .values_panic([
                "INQUIRY".into(),
                "REPLY".into(),
                "ANY".into(),
                30.into(),
                false.into(),
                "R-SLA-11".into(),
                epoch,
                "50,80".into(),
                "".into(),
                false.into(),
                true.into(),
                false.into(),
            ])
            .to_owned();
        manager.exec_stmt(insert).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for statement in [
            "DELETE FROM sla_clocks WHERE ticket_kind = 'INQUIRY'",
            "DELETE FROM sla_policies WHERE ticket_kind = 'INQUIRY'",
        ] {
            db.execute_unprepared(statement).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(SlaClocks::Table)
                    .drop_column(SlaClocks::PromisedDueAt)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Inquiries::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Inquiries {
    Table,
    Id,
    Number,
    CustomerId,
    ServiceCentreId,
    OrganizationId,
    Channel,
    Question,
    Answer,
    Status,
    HandlerId,
    PassedAt,
    PromisedReplyAt,
    AnsweredAt,
    AnsweredBy,
    ConvertedKind,
    ConvertedId,
    ConvertedAt,
    EscalationLevel,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SlaClocks {
    Table,
    PromisedDueAt,
}

#[derive(DeriveIden)]
enum SlaPolicies {
    Table,
    TicketKind,
    Metric,
    Scope,
    DurationMinutes,
    BusinessTime,
    RuleId,
    UpdatedAt,
    WarnPercents,
    PauseStates,
    Repeating,
    Escalates,
    DayEnd,
}
