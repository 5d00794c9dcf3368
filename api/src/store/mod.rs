//! Database access: sea-orm queries and the transactions the domain rules run in.

pub mod api_keys;
pub mod directory;
pub mod users;
