//! Background work.

pub mod digest;
pub mod sla_sweeper;
pub mod webhooks;
