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

async fn exec(db: &DatabaseConnection, sql: String) -> anyhow::Result<()> {
    db.execute_unprepared(&sql).await?;
    Ok(())
}

/// Runs `sql` (with `{lo}` and `{hi}` placeholders) over `1..=total` in chunks.
async fn chunked(db: &DatabaseConnection, what: &str, total: i64, sql: &str) -> anyhow::Result<()> {
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
         ('agent@bench.test', 'Agent', '13800000001', 'AGENT', '{password_hash}', true, 1, now(), now(), false), \
         ('supervisor@bench.test', 'Supervisor', '13800000002', 'SUPERVISOR', '{password_hash}', true, 1, now(), now(), true), \
         ('technician@bench.test', 'Technician', '13800000003', 'TECHNICIAN', '{password_hash}', true, 1, now(), now(), false), \
         ('admin@bench.test', 'Admin', '13800000004', 'ADMIN', '{password_hash}', true, 1, now(), now(), false)"
    )).await?;
    let customers = sizes.customers;
    chunked(db, "customers", customers, &format!(
        "INSERT INTO users (email, name, phone, role, password_hash, active, service_centre_id, created_at, updated_at, top_level) \
         SELECT 'c' || g || '@bench.test', 'Customer ' || g, '139' || lpad(g::text, 8, '0'), 'CUSTOMER', '{password_hash}', true, 1, now(), now(), false \
         FROM generate_series({{lo}}, {{hi}}) g"
    )).await?;
    chunked(db, "assets", customers, &format!(
        "INSERT INTO assets (customer_id, model, serial_number, purchase_date, warranty_ends_on, created_at) \
         SELECT {STAFF} + g, 'Frost 300', 'SN' || g, current_date - 200, current_date + (g % 2) * 365 - 100, now() \
         FROM generate_series({{lo}}, {{hi}}) g"
    )).await?;
    let statuses = "(ARRAY['SUBMITTED','ASSIGNED','ACCEPTED','EN_ROUTE','ON_SITE','COMPLETED','CONFIRMED','CLOSED'])";
    chunked(db, "repair orders", sizes.orders, &format!(
        "INSERT INTO repair_orders (number, customer_id, asset_id, service_centre_id, organization_id, request_type, \
         fault_description, service_address, contact_phone, priority, channel, status, technician_id, in_warranty, \
         reported_at, policy_arrive_by, arrive_by, arrive_by_customer_requested, arrival_breached, total_amount, version, created_at, updated_at) \
         SELECT 'RO-BENCH-' || g, {STAFF} + 1 + g % {customers}, 1 + g % {customers}, 1, NULL, 'REPAIR', 'Not cooling', \
         '88 Century Avenue', '13912345678', 'NORMAL', 'APP', {statuses}[1 + g % 8], CASE WHEN g % 8 = 0 THEN NULL ELSE 3 END, \
         g % 2 = 0, now() - g * interval '20 seconds', now() - g * interval '20 seconds' + interval '12 hours', \
         now() - g * interval '20 seconds' + interval '12 hours', false, false, 0, 1, \
         now() - g * interval '20 seconds', now() - g * interval '20 seconds' \
         FROM generate_series({{lo}}, {{hi}}) g"
    )).await?;
    chunked(db, "complaints", sizes.complaints, &format!(
        "INSERT INTO complaints (number, customer_id, service_centre_id, channel, category, severity, status, description, \
         owner_id, escalation_level, first_response_due, next_update_due, resolution_due, next_deadline, resolved_at, closed_at, version, created_at, updated_at) \
         SELECT 'CP-BENCH-' || g, {STAFF} + 1 + g % {customers}, 1, 'PHONE', 'DELAY', CASE WHEN g % 500 = 0 THEN 'MAJOR' ELSE 'GENERAL' END, \
         CASE WHEN g % 3 = 0 THEN 'CLOSED' ELSE 'ACKNOWLEDGED' END, 'Late', 1, 1, \
         now() + interval '1 day', now() + interval '1 day', now() + interval '1 day', \
         CASE WHEN g % 3 = 0 THEN NULL ELSE now() + interval '1 day' END, \
         CASE WHEN g % 3 = 0 THEN now() - g * interval '60 seconds' + interval '5 hours' END, \
         CASE WHEN g % 3 = 0 THEN now() - g * interval '60 seconds' + interval '6 hours' END, 1, \
         now() - g * interval '60 seconds', now() - g * interval '60 seconds' \
         FROM generate_series({{lo}}, {{hi}}) g"
    )).await?;
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
