//! Serving over TCP with the limits `axum::serve` lacks: a client that never finishes its
//! headers is disconnected, and shutdown after SIGTERM has a deadline, so a half-sent request
//! can neither hold a connection nor block the process from stopping.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::app::AppState;

/// Pause after a failed `accept` (out of file descriptors, say) before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `state`'s router on `listener` until `shutdown` completes, then lets requests in
/// flight finish for up to `SHUTDOWN_TIMEOUT_SECONDS` and closes whatever is left.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let header_read_timeout = state.transport.header_read_timeout;
    let shutdown_timeout = state.transport.shutdown_timeout;
    let closing = state.transport.closing.clone();
    let audit = state.audit.clone();
    let router = super::router(state);
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    tracing::warn!(%err, "cannot accept a connection");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        while connections.try_join_next().is_some() {}
        let service = router
            .clone()
            .map_request(move |mut request: Request<Incoming>| {
                request
                    .extensions_mut()
                    .insert(ConnectInfo::<SocketAddr>(peer));
                request.map(Body::new)
            });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_read_timeout)
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
            .with_upgrades();
        let mut closing = closing.subscribe();
        connections.spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                () = closed(&mut closing) => {
                    // Finish the request in flight, then close; idle connections close now.
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(err) = result {
                tracing::debug!(%err, %peer, "connection closed with an error");
            }
        });
    }
    drop(listener);
    // Every connection finishes what it is doing and closes; live (WebSocket) ones, upgraded
    // out of hyper's hands, close themselves with 1001.
    closing.send_replace(true);
    let drained = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(shutdown_timeout, drained)
        .await
        .is_err()
    {
        tracing::warn!(
            open = connections.len(),
            "shutdown deadline passed: closing connections with requests still in flight"
        );
    }
    connections.shutdown().await;
    // Reads served until now are in the audit log before the process ends (R-PRV-3).
    audit.close().await;
    Ok(())
}

/// Waits until the server starts shutting down (forever if it never does).
pub(super) async fn closed(closing: &mut tokio::sync::watch::Receiver<bool>) {
    if closing.wait_for(|closing| *closing).await.is_err() {
        // The sender is gone with the server: nothing will ever close.
        std::future::pending::<()>().await;
    }
}
