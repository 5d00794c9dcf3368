//! R-CMP-9: the supervisors' alert when a staff member gets a third valid, service-caused
//! complaint in one calendar month of their centre: `staff_complaint_alerts`, one row per staff
//! member and month (unique, so two verifications racing write it once), in the centre's
//! inbox until a supervisor acknowledges it. `down` drops it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use StaffComplaintAlerts as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(big_pk_auto(S::Id))
                    .col(big_integer(S::ServiceCentreId))
                    .col(big_integer(S::StaffMemberId))
                    .col(string_len(S::Month, 7))
                    .col(integer(S::ComplaintCount))
                    .col(big_integer(S::ComplaintId))
                    .col(timestamp_with_time_zone(S::CreatedAt))
                    .col(timestamp_with_time_zone_null(S::AcknowledgedAt))
                    .col(big_integer_null(S::AcknowledgedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_staff_complaint_alerts_staff_month")
                    .table(S::Table)
                    .col(S::StaffMemberId)
                    .col(S::Month)
                    .unique()
                    .to_owned(),
            )
            .await?;
        crate::common::index(
            manager,
            "idx_staff_complaint_alerts_inbox",
            S::Table,
            &[S::ServiceCentreId, S::AcknowledgedAt],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StaffComplaintAlerts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum StaffComplaintAlerts {
    Table,
    Id,
    ServiceCentreId,
    StaffMemberId,
    Month,
    ComplaintCount,
    ComplaintId,
    CreatedAt,
    AcknowledgedAt,
    AcknowledgedBy,
}
