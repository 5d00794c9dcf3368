//! sea-orm entities, one module per table.
//!
//! Enums that are also part of the GraphQL API derive `async_graphql::Enum` here, so the
//! database value, the Rust type and the schema name are declared once.

pub mod api_keys;
pub mod assets;
pub mod attachments;
pub mod audit_log;
pub mod audit_log_users;
pub mod business_hours;
pub mod complaints;
pub mod destruction_records;
pub mod disclosure_consents;
pub mod escalation_routes;
pub mod escalations;
pub mod exports;
pub mod follow_up_cases;
pub mod holidays;
pub mod idempotency_keys;
pub mod inquiries;
pub mod legal_holds;
pub mod manager_digests;
pub mod one_time_codes;
pub mod organizations;
pub mod parts_request_items;
pub mod parts_requests;
pub mod product_models;
pub mod refresh_tokens;
pub mod repair_lines;
pub mod repair_orders;
pub mod retention_policies;
pub mod return_visits;
pub mod service_centres;
pub mod sla_clocks;
pub mod sla_policies;
pub mod staff_complaint_alerts;
pub mod staff_penalties;
pub mod surveys;
pub mod ticket_events;
pub mod users;
pub mod warranty_visits;
pub mod webhook_attempts;
pub mod webhook_dispatch;
pub mod webhook_endpoints;
pub mod webhook_messages;
