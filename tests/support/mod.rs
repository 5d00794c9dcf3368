//! Test harness: each test gets its own fresh database (a temporary SQLite file, or a new
//! PostgreSQL database when `TEST_DATABASE_URL` is set) and its own server on a random
//! loopback port, driven over real HTTP.

mod complaint;
mod database;
mod fixtures;
mod gql;
mod live;
mod repair;
mod s3;
mod uploads;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use chrono::{TimeZone, Utc};
use sea_orm::DatabaseConnection;
use servicedesk::app::AppState;
use servicedesk::config::{Config, Environment};
use servicedesk::domain::clock::ManualClock;

pub use complaint::COMPLAINT_FIELDS;
pub use database::Backend;
pub use fixtures::TestUser;
pub use gql::{Auth, GqlResponse};
pub use live::{LiveClient, Protocol, Received};
pub use repair::{ORDER_FIELDS, RepairWorld};
pub use s3::S3Server;
pub use uploads::FilePart;

pub use servicedesk::domain::global_id::NodeType;

/// The API's id of record `key` of type `node`, as the server hands it out: tests that make
/// records straight in the database name them to the API with it.
pub fn gid(node: NodeType, key: i64) -> String {
    servicedesk::domain::global_id::encode(node, key)
}

/// The database key inside an id the API handed out (a JSON string), whatever its type.
pub fn key_of(id: &serde_json::Value) -> i64 {
    let id = id.as_str().expect("an id is a string");
    servicedesk::domain::global_id::decode(id)
        .unwrap_or_else(|| panic!("{id} is not an id of this API"))
        .1
}

/// Secret of the in-process test servers.
const TEST_SECRET: &str = "test-secret-test-secret-test-secret!";

/// Bearer token of the test servers' `/metrics`.
pub const METRICS_TOKEN: &str = "test-metrics-token";

pub struct TestApp {
    pub base_url: String,
    pub http: reqwest::Client,
    /// The server's clock: tests move it instead of sleeping.
    pub clock: ManualClock,
    /// Direct access for fixtures and for checking what was (not) written.
    pub db: DatabaseConnection,
    pub state: AppState,
    server: tokio::task::JoinHandle<()>,
    /// Starts the server's graceful shutdown, as SIGTERM does.
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    /// Removes the database when the last instance on it is dropped.
    database: Arc<database::TestDatabase>,
    /// The local attachment store's directory, shared with other instances (see `serve`).
    attachment_dir: Arc<tempfile::TempDir>,
    /// The S3-compatible server the attachments are stored in, when the test asked for one.
    pub s3: Option<Arc<S3Server>>,
}

impl TestApp {
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, test_config()).await
    }

    pub async fn start_with(backend: Backend, config: Config) -> Self {
        init_logging();
        let database = Arc::new(database::TestDatabase::create(backend).await);
        let attachment_dir = Arc::new(tempfile::tempdir().expect("attachment dir"));
        Self::serve(database, attachment_dir, None, config, true).await
    }

    /// A server whose attachments go to a fresh bucket of an S3-compatible server of its own
    /// (see `S3Server`); `None` when there is no such server here (never under CI).
    pub async fn start_s3(backend: Backend, mut config: Config) -> Option<Self> {
        init_logging();
        let s3 = Arc::new(S3Server::start().await?);
        s3.use_in(&mut config);
        let database = Arc::new(database::TestDatabase::create(backend).await);
        let attachment_dir = Arc::new(tempfile::tempdir().expect("attachment dir"));
        Some(Self::serve(database, attachment_dir, Some(s3), config, true).await)
    }

    /// A second server on the same database with caches of its own, as another instance
    /// behind a load balancer would be.
    pub async fn another_instance(&self) -> Self {
        self.another_instance_with(test_config()).await
    }

    /// Another instance on the same database with settings of its own.
    pub async fn another_instance_with(&self, config: Config) -> Self {
        let (dir, s3) = (self.attachment_dir.clone(), self.s3.clone());
        Self::serve(self.database.clone(), dir, s3, config, false).await
    }

    /// Signals shutdown and waits until the server has stopped.
    pub async fn shut_down(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        (&mut self.server).await.expect("server task");
    }

    async fn serve(
        database: Arc<database::TestDatabase>,
        attachment_dir: Arc<tempfile::TempDir>,
        s3: Option<Arc<S3Server>>,
        mut config: Config,
        migrate: bool,
    ) -> Self {
        if config.attachments.attachment_dir.as_os_str().is_empty() {
            config.attachments.attachment_dir = attachment_dir.path().to_owned();
        }
        let db = servicedesk::db::connect(database.url(), &config)
            .await
            .expect("connect test database");
        if migrate {
            servicedesk::db::migrate(&db).await.expect("migrate");
        }
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap());
        let state = AppState::new(db.clone(), Arc::new(clock.clone()), &config, TEST_SECRET);
        // Statement counts depend on whether accounts are cached: wait for the listener.
        for _ in 0..500 {
            if state.principals.is_caching() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(state.principals.is_caching(), "user change listener is up");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("local addr"));
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(servicedesk_serve(listener, state.clone(), async {
            let _ = stop.await;
        }));
        Self {
            base_url,
            http: reqwest::Client::new(),
            clock,
            db,
            state,
            server,
            shutdown: Some(shutdown),
            database,
            attachment_dir,
            s3,
        }
    }
}

impl TestApp {
    /// The rule settings the server runs with, for calling use cases directly.
    pub fn state_settings(&self) -> servicedesk::services::RuleSettings {
        test_config().rule_settings()
    }

    /// Waits until the event log holds back no row of this test's database from readers.
    /// PostgreSQL snapshots span the cluster, so another test's open transaction (in its own
    /// database) holds the change feed and live updates back for a moment, as it should; tests
    /// compare what they give once they have caught up.
    pub async fn log_caught_up(&self) {
        use sea_orm::{ConnectionTrait, DbBackend, Statement};
        if self.db.get_database_backend() != DbBackend::Postgres {
            return;
        }
        let held = "SELECT count(*) AS n FROM ticket_events \
            WHERE commit_tx >= pg_snapshot_xmin(pg_current_snapshot())::text::bigint";
        for _ in 0..400 {
            let row = self
                .db
                .query_one_raw(Statement::from_string(DbBackend::Postgres, held))
                .await
                .expect("count")
                .expect("row");
            if row.try_get::<i64>("", "n").expect("n") == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("the event log stayed held back for 10 s");
    }

    /// Waits until the live-update fan-out has handed out every event written so far, so a
    /// subscription started now gets only later ones.
    pub async fn events_settled(&self) {
        self.log_caught_up().await;
        let head = servicedesk::store::events::head(&self.db)
            .await
            .expect("log head");
        self.state.events.poke();
        self.state.events.reached(head).await;
    }

    /// The directory of the local attachment store.
    pub fn attachment_dir(&self) -> &std::path::Path {
        self.attachment_dir.path()
    }

    /// This test's database, for a connection of the test's own that the server does not
    /// share (to lock tables or end the server's sessions).
    pub fn database_url(&self) -> &str {
        self.database.url()
    }

    /// Rolls the schema back to just before the migration whose name starts with `prefix`
    /// (e.g. `m20261207_000010`), however many migrations came after it, then up again to the
    /// newest: a round trip through that migration's `down` and `up`.
    pub async fn migrate_round_trip_from(&self, prefix: &str) {
        use migration::{Migrator, MigratorTrait};
        let names: Vec<String> = Migrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        let at = names
            .iter()
            .position(|name| name.starts_with(prefix))
            .unwrap_or_else(|| panic!("no migration {prefix} in {names:?}"));
        let steps = u32::try_from(names.len() - at).expect("few migrations");
        Migrator::down(&self.db, Some(steps)).await.expect("down");
        Migrator::up(&self.db, None).await.expect("up");
    }

    /// Statements the server ran while `work` ran (fixtures use their own connection).
    pub async fn count_statements<T>(
        &self,
        work: impl std::future::Future<Output = T>,
    ) -> (T, usize) {
        let before = self.state.sql_statements.load(Ordering::SeqCst);
        let result = work.await;
        let after = self.state.sql_statements.load(Ordering::SeqCst);
        (
            result,
            usize::try_from(after - before).unwrap_or(usize::MAX),
        )
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The same server loop as the binary's, timeouts included.
async fn servicedesk_serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()>,
) {
    servicedesk::http::serve(listener, state, shutdown)
        .await
        .expect("test server");
}

/// Server logs in test output when `RUST_LOG` is set, e.g. `RUST_LOG=servicedesk=debug`.
fn init_logging() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("RUST_LOG").is_some() {
            tracing_subscriber::fmt()
                .with_test_writer()
                .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
                .init();
        }
    });
}

/// The server configuration of every test: production defaults, small body limit.
pub fn test_config() -> Config {
    Config {
        bind: "127.0.0.1:0".parse().expect("address"),
        database_url: String::new(),
        jwt_secret: Some(TEST_SECRET.into()),
        environment: Environment::Production,
        // Long enough for tests that move the clock by days.
        token_ttl_seconds: 90 * 24 * 3600,
        body_limit_bytes: 64 * 1024,
        max_concurrent_requests: 64,
        database_max_connections: None,
        sqlite_busy_timeout_ms: 5000,
        readiness_timeout_ms: 1000,
        graphql_depth_limit: 12,
        graphql_complexity_limit: 1000,
        max_input_text_chars: 10_000,
        graphql_max_node_ids: 100,
        graphql_max_document_bytes: 16_384,
        graphql_max_selections: 2000,
        graphql_max_fragment_spreads: 100,
        graphql_max_directives: 4,
        graphql_max_input_values: 1000,
        graphql_max_definitions: 50,
        graphql_max_errors: 20,
        graphql_anonymous_introspection: None,
        header_read_timeout_seconds: 10,
        body_read_timeout_seconds: 10,
        request_timeout_seconds: 30,
        // Short, so that shutdown tests are quick; production waits 10 s.
        shutdown_timeout_seconds: 1,
        ws_max_connections: 100,
        ws_max_subscriptions: 5,
        ws_init_timeout_seconds: 10,
        ws_keepalive_seconds: 15,
        ws_send_timeout_seconds: 10,
        subscription_buffer: 256,
        // SQLite has no notifications from jobs' writes: look often.
        event_poll_ms: 100,
        metrics_token: Some(METRICS_TOKEN.into()),
        metrics_max_operation_names: 200,
        otel_exporter_otlp_endpoint: None,
        otel_service_name: "servicedesk".into(),
        graphiql_dir: concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../assets/graphiql/node_modules"
        )
        .into(),
        cors_allowed_origins: Default::default(),
        persisted_queries_allowlist: None,
        trusted_proxies: Vec::new(),
        client_ip_header: axum::http::HeaderName::from_static("x-forwarded-for"),
        sla_sweep_interval_seconds: 0,
        track_rate_per_minute: 10,
        login_account_free_failures: 5,
        login_address_free_failures: 20,
        login_delay_seconds: 1,
        login_max_delay_seconds: 900,
        login_failure_memory_seconds: 86_400,
        compensation_agent_limit: rust_decimal::Decimal::new(50000, 2),
        survey_low_score: 2,
        survey_expiry_days: 14,
        staff_complaint_alert: 3,
        solution_approval_delegated: false,
        // Tests drive webhook passes themselves, to receivers on loopback.
        webhook_interval_seconds: 0,
        webhook_connect_timeout_seconds: 5,
        webhook_timeout_seconds: 5,
        webhook_allow_private_targets: true,
        phone_default_region: servicedesk::domain::phone::Region::CN,
        // One-time codes go to internal webhook endpoints, where tests read them.
        notifier: servicedesk::config::NotifierKind::Webhook,
        code_ttl_seconds: 600,
        code_max_attempts: 5,
        code_rate_per_destination_per_hour: 5,
        code_rate_per_address_per_hour: 20,
        refresh_token_ttl_days: 30,
        attachments: servicedesk::config::AttachmentConfig {
            // Empty: the harness puts each test's files in a temporary directory.
            attachment_dir: std::path::PathBuf::new(),
            attachment_cleanup_interval_seconds: 0,
            ..Default::default()
        },
        privacy: Default::default(),
    }
}

/// Declares tests that run once per backend: `name::sqlite` always, `name::postgres` when
/// `TEST_DATABASE_URL` is set. Each named function takes a fresh `TestApp`.
#[macro_export]
macro_rules! db_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::TestApp::start($crate::Backend::Sqlite).await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(backend) = $crate::Backend::postgres() {
                    super::$name($crate::TestApp::start(backend).await).await;
                }
            }
        }
    )*};
}
