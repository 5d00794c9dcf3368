//! The five workloads, the load loop, pgbench and the report.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use servicedesk::auth::tokens::TokenIssuer;

use crate::load::{STAFF, Sizes};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    ComplaintStatus,
    RepairPage,
    ReportFault,
    TrackComplaint,
    Metrics,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::ComplaintStatus,
        Kind::RepairPage,
        Kind::ReportFault,
        Kind::TrackComplaint,
        Kind::Metrics,
    ];

    /// The workload's number in the issue.
    pub fn number(self) -> u8 {
        match self {
            Kind::ComplaintStatus => 1,
            Kind::RepairPage => 2,
            Kind::ReportFault => 3,
            Kind::TrackComplaint => 4,
            Kind::Metrics => 5,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::ComplaintStatus => "1 complaint(number), JWT",
            Kind::RepairPage => "2 repairOrders(first: 50)",
            Kind::ReportFault => "3 reportFault",
            Kind::TrackComplaint => "4 trackComplaint",
            Kind::Metrics => "5 serviceMetrics (month)",
        }
    }
}

/// Bearer tokens for a sample of customers and the staff.
pub struct Tokens {
    customers: Vec<String>,
    agent: String,
    supervisor: String,
}

/// Customers used by the workloads: ids `STAFF + 1 + k` for `k` in `1..=SAMPLE`.
const SAMPLE: i64 = 200;

impl Tokens {
    pub fn agent(&self) -> &str {
        &self.agent
    }

    pub async fn mint(db: &DatabaseConnection, secret: &str) -> anyhow::Result<Self> {
        let issuer = TokenIssuer::new(secret, chrono::Duration::hours(24));
        let now = chrono::Utc::now();
        let ids: Vec<i64> = (1..=SAMPLE).map(|k| STAFF + 1 + k).chain([1, 2]).collect();
        let users = servicedesk::store::users::by_ids(db, &ids)
            .await
            .map_err(|e| anyhow::anyhow!(e.message()))?;
        let token = |id: i64| -> anyhow::Result<String> {
            let user = users
                .iter()
                .find(|u| u.id == id)
                .context("bench user missing")?;
            Ok(issuer
                .issue(user, now)
                .map_err(|e| anyhow::anyhow!(e.message()))?
                .token)
        };
        Ok(Self {
            customers: (1..=SAMPLE)
                .map(|k| token(STAFF + 1 + k))
                .collect::<anyhow::Result<_>>()?,
            agent: token(1)?,
            supervisor: token(2)?,
        })
    }
}

/// The request of `kind` for the `i`-th iteration: (bearer token, GraphQL body).
pub fn request(kind: Kind, tokens: &Tokens, sizes: &Sizes, i: usize) -> (Option<String>, Value) {
    let k = (i as i64 % SAMPLE.min(sizes.customers - 1)) + 1;
    let customer = tokens.customers[(k - 1) as usize].clone();
    match kind {
        Kind::ComplaintStatus => (
            Some(customer),
            json!({ "query": "query($n: String!) { complaint(number: $n) { number status handledAt nextContactAt } }",
                    "variables": { "n": format!("CP-BENCH-{k}") } }),
        ),
        Kind::RepairPage => (
            Some(tokens.agent.clone()),
            json!({ "query": "{ repairOrders(first: 50) { edges { node { number status customer { name phone } asset { model } technician { name } events(last: 3) { action createdAt } } } } }" }),
        ),
        Kind::ReportFault => (
            Some(customer),
            json!({ "query": "mutation($input: ReportFaultInput!) { reportFault(input: $input) { id number } }",
                    "variables": { "input": { "assetId": (k + 1).to_string(), "faultDescription": "Noisy",
                                               "serviceAddress": "88 Century Avenue", "contactPhone": "13912345678" } } }),
        ),
        Kind::TrackComplaint => (
            None,
            json!({ "query": "query($n: String!, $p: String!) { trackComplaint(number: $n, phone: $p) { status } }",
                    "variables": { "n": format!("CP-BENCH-{k}"), "p": format!("139{:08}", k + 1) } }),
        ),
        Kind::Metrics => {
            let to = chrono::Utc::now();
            let from = to - chrono::Duration::days(30);
            (
                Some(tokens.supervisor.clone()),
                json!({ "query": "query($f: DateTime!, $t: DateTime!) { serviceMetrics(from: $f, to: $t) { firstTimeFixRate { value } onTimeArrivalRate { value } complaintHandlingRate { value } majorComplaints } }",
                        "variables": { "f": from.to_rfc3339(), "t": to.to_rfc3339() } }),
            )
        }
    }
}

pub struct Outcome {
    pub throughput: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub errors: usize,
    pub sql_per_request: f64,
    pub peak_rss_mib: f64,
    /// Shares of the machine's CPU time during the cell: server, PostgreSQL, load generator.
    pub cpu: CpuShares,
}

/// Where the machine's CPU went during a cell, as fractions of all cores' time.
#[derive(Clone, Copy)]
pub struct CpuShares {
    pub server: f64,
    pub postgres: f64,
    pub load: f64,
}

/// Linux reports process CPU time in ticks of 1/100 s (`getconf CLK_TCK`).
const TICKS_PER_SECOND: f64 = 100.0;

/// User + system CPU ticks of one process.
fn cpu_ticks(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            // Fields after the `(comm)`: state is 3rd, utime 14th, stime 15th overall.
            let rest = stat.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0)
}

/// Ticks of each `postgres` process (the backends serving the server, and the server's own).
fn postgres_ticks() -> HashMap<String, u64> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return HashMap::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim() == "postgres")
        })
        .map(|pid| {
            let ticks = cpu_ticks(&pid);
            (pid, ticks)
        })
        .collect()
}

struct CpuSample {
    server: u64,
    postgres: HashMap<String, u64>,
    load: u64,
}

impl CpuSample {
    fn now(server_pid: u32) -> Self {
        Self {
            server: cpu_ticks(&server_pid.to_string()),
            postgres: postgres_ticks(),
            load: cpu_ticks(&std::process::id().to_string()),
        }
    }

    fn shares_since(&self, before: &CpuSample, seconds: f64) -> CpuShares {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let share = |after: u64, before: u64| {
            after.saturating_sub(before) as f64 / TICKS_PER_SECOND / (seconds * cores)
        };
        // Per process, so backends that came or went during the cell count only their part.
        let postgres: u64 = self
            .postgres
            .iter()
            .map(|(pid, after)| {
                after.saturating_sub(before.postgres.get(pid).copied().unwrap_or(0))
            })
            .sum();
        CpuShares {
            server: share(self.server, before.server),
            postgres: share(postgres, 0),
            load: share(self.load, before.load),
        }
    }
}

pub async fn wait_ready(base: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("server did not become ready")
}

async fn statements(client: &reqwest::Client, base: &str) -> anyhow::Result<u64> {
    let text = client
        .get(format!("{base}/metrics"))
        .bearer_auth(crate::METRICS_TOKEN)
        .send()
        .await?
        .text()
        .await?;
    text.lines()
        .find_map(|l| l.strip_prefix("servicedesk_sql_statements_total "))
        .context("no statement counter")?
        .trim()
        .parse()
        .context("statement counter")
}

fn peak_rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(str::to_owned)
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// `concurrency` clients send `kind` requests back to back for `duration`.
pub async fn run(
    base: &str,
    kind: Kind,
    tokens: &Tokens,
    sizes: &Sizes,
    concurrency: usize,
    duration: Duration,
    server_pid: u32,
) -> anyhow::Result<Outcome> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let before = statements(&client, base).await?;
    let cpu_before = CpuSample::now(server_pid);
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..concurrency {
        // Serialised once, so the load generator spends its CPU on HTTP, not on JSON.
        let requests: Vec<_> = (0..64)
            .map(|i| {
                let (token, body) = request(kind, tokens, sizes, worker * 64 + i);
                (token.map(|t| format!("Bearer {t}")), body.to_string())
            })
            .collect();
        let client = client.clone();
        let url = format!("{base}/graphql");
        tasks.spawn(async move {
            let (mut latencies, mut errors, mut i) = (Vec::new(), 0usize, 0usize);
            while Instant::now() < deadline {
                let (authorization, body) = &requests[i % requests.len()];
                i += 1;
                let sent = Instant::now();
                let mut call = client
                    .post(&url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
                if let Some(authorization) = authorization {
                    call = call.header(reqwest::header::AUTHORIZATION, authorization);
                }
                match call.send().await {
                    Ok(response) if response.status().is_success() => {
                        let text = response.text().await.unwrap_or_default();
                        if text.contains("\"errors\"") {
                            errors += 1;
                        } else {
                            latencies.push(sent.elapsed().as_micros() as u64);
                        }
                    }
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        });
    }
    let (mut latencies, mut errors) = (Vec::new(), 0);
    while let Some(done) = tasks.join_next().await {
        let (l, e) = done?;
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = CpuSample::now(server_pid).shares_since(&cpu_before, elapsed);
    let after = statements(&client, base).await?;
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |&us| us as f64 / 1000.0)
    };
    let total = (latencies.len() + errors).max(1);
    Ok(Outcome {
        throughput: latencies.len() as f64 / elapsed,
        p50_ms: pct(0.50),
        p95_ms: pct(0.95),
        p99_ms: pct(0.99),
        errors,
        // Minus the two /metrics reads' zero statements.
        sql_per_request: after.saturating_sub(before) as f64 / total as f64,
        peak_rss_mib: peak_rss_mib(server_pid),
        cpu,
    })
}

/// `pgbench -S` (select-only, prepared) at `clients`: the throughput of a one-round-trip read.
/// Clients are capped below the server's `max_connections`; the report says so.
pub async fn pgbench(
    admin_url: &str,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<(f64, usize)> {
    let target = crate::database_url(admin_url, "bench_pgbench");
    let pgbench = |args: &[&str]| {
        let mut command = tokio::process::Command::new("pgbench");
        command.args(args).arg(&target);
        command
    };
    let admin = sea_orm::Database::connect(admin_url).await?;
    use sea_orm::ConnectionTrait;
    let exists = admin
        .query_one_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            "SELECT 1 AS one FROM pg_database WHERE datname = 'bench_pgbench'",
        ))
        .await?
        .is_some();
    if !exists {
        admin
            .execute_unprepared("CREATE DATABASE bench_pgbench")
            .await?;
        let status = pgbench(&["-i", "-s", "10", "-q"]).status().await?;
        anyhow::ensure!(status.success(), "pgbench -i failed");
    }
    let max_connections: usize = admin
        .query_one_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            "SHOW max_connections",
        ))
        .await?
        .context("max_connections")?
        .try_get::<String>("", "max_connections")?
        .parse()?;
    // The server under test holds up to 32 connections of its own.
    let used = clients.min(max_connections.saturating_sub(45).max(1));
    let (clients, seconds) = (used.to_string(), seconds.to_string());
    let output = pgbench(&[
        "-S", "-M", "prepared", "-c", &clients, "-j", "2", "-T", &seconds,
    ])
    .output()
    .await?;
    let text = String::from_utf8_lossy(&output.stdout);
    let tps = text
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|tps| tps.parse().ok())
        .with_context(|| {
            format!(
                "no tps in pgbench output: {text}{}",
                String::from_utf8_lossy(&output.stderr)
            )
        })?;
    Ok((tps, used))
}

pub fn report(scale: f64, seconds: u64, rows: &[(usize, Kind, Outcome, (f64, usize))]) -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mut out = format!(
        "# Benchmark results\n\n{} · {cores} cores · scale {scale} · {seconds} s per cell · server, PostgreSQL and load generator on one machine\n\n\
         Throughput ratio is to `pgbench -S -M prepared` at the same client count, run in the same session.\n\n\
         CPU is each process group's share of all cores' time during the cell (server / PostgreSQL / load generator).\n\n\
         | clients | workload | req/s | × pgbench -S | p50 ms | p95 ms | p99 ms | SQL/req | errors | server peak RSS MiB | CPU % server / PG / load |\n\
         |---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        chrono::Utc::now().format("%Y-%m-%d")
    );
    for (clients, kind, o, ceiling) in rows {
        out.push_str(&format!(
            "| {clients} | {} | {:.0} | {:.3} | {:.2} | {:.2} | {:.2} | {:.1} | {} | {:.0} | {:.0} / {:.0} / {:.0} |\n",
            kind.name(),
            o.throughput,
            o.throughput / ceiling.0.max(1.0),
            o.p50_ms,
            o.p95_ms,
            o.p99_ms,
            o.sql_per_request,
            o.errors,
            o.peak_rss_mib,
            o.cpu.server * 100.0,
            o.cpu.postgres * 100.0,
            o.cpu.load * 100.0
        ));
    }
    let mut ceilings: Vec<String> = Vec::new();
    for (c, _, _, (tps, used)) in rows {
        let line = format!("{c} clients: {tps:.0} tps (pgbench ran {used} clients)");
        if !ceilings.contains(&line) {
            ceilings.push(line);
        }
    }
    out.push_str(&format!(
        "\n`pgbench -S` ceilings: {}.\n",
        ceilings.join(", ")
    ));
    out
}
