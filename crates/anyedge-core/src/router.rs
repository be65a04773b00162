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
        self.0.iter().find(|(k, _)| &**k == name).map(|(_, v)| v.as_str())
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

/// A route path, parsed and checked once: literal segments, `{name}`
/// parameters and a trailing `{*rest}` catch-all. The router and transform
/// routes share it, so both accept exactly the same syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern(Vec<Segment>);

impl Pattern {
    /// Parses `/users/{id}/files/{*path}`; the error says what is wrong
    /// with the path, naming it.
    pub(crate) fn parse(path: &str) -> std::result::Result<Pattern, String> {
        let Some(rest) = path.strip_prefix('/') else {
            return Err(format!("`{path}` must start with `/`"));
        };
        let parts: Vec<&str> = rest.split('/').collect();
        let mut segments = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            if part.contains(['?', '#', ' ']) {
                return Err(format!("`{path}` must be a path without query, fragment or spaces"));
            }
            let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) else {
                if part.contains(['{', '}']) {
                    return Err(format!(
                        "`{part}` in `{path}`: a parameter is a whole segment, `{{name}}`"
                    ));
                }
                segments.push(Segment::Literal((*part).to_owned()));
                continue;
            };
            let (name, rest_param) = match name.strip_prefix('*') {
                Some(n) => (n, true),
                None => (name, false),
            };
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(format!("`{part}` in `{path}` is not a valid parameter name"));
            }
            if rest_param && i + 1 != parts.len() {
                return Err(format!("`{part}` must be the last segment of `{path}`"));
            }
            let seg =
                if rest_param { Segment::Rest(name.into()) } else { Segment::Param(name.into()) };
            if segments
                .iter()
                .any(|s| matches!(s, Segment::Param(n) | Segment::Rest(n) if &**n == name))
            {
                return Err(format!("parameter `{name}` appears twice in `{path}`"));
            }
            segments.push(seg);
        }
        Ok(Pattern(segments))
    }

    /// The parameter names, in path order.
    #[cfg(any(feature = "transform", test))]
    pub(crate) fn param_names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter_map(|s| match s {
            Segment::Param(n) | Segment::Rest(n) => Some(&**n),
            Segment::Literal(_) => None,
        })
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
                    let skip: usize =
                        self.0[..i].iter().zip(rest.split('/')).map(|(_, p)| p.len() + 1).sum();
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
            let value = crate::url::decode(v).ok_or_else(|| {
                Error::BadRequest(format!(
                    "path parameter `{k}` is not valid percent-encoded UTF-8"
                ))
            })?;
            Ok((k, value.into_owned()))
        })
        .collect::<Result<Vec<_>>>()
        .map(Params)
}

struct Route<H> {
    path: String,
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

impl<H> std::fmt::Debug for Router<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let routes: Vec<String> = self
            .routes
            .iter()
            .map(|r| {
                let methods: Vec<&str> = r.methods.iter().map(|(m, _)| m.as_str()).collect();
                format!("{} {}", methods.join(","), r.path)
            })
            .collect();
        f.debug_struct("Router")
            .field("routes", &routes)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

impl<H: Host> Default for Router<H> {
    fn default() -> Self {
        Self::new()
    }
}

impl<H: Host> Router<H> {
    /// An empty router.
    pub fn new() -> Self {
        Router { routes: Vec::new(), max_body_bytes: DEFAULT_MAX_BODY_BYTES }
    }

    /// Adds `handler` for `method` on `path`. Paths are literal segments,
    /// `{name}` parameters and a trailing `{*rest}` catch-all.
    ///
    /// # Panics
    /// On a malformed path or a method registered twice for the same path:
    /// both are programming errors caught when the router is built.
    #[expect(clippy::panic, reason = "a malformed route table is a start-up error")]
    pub fn route(mut self, method: Method, path: &str, handler: impl Handler<H>) -> Self {
        let pattern = Pattern::parse(path).unwrap_or_else(|e| panic!("route path {e}"));
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
                path: path.to_owned(),
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
            return Err(Error::PayloadTooLarge { limit: self.max_body_bytes });
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
            return Err(Error::NotFound { path: path.to_owned() });
        };
        let method = req.method().clone();
        let lookup = if method == Method::HEAD { &Method::GET } else { &method };
        if let Some((_, handler)) = route.methods.iter().find(|(m, _)| m == lookup) {
            return handler(req, Ctx::new(host, params)).await;
        }
        let allow = route.allow();
        if method == Method::OPTIONS {
            let value = allow.iter().map(Method::as_str).collect::<Vec<_>>().join(", ");
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
        Pattern::parse(pattern).unwrap().matches(path).map(|r| {
            r.map(|p| p.iter().map(|(k, v)| (k.into(), v.into())).collect()).unwrap_or_default()
        })
    }

    #[test]
    fn matches_literals_params_and_rest() {
        assert_eq!(params("/health", "/health"), Some(vec![]));
        assert_eq!(params("/health", "/health/"), None);
        assert_eq!(params("/health", "/healthz"), None);
        assert_eq!(params("/users/{id}", "/users/a%2Fb"), Some(vec![("id".into(), "a/b".into())]));
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
            Pattern::parse("/u/{id}").unwrap().matches("/u/%ff"),
            Some(Err(Error::BadRequest(_)))
        ));
        // A `%` without two hex digits is kept, as WHATWG URL parsers keep it.
        assert_eq!(params("/u/{id}", "/u/%zz"), Some(vec![("id".into(), "%zz".into())]));
    }

    #[test]
    fn malformed_patterns_are_errors() {
        for bad in ["users", "/a/{}", "/a/{*rest}/b", "/a/x{id}", "/a/{id}/{id}", "/a?b", "/{a-b}"]
        {
            assert!(Pattern::parse(bad).is_err(), "{bad}");
        }
        let pattern = Pattern::parse("/u/{id}/f/{*path}").unwrap();
        assert_eq!(pattern.param_names().collect::<Vec<_>>(), ["id", "path"]);
    }
}
