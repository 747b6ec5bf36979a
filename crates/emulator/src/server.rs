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

/// Binds 127.0.0.1:`port` and serves on a new thread.
pub fn start(shared: Arc<Shared>, port: u16) -> Result<Running, EmulatorError> {
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
            rt.block_on(accept_loop(listener, app, rx));
            rt.shutdown_timeout(std::time::Duration::from_secs(1));
        })
        .map_err(|e| EmulatorError::Runtime(e.to_string()))?;
    Ok(Running {
        addr,
        stop: Some(tx),
        thread: Some(thread),
    })
}

async fn accept_loop(listener: TcpListener, app: Router, mut stop: oneshot::Receiver<()>) {
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
        let conn = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(svc));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            tokio::select! {
                _ = conn => {}
                // A fault asked to drop: dropping the future closes the socket.
                _ = notify.notified() => {}
            }
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), graceful.shutdown()).await;
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
