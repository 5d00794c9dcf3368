//! Black-box tests over HTTP. Each test runs on SQLite, and on PostgreSQL when
//! `TEST_DATABASE_URL` is set.

mod accounts;
mod attachments;
mod browser;
mod complaint;
mod complaint_access;
mod complaint_outcomes;
mod ergonomics;
mod faults;
mod feed;
mod field_matrix;
mod fuzz;
mod http_spec;
mod idempotency;
mod identity;
mod inquiry;
mod live;
mod metrics;
mod observability;
mod parts;
mod privacy;
mod repair;
mod repair_access;
mod return_visit;
mod robustness;
mod schema;
mod security_auth;
mod security_authz;
mod security_transport;
mod sla;
mod survey;
mod sync;
mod transport;
mod webhooks;
