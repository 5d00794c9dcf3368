//! Credentials: password hashing, access and refresh tokens, one-time codes and partner API
//! keys.

pub mod api_keys;
pub mod codes;
pub mod passwords;
pub mod principals;
pub mod refresh;
pub mod throttle;
pub mod tokens;
