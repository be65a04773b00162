//! Serving one configured route: read the body, call the upstream, run the filters.

use std::cell::OnceCell;
use std::collections::HashSet;
use std::rc::Rc;

use bytes::Bytes;
use http::{Method, StatusCode};
use jaq_json::Val;
use serde_json::Value;

use super::config::ConfigError;
use super::filter::{self, Filter, RunError};
use crate::error::UpstreamFailure;
use crate::{json, upstream, url, Ctx, Error, Host, Request, Response, Result};

/// One piece of an upstream path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// Text copied as is.
    Literal(String),
    /// A route parameter, percent-encoded as one segment.
    Param(String),
}

/// Where a route sends its upstream call.
#[derive(Debug)]
pub(crate) struct Upstream {
    /// Config variable holding the origin's base URL.
    pub(crate) var: String,
    /// Path template.
    pub(crate) path: Vec<Segment>,
    /// Method of the upstream call.
    pub(crate) method: Method,
}

/// A filter's text and, once used, its compiled form (kept for the instance's life).
pub(crate) struct FilterSlot {
    file: String,
    route: String,
    field: &'static str,
    code: String,
    compiled: OnceCell<std::result::Result<Rc<Filter>, ConfigError>>,
}

impl FilterSlot {
    pub(crate) fn new(file: &str, route: &str, field: &'static str, code: String) -> Self {
        FilterSlot {
            file: file.to_owned(),
            route: route.to_owned(),
            field,
            code,
            compiled: OnceCell::new(),
        }
    }

    /// The compiled filter, compiling it on first use.
    pub(crate) fn get(&self) -> std::result::Result<Rc<Filter>, ConfigError> {
        self.compiled
            .get_or_init(|| {
                Filter::compile(&self.code).map(Rc::new).map_err(|e| ConfigError {
                    file: self.file.clone(),
                    route: Some(self.route.clone()),
                    field: Some(self.field.to_owned()),
                    message: format!("line {}, column {}: {}", e.line, e.column, e.message),
                })
            })
            .clone()
    }
}

/// A configured route, ready to serve.
pub(crate) struct RouteSpec {
    pub(crate) name: String,
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) upstream: Option<Upstream>,
    pub(crate) request_filter: Option<FilterSlot>,
    pub(crate) response_filter: Option<FilterSlot>,
}

impl RouteSpec {
    /// Compiles the route's filters now.
    pub(crate) fn compile_all(&self) -> std::result::Result<(), ConfigError> {
        for slot in [&self.request_filter, &self.response_filter].into_iter().flatten() {
            slot.get()?;
        }
        Ok(())
    }
}

/// Whose data a filter ran on: decides between a 4xx and a 5xx.
#[derive(Clone, Copy)]
enum Input {
    /// The caller's body: its errors are the caller's (400/422).
    Request,
    /// The upstream's answer: its errors are the upstream's (502), except
    /// `{field, reason}` errors, which are about the caller's input (422).
    Upstream,
}

fn run(slot: &FilterSlot, route: &str, input: Val, vars: &[Val; 3], side: Input) -> Result<Value> {
    let compiled = slot.get().map_err(|e| Error::Internal(e.to_string()))?;
    compiled.run(input, vars.clone()).map_err(|e| {
        let field = slot.field;
        match e {
            RunError::Raised(Value::Object(o))
                if o.get("field").is_some_and(Value::is_string)
                    && o.get("reason").is_some_and(Value::is_string) =>
            {
                let text = |k: &str| o.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
                Error::validation(text("field"), text("reason"))
            }
            RunError::Raised(value) => {
                let message = match value {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                match side {
                    Input::Request => Error::BadRequest(format!(
                        "route `{route}`: {field} failed on the request body: {message}"
                    )),
                    Input::Upstream => Error::upstream(
                        UpstreamFailure::InvalidBody,
                        format!("route `{route}`: {field} failed on the upstream's answer: {message}"),
                    ),
                }
            }
            RunError::Halted(code) => {
                Error::Internal(format!("route `{route}`: {field} halted with code {code}"))
            }
            RunError::Outputs(n) => Error::Internal(format!(
                "route `{route}`: {field} gave {} values; it must give exactly one (collect several with [...])",
                if n == 0 { "no" } else { "several" }
            )),
            RunError::NotJson(why) => {
                Error::Internal(format!("route `{route}`: {field} output is not JSON: {why}"))
            }
        }
    })
}

/// `$body`: `null` for an empty body, else JSON (415 without a JSON
/// Content-Type, 400 with the position when malformed).
fn body_of(req: &Request) -> Result<Val> {
    if req.body().iter().all(u8::is_ascii_whitespace) {
        return Ok(Val::Null);
    }
    json::check_content_type(req.headers())?;
    json::parse::<Val>(req.body())
}

/// `$query`: every parameter, decoded (`+` is a space); the first of repeated names wins.
fn query_of(req: &Request) -> Result<Val> {
    let pairs = url::query_pairs(req.uri().query().unwrap_or(""))?;
    let mut seen = HashSet::with_capacity(pairs.len());
    let first = pairs.iter().filter(|(k, _)| seen.insert(k.as_str()));
    Ok(filter::object(first.map(|(k, v)| (k.as_str(), v.as_str()))))
}

/// The upstream call of a route: `{base URL}{path}`, each `{param}`
/// encoded as one segment, with `body` as JSON when given.
fn upstream_request<H: Host, S>(
    ctx: &Ctx<H, S>,
    up: &Upstream,
    body: Option<&Value>,
) -> Result<Request> {
    let mut suffix = String::new();
    for segment in &up.path {
        match segment {
            Segment::Literal(text) => suffix.push_str(text),
            Segment::Param(name) => {
                suffix.push_str(&url::encode_segment(ctx.param(name).unwrap_or_default())?)
            }
        }
    }
    let uri = upstream::url(ctx.config(), &up.var, &suffix)?;
    let body = match body {
        Some(v) => Some(Bytes::from(serde_json::to_vec(v).map_err(|e| {
            Error::Internal(format!("could not serialise the upstream body: {e}"))
        })?)),
        None => None,
    };
    upstream::request(ctx.config(), up.method.clone(), uri, body)
}

/// Sends `req` and reads a JSON answer (see [`upstream::fetch`]).
async fn fetch<H: Host, S>(ctx: &Ctx<H, S>, req: Request) -> Result<Val> {
    let res = upstream::fetch(ctx.client(), req).await?;
    filter::from_json_slice(res.body()).map_err(|e| {
        Error::upstream(UpstreamFailure::InvalidBody, format!("upstream body is not JSON: {e}"))
    })
}

/// Serves one request on a configured route.
pub(crate) async fn handle<H: Host, S>(
    spec: Rc<RouteSpec>,
    req: Request,
    ctx: Ctx<H, S>,
) -> Result<Response> {
    let body = body_of(&req)?;
    let params = filter::object(ctx.params().iter());
    let vars = [body.clone(), params, query_of(&req)?];
    let name = spec.name.as_str();
    let value = match &spec.upstream {
        None => match &spec.response_filter {
            Some(slot) => run(slot, name, body, &vars, Input::Request)?,
            None => filter::to_json(&body, 0).map_err(Error::Internal)?,
        },
        Some(up) => {
            let upstream_body = match &spec.request_filter {
                Some(slot) => Some(run(slot, name, body, &vars, Input::Request)?),
                None => None,
            };
            let request = upstream_request(&ctx, up, upstream_body.as_ref())?;
            let answer = fetch(&ctx, request).await?;
            match &spec.response_filter {
                Some(slot) => run(slot, name, answer, &vars, Input::Upstream)?,
                None => filter::to_json(&answer, 0).map_err(Error::Internal)?,
            }
        }
    };
    json::response(StatusCode::OK, &value)
}
