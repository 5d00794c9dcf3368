//! Complaint outcomes and facts (issue 16): the written reason of a complaint that is not
//! upheld (R-CMP-11), the customer's five-point rating of the result (R-CMP-13), the recorded
//! facts that set a minimum severity (R-CLS-3/4: an earlier complaint about the same event, a
//! regulator or 12315 complaint, media exposure, a government penalty), the staff member a
//! complaint is about with its verification (R-CMP-12, R-CMP-9) and the complainant's wish
//! for anonymity (R-PRV-10). Existing rows get no facts, no staff member and no anonymity.
//! One `ALTER` per column, as SQLite adds one at a time; `down` drops them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Complaints {
    Table,
    RejectionReason,
    RejectedAt,
    ResultRating,
    ResultRatedAt,
    RepeatOfId,
    RegulatorComplaint,
    MediaExposure,
    GovernmentPenalty,
    StaffMemberId,
    Valid,
    ServiceCaused,
    VerifiedAt,
    Anonymous,
}

fn columns() -> Vec<ColumnDef> {
    use Complaints::*;
    vec![
        text_null(RejectionReason).to_owned(),
        timestamp_with_time_zone_null(RejectedAt).to_owned(),
        string_len_null(ResultRating, 24).to_owned(),
        timestamp_with_time_zone_null(ResultRatedAt).to_owned(),
        big_integer_null(RepeatOfId).to_owned(),
        boolean(RegulatorComplaint).default(false).to_owned(),
        boolean(MediaExposure).default(false).to_owned(),
        boolean(GovernmentPenalty).default(false).to_owned(),
        big_integer_null(StaffMemberId).to_owned(),
        boolean_null(Valid).to_owned(),
        boolean_null(ServiceCaused).to_owned(),
        timestamp_with_time_zone_null(VerifiedAt).to_owned(),
        boolean(Anonymous).default(false).to_owned(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for mut column in columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(Complaints::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        // R-CMP-9: a named staff member's complaints of a month, counted on verification.
        crate::common::index(
            manager,
            "idx_complaints_staff_member",
            Complaints::Table,
            &[Complaints::StaffMemberId],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_complaints_staff_member")
                    .table(Complaints::Table)
                    .to_owned(),
            )
            .await?;
        use Complaints as C;
        for column in [
            C::RejectionReason,
            C::RejectedAt,
            C::ResultRating,
            C::ResultRatedAt,
            C::RepeatOfId,
            C::RegulatorComplaint,
            C::MediaExposure,
            C::GovernmentPenalty,
            C::StaffMemberId,
            C::Valid,
            C::ServiceCaused,
            C::VerifiedAt,
            C::Anonymous,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Complaints::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
