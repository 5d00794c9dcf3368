//! Background work.

pub mod attachments;
pub mod digest;
pub mod sla_sweeper;
pub mod webhooks;
