//! Surviving a database restart. Its pooled connections are then dead, and without care each
//! would fail one request. Two parts, both cheap while nothing goes wrong:
//!
//! - a connection idle since before the last connection error seen is pinged before the pool
//!   hands it out ([`suspect`], installed by `db::connect`), so its dead siblings are replaced
//!   instead of being tried one request at a time; the others are not pinged at all;
//! - a request that failed because the database was unreachable (HTTP 503) runs once more, on
//!   a fresh connection, if it sent no write statement ([`once_more_if_unwritten`]): a write
//!   may have been carried out, so repeating it could do it twice.

use std::cell::Cell;
use std::future::Future;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::response::Response;

static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);

/// Milliseconds after `EPOCH` of the last connection error seen; 0 for none. Process-wide: a
/// restart kills the connections of every pool on that server alike.
static LAST_LOST: AtomicU64 = AtomicU64::new(0);

tokio::task_local! {
    /// Whether the request running in this task has sent a statement that may write.
    static WROTE: Cell<bool>;
}

fn now_millis() -> u64 {
    u64::try_from(EPOCH.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Records that a connection to the database was found dead.
pub fn connection_lost() {
    LAST_LOST.store(now_millis().max(1), Ordering::SeqCst);
}

/// Whether a pooled connection idle for `idle_for` went back to the pool before the last
/// connection error, and so may have died with it.
pub fn suspect(idle_for: Duration) -> bool {
    let idle = u64::try_from(idle_for.as_millis()).unwrap_or(u64::MAX);
    released_before_loss(now_millis(), idle, LAST_LOST.load(Ordering::SeqCst))
}

/// Whether a connection idle for `idle` ms at `now` was released at or before `lost` (0: no
/// loss seen yet).
fn released_before_loss(now: u64, idle: u64, lost: u64) -> bool {
    lost != 0 && now.saturating_sub(idle) <= lost
}

/// Called for every statement run through the pool (sea-orm's metric callback); anything but a
/// `SELECT` counts as a write, also when it failed, since it may have reached the database.
pub fn statement_sent(sql: &str) {
    let read = sql
        .trim_start()
        .get(..6)
        .is_some_and(|head| head.eq_ignore_ascii_case("select"));
    if !read {
        // Statements outside a request (jobs, fixtures) have nothing to mark.
        let _ = WROTE.try_with(|wrote| wrote.set(true));
    }
}

/// Runs `attempt`, and once more when it answered 503 (the database was unreachable) without
/// having sent a write statement.
pub async fn once_more_if_unwritten<F, Fut>(mut attempt: F) -> Response
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Response>,
{
    let (response, wrote) = WROTE
        .scope(Cell::new(false), async {
            let response = attempt().await;
            (response, WROTE.with(Cell::get))
        })
        .await;
    if response.status() != StatusCode::SERVICE_UNAVAILABLE {
        return response;
    }
    connection_lost();
    if wrote {
        return response;
    }
    tracing::info!("database connection lost; running the request again on a fresh one");
    attempt().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_connections_idle_since_the_last_loss_are_suspect() {
        assert!(!released_before_loss(5_000, 4_000, 0), "no loss seen");
        assert!(
            released_before_loss(5_000, 4_000, 1_000),
            "idle since the loss"
        );
        assert!(
            released_before_loss(5_000, 4_000, 2_000),
            "idle since before it"
        );
        assert!(!released_before_loss(5_000, 1_000, 2_000), "used after it");
        assert!(released_before_loss(5, u64::MAX, 1));
    }

    #[tokio::test]
    async fn a_request_is_repeated_only_when_unavailable_and_unwritten() {
        use axum::response::IntoResponse;
        let runs = Cell::new(0);
        let answer = |status: StatusCode, sql: &'static str| {
            let runs = &runs;
            move || {
                runs.set(runs.get() + 1);
                statement_sent(sql);
                std::future::ready(status.into_response())
            }
        };
        let response =
            once_more_if_unwritten(answer(StatusCode::SERVICE_UNAVAILABLE, "SELECT 1")).await;
        assert_eq!(
            (response.status(), runs.replace(0)),
            (StatusCode::SERVICE_UNAVAILABLE, 2)
        );
        once_more_if_unwritten(answer(StatusCode::SERVICE_UNAVAILABLE, "INSERT INTO t")).await;
        assert_eq!(runs.replace(0), 1, "a write is never repeated");
        once_more_if_unwritten(answer(StatusCode::OK, "select 1")).await;
        assert_eq!(runs.replace(0), 1);
    }
}
