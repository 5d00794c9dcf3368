//! Black-box tests over HTTP. Each test runs on SQLite, and on PostgreSQL when
//! `TEST_DATABASE_URL` is set.

mod complaint;
mod complaint_roles;
mod identity;
mod metrics;
mod repair;
mod repair_access;
mod schema;
mod transport;
