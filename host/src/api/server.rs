//! The accept loop: hyper with HTTP/1 and HTTP/2, deadlines on every connection (a
//! header-read timeout, a first request within it on either protocol, an idle timeout),
//! a cap on open connections ([`super::connections`]), and a graceful shutdown that
//! waits for open requests.

use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::connections::{Admitted, Connections, Deadlines, Tracked};
use crate::config::ServerConfig;

/// How long shutdown waits for open connections.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until `shutdown` is cancelled.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    config: ServerConfig,
    shutdown: CancellationToken,
) {
    let graceful = GracefulShutdown::new();
    let connections = Connections::new(config.max_connections);
    let deadlines = Deadlines {
        first_request: config.header_read_timeout,
        idle: config.idle_timeout,
    };
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, _peer) = match accepted {
            Ok(pair) => pair,
            Err(error) => {
                // Out of file descriptors and the like: free one held by an idle
                // connection, else back off instead of spinning.
                tracing::warn!(%error, "accept failed");
                if !connections.evict_idle() {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                continue;
            }
        };
        let Some(admitted) = connections.admit() else {
            tracing::warn!(
                max_connections = config.max_connections,
                "connection closed: every open connection has a request in progress"
            );
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service =
            TowerToHyperService::new(Tracked::new(router.clone(), admitted.slot().clone()));
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(drive(connection, admitted, deadlines));
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("open connections did not finish within {DRAIN_TIMEOUT:?}");
    }
}

/// Runs one connection until it ends, misses a deadline with no request in progress, or
/// is closed to make room; dropping it closes the socket.
async fn drive<C>(connection: C, admitted: Admitted, deadlines: Deadlines)
where
    C: Future<Output = Result<(), Box<dyn std::error::Error + Send + Sync>>>,
{
    tokio::pin!(connection);
    loop {
        // While a request is in progress there is no deadline; look again later.
        let deadline = admitted
            .activity()
            .deadline(deadlines)
            .unwrap_or_else(|| tokio::time::Instant::now() + deadlines.idle);
        tokio::select! {
            result = &mut connection => {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended with an error");
                }
                return;
            }
            () = admitted.evicted().cancelled() => {
                tracing::debug!("idle connection closed to make room");
                return;
            }
            () = tokio::time::sleep_until(deadline) => {
                let missed = admitted
                    .activity()
                    .deadline(deadlines)
                    .is_some_and(|deadline| deadline <= tokio::time::Instant::now());
                if missed {
                    tracing::debug!("connection closed: no request before its deadline");
                    return;
                }
            }
        }
    }
}
