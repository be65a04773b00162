//! The reference app: the seed's greet logic, written once for every host.
//!
//! - `GET /health` answers `{"status":"ok"}`.
//! - `POST /greet` with `{"name": "Ada"}` validates the name, calls the
//!   upstream at config `API_URL` (with `Authorization: Bearer` from secret
//!   `API_TOKEN` when set), logs a line, and answers
//!   `{"message": "Hello, Ada!", "upstream": <the upstream's JSON>}`.
//! - `GET /items/{id}` fetches `{ITEMS_URL}/{id}` (the id percent-encoded as
//!   one path segment; only the `fields` query parameter is passed on) and
//!   answers `{"id": <id>, "item": <the upstream's JSON>}`.
//! - `GET /items/featured` answers the featured ids held in the app state
//!   ([`AppState`]); it wins over `/items/{id}`.
//! - `GET /admin/status`, only with `Authorization: Bearer <ADMIN_TOKEN>`
//!   (401 without it, 403 with another token): the app's name, version and
//!   routes from the app state, and which config variables are set (never
//!   their values).
//! - With feature `transform` (default), the jq transform routes of
//!   [`ROUTES_FILE`] (`anyedge.toml`, config `DATA_URL`).
//!
//! Every route, and the 404s and 405s, goes through three middleware:
//! [`Cors`] (origins from config `CORS_ORIGINS`), [`RequestId`]
//! (`X-Request-Id` kept or generated, sent upstream, in log lines) and
//! [`Timing`] (`Server-Timing`, one log line per request).
//!
//! Config: `API_URL` (required for `/greet`), `ITEMS_URL` (required for
//! `/items`), `UPSTREAM_TIMEOUT_MS` (default 5000), `CORS_ORIGINS` (the
//! origins browsers may call from, comma-separated; unset: none), secret
//! `API_TOKEN` (optional, sent to `API_URL` only), secret `ADMIN_TOKEN`
//! (unset: `/admin/status` answers 500 naming it).
//!
//! With feature `test-routes`, [`app`] also serves routes that only tests
//! need: `GET /__test/panic` panics, and `GET /__test/fetch/{var}` fetches the
//! URL in config variable `{var}` (which must end in `_URL`).
//!
//! The binaries: `anyedge-reference` (native, what root `cargo run` serves)
//! and `anyedge-reference-fastly` (Fastly Compute); the Worker is `./worker`.

use http::{header, HeaderValue, Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use anyedge_core::middleware::{with, BearerAuth, Cors, RequestId, Timing};
use anyedge_core::{
    json, upstream, url, Config, Ctx, Error, Host, Json, Logger, Request, Response, Result, Router,
};

/// Longest accepted name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// The transform routes file, built into the app.
#[cfg(feature = "transform")]
pub const ROUTES_FILE: &str = include_str!("../anyedge.toml");

/// The parsed transform routes of [`ROUTES_FILE`].
#[cfg(feature = "transform")]
pub fn transform_routes(
) -> Result<anyedge_core::transform::Routes, anyedge_core::transform::ConfigError> {
    anyedge_core::transform::Routes::from_toml("anyedge.toml", ROUTES_FILE)
}

/// Body of `POST /greet`. Unknown fields are rejected (400), so a typo in a
/// field name is reported instead of ignored.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GreetRequest {
    /// Who to greet: 1 to [`MAX_NAME_CHARS`] characters, no control characters.
    pub name: String,
}

/// Answer of `POST /greet`.
#[derive(Debug, Clone, Serialize)]
pub struct GreetResponse {
    /// `Hello, <name>!`
    pub message: String,
    /// The upstream's JSON answer, as received.
    pub upstream: Value,
}

/// The reference app's routes.
///
/// ```
/// use anyedge_core::testing::{MemoryConfig, ScriptedClient, TestHost};
/// use std::rc::Rc;
/// # futures_executor::block_on(async {
/// let host = TestHost::new()
///     .with_config(MemoryConfig::new().with_var("API_URL", "http://upstream.test/hello"))
///     .with_client(ScriptedClient::new().respond_json(200, r#"{"greeting":"hi"}"#));
/// let req = http::Request::post("/greet").header("content-type", "application/json")
///     .body(r#"{"name":"Ada"}"#.into()).unwrap();
/// let res = anyedge_reference::app().handle(req, Rc::new(host)).await;
/// assert_eq!(res.status(), 200);
/// assert_eq!(res.body().as_ref(), br#"{"message":"Hello, Ada!","upstream":{"greeting":"hi"}}"#);
/// # });
/// ```
pub fn app<H: Host>() -> Router<H, AppState> {
    let router = Router::with_state(AppState::new())
        .layer(Cors::from_config("CORS_ORIGINS"))
        .layer(RequestId::new())
        .layer(Timing::new())
        .get("/health", health)
        .post("/greet", greet)
        .get("/items/{id}", item)
        .get("/items/featured", featured)
        .get("/admin/status", with(BearerAuth::secret("ADMIN_TOKEN"), admin_status));
    #[cfg(feature = "test-routes")]
    let router = router
        .get("/__test/panic", test_routes::panic)
        .get("/__test/fetch/{var}", test_routes::fetch);
    // A broken routes file is reported by the test that checks it, and here only logged.
    #[cfg(feature = "transform")]
    let router = match transform_routes() {
        Ok(routes) => routes.install(router),
        Err(e) => {
            log::error!(target: "anyedge", "transform routes not installed: {e}");
            router
        }
    };
    router
}

/// The reference app's state, built once with the router and read by
/// handlers through [`Ctx::state`].
#[derive(Debug, Clone, Serialize)]
pub struct AppState {
    /// The app's name.
    pub app: &'static str,
    /// The app's version.
    pub version: &'static str,
    /// The Rust routes, `METHOD /path`.
    pub routes: Vec<&'static str>,
    /// The ids `GET /items/featured` lists.
    pub featured: Vec<&'static str>,
}

impl AppState {
    /// The state of this build.
    pub fn new() -> Self {
        AppState {
            app: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
            routes: vec![
                "GET /health",
                "POST /greet",
                "GET /items/{id}",
                "GET /items/featured",
                "GET /admin/status",
            ],
            featured: vec!["1", "2", "3"],
        }
    }
}

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}

/// The config variables `/admin/status` reports as set or not.
const REPORTED_VARS: [&str; 5] =
    ["API_URL", "ITEMS_URL", "DATA_URL", "CORS_ORIGINS", "UPSTREAM_TIMEOUT_MS"];

/// `GET /admin/status` (behind [`BearerAuth`] on secret `ADMIN_TOKEN`).
pub async fn admin_status<H: Host>(_req: Request, ctx: Ctx<H, AppState>) -> Json<Value> {
    let config: serde_json::Map<String, Value> = REPORTED_VARS
        .iter()
        .map(|name| ((*name).to_owned(), ctx.config().var(name).is_some().into()))
        .collect();
    Json(serde_json::json!({ "state": ctx.state(), "config_set": config }))
}

/// `GET /items/featured`: the featured ids from the app state. Added after
/// `/items/{id}`, and still matched first: static segments beat parameters.
pub async fn featured<H: Host>(_req: Request, ctx: Ctx<H, AppState>) -> Json<Value> {
    Json(serde_json::json!({ "featured": ctx.state().featured }))
}

/// `GET /health`.
pub async fn health<H: Host, S>(_req: Request, _ctx: Ctx<H, S>) -> Result<Response> {
    json::response(StatusCode::OK, &serde_json::json!({ "status": "ok" }))
}

/// `POST /greet`.
pub async fn greet<H: Host, S>(req: Request, ctx: Ctx<H, S>) -> Result<Response> {
    let input: GreetRequest = json::read(&req)?;
    let name = validate_name(&input.name)?;
    let uri = upstream::url(ctx.config(), "API_URL", "")?;
    let mut call = upstream::request(ctx.config(), Method::GET, uri, None)?;
    if let Some(token) = ctx.config().secret("API_TOKEN") {
        let value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
            .map_err(|_| upstream::invalid_config("API_TOKEN", "not a valid header value"))?;
        call.headers_mut().insert(header::AUTHORIZATION, value);
    }
    let (status, upstream) = upstream::fetch_json::<Value>(ctx.client(), call).await?;
    ctx.logger().info(&format!(
        "greet: name of {} chars, upstream answered {}",
        name.chars().count(),
        status.as_u16()
    ));
    json::response(StatusCode::OK, &GreetResponse { message: format!("Hello, {name}!"), upstream })
}

/// `GET /items/{id}`.
pub async fn item<H: Host, S>(req: Request, ctx: Ctx<H, S>) -> Result<Response> {
    let id = ctx.param("id").unwrap_or_default().to_owned();
    let mut suffix = format!("/{}", url::encode_segment(&id)?);
    if let Some(fields) = url::query_param(req.uri().query().unwrap_or(""), "fields")? {
        suffix.push_str("?fields=");
        suffix.push_str(&url::encode_query_value(&fields));
    }
    let uri = upstream::url(ctx.config(), "ITEMS_URL", &suffix)?;
    let call = upstream::request(ctx.config(), Method::GET, uri, None)?;
    let (_, item) = upstream::fetch_json::<Value>(ctx.client(), call).await?;
    json::response(StatusCode::OK, &serde_json::json!({ "id": id, "item": item }))
}

/// Trims `name` and checks it: not empty, at most [`MAX_NAME_CHARS`], no control characters.
pub fn validate_name(name: &str) -> Result<&str> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::validation("name", "must not be empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::validation(
            "name",
            format!("must be at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::validation("name", "must not contain control characters"));
    }
    Ok(name)
}

#[cfg(feature = "test-routes")]
mod test_routes {
    use super::*;

    /// `GET /__test/panic`: panics, to test each host's panic handling.
    #[expect(clippy::panic, reason = "the point of the route")]
    pub(super) async fn panic<H: Host, S>(_req: Request, _ctx: Ctx<H, S>) -> Result<Response> {
        panic!("test route /__test/panic panicked on purpose")
    }

    /// `GET /__test/fetch/{var}`: fetches the URL in config variable `var`.
    pub(super) async fn fetch<H: Host, S>(_req: Request, ctx: Ctx<H, S>) -> Result<Response> {
        let var = ctx.param("var").unwrap_or_default();
        if !var.ends_with("_URL") {
            return Err(Error::BadRequest(format!("`{var}` does not end in _URL")));
        }
        let uri = upstream::url(ctx.config(), var, "")?;
        let call = upstream::request(ctx.config(), Method::GET, uri, None)?;
        let (_, body) = upstream::fetch_json::<Value>(ctx.client(), call).await?;
        json::response(StatusCode::OK, &body)
    }
}
