//! Use cases: each mutation is one function running one transaction that loads what it needs
//! through `store`, asks `domain` for the decision and writes the result with its timeline
//! entry. Resolvers only translate GraphQL to these calls.

pub mod assets;
pub mod complaints;
pub mod repair_orders;
pub mod return_visits;
pub mod surveys;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::domain::identity::Principal;

/// Who acts, when, and on which database: the context of one use case.
pub struct Env<'a> {
    pub db: &'a DatabaseConnection,
    pub now: DateTime<Utc>,
    pub actor: &'a Principal,
    pub settings: &'a RuleSettings,
}

/// Rule parameters that are deployment settings rather than policy rows.
#[derive(Clone, Debug)]
pub struct RuleSettings {
    /// Highest compensation an agent may approve alone (R-ESC-5).
    pub compensation_agent_limit: rust_decimal::Decimal,
    /// An overall survey score at or below this opens a follow-up complaint (R-CMP-6).
    pub survey_low_score: i16,
    /// How long a customer has to answer a survey.
    pub survey_expiry: chrono::Duration,
}

/// Trimmed text that must not be empty nor longer than `max` characters.
pub fn required_text(
    field: &'static str,
    value: &str,
    max: usize,
) -> crate::error::ApiResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(crate::error::ApiError::bad_input(
            field,
            format!("{field} must not be empty"),
        ));
    }
    if value.chars().count() > max {
        return Err(crate::error::ApiError::bad_input(
            field,
            format!("{field} must be at most {max} characters"),
        ));
    }
    Ok(value.to_owned())
}
