//! The one error type of the API and its mapping to GraphQL errors with a stable
//! `extensions.code`.
//!
//! `ApiError` deliberately has no `Display` impl: async-graphql converts any `Display` type into
//! an error without a code, so the only way into a GraphQL error is the `From` impl below.

use async_graphql::ErrorExtensions;
use sea_orm::{DbErr, SqlErr};

#[derive(Clone, Debug)]
pub enum ApiError {
    /// No or invalid credentials.
    Unauthenticated,
    /// Login failed; one message for unknown e-mail, wrong password and disabled account.
    InvalidCredentials,
    /// Authenticated, but the role may not do this.
    Forbidden,
    /// Missing, or not visible to the caller (the two look the same on purpose).
    NotFound(&'static str),
    BadUserInput {
        field: &'static str,
        message: String,
    },
    /// Stale version, duplicate key, or a state that changed under the caller.
    Conflict(String),
    InvalidTransition {
        action: &'static str,
        current: String,
    },
    /// Too many requests from this client; try again later.
    RateLimited,
    /// Anything the caller cannot fix; details go to the log, not the response.
    Internal(String),
}

impl ApiError {
    pub fn bad_input(field: &'static str, message: impl Into<String>) -> Self {
        Self::BadUserInput {
            field,
            message: message.into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated | Self::InvalidCredentials => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadUserInput { .. } => "BAD_USER_INPUT",
            Self::Conflict(_) => "CONFLICT",
            Self::InvalidTransition { .. } => "INVALID_TRANSITION",
            Self::RateLimited => "RATE_LIMITED",
            Self::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated => "authentication required".into(),
            Self::InvalidCredentials => "invalid e-mail or password".into(),
            Self::Forbidden => "your role may not do this".into(),
            Self::NotFound(what) => format!("{what} not found"),
            Self::BadUserInput { message, .. } => message.clone(),
            Self::Conflict(message) => message.clone(),
            Self::InvalidTransition { action, current } => {
                format!("cannot {action} while the status is {current}")
            }
            Self::RateLimited => "too many requests; try again in a minute".into(),
            Self::Internal(_) => "internal error".into(),
        }
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            // A concurrent writer won a race that a pre-check could not see.
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                Self::Conflict("a record with the same unique value already exists".into())
            }
            _ => Self::Internal(err.to_string()),
        }
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        if let ApiError::Internal(detail) = &err {
            tracing::error!(%detail, "internal error");
        }
        async_graphql::Error::new(err.message()).extend_with(|_, ext| {
            ext.set("code", err.code());
            match &err {
                ApiError::BadUserInput { field, .. } => ext.set("field", *field),
                ApiError::InvalidTransition { current, .. } => ext.set("status", current.as_str()),
                _ => {}
            }
        })
    }
}

/// Result of domain and store functions.
pub type ApiResult<T> = Result<T, ApiError>;
