//! The HTTP server: routes, the accept loop and shutdown.
//! Owns: binding 127.0.0.1 only, one tokio runtime on its own thread, the
//! per-connection switch that lets fault injection drop a connection, and
//! graceful shutdown (in-flight requests finish, then the thread exits).

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use axum::routing::{any, get, post};
use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::faults::ConnControl;
use super::{admin, auth, mdapi, partner, rest, EmulatorError, Shared};

/// All routes of the emulator.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/services/oauth2/token", post(auth::token))
        .route(
            "/services/oauth2/userinfo",
            get(auth::userinfo).post(auth::userinfo),
        )
        .route("/id/{org}/{user}", get(auth::identity))
        .route("/services/Soap/u/{version}", post(partner::handle))
        .route("/services/Soap/u/{version}/{*rest}", post(partner::handle))
        .route("/services/Soap/m/{version}", post(mdapi::handle))
        .route("/services/Soap/m/{version}/{*rest}", post(mdapi::handle))
        .route("/services/data", get(rest::versions))
        .route("/services/data/", get(rest::versions))
        .route("/services/data/{version}", get(rest::resources))
        .route("/services/data/{version}/", get(rest::resources))
        .route("/services/data/{version}/{*path}", any(rest::handle))
        .nest("/__emulator", admin::router())
        // The SOAP endpoints read their bodies themselves, within their own
        // limits (`limits.rs`); the other routes stop at Salesforce's 50 MB
        // message limit (axum's default is 2 MB).
        .layer(axum::extract::DefaultBodyLimit::max(
            super::limits::MAX_SOAP_REQUEST_BYTES,
        ))
        .with_state(shared)
}

/// A server running on its own thread.
pub struct Running {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    /// Stops accepting, lets in-flight requests finish, joins the thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Binds 127.0.0.1:`port` and serves on a new thread; over TLS when `tls`
/// is given (`emulator serve --tls-cert/--tls-key`).
pub fn start(
    shared: Arc<Shared>,
    port: u16,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> Result<Running, EmulatorError> {
    let std_listener = std::net::TcpListener::bind(("127.0.0.1", port))
        .map_err(|source| EmulatorError::Bind { port, source })?;
    std_listener
        .set_nonblocking(true)
        .map_err(|source| EmulatorError::Bind { port, source })?;
    let addr = std_listener
        .local_addr()
        .map_err(|source| EmulatorError::Bind { port, source })?;
    let (tx, rx) = oneshot::channel();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("sfprov-emulator")
        .build()
        .map_err(|e| EmulatorError::Runtime(e.to_string()))?;
    let listener = {
        let _runtime = rt.enter();
        TcpListener::from_std(std_listener)
            .map_err(|source| EmulatorError::Bind { port, source })?
    };
    let app = router(shared);
    let thread = std::thread::Builder::new()
        .name("sfprov-emulator".into())
        .spawn(move || {
            let tls = tls.map(tokio_rustls::TlsAcceptor::from);
            rt.block_on(accept_loop(listener, app, tls, rx));
            rt.shutdown_timeout(std::time::Duration::from_secs(1));
        })
        .map_err(|e| EmulatorError::Runtime(e.to_string()))?;
    Ok(Running {
        addr,
        stop: Some(tx),
        thread: Some(thread),
    })
}

async fn accept_loop(
    listener: TcpListener,
    app: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut stop: oneshot::Receiver<()>,
) {
    let graceful = GracefulShutdown::new();
    loop {
        let (stream, _) = tokio::select! {
            conn = listener.accept() => match conn {
                Ok(c) => c,
                Err(_) => continue,
            },
            _ = &mut stop => break,
        };
        let control = ConnControl::default();
        let notify = control.0.clone();
        let svc = app.clone().layer(axum::Extension(control));
        let svc = tower::ServiceExt::map_request(svc, normalize_path);
        let svc = LogRequests(svc);
        let svc = TowerToHyperService::new(svc);
        let watcher = graceful.watcher();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => serve_connection(TokioIo::new(stream), svc, watcher, notify).await,
                Some(acceptor) => {
                    // A client that never finishes its handshake is dropped.
                    let handshake =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream));
                    if let Ok(Ok(stream)) = handshake.await {
                        serve_connection(TokioIo::new(stream), svc, watcher, notify).await
                    }
                }
            }
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), graceful.shutdown()).await;
}

const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

async fn serve_connection<I, S>(
    io: I,
    svc: S,
    watcher: hyper_util::server::graceful::Watcher,
    notify: Arc<tokio::sync::Notify>,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: hyper::service::HttpService<hyper::body::Incoming> + Send + 'static,
    S::Future: Send + 'static,
    S::ResBody: Send + 'static,
    <S::ResBody as hyper::body::Body>::Data: Send,
    <S::ResBody as hyper::body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let conn = hyper::server::conn::http1::Builder::new().serve_connection(io, svc);
    let conn = watcher.watch(conn);
    tokio::select! {
        _ = conn => {}
        // A fault asked to drop: dropping the future closes the socket.
        _ = notify.notified() => {}
    }
}

const MAX_PEM_BYTES: u64 = 1024 * 1024;

/// Reads a PEM certificate chain and private key into a TLS server config.
pub fn tls_config(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<Arc<rustls::ServerConfig>, EmulatorError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let invalid = |path: &std::path::Path, message: String| EmulatorError::Invalid {
        what: "--tls",
        path: path.to_path_buf(),
        message,
    };
    // PEM files are small: a certificate chain or a key is a few KiB.
    for path in [cert, key] {
        let meta = std::fs::metadata(path).map_err(|source| EmulatorError::Read {
            what: "--tls",
            path: path.to_path_buf(),
            source,
        })?;
        if !meta.is_file() || meta.len() > MAX_PEM_BYTES {
            return Err(invalid(
                path,
                format!("expected a regular PEM file of at most {MAX_PEM_BYTES} bytes"),
            ));
        }
    }
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<_, _>>())
        .map_err(|e| {
            invalid(
                cert,
                format!("{e}; expected a PEM certificate (BEGIN CERTIFICATE)"),
            )
        })?;
    if certs.is_empty() {
        return Err(invalid(
            cert,
            "no certificate in the file; expected PEM (BEGIN CERTIFICATE)".into(),
        ));
    }
    // The key's parse error never quotes the file.
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|_| {
        invalid(
            key,
            "no PEM private key in the file (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY)".into(),
        )
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| EmulatorError::Runtime(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(|e| invalid(key, format!("the key does not fit the certificate: {e}")))?;
    Ok(Arc::new(config))
}

/// Salesforce serves `//services/data/...` as `/services/data/...`: clients
/// that keep the instance URL with a trailing slash (the Salesforce CLI after
/// `sf org login access-token`) join paths onto it. Runs of `/` in the path
/// collapse to one before routing; the query string is kept as sent.
fn normalize_path<B>(mut req: axum::http::Request<B>) -> axum::http::Request<B> {
    let uri = req.uri();
    if !uri.path().contains("//") {
        return req;
    }
    let mut path = String::with_capacity(uri.path().len());
    for c in uri.path().chars() {
        if !(c == '/' && path.ends_with('/')) {
            path.push(c);
        }
    }
    let path_and_query = match uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path,
    };
    let mut parts = uri.clone().into_parts();
    if let Ok(pq) = path_and_query.parse() {
        parts.path_and_query = Some(pq);
        if let Ok(u) = axum::http::Uri::from_parts(parts) {
            *req.uri_mut() = u;
        }
    }
    req
}

/// Logs each request at debug level (`sfprov emulator serve -v`): method,
/// path, status and time. The query string is shown for the REST API (SOQL
/// worth seeing) and left out elsewhere: a client may send a password or a
/// token in an OAuth request's query.
#[derive(Clone)]
struct LogRequests<S>(S);

impl<S, B> tower::Service<axum::http::Request<B>> for LogRequests<S>
where
    S: tower::Service<axum::http::Request<B>, Response = axum::response::Response> + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: axum::http::Request<B>) -> Self::Future {
        if !log::log_enabled!(log::Level::Debug) {
            return Box::pin(self.0.call(req));
        }
        let uri = req.uri();
        let line = match uri.query() {
            Some(q) if uri.path().contains("/services/data/") => {
                format!("{} {}?{}", req.method(), uri.path(), q)
            }
            _ => format!("{} {}", req.method(), uri.path()),
        };
        let started = std::time::Instant::now();
        let fut = self.0.call(req);
        Box::pin(async move {
            let res = fut.await;
            if let Ok(r) = &res {
                log::debug!(
                    "{line} -> {} ({} ms)",
                    r.status().as_u16(),
                    started.elapsed().as_millis()
                );
            }
            res
        })
    }
}

/// Ctrl-C (and, on Unix, SIGTERM), registered before the ready line is
/// printed so a signal sent right after it is never lost.
pub struct Interrupt {
    rt: tokio::runtime::Runtime,
    #[cfg(unix)]
    signals: (tokio::signal::unix::Signal, tokio::signal::unix::Signal),
}

impl Interrupt {
    pub fn register() -> Result<Interrupt, EmulatorError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| EmulatorError::Runtime(e.to_string()))?;
        #[cfg(unix)]
        let signals = {
            use tokio::signal::unix::{signal, SignalKind};
            let _guard = rt.enter();
            let int = signal(SignalKind::interrupt())
                .map_err(|e| EmulatorError::Runtime(e.to_string()))?;
            let term = signal(SignalKind::terminate())
                .map_err(|e| EmulatorError::Runtime(e.to_string()))?;
            (int, term)
        };
        Ok(Interrupt {
            rt,
            #[cfg(unix)]
            signals,
        })
    }

    /// Blocks until the signal arrives.
    pub fn wait(self) -> Result<(), EmulatorError> {
        #[cfg(unix)]
        {
            let (mut int, mut term) = self.signals;
            self.rt.block_on(async {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            });
            Ok(())
        }
        #[cfg(not(unix))]
        {
            self.rt
                .block_on(tokio::signal::ctrl_c())
                .map_err(|e| EmulatorError::Runtime(e.to_string()))
        }
    }
}
