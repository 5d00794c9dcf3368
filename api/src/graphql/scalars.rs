//! Conversions between GraphQL `ID`s and database keys.

use async_graphql::ID;

use crate::error::{ApiError, ApiResult};

/// Database key of a GraphQL id. Ids are opaque to clients; a malformed one cannot name
/// anything, so it is reported like a missing record.
pub fn key(id: &ID, what: &'static str) -> ApiResult<i64> {
    id.parse().map_err(|_| ApiError::NotFound(what))
}

pub fn id(key: i64) -> ID {
    ID(key.to_string())
}
