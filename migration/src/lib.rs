//! Schema migrations. A migration is never edited once it has landed on `main`; add a new one.

pub use sea_orm_migration::prelude::*;

mod common;
mod m20261122_000001_identity;
mod m20261122_000002_repair_orders;
mod m20261122_000003_complaints;
mod m20261122_000004_surveys_return_visits;
mod m20261123_000005_metrics_indexes;
mod m20261123_000006_complaint_severity_index;
mod m20261201_000007_return_visits_for_every_ticket;
mod m20261202_000008_classification_and_warranty;
mod m20261207_000009_sla_clocks;
mod m20261207_000010_return_visit_clocks;
mod m20261207_000011_escalation_routes;
mod m20261207_000012_manager_digests;
mod m20261207_000013_event_positions;
mod m20261207_000014_idempotency_keys;
mod m20261207_000015_external_references;
mod m20261207_000016_webhooks;
mod m20261207_000017_event_notifications;
mod m20261207_000018_updated_at_indexes;
mod m20261208_000019_attachments;
mod m20261208_000020_accounts;
mod m20261208_000021_technician_skills;
mod m20261208_000022_satisfaction_answers;
mod m20261208_000023_diagnosis;
mod m20261209_000030_complaint_outcomes;
mod m20261209_000031_staff_complaint_alerts;
mod m20261209_000032_solution_approval;
mod m20261209_000033_case_details;
mod m20261210_000040_access_audit;
mod m20261210_000041_retention;
mod m20261210_000042_append_only;
mod m20261210_000043_exports;
mod m20261211_000044_lean_audit_links;
mod m20261211_000045_disclosure_consents;
mod m20261211_000050_inquiries;
mod m20261211_000060_parts_requests;
mod m20261211_000061_return_outcomes;
mod m20261211_000062_follow_up_cases;
mod m20261211_000063_warranty_visits;
mod m20261211_000070_contact_rhythm;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_identity::Migration),
            Box::new(m20261122_000002_repair_orders::Migration),
            Box::new(m20261122_000003_complaints::Migration),
            Box::new(m20261122_000004_surveys_return_visits::Migration),
            Box::new(m20261123_000005_metrics_indexes::Migration),
            Box::new(m20261123_000006_complaint_severity_index::Migration),
            Box::new(m20261201_000007_return_visits_for_every_ticket::Migration),
            Box::new(m20261202_000008_classification_and_warranty::Migration),
            Box::new(m20261207_000009_sla_clocks::Migration),
            Box::new(m20261207_000010_return_visit_clocks::Migration),
            Box::new(m20261207_000011_escalation_routes::Migration),
            Box::new(m20261207_000012_manager_digests::Migration),
            Box::new(m20261207_000013_event_positions::Migration),
            Box::new(m20261207_000014_idempotency_keys::Migration),
            Box::new(m20261207_000015_external_references::Migration),
            Box::new(m20261207_000016_webhooks::Migration),
            Box::new(m20261207_000017_event_notifications::Migration),
            Box::new(m20261207_000018_updated_at_indexes::Migration),
            Box::new(m20261208_000019_attachments::Migration),
            Box::new(m20261208_000020_accounts::Migration),
            Box::new(m20261208_000021_technician_skills::Migration),
            Box::new(m20261208_000022_satisfaction_answers::Migration),
            Box::new(m20261208_000023_diagnosis::Migration),
            Box::new(m20261209_000030_complaint_outcomes::Migration),
            Box::new(m20261209_000031_staff_complaint_alerts::Migration),
            Box::new(m20261209_000032_solution_approval::Migration),
            Box::new(m20261209_000033_case_details::Migration),
            Box::new(m20261210_000040_access_audit::Migration),
            Box::new(m20261210_000041_retention::Migration),
            Box::new(m20261210_000042_append_only::Migration),
            Box::new(m20261210_000043_exports::Migration),
            Box::new(m20261211_000044_lean_audit_links::Migration),
            Box::new(m20261211_000045_disclosure_consents::Migration),
            Box::new(m20261211_000050_inquiries::Migration),
            Box::new(m20261211_000060_parts_requests::Migration),
            Box::new(m20261211_000061_return_outcomes::Migration),
            Box::new(m20261211_000062_follow_up_cases::Migration),
            Box::new(m20261211_000063_warranty_visits::Migration),
            Box::new(m20261211_000070_contact_rhythm::Migration),
        ]
    }
}
