//! Listening: the facility API over mutual TLS, the admin endpoints over plain HTTP, and
//! graceful shutdown.
//!
//! On SIGTERM or SIGINT (or [`Shutdown::trigger`]) the server stops accepting connections, the
//! health endpoint answers 503, idle kept-alive connections are closed, and requests in flight
//! run to their answer for at most `shutdown_grace_ms`; what is still running then is dropped with
//! its connection — the client sees a closed connection, never half an answer, and a store
//! transaction either committed or rolled back.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::ServeError;
use crate::app::App;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::stores::Stores;
use crate::tls::{facility_of, server_config};

/// A handle that starts a graceful shutdown.
#[derive(Clone, Debug)]
pub struct Shutdown(watch::Sender<bool>);

impl Shutdown {
    /// Starts the graceful shutdown.
    pub fn trigger(&self) {
        let _ = self.0.send(true);
    }
}

/// A started server.
#[derive(Debug)]
pub struct Running {
    /// The facility API's address.
    pub api: SocketAddr,
    /// The admin address.
    pub admin: SocketAddr,
    /// The services.
    pub app: Arc<App>,
    shutdown: Shutdown,
    done: tokio::task::JoinHandle<()>,
}

impl Running {
    /// A handle to shut the server down.
    pub fn shutdown_handle(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// Waits until the server has shut down.
    pub async fn wait(self) {
        let _ = self.done.await;
    }
}

/// Opens the stores, builds the services and starts listening (inside a tokio runtime).
///
/// The stores are opened on a blocking thread: a PostgreSQL client owns a small runtime of its
/// own, which must never be created or dropped on an async thread. For the same reason, drop the
/// last [`Running::app`] reference outside the runtime ([`run`] does).
pub async fn start(config: &Config) -> Result<Running, ServeError> {
    let app = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || {
            let stores = Stores::open(&config)?;
            let metrics = Metrics::new(&config.server.instance);
            App::new(&config, stores, metrics).map(Arc::new)
        })
        .await
        .map_err(|e| ServeError::Service(e.to_string()))??
    };
    start_with(config, app).await
}

/// Starts listening with services already built.
pub async fn start_with(config: &Config, app: Arc<App>) -> Result<Running, ServeError> {
    let tls = server_config(
        &config.resolve(&config.tls.certificate),
        &config.resolve(&config.tls.key),
        &config.resolve(&config.tls.facility_ca),
    )?;
    let api_listener = TcpListener::bind(config.server.listen).await?;
    let admin_listener = TcpListener::bind(config.server.admin_listen).await?;
    let api = api_listener.local_addr()?;
    let admin = admin_listener.local_addr()?;
    if let Some(path) = &config.server.port_file {
        let path = config.resolve(path);
        std::fs::write(&path, format!("{} {}\n", api.port(), admin.port()))
            .map_err(|e| ServeError::file(&path, e))?;
    }
    let (tx, rx) = watch::channel(false);
    let shutdown = Shutdown(tx);
    let grace = Duration::from_millis(config.server.shutdown_grace_ms);
    let handshake = Duration::from_millis(config.server.handshake_timeout_ms);
    let admin_app = app.clone();
    let mut admin_rx = rx.clone();
    let admin_task = tokio::spawn(async move {
        let _ = axum::serve(admin_listener, crate::api::admin_router(admin_app))
            .with_graceful_shutdown(async move {
                stopped(&mut admin_rx).await;
            })
            .await;
    });
    let api_app = app.clone();
    let done = tokio::spawn(async move {
        serve_api(
            api_listener,
            TlsAcceptor::from(tls),
            api_app,
            rx,
            grace,
            handshake,
        )
        .await;
        let _ = admin_task.await;
    });
    tracing::info!(target: "kazasu_serve", %api, %admin, backend = app.stores.backend, "listening");
    Ok(Running {
        api,
        admin,
        app,
        shutdown,
        done,
    })
}

async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

async fn serve_api(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    app: Arc<App>,
    mut stop: watch::Receiver<bool>,
    grace: Duration,
    handshake: Duration,
) {
    let router = crate::api::router(app.clone());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let (tcp, _peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(target: "kazasu_serve", error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped(&mut stop) => break,
        };
        app.metrics.connections.inc();
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let router = router.clone();
        let metrics = app.metrics.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let tls = match tokio::time::timeout(handshake, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                _ => {
                    metrics.handshake_failures.inc();
                    return;
                }
            };
            let facility = match tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .map(facility_of)
            {
                Some(Ok(f)) => f,
                _ => {
                    metrics.handshake_failures.inc();
                    return;
                }
            };
            let service = hyper::service::service_fn(
                move |mut request: hyper::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(facility.clone());
                    router.clone().oneshot(request.map(axum::body::Body::new))
                },
            );
            let connection = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(tls), service);
            let _ = watcher.watch(connection).await;
        });
    }
    app.start_draining();
    tracing::info!(target: "kazasu_serve", "draining");
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(target: "kazasu_serve", "grace period over; closing what is left");
    }
    tracing::info!(target: "kazasu_serve", "stopped");
}

/// Runs the server until SIGTERM or SIGINT, then shuts down gracefully.
pub fn run(config: &Config) -> Result<(), ServeError> {
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if config.server.blocking_threads > 0 {
        runtime.max_blocking_threads(config.server.blocking_threads);
    }
    let runtime = runtime.build()?;
    let app = runtime.block_on(async {
        let running = start(config).await?;
        let app = running.app.clone();
        let handle = running.shutdown_handle();
        tokio::spawn(async move {
            wait_for_signal().await;
            handle.trigger();
        });
        reload_on_hangup(running.app.clone());
        running.wait().await;
        Ok::<_, ServeError>(app)
    })?;
    // Tasks still holding the services go with the runtime; the stores (and a PostgreSQL
    // client's own runtime) are dropped here, on this plain thread.
    drop(runtime);
    drop(app);
    tracing::info!(target: "kazasu_serve", "exited");
    Ok(())
}

/// SIGHUP reads the CRL files again (a new CRL from J-LIS put in place by the operator).
fn reload_on_hangup(app: Arc<App>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut hup) = signal(SignalKind::hangup()) {
            tokio::spawn(async move {
                while hup.recv().await.is_some() {
                    let app = app.clone();
                    let outcome = tokio::task::spawn_blocking(move || app.reload_crls()).await;
                    if let Ok(Err(e)) = outcome {
                        tracing::warn!(target: "kazasu_serve", error = %e, "CRL reload refused; the CRLs in force stay");
                    }
                }
            });
        }
    }
    #[cfg(not(unix))]
    let _ = app;
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
