//! Every setting comes from an environment variable (or the matching flag) with a default that
//! works on a bare machine; `servicedesk --help` lists them.

use std::net::SocketAddr;

use clap::{Args, ValueEnum};
use rand::distr::{Alphanumeric, SampleString};

/// Shortest JWT secret accepted in production: 256 bits of HS256 key material.
const MIN_SECRET_LEN: usize = 32;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Args, Debug, Clone)]
pub struct Config {
    /// Address the HTTP server listens on.
    #[arg(long, env = "SERVICEDESK_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Database URL: `sqlite://file.db?mode=rwc` (embedded) or `postgres://user@host/db`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://servicedesk.db?mode=rwc"
    )]
    pub database_url: String,

    /// Database connections per process. Unset: 8 on SQLite (one writer at a time anyway) and
    /// 32 on PostgreSQL. Every instance holds this many, so instances × size must stay below
    /// the server's `max_connections`.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS")]
    pub database_max_connections: Option<u32>,

    /// SQLite only: milliseconds a statement waits for another connection's write lock before
    /// failing with "database is locked"; writers queue instead of failing under a burst.
    #[arg(long, env = "SQLITE_BUSY_TIMEOUT_MS", default_value_t = 5000)]
    pub sqlite_busy_timeout_ms: u64,

    /// Milliseconds `/readyz` waits for the database: a probe must get an answer, also while
    /// the pool is exhausted or the server does not respond, before the orchestrator gives up.
    #[arg(long, env = "READINESS_TIMEOUT_MS", default_value_t = 1000)]
    pub readiness_timeout_ms: u64,

    /// HS256 secret for access tokens. Required in production; generated per process in
    /// development (tokens then die with the process).
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// `production` refuses to start without a JWT secret.
    #[arg(
        long,
        env = "SERVICEDESK_ENV",
        value_enum,
        default_value = "development"
    )]
    pub environment: Environment,

    /// Access-token lifetime in seconds.
    #[arg(long, env = "TOKEN_TTL_SECONDS", default_value_t = 3600)]
    pub token_ttl_seconds: u32,

    /// Largest accepted request body in bytes.
    #[arg(long, env = "BODY_LIMIT_BYTES", default_value_t = 1_048_576)]
    pub body_limit_bytes: usize,

    /// GraphQL requests executed at once; more wait in line. Bounds memory under a burst, since
    /// every request in flight holds its rows and its response, and the database pool serves
    /// only so many anyway.
    #[arg(long, env = "MAX_CONCURRENT_REQUESTS", default_value_t = 64)]
    pub max_concurrent_requests: usize,

    /// Deepest GraphQL selection accepted.
    #[arg(long, env = "GRAPHQL_DEPTH_LIMIT", default_value_t = 12)]
    pub graphql_depth_limit: usize,

    /// Largest GraphQL complexity accepted (one point per field by default).
    #[arg(long, env = "GRAPHQL_COMPLEXITY_LIMIT", default_value_t = 1000)]
    pub graphql_complexity_limit: usize,

    /// Longest text input in characters (descriptions, notes, comments); inputs stored in a
    /// sized column (names, phones, e-mail) are held to that column's size.
    #[arg(long, env = "MAX_INPUT_TEXT_CHARS", default_value_t = 10_000)]
    pub max_input_text_chars: usize,

    /// Seconds between SLA sweeps (escalation of overdue complaints); 0 disables the sweeper.
    #[arg(long, env = "SLA_SWEEP_INTERVAL_SECONDS", default_value_t = 30)]
    pub sla_sweep_interval_seconds: u64,

    /// `trackComplaint` lookups allowed per client IP per minute (no account, so no other limit).
    #[arg(long, env = "TRACK_RATE_PER_MINUTE", default_value_t = 10)]
    pub track_rate_per_minute: u32,

    /// Failed logins of one account before each further attempt must wait (brute force).
    #[arg(long, env = "LOGIN_ACCOUNT_FREE_FAILURES", default_value_t = 5)]
    pub login_account_free_failures: u32,

    /// Failed logins from one client address, over all accounts, before each further attempt
    /// must wait: stops one address from trying a few passwords on many accounts.
    #[arg(long, env = "LOGIN_ADDRESS_FREE_FAILURES", default_value_t = 20)]
    pub login_address_free_failures: u32,

    /// Seconds of the first wait after the free failures; it doubles with every further one.
    #[arg(long, env = "LOGIN_DELAY_SECONDS", default_value_t = 1)]
    pub login_delay_seconds: u32,

    /// Longest wait between login attempts, in seconds: bounds how long a guesser can keep the
    /// owner of an account out.
    #[arg(long, env = "LOGIN_MAX_DELAY_SECONDS", default_value_t = 900)]
    pub login_max_delay_seconds: u32,

    /// Seconds after which failed logins are forgotten when no other one followed.
    #[arg(long, env = "LOGIN_FAILURE_MEMORY_SECONDS", default_value_t = 86_400)]
    pub login_failure_memory_seconds: u32,

    /// Highest compensation an agent may approve without a supervisor (R-ESC-5).
    #[arg(long, env = "COMPENSATION_AGENT_LIMIT", default_value = "500.00")]
    pub compensation_agent_limit: rust_decimal::Decimal,

    /// A survey's overall score at or below this opens a follow-up complaint (R-CMP-6).
    #[arg(long, env = "SURVEY_LOW_SCORE", default_value_t = 2)]
    pub survey_low_score: i16,

    /// Days a customer has to answer a survey.
    #[arg(long, env = "SURVEY_EXPIRY_DAYS", default_value_t = 14)]
    pub survey_expiry_days: u16,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("JWT_SECRET must be set when SERVICEDESK_ENV=production")]
    MissingSecret,
    #[error("JWT_SECRET must be at least {MIN_SECRET_LEN} characters")]
    WeakSecret,
}

impl Config {
    pub fn rule_settings(&self) -> crate::services::RuleSettings {
        crate::services::RuleSettings {
            compensation_agent_limit: self.compensation_agent_limit,
            survey_low_score: self.survey_low_score,
            survey_expiry: chrono::Duration::days(i64::from(self.survey_expiry_days)),
        }
    }

    pub fn login_throttle(&self) -> crate::auth::throttle::ThrottlePolicy {
        let seconds = |s: u32| chrono::Duration::seconds(i64::from(s));
        crate::auth::throttle::ThrottlePolicy {
            account_free_failures: self.login_account_free_failures,
            address_free_failures: self.login_address_free_failures,
            base_delay: seconds(self.login_delay_seconds),
            max_delay: seconds(self.login_max_delay_seconds),
            memory: seconds(self.login_failure_memory_seconds),
        }
    }

    /// The secret to sign tokens with, or why the server must not start.
    pub fn resolve_jwt_secret(&self) -> Result<String, ConfigError> {
        match (&self.jwt_secret, self.environment) {
            (Some(secret), _) if secret.len() < MIN_SECRET_LEN => Err(ConfigError::WeakSecret),
            (Some(secret), _) => Ok(secret.clone()),
            (None, Environment::Production) => Err(ConfigError::MissingSecret),
            (None, Environment::Development) => {
                tracing::warn!(
                    "JWT_SECRET is not set: using a random secret; tokens stop working on restart"
                );
                Ok(Alphanumeric.sample_string(&mut rand::rng(), 48))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        config: Config,
    }

    fn parse(args: &[&str]) -> Config {
        Cli::parse_from(std::iter::once("servicedesk").chain(args.iter().copied())).config
    }

    #[test]
    fn production_without_secret_refuses_to_start() {
        let config = parse(&["--environment", "production"]);
        assert!(matches!(
            config.resolve_jwt_secret(),
            Err(ConfigError::MissingSecret)
        ));
    }

    #[test]
    fn short_secret_is_rejected() {
        let config = parse(&["--jwt-secret", "short"]);
        assert!(matches!(
            config.resolve_jwt_secret(),
            Err(ConfigError::WeakSecret)
        ));
    }

    #[test]
    fn development_generates_a_secret() {
        let config = parse(&[]);
        assert_eq!(config.resolve_jwt_secret().unwrap().len(), 48);
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
    }
}
