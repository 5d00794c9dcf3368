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

    /// Most ids one `nodes(ids:)` query resolves; more is `BAD_USER_INPUT`.
    #[arg(long, env = "GRAPHQL_MAX_NODE_IDS", default_value_t = 100)]
    pub graphql_max_node_ids: usize,

    /// Longest text input in characters (descriptions, notes, comments); inputs stored in a
    /// sized column (names, phones, e-mail) are held to that column's size.
    #[arg(long, env = "MAX_INPUT_TEXT_CHARS", default_value_t = 10_000)]
    pub max_input_text_chars: usize,
    /// Longest GraphQL document (query text) in bytes, refused before parsing: real queries
    /// are a few KiB, and parsing a hostile 32 KiB document took over 50 ms. Large inputs go
    /// in variables, which only `BODY_LIMIT_BYTES` bounds.
    #[arg(long, env = "GRAPHQL_MAX_DOCUMENT_BYTES", default_value_t = 16_384)]
    pub graphql_max_document_bytes: usize,

    /// Most fields and inline fragments a document may select once its fragment spreads are
    /// expanded (checked before validation, which would walk every spread path: a few hundred
    /// bytes of nested spreads otherwise cost exponential time).
    #[arg(long, env = "GRAPHQL_MAX_SELECTIONS", default_value_t = 2000)]
    pub graphql_max_selections: usize,

    /// Most fragment spreads written in one document.
    #[arg(long, env = "GRAPHQL_MAX_FRAGMENT_SPREADS", default_value_t = 100)]
    pub graphql_max_fragment_spreads: usize,

    /// Most directives on one field, fragment or operation (`@skip`/`@include` need one each).
    #[arg(long, env = "GRAPHQL_MAX_DIRECTIVES", default_value_t = 4)]
    pub graphql_max_directives: usize,

    /// Most arguments, literal values (each list item and object field) and variable
    /// definitions in one document; large inputs belong in variables.
    #[arg(long, env = "GRAPHQL_MAX_INPUT_VALUES", default_value_t = 1000)]
    pub graphql_max_input_values: usize,

    /// Most operations plus fragment definitions in one document.
    #[arg(long, env = "GRAPHQL_MAX_DEFINITIONS", default_value_t = 50)]
    pub graphql_max_definitions: usize,

    /// Most errors in one response (the last says how many more there were), so that a
    /// document full of mistakes does not become a response of thousands of errors.
    #[arg(long, env = "GRAPHQL_MAX_ERRORS", default_value_t = 20)]
    pub graphql_max_errors: usize,

    /// Introspection and "Did you mean …" hints for anonymous callers; by default on in
    /// development and off in production, where they map the schema for an attacker.
    #[arg(long, env = "GRAPHQL_ANONYMOUS_INTROSPECTION")]
    pub graphql_anonymous_introspection: Option<bool>,

    /// Seconds a client has to send the request line and headers; a slow client is
    /// disconnected instead of holding the connection forever.
    #[arg(long, env = "HEADER_READ_TIMEOUT_SECONDS", default_value_t = 10)]
    pub header_read_timeout_seconds: u64,

    /// Longest pause, in seconds, while a request body arrives (a trickling body is cut off
    /// by the whole-request timeout instead).
    #[arg(long, env = "BODY_READ_TIMEOUT_SECONDS", default_value_t = 10)]
    pub body_read_timeout_seconds: u64,

    /// Seconds one request may take from its headers to its response, body upload included
    /// (then 408).
    #[arg(long, env = "REQUEST_TIMEOUT_SECONDS", default_value_t = 30)]
    pub request_timeout_seconds: u64,

    /// Seconds requests in flight get to finish after SIGTERM before connections are closed.
    #[arg(long, env = "SHUTDOWN_TIMEOUT_SECONDS", default_value_t = 10)]
    pub shutdown_timeout_seconds: u64,

    /// Live WebSocket connections (`/graphql/ws`) at once; more are refused with 503. Each
    /// holds a socket and a few KiB.
    #[arg(long, env = "WS_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub ws_max_connections: usize,

    /// Subscriptions one WebSocket connection may run at once.
    #[arg(long, env = "WS_MAX_SUBSCRIPTIONS", default_value_t = 20)]
    pub ws_max_subscriptions: usize,

    /// Seconds a new WebSocket connection has to send `connection_init` with its credentials.
    #[arg(long, env = "WS_INIT_TIMEOUT_SECONDS", default_value_t = 10)]
    pub ws_init_timeout_seconds: u64,

    /// Seconds between keep-alive pings on a WebSocket connection; one silent for three of
    /// them (no message, no pong) is closed.
    #[arg(long, env = "WS_KEEPALIVE_SECONDS", default_value_t = 15)]
    pub ws_keepalive_seconds: u64,

    /// Seconds one message may take to leave for a WebSocket client before the connection is
    /// dropped: a client that stops reading must not hold the server's buffers.
    #[arg(long, env = "WS_SEND_TIMEOUT_SECONDS", default_value_t = 10)]
    pub ws_send_timeout_seconds: u64,

    /// Batches of events a subscriber may fall behind before it is dropped as a slow consumer
    /// (close code 1013; it resumes with its last cursor).
    #[arg(long, env = "SUBSCRIPTION_BUFFER", default_value_t = 256)]
    pub subscription_buffer: usize,

    /// Milliseconds between looks at the event log when nothing announced a change (another
    /// instance's notification lost while reconnecting, a job's write on SQLite).
    #[arg(long, env = "EVENT_POLL_MS", default_value_t = 1000)]
    pub event_poll_ms: u64,

    /// Directory holding the npm packages `graphiql`, `react` and `react-dom` that the GraphiQL
    /// page at `GET /graphql` loads from this server (`npm ci --prefix assets/graphiql` puts
    /// them in the default). Read once at startup; without them the page says how to install.
    #[arg(
        long,
        env = "GRAPHIQL_DIR",
        default_value = "assets/graphiql/node_modules"
    )]
    pub graphiql_dir: std::path::PathBuf,

    /// OpenTelemetry collector (OTLP over HTTP, protobuf) that request and GraphQL operation
    /// spans are exported to, e.g. `http://127.0.0.1:4318`; unset, the default, exports nothing.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otel_exporter_otlp_endpoint: Option<String>,

    /// `service.name` of the exported spans.
    #[arg(long, env = "OTEL_SERVICE_NAME", default_value = "servicedesk")]
    pub otel_service_name: String,

    /// Bearer token `/metrics` asks for. Without one, `/metrics` is open in development and
    /// off (404) in production, where request counts are nobody else's business.
    #[arg(long, env = "METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// GraphQL operation names that get a `/metrics` label of their own (the first seen); later
    /// names count as `(other)`. Clients choose the names, so the cap bounds the metrics' size.
    #[arg(long, env = "METRICS_MAX_OPERATION_NAMES", default_value_t = 200)]
    pub metrics_max_operation_names: usize,

    /// Reverse proxies (addresses or CIDR blocks, comma-separated) whose client-address
    /// header is believed; from anyone else the header is ignored, since it is trivial to
    /// forge. Per-address rate limits key on the address found.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_network)]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// Header a trusted proxy puts the client's address in: `X-Forwarded-For` (the rightmost
    /// address that is not a trusted proxy is taken) or one like `X-Real-IP`.
    #[arg(long, env = "CLIENT_IP_HEADER", default_value = "x-forwarded-for", value_parser = parse_header_name)]
    pub client_ip_header: axum::http::HeaderName,

    /// Origins of browser pages on other sites that may call the API (CORS), comma-separated,
    /// each `scheme://host[:port]` as browsers send it (`https://app.example.com`). Empty, the
    /// default, turns CORS off: browsers then let only pages from the API's own origin read it.
    #[arg(long, env = "CORS_ALLOWED_ORIGINS", default_value = "", value_parser = parse_origins)]
    pub cors_allowed_origins: Origins,

    /// A JSON file of `"<sha256 hex>": "<document>"` (graphql-codegen's persisted documents):
    /// when set, only these documents run, sent by hash or in full, and automatic persisted
    /// queries register nothing. Unset, the default: any document runs.
    #[arg(long, env = "PERSISTED_QUERIES_ALLOWLIST", value_parser = parse_allowlist)]
    pub persisted_queries_allowlist: Option<crate::http::Allowlist>,

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

    /// A repair survey's overall score at or below this opens a follow-up complaint (R-CMP-6).
    #[arg(long, env = "SURVEY_LOW_SCORE", default_value_t = 2)]
    pub survey_low_score: i16,

    /// Days a customer has to answer a survey.
    #[arg(long, env = "SURVEY_EXPIRY_DAYS", default_value_t = 14)]
    pub survey_expiry_days: u16,

    /// Valid, service-caused complaints about one staff member in a calendar month that alert
    /// the centre's supervisors (R-CMP-9); at least 1.
    #[arg(long, env = "STAFF_COMPLAINT_ALERT", default_value_t = 3,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub staff_complaint_alert: u16,

    /// Let any supervisor approve the solution of a GENERAL complaint; off, the top level
    /// (general manager) approves every solution, as the regulation says (R-ESC-5).
    #[arg(long, env = "SOLUTION_APPROVAL_DELEGATED", default_value_t = false, action = clap::ArgAction::Set)]
    pub solution_approval_delegated: bool,

    /// Seconds between webhook passes (new events to messages, due messages sent); 0 disables
    /// delivery on this instance.
    #[arg(long, env = "WEBHOOK_INTERVAL_SECONDS", default_value_t = 2)]
    pub webhook_interval_seconds: u64,

    /// Seconds a webhook delivery waits for the connection to the receiver.
    #[arg(long, env = "WEBHOOK_CONNECT_TIMEOUT_SECONDS", default_value_t = 5)]
    pub webhook_connect_timeout_seconds: u64,

    /// Seconds one webhook delivery may take in all; a slower receiver counts as failed and is
    /// retried.
    #[arg(long, env = "WEBHOOK_TIMEOUT_SECONDS", default_value_t = 15)]
    pub webhook_timeout_seconds: u64,

    /// Let webhook URLs point at private, loopback, link-local and other internal addresses.
    /// Off by default: a webhook URL must not make the server call into its own network (SSRF).
    #[arg(long, env = "WEBHOOK_ALLOW_PRIVATE_TARGETS", default_value_t = false, action = clap::ArgAction::Set)]
    pub webhook_allow_private_targets: bool,

    /// Region whose national forms phone numbers without a `+` are read in (ISO 3166 code):
    /// with `CN`, `136-0000-0001` is `+8613600000001`. Every stored phone is E.164.
    #[arg(long, env = "PHONE_DEFAULT_REGION", default_value = "CN", value_parser = parse_region)]
    pub phone_default_region: crate::domain::phone::Region,

    /// How one-time codes reach people: `log` writes them to the server log (development; in
    /// production they are not shown), `webhook` sends them as `notification.sms` /
    /// `notification.email` messages to internal webhook endpoints that ask for them.
    #[arg(long, env = "NOTIFIER", value_enum, default_value = "log")]
    pub notifier: NotifierKind,

    /// Seconds a one-time code stays valid.
    #[arg(long, env = "CODE_TTL_SECONDS", default_value_t = 600)]
    pub code_ttl_seconds: u32,

    /// Wrong codes tried against one code before it is void.
    #[arg(long, env = "CODE_MAX_ATTEMPTS", default_value_t = 5)]
    pub code_max_attempts: u32,

    /// Codes sent to one phone or e-mail address per hour.
    #[arg(long, env = "CODE_RATE_PER_DESTINATION_PER_HOUR", default_value_t = 5)]
    pub code_rate_per_destination_per_hour: u32,

    /// Codes requested from one client address per hour.
    #[arg(long, env = "CODE_RATE_PER_ADDRESS_PER_HOUR", default_value_t = 20)]
    pub code_rate_per_address_per_hour: u32,

    /// Days a refresh token lives (each use replaces it with a new one of the same family).
    #[arg(long, env = "REFRESH_TOKEN_TTL_DAYS", default_value_t = 30)]
    pub refresh_token_ttl_days: u32,

    /// Photo and video attachments: limits and where they are stored.
    #[command(flatten)]
    pub attachments: AttachmentConfig,

    /// Access audit, sealing and retention (R-PRV-3, R-PRV-6, R-PRV-9).
    #[command(flatten)]
    pub privacy: PrivacyConfig,
}

/// Privacy settings (`AUDIT_*`, `SEAL_AFTER_DAYS`, `RETENTION_*`, `EXPORT_*`). Retention periods per ticket
/// kind are policy rows (`setRetentionPolicy`), not settings.
#[derive(Args, Debug, Clone)]
pub struct PrivacyConfig {
    /// Audit entries that may wait for the writer; when full, reads wait for it rather than
    /// lose entries.
    #[arg(long, env = "AUDIT_QUEUE", default_value_t = 10_000)]
    pub audit_queue: usize,

    /// Most audit entries committed in one transaction.
    #[arg(long, env = "AUDIT_BATCH", default_value_t = 500)]
    pub audit_batch: usize,

    /// Days after closing when a ticket is sealed: read-only for everyone (R-PRV-9).
    #[arg(long, env = "SEAL_AFTER_DAYS", default_value_t = 365)]
    pub seal_after_days: u32,

    /// Seconds between passes of the retention job (personal data of expired tickets
    /// anonymized, R-PRV-6); 0 disables it on this instance.
    #[arg(long, env = "RETENTION_INTERVAL_SECONDS", default_value_t = 3600)]
    pub retention_interval_seconds: u64,

    /// Seconds between passes producing approved exports (R-PRV-12); 0 disables them on this
    /// instance.
    #[arg(long, env = "EXPORT_INTERVAL_SECONDS", default_value_t = 10)]
    pub export_interval_seconds: u64,

    /// Seconds a produced export waits for its one download before the file is dropped.
    #[arg(long, env = "EXPORT_TTL_SECONDS", default_value_t = 86_400)]
    pub export_ttl_seconds: u32,
}

impl Default for PrivacyConfig {
    fn default() -> Self {
        Self {
            audit_queue: 10_000,
            audit_batch: 500,
            seal_after_days: 365,
            retention_interval_seconds: 3600,
            export_interval_seconds: 10,
            export_ttl_seconds: 86_400,
        }
    }
}

/// Where one-time codes go (`NOTIFIER`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum NotifierKind {
    Log,
    Webhook,
}

fn parse_region(value: &str) -> Result<crate::domain::phone::Region, String> {
    value
        .trim()
        .to_uppercase()
        .parse()
        .map_err(|_| format!("{value:?} is not a region code such as CN"))
}

/// Where attachments are kept.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum AttachmentStoreKind {
    /// A directory on this machine (`ATTACHMENT_DIR`); downloads go through the server.
    Local,
    /// An S3-compatible object store (`ATTACHMENT_S3_*`); downloads are presigned URLs.
    S3,
}

/// Attachment settings (`ATTACHMENT_*`).
#[derive(Args, Debug, Clone)]
pub struct AttachmentConfig {
    /// `local` (a directory, the default) or `s3` (S3-compatible object storage).
    #[arg(long, env = "ATTACHMENT_STORE", value_enum, default_value = "local")]
    pub attachment_store: AttachmentStoreKind,

    /// Directory of the local store, created when missing.
    #[arg(long, env = "ATTACHMENT_DIR", default_value = "attachments")]
    pub attachment_dir: std::path::PathBuf,

    /// S3 endpoint URL (`https://s3.eu-central-1.amazonaws.com`, or a MinIO/Ceph/moto
    /// address); unset means AWS for `ATTACHMENT_S3_REGION`.
    #[arg(long, env = "ATTACHMENT_S3_ENDPOINT")]
    pub attachment_s3_endpoint: Option<String>,

    /// Bucket of the S3 store (must exist).
    #[arg(long, env = "ATTACHMENT_S3_BUCKET")]
    pub attachment_s3_bucket: Option<String>,

    #[arg(long, env = "ATTACHMENT_S3_REGION", default_value = "us-east-1")]
    pub attachment_s3_region: String,

    #[arg(long, env = "ATTACHMENT_S3_ACCESS_KEY_ID", hide_env_values = true)]
    pub attachment_s3_access_key_id: Option<String>,

    #[arg(long, env = "ATTACHMENT_S3_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub attachment_s3_secret_access_key: Option<String>,

    /// Allow a plain-HTTP S3 endpoint (a store on the same host or in tests); off by default.
    #[arg(long, env = "ATTACHMENT_S3_ALLOW_HTTP", default_value_t = false, action = clap::ArgAction::Set)]
    pub attachment_s3_allow_http: bool,

    /// Largest photo in bytes (JPEG, PNG, WebP, HEIC).
    #[arg(long, env = "ATTACHMENT_MAX_IMAGE_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub attachment_max_image_bytes: u64,

    /// Largest video in bytes (MP4, QuickTime, WebM).
    #[arg(long, env = "ATTACHMENT_MAX_VIDEO_BYTES", default_value_t = 20 * 1024 * 1024)]
    pub attachment_max_video_bytes: u64,

    /// Files in one upload request.
    #[arg(long, env = "ATTACHMENT_MAX_FILES", default_value_t = 5)]
    pub attachment_max_files: usize,

    /// Attachments on one ticket.
    #[arg(long, env = "ATTACHMENT_MAX_PER_TICKET", default_value_t = 20)]
    pub attachment_max_per_ticket: usize,

    /// Uploads one caller may hold unattached at once (storage is not a free dropbox).
    #[arg(long, env = "ATTACHMENT_MAX_PENDING", default_value_t = 20)]
    pub attachment_max_pending: usize,

    /// Upload requests received at once per instance; more wait. Each spools up to
    /// `ATTACHMENT_MAX_FILES` × the largest file to temporary files.
    #[arg(long, env = "ATTACHMENT_MAX_CONCURRENT_UPLOADS", default_value_t = 8)]
    pub attachment_max_concurrent_uploads: usize,

    /// Seconds an upload request may take from its headers to its answer (slow mobile
    /// uplinks); other requests keep `REQUEST_TIMEOUT_SECONDS`.
    #[arg(
        long,
        env = "ATTACHMENT_REQUEST_TIMEOUT_SECONDS",
        default_value_t = 300
    )]
    pub attachment_request_timeout_seconds: u64,

    /// Seconds an upload may stay unattached before it is removed with its file.
    #[arg(long, env = "ATTACHMENT_PENDING_TTL_SECONDS", default_value_t = 3600)]
    pub attachment_pending_ttl_seconds: u64,

    /// Seconds a download URL stays valid.
    #[arg(long, env = "ATTACHMENT_URL_TTL_SECONDS", default_value_t = 300)]
    pub attachment_url_ttl_seconds: u64,

    /// Seconds between removals of unattached uploads; 0 disables them on this instance.
    #[arg(
        long,
        env = "ATTACHMENT_CLEANUP_INTERVAL_SECONDS",
        default_value_t = 300
    )]
    pub attachment_cleanup_interval_seconds: u64,
}

/// The defaults of the `ATTACHMENT_*` settings, for embedders (tests, the bench) that build a
/// `Config` in code; a unit test keeps them equal to the command line's defaults.
impl Default for AttachmentConfig {
    fn default() -> Self {
        Self {
            attachment_store: AttachmentStoreKind::Local,
            attachment_dir: "attachments".into(),
            attachment_s3_endpoint: None,
            attachment_s3_bucket: None,
            attachment_s3_region: "us-east-1".into(),
            attachment_s3_access_key_id: None,
            attachment_s3_secret_access_key: None,
            attachment_s3_allow_http: false,
            attachment_max_image_bytes: 10 * 1024 * 1024,
            attachment_max_video_bytes: 20 * 1024 * 1024,
            attachment_max_files: 5,
            attachment_max_per_ticket: 20,
            attachment_max_pending: 20,
            attachment_max_concurrent_uploads: 8,
            attachment_request_timeout_seconds: 300,
            attachment_pending_ttl_seconds: 3600,
            attachment_url_ttl_seconds: 300,
            attachment_cleanup_interval_seconds: 300,
        }
    }
}

impl AttachmentConfig {
    pub fn limits(&self) -> crate::domain::attachment::Limits {
        crate::domain::attachment::Limits {
            max_image_bytes: self.attachment_max_image_bytes,
            max_video_bytes: self.attachment_max_video_bytes,
            max_files_per_request: self.attachment_max_files.max(1),
            max_per_ticket: self.attachment_max_per_ticket,
            max_pending_per_uploader: self.attachment_max_pending,
        }
    }
}

/// A CIDR block, or a single address as the block of just that address.
fn parse_network(value: &str) -> Result<ipnet::IpNet, String> {
    let value = value.trim();
    value
        .parse::<ipnet::IpNet>()
        .or_else(|_| value.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{value:?} is neither an IP address nor a CIDR block"))
}

fn parse_header_name(value: &str) -> Result<axum::http::HeaderName, String> {
    axum::http::HeaderName::try_from(value.trim()).map_err(|err| format!("{value:?}: {err}"))
}

/// Browser origins, as their `Origin` headers spell them; none turns CORS off.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origins(pub Vec<axum::http::HeaderValue>);

/// Comma-separated origins; an empty list (also an empty variable) is none, not an error.
fn parse_origins(value: &str) -> Result<Origins, String> {
    value
        .split(',')
        .filter(|origin| !origin.trim().is_empty())
        .map(parse_origin)
        .collect::<Result<_, _>>()
        .map(Origins)
}

/// An origin as a browser's `Origin` header spells it: lower-case `http(s)://host[:port]`, no
/// path, so that comparing the header byte for byte is enough.
fn parse_origin(value: &str) -> Result<axum::http::HeaderValue, String> {
    let origin = value.trim().to_ascii_lowercase();
    let host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or_else(|| {
            format!("{value:?} is not an http(s) origin such as https://app.example.com")
        })?;
    if host.is_empty() || host.contains(['/', '?', '#', '@', '*']) {
        return Err(format!(
            "{value:?} is not an origin: scheme, host and port only, no path or wildcard"
        ));
    }
    axum::http::HeaderValue::from_str(&origin).map_err(|err| format!("{value:?}: {err}"))
}

/// Read at start, so that a missing or stale file stops the server rather than every request.
fn parse_allowlist(path: &str) -> Result<crate::http::Allowlist, String> {
    let json = std::fs::read_to_string(path).map_err(|err| format!("{path}: {err}"))?;
    crate::http::Allowlist::parse(&json).map_err(|err| format!("{path}: {err}"))
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
            staff_complaint_alert: i64::from(self.staff_complaint_alert),
            solution_approval_delegated: self.solution_approval_delegated,
            allow_private_webhook_targets: self.webhook_allow_private_targets,
            phone_region: self.phone_default_region,
            seal_after: chrono::Duration::days(i64::from(self.privacy.seal_after_days)),
        }
    }

    pub fn account_settings(&self) -> crate::services::accounts::AccountSettings {
        crate::services::accounts::AccountSettings {
            code_ttl: chrono::Duration::seconds(i64::from(self.code_ttl_seconds)),
            code_max_attempts: self.code_max_attempts,
            code_rate_per_destination: self.code_rate_per_destination_per_hour,
            code_rate_per_address: self.code_rate_per_address_per_hour,
            refresh_ttl: chrono::Duration::days(i64::from(self.refresh_token_ttl_days)),
        }
    }

    pub fn webhook_settings(&self) -> crate::jobs::webhooks::WebhookSettings {
        crate::jobs::webhooks::WebhookSettings {
            connect_timeout: std::time::Duration::from_secs(self.webhook_connect_timeout_seconds),
            timeout: std::time::Duration::from_secs(self.webhook_timeout_seconds),
            allow_private_targets: self.webhook_allow_private_targets,
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

    /// Whether anonymous callers may introspect the schema and get field-name hints.
    pub fn anonymous_introspection(&self) -> bool {
        self.graphql_anonymous_introspection
            .unwrap_or(self.environment == Environment::Development)
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
    fn attachment_defaults_in_code_are_the_command_lines() {
        #[derive(Parser)]
        struct Attachments {
            #[command(flatten)]
            config: AttachmentConfig,
        }
        let parsed = Attachments::parse_from(["servicedesk"]).config;
        assert_eq!(
            format!("{parsed:?}"),
            format!("{:?}", AttachmentConfig::default())
        );
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
    fn trusted_proxies_are_addresses_or_blocks() {
        let config = parse(&["--trusted-proxies", "10.0.0.0/8, 192.0.2.7"]);
        let proxies: Vec<String> = config
            .trusted_proxies
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(proxies, ["10.0.0.0/8", "192.0.2.7/32"]);
        assert_eq!(config.client_ip_header.as_str(), "x-forwarded-for");
        assert!(parse_network("example.org").is_err());
    }

    #[test]
    fn cors_origins_are_listed_origins_and_off_by_default() {
        assert_eq!(parse(&[]).cors_allowed_origins, Origins::default());
        assert_eq!(
            parse(&["--cors-allowed-origins", " "])
                .cors_allowed_origins
                .0
                .len(),
            0
        );
        let config = parse(&[
            "--cors-allowed-origins",
            "https://App.example.com, http://localhost:5173",
        ]);
        assert_eq!(
            config.cors_allowed_origins.0,
            ["https://app.example.com", "http://localhost:5173"]
        );
        for bad in [
            "*",
            "app.example.com",
            "https://app.example.com/",
            "https://*.example.com",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_allowlist_that_cannot_be_read_stops_the_start() {
        assert!(parse(&[]).persisted_queries_allowlist.is_none());
        let err = parse_allowlist("/nonexistent/allowlist.json").unwrap_err();
        assert!(err.starts_with("/nonexistent/allowlist.json: "), "{err}");
    }

    #[test]
    fn anonymous_introspection_follows_the_environment_unless_set() {
        assert!(parse(&[]).anonymous_introspection());
        assert!(!parse(&["--environment", "production"]).anonymous_introspection());
        assert!(
            parse(&[
                "--environment",
                "production",
                "--graphql-anonymous-introspection",
                "true"
            ])
            .anonymous_introspection()
        );
    }

    #[test]
    fn development_generates_a_secret() {
        let config = parse(&[]);
        assert_eq!(config.resolve_jwt_secret().unwrap().len(), 48);
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
    }
}
