//! The server's connections, before a request reaches a route: TLS, timeouts and caps.
//!
//! Written here on hyper rather than with `axum::serve`, which offers none of them: a server
//! that any party and any voter can reach must not be held open by whoever connects and says
//! nothing, nor made to hold more connections or requests than it can serve.
//!
//! - A connection that has not sent a whole request head within `header_timeout` is closed
//!   (the TLS handshake included, and an idle kept-alive connection waiting for its next
//!   request: hyper's header timer runs from the moment it waits for a head).
//! - At most `max_connections` connections are served at once. Beyond that a few more are
//!   answered 503 on the spot (so that a client learns the server is busy rather than seeing a
//!   reset), and any beyond those are closed unanswered.
//! - At most `max_requests` requests are handled at once; beyond that, 503 with Retry-After.
//! - A request body is read only by the routes that take one, each bounded in size and time
//!   (see `writes`): the server never reads a body it will not use.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

/// What the server allows each connection and request, and how many at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long a connection may take to send a request's head (the TLS handshake, and the
    /// wait of an idle connection for its next request, included).
    pub header_timeout: Duration,
    /// How long a write may take to send its body.
    pub body_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// Requests handled at once.
    pub max_requests: usize,
    /// The largest ballot a device may send (its envelope, in bytes).
    pub max_ballot_bytes: usize,
    /// The largest protocol step the administrator or a guardian may send (its envelope).
    pub max_entry_bytes: usize,
    /// Ballots whose proofs are checked at once (0: one per core). Servers that share a
    /// machine (or a benchmark that shows how servers add up) give each fewer.
    pub check_threads: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(60),
            // Under the usual 1,024 open files, with room for the database and the witnesses.
            max_connections: 512,
            max_requests: 128,
            // A ballot of a long general election is a few megabytes of JSON; a step (a tally,
            // a guardian's shares for every selection and challenged ballot) may be more.
            max_ballot_bytes: 8 << 20,
            max_entry_bytes: entente_roles::protocol::MAX_BODY,
            check_threads: 0,
        }
    }
}

/// Connections over the cap that are still answered 503 (beyond them, closed unanswered).
const BUSY_ANSWERS: usize = 64;
/// How long a connection answered 503 may take to send its request.
const BUSY_TIMEOUT: Duration = Duration::from_secs(2);
/// How long the server waits for connections in flight when asked to stop.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// The largest request head (request line and headers) read.
const MAX_HEAD: usize = 64 << 10;

/// A TLS configuration from a PEM certificate chain (the server's first) and its private key.
pub fn tls_config(cert_pem: &[u8], key_pem: &[u8]) -> Result<Arc<rustls::ServerConfig>, String> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("the certificate file is not PEM: {e}"))?;
    if chain.is_empty() {
        return Err("the certificate file holds no certificate (PEM \"CERTIFICATE\")".into());
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| format!("the key file holds no private key (PEM): {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("the certificate and key do not make a TLS identity: {e}"))?;
    // HTTP/1.1 only: the timeouts above are hyper's HTTP/1 ones.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Answers 503 to every request beyond `max_requests` at once.
pub(crate) fn request_cap(app: Router, max_requests: usize) -> Router {
    let permits = Arc::new(Semaphore::new(max_requests.max(1)));
    app.layer(axum::middleware::from_fn(
        move |req: Request<Body>, next: axum::middleware::Next| {
            let permits = permits.clone();
            async move {
                match permits.try_acquire_owned() {
                    Ok(permit) => {
                        let response = next.run(req).await;
                        drop(permit);
                        response
                    }
                    Err(_) => busy(),
                }
            }
        },
    ))
}

/// The answer of a server at its cap: try again in a second.
fn busy() -> Response {
    let mut r = (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(serde_json::json!({
            "error": "the server is busy: try again in a moment"
        })),
    )
        .into_response();
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}

/// Serves `app` on `listener` (over TLS when `tls` is given) within `limits`, until `shutdown`
/// completes; then waits up to [`SHUTDOWN_GRACE`] for the requests in flight.
pub async fn serve_app(
    listener: TcpListener,
    app: Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let acceptor = tls.map(TlsAcceptor::from);
    let connections = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let answering_busy = Arc::new(Semaphore::new(BUSY_ANSWERS));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(MAX_HEAD);
    let mut busy_builder = builder.clone();
    busy_builder
        .header_read_timeout(BUSY_TIMEOUT)
        .keep_alive(false);
    let busy_app = Router::new().fallback(|| async { busy() });
    tokio::pin!(shutdown);
    loop {
        let tcp = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was taken:
                    // wait a moment rather than spin, and go on serving the others.
                    tracing::warn!("cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = tcp.set_nodelay(true);
        let (permit, builder, app, handshake) = match connections.clone().try_acquire_owned() {
            Ok(p) => (p, &builder, &app, limits.header_timeout),
            Err(_) => match answering_busy.clone().try_acquire_owned() {
                Ok(p) => (p, &busy_builder, &busy_app, BUSY_TIMEOUT),
                // Dropped: closed unanswered.
                Err(_) => continue,
            },
        };
        let service = TowerToHyperService::new(app.clone());
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let result = match acceptor {
                Some(acceptor) => {
                    let stream = match tokio::time::timeout(handshake, acceptor.accept(tcp)).await {
                        Ok(Ok(stream)) => stream,
                        Ok(Err(e)) => {
                            tracing::debug!("TLS handshake failed: {e}");
                            return;
                        }
                        Err(_) => return,
                    };
                    watcher
                        .watch(builder.serve_connection(TokioIo::new(stream), service))
                        .await
                }
                None => {
                    watcher
                        .watch(builder.serve_connection(TokioIo::new(tcp), service))
                        .await
                }
            };
            if let Err(e) = result {
                // A client that went away or timed out: its own affair, not the server's.
                tracing::debug!("connection ended: {e}");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!("stopping with requests still in flight");
        }
    }
    Ok(())
}
