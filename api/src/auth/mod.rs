//! Credentials: password hashing, access tokens and partner API keys.

pub mod api_keys;
pub mod passwords;
pub mod principals;
pub mod throttle;
pub mod tokens;
