//! The connection loop of the web view: hyper's HTTP/1 server with a deadline for each
//! request's head, and a cap on connections served at once.
//!
//! `axum::serve` sets no timer, so hyper has no header read timeout there and a client that
//! sends half a request line and then nothing holds its connection for ever; enough of them
//! hold every file descriptor. Here each connection gets `[serve] header_timeout` to send a
//! request's line and headers (hyper closes it otherwise), and at most
//! `[serve] max_connections` are served at once: further clients wait in the kernel's accept
//! queue rather than cost a task and a descriptor each.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::{Semaphore, watch};

/// How long open connections are given to finish their request after shutdown began.
const DRAIN: Duration = Duration::from_secs(5);

/// Serves `router` on `listener` until `shutdown` completes, then lets the connections
/// finish the request they are on (for at most [`DRAIN`]).
pub(super) async fn run(
    listener: tokio::net::TcpListener,
    router: Router,
    header_timeout: Duration,
    max_connections: usize,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true);
    let http = Arc::new(http);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            _ = &mut shutdown => break,
            s = slots.clone().acquire_owned() => s.expect("the semaphore is never closed"),
        };
        let (stream, remote) = tokio::select! {
            _ = &mut shutdown => break,
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of descriptors or a connection reset before it was taken: the
                    // listener itself is fine, so wait a moment and go on.
                    tracing::warn!(error = %e, "web view: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let http = http.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(remote));
                let mut router = router.clone();
                async move { tower_service::Service::call(&mut router, req).await }
            });
            let conn = http.serve_connection(TokioIo::new(stream), svc);
            tokio::pin!(conn);
            let done = tokio::select! {
                r = conn.as_mut() => Some(r),
                _ = stop.wait_for(|s| *s) => None,
            };
            let r = match done {
                Some(r) => r,
                None => {
                    conn.as_mut().graceful_shutdown();
                    match tokio::time::timeout(DRAIN, conn).await {
                        Ok(r) => r,
                        Err(_) => return,
                    }
                }
            };
            if let Err(e) = r
                && !e.is_timeout()
                && !e.is_incomplete_message()
            {
                tracing::debug!(error = %e, %remote, "web view: connection ended");
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection's task holds a slot: all slots back means all connections ended.
    let _ = tokio::time::timeout(
        DRAIN + Duration::from_secs(1),
        slots.acquire_many(max_connections as u32),
    )
    .await;
    Ok(())
}
