//! Satisfaction surveys (R-SUR-1, R-CMP-4), return visits (R-SLA-7..9, R-SUR-2/3) and the
//! per-centre rest hours return visits avoid.

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
                    .table(Surveys::Table)
                    .col(big_pk_auto(Surveys::Id))
                    .col(string_len(Surveys::TicketKind, 16))
                    .col(big_integer(Surveys::TicketId))
                    .col(big_integer(Surveys::CustomerId))
                    .col(big_integer(Surveys::ServiceCentreId))
                    .col(big_integer_null(Surveys::OrganizationId))
                    .col(timestamp_with_time_zone(Surveys::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Surveys::SubmittedAt))
                    .col(small_integer_null(Surveys::Timeliness))
                    .col(small_integer_null(Surveys::Attitude))
                    .col(small_integer_null(Surveys::Professionalism))
                    .col(small_integer_null(Surveys::Result))
                    .col(small_integer_null(Surveys::Overall))
                    .col(text_null(Surveys::Comment))
                    .col(small_integer_null(Surveys::WouldRecommend))
                    .col(big_integer_null(Surveys::FollowUpComplaintId))
                    .col(timestamp_with_time_zone(Surveys::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Surveys::Table, Surveys::CustomerId)
                            .to(Users::Table, Users::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Surveys::Table, Surveys::ServiceCentreId)
                            .to(ServiceCentres::Table, ServiceCentres::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Surveys::Table, Surveys::FollowUpComplaintId)
                            .to(Complaints::Table, Complaints::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Exactly one survey per ticket, even when two transitions race (R-SUR-1).
        manager
            .create_index(
                Index::create()
                    .name("uq_surveys_ticket")
                    .table(Surveys::Table)
                    .col(Surveys::TicketKind)
                    .col(Surveys::TicketId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Customers' pending surveys by expiry; staff and partners list by issue time.
        for (name, scope, order) in [
            (
                "idx_surveys_customer_expires",
                Surveys::CustomerId,
                Surveys::ExpiresAt,
            ),
            (
                "idx_surveys_centre_created",
                Surveys::ServiceCentreId,
                Surveys::CreatedAt,
            ),
            (
                "idx_surveys_organization_created",
                Surveys::OrganizationId,
                Surveys::CreatedAt,
            ),
        ] {
            index(manager, name, Surveys::Table, &[scope, order, Surveys::Id]).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ReturnVisits::Table)
                    .col(big_pk_auto(ReturnVisits::Id))
                    .col(big_integer(ReturnVisits::RepairOrderId))
                    .col(big_integer(ReturnVisits::CustomerId))
                    .col(big_integer(ReturnVisits::ServiceCentreId))
                    .col(string_len(ReturnVisits::Purpose, 16))
                    .col(small_integer(ReturnVisits::Attempt))
                    .col(timestamp_with_time_zone(ReturnVisits::DueAt))
                    .col(boolean(ReturnVisits::CustomerChoseTime))
                    .col(big_integer_null(ReturnVisits::AgentId))
                    .col(timestamp_with_time_zone_null(ReturnVisits::VisitedAt))
                    .col(string_len_null(ReturnVisits::Channel, 16))
                    .col(boolean_null(ReturnVisits::Satisfied))
                    .col(text_null(ReturnVisits::Answers))
                    .col(string_len_null(ReturnVisits::Outcome, 24))
                    .col(timestamp_with_time_zone_null(ReturnVisits::RetryAt))
                    .col(big_integer_null(ReturnVisits::ComplaintId))
                    .col(timestamp_with_time_zone_null(ReturnVisits::RecordedAt))
                    .col(timestamp_with_time_zone_null(ReturnVisits::ReportDueAt))
                    .col(boolean_null(ReturnVisits::ReportLate))
                    .col(timestamp_with_time_zone_null(ReturnVisits::ReviewDueAt))
                    .col(big_integer_null(ReturnVisits::ReviewedBy))
                    .col(timestamp_with_time_zone_null(ReturnVisits::ReviewedAt))
                    .col(text_null(ReturnVisits::ReviewNote))
                    .col(timestamp_with_time_zone(ReturnVisits::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReturnVisits::Table, ReturnVisits::RepairOrderId)
                            .to(RepairOrders::Table, RepairOrders::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReturnVisits::Table, ReturnVisits::ServiceCentreId)
                            .to(ServiceCentres::Table, ServiceCentres::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReturnVisits::Table, ReturnVisits::ComplaintId)
                            .to(Complaints::Table, Complaints::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // One row per attempt of each scheduled visit: an unreachable customer adds an attempt.
        manager
            .create_index(
                Index::create()
                    .name("uq_return_visits_attempt")
                    .table(ReturnVisits::Table)
                    .col(ReturnVisits::RepairOrderId)
                    .col(ReturnVisits::Purpose)
                    .col(ReturnVisits::Attempt)
                    .unique()
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_return_visits_centre_due",
            ReturnVisits::Table,
            &[ReturnVisits::ServiceCentreId, ReturnVisits::DueAt],
        )
        .await?;
        index(
            manager,
            "idx_return_visits_centre_review_due",
            ReturnVisits::Table,
            &[ReturnVisits::ServiceCentreId, ReturnVisits::ReviewDueAt],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(RestHours::Table)
                    .col(big_integer(RestHours::ServiceCentreId).primary_key())
                    .col(integer(RestHours::StartMinute))
                    .col(integer(RestHours::EndMinute))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RestHours::Table, RestHours::ServiceCentreId)
                            .to(ServiceCentres::Table, ServiceCentres::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RestHours::Table.into_iden(),
            ReturnVisits::Table.into_iden(),
            Surveys::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ServiceCentres {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum RepairOrders {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Complaints {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Surveys {
    Table,
    Id,
    TicketKind,
    TicketId,
    CustomerId,
    ServiceCentreId,
    OrganizationId,
    ExpiresAt,
    SubmittedAt,
    Timeliness,
    Attitude,
    Professionalism,
    Result,
    Overall,
    Comment,
    WouldRecommend,
    FollowUpComplaintId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ReturnVisits {
    Table,
    Id,
    RepairOrderId,
    CustomerId,
    ServiceCentreId,
    Purpose,
    Attempt,
    DueAt,
    CustomerChoseTime,
    AgentId,
    VisitedAt,
    Channel,
    Satisfied,
    Answers,
    Outcome,
    RetryAt,
    ComplaintId,
    RecordedAt,
    ReportDueAt,
    ReportLate,
    ReviewDueAt,
    ReviewedBy,
    ReviewedAt,
    ReviewNote,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RestHours {
    Table,
    ServiceCentreId,
    StartMinute,
    EndMinute,
}
