//! What a host provides ([`Host`]), and what a handler gets ([`Ctx`]).

use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use http::HeaderValue;

use crate::client::{HttpClient, HttpError};
use crate::config::Config;
use crate::logging::{Level, Logger};
use crate::middleware::REQUEST_ID;
use crate::router::Params;
use crate::{Request, Response};

/// The services of one runtime: outbound HTTP, logging, configuration, a
/// clock and a random source.
///
/// Each adapter implements it once (`NativeHost`, `CloudflareHost`,
/// `FastlyHost`); [`crate::testing::TestHost`] implements it with test doubles.
/// Apps are generic over it, so the same code runs on every host with static
/// dispatch.
pub trait Host: 'static {
    /// Outbound HTTP.
    type Client: HttpClient;
    /// The log sink.
    type Logger: Logger;
    /// Variables and secrets.
    type Config: Config;

    /// Outbound HTTP.
    fn client(&self) -> &Self::Client;
    /// The log sink.
    fn logger(&self) -> &Self::Logger;
    /// Variables and secrets.
    fn config(&self) -> &Self::Config;
    /// Time since an arbitrary fixed point, for measuring durations (on
    /// Workers it only moves across I/O).
    fn now(&self) -> Duration;
    /// Fills `buf` with random bytes from the runtime's secure source.
    fn fill_random(&self, buf: &mut [u8]);
}

/// What a handler gets beside the request: the host's services, the app
/// state `S`, the route's path parameters and the request id. Cheap to clone.
pub struct Ctx<H, S = ()> {
    host: Rc<H>,
    state: Rc<S>,
    params: Params,
    request_id: Option<Rc<str>>,
}

impl<H, S> fmt::Debug for Ctx<H, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ctx")
            .field("params", &self.params)
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

impl<H, S> Clone for Ctx<H, S> {
    fn clone(&self) -> Self {
        Ctx {
            host: Rc::clone(&self.host),
            state: Rc::clone(&self.state),
            params: self.params.clone(),
            request_id: self.request_id.clone(),
        }
    }
}

impl<H: Host, S> Ctx<H, S> {
    /// A context over `host` and `state` with the given path parameters. For
    /// host adapters and tests: the router builds the context a handler gets.
    pub fn new(host: Rc<H>, state: Rc<S>, params: Params) -> Self {
        Ctx { host, state, params, request_id: None }
    }

    /// This context with the path parameters of the matched route.
    pub(crate) fn with_params(mut self, params: Params) -> Self {
        self.params = params;
        self
    }

    /// This context with request id `id`: sent on upstream calls made
    /// through [`Ctx::client`] and put in lines logged through
    /// [`Ctx::logger`]. Set by [`RequestId`](crate::middleware::RequestId).
    pub fn with_request_id(mut self, id: &str) -> Self {
        self.request_id = Some(Rc::from(id));
        self
    }

    /// The host.
    pub fn host(&self) -> &H {
        &self.host
    }

    /// The app state given to [`Router::with_state`](crate::Router::with_state).
    pub fn state(&self) -> &S {
        &self.state
    }

    /// Outbound HTTP; each request carries `X-Request-Id` when the request
    /// has an id.
    pub fn client(&self) -> RequestClient<'_, H::Client> {
        RequestClient { inner: self.host.client(), request_id: self.request_id.as_deref() }
    }

    /// The log sink; each line starts with `[<request id>] ` when the
    /// request has an id.
    pub fn logger(&self) -> RequestLogger<'_, H::Logger> {
        RequestLogger { inner: self.host.logger(), request_id: self.request_id.as_deref() }
    }

    /// Variables and secrets.
    pub fn config(&self) -> &H::Config {
        self.host.config()
    }

    /// The path parameter `name` of the matched route, percent-decoded.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name)
    }

    /// All path parameters of the matched route.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The request id, when [`RequestId`](crate::middleware::RequestId) set one.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }
}

/// The host's [`HttpClient`] seen from one request: adds `X-Request-Id`
/// (unless the request sets its own) when the request has an id.
#[derive(Debug, Clone, Copy)]
pub struct RequestClient<'a, C> {
    inner: &'a C,
    request_id: Option<&'a str>,
}

impl<C: HttpClient> HttpClient for RequestClient<'_, C> {
    async fn send(&self, mut req: Request) -> Result<Response, HttpError> {
        if let Some(id) = self.request_id.and_then(|id| HeaderValue::from_str(id).ok()) {
            req.headers_mut().entry(REQUEST_ID).or_insert(id);
        }
        self.inner.send(req).await
    }
}

/// The host's [`Logger`] seen from one request: lines start with
/// `[<request id>] ` when the request has an id.
#[derive(Debug, Clone, Copy)]
pub struct RequestLogger<'a, L> {
    inner: &'a L,
    request_id: Option<&'a str>,
}

impl<L: Logger> Logger for RequestLogger<'_, L> {
    fn log(&self, level: Level, target: &str, message: &str) {
        match self.request_id {
            Some(id) => self.inner.log(level, target, &format!("[{id}] {message}")),
            None => self.inner.log(level, target, message),
        }
    }
}
