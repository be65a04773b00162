//! The router: ranked routes (static segments beat parameters beat a
//! catch-all, whatever the order they were added in), 404, 405 with `Allow`,
//! `HEAD` and `OPTIONS` answered for every route, app state, and middleware.
//!
//! Matching is [`matchit`]'s radix tree. A route table that cannot work (a
//! malformed path, two routes that match the same paths, a method added
//! twice) is collected while the router is built and reported by
//! [`Router::check`], naming both routes; host adapters call it at start-up.
//! Nothing panics on the request path: a router that fails `check` answers
//! every request with a 500 problem that says so.

use std::fmt;
use std::future::Future;
use std::rc::Rc;

use bytes::Bytes;
use http::{header, HeaderValue, Method, StatusCode};

use crate::host::{Ctx, Host};
use crate::middleware::{LocalBoxFuture, Middleware, Next};
use crate::response::IntoResponse;
use crate::{Error, Request, Response};

/// Largest request body hosts read by default: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// A request handler: any `async fn(Request, Ctx<H, S>) -> impl IntoResponse`
/// (or a closure returning such a future), or a handler wrapped in
/// middleware with [`with`](crate::middleware::with).
pub trait Handler<H, S = ()>: 'static {
    /// Handles one request.
    fn call<'a>(&'a self, req: Request, ctx: Ctx<H, S>) -> LocalBoxFuture<'a, Response>;
}

impl<H, S, F, Fut> Handler<H, S> for F
where
    F: Fn(Request, Ctx<H, S>) -> Fut + 'static,
    Fut: Future + 'static,
    Fut::Output: IntoResponse,
{
    fn call<'a>(&'a self, req: Request, ctx: Ctx<H, S>) -> LocalBoxFuture<'a, Response> {
        let fut = self(req, ctx);
        Box::pin(async move { fut.await.into_response() })
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

/// Why a route table cannot work, found while the router was built. Its
/// message names the route(s) and says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RouteError(String);

/// Errors found in a route table, all of them, in the order found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the route table is invalid: {}", join(.0))]
pub struct RouteErrors(pub Vec<RouteError>);

fn join(errors: &[RouteError]) -> String {
    errors.iter().map(|e| e.0.as_str()).collect::<Vec<_>>().join("; ")
}

#[derive(Debug)]
enum Segment {
    Literal,
    Param(Rc<str>),
    Rest(Rc<str>),
}

/// A route path, parsed and checked once: literal segments, `{name}`
/// parameters and a trailing `{*rest}` catch-all. The router and transform
/// routes share it, so both accept exactly the same syntax.
#[derive(Debug)]
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
                segments.push(Segment::Literal);
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
    #[cfg_attr(
        not(any(feature = "transform", test)),
        expect(dead_code, reason = "only transform routes read the names")
    )]
    pub(crate) fn param_names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter_map(|s| match s {
            Segment::Param(n) | Segment::Rest(n) => Some(&**n),
            Segment::Literal => None,
        })
    }
}

struct Route<H, S> {
    path: String,
    methods: Vec<(Method, Box<dyn Handler<H, S>>)>,
}

impl<H, S> Route<H, S> {
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

/// Routes requests to handlers by method and path, with app state `S` and
/// middleware.
///
/// Unknown paths get a 404 problem, known paths with another method a 405
/// with `Allow`. `HEAD` runs the `GET` handler without the body; `OPTIONS`
/// answers 204 with `Allow`. Whatever a handler returns becomes a response
/// through [`IntoResponse`], errors as problem+json, so [`Router::handle`]
/// always returns a response.
///
/// ```
/// use anyedge_core::{testing::TestHost, Ctx, Host, Json, Request, Router};
/// use std::rc::Rc;
///
/// struct Greeting(&'static str);
///
/// async fn hello<H: Host>(_req: Request, ctx: Ctx<H, Greeting>) -> Json<serde_json::Value> {
///     let name = ctx.param("name").unwrap_or("world");
///     Json(serde_json::json!({ "hello": name, "says": ctx.state().0 }))
/// }
///
/// async fn me<H: Host>(_req: Request, _ctx: Ctx<H, Greeting>) -> &'static str { "it's you" }
///
/// fn app<H: Host>() -> Router<H, Greeting> {
///     // `/hello/me` beats `/hello/{name}`, whatever the order.
///     Router::with_state(Greeting("hi")).get("/hello/{name}", hello).get("/hello/me", me)
/// }
/// # futures_executor::block_on(async {
/// let router = app::<TestHost>();
/// router.check().unwrap();
/// let host = Rc::new(TestHost::new());
/// let get = |p: &str| http::Request::get(p).body(Default::default()).unwrap();
/// let res = router.handle(get("/hello/Ada"), host.clone()).await;
/// assert_eq!(res.body().as_ref(), br#"{"hello":"Ada","says":"hi"}"#);
/// assert_eq!(router.handle(get("/hello/me"), host).await.body().as_ref(), b"it's you");
/// # });
/// ```
pub struct Router<H, S = ()> {
    state: Rc<S>,
    routes: Vec<Route<H, S>>,
    matcher: matchit::Router<usize>,
    layers: Vec<Box<dyn Middleware<H, S>>>,
    errors: Vec<RouteError>,
    max_body_bytes: usize,
}

impl<H, S> fmt::Debug for Router<H, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
            .field("layers", &self.layers.len())
            .field("errors", &self.errors)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl<H: Host> Default for Router<H> {
    fn default() -> Self {
        Self::new()
    }
}

impl<H: Host> Router<H> {
    /// An empty router without state.
    pub fn new() -> Self {
        Self::with_state(())
    }
}

impl<H: Host, S: 'static> Router<H, S> {
    /// An empty router whose handlers read `state` through [`Ctx::state`]:
    /// a parsed config, a lookup table, a client. Given once; handlers share
    /// it (wrap what changes in a `Cell` or `RefCell`: wasm is single-threaded).
    pub fn with_state(state: S) -> Self {
        Router {
            state: Rc::new(state),
            routes: Vec::new(),
            matcher: matchit::Router::new(),
            layers: Vec::new(),
            errors: Vec::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }

    /// Adds `handler` for `method` on `path`. Paths are literal segments,
    /// `{name}` parameters and a trailing `{*rest}` catch-all. A malformed
    /// path, a path that conflicts with another route's, or a method added
    /// twice is recorded and reported by [`Router::check`].
    pub fn route(mut self, method: Method, path: &str, handler: impl Handler<H, S>) -> Self {
        if let Err(e) = Pattern::parse(path) {
            self.errors.push(RouteError(format!("route path {e}")));
            return self;
        }
        let boxed: Box<dyn Handler<H, S>> = Box::new(handler);
        if let Some(route) = self.routes.iter_mut().find(|r| r.path == path) {
            if route.methods.iter().any(|(m, _)| *m == method) {
                self.errors.push(RouteError(format!(
                    "{method} {path} is added twice: keep one of the two handlers"
                )));
            } else {
                route.methods.push((method, boxed));
            }
            return self;
        }
        match self.matcher.insert(path, self.routes.len()) {
            Ok(()) => {
                self.routes.push(Route { path: path.to_owned(), methods: vec![(method, boxed)] })
            }
            Err(matchit::InsertError::Conflict { with }) => self.errors.push(RouteError(format!(
                "`{path}` and `{with}` match the same paths: rename a parameter to make them one \
                 route, or make a segment literal"
            ))),
            Err(e) => self.errors.push(RouteError(format!("route path `{path}`: {e}"))),
        }
        self
    }

    /// Adds a `GET` route (which also answers `HEAD`).
    pub fn get(self, path: &str, handler: impl Handler<H, S>) -> Self {
        self.route(Method::GET, path, handler)
    }

    /// Adds a `POST` route.
    pub fn post(self, path: &str, handler: impl Handler<H, S>) -> Self {
        self.route(Method::POST, path, handler)
    }

    /// Adds a `PUT` route.
    pub fn put(self, path: &str, handler: impl Handler<H, S>) -> Self {
        self.route(Method::PUT, path, handler)
    }

    /// Adds a `PATCH` route.
    pub fn patch(self, path: &str, handler: impl Handler<H, S>) -> Self {
        self.route(Method::PATCH, path, handler)
    }

    /// Adds a `DELETE` route.
    pub fn delete(self, path: &str, handler: impl Handler<H, S>) -> Self {
        self.route(Method::DELETE, path, handler)
    }

    /// Wraps the whole router, routes added before and after alike, in
    /// `middleware`. It also sees the 404s, 405s and `OPTIONS` answers the
    /// router makes (so CORS can answer a preflight for any path). Layers
    /// run in the order they are added: the first added is the outermost.
    /// For one route, wrap its handler with [`with`](crate::middleware::with).
    pub fn layer(mut self, middleware: impl Middleware<H, S>) -> Self {
        self.layers.push(Box::new(middleware));
        self
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

    /// The app state.
    pub fn state(&self) -> &S {
        &self.state
    }

    /// `Ok` when the route table works; otherwise every problem found while
    /// it was built, each naming the route(s) and what to change. Host
    /// adapters call it at start-up; call it in a test of your app.
    pub fn check(&self) -> Result<(), RouteErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(RouteErrors(self.errors.clone()))
        }
    }

    /// Handles one request; errors become problem+json responses. Host
    /// adapters call it once per request; tests call it with a
    /// [`TestHost`](crate::testing::TestHost) (feature `testing`).
    pub async fn handle(&self, req: Request, host: Rc<H>) -> Response {
        let is_head = req.method() == Method::HEAD;
        let mut res = if !self.errors.is_empty() {
            let err = RouteErrors(self.errors.clone());
            Error::Internal(err.to_string()).into_response()
        } else if req.body().len() > self.max_body_bytes {
            Error::PayloadTooLarge { limit: self.max_body_bytes }.into_response()
        } else {
            let ctx = Ctx::new(host, Rc::clone(&self.state), Params::default());
            Next::new(&self.layers, self).run(req, ctx).await
        };
        if is_head {
            *res.body_mut() = Bytes::new();
        }
        res
    }

    /// The innermost step of the chain: match the route and run its handler.
    pub(crate) fn dispatch<'a>(
        &'a self,
        req: Request,
        ctx: Ctx<H, S>,
    ) -> LocalBoxFuture<'a, Response> {
        let path = req.uri().path();
        let Ok(found) = self.matcher.at(path) else {
            let err = Error::NotFound { path: path.to_owned() };
            return Box::pin(std::future::ready(err.into_response()));
        };
        let Some(route) = self.routes.get(*found.value) else {
            let err = Error::Internal("the matched route is missing".into());
            return Box::pin(std::future::ready(err.into_response()));
        };
        let params = match decode_params(found.params.iter()) {
            Ok(params) => params,
            Err(err) => return Box::pin(std::future::ready(err.into_response())),
        };
        let method = req.method().clone();
        let lookup = if method == Method::HEAD { &Method::GET } else { &method };
        if let Some((_, handler)) = route.methods.iter().find(|(m, _)| m == lookup) {
            return handler.call(req, ctx.with_params(params));
        }
        let allow = route.allow();
        let res = if method == Method::OPTIONS {
            let value = allow.iter().map(Method::as_str).collect::<Vec<_>>().join(", ");
            let mut res = StatusCode::NO_CONTENT.into_response();
            if let Ok(v) = HeaderValue::from_str(&value) {
                res.headers_mut().insert(header::ALLOW, v);
            }
            res
        } else {
            Error::MethodNotAllowed { method, allow }.into_response()
        };
        Box::pin(std::future::ready(res))
    }
}

fn decode_params<'k, 'v>(raw: impl Iterator<Item = (&'k str, &'v str)>) -> Result<Params, Error> {
    raw.map(|(k, v)| {
        let value = crate::url::decode(v).ok_or_else(|| {
            Error::BadRequest(format!("path parameter `{k}` is not valid percent-encoded UTF-8"))
        })?;
        Ok((Rc::from(k), value.into_owned()))
    })
    .collect::<Result<Vec<_>, Error>>()
    .map(Params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestHost;

    async fn name(_req: Request, ctx: Ctx<TestHost>) -> String {
        let params: Vec<String> = ctx.params().iter().map(|(k, v)| format!("{k}={v}")).collect();
        params.join("&")
    }

    fn static_route(label: &'static str) -> impl Handler<TestHost> {
        move |_req: Request, _ctx: Ctx<TestHost>| async move { label }
    }

    fn get(router: &Router<TestHost>, path: &str) -> (u16, String) {
        let req = http::Request::get(path).body(Bytes::new()).unwrap();
        let res = futures_executor::block_on(router.handle(req, Rc::new(TestHost::new())));
        (res.status().as_u16(), String::from_utf8_lossy(res.body()).into_owned())
    }

    #[test]
    fn static_beats_param_beats_catch_all_in_any_order() {
        let router = Router::new()
            .get("/files/{*path}", name)
            .get("/users/{id}", name)
            .get("/users/me", static_route("me"))
            .get("/{*rest}", static_route("fallback"));
        router.check().unwrap();
        assert_eq!(get(&router, "/users/me"), (200, "me".into()));
        assert_eq!(get(&router, "/users/a%2Fb"), (200, "id=a/b".into()));
        assert_eq!(get(&router, "/files/a/b/c"), (200, "path=a/b/c".into()));
        assert_eq!(get(&router, "/other/x"), (200, "fallback".into()));
    }

    #[test]
    fn literals_params_and_edges() {
        let router = Router::new().get("/health", static_route("ok")).get("/users/{id}", name);
        assert_eq!(get(&router, "/health").0, 200);
        assert_eq!(get(&router, "/health/").0, 404);
        assert_eq!(get(&router, "/healthz").0, 404);
        assert_eq!(get(&router, "/users/").0, 404);
        assert_eq!(get(&router, "/users/%ff").0, 400);
        // A `%` without two hex digits is kept, as WHATWG URL parsers keep it.
        assert_eq!(get(&router, "/users/%zz"), (200, "id=%zz".into()));
    }

    #[test]
    fn conflicts_are_errors_naming_both_routes() {
        let router = Router::<TestHost>::new()
            .get("/users/{id}", name)
            .get("/users/{name}", name)
            .get("/users/{id}", name)
            .get("/bad/{a-b}", name);
        let errors = router.check().unwrap_err().to_string();
        assert!(
            errors.contains("`/users/{name}` and `/users/{id}` match the same paths"),
            "{errors}"
        );
        assert!(errors.contains("GET /users/{id} is added twice"), "{errors}");
        assert!(errors.contains("{a-b}"), "{errors}");
        let (status, body) = get(&router, "/users/1");
        assert_eq!(status, 500);
        assert!(body.contains("route table is invalid"), "{body}");
    }

    #[test]
    fn malformed_patterns_are_errors() {
        for bad in ["users", "/a/{}", "/a/{*rest}/b", "/a/x{id}", "/a/{id}/{id}", "/a?b", "/{a-b}"]
        {
            assert!(Pattern::parse(bad).is_err(), "{bad}");
            assert!(Router::<TestHost>::new().get(bad, name).check().is_err(), "{bad}");
        }
        let pattern = Pattern::parse("/u/{id}/f/{*path}").unwrap();
        assert_eq!(pattern.param_names().collect::<Vec<_>>(), ["id", "path"]);
    }
}
