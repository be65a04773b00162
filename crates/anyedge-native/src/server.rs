//! The HTTP/1.1 server: one current-thread tokio runtime per core, each with
//! its own app and host (handlers need not be `Send`), all accepting on one
//! listening socket, with graceful shutdown.

use std::cell::Cell;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use anyedge_core::logging::{self, LevelFilter};
use anyedge_core::{Error, Request, Response, Router};
use bytes::{Buf, Bytes};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::sync::watch;

use crate::{NativeHost, StderrLogger};

/// How long in-flight requests may run after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Options for [`Server::bind`] and [`crate::run`].
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
            log_level: std::env::var("LOG_LEVEL")
                .ok()
                .and_then(|l| logging::parse_level(&l))
                .unwrap_or(LevelFilter::Info),
        }
    }
}

/// A bound server; [`Server::run`] serves until Ctrl-C or SIGTERM (or until
/// the future given to [`Server::run_until`] completes).
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
    pub fn run<F, H>(self, make_app: F, make_host: H) -> std::io::Result<()>
    where
        F: Fn() -> Router<NativeHost> + Send + Sync + 'static,
        H: Fn() -> NativeHost + Send + Sync + 'static,
    {
        self.run_until(make_app, make_host, shutdown_signal())
    }

    /// Serves until `stop` completes, then drains in-flight requests.
    pub fn run_until<F, H, S>(self, make_app: F, make_host: H, stop: S) -> std::io::Result<()>
    where
        F: Fn() -> Router<NativeHost> + Send + Sync + 'static,
        H: Fn() -> NativeHost + Send + Sync + 'static,
        S: Future<Output = ()>,
    {
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
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
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

fn worker(
    listener: std::net::TcpListener,
    make_app: &(dyn Fn() -> Router<NativeHost> + Send + Sync),
    make_host: &(dyn Fn() -> NativeHost + Send + Sync),
    mut stop: watch::Receiver<bool>,
    level: LevelFilter,
) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    logging::install(StderrLogger, level);
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

async fn serve_connection(
    stream: tokio::net::TcpStream,
    app: Rc<Router<NativeHost>>,
    host: Rc<NativeHost>,
    mut stop: watch::Receiver<bool>,
) {
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let app = app.clone();
        let host = host.clone();
        async move {
            let res = handle(&app, host, req).await;
            Ok::<_, std::convert::Infallible>(res.map(Full::new))
        }
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

/// Reads the body within the app's limit, runs the app, and turns a panic
/// into a 500 problem (the thread and its other connections keep serving).
async fn handle(
    app: &Router<NativeHost>,
    host: Rc<NativeHost>,
    req: hyper::Request<Incoming>,
) -> Response {
    let limit = app.body_limit();
    let (parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large(body, limit).await;
    }
    let mut body = std::pin::pin!(body);
    let mut buf = Vec::new();
    let body = loop {
        match body.as_mut().frame().await {
            None => break Bytes::from(buf),
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    if buf.len() + data.len() > limit {
                        return too_large(body, limit).await;
                    }
                    buf.extend_from_slice(&data);
                }
            }
            Some(Err(e)) => {
                return Error::BadRequest(format!("could not read the request body: {e}"))
                    .to_response();
            }
        }
    };
    let req = Request::from_parts(parts, body);
    match CatchUnwind(Box::pin(app.handle(req, host))).await {
        Ok(res) => res,
        Err(()) => {
            log::error!(target: "anyedge", "a handler panicked; answered 500");
            Error::Internal("the handler panicked".into()).to_response()
        }
    }
}

/// Largest oversized upload read (and discarded) before answering 413, so
/// that clients which write the whole body before reading get the answer
/// instead of a broken pipe. Past it, the 413 is sent and the connection closed.
const DRAIN_LIMIT: usize = 16 * 1024 * 1024;

/// Drains up to [`DRAIN_LIMIT`] of `body`, then answers 413.
async fn too_large<B>(body: B, limit: usize) -> Response
where
    B: hyper::body::Body,
{
    let mut body = std::pin::pin!(body);
    let mut drained = 0usize;
    while drained <= DRAIN_LIMIT {
        match body.as_mut().frame().await {
            Some(Ok(frame)) => {
                drained += frame.data_ref().map_or(0, |d| d.remaining());
            }
            _ => break,
        }
    }
    Error::PayloadTooLarge { limit }.to_response()
}

/// Polls a boxed future, turning a panic into `Err(())`.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, ()>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let fut = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(Err(())),
        }
    }
}
