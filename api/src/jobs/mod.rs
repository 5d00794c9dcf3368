//! Background work.

pub mod attachments;
pub mod audit_writer;
pub mod digest;
pub mod exports;
pub mod retention;
pub mod sla_sweeper;
pub mod warranty_visits;
pub mod webhooks;
