//! The entry points and the HTTP/1.1 server: [`main!`](crate::main),
//! [`run`], [`serve`] (one request), and [`Server`]: one current-thread tokio
//! runtime per core, each with its own app and host (handlers need not be
//! `Send`), all accepting on one listening socket, with graceful shutdown.

use std::cell::Cell;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::time::Duration;

use anyedge_core::adapter::{self, AdapterHost};
use anyedge_core::logging::{self, LevelFilter};
use anyedge_core::{Bytes, Host, Router};
use futures_util::FutureExt;
use http_body_util::Full;
use hyper::body::{Body, Incoming};
use hyper_util::rt::TokioIo;
use tokio::sync::watch;

use crate::convert::{request_from_hyper, response_to_hyper};
use crate::{NativeClient, NativeConfig, NativeHost, NativeLogger};

/// The variable [`run`] reads the listen address from.
pub const ADDR_VAR: &str = "ANYEDGE_ADDR";

/// The listen address when [`ADDR_VAR`] is not set.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8787";

/// How long in-flight requests may run after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Options for [`Server::bind`].
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Serving threads (default: available cores).
    pub threads: usize,
    /// Level of the log bridge (default from `LOG_LEVEL`, else `info`).
    pub log_level: LevelFilter,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            log_level: adapter::log_level(&NativeConfig::new()),
        }
    }
}

/// A [`NativeHost`] over the environment with `config`'s defaults.
pub fn host(config: NativeConfig) -> std::io::Result<NativeHost> {
    let client = NativeClient::new().map_err(std::io::Error::other)?;
    Ok(AdapterHost::new(client, NativeLogger, config))
}

/// Serves the app `make_app` builds (once per serving thread) on
/// [`ADDR_VAR`] (default [`DEFAULT_ADDR`]) until Ctrl-C or SIGTERM, with a
/// [`NativeHost`] over the environment and default [`ServeOptions`]. Prints
/// the address it listens on. What [`main!`](crate::main) calls.
pub fn run<F, S>(make_app: F) -> std::io::Result<()>
where
    F: Fn() -> Router<NativeHost, S> + Send + Sync + 'static,
    S: 'static,
{
    let text = std::env::var(ADDR_VAR).unwrap_or_else(|_| DEFAULT_ADDR.into());
    let addr: SocketAddr = text.parse().map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{ADDR_VAR} `{text}` is not HOST:PORT: {e}"),
        )
    })?;
    let server = Server::bind(addr, ServeOptions::default())
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))?;
    eprintln!("anyedge listening on http://{}", server.local_addr()?);
    let client = NativeClient::new().map_err(std::io::Error::other)?;
    server
        .run(make_app, move || AdapterHost::new(client.clone(), NativeLogger, NativeConfig::new()))
}

/// A bound server; [`Server::run`] serves until Ctrl-C or SIGTERM (or until
/// the future given to [`Server::run_until`] completes).
#[derive(Debug)]
pub struct Server {
    listener: std::net::TcpListener,
    options: ServeOptions,
}

impl Server {
    /// Binds `addr` (use port 0 for any free port).
    pub fn bind(addr: SocketAddr, options: ServeOptions) -> std::io::Result<Server> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        Ok(Server { listener, options })
    }

    /// The bound address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until Ctrl-C or SIGTERM, then drains in-flight requests.
    /// `make_app` and `make_host` run once on each serving thread.
    pub fn run<H, S, F, M>(self, make_app: F, make_host: M) -> std::io::Result<()>
    where
        H: Host,
        S: 'static,
        F: Fn() -> Router<H, S> + Send + Sync + 'static,
        M: Fn() -> H + Send + Sync + 'static,
    {
        self.run_until(make_app, make_host, shutdown_signal())
    }

    /// Serves until `stop` completes, then drains in-flight requests.
    ///
    /// # Errors
    /// [`InvalidInput`](std::io::ErrorKind::InvalidInput) naming the routes
    /// when the route table fails [`Router::check`]; I/O errors of the
    /// listener and runtime.
    pub fn run_until<H, S, F, M, Stop>(
        self,
        make_app: F,
        make_host: M,
        stop: Stop,
    ) -> std::io::Result<()>
    where
        H: Host,
        S: 'static,
        F: Fn() -> Router<H, S> + Send + Sync + 'static,
        M: Fn() -> H + Send + Sync + 'static,
        Stop: Future<Output = ()>,
    {
        make_app().check().map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let (tx, rx) = watch::channel(false);
        let make_app = std::sync::Arc::new(make_app);
        let make_host = std::sync::Arc::new(make_host);
        let mut workers = Vec::new();
        for i in 0..self.options.threads.max(1) {
            let listener = self.listener.try_clone()?;
            let make_app = make_app.clone();
            let make_host = make_host.clone();
            let rx = rx.clone();
            let level = self.options.log_level;
            workers.push(
                std::thread::Builder::new()
                    .name(format!("anyedge-{i}"))
                    .spawn(move || worker(listener, &*make_app, &*make_host, rx, level))?,
            );
        }
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        rt.block_on(stop);
        eprintln!("anyedge: shutting down, draining in-flight requests");
        let _ = tx.send(true);
        for w in workers {
            if let Ok(Err(e)) = w.join() {
                eprintln!("anyedge: worker failed: {e}");
            }
        }
        Ok(())
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn worker<H: Host, S: 'static>(
    listener: std::net::TcpListener,
    make_app: &(dyn Fn() -> Router<H, S> + Send + Sync),
    make_host: &(dyn Fn() -> H + Send + Sync),
    mut stop: watch::Receiver<bool>,
    level: LevelFilter,
) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let local = tokio::task::LocalSet::new();
    logging::install(NativeLogger, level);
    let app = Rc::new(make_app());
    let host = Rc::new(make_host());
    local.block_on(&rt, async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let active = Rc::new(Cell::new(0usize));
        loop {
            tokio::select! {
                _ = stop.changed() => break,
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let _ = stream.set_nodelay(true);
                    active.set(active.get() + 1);
                    let conn = serve_connection(stream, app.clone(), host.clone(), stop.clone());
                    let active = active.clone();
                    tokio::task::spawn_local(async move {
                        conn.await;
                        active.set(active.get() - 1);
                    });
                }
            }
        }
        drop(listener);
        let deadline = tokio::time::Instant::now() + DRAIN_TIMEOUT;
        while active.get() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    })
}

async fn serve_connection<H: Host, S: 'static>(
    stream: tokio::net::TcpStream,
    app: Rc<Router<H, S>>,
    host: Rc<H>,
    mut stop: watch::Receiver<bool>,
) {
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let app = app.clone();
        let host = host.clone();
        async move { Ok::<_, std::convert::Infallible>(serve(&app, host, req).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// Serves one request with `router` on `host`: reads the body within the
/// router's limit, runs the router, and turns a panic into a 500 problem
/// (the thread and its other connections keep serving). For your own hyper
/// server; [`Server`] calls it for every request.
pub async fn serve<H, S, B>(
    router: &Router<H, S>,
    host: Rc<H>,
    req: hyper::Request<B>,
) -> hyper::Response<Full<Bytes>>
where
    H: Host,
    S: 'static,
    B: Body + Unpin,
    B::Error: Into<crate::convert::BoxError>,
{
    let req = request_from_hyper(req, router.body_limit()).await;
    let res = AssertUnwindSafe(adapter::respond(router, host, req))
        .catch_unwind()
        .await
        .unwrap_or_else(|_| {
            log::error!(target: "anyedge", "a handler panicked; answered 500");
            adapter::panic_response()
        });
    response_to_hyper(res)
}
