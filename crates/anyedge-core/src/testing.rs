//! Test doubles for apps and hosts (feature `testing`): a [`ScriptedClient`]
//! that records what it was sent and returns programmed answers, a
//! [`CapturingLogger`], a [`MemoryConfig`], and a [`TestHost`] made of them.
//!
//! Each double is a cheap handle over shared state: keep a clone to inspect
//! it after the host that owns the other clone has run.
//!
//! ```
//! use anyedge_core::{testing::*, upstream, Ctx, Host, Logger, Request, Response, Result, Router};
//! use std::rc::Rc;
//!
//! async fn ping<H: Host>(_req: Request, ctx: Ctx<H>) -> Result<Response> {
//!     let uri = upstream::url(ctx.config(), "API_URL", "")?;
//!     let req = upstream::request(ctx.config(), http::Method::GET, uri, None)?;
//!     let res = upstream::fetch(ctx.client(), req).await?;
//!     ctx.logger().info("pinged");
//!     Ok(res)
//! }
//!
//! # futures_executor::block_on(async {
//! let client = ScriptedClient::new().respond_json(200, "{}");
//! let logger = CapturingLogger::new();
//! let host = TestHost::new()
//!     .with_client(client.clone())
//!     .with_logger(logger.clone())
//!     .with_config(MemoryConfig::new().with_var("API_URL", "https://api.test/v1"));
//! let req = http::Request::get("/ping").body(Default::default()).unwrap();
//! let res = Router::new().get("/ping", ping).handle(req, Rc::new(host)).await;
//! assert_eq!(res.status(), 200);
//! assert_eq!(client.requests()[0].uri, "https://api.test/v1");
//! assert_eq!(logger.lines(), ["INFO anyedge: pinged"]);
//! # });
//! ```

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};

use crate::client::{HttpClient, HttpError, HttpErrorKind, Limits};
use crate::config::{Config, Secret};
use crate::host::Host;
use crate::logging::{Level, Logger};
use crate::{Request, Response};

/// A request as the [`ScriptedClient`] received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// Method sent.
    pub method: Method,
    /// Full URI sent.
    pub uri: Uri,
    /// Headers sent.
    pub headers: HeaderMap,
    /// Body sent.
    pub body: Bytes,
    /// Limits the request carried (or the defaults).
    pub limits: Limits,
}

#[derive(Debug, Default)]
struct Script {
    answers: VecDeque<Result<Response, HttpError>>,
    requests: Vec<RecordedRequest>,
}

/// An [`HttpClient`] that answers from a script, in order, and records every
/// request. When the script is used up it answers an [`HttpErrorKind::Other`]
/// error saying so.
#[derive(Clone, Debug, Default)]
pub struct ScriptedClient(Rc<RefCell<Script>>);

impl ScriptedClient {
    /// A client with an empty script.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `res` to the script.
    pub fn respond(self, res: Response) -> Self {
        self.0.borrow_mut().answers.push_back(Ok(res));
        self
    }

    /// Appends a response with `status` and a JSON `body`.
    pub fn respond_json(self, status: u16, body: &str) -> Self {
        let mut res = Response::new(Bytes::copy_from_slice(body.as_bytes()));
        *res.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        self.respond(res)
    }

    /// Appends a transport failure of `kind`.
    pub fn fail(self, kind: HttpErrorKind, message: &str) -> Self {
        self.0.borrow_mut().answers.push_back(Err(HttpError::new(kind, message)));
        self
    }

    /// Every request sent so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.0.borrow().requests.clone()
    }
}

impl HttpClient for ScriptedClient {
    async fn send(&self, req: Request) -> Result<Response, HttpError> {
        let limits = Limits::of(&req);
        let (parts, body) = req.into_parts();
        let mut script = self.0.borrow_mut();
        script.requests.push(RecordedRequest {
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            body,
            limits,
        });
        script.answers.pop_front().unwrap_or_else(|| {
            Err(HttpError::new(HttpErrorKind::Other, "ScriptedClient: no scripted answer left"))
        })
    }
}

/// A [`Logger`] that keeps every line as `LEVEL target: message`.
#[derive(Clone, Debug, Default)]
pub struct CapturingLogger(Rc<RefCell<Vec<String>>>);

impl CapturingLogger {
    /// An empty logger.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every line logged so far.
    pub fn lines(&self) -> Vec<String> {
        self.0.borrow().clone()
    }
}

impl Logger for CapturingLogger {
    fn log(&self, level: Level, target: &str, message: &str) {
        self.0.borrow_mut().push(format!("{level} {target}: {message}"));
    }
}

/// A [`Config`] held in memory.
#[derive(Clone, Default, Debug)]
pub struct MemoryConfig {
    vars: HashMap<String, String>,
    secrets: HashMap<String, Secret>,
}

impl MemoryConfig {
    /// An empty config.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets variable `name`.
    pub fn with_var(mut self, name: &str, value: &str) -> Self {
        self.vars.insert(name.into(), value.into());
        self
    }

    /// Sets secret `name`.
    pub fn with_secret(mut self, name: &str, value: &str) -> Self {
        self.secrets.insert(name.into(), Secret::new(value));
        self
    }
}

impl Config for MemoryConfig {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }
    fn secret(&self, name: &str) -> Option<Secret> {
        self.secrets.get(name).cloned()
    }
}

/// A clock that moves only when told: what [`TestHost::now`] reads.
///
/// ```
/// use anyedge_core::{testing::{ManualClock, TestHost}, Host};
/// use std::time::Duration;
/// let clock = ManualClock::new();
/// let host = TestHost::new().with_clock(clock.clone());
/// clock.advance(Duration::from_millis(12));
/// assert_eq!(host.now(), Duration::from_millis(12));
/// ```
#[derive(Clone, Debug, Default)]
pub struct ManualClock(Rc<Cell<Duration>>);

impl ManualClock {
    /// A clock at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.0.set(self.0.get().saturating_add(by));
    }

    /// The time on the clock.
    pub fn now(&self) -> Duration {
        self.0.get()
    }
}

/// A [`Host`] made of the test doubles; each starts empty. Its clock is a
/// [`ManualClock`]; its random bytes are a fixed, repeatable sequence (not
/// secure: for tests only).
#[derive(Clone, Debug, Default)]
pub struct TestHost {
    client: ScriptedClient,
    logger: CapturingLogger,
    config: MemoryConfig,
    clock: ManualClock,
    random: Rc<Cell<u64>>,
}

impl TestHost {
    /// A host with an empty script, logger and config.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the client.
    pub fn with_client(mut self, client: ScriptedClient) -> Self {
        self.client = client;
        self
    }

    /// Replaces the logger.
    pub fn with_logger(mut self, logger: CapturingLogger) -> Self {
        self.logger = logger;
        self
    }

    /// Replaces the config.
    pub fn with_config(mut self, config: MemoryConfig) -> Self {
        self.config = config;
        self
    }

    /// Replaces the clock.
    pub fn with_clock(mut self, clock: ManualClock) -> Self {
        self.clock = clock;
        self
    }
}

impl Host for TestHost {
    type Client = ScriptedClient;
    type Logger = CapturingLogger;
    type Config = MemoryConfig;
    fn client(&self) -> &ScriptedClient {
        &self.client
    }
    fn logger(&self) -> &CapturingLogger {
        &self.logger
    }
    fn config(&self) -> &MemoryConfig {
        &self.config
    }
    fn now(&self) -> Duration {
        self.clock.now()
    }
    fn fill_random(&self, buf: &mut [u8]) {
        // splitmix64: repeatable, and different on every call.
        for chunk in buf.chunks_mut(8) {
            let mut z = self.random.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
            self.random.set(z);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
    }
}
