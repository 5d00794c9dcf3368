//! R-SLA-15: the first contact with a complainant within 1 working day of receipt
//! (COMPLAINT/FIRST_CONTACT, business time) and the weekly proactive contact of a long-running
//! complaint (COMPLAINT/PROACTIVE_CONTACT, 7 days on the wall clock, repeating), one row per
//! severity; and
//! `sla_policies.active`: a policy switched off starts no clocks. The 24 h progress update
//! (R-SLA-3) and the weekly contact are the two contact rhythms of a complaint; the active one
//! with the shorter limit runs (`domain::sla::contact_rhythm`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SlaPolicies::Table)
                    .add_column(
                        ColumnDef::new(SlaPolicies::Active)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        // The first contact neither warns nor escalates: the 24 h first response (R-SLA-6), due
        // no later and met by the same acknowledgement, already does; a miss is a breach of
        // the holder's. The weekly contact takes the progress update's warnings and escalation.
        for (metric, minutes, business, repeating, warn, escalates, from) in [
            (
                "FIRST_CONTACT",
                24 * 60,
                "TRUE",
                "FALSE",
                "''",
                "FALSE",
                "FIRST_RESPONSE",
            ),
            (
                "PROACTIVE_CONTACT",
                7 * 24 * 60,
                "FALSE",
                "TRUE",
                "warn_percents",
                "escalates",
                "PROGRESS_UPDATE",
            ),
        ] {
            db.execute_unprepared(&format!(
                "INSERT INTO sla_policies (ticket_kind, metric, scope, duration_minutes, \
                 business_time, rule_id, updated_at, warn_percents, pause_states, repeating, \
                 escalates, day_end, active) \
                 SELECT ticket_kind, '{metric}', scope, {minutes}, {business}, 'R-SLA-15', \
                 updated_at, {warn}, '', {repeating}, {escalates}, FALSE, TRUE \
                 FROM sla_policies WHERE ticket_kind = 'COMPLAINT' AND metric = '{from}'"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for statement in [
            "DELETE FROM sla_clocks WHERE metric IN ('FIRST_CONTACT', 'PROACTIVE_CONTACT')",
            "DELETE FROM sla_policies WHERE metric IN ('FIRST_CONTACT', 'PROACTIVE_CONTACT')",
        ] {
            db.execute_unprepared(statement).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(SlaPolicies::Table)
                    .drop_column(SlaPolicies::Active)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum SlaPolicies {
    Table,
    Active,
}
