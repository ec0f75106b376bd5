//! The HTTP server loop. It is axum's own `serve`, plus what that does not
//! set: a deadline for a request's headers (a client sending one byte a
//! minute — slowloris — holds a connection for ever otherwise), which also
//! closes connections left idle, and Nagle off on every socket. HTTP/1.1
//! only: without TLS nobody speaks HTTP/2 to Quire (a proxy in front may),
//! and sniffing for it would wait for a first byte without any deadline.
//! Every request carries the peer's address (`ConnectInfo`), as
//! `into_make_service_with_connect_info` gives it.

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

/// How long shutdown waits for requests in progress.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` completes, then stops
/// accepting and waits for the requests in progress (not for upgraded
/// WebSockets, which the caller ends itself). `header_timeout`: how long a
/// client has to send a request's headers, and how long a keep-alive
/// connection may sit idle before its next request.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    // Each connection watches `signal_tx` close (all receivers gone) to begin
    // its graceful shutdown; `close_tx` closes once every connection is done.
    let (signal_tx, signal_rx) = watch::channel(());
    let (close_tx, close_rx) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: back off, keep serving.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        // A keystroke's update and a handshake's small frames must go out at
        // once, not wait up to 40 ms for the peer's delayed ACK.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "could not turn Nagle off on a connection");
        }
        let app = app.clone();
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            let app = app.clone();
            async move { Ok::<_, Infallible>(app.oneshot(request).await.unwrap_or_else(|never| match never {})) }
        });
        let signal_tx = signal_tx.clone();
        let close_rx = close_rx.clone();
        tokio::spawn(async move {
            let mut builder = http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(header_timeout);
            let mut connection = pin!(builder.serve_connection(TokioIo::new(stream), service).with_upgrades());
            let mut stopping = pin!(signal_tx.closed());
            let mut stopped = false;
            loop {
                tokio::select! {
                    result = connection.as_mut() => {
                        if let Err(error) = result {
                            tracing::trace!(%error, %peer, "connection ended with an error");
                        }
                        break;
                    }
                    _ = &mut stopping, if !stopped => {
                        stopped = true;
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
            drop(close_rx);
        });
    }
    drop(listener);
    // Every connection finishes what it is doing, then closes; one that will
    // not (a client reading a response a byte a minute) is not waited for.
    drop(signal_rx);
    drop(close_rx);
    if tokio::time::timeout(SHUTDOWN_GRACE, close_tx.closed()).await.is_err() {
        tracing::warn!("some HTTP connections did not finish within the shutdown grace period");
    }
    Ok(())
}
