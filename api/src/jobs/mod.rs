//! Background work.

pub mod sla_sweeper;
