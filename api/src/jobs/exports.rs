//! Produces approved exports (R-PRV-12): the centre's repair orders with their customers'
//! contacts as CSV, kept until downloaded or until `ttl` has passed; files that expired unread
//! are dropped. Each file's customers are in the audit log (`export.produced`), so they see it
//! in `myDataAccess`.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use sea_orm::DatabaseConnection;

use crate::domain::clock::Clock;
use crate::error::ApiResult;
use crate::store;
use crate::store::audit::{Access, Actor};

const HEADER: &str =
    "number,status,reported_at,customer_name,customer_phone,service_address,contact_phone\n";

/// The personal fields a file holds.
const FIELDS: [&str; 4] = [
    "customer.name",
    "customer.phone",
    "serviceAddress",
    "contactPhone",
];

/// Produces every approved export; the number produced.
pub async fn run(db: &DatabaseConnection, now: DateTime<Utc>, ttl: Duration) -> ApiResult<u64> {
    let mut produced = 0;
    for export in store::exports::approved_unproduced(db).await? {
        let orders = store::exports::orders_of(db, &export).await?;
        let mut customers: Vec<i64> = orders.iter().map(|o| o.customer_id).collect();
        customers.sort_unstable();
        customers.dedup();
        let people = store::users::by_ids(db, &customers).await?;
        let mut csv = String::from(HEADER);
        for order in &orders {
            let customer = people.iter().find(|u| u.id == order.customer_id);
            let row = [
                order.number.as_str(),
                &crate::domain::repair::status_name(order.status),
                &order.reported_at.to_rfc3339(),
                customer.map_or("", |c| c.name.as_str()),
                customer.and_then(|c| c.phone.as_deref()).unwrap_or(""),
                &order.service_address,
                &order.contact_phone,
            ];
            let cells: Vec<String> = row.iter().map(|cell| csv_cell(cell)).collect();
            csv.push_str(&cells.join(","));
            csv.push('\n');
        }
        let rows = i32::try_from(orders.len()).unwrap_or(i32::MAX);
        let txn = store::begin_write(db).await?;
        store::exports::set_produced(&txn, export.id, csv, rows, now + ttl, now).await?;
        store::audit::write(
            &txn,
            &Access {
                occurred_at: now,
                actor: Actor::system(),
                action: "export.produced",
                subject_kind: "EXPORT",
                subject_id: Some(export.id),
                operation: Some(export.kind.clone()),
                fields: FIELDS.to_vec(),
                row_count: Some(rows),
                users: customers,
                detail: Some(serde_json::json!({ "requestedBy": export.requested_by })),
            },
        )
        .await?;
        txn.commit().await?;
        produced += 1;
    }
    store::exports::clear_expired(db, now).await?;
    Ok(produced)
}

/// A CSV cell: quoted when it holds a comma, quote or line break; a leading `=`, `+`, `-` or
/// `@` is prefixed with `'` so a spreadsheet does not run it as a formula.
fn csv_cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// Runs `run` every `interval` until the process ends.
pub fn spawn(
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    interval: StdDuration,
    ttl: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match run(&db, clock.now(), ttl).await {
                Ok(0) => {}
                Ok(produced) => tracing::info!(produced, "exports produced"),
                Err(err) => tracing::error!(error = ?err, "producing exports failed"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn r_prv_12_csv_cells_are_quoted_and_never_formulas() {
        assert_eq!(csv_cell("Room 1"), "Room 1");
        assert_eq!(csv_cell("1, Road"), "\"1, Road\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=1+1"), "'=1+1");
        assert_eq!(csv_cell("+8613812345678"), "'+8613812345678");
    }
}
