//! The service rules as plain functions: no HTTP, no database, no wall clock.

pub mod attachment;
pub mod calendar;
pub mod clock;
pub mod complaint;
pub mod global_id;
pub mod identity;
pub mod inquiry;
pub mod masking;
pub mod metrics;
pub mod money;
pub mod parts;
pub mod phone;
pub mod privacy;
pub mod reference;
pub mod repair;
pub mod return_visit;
pub mod sla;
pub mod survey;
pub mod technician;
pub mod warranty_visit;
pub mod webhook;
