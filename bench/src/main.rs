//! Benchmark harness: loads a data set into PostgreSQL, starts the server (release build, as a
//! child process), drives HTTP load at fixed concurrency for five workloads, runs
//! `pgbench -S` as the one-round-trip ceiling, then the SLA sweep cell in-process on a database
//! of its own, and writes `bench/RESULTS.md`.
//!
//! `cargo run -p bench --release -- all [--scale 0.1] [--seconds 10]`
//!
//! The SLA sweep cell alone, on a database of its own, its section put into RESULTS.md:
//! `cargo run -p bench --release -- sweep [--scale 0.1]`
//!
//! The webhook cell alone (deliveries per second to a local receiver), its section put into
//! RESULTS.md: `cargo run -p bench --release -- webhooks [--events 5000]`

mod audit;
mod explain;
mod keyset;
mod live;
mod load;
mod sweep;
mod webhooks;
mod workload;

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use sea_orm::{ConnectionTrait, Database};
use servicedesk::app::AppState;
use servicedesk::config::Config;
use servicedesk::domain::clock::SystemClock;

#[derive(Parser)]
struct Cli {
    /// PostgreSQL server to use (its `postgres` database); the bench creates its own databases.
    /// Plain TCP by default: on loopback, TLS only taxes the server and pgbench alike.
    #[arg(
        long,
        env = "BENCH_DATABASE_URL",
        default_value = "postgres://postgres:postgres@127.0.0.1:5432/postgres?sslmode=disable"
    )]
    admin_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load the data set, start the server, run every workload and pgbench, write RESULTS.md.
    All {
        /// Fraction of the full data set (1 = 100k customers, 1M orders, 200k complaints, 5M events).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// Seconds per workload and concurrency level.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value = "bench/RESULTS.md")]
        out: PathBuf,
        /// Keep the data set loaded by an earlier run at the same scale instead of reloading.
        #[arg(long)]
        reuse: bool,
        /// Client counts to run.
        #[arg(long, value_delimiter = ',', default_values_t = [8usize, 64, 256])]
        clients: Vec<usize>,
        /// Workloads to run (1–5).
        #[arg(long, value_delimiter = ',', default_values_t = [1u8, 2, 3, 4, 5])]
        workloads: Vec<u8>,
        /// Leave out the SLA sweep cell.
        #[arg(long)]
        skip_sweep: bool,
    },
    /// Only the SLA sweep cell ("sweep 10,000 due clocks among 1,000,000 open" at scale 1), on a
    /// database of its own; its section replaces the one of an earlier run at the same scale in
    /// `out`, or is appended.
    Sweep {
        /// Fraction of the cell (1 = 10,000 due clocks among 1,000,000 open).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        #[arg(long, default_value = "bench/RESULTS.md")]
        out: PathBuf,
        /// Keep the cell's database (`servicedesk_bench_sweep`) after the run.
        #[arg(long)]
        keep: bool,
    },
    /// Only the live-updates cell (server memory with 1,000 and 10,000 idle subscriptions,
    /// fan-out latency to 1,000 subscribers), on a database of its own; its section replaces
    /// an earlier one in `out`, or is appended.
    Live {
        /// Events written per second during the fan-out, one run per rate.
        #[arg(long, value_delimiter = ',', default_values_t = [50u32, 500])]
        rates: Vec<u32>,
        /// Seconds of fan-out.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value = "bench/RESULTS.md")]
        out: PathBuf,
    },
    /// Only the webhook cell: deliveries per second to a receiver on loopback, on a database of
    /// its own; its section replaces the one of an earlier run in `out`, or is appended.
    Webhooks {
        /// Timeline events, each sent to every endpoint.
        #[arg(long, default_value_t = 5000)]
        events: u64,
        #[arg(long, default_value = "bench/RESULTS.md")]
        out: PathBuf,
    },
    /// Only the access-audit cell: the agent's page with auditing on and off, alternating, on
    /// a database of its own; its section replaces an earlier one in `out`, or is appended.
    Audit {
        /// Fraction of the data set.
        #[arg(long, default_value_t = 0.02)]
        scale: f64,
        /// Seconds per run.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Concurrent clients.
        #[arg(long, default_value_t = 16)]
        clients: usize,
        /// Runs of each side.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        #[arg(long, default_value = "bench/RESULTS.md")]
        out: PathBuf,
    },
    /// (internal) Run the server on `DATABASE_URL` at `SERVICEDESK_BIND`; `BENCH_AUDIT=off`
    /// drops audit entries instead of writing them (the audit cell's baseline).
    ServeChild,
}

pub(crate) const SECRET: &str = "bench-secret-bench-secret-bench-secret!!";
pub(crate) const BIND: &str = "127.0.0.1:18080";
/// `/metrics` is behind a token in production.
pub(crate) const METRICS_TOKEN: &str = "bench-metrics-token";
const DATABASE: &str = "servicedesk_bench";

/// The server's allocator (see the `servicedesk` binary); the load generator shares it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::ServeChild => serve_child().await,
        Command::All {
            scale,
            seconds,
            out,
            reuse,
            clients,
            workloads,
            skip_sweep,
        } => {
            let plan = Plan {
                scale,
                seconds,
                reuse,
                clients,
                workloads: workload::Kind::ALL
                    .into_iter()
                    .filter(|k| workloads.contains(&k.number()))
                    .collect(),
                sweep: !skip_sweep,
            };
            all(&cli.admin_url, &plan, out).await
        }
        Command::Webhooks { events, out } => {
            let runs = webhooks::run(&cli.admin_url, events).await?;
            write_section(&out, webhooks::HEADING, &webhooks::report(&runs))?;
            webhooks::check(&runs)
        }
        Command::Sweep { scale, out, keep } => {
            let cell = sweep::run(&cli.admin_url, scale, keep).await?;
            write_section(&out, &sweep::heading(&cell), &sweep::report(&cell))?;
            check_sweep(&cell)
        }
        Command::Audit {
            scale,
            seconds,
            clients,
            rounds,
            out,
        } => {
            let cell = audit::run(&cli.admin_url, scale, seconds, clients, rounds).await?;
            write_section(&out, audit::HEADING, &audit::report(&cell))?;
            anyhow::ensure!(
                cell.ratio() >= 0.9,
                "auditing costs more than 10 %: on/off = {:.3}",
                cell.ratio()
            );
            Ok(())
        }
        Command::Live {
            rates,
            seconds,
            out,
        } => {
            let cell = live::run(&cli.admin_url, &rates, seconds).await?;
            write_section(&out, live::HEADING, &live::report(&cell))
        }
    }
}

/// Puts `section` into the results file `out` (which may not exist yet).
fn write_section(out: &std::path::Path, heading: &str, section: &str) -> anyhow::Result<()> {
    let text = match std::fs::read_to_string(out) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(err) => return Err(err).with_context(|| format!("reading {}", out.display())),
    };
    std::fs::write(out, merge(&text, heading, section))?;
    eprintln!("wrote {}", out.display());
    Ok(())
}

/// A new, empty database `name` on the bench's server (dropped first if it exists); its URL.
pub(crate) async fn fresh_database(
    admin: &sea_orm::DatabaseConnection,
    admin_url: &str,
    name: &str,
) -> anyhow::Result<String> {
    for sql in [
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        format!("CREATE DATABASE {name}"),
    ] {
        admin.execute_unprepared(&sql).await?;
    }
    Ok(database_url(admin_url, name))
}

/// Puts `section` into `text`: in place of an earlier one under `heading`, else at the end.
fn merge(text: &str, heading: &str, section: &str) -> String {
    match text.find(&format!("\n{heading}\n")) {
        Some(start) => {
            let rest = &text[start + 1..];
            let end = rest.find("\n## ").map_or(text.len(), |i| start + 1 + i);
            // Up to and with the newline before the heading: the line above keeps its end.
            format!("{}{}{}", &text[..=start], section, &text[end..])
        }
        None => format!(
            "{}{}",
            text.trim_end_matches('\n').to_owned() + "\n\n",
            section
        ),
    }
}

/// The sweep cell's plans: the claim query reads the index, no statement scans a loaded table.
fn check_sweep(cell: &sweep::Cell) -> anyhow::Result<()> {
    anyhow::ensure!(
        cell.index_used(),
        "the sweeper's claim query does not read idx_sla_clocks_next_check"
    );
    let missing = cell.missing_indexes();
    anyhow::ensure!(
        missing.is_empty(),
        "sequential scans in the sweep:\n{}",
        missing.join("\n")
    );
    Ok(())
}

/// `admin_url` naming database `name` instead, with the same connection parameters.
pub(crate) fn database_url(admin_url: &str, name: &str) -> String {
    let (base, params) = admin_url
        .split_once('?')
        .map_or((admin_url, ""), |(base, params)| (base, params));
    let (server, _) = base.rsplit_once('/').unwrap_or((base, ""));
    if params.is_empty() {
        format!("{server}/{name}")
    } else {
        format!("{server}/{name}?{params}")
    }
}

async fn serve_child() -> anyhow::Result<()> {
    let mut config = bench_config(std::env::var("DATABASE_URL")?);
    if let Ok(bind) = std::env::var("SERVICEDESK_BIND") {
        config.bind = bind.parse()?;
    }
    let db = servicedesk::db::connect(&config.database_url, &config).await?;
    let state = if std::env::var("BENCH_AUDIT").as_deref() == Ok("off") {
        let audit = servicedesk::jobs::audit_writer::AuditWriter::discarding(db.clone());
        AppState::with_audit(db, Arc::new(SystemClock), &config, SECRET, audit)
    } else {
        AppState::new(db, Arc::new(SystemClock), &config, SECRET)
    };
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    // The parent kills this process when the run is over.
    servicedesk::http::serve(listener, state, std::future::pending()).await?;
    Ok(())
}

pub(crate) fn bench_config(database_url: String) -> Config {
    Config {
        bind: BIND.parse().expect("bind address"),
        database_url,
        jwt_secret: Some(SECRET.into()),
        environment: servicedesk::config::Environment::Production,
        token_ttl_seconds: 24 * 3600,
        body_limit_bytes: 1 << 20,
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
        shutdown_timeout_seconds: 10,
        ws_max_connections: 20_000,
        ws_max_subscriptions: 20,
        ws_init_timeout_seconds: 10,
        ws_keepalive_seconds: 15,
        ws_send_timeout_seconds: 10,
        subscription_buffer: 256,
        event_poll_ms: 1000,
        metrics_token: Some(METRICS_TOKEN.into()),
        metrics_max_operation_names: 200,
        otel_exporter_otlp_endpoint: None,
        otel_service_name: "servicedesk".into(),
        graphiql_dir: "assets/graphiql/node_modules".into(),
        cors_allowed_origins: Default::default(),
        persisted_queries_allowlist: None,
        trusted_proxies: Vec::new(),
        client_ip_header: axum::http::HeaderName::from_static("x-forwarded-for"),
        sla_sweep_interval_seconds: 0,
        // Workload 4 is anonymous tracking from one address: lift the per-IP limit.
        track_rate_per_minute: 10_000_000,
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
        webhook_interval_seconds: 0,
        webhook_connect_timeout_seconds: 5,
        webhook_timeout_seconds: 15,
        webhook_allow_private_targets: false,
        phone_default_region: servicedesk::domain::phone::Region::CN,
        notifier: servicedesk::config::NotifierKind::Log,
        code_ttl_seconds: 600,
        code_max_attempts: 5,
        code_rate_per_destination_per_hour: 5,
        code_rate_per_address_per_hour: 20,
        refresh_token_ttl_days: 30,
        attachments: servicedesk::config::AttachmentConfig {
            attachment_dir: std::env::temp_dir().join("servicedesk-bench-attachments"),
            attachment_cleanup_interval_seconds: 0,
            ..Default::default()
        },
        privacy: Default::default(),
    }
}

/// What one invocation runs.
struct Plan {
    scale: f64,
    seconds: u64,
    reuse: bool,
    clients: Vec<usize>,
    workloads: Vec<workload::Kind>,
    /// Run the SLA sweep cell (on a database of its own, after the workloads).
    sweep: bool,
}

async fn all(admin_url: &str, plan: &Plan, out: PathBuf) -> anyhow::Result<()> {
    let (scale, seconds) = (plan.scale, plan.seconds);
    let admin = Database::connect(admin_url)
        .await
        .context("connect BENCH_DATABASE_URL")?;
    let url = database_url(admin_url, DATABASE);
    let sizes = load::Sizes::at(scale);
    if !plan.reuse {
        for sql in [
            format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"),
            format!("CREATE DATABASE {DATABASE}"),
        ] {
            admin.execute_unprepared(&sql).await?;
        }
    }
    let db = servicedesk::db::connect(&url, &bench_config(url.clone())).await?;
    servicedesk::db::migrate(&db).await?;
    if !plan.reuse {
        eprintln!("loading scale {scale}");
        let hash = servicedesk::auth::passwords::hash("bench-password".into())
            .await
            .map_err(|e| anyhow::anyhow!(e.message()))?;
        load::load(&db, &sizes, &hash).await?;
    }
    load::settle(&db).await?;

    let mut server = tokio::process::Command::new(std::env::current_exe()?)
        .arg("serve-child")
        .env("DATABASE_URL", &url)
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let pid = server.id().context("server pid")?;
    let base = format!("http://{BIND}");
    workload::wait_ready(&base).await?;
    let tokens = workload::Tokens::mint(&db, SECRET).await?;
    let mut rows = Vec::new();
    for &concurrency in &plan.clients {
        let ceiling = workload::pgbench(admin_url, concurrency, seconds).await?;
        for &kind in &plan.workloads {
            let result = workload::run(
                &base,
                kind,
                &tokens,
                &sizes,
                concurrency,
                Duration::from_secs(seconds),
                pid,
            )
            .await?;
            eprintln!(
                "{concurrency:>4} {:<28} {:>8.0} req/s",
                kind.name(),
                result.throughput
            );
            rows.push((concurrency, kind, result, ceiling));
        }
    }
    let pages = keyset::compare(&base, &db, &tokens, sizes.orders).await?;
    server.kill().await.ok();
    let explained = explain::workloads(&url, &db, &tokens, &sizes).await?;
    let mut report = workload::report(scale, seconds, &rows);
    report.push_str(&format!(
        "\n## Keyset pagination\n\n`repairOrders(first: 50)` as the agent, one client, {} requests each, interleaved: \
         page 1 median {:.2} ms (p95 {:.2}), page {} median {:.2} ms (p95 {:.2}); deep / first = {:.2}.\n",
        keyset::REQUESTS,
        pages.first_median_ms,
        pages.first_p95_ms,
        pages.deep_page,
        pages.deep_median_ms,
        pages.deep_p95_ms,
        pages.ratio()
    ));
    report.push_str(&explain::report(&explained));
    let missing: Vec<String> = explained
        .iter()
        .flat_map(|(kind, statements)| {
            statements
                .iter()
                .filter(|e| e.seq_scan_of_big_table)
                .map(move |e| format!("{}: {}", kind.name(), e.sql))
        })
        .collect();
    std::fs::write(&out, &report)?;
    eprintln!("wrote {}", out.display());
    // After the workloads' results are safe on disk.
    let sweep = if plan.sweep {
        let cell = sweep::run(admin_url, scale, false).await?;
        report.push_str(&sweep::report(&cell));
        std::fs::write(&out, &report)?;
        eprintln!("wrote {} (SLA sweep cell)", out.display());
        Some(cell)
    } else {
        None
    };
    anyhow::ensure!(
        missing.is_empty(),
        "sequential scans of loaded tables:\n{}",
        missing.join("\n")
    );
    sweep.as_ref().map_or(Ok(()), check_sweep)
}

#[cfg(test)]
mod tests {
    use super::merge;

    #[test]
    fn a_section_replaced_or_appended_keeps_the_lines_around_it() {
        let text = "# Results\n\n| a |\n\n## Cell\n\nold\n\n## Next\n\nkept\n";
        let replaced = merge(text, "## Cell", "## Cell\n\nnew\n");
        assert_eq!(
            replaced,
            "# Results\n\n| a |\n\n## Cell\n\nnew\n\n## Next\n\nkept\n"
        );
        let appended = merge("# Results\n\n| a |\n", "## Cell", "## Cell\n\nnew\n");
        assert_eq!(appended, "# Results\n\n| a |\n\n## Cell\n\nnew\n");
    }
}
