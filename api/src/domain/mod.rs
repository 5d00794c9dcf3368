//! The service rules as plain functions: no HTTP, no database, no wall clock.

pub mod clock;
pub mod identity;
pub mod masking;
pub mod money;
pub mod repair;
