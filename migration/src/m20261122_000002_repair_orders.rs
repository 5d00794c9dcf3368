//! Repair orders: assets, SLA policies (with the R-SLA-1/2 defaults), orders, their parts and
//! labour lines, and the ticket timeline.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::{index, timestamp_literal};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// When the default policies were written; policies carry the time they last changed.
const POLICY_EPOCH: &str = "2026-11-22 00:00:00+00:00";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Assets::Table)
                    .col(big_pk_auto(Assets::Id))
                    .col(big_integer(Assets::CustomerId))
                    .col(string_len(Assets::Model, 200))
                    .col(string_len(Assets::SerialNumber, 100))
                    .col(date(Assets::PurchaseDate))
                    .col(date(Assets::WarrantyEndsOn))
                    .col(timestamp_with_time_zone(Assets::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Assets::Table, Assets::CustomerId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_assets_customer",
            Assets::Table,
            &[Assets::CustomerId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(SlaPolicies::Table)
                    .col(big_pk_auto(SlaPolicies::Id))
                    .col(string_len(SlaPolicies::TicketKind, 16))
                    .col(string_len(SlaPolicies::Metric, 24))
                    .col(string_len(SlaPolicies::Scope, 24))
                    .col(integer(SlaPolicies::DurationMinutes))
                    .col(boolean(SlaPolicies::BusinessTime))
                    .col(string_len(SlaPolicies::RuleId, 16))
                    .col(timestamp_with_time_zone(SlaPolicies::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_sla_policies_kind_metric_scope")
                    .table(SlaPolicies::Table)
                    .col(SlaPolicies::TicketKind)
                    .col(SlaPolicies::Metric)
                    .col(SlaPolicies::Scope)
                    .unique()
                    .to_owned(),
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
        for (metric, scope, minutes, rule) in [
            ("ARRIVAL", "IN_WARRANTY", 12 * 60, "R-SLA-1"),
            ("ARRIVAL", "OUT_OF_WARRANTY", 48 * 60, "R-SLA-2"),
            // Whole days: 15 × 1440 minutes.
            ("RETURN_WINDOW", "ANY", 15 * 24 * 60, "R-REP-4"),
        ] {
            defaults.values_panic([
                "REPAIR_ORDER".into(),
                metric.into(),
                scope.into(),
                minutes.into(),
                false.into(),
                rule.into(),
                epoch.clone(),
            ]);
        }
        manager.exec_stmt(defaults).await?;

        manager
            .create_table(
                Table::create()
                    .table(RepairOrders::Table)
                    .col(big_pk_auto(RepairOrders::Id))
                    .col(string_len_uniq(RepairOrders::Number, 32))
                    .col(big_integer(RepairOrders::CustomerId))
                    .col(big_integer(RepairOrders::AssetId))
                    .col(big_integer(RepairOrders::ServiceCentreId))
                    .col(big_integer_null(RepairOrders::OrganizationId))
                    .col(string_len(RepairOrders::RequestType, 8))
                    .col(text(RepairOrders::FaultDescription))
                    .col(string_len(RepairOrders::ServiceAddress, 500))
                    .col(string_len(RepairOrders::ContactPhone, 32))
                    .col(string_len(RepairOrders::Priority, 8))
                    .col(string_len(RepairOrders::Channel, 8))
                    .col(string_len(RepairOrders::Status, 16))
                    .col(big_integer_null(RepairOrders::TechnicianId))
                    .col(timestamp_with_time_zone_null(
                        RepairOrders::AppointmentStart,
                    ))
                    .col(timestamp_with_time_zone_null(RepairOrders::AppointmentEnd))
                    .col(boolean(RepairOrders::InWarranty))
                    .col(timestamp_with_time_zone(RepairOrders::ReportedAt))
                    .col(timestamp_with_time_zone(RepairOrders::PolicyArriveBy))
                    .col(timestamp_with_time_zone(RepairOrders::ArriveBy))
                    .col(boolean(RepairOrders::ArriveByCustomerRequested))
                    .col(timestamp_with_time_zone_null(RepairOrders::ArrivedAt))
                    .col(boolean(RepairOrders::ArrivalBreached))
                    .col(timestamp_with_time_zone_null(RepairOrders::CompletedAt))
                    .col(timestamp_with_time_zone_null(RepairOrders::ClosedAt))
                    .col(text_null(RepairOrders::CancelReason))
                    .col(decimal_len(RepairOrders::TotalAmount, 14, 2))
                    .col(integer(RepairOrders::Version))
                    .col(timestamp_with_time_zone(RepairOrders::CreatedAt))
                    .col(timestamp_with_time_zone(RepairOrders::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RepairOrders::Table, RepairOrders::CustomerId)
                            .to(Users::Table, Users::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RepairOrders::Table, RepairOrders::TechnicianId)
                            .to(Users::Table, Users::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RepairOrders::Table, RepairOrders::AssetId)
                            .to(Assets::Table, Assets::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RepairOrders::Table, RepairOrders::ServiceCentreId)
                            .to(ServiceCentres::Table, ServiceCentres::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Keyset pagination on (created_at, id) within each visibility scope.
        index(
            manager,
            "idx_repair_orders_created",
            RepairOrders::Table,
            &[RepairOrders::CreatedAt, RepairOrders::Id],
        )
        .await?;
        for (name, scope) in [
            (
                "idx_repair_orders_centre_created",
                RepairOrders::ServiceCentreId,
            ),
            (
                "idx_repair_orders_customer_created",
                RepairOrders::CustomerId,
            ),
            (
                "idx_repair_orders_technician_created",
                RepairOrders::TechnicianId,
            ),
            (
                "idx_repair_orders_organization_created",
                RepairOrders::OrganizationId,
            ),
        ] {
            index(
                manager,
                name,
                RepairOrders::Table,
                &[scope, RepairOrders::CreatedAt, RepairOrders::Id],
            )
            .await?;
        }
        // Open orders by arrival deadline, for overdue scans.
        index(
            manager,
            "idx_repair_orders_status_arrive_by",
            RepairOrders::Table,
            &[RepairOrders::Status, RepairOrders::ArriveBy],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(RepairLines::Table)
                    .col(big_pk_auto(RepairLines::Id))
                    .col(big_integer(RepairLines::RepairOrderId))
                    .col(string_len(RepairLines::Kind, 8))
                    .col(string_len(RepairLines::Description, 500))
                    .col(string_len_null(RepairLines::PartCode, 64))
                    .col(decimal_len(RepairLines::Quantity, 12, 3))
                    .col(decimal_len(RepairLines::UnitPrice, 14, 2))
                    .col(decimal_len(RepairLines::Amount, 14, 2))
                    .col(big_integer(RepairLines::CreatedBy))
                    .col(timestamp_with_time_zone(RepairLines::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RepairLines::Table, RepairLines::RepairOrderId)
                            .to(RepairOrders::Table, RepairOrders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_repair_lines_order",
            RepairLines::Table,
            &[RepairLines::RepairOrderId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(TicketEvents::Table)
                    .col(big_pk_auto(TicketEvents::Id))
                    .col(string_len(TicketEvents::TicketKind, 16))
                    .col(big_integer(TicketEvents::TicketId))
                    .col(big_integer_null(TicketEvents::ActorUserId))
                    .col(big_integer_null(TicketEvents::ActorApiKeyId))
                    .col(string_len(TicketEvents::ActorRole, 16))
                    .col(string_len(TicketEvents::Action, 40))
                    .col(string_len_null(TicketEvents::FromStatus, 16))
                    .col(string_len_null(TicketEvents::ToStatus, 16))
                    .col(text_null(TicketEvents::Note))
                    .col(boolean(TicketEvents::Public))
                    .col(timestamp_with_time_zone(TicketEvents::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_ticket_events_ticket",
            TicketEvents::Table,
            &[
                TicketEvents::TicketKind,
                TicketEvents::TicketId,
                TicketEvents::Id,
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            TicketEvents::Table.into_iden(),
            RepairLines::Table.into_iden(),
            RepairOrders::Table.into_iden(),
            SlaPolicies::Table.into_iden(),
            Assets::Table.into_iden(),
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

#[derive(DeriveIden, Clone, Copy)]
enum Assets {
    Table,
    Id,
    CustomerId,
    Model,
    SerialNumber,
    PurchaseDate,
    WarrantyEndsOn,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum SlaPolicies {
    Table,
    Id,
    TicketKind,
    Metric,
    Scope,
    DurationMinutes,
    BusinessTime,
    RuleId,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RepairOrders {
    Table,
    Id,
    Number,
    CustomerId,
    AssetId,
    ServiceCentreId,
    OrganizationId,
    RequestType,
    FaultDescription,
    ServiceAddress,
    ContactPhone,
    Priority,
    Channel,
    Status,
    TechnicianId,
    AppointmentStart,
    AppointmentEnd,
    InWarranty,
    ReportedAt,
    PolicyArriveBy,
    ArriveBy,
    ArriveByCustomerRequested,
    ArrivedAt,
    ArrivalBreached,
    CompletedAt,
    ClosedAt,
    CancelReason,
    TotalAmount,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RepairLines {
    Table,
    Id,
    RepairOrderId,
    Kind,
    Description,
    PartCode,
    Quantity,
    UnitPrice,
    Amount,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum TicketEvents {
    Table,
    Id,
    TicketKind,
    TicketId,
    ActorUserId,
    ActorApiKeyId,
    ActorRole,
    Action,
    FromStatus,
    ToStatus,
    Note,
    Public,
    CreatedAt,
}
