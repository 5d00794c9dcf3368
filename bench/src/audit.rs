//! The access-audit cell (issue 17): the agent's 50-row page (workload 2, whose customer names
//! are personal data, so every page writes an audit entry) with the audit writer on and with a
//! writer that drops its entries, on a database of its own. The sides alternate over rounds,
//! each against a fresh server process, and the medians are compared: auditing must stay
//! within 10 % of the throughput without it.

use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use sea_orm::{ConnectionTrait, Database};

use crate::workload::{self, Kind};
use crate::{BIND, SECRET, bench_config, load};

const DATABASE: &str = "servicedesk_bench_audit";
pub const HEADING: &str = "## Access audit: the agent's page with auditing on and off (issue 17)";

/// One timed run of one side.
pub struct Side {
    pub audited: bool,
    pub throughput: f64,
    pub p50_ms: f64,
    pub errors: usize,
}

pub struct Cell {
    pub scale: f64,
    pub seconds: u64,
    pub clients: usize,
    pub runs: Vec<Side>,
    /// Page reads in the audit log after the audited runs, and requests those runs made.
    pub entries: i64,
    pub audited_requests: u64,
}

impl Cell {
    fn median(&self, audited: bool) -> f64 {
        let mut values: Vec<f64> = self
            .runs
            .iter()
            .filter(|run| run.audited == audited)
            .map(|run| run.throughput)
            .collect();
        values.sort_by(f64::total_cmp);
        values.get(values.len() / 2).copied().unwrap_or(0.0)
    }

    /// Throughput with auditing over throughput without.
    pub fn ratio(&self) -> f64 {
        self.median(true) / self.median(false)
    }
}

pub async fn run(
    admin_url: &str,
    scale: f64,
    seconds: u64,
    clients: usize,
    rounds: usize,
) -> anyhow::Result<Cell> {
    let admin = Database::connect(admin_url)
        .await
        .context("connect BENCH_DATABASE_URL")?;
    let url = crate::fresh_database(&admin, admin_url, DATABASE).await?;
    let db = servicedesk::db::connect(&url, &bench_config(url.clone())).await?;
    servicedesk::db::migrate(&db).await?;
    let sizes = load::Sizes::at(scale);
    eprintln!("loading scale {scale} for the audit cell");
    let hash = servicedesk::auth::passwords::hash("bench-password".into())
        .await
        .map_err(|e| anyhow::anyhow!(e.message()))?;
    load::load(&db, &sizes, &hash).await?;
    load::settle(&db).await?;
    let tokens = workload::Tokens::mint(&db, SECRET).await?;
    let base = format!("http://{BIND}");
    let mut runs = Vec::new();
    let mut audited_requests = 0;
    for round in 0..rounds {
        // Alternate which side goes first, so neither always runs on a warmer machine.
        let order = if round % 2 == 0 {
            [false, true]
        } else {
            [true, false]
        };
        for audited in order {
            let mut server = tokio::process::Command::new(std::env::current_exe()?)
                .arg("serve-child")
                .env("DATABASE_URL", &url)
                .env("BENCH_AUDIT", if audited { "on" } else { "off" })
                .stdout(Stdio::null())
                .kill_on_drop(true)
                .spawn()?;
            let pid = server.id().context("server pid")?;
            workload::wait_ready(&base).await?;
            let outcome = workload::run(
                &base,
                Kind::RepairPage,
                &tokens,
                &sizes,
                clients,
                Duration::from_secs(seconds),
                pid,
            )
            .await?;
            // SIGKILL: what the writer had not committed is lost here, which only lowers the
            // count below; the server's own shutdown (SIGTERM) writes it.
            server.kill().await.ok();
            if audited {
                audited_requests += (outcome.throughput * seconds as f64).round() as u64;
            }
            eprintln!(
                "round {} audit {:<3} {:>8.0} req/s",
                round + 1,
                if audited { "on" } else { "off" },
                outcome.throughput
            );
            runs.push(Side {
                audited,
                throughput: outcome.throughput,
                p50_ms: outcome.p50_ms,
                errors: outcome.errors,
            });
        }
    }
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT count(*) AS n FROM audit_log WHERE action = 'personal_data.read'",
        ))
        .await?
        .context("count")?;
    let entries: i64 = row.try_get("", "n")?;
    drop(db);
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        .await?;
    Ok(Cell {
        scale,
        seconds,
        clients,
        runs,
        entries,
        audited_requests,
    })
}

pub fn report(cell: &Cell) -> String {
    let mut text = format!(
        "{HEADING}\n\n{} · 2 cores shared with the load generator and PostgreSQL · {} build · scale {} · \
         `repairOrders(first: 50)` as the agent (workload 2), {} clients, {} s per run; \"off\" runs the same \
         server with a writer that drops its entries (`AuditWriter::discarding`, the bench's only use of it). \
         Each run is a fresh server process; the sides alternate.\n\n\
         | round | side | req/s | p50 ms | errors |\n|---|---|---:|---:|---:|\n",
        chrono::Utc::now().format("%Y-%m-%d"),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        cell.scale,
        cell.clients,
        cell.seconds
    );
    for (i, run) in cell.runs.iter().enumerate() {
        text.push_str(&format!(
            "| {} | {} | {:.0} | {:.2} | {} |\n",
            i / 2 + 1,
            if run.audited { "on" } else { "off" },
            run.throughput,
            run.p50_ms,
            run.errors
        ));
    }
    text.push_str(&format!(
        "\nMedian on {:.0} req/s, off {:.0} req/s: **on/off = {:.3}** (the goal: ≥ 0.90). \
         The audited runs served about {} pages and left {} page entries in `audit_log` (one per page; \
         entries queued at the moment each server was killed are the difference).\n",
        cell.median(true),
        cell.median(false),
        cell.ratio(),
        cell.audited_requests,
        cell.entries
    ));
    text
}
