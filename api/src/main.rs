//! The servicedesk binary: `serve` (default), `migrate`, `seed-demo`, `export-schema`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use servicedesk::app::AppState;
use servicedesk::config::Config;
use servicedesk::domain::clock::{Clock, SystemClock};
use servicedesk::telemetry::Telemetry;
use servicedesk::{db, graphql, http, jobs, seed};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

#[derive(Parser)]
#[command(version, about = "GraphQL API for after-sales service")]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database and serve HTTP (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Create demo data and print its credentials.
    SeedDemo,
    /// Escalate overdue complaints once and exit.
    SweepOnce,
    /// Write the GraphQL SDL.
    ExportSchema {
        #[arg(long, default_value = "schema.graphql")]
        out: PathBuf,
    },
}

/// Request handling allocates many small, short-lived objects (GraphQL values, rows, JSON):
/// glibc's allocator spent a fifth of a list page's CPU time on them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let telemetry = Telemetry::new(
        cli.config.otel_exporter_otlp_endpoint.as_deref(),
        &cli.config.otel_service_name,
    )
    .context("OTEL_EXPORTER_OTLP_ENDPOINT")?;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_filter(filter))
        .with(telemetry.as_ref().map(Telemetry::layer))
        .init();
    let outcome = run(cli).await;
    if let Some(telemetry) = telemetry {
        telemetry.shutdown();
    }
    outcome
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config).await,
        Command::Migrate => {
            db::migrate(&connect(&cli.config).await?).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::SeedDemo => seed_demo(&cli.config).await,
        Command::SweepOnce => {
            let db = connect(&cli.config).await?;
            db::migrate(&db).await?;
            let settings = cli.config.rule_settings();
            let report = jobs::sla_sweeper::sweep(
                &db,
                &settings,
                SystemClock.now(),
                &mut Default::default(),
            )
            .await
            .map_err(|err| anyhow::anyhow!("sweep failed: {err:?}"))?;
            println!(
                "swept {} tickets: {} warnings, {} breaches, {} escalations, {} failed (see the log)",
                report.tickets, report.warnings, report.breaches, report.escalated, report.failed
            );
            let digests = jobs::digest::run(&db, SystemClock.now())
                .await
                .map_err(|err| anyhow::anyhow!("digests failed: {err:?}"))?;
            println!("wrote {digests} daily digests");
            let visits = jobs::warranty_visits::run(&db, SystemClock.now())
                .await
                .map_err(|err| anyhow::anyhow!("warranty visits failed: {err:?}"))?;
            println!("scheduled {visits} warranty-end return visits");
            Ok(())
        }
        Command::ExportSchema { out } => {
            std::fs::write(&out, graphql::sdl())
                .with_context(|| format!("writing {}", out.display()))?;
            println!("wrote {}", out.display());
            Ok(())
        }
    }
}

async fn connect(config: &Config) -> anyhow::Result<sea_orm::DatabaseConnection> {
    db::connect(&config.database_url, config)
        .await
        .with_context(|| "connecting to the database (DATABASE_URL)".to_string())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let secret = config.resolve_jwt_secret()?;
    let db = connect(&config).await?;
    db::migrate(&db).await.context("applying migrations")?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // Phones stored before they were normalized (issue 14) become E.164 once.
    let (rewritten, left) = servicedesk::services::accounts::normalize_stored_phones(
        &db,
        config.phone_default_region,
        clock.now(),
    )
    .await
    .map_err(|err| anyhow::anyhow!("normalizing stored phones: {err:?}"))?;
    if rewritten + left > 0 {
        tracing::info!(rewritten, left, "stored phones normalized to E.164");
    }
    // Refuse bad store settings before anything starts.
    servicedesk::attachments::Storage::open(&config.attachments, &secret)
        .map_err(|err| anyhow::anyhow!("attachment store: {err}"))?;
    let state = AppState::new(db.clone(), clock.clone(), &config, &secret);
    if config.sla_sweep_interval_seconds > 0 {
        let interval = std::time::Duration::from_secs(config.sla_sweep_interval_seconds);
        let metrics = state.metrics.clone();
        jobs::sla_sweeper::spawn(db.clone(), config.rule_settings(), clock, interval, metrics);
    }
    if config.webhook_interval_seconds > 0 {
        let sender = jobs::webhooks::Sender::new(&config.webhook_settings())
            .map_err(|err| anyhow::anyhow!("webhook client: {err:?}"))?
            .observed_by(state.metrics.clone());
        let interval = std::time::Duration::from_secs(config.webhook_interval_seconds);
        jobs::webhooks::spawn(db.clone(), sender, state.clock.clone(), interval);
    }
    if config.privacy.retention_interval_seconds > 0 {
        let interval = std::time::Duration::from_secs(config.privacy.retention_interval_seconds);
        jobs::retention::spawn(
            db.clone(),
            state.attachments.clone(),
            state.clock.clone(),
            interval,
        );
    }
    if config.privacy.export_interval_seconds > 0 {
        let interval = std::time::Duration::from_secs(config.privacy.export_interval_seconds);
        let ttl = chrono::Duration::seconds(i64::from(config.privacy.export_ttl_seconds));
        jobs::exports::spawn(db.clone(), state.clock.clone(), interval, ttl);
    }
    if config.attachments.attachment_cleanup_interval_seconds > 0 {
        let interval =
            std::time::Duration::from_secs(config.attachments.attachment_cleanup_interval_seconds);
        jobs::attachments::spawn(db, state.attachments.clone(), state.clock.clone(), interval);
    }
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("binding {}", config.bind))?;
    tracing::info!("listening on http://{}/graphql", config.bind);
    http::serve(listener, state, shutdown_signal()).await?;
    Ok(())
}

async fn seed_demo(config: &Config) -> anyhow::Result<()> {
    let db = connect(config).await?;
    db::migrate(&db).await?;
    let credentials = seed::seed_demo(&db, &config.rule_settings(), SystemClock.now())
        .await
        .map_err(|err| anyhow::anyhow!("seeding failed: {}", err.message()))?;
    println!(
        "Demo data created. Log in from GraphiQL (http://{}/graphql):",
        config.bind
    );
    for (role, email, password) in &credentials.logins {
        println!(
            "  {:<11} {email:<34} {password}",
            format!("{role:?}").to_uppercase()
        );
    }
    println!(
        "  PARTNER     Authorization: ApiKey {}",
        credentials.partner_api_key
    );
    Ok(())
}

/// Ctrl-C or SIGTERM (what process managers send) stops accepting and drains requests, for
/// at most `SHUTDOWN_TIMEOUT_SECONDS`.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for Ctrl-C");
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
