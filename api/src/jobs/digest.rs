//! R-CLS-1: GENERAL complaints are handled by the complaint agent and reported to the
//! customer-service manager. After each local day ends, every centre gets one digest of the
//! GENERAL complaints it received that day (how many, how many are still open, their numbers),
//! which its supervisors read with `generalComplaintDigests`. It rides on the sweeper's tick;
//! the unique (centre, day) key lets several instances race harmlessly.

use chrono::{DateTime, Utc};
use entity::manager_digests;
use sea_orm::{DatabaseConnection, Set};

use crate::domain::calendar::local_day;
use crate::error::ApiResult;
use crate::store;

/// At most this many complaint numbers are listed in one digest; the counts are complete.
pub const MAX_NUMBERS: u64 = 500;

/// Writes the digests of the local day before `now` that are missing; returns how many.
pub async fn run(db: &DatabaseConnection, now: DateTime<Utc>) -> ApiResult<usize> {
    let mut written = 0;
    for centre in store::directory::service_centres(db).await? {
        let tz = store::directory::time_zone(&centre)?;
        let Some(day) = now.with_timezone(&tz).date_naive().pred_opt() else {
            continue;
        };
        if store::digests::exists(db, centre.id, day).await? {
            continue;
        }
        let (total, open, numbers) =
            store::digests::general_received(db, centre.id, local_day(tz, day), MAX_NUMBERS)
                .await?;
        let count = |n: u64| i32::try_from(n).unwrap_or(i32::MAX);
        let digest = manager_digests::ActiveModel {
            service_centre_id: Set(centre.id),
            day: Set(day),
            general_complaints: Set(count(total)),
            still_open: Set(count(open)),
            numbers: Set(numbers.join(",")),
            created_at: Set(now),
            ..Default::default()
        };
        if store::digests::insert_once(db, digest).await? {
            written += 1;
        }
    }
    Ok(written)
}
