//! The SLA sweep cell (issue 12): "sweep 10,000 due clocks among 1,000,000 open", scaled by
//! `--scale`. On a database of its own, loaded set-based: open clocks whose next check is hours
//! ahead, and clocks due now, one per ticket (half the repair orders' arrival, half the
//! complaints' progress update, each missed 31 to 60 minutes before, both warnings sent: past
//! the last penalty tier, so that a sweep leaves nothing due until the next period). Then
//! `servicedesk::jobs::sla_sweeper::sweep` runs in-process, timed, with every statement it
//! sends counted by shape; a second pass right after finds nothing due. The sweeper's claim
//! query is explained and must read `idx_sla_clocks_next_check`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use entity::ticket_events::TicketKind;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use servicedesk::jobs::sla_sweeper::{self, Backoff, SweepReport};
use servicedesk::services::RuleSettings;

use crate::explain::{self, Explained};
use crate::load::{ClockRows, chunked, exec};

const DATABASE: &str = "servicedesk_bench_sweep";
/// The index the claim query must use.
const INDEX: &str = "idx_sla_clocks_next_check";
/// Tables of this data set a sequential scan of which is a missing index.
const BIG_TABLES: &[&str] = &[
    "sla_clocks",
    "repair_orders",
    "complaints",
    "escalations",
    "staff_penalties",
    "ticket_events",
];

/// What the cell loads at a scale (`--scale 1`: 10,000 due, 1,000,000 open).
pub struct Sizes {
    /// Clocks due at the sweep, one per ticket.
    pub due: i64,
    /// Open clocks whose next check is in the future.
    pub open: i64,
    /// Orders whose arrival clock is due.
    pub due_orders: i64,
    /// Complaints whose progress-update clock is due (their resolution clock is open).
    pub due_complaints: i64,
    /// Further complaints, two open clocks each (progress update, resolution).
    pub complaints: i64,
    /// Further orders, one open clock each (arrival).
    pub orders: i64,
}

impl Sizes {
    pub fn at(scale: f64) -> Self {
        let due = ((10_000.0 * scale).round() as i64).max(2);
        let open = ((1_000_000.0 * scale).round() as i64).max(100);
        let due_orders = due / 2;
        let due_complaints = due - due_orders;
        let complaints = open / 10;
        Self {
            due,
            open,
            due_orders,
            due_complaints,
            complaints,
            orders: open - due_complaints - 2 * complaints,
        }
    }

    /// "10,000 due clocks among 1,000,000 open".
    pub fn title(&self) -> String {
        format!(
            "{} due clocks among {} open",
            thousands(self.due),
            thousands(self.open)
        )
    }
}

fn thousands(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One pass of the sweeper.
pub struct Pass {
    pub wall: Duration,
    pub report: SweepReport,
    /// Statements sent (BEGIN and COMMIT are not counted, as in the server's counter).
    pub statements: u64,
    /// Time spent waiting for them.
    pub in_statements: Duration,
}

/// Statements of one shape (the SQL with placeholders) in the first pass.
pub struct Shape {
    pub count: u64,
    pub total: Duration,
    pub explained: Explained,
}

pub struct Cell {
    pub scale: f64,
    pub sizes: Sizes,
    pub load: Duration,
    /// Clocks met or stopped (no next check) beside the open and due ones.
    pub idle_clocks: i64,
    /// Size of `idx_sla_clocks_next_check` after the load, e.g. `22 MB`.
    pub index_size: String,
    /// The machine's 1-minute load average before the first pass and after the second: other
    /// work competing for the cores shows here.
    pub load_average: (f64, f64),
    /// The claim query's plan, alone and with a ticket to skip (one held elsewhere); each must
    /// read `idx_sla_clocks_next_check`.
    pub claim: Vec<Explained>,
    /// The plan of the query that takes a claimed ticket's due clocks, on the loaded data.
    pub of_ticket: Explained,
    pub first: Pass,
    pub second: Pass,
    pub shapes: Vec<Shape>,
}

impl Cell {
    /// Whether every claim plan reads the index.
    pub fn index_used(&self) -> bool {
        self.claim
            .iter()
            .all(|e| e.scans.iter().any(|s| s.contains(INDEX)))
    }

    /// Statements of the first pass that scan a loaded table sequentially.
    pub fn missing_indexes(&self) -> Vec<String> {
        self.shapes
            .iter()
            .filter(|s| s.explained.seq_scan_of_big_table)
            .map(|s| s.explained.sql.clone())
            .collect()
    }
}

/// Statements run through the connection: counted, timed and grouped by shape (the first
/// values of each kept, to explain).
#[derive(Default)]
struct Capture {
    statements: u64,
    in_statements: Duration,
    shapes: HashMap<String, (usize, u64, Duration, String)>,
}

impl Capture {
    fn take(&mut self) -> Capture {
        std::mem::take(self)
    }
}

pub async fn run(admin_url: &str, scale: f64, keep: bool) -> anyhow::Result<Cell> {
    let sizes = Sizes::at(scale);
    eprintln!("SLA sweep cell: sweep {}", sizes.title());
    let admin = Database::connect(admin_url)
        .await
        .context("connect BENCH_DATABASE_URL")?;
    let url = crate::fresh_database(&admin, admin_url, DATABASE).await?;
    let mut db = servicedesk::db::connect(&url, &crate::bench_config(url.clone())).await?;
    servicedesk::db::migrate(&db).await?;
    let started = Instant::now();
    load(&db, &sizes).await?;
    let idle_clocks = check_loaded(&db, &sizes).await?;
    crate::load::settle(&db).await?;
    let index_size: String = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT pg_size_pretty(pg_relation_size('{INDEX}')) AS size"),
        ))
        .await?
        .context("index size")?
        .try_get("", "size")?;
    let load = started.elapsed();

    let capture = Arc::new(Mutex::new(Capture::default()));
    let sink = capture.clone();
    db.set_metric_callback(move |info| {
        let mut c = sink.lock().unwrap_or_else(|e| e.into_inner());
        c.statements += 1;
        c.in_statements += info.elapsed;
        let next = c.shapes.len();
        let shape = c
            .shapes
            .entry(info.statement.sql.clone())
            .or_insert_with(|| (next, 0, Duration::ZERO, info.statement.to_string()));
        shape.1 += 1;
        shape.2 += info.elapsed;
    });
    let take = || capture.lock().unwrap_or_else(|e| e.into_inner()).take();

    // The claim query exactly as the sweeper sends it, on the loaded data.
    let mut claim = Vec::new();
    for skip in [vec![], vec![(TicketKind::Complaint, 1)]] {
        take();
        servicedesk::store::sla_clocks::next_due(&db, Utc::now(), &skip)
            .await
            .map_err(|e| anyhow::anyhow!("claim: {e:?}"))?
            .context("no clock due")?;
        let sql = take()
            .shapes
            .into_values()
            .map(|(_, _, _, sql)| sql)
            .next()
            .context("claim query not captured")?;
        claim.push(explain::explain(&db, sql, BIG_TABLES).await?);
    }
    // The due clocks of the first ticket the sweeper claims (`FOR UPDATE`, taken and let go).
    take();
    servicedesk::store::sla_clocks::claim_due_of_ticket(
        &db,
        TicketKind::RepairOrder,
        1,
        Utc::now(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("due clocks of a ticket: {e:?}"))?;
    let sql = take()
        .shapes
        .into_values()
        .map(|(_, _, _, sql)| sql)
        .next()
        .context("query not captured")?;
    let of_ticket = explain::explain(&db, sql, BIG_TABLES).await?;

    let settings = RuleSettings::default();
    let mut backoff = Backoff::default();
    let mut passes = Vec::new();
    let mut shapes = HashMap::new();
    let load_before = load_average();
    for pass in ["first", "second"] {
        take();
        let started = Instant::now();
        let report = sla_sweeper::sweep(&db, &settings, Utc::now(), &mut backoff)
            .await
            .map_err(|e| anyhow::anyhow!("{pass} sweep: {e:?}"))?;
        let wall = started.elapsed();
        let captured = take();
        eprintln!(
            "  {pass} pass: {} tickets in {:.3}s ({} statements)",
            report.tickets,
            wall.as_secs_f64(),
            captured.statements
        );
        if pass == "first" {
            shapes = captured.shapes;
        }
        passes.push(Pass {
            wall,
            report,
            statements: captured.statements,
            in_statements: captured.in_statements,
        });
    }
    let load_average = (load_before, load_average());
    let second = passes.pop().context("second pass")?;
    let first = passes.pop().context("first pass")?;
    anyhow::ensure!(
        first.report.tickets as i64 == sizes.due && first.report.failed == 0,
        "first pass swept {:?}, expected {} tickets",
        first.report,
        sizes.due
    );
    anyhow::ensure!(
        second.report.tickets == 0,
        "second pass swept {:?}",
        second.report
    );

    // Each statement shape of the first pass, explained with its first values on the data as
    // the pass left it.
    exec(&db, "ANALYZE".into()).await?;
    let mut ordered: Vec<_> = shapes.into_values().collect();
    ordered.sort_by_key(|(order, ..)| *order);
    let mut explained = Vec::new();
    for (_, count, total, sql) in ordered {
        explained.push(Shape {
            count,
            total,
            explained: explain::explain(&db, sql, BIG_TABLES).await?,
        });
    }
    db.close().await?;
    if !keep {
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
            .await?;
    }
    Ok(Cell {
        scale,
        sizes,
        load,
        idle_clocks,
        index_size,
        load_average,
        claim,
        of_ticket,
        first,
        second,
        shapes: explained,
    })
}

/// The 1-minute load average (Linux), or NaN.
pub(crate) fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

/// One centre, the staff (ids 1..=4: agent, supervisor, technician, admin), one customer with
/// one asset; the tickets and their clocks. Due tickets come first in each table.
async fn load(db: &DatabaseConnection, sizes: &Sizes) -> anyhow::Result<()> {
    exec(
        db,
        "INSERT INTO service_centres (name, timezone, created_at) \
         VALUES ('Bench centre', 'Asia/Shanghai', now())"
            .into(),
    )
    .await?;
    exec(
        db,
        "INSERT INTO users (email, name, phone, role, password_hash, active, service_centre_id, \
         created_at, updated_at, top_level) \
         SELECT r || '@sweep.test', r, '1380000000' || n, r, 'x', true, 1, now(), now(), r = 'SUPERVISOR' \
         FROM unnest(ARRAY['AGENT', 'SUPERVISOR', 'TECHNICIAN', 'ADMIN', 'CUSTOMER']) WITH ORDINALITY AS u(r, n)"
            .into(),
    )
    .await?;
    exec(
        db,
        "INSERT INTO assets (customer_id, model, serial_number, purchase_date, warranty_ends_on, created_at) \
         VALUES (5, 'Frost 300', 'SN1', current_date - 200, current_date + 165, now())"
            .into(),
    )
    .await?;
    let Sizes {
        due_orders,
        due_complaints,
        complaints,
        orders,
        ..
    } = *sizes;
    // Due orders: out of warranty (48 hours to arrive), reported 48 hours and 31 to 60 minutes
    // ago. The others: reported in the last 6 hours, alternately in and out of warranty.
    chunked(
        db,
        "repair orders",
        due_orders + orders,
        &format!(
            "INSERT INTO repair_orders (number, customer_id, asset_id, service_centre_id, request_type, \
             fault_description, service_address, contact_phone, priority, channel, status, technician_id, \
             in_warranty, sla_scope, reported_at, total_amount, version, created_at, updated_at) \
             SELECT 'RO-SWEEP-' || g, 5, 1, 1, 'REPAIR', 'Not cooling', '88 Century Avenue', '13912345678', \
             'NORMAL', 'APP', CASE WHEN x.due THEN 'ACCEPTED' ELSE 'ASSIGNED' END, 3, x.warranty, \
             CASE WHEN x.warranty THEN 'IN_WARRANTY' ELSE 'OUT_OF_WARRANTY' END, x.at, 0, 1, x.at, x.at \
             FROM generate_series({{lo}}, {{hi}}) g, LATERAL (SELECT g <= {due_orders} AS due, \
             g > {due_orders} AND g % 2 = 0 AS warranty, \
             CASE WHEN g <= {due_orders} THEN now() - interval '48 hours' - (1860 + g % 1740) * interval '1 second' \
             ELSE now() - (g % 360) * interval '1 minute' END AS at) x"
        ),
    )
    .await?;
    // Due complaints: serious (72 hours to resolve), acknowledged 24 hours and 31 to 60 minutes
    // ago with no update since. The others: general, acknowledged in the last 10 hours.
    chunked(
        db,
        "complaints",
        due_complaints + complaints,
        &format!(
            "INSERT INTO complaints (number, customer_id, service_centre_id, channel, category, severity, \
             max_severity, status, description, owner_id, escalation_level, acknowledged_at, last_update_at, \
             version, created_at, updated_at) \
             SELECT 'CP-SWEEP-' || g, 5, 1, 'PHONE', 'DELAY', x.severity, x.severity, 'ACKNOWLEDGED', 'Late', 1, 1, \
             x.ack, x.ack, 1, x.ack - x.before_ack, x.ack \
             FROM generate_series({{lo}}, {{hi}}) g, LATERAL (SELECT \
             CASE WHEN g <= {due_complaints} THEN 'SERIOUS' ELSE 'GENERAL' END AS severity, \
             CASE WHEN g <= {due_complaints} THEN now() - interval '24 hours' - (1860 + g % 1740) * interval '1 second' \
             ELSE now() - (1 + g % 600) * interval '1 minute' END AS ack, \
             CASE WHEN g <= {due_complaints} THEN interval '10 minutes' ELSE interval '0 minutes' END AS before_ack) x"
        ),
    )
    .await?;
    // A due clock was last looked at just before its due time (both warnings sent); every
    // other clock just now.
    let arrival = ClockRows {
        kind: "REPAIR_ORDER",
        table: "repair_orders",
        scope: "sla_scope",
        metrics: &["ARRIVAL"],
        started: "t.reported_at",
        met: "NULL::timestamptz",
        holder: "t.technician_id",
        seen: &format!(
            "CASE WHEN t.id <= {due_orders} THEN k.d - interval '1 second' ELSE now() END"
        ),
    };
    chunked(db, "arrival clocks", due_orders + orders, &arrival.sql()).await?;
    let complaint_clocks = ClockRows {
        kind: "COMPLAINT",
        table: "complaints",
        scope: "severity",
        metrics: &["FIRST_RESPONSE", "PROGRESS_UPDATE", "RESOLUTION"],
        started: "CASE p.metric WHEN 'PROGRESS_UPDATE' THEN t.last_update_at ELSE t.created_at END",
        met: "CASE p.metric WHEN 'FIRST_RESPONSE' THEN t.acknowledged_at END",
        holder: "t.owner_id",
        seen: &format!(
            "CASE WHEN p.metric = 'PROGRESS_UPDATE' AND t.id <= {due_complaints} \
             THEN k.d - interval '1 second' ELSE now() END"
        ),
    };
    chunked(
        db,
        "complaint clocks",
        due_complaints + complaints,
        &complaint_clocks.sql(),
    )
    .await?;
    // History the sweep looks things up in: escalations and penalties of earlier misses of the
    // other tickets, one of each per complaint's worth of open clocks (100,000 at scale 1).
    let history = complaints.max(1);
    chunked(
        db,
        "escalations",
        history,
        &format!(
            "INSERT INTO escalations (ticket_kind, ticket_id, service_centre_id, organization_id, clock_id, \
             from_level, to_level, reason, deadline_kind, deadline_at, escalated_by, from_user_id, automatic, \
             created_at, acknowledged_at, acknowledged_by) \
             SELECT x.kind, x.id, 1, NULL, NULL, 1, 2, x.metric || ' deadline missed (R-ESC-2)', x.metric, x.at, \
             NULL, x.holder, true, x.at, x.at + interval '1 hour', 2 \
             FROM generate_series({{lo}}, {{hi}}) g, LATERAL (SELECT \
             CASE WHEN g % 2 = 0 THEN 'COMPLAINT' ELSE 'REPAIR_ORDER' END AS kind, \
             CASE WHEN g % 2 = 0 THEN {due_complaints} + 1 + g % {complaints_or_1} \
             ELSE {due_orders} + 1 + g % {orders_or_1} END AS id, \
             CASE WHEN g % 2 = 0 THEN 'PROGRESS_UPDATE' ELSE 'ARRIVAL' END AS metric, \
             CASE WHEN g % 2 = 0 THEN 1 ELSE 3 END AS holder, \
             now() - interval '30 days' - g * interval '1 minute' AS at) x",
            complaints_or_1 = complaints.max(1),
            orders_or_1 = orders.max(1),
        ),
    )
    .await?;
    chunked(
        db,
        "penalties",
        history,
        "INSERT INTO staff_penalties (user_id, ticket_kind, ticket_id, service_centre_id, organization_id, \
         clock_id, deadline_kind, deadline_at, late_minutes, points, created_at) \
         SELECT e.from_user_id, e.ticket_kind, e.ticket_id, 1, NULL, NULL, e.deadline_kind, e.deadline_at, \
         30 + g % 600, 1 + g % 3, e.created_at \
         FROM generate_series({lo}, {hi}) g JOIN escalations e ON e.id = g",
    )
    .await
}

/// Checks the loaded clocks are what the cell says; returns how many have no next check.
async fn check_loaded(db: &DatabaseConnection, sizes: &Sizes) -> anyhow::Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) FILTER (WHERE next_check_at <= now()) AS due, \
             COUNT(*) FILTER (WHERE next_check_at > now() + interval '1 hour') AS open, \
             COUNT(*) FILTER (WHERE next_check_at IS NULL) AS idle, \
             COUNT(DISTINCT (ticket_kind, ticket_id)) FILTER (WHERE next_check_at <= now()) AS due_tickets, \
             COUNT(*) AS total FROM sla_clocks",
        ))
        .await?
        .context("clock counts")?;
    let get = |column: &str| -> anyhow::Result<i64> { Ok(row.try_get("", column)?) };
    let (due, open, idle, due_tickets, total) = (
        get("due")?,
        get("open")?,
        get("idle")?,
        get("due_tickets")?,
        get("total")?,
    );
    anyhow::ensure!(
        due == sizes.due
            && due_tickets == sizes.due
            && open == sizes.open
            && due + open + idle == total,
        "loaded {due} due clocks on {due_tickets} tickets, {open} open an hour ahead or more, {idle} idle \
         of {total}; expected {} due on as many tickets and {} open",
        sizes.due,
        sizes.open
    );
    Ok(idle)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The section's heading; a later run at the same scale replaces the section.
pub fn heading(cell: &Cell) -> String {
    format!(
        "## SLA sweep: {} (scale {})",
        cell.sizes.title(),
        cell.scale
    )
}

/// The Markdown section for RESULTS.md.
pub fn report(cell: &Cell) -> String {
    let s = &cell.sizes;
    let (first, second) = (&cell.first, &cell.second);
    let tickets = first.report.tickets.max(1) as f64;
    let per_ticket = (first.statements.saturating_sub(1)) as f64 / tickets;
    let mut out = format!(
        "\n{}\n\n{} · {} cores · PostgreSQL on the same machine · {} build · \
         `servicedesk::jobs::sla_sweeper::sweep` called in-process, one pass, then a second right after\n\n\
         Own database `{DATABASE}`, loaded set-based in {:.0} s: {} open clocks whose next check is \
         hours ahead ({} orders' arrival; {} complaints' progress update and resolution; the due \
         complaints' resolution), {} met ones (no next check), and {} due clocks on as many tickets: \
         {} orders' arrival and {} complaints' progress update, each missed 31 to 60 minutes before the \
         load (past the last penalty tier at 30 minutes, so one pass leaves nothing due) with \
         both warnings sent; {} earlier escalations and as many penalties of other tickets. \
         `{INDEX}` is {}. Vacuumed and analyzed before the sweep.\n\n\
         | pass | tickets swept | breaches | escalations | warnings | failed | wall time | due clocks / s | \
         ms / ticket | SQL / ticket | time in SQL |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        heading(cell),
        Utc::now().format("%Y-%m-%d"),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        cell.load.as_secs_f64(),
        thousands(s.open),
        thousands(s.orders),
        thousands(s.complaints),
        thousands(cell.idle_clocks),
        thousands(s.due),
        thousands(s.due_orders),
        thousands(s.due_complaints),
        thousands(s.complaints.max(1)),
        cell.index_size,
    );
    let share = |p: &Pass| 100.0 * p.in_statements.as_secs_f64() / p.wall.as_secs_f64().max(1e-9);
    let r = &first.report;
    out.push_str(&format!(
        "| first: {} due | {} | {} | {} | {} | {} | {:.2} s | {:.0} | {:.2} | {:.1} | {:.0} % |\n",
        thousands(s.due),
        r.tickets,
        r.breaches,
        r.escalated,
        r.warnings,
        r.failed,
        first.wall.as_secs_f64(),
        r.tickets as f64 / first.wall.as_secs_f64().max(1e-9),
        ms(first.wall) / tickets,
        per_ticket,
        share(first),
    ));
    let r = &second.report;
    out.push_str(&format!(
        "| second: nothing due | {} | {} | {} | {} | {} | {:.2} ms | – | – | {} in all | {:.0} % |\n",
        r.tickets,
        r.breaches,
        r.escalated,
        r.warnings,
        r.failed,
        ms(second.wall),
        second.statements,
        share(second),
    ));
    out.push_str(&format!(
        "\nSQL / ticket counts the statements sent (the last, empty claim aside), not BEGIN and \
         COMMIT (each ticket is swept in its own transaction); time in SQL is the share of the \
         wall time spent waiting for them. Load average (1 min) before the first pass {:.2}, \
         after the second {:.2}.\n",
        cell.load_average.0, cell.load_average.1
    ));
    out.push_str(
        "\nThe claim query (`store::sla_clocks::next_due`, as \
         the sweeper sends it), explained on the loaded data:\n\n",
    );
    for e in &cell.claim {
        let mark = if e.scans.iter().any(|s| s.contains(INDEX)) {
            "✓"
        } else {
            "✗"
        };
        out.push_str(&format!(
            "- {mark} `{}` → {}\n",
            short(&e.sql, 400),
            e.scans.join("; ")
        ));
    }
    out.push_str(&format!(
        "\nThen each claimed ticket's due clocks are read (and locked): `{}…` → {}\n",
        short(&cell.of_ticket.sql, 60),
        cell.of_ticket.scans.join("; ")
    ));
    out.push_str(&format!(
        "\nStatements of the first pass by shape ({} in all), explained with their first values after \
         the pass (analyzed):\n\n| count | total ms | statement | scans |\n|---:|---:|---|---|\n",
        first.statements
    ));
    for shape in &cell.shapes {
        let e = &shape.explained;
        let mark = if e.seq_scan_of_big_table { "✗ " } else { "" };
        out.push_str(&format!(
            "| {} | {:.0} | `{}…` | {mark}{} |\n",
            shape.count,
            ms(shape.total),
            short(&e.sql, 90),
            if e.scans.is_empty() {
                "no scan".to_owned()
            } else {
                e.scans.join("; ")
            }
        ));
    }
    out
}

fn short(sql: &str, chars: usize) -> String {
    sql.chars()
        .take(chars)
        .collect::<String>()
        .replace('`', "'")
        .replace('|', "\\|")
}
