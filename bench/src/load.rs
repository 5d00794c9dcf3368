//! Loads the data set with set-based `INSERT … SELECT generate_series` in chunks (PostgreSQL
//! only), printing progress.

use std::time::Instant;

use sea_orm::{ConnectionTrait, DatabaseConnection};

/// Sizes at `--scale 1`: 100k customers, 1M repair orders, 200k complaints, 5M timeline events.
pub struct Sizes {
    pub customers: i64,
    pub orders: i64,
    pub complaints: i64,
}

impl Sizes {
    pub fn at(scale: f64) -> Self {
        let n = |base: f64| ((base * scale).round() as i64).max(10);
        Self {
            customers: n(100_000.0),
            orders: n(1_000_000.0),
            complaints: n(200_000.0),
        }
    }
}

const CHUNK: i64 = 50_000;

pub(crate) async fn exec(db: &DatabaseConnection, sql: String) -> anyhow::Result<()> {
    db.execute_unprepared(&sql).await?;
    Ok(())
}

/// Runs `sql` (with `{lo}` and `{hi}` placeholders) over `1..=total` in chunks.
pub(crate) async fn chunked(
    db: &DatabaseConnection,
    what: &str,
    total: i64,
    sql: &str,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut lo = 1;
    while lo <= total {
        let hi = (lo + CHUNK - 1).min(total);
        exec(
            db,
            sql.replace("{lo}", &lo.to_string())
                .replace("{hi}", &hi.to_string()),
        )
        .await?;
        eprint!("\r  {what}: {hi}/{total}");
        lo = hi + 1;
    }
    eprintln!("  ({:.1}s)", started.elapsed().as_secs_f64());
    Ok(())
}

/// The SLA clocks of tickets `{lo}..={hi}` of one kind, as `INSERT … SELECT`: one clock, the
/// first cycle, per ticket and metric, with the rule of the policy of the ticket's scope (as
/// migration `m20261207_000009_sla_clocks` moves deadlines into clocks), in the state the
/// sweeper leaves a clock it last looked at `seen`: warnings sent for the thresholds passed by
/// then (every bench policy warns at 75 and 90 %), a clock past its due time breached and held
/// by the ticket's holder, and the next instant to look at an open clock due after `seen` (its
/// next warning, else its due time); an open clock already missed by `seen` is left with none,
/// as if escalated long ago.
pub(crate) struct ClockRows<'a> {
    /// `REPAIR_ORDER` or `COMPLAINT`.
    pub kind: &'a str,
    /// `repair_orders` or `complaints`, aliased `t`.
    pub table: &'a str,
    /// The ticket's column naming its policy scope.
    pub scope: &'a str,
    pub metrics: &'a [&'a str],
    /// When the clock started; may depend on `p.metric`.
    pub started: &'a str,
    /// When it was met, or NULL.
    pub met: &'a str,
    /// Who holds the ticket (a miss is theirs).
    pub holder: &'a str,
    /// The instant the sweeper last looked at the clock (`now()`: everything due so far was
    /// swept); may depend on `k.s` (start) and `k.d` (due).
    pub seen: &'a str,
}

impl ClockRows<'_> {
    pub(crate) fn sql(&self) -> String {
        let Self {
            kind,
            table,
            scope,
            metrics,
            started,
            met,
            holder,
            seen,
        } = self;
        let metrics = metrics
            .iter()
            .map(|m| format!("'{m}'"))
            .collect::<Vec<_>>()
            .join(", ");
        // The clock's state at `e`: when it was met, else when the sweeper last saw it.
        let e = format!("COALESCE(k.m, {seen})");
        let w75 = "k.s + (k.d - k.s) * 0.75";
        let w90 = "k.s + (k.d - k.s) * 0.9";
        format!(
            "INSERT INTO sla_clocks (ticket_kind, ticket_id, service_centre_id, organization_id, metric, cycle, \
             scope, policy_id, business_time, duration_minutes, repeating, escalates, warn_percents, pause_states, \
             started_at, due_at, paused_seconds, met_at, breached_at, holder_id, missed_periods, warnings_sent, \
             warned_at, next_check_at, created_at, updated_at) \
             SELECT '{kind}', t.id, t.service_centre_id, t.organization_id, p.metric, 1, p.scope, p.id, \
             p.business_time, p.duration_minutes, p.repeating, p.escalates, p.warn_percents, p.pause_states, \
             k.s, k.d, 0, k.m, \
             CASE WHEN {e} > k.d THEN k.d END, \
             CASE WHEN {e} > k.d THEN {holder} END, \
             CASE WHEN {e} > k.d THEN 1 ELSE 0 END, \
             CAST({w75} <= {e} AS INTEGER) + CAST({w90} <= {e} AS INTEGER), \
             CASE WHEN {w90} <= {e} THEN {w90} WHEN {w75} <= {e} THEN {w75} END, \
             CASE WHEN k.m IS NULL AND k.d > {seen} THEN \
             CASE WHEN {w75} > {seen} THEN {w75} WHEN {w90} > {seen} THEN {w90} ELSE k.d END END, \
             k.s, now() \
             FROM generate_series({{lo}}, {{hi}}) g JOIN {table} t ON t.id = g \
             JOIN sla_policies p ON p.ticket_kind = '{kind}' AND p.metric IN ({metrics}) AND p.scope = t.{scope} \
             CROSS JOIN LATERAL (SELECT ({started}) AS s, ({started}) + p.duration_minutes * interval '1 minute' AS d, \
             ({met}) AS m) k"
        )
    }
}

/// Staff get ids 1..=4 (agent, supervisor, technician, admin) in centre 1; customers follow.
pub const STAFF: i64 = 4;

pub async fn load(
    db: &DatabaseConnection,
    sizes: &Sizes,
    password_hash: &str,
) -> anyhow::Result<()> {
    exec(db, "INSERT INTO service_centres (name, timezone, created_at) VALUES ('Bench centre', 'Asia/Shanghai', now())".into()).await?;
    exec(db, format!(
        "INSERT INTO users (email, name, phone, role, password_hash, active, service_centre_id, created_at, updated_at, top_level) VALUES \
         ('agent@bench.test', 'Agent', '+8613800000001', 'AGENT', '{password_hash}', true, 1, now(), now(), false), \
         ('supervisor@bench.test', 'Supervisor', '+8613800000002', 'SUPERVISOR', '{password_hash}', true, 1, now(), now(), true), \
         ('technician@bench.test', 'Technician', '+8613800000003', 'TECHNICIAN', '{password_hash}', true, 1, now(), now(), false), \
         ('admin@bench.test', 'Admin', '+8613800000004', 'ADMIN', '{password_hash}', true, 1, now(), now(), false)"
    )).await?;
    let customers = sizes.customers;
    chunked(db, "customers", customers, &format!(
        "INSERT INTO users (email, name, phone, role, password_hash, active, service_centre_id, created_at, updated_at, top_level) \
         SELECT 'c' || g || '@bench.test', 'Customer ' || g, '+86139' || lpad(g::text, 8, '0'), 'CUSTOMER', '{password_hash}', true, 1, now(), now(), false \
         FROM generate_series({{lo}}, {{hi}}) g"
    )).await?;
    chunked(db, "assets", customers, &format!(
        "INSERT INTO assets (customer_id, model, serial_number, purchase_date, warranty_ends_on, created_at) \
         SELECT {STAFF} + g, 'Frost 300', 'SN' || g, current_date - 200, current_date + (g % 2) * 365 - 100, now() \
         FROM generate_series({{lo}}, {{hi}}) g"
    )).await?;
    // Orders from ON_SITE on have arrived, 1 to 14 hours after the report (the 13- and
    // 14-hour arrivals miss the 12-hour in-warranty limit).
    let statuses = "(ARRAY['SUBMITTED','ASSIGNED','ACCEPTED','EN_ROUTE','ON_SITE','COMPLETED','CONFIRMED','CLOSED'])";
    chunked(db, "repair orders", sizes.orders, &format!(
        "INSERT INTO repair_orders (number, customer_id, asset_id, service_centre_id, organization_id, request_type, \
         fault_description, service_address, contact_phone, priority, channel, status, technician_id, in_warranty, \
         sla_scope, reported_at, arrived_at, total_amount, version, created_at, updated_at) \
         SELECT 'RO-BENCH-' || g, {STAFF} + 1 + g % {customers}, 1 + g % {customers}, 1, NULL, 'REPAIR', 'Not cooling', \
         '88 Century Avenue', '13912345678', 'NORMAL', 'APP', {statuses}[1 + g % 8], CASE WHEN g % 8 = 0 THEN NULL ELSE 3 END, \
         g % 2 = 0, CASE WHEN g % 2 = 0 THEN 'IN_WARRANTY' ELSE 'OUT_OF_WARRANTY' END, now() - g * interval '20 seconds', \
         CASE WHEN g % 8 >= 4 THEN LEAST(now(), now() - g * interval '20 seconds' + (1 + g % 14) * interval '1 hour') END, \
         0, 1, now() - g * interval '20 seconds', now() - g * interval '20 seconds' \
         FROM generate_series({{lo}}, {{hi}}) g"
    )).await?;
    // One in three complaints is closed (resolved 5 hours after it came in); the others are
    // acknowledged after an hour, with a progress update in the last 12 hours.
    chunked(db, "complaints", sizes.complaints, &format!(
        "INSERT INTO complaints (number, customer_id, service_centre_id, channel, category, severity, max_severity, status, description, \
         owner_id, escalation_level, acknowledged_at, last_update_at, resolved_at, closed_at, version, created_at, updated_at) \
         SELECT 'CP-BENCH-' || g, {STAFF} + 1 + g % {customers}, 1, 'PHONE', 'DELAY', s.severity, s.severity, \
         CASE WHEN g % 3 = 0 THEN 'CLOSED' ELSE 'ACKNOWLEDGED' END, 'Late', 1, 1, \
         LEAST(now(), now() - g * interval '60 seconds' + interval '1 hour'), \
         CASE WHEN g % 3 <> 0 THEN GREATEST(now() - g * interval '60 seconds', now() - (g % 720) * interval '1 minute') END, \
         CASE WHEN g % 3 = 0 THEN LEAST(now(), now() - g * interval '60 seconds' + interval '5 hours') END, \
         CASE WHEN g % 3 = 0 THEN LEAST(now(), now() - g * interval '60 seconds' + interval '6 hours') END, 1, \
         now() - g * interval '60 seconds', now() - g * interval '60 seconds' \
         FROM generate_series({{lo}}, {{hi}}) g, \
         LATERAL (SELECT CASE WHEN g % 500 = 0 THEN 'MAJOR' ELSE 'GENERAL' END AS severity) s"
    )).await?;
    // Their clocks. Nothing is left due: the server's sweeper is off in the bench
    // (`sla_sweep_interval_seconds: 0`, and `serve-child` does not start it), and when it runs
    // it finds only what falls due from now on.
    let arrival = ClockRows {
        kind: "REPAIR_ORDER",
        table: "repair_orders",
        scope: "sla_scope",
        metrics: &["ARRIVAL"],
        started: "t.reported_at",
        met: "t.arrived_at",
        holder: "t.technician_id",
        seen: "now()",
    };
    chunked(db, "arrival clocks", sizes.orders, &arrival.sql()).await?;
    let complaint_clocks = ClockRows {
        kind: "COMPLAINT",
        table: "complaints",
        scope: "severity",
        metrics: &["FIRST_RESPONSE", "PROGRESS_UPDATE", "RESOLUTION"],
        started: "CASE p.metric WHEN 'PROGRESS_UPDATE' THEN COALESCE(t.last_update_at, t.acknowledged_at, t.created_at) \
                  ELSE t.created_at END",
        met: "CASE p.metric WHEN 'FIRST_RESPONSE' THEN t.acknowledged_at ELSE t.resolved_at END",
        holder: "t.owner_id",
        seen: "now()",
    };
    chunked(
        db,
        "complaint clocks",
        sizes.complaints,
        &complaint_clocks.sql(),
    )
    .await?;
    // Four events per order and five per complaint: about 5M at scale 1.
    chunked(db, "order events", sizes.orders,
        "INSERT INTO ticket_events (ticket_kind, ticket_id, actor_user_id, actor_role, action, public, note, created_at) \
         SELECT 'REPAIR_ORDER', g, 1, 'AGENT', a, true, 'bench', now() - g * interval '20 seconds' \
         FROM generate_series({lo}, {hi}) g, unnest(ARRAY['REPORTED','ASSIGNED','ACCEPTED','TRAVEL_STARTED']) a"
    ).await?;
    chunked(db, "complaint events", sizes.complaints,
        "INSERT INTO ticket_events (ticket_kind, ticket_id, actor_user_id, actor_role, action, public, note, created_at) \
         SELECT 'COMPLAINT', g, 1, 'AGENT', a, true, 'bench', now() - g * interval '60 seconds' \
         FROM generate_series({lo}, {hi}) g, unnest(ARRAY['RECEIVED','ACKNOWLEDGED','PROGRESS_UPDATE','PROGRESS_UPDATE','NOTE']) a"
    ).await?;
    Ok(())
}

/// Brings the data set to a steady state before measuring, loaded now or by an earlier run:
/// vacuumed (visibility map set, so autovacuum does not wake mid-run and index-only scans can
/// skip the heap), analyzed, and checkpointed (no flush of the load's dirty pages mid-run).
pub async fn settle(db: &DatabaseConnection) -> anyhow::Result<()> {
    let started = Instant::now();
    for sql in ["VACUUM (ANALYZE)", "CHECKPOINT"] {
        exec(db, sql.into()).await?;
    }
    eprintln!(
        "  vacuum, analyze, checkpoint ({:.1}s)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
