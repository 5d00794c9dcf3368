//! Conversions between GraphQL `ID`s and database keys: every id a client sees is an opaque
//! global id of one type (`domain::global_id`), and every id a client sends is checked to be
//! of the type the argument wants.

use async_graphql::ID;

pub use crate::domain::global_id::NodeType;
use crate::domain::global_id::{decode_as, encode};
use crate::error::{ApiError, ApiResult};

/// Database key of a GraphQL id of type `node`. A malformed id, or a valid id of another
/// type, cannot name anything, so it is reported like a missing record (`NOT_FOUND`).
pub fn key(id: &ID, node: NodeType) -> ApiResult<i64> {
    decode_as(id, node).ok_or(ApiError::NotFound(node.what()))
}

/// The id a client sees for record `key` of type `node`.
pub fn id(node: NodeType, key: i64) -> ID {
    ID(encode(node, key))
}
