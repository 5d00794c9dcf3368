//! servicedesk: GraphQL API for after-sales service.
//!
//! Layers, one direction only: `http` → `graphql` → `domain` → `store`. See `../shared/DESIGN.md`.

pub mod app;
pub mod attachments;
pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod events;
pub mod graphql;
pub mod http;
pub mod idempotency;
pub mod jobs;
pub mod metrics;
pub mod notifications;
pub mod notify;
pub mod reconnect;
pub mod seed;
pub mod services;
pub mod store;
pub mod telemetry;
