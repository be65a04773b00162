//! Middleware: code that wraps handlers, before and after them, and may
//! answer early.
//!
//! A [`Middleware`] gets the request, the [`Ctx`] and [`Next`], the rest of
//! the chain; it calls `next.run(req, ctx)` to go on (or not, to answer
//! itself) and may change the response it gets back. Add one to a whole
//! router with [`Router::layer`](crate::Router::layer) (it then also sees
//! the 404s, 405s and `OPTIONS` the router answers), or to one route with
//! [`with`]. Layers run in the order they are added: the first added is the
//! outermost.
//!
//! Built in: [`Cors`], [`RequestId`], [`Timing`], [`BearerAuth`] and
//! [`ApiKey`], [`SecurityHeaders`]. Your own, from an async closure:
//!
//! ```
//! use anyedge_core::middleware::{from_fn, Next};
//! use anyedge_core::{testing::TestHost, Ctx, Request, Response, Router};
//! use std::rc::Rc;
//!
//! let app = Router::<TestHost>::new()
//!     .layer(from_fn(async |req: Request, ctx: Ctx<TestHost>, next: Next<'_, TestHost>| {
//!         let mut res: Response = next.run(req, ctx).await;
//!         res.headers_mut().insert("x-powered-by", http::HeaderValue::from_static("anyedge"));
//!         res
//!     }));
//! # futures_executor::block_on(async {
//! let res = app.handle(http::Request::get("/nope").body(Default::default()).unwrap(), Rc::new(TestHost::new())).await;
//! assert_eq!(res.status(), 404);
//! assert_eq!(res.headers()["x-powered-by"], "anyedge");
//! # });
//! ```

mod auth;
mod cors;
mod request_id;
mod security;
mod timing;

use std::fmt;
use std::future::Future;
use std::pin::Pin;

pub use auth::{ApiKey, BearerAuth};
pub use cors::Cors;
pub use request_id::{RequestId, REQUEST_ID};
pub use security::SecurityHeaders;
pub use timing::Timing;

use crate::router::{Handler, Router};
use crate::{Ctx, Host, Request, Response};

/// A boxed future that need not be `Send` (wasm is single-threaded).
pub type LocalBoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Code that wraps a handler: see the [module docs](self).
pub trait Middleware<H, S = ()>: 'static {
    /// Handles `req`, calling `next.run(req, ctx)` to go on.
    fn call<'a>(
        &'a self,
        req: Request,
        ctx: Ctx<H, S>,
        next: Next<'a, H, S>,
    ) -> LocalBoxFuture<'a, Response>;
}

/// The rest of the chain: the layers after this one, then the handler.
pub struct Next<'a, H, S = ()> {
    layers: &'a [Box<dyn Middleware<H, S>>],
    endpoint: Endpoint<'a, H, S>,
}

/// What the chain ends in: the router's dispatch, or one route's handler.
enum Endpoint<'a, H, S> {
    Router(&'a Router<H, S>),
    Handler(&'a dyn Handler<H, S>),
}

impl<H, S> Clone for Endpoint<'_, H, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<H, S> Copy for Endpoint<'_, H, S> {}

impl<'a, H: Host, S: 'static> Next<'a, H, S> {
    /// The chain of `layers` around the router's dispatch.
    pub(crate) fn new(layers: &'a [Box<dyn Middleware<H, S>>], router: &'a Router<H, S>) -> Self {
        Next { layers, endpoint: Endpoint::Router(router) }
    }

    /// Runs the rest of the chain for `req`.
    pub fn run(self, req: Request, ctx: Ctx<H, S>) -> LocalBoxFuture<'a, Response> {
        match self.layers.split_first() {
            Some((first, rest)) => {
                first.call(req, ctx, Next { layers: rest, endpoint: self.endpoint })
            }
            None => match self.endpoint {
                Endpoint::Router(router) => router.dispatch(req, ctx),
                Endpoint::Handler(handler) => handler.call(req, ctx),
            },
        }
    }
}

impl<H, S> fmt::Debug for Next<'_, H, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Next").field("layers", &self.layers.len()).finish_non_exhaustive()
    }
}

/// A [`Middleware`] from an async closure `async |req, ctx, next| -> Response`.
pub fn from_fn<F>(f: F) -> FromFn<F> {
    FromFn(f)
}

/// The middleware [`from_fn`] makes.
#[derive(Clone, Copy)]
pub struct FromFn<F>(F);

impl<F> fmt::Debug for FromFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FromFn")
    }
}

impl<H, S, F> Middleware<H, S> for FromFn<F>
where
    H: Host,
    S: 'static,
    F: for<'a> AsyncFn(Request, Ctx<H, S>, Next<'a, H, S>) -> Response + 'static,
{
    fn call<'a>(
        &'a self,
        req: Request,
        ctx: Ctx<H, S>,
        next: Next<'a, H, S>,
    ) -> LocalBoxFuture<'a, Response> {
        Box::pin((self.0)(req, ctx, next))
    }
}

/// `handler` wrapped in `middleware`, for one route:
/// `.post("/admin/reload", with(BearerAuth::secret("ADMIN_TOKEN"), reload))`.
pub fn with<M, T>(middleware: M, handler: T) -> Layered<M, T> {
    Layered { middleware, handler }
}

/// A handler wrapped in a middleware ([`with`]).
#[derive(Debug, Clone)]
pub struct Layered<M, T> {
    middleware: M,
    handler: T,
}

impl<H, S, M, T> Handler<H, S> for Layered<M, T>
where
    H: Host,
    S: 'static,
    M: Middleware<H, S>,
    T: Handler<H, S>,
{
    fn call<'a>(&'a self, req: Request, ctx: Ctx<H, S>) -> LocalBoxFuture<'a, Response> {
        let next = Next { layers: &[], endpoint: Endpoint::Handler(&self.handler) };
        self.middleware.call(req, ctx, next)
    }
}
