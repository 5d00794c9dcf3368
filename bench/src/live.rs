//! The live-updates cell (issue 13), on a PostgreSQL database of its own with the server as a
//! child process: server memory with 1,000 and 10,000 idle subscriptions, then events written
//! at a fixed rate (straight into the log, as any instance's commits arrive) fanned out to
//! 1,000 subscribers, with each delivery's latency from commit to arrival at the client.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use serde_json::json;
use servicedesk::auth::tokens::TokenIssuer;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const DATABASE: &str = "servicedesk_bench_live";
const BIND: &str = "127.0.0.1:18081";
pub const HEADING: &str = "## Live updates: idle subscriptions and fan-out (issue 13)";

const SUBSCRIBE: &str = "subscription { ticketEvents { node { note } } }";

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub struct Cell {
    base_rss_kib: u64,
    idle: Vec<(usize, u64)>,
    fan_outs: Vec<FanOut>,
}

struct FanOut {
    subscribers: usize,
    rate: u32,
    seconds: u64,
    written: u64,
    latencies_us: Vec<u64>,
    dropped: usize,
}

pub async fn run(admin_url: &str, rates: &[u32], seconds: u64) -> anyhow::Result<Cell> {
    let admin = Database::connect(admin_url)
        .await
        .context("connect BENCH_DATABASE_URL")?;
    let url = crate::fresh_database(&admin, admin_url, DATABASE).await?;
    let config = crate::bench_config(url.clone());
    let db = servicedesk::db::connect(&url, &config).await?;
    servicedesk::db::migrate(&db).await?;
    let now = chrono::Utc::now();
    servicedesk::seed::seed_demo(&db, &config.rule_settings(), now)
        .await
        .map_err(|e| anyhow::anyhow!(e.message()))?;
    let agent = servicedesk::store::users::find_by_email(&db, "agent@servicedesk.demo")
        .await
        .map_err(|e| anyhow::anyhow!(e.message()))?
        .context("demo agent")?;
    let token = TokenIssuer::new(crate::SECRET, chrono::Duration::hours(2))
        .issue(&agent, now)
        .map_err(|e| anyhow::anyhow!(e.message()))?
        .token;
    let order: i64 = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT id FROM repair_orders ORDER BY id LIMIT 1",
        ))
        .await?
        .context("a demo order")?
        .try_get("", "id")?;

    let mut server = tokio::process::Command::new(std::env::current_exe()?)
        .arg("serve-child")
        .env("DATABASE_URL", &url)
        .env("SERVICEDESK_BIND", BIND)
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let pid = server.id().context("server pid")?;
    crate::workload::wait_ready(&format!("http://{BIND}")).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let base_rss_kib = rss_kib(pid)?;

    let latencies = Arc::new(Mutex::new(Vec::new()));
    let mut readers = Vec::new();
    let mut idle = Vec::new();
    for target in [1_000, 10_000] {
        while readers.len() < target {
            let socket = connect(&token).await?;
            readers.push(tokio::spawn(read(socket, latencies.clone())));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        idle.push((target, rss_kib(pid)?));
        eprintln!("live: {target} idle subscriptions");
    }
    // Down to 1,000 subscribers for the fan-out.
    for reader in readers.drain(1_000..) {
        reader.abort();
    }
    tokio::time::sleep(Duration::from_secs(2)).await;

    let mut fan_outs = Vec::new();
    for &rate in rates {
        latencies.lock().expect("latencies").clear();
        let written = write_events(&db, order, rate, seconds).await?;
        // Let the last deliveries arrive.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let dropped = readers.iter().filter(|reader| reader.is_finished()).count();
        let latencies_us = std::mem::take(&mut *latencies.lock().expect("latencies"));
        eprintln!("live: fan-out at {rate} events/s");
        fan_outs.push(FanOut {
            subscribers: 1_000,
            rate,
            seconds,
            written,
            latencies_us,
            dropped,
        });
        // Dropped subscribers come back for the next rate, as apps reconnect.
        for reader in &mut readers {
            if reader.is_finished() {
                *reader = tokio::spawn(read(connect(&token).await?, latencies.clone()));
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    for reader in readers.drain(..) {
        reader.abort();
    }
    server.kill().await?;
    drop(db);
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        .await?;
    Ok(Cell {
        base_rss_kib,
        idle,
        fan_outs,
    })
}

/// A connection with one `ticketEvents` subscription, as the mobile app keeps it.
async fn connect(token: &str) -> anyhow::Result<Socket> {
    let mut request = format!("ws://{BIND}/graphql/ws").into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let init = json!({ "type": "connection_init",
        "payload": { "Authorization": format!("Bearer {token}") } });
    socket.send(Message::Text(init.to_string().into())).await?;
    match socket.next().await {
        Some(Ok(Message::Text(ack))) if ack.contains("connection_ack") => {}
        other => anyhow::bail!("no connection_ack: {other:?}"),
    }
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": SUBSCRIBE } });
    socket
        .send(Message::Text(subscribe.to_string().into()))
        .await?;
    Ok(socket)
}

/// Records, for every event, the time from its commit (the microseconds in its note) to now;
/// ends when the server closes the connection.
async fn read(mut socket: Socket, latencies: Arc<Mutex<Vec<u64>>>) {
    while let Some(Ok(message)) = socket.next().await {
        match message {
            Message::Text(text) => {
                if text.contains("\"ping\"") {
                    let _ = socket
                        .send(Message::Text(json!({ "type": "pong" }).to_string().into()))
                        .await;
                    continue;
                }
                let sent = text
                    .split("\"note\":\"")
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .and_then(|micros| micros.parse::<u64>().ok());
                if let Some(sent) = sent {
                    let latency = now_micros().saturating_sub(sent);
                    latencies.lock().expect("latencies").push(latency);
                }
            }
            Message::Close(_) => return,
            _ => {}
        }
    }
}

/// Writes `rate` events a second for `seconds`, each committed alone with its commit time.
async fn write_events(
    db: &DatabaseConnection,
    order: i64,
    rate: u32,
    seconds: u64,
) -> anyhow::Result<u64> {
    let mut ticks = tokio::time::interval(Duration::from_secs(1) / rate.max(1));
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut written = 0;
    while Instant::now() < until {
        ticks.tick().await;
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO ticket_events (ticket_kind, ticket_id, actor_role, action, note, public, \
             created_at) VALUES ('REPAIR_ORDER', $1, 'SYSTEM', 'BENCH', $2, TRUE, now())",
            [order.into(), now_micros().to_string().into()],
        ))
        .await?;
        written += 1;
    }
    Ok(written)
}

fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .context("VmRSS")
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let at = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[at] as f64 / 1000.0
}

/// The Markdown section for RESULTS.md.
pub fn report(cell: &Cell) -> String {
    let mut out = format!(
        "\n{HEADING}\n\n{} · {} cores · PostgreSQL on the same machine · release build; the \
         load generator (the WebSocket clients) shares the cores with the server.\n\n\
         | idle subscriptions | server RSS | per subscription |\n|---|---|---|\n\
         | 0 | {:.1} MiB | |\n",
        chrono::Utc::now().format("%Y-%m-%d"),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        cell.base_rss_kib as f64 / 1024.0,
    );
    for (count, rss) in &cell.idle {
        out.push_str(&format!(
            "| {count} | {:.1} MiB | {:.1} KiB |\n",
            *rss as f64 / 1024.0,
            rss.saturating_sub(cell.base_rss_kib) as f64 / *count as f64,
        ));
    }
    out.push_str(
        "\nFan-out to 1,000 subscribers of one agent's centre, each with one `ticketEvents` \
         subscription; events written at a fixed rate, each in its own transaction, with its \
         commit time in the note; latency is commit to arrival at the client:\n\n\
         | events/s asked | written | deliveries | of expected | latency p50 | p99 | max | \
         subscribers dropped as slow |\n|---|---|---|---|---|---|---|---|\n",
    );
    for f in &cell.fan_outs {
        let mut sorted = f.latencies_us.clone();
        sorted.sort_unstable();
        let expected = f.written * f.subscribers as u64;
        out.push_str(&format!(
            "| {} for {} s | {} | {} | {:.1} % | {:.1} ms | {:.1} ms | {:.1} ms | {} |\n",
            f.rate,
            f.seconds,
            f.written,
            sorted.len(),
            100.0 * sorted.len() as f64 / expected.max(1) as f64,
            percentile(&sorted, 0.5),
            percentile(&sorted, 0.99),
            percentile(&sorted, 1.0),
            f.dropped,
        ));
    }
    out
}
