//! Complaints: business calendar, complaint SLA policies (R-SLA-3..6 defaults), complaints,
//! escalations and staff penalties; the top-level (general manager) flag on users.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::{index, timestamp_literal};

#[derive(DeriveMigrationName)]
pub struct Migration;

const POLICY_EPOCH: &str = "2026-11-22 00:00:00+00:00";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(boolean(Users::TopLevel).default(false))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(BusinessHours::Table)
                    .col(big_pk_auto(BusinessHours::Id))
                    .col(big_integer(BusinessHours::ServiceCentreId))
                    .col(small_integer(BusinessHours::Weekday))
                    .col(integer(BusinessHours::StartMinute))
                    .col(integer(BusinessHours::EndMinute))
                    .foreign_key(
                        ForeignKey::create()
                            .from(BusinessHours::Table, BusinessHours::ServiceCentreId)
                            .to(ServiceCentres::Table, ServiceCentres::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_business_hours_centre",
            BusinessHours::Table,
            &[BusinessHours::ServiceCentreId],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(Holidays::Table)
                    .col(big_pk_auto(Holidays::Id))
                    .col(big_integer(Holidays::ServiceCentreId))
                    .col(date(Holidays::Date))
                    .col(string_len(Holidays::Name, 200))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Holidays::Table, Holidays::ServiceCentreId)
                            .to(ServiceCentres::Table, ServiceCentres::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_holidays_centre_date",
            Holidays::Table,
            &[Holidays::ServiceCentreId, Holidays::Date],
        )
        .await?;

        let epoch = timestamp_literal(manager, POLICY_EPOCH);
        let mut defaults = Query::insert();
        defaults.into_table(SlaPolicies::Table).columns([
            SlaPolicies::TicketKind,
            SlaPolicies::Metric,
            SlaPolicies::Scope,
            SlaPolicies::DurationMinutes,
            SlaPolicies::BusinessTime,
            SlaPolicies::RuleId,
            SlaPolicies::UpdatedAt,
        ]);
        for severity in ["GENERAL", "SERIOUS", "MAJOR"] {
            let resolution = if severity == "GENERAL" {
                24 * 60
            } else {
                72 * 60
            };
            for (metric, minutes, business, rule) in [
                ("FIRST_RESPONSE", 24 * 60, false, "R-SLA-6"),
                ("PROGRESS_UPDATE", 24 * 60, false, "R-SLA-3"),
                // Business-time limits count whole working days: 1440 minutes = 1 day.
                ("SOLUTION", 24 * 60, true, "R-SLA-5"),
                (
                    "RESOLUTION",
                    resolution,
                    false,
                    if severity == "GENERAL" {
                        "R-SLA-4"
                    } else {
                        "R-SLA-12"
                    },
                ),
            ] {
                defaults.values_panic([
                    "COMPLAINT".into(),
                    metric.into(),
                    severity.into(),
                    minutes.into(),
                    business.into(),
                    rule.into(),
                    epoch.clone(),
                ]);
            }
        }
        manager.exec_stmt(defaults).await?;

        manager
            .create_table(
                Table::create()
                    .table(Complaints::Table)
                    .col(big_pk_auto(Complaints::Id))
                    .col(string_len_uniq(Complaints::Number, 32))
                    .col(big_integer(Complaints::CustomerId))
                    .col(big_integer(Complaints::ServiceCentreId))
                    .col(big_integer_null(Complaints::OrganizationId))
                    .col(big_integer_null(Complaints::RepairOrderId))
                    .col(string_len(Complaints::Channel, 16))
                    .col(string_len(Complaints::Category, 24))
                    .col(string_len(Complaints::Severity, 8))
                    .col(string_len(Complaints::Status, 16))
                    .col(text(Complaints::Description))
                    .col(big_integer_null(Complaints::OwnerId))
                    .col(small_integer(Complaints::EscalationLevel))
                    .col(timestamp_with_time_zone_null(Complaints::AcknowledgedAt))
                    .col(timestamp_with_time_zone_null(
                        Complaints::PromisedResolutionAt,
                    ))
                    .col(timestamp_with_time_zone_null(Complaints::NextContactAt))
                    .col(timestamp_with_time_zone_null(Complaints::LastUpdateAt))
                    .col(timestamp_with_time_zone(Complaints::FirstResponseDue))
                    .col(timestamp_with_time_zone(Complaints::NextUpdateDue))
                    .col(timestamp_with_time_zone_null(Complaints::SolutionDue))
                    .col(timestamp_with_time_zone(Complaints::ResolutionDue))
                    .col(timestamp_with_time_zone_null(Complaints::NextDeadline))
                    .col(text_null(Complaints::Cause))
                    .col(string_len_null(Complaints::ResponsibleParty, 200))
                    .col(boolean_null(Complaints::Justified))
                    .col(timestamp_with_time_zone_null(Complaints::InvestigatedAt))
                    .col(text_null(Complaints::Resolution))
                    .col(decimal_len_null(Complaints::CompensationAmount, 14, 2))
                    .col(big_integer_null(Complaints::CompensationApprovedBy))
                    .col(timestamp_with_time_zone_null(Complaints::ResolvedAt))
                    .col(big_integer_null(Complaints::SupervisorApprovedBy))
                    .col(big_integer_null(Complaints::TopApprovedBy))
                    .col(timestamp_with_time_zone_null(Complaints::ClosedAt))
                    .col(integer(Complaints::Version))
                    .col(timestamp_with_time_zone(Complaints::CreatedAt))
                    .col(timestamp_with_time_zone(Complaints::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Complaints::Table, Complaints::CustomerId)
                            .to(Users::Table, Users::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Complaints::Table, Complaints::ServiceCentreId)
                            .to(ServiceCentres::Table, ServiceCentres::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Complaints::Table, Complaints::RepairOrderId)
                            .to(RepairOrders::Table, RepairOrders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // The sweeper reads overdue complaints by their earliest open deadline: O(overdue).
        index(
            manager,
            "idx_complaints_next_deadline",
            Complaints::Table,
            &[Complaints::NextDeadline],
        )
        .await?;
        for (name, scope) in [
            ("idx_complaints_centre_created", Complaints::ServiceCentreId),
            ("idx_complaints_customer_created", Complaints::CustomerId),
        ] {
            index(
                manager,
                name,
                Complaints::Table,
                &[scope, Complaints::CreatedAt, Complaints::Id],
            )
            .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Escalations::Table)
                    .col(big_pk_auto(Escalations::Id))
                    .col(big_integer(Escalations::ComplaintId))
                    .col(small_integer(Escalations::FromLevel))
                    .col(small_integer(Escalations::ToLevel))
                    .col(text(Escalations::Reason))
                    .col(string_len_null(Escalations::DeadlineKind, 24))
                    .col(timestamp_with_time_zone_null(Escalations::DeadlineAt))
                    .col(big_integer_null(Escalations::EscalatedBy))
                    .col(big_integer_null(Escalations::FromUserId))
                    .col(boolean(Escalations::Automatic))
                    .col(timestamp_with_time_zone(Escalations::CreatedAt))
                    .col(timestamp_with_time_zone_null(Escalations::AcknowledgedAt))
                    .col(big_integer_null(Escalations::AcknowledgedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Escalations::Table, Escalations::ComplaintId)
                            .to(Complaints::Table, Complaints::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_escalations_complaint",
            Escalations::Table,
            &[Escalations::ComplaintId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(StaffPenalties::Table)
                    .col(big_pk_auto(StaffPenalties::Id))
                    .col(big_integer(StaffPenalties::UserId))
                    .col(big_integer(StaffPenalties::ComplaintId))
                    .col(string_len(StaffPenalties::DeadlineKind, 24))
                    .col(timestamp_with_time_zone(StaffPenalties::DeadlineAt))
                    .col(integer(StaffPenalties::LateMinutes))
                    .col(integer(StaffPenalties::Points))
                    .col(timestamp_with_time_zone(StaffPenalties::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(StaffPenalties::Table, StaffPenalties::ComplaintId)
                            .to(Complaints::Table, Complaints::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_staff_penalties_user",
            StaffPenalties::Table,
            &[StaffPenalties::UserId, StaffPenalties::CreatedAt],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            StaffPenalties::Table.into_iden(),
            Escalations::Table.into_iden(),
            Complaints::Table.into_iden(),
            Holidays::Table.into_iden(),
            BusinessHours::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(SlaPolicies::Table)
                    .and_where(Expr::col(SlaPolicies::TicketKind).eq("COMPLAINT"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::TopLevel)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    TopLevel,
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

#[derive(DeriveIden, Clone, Copy)]
enum SlaPolicies {
    Table,
    TicketKind,
    Metric,
    Scope,
    DurationMinutes,
    BusinessTime,
    RuleId,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum BusinessHours {
    Table,
    Id,
    ServiceCentreId,
    Weekday,
    StartMinute,
    EndMinute,
}

#[derive(DeriveIden, Clone, Copy)]
enum Holidays {
    Table,
    Id,
    ServiceCentreId,
    Date,
    Name,
}

#[derive(DeriveIden, Clone, Copy)]
enum Complaints {
    Table,
    Id,
    Number,
    CustomerId,
    ServiceCentreId,
    OrganizationId,
    RepairOrderId,
    Channel,
    Category,
    Severity,
    Status,
    Description,
    OwnerId,
    EscalationLevel,
    AcknowledgedAt,
    PromisedResolutionAt,
    NextContactAt,
    LastUpdateAt,
    FirstResponseDue,
    NextUpdateDue,
    SolutionDue,
    ResolutionDue,
    NextDeadline,
    Cause,
    ResponsibleParty,
    Justified,
    InvestigatedAt,
    Resolution,
    CompensationAmount,
    CompensationApprovedBy,
    ResolvedAt,
    SupervisorApprovedBy,
    TopApprovedBy,
    ClosedAt,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Escalations {
    Table,
    Id,
    ComplaintId,
    FromLevel,
    ToLevel,
    Reason,
    DeadlineKind,
    DeadlineAt,
    EscalatedBy,
    FromUserId,
    Automatic,
    CreatedAt,
    AcknowledgedAt,
    AcknowledgedBy,
}

#[derive(DeriveIden, Clone, Copy)]
enum StaffPenalties {
    Table,
    Id,
    UserId,
    ComplaintId,
    DeadlineKind,
    DeadlineAt,
    LateMinutes,
    Points,
    CreatedAt,
}
