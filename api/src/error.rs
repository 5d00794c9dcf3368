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
    /// Login failed; one message for unknown e-mail or phone, wrong password and disabled
    /// account.
    InvalidCredentials,
    /// A refresh token that was already exchanged came back: someone else has a copy, so its
    /// whole family (the session) is revoked.
    RefreshTokenReused,
    /// Authenticated, but the role may not do this.
    Forbidden,
    /// Missing, or not visible to the caller (the two look the same on purpose).
    NotFound(&'static str),
    BadUserInput {
        field: &'static str,
        message: String,
    },
    /// Several fields of one input are wrong: one `BAD_USER_INPUT` error per field in the
    /// response (`graphql::field_errors` splits it), so a form shows every problem at once.
    InvalidFields(Vec<(&'static str, String)>),
    /// The record is sealed: closed long enough ago to be read-only for everyone (R-PRV-9).
    Sealed(&'static str),
    /// Duplicate key, or a state that changed under the caller.
    Conflict(String),
    /// The caller's `version` of a record is not the one in the database: `CONFLICT` with
    /// `extensions.currentVersion`, so a client can reload, or retry knowingly.
    StaleVersion { what: &'static str, current: i32 },
    InvalidTransition {
        action: &'static str,
        current: String,
    },
    /// Too many requests from this client; try again after this many seconds.
    RateLimited { retry_after_secs: u64 },
    /// The database cannot be reached (or refuses connections for now); try again later.
    Unavailable(String),
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

    /// A referenced row that does not exist is the caller's mistake in `field`; any other
    /// failure (an outage above all) stays what it is.
    pub fn missing_as_bad_input(self, field: &'static str, message: &str) -> Self {
        match self {
            Self::NotFound(_) => Self::bad_input(field, message),
            other => other,
        }
    }

    /// `RATE_LIMITED` for a `governor` refusal, rounding its wait up to whole seconds.
    pub fn rate_limited(not_until: &governor::NotUntil<governor::clock::QuantaInstant>) -> Self {
        use governor::clock::{Clock, DefaultClock};
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        Self::RateLimited {
            retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated | Self::InvalidCredentials | Self::RefreshTokenReused => {
                "UNAUTHENTICATED"
            }
            Self::Forbidden => "FORBIDDEN",
            Self::Sealed(_) => "SEALED",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadUserInput { .. } | Self::InvalidFields(_) => "BAD_USER_INPUT",
            Self::Conflict(_) | Self::StaleVersion { .. } => "CONFLICT",
            Self::InvalidTransition { .. } => "INVALID_TRANSITION",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Unavailable(_) => "SERVICE_UNAVAILABLE",
            Self::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated => "authentication required".into(),
            Self::InvalidCredentials => "invalid login or password".into(),
            Self::RefreshTokenReused => {
                "this refresh token was used before: the session is revoked, log in again".into()
            }
            Self::Forbidden => "your role may not do this".into(),
            Self::Sealed(what) => format!("this {what} is sealed: closed records are read-only"),
            Self::NotFound(what) => format!("{what} not found"),
            Self::BadUserInput { message, .. } => message.clone(),
            Self::InvalidFields(errors) => errors
                .iter()
                .map(|(field, message)| format!("{field}: {message}"))
                .collect::<Vec<_>>()
                .join("; "),
            Self::Conflict(message) => message.clone(),
            Self::StaleVersion { what, current } => format!(
                "the {what} was changed by someone else (its version is now {current}); reload it and retry"
            ),
            Self::InvalidTransition { action, current } => {
                format!("cannot {action} while the status is {current}")
            }
            Self::RateLimited { retry_after_secs } => {
                format!("too many requests; try again in {retry_after_secs} s")
            }
            Self::Unavailable(_) => "the service is temporarily unavailable; try again".into(),
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
            _ if is_connection_error(&err) => Self::Unavailable(err.to_string()),
            _ => Self::Internal(err.to_string()),
        }
    }
}

/// Seconds a client is told to wait (`Retry-After`) when the database is unreachable.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

/// Whether `err` says the database could not be reached or dropped the connection, rather
/// than that the statement was wrong: an outage, never the caller's fault.
pub fn is_connection_error(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as Sqlx;
    let sqlx = match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Exec(RuntimeErr::SqlxError(sqlx)) | DbErr::Query(RuntimeErr::SqlxError(sqlx)) => {
            sqlx
        }
        _ => return false,
    };
    match sqlx.as_ref() {
        Sqlx::Io(_)
        | Sqlx::Tls(_)
        | Sqlx::Protocol(_)
        | Sqlx::PoolTimedOut
        | Sqlx::PoolClosed
        | Sqlx::WorkerCrashed => true,
        // PostgreSQL: class 08 (connection exception), 57P01..03 (shutdown, cannot connect
        // now); SQLite: the database stayed locked past the busy timeout.
        Sqlx::Database(db) => {
            db.code().is_some_and(|code| {
                code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03")
            }) || db.message().contains("database is locked")
        }
        _ => false,
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        match &err {
            ApiError::Internal(detail) => tracing::error!(%detail, "internal error"),
            ApiError::Unavailable(detail) => tracing::warn!(%detail, "database unavailable"),
            _ => {}
        }
        async_graphql::Error::new(err.message()).extend_with(|_, ext| {
            ext.set("code", err.code());
            match &err {
                ApiError::BadUserInput { field, .. } => ext.set("field", *field),
                ApiError::InvalidFields(errors) => {
                    ext.set("field", errors.first().map_or("", |(field, _)| *field));
                    ext.set(
                        FIELD_ERRORS,
                        errors
                            .iter()
                            .map(|(field, message)| {
                                let mut item = async_graphql::indexmap::IndexMap::new();
                                item.insert(
                                    async_graphql::Name::new("field"),
                                    async_graphql::Value::from(*field),
                                );
                                item.insert(
                                    async_graphql::Name::new("message"),
                                    async_graphql::Value::from(message.as_str()),
                                );
                                async_graphql::Value::Object(item)
                            })
                            .collect::<Vec<_>>(),
                    );
                }
                ApiError::InvalidTransition { current, .. } => ext.set("status", current.as_str()),
                ApiError::StaleVersion { current, .. } => ext.set("currentVersion", *current),
                ApiError::RefreshTokenReused => ext.set("reason", "REFRESH_TOKEN_REUSED"),
                ApiError::RateLimited { retry_after_secs } => {
                    ext.set("retryAfter", *retry_after_secs);
                }
                ApiError::Unavailable(_) => ext.set("retryAfter", UNAVAILABLE_RETRY_AFTER_SECS),
                _ => {}
            }
        })
    }
}

/// The extension that carries the field errors of `InvalidFields` until the response is
/// split into one error per field; clients never see it.
pub const FIELD_ERRORS: &str = "fieldErrors";

/// Collects the field errors of one input, so a use case checks every field before it
/// reports: `let name = errors.check(parse(..))?;` … `errors.finish()?;`. Other errors
/// (`NOT_FOUND`, an outage) still end the use case at once.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    /// The value, or `None` with its field error recorded.
    pub fn check<T>(&mut self, result: ApiResult<T>) -> ApiResult<Option<T>> {
        match result {
            Ok(value) => Ok(Some(value)),
            Err(ApiError::BadUserInput { field, message }) => {
                self.0.push((field, message));
                Ok(None)
            }
            Err(ApiError::InvalidFields(errors)) => {
                self.0.extend(errors);
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }

    /// `BAD_USER_INPUT` for every field recorded; `Ok` when none was.
    pub fn finish(self) -> ApiResult<()> {
        match self.0.len() {
            0 => Ok(()),
            1 => {
                let (field, message) = self.0.into_iter().next().unwrap_or_default();
                Err(ApiError::BadUserInput { field, message })
            }
            _ => Err(ApiError::InvalidFields(self.0)),
        }
    }

    /// The checked values once every field passed (`Some` exactly then): the `Option`s of
    /// the `check`s, zipped.
    pub fn values<T>(self, values: Option<T>) -> ApiResult<T> {
        self.finish()?;
        values.ok_or_else(|| ApiError::Internal("a field check lost its error".into()))
    }
}

/// Result of domain and store functions.
pub type ApiResult<T> = Result<T, ApiError>;
