//! A small router: methods, path parameters, 404, 405 with `Allow`, and
//! HEAD and OPTIONS answered for every route.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use bytes::Bytes;
use http::{header, HeaderValue, Method, StatusCode};

use crate::host::{Ctx, Host};
use crate::{Error, Request, Response, Result};

/// Largest request body hosts read by default: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

type LocalBoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;
type BoxedHandler<H> = Box<dyn Fn(Request, Ctx<H>) -> LocalBoxFuture<Result<Response>>>;

/// A request handler: any `async fn(Request, Ctx<H>) -> Result<Response>`
/// (or closure returning such a future).
pub trait Handler<H>: 'static {
    /// The future the handler returns.
    type Future: Future<Output = Result<Response>> + 'static;
    /// Handles one request.
    fn call(&self, req: Request, ctx: Ctx<H>) -> Self::Future;
}

impl<H, F, Fut> Handler<H> for F
where
    F: Fn(Request, Ctx<H>) -> Fut + 'static,
    Fut: Future<Output = Result<Response>> + 'static,
{
    type Future = Fut;
    fn call(&self, req: Request, ctx: Ctx<H>) -> Fut {
        self(req, ctx)
    }
}

/// Path parameters of a matched route, percent-decoded, in pattern order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(Rc<str>, String)>);

impl Params {
    /// The value of parameter `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| &**k == name)
            .map(|(_, v)| v.as_str())
    }

    /// All `(name, value)` pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (&**k, v.as_str()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(Rc<str>),
    Rest(Rc<str>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern(Vec<Segment>);

impl Pattern {
    /// Parses `/users/{id}/files/{*path}`. Panics on a malformed pattern: routes
    /// are built at start-up, so a typo fails the first test, not a request.
    fn parse(path: &str) -> Pattern {
        assert!(
            path.starts_with('/'),
            "route path `{path}` must start with `/`"
        );
        let parts: Vec<&str> = path[1..].split('/').collect();
        let last = parts.len().saturating_sub(1);
        let segments = parts
            .iter()
            .enumerate()
            .map(
                |(i, part)| match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    Some(name) if name.starts_with('*') => {
                        assert!(
                            i == last,
                            "`{{{name}}}` must be the last segment of `{path}`"
                        );
                        Segment::Rest(name[1..].into())
                    }
                    Some(name) => {
                        assert!(!name.is_empty(), "empty parameter name in `{path}`");
                        Segment::Param(name.into())
                    }
                    None => Segment::Literal((*part).to_owned()),
                },
            )
            .collect();
        Pattern(segments)
    }

    /// `Some(params)` when `path` matches; `Err` when it matches but a
    /// parameter is not valid percent-encoded UTF-8.
    fn matches(&self, path: &str) -> Option<Result<Params>> {
        let rest = path.strip_prefix('/')?;
        let mut parts = rest.split('/');
        let mut params = Vec::new();
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Segment::Literal(lit) => {
                    if parts.next()? != lit {
                        return None;
                    }
                }
                Segment::Param(name) => {
                    let raw = parts.next()?;
                    if raw.is_empty() {
                        return None;
                    }
                    params.push((name.clone(), raw));
                }
                Segment::Rest(name) => {
                    // Everything after the preceding segments, slashes included.
                    let skip: usize = self.0[..i]
                        .iter()
                        .zip(rest.split('/'))
                        .map(|(_, p)| p.len() + 1)
                        .sum();
                    let tail = rest.get(skip..).unwrap_or("");
                    params.push((name.clone(), tail));
                    return Some(decode_params(params));
                }
            }
        }
        if parts.next().is_some() {
            return None;
        }
        Some(decode_params(params))
    }
}

fn decode_params(raw: Vec<(Rc<str>, &str)>) -> Result<Params> {
    raw.into_iter()
        .map(|(k, v)| {
            let value = percent_decode(v).ok_or_else(|| {
                Error::BadRequest(format!(
                    "path parameter `{k}` is not valid percent-encoded UTF-8"
                ))
            })?;
            Ok((k, value))
        })
        .collect::<Result<Vec<_>>>()
        .map(Params)
}

/// Decodes `%XX` escapes; `None` for a bad escape or invalid UTF-8.
pub(crate) fn percent_decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return Some(s.to_owned());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hi = (hex[0] as char).to_digit(16)?;
            let lo = (hex[1] as char).to_digit(16)?;
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

struct Route<H> {
    pattern: Pattern,
    methods: Vec<(Method, BoxedHandler<H>)>,
}

impl<H> Route<H> {
    fn allow(&self) -> Vec<Method> {
        let mut allow: Vec<Method> = self.methods.iter().map(|(m, _)| m.clone()).collect();
        if allow.contains(&Method::GET) && !allow.contains(&Method::HEAD) {
            allow.push(Method::HEAD);
        }
        if !allow.contains(&Method::OPTIONS) {
            allow.push(Method::OPTIONS);
        }
        allow
    }
}

/// Routes requests to handlers by method and path.
///
/// Unknown paths get a 404 problem, known paths with another method a 405
/// with `Allow`. `HEAD` runs the `GET` handler without the body; `OPTIONS`
/// answers 204 with `Allow`. Errors from handlers become problem+json
/// responses, so [`Router::handle`] always returns a response.
///
/// ```
/// use anyedge_core::{json, router::Router, testing::TestHost, Ctx, Request, Result, Response};
/// use std::rc::Rc;
///
/// async fn hello(_req: Request, ctx: Ctx<TestHost>) -> Result<Response> {
///     let name = ctx.param("name").unwrap_or("world");
///     json::response(http::StatusCode::OK, &serde_json::json!({ "hello": name }))
/// }
///
/// let router = Router::new().get("/hello/{name}", hello);
/// # futures_executor::block_on(async {
/// let req = http::Request::get("/hello/Ada").body(Default::default()).unwrap();
/// let res = router.handle(req, Rc::new(TestHost::new())).await;
/// assert_eq!(res.body().as_ref(), br#"{"hello":"Ada"}"#);
/// # });
/// ```
pub struct Router<H> {
    routes: Vec<Route<H>>,
    max_body_bytes: usize,
}

impl<H: Host> Default for Router<H> {
    fn default() -> Self {
        Self::new()
    }
}

impl<H: Host> Router<H> {
    /// An empty router.
    pub fn new() -> Self {
        Router {
            routes: Vec::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }

    /// Adds `handler` for `method` on `path`. Paths are literal segments,
    /// `{name}` parameters and a trailing `{*rest}` catch-all.
    ///
    /// # Panics
    /// On a malformed path or a method registered twice for the same path:
    /// both are programming errors caught when the router is built.
    pub fn route(mut self, method: Method, path: &str, handler: impl Handler<H>) -> Self {
        let pattern = Pattern::parse(path);
        let boxed: BoxedHandler<H> = Box::new(move |req, ctx| Box::pin(handler.call(req, ctx)));
        match self.routes.iter_mut().find(|r| r.pattern == pattern) {
            Some(route) => {
                assert!(
                    !route.methods.iter().any(|(m, _)| *m == method),
                    "{method} {path} is registered twice"
                );
                route.methods.push((method, boxed));
            }
            None => self.routes.push(Route {
                pattern,
                methods: vec![(method, boxed)],
            }),
        }
        self
    }

    /// Adds a `GET` route (which also answers `HEAD`).
    pub fn get(self, path: &str, handler: impl Handler<H>) -> Self {
        self.route(Method::GET, path, handler)
    }

    /// Adds a `POST` route.
    pub fn post(self, path: &str, handler: impl Handler<H>) -> Self {
        self.route(Method::POST, path, handler)
    }

    /// Adds a `PUT` route.
    pub fn put(self, path: &str, handler: impl Handler<H>) -> Self {
        self.route(Method::PUT, path, handler)
    }

    /// Adds a `DELETE` route.
    pub fn delete(self, path: &str, handler: impl Handler<H>) -> Self {
        self.route(Method::DELETE, path, handler)
    }

    /// Sets the largest request body hosts read before answering 413
    /// (default [`DEFAULT_MAX_BODY_BYTES`]).
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// The largest request body hosts should read. For host adapters: read
    /// at most this much and answer [`Error::PayloadTooLarge`] beyond it.
    pub fn body_limit(&self) -> usize {
        self.max_body_bytes
    }

    /// Handles one request; errors become problem+json responses. Host
    /// adapters call it once per request; tests call it with a
    /// [`TestHost`](crate::testing::TestHost) (feature `testing`).
    pub async fn handle(&self, req: Request, host: Rc<H>) -> Response {
        let is_head = req.method() == Method::HEAD;
        let mut res = match self.dispatch(req, host).await {
            Ok(res) => res,
            Err(err) => {
                if err.status().is_server_error() {
                    log::error!(target: "anyedge", "{} {}", err.status().as_u16(), err);
                }
                err.to_response()
            }
        };
        if is_head {
            *res.body_mut() = Bytes::new();
        }
        res
    }

    async fn dispatch(&self, req: Request, host: Rc<H>) -> Result<Response> {
        if req.body().len() > self.max_body_bytes {
            return Err(Error::PayloadTooLarge {
                limit: self.max_body_bytes,
            });
        }
        let path = req.uri().path();
        let mut found = None;
        for route in &self.routes {
            if let Some(params) = route.pattern.matches(path) {
                found = Some((route, params?));
                break;
            }
        }
        let Some((route, params)) = found else {
            return Err(Error::NotFound {
                path: path.to_owned(),
            });
        };
        let method = req.method().clone();
        let lookup = if method == Method::HEAD {
            &Method::GET
        } else {
            &method
        };
        if let Some((_, handler)) = route.methods.iter().find(|(m, _)| m == lookup) {
            return handler(req, Ctx::new(host, params)).await;
        }
        let allow = route.allow();
        if method == Method::OPTIONS {
            let value = allow
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            let mut res = Response::new(Bytes::new());
            *res.status_mut() = StatusCode::NO_CONTENT;
            if let Ok(v) = HeaderValue::from_str(&value) {
                res.headers_mut().insert(header::ALLOW, v);
            }
            return Ok(res);
        }
        Err(Error::MethodNotAllowed { method, allow })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pattern: &str, path: &str) -> Option<Vec<(String, String)>> {
        Pattern::parse(pattern).matches(path).map(|r| {
            r.map(|p| p.iter().map(|(k, v)| (k.into(), v.into())).collect())
                .unwrap_or_default()
        })
    }

    #[test]
    fn matches_literals_params_and_rest() {
        assert_eq!(params("/health", "/health"), Some(vec![]));
        assert_eq!(params("/health", "/health/"), None);
        assert_eq!(params("/health", "/healthz"), None);
        assert_eq!(
            params("/users/{id}", "/users/a%2Fb"),
            Some(vec![("id".into(), "a/b".into())])
        );
        assert_eq!(params("/users/{id}", "/users/"), None);
        assert_eq!(
            params("/files/{*path}", "/files/a/b/c"),
            Some(vec![("path".into(), "a/b/c".into())])
        );
        assert_eq!(params("/", "/"), Some(vec![]));
    }

    #[test]
    fn bad_percent_encoding_is_an_error() {
        assert!(matches!(
            Pattern::parse("/u/{id}").matches("/u/%ff"),
            Some(Err(Error::BadRequest(_)))
        ));
        assert!(matches!(
            Pattern::parse("/u/{id}").matches("/u/%zz"),
            Some(Err(_))
        ));
    }
}
