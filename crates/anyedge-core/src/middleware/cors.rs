//! [`Cors`]: cross-origin requests from the origins config allows.

use http::header::{self, HeaderValue};
use http::Method;

use super::{LocalBoxFuture, Middleware, Next};
use crate::{Config, Ctx, Error, Host, IntoResponse, Request, Response};

/// Answers CORS preflights and marks the responses of allowed origins.
///
/// Allowed origins come from config (a comma- or space-separated list of
/// `scheme://host[:port]`, or `*` for any), read on each request, or from a
/// fixed list. A request without `Origin` passes untouched.
///
/// - **Preflight** (`OPTIONS` with `Access-Control-Request-Method`): from an
///   allowed origin, 204 with `Access-Control-Allow-Origin`, `-Methods`,
///   `-Headers`, `-Max-Age` (and `-Credentials`); from another, 403.
/// - **Other requests** from an allowed origin get
///   `Access-Control-Allow-Origin` (and `-Credentials`, `-Expose-Headers`);
///   from another origin they are served without them, so the browser keeps
///   the answer from the page.
///
/// Every response that depends on `Origin` says `Vary: Origin`.
///
/// ```
/// use anyedge_core::middleware::Cors;
/// use anyedge_core::{testing::{MemoryConfig, TestHost}, Router};
/// let app = Router::<TestHost>::new().layer(Cors::from_config("CORS_ORIGINS"));
/// # futures_executor::block_on(async {
/// let host = std::rc::Rc::new(TestHost::new().with_config(MemoryConfig::new().with_var("CORS_ORIGINS", "https://app.test")));
/// let req = http::Request::options("/items").header("origin", "https://app.test")
///     .header("access-control-request-method", "POST").body(Default::default()).unwrap();
/// let res = app.handle(req, host).await;
/// assert_eq!(res.status(), 204);
/// assert_eq!(res.headers()["access-control-allow-origin"], "https://app.test");
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct Cors {
    origins: Origins,
    credentials: bool,
    methods: HeaderValue,
    headers: HeaderValue,
    expose: Option<HeaderValue>,
    max_age: HeaderValue,
}

#[derive(Debug, Clone)]
enum Origins {
    Config(String),
    Fixed(Vec<String>),
}

impl Cors {
    /// Origins from config variable `name` (unset: none allowed).
    pub fn from_config(name: impl Into<String>) -> Self {
        Self::with(Origins::Config(name.into()))
    }

    /// A fixed list of origins (`*` for any).
    pub fn origins<I: IntoIterator<Item = T>, T: Into<String>>(origins: I) -> Self {
        Self::with(Origins::Fixed(origins.into_iter().map(Into::into).collect()))
    }

    fn with(origins: Origins) -> Self {
        Cors {
            origins,
            credentials: false,
            methods: HeaderValue::from_static("GET, HEAD, POST, PUT, PATCH, DELETE"),
            headers: HeaderValue::from_static("authorization, content-type, x-request-id"),
            expose: None,
            max_age: HeaderValue::from_static("600"),
        }
    }

    /// Also `Access-Control-Allow-Credentials: true` (cookies and
    /// `Authorization` from the page); the origin is then always echoed, never `*`.
    pub fn allow_credentials(mut self, allow: bool) -> Self {
        self.credentials = allow;
        self
    }

    /// The request headers a preflight allows (default `authorization,
    /// content-type, x-request-id`); invalid text keeps the default.
    pub fn allow_headers(mut self, headers: &str) -> Self {
        self.headers = HeaderValue::from_str(headers).unwrap_or(self.headers);
        self
    }

    /// The methods a preflight allows (default `GET, HEAD, POST, PUT, PATCH, DELETE`).
    pub fn allow_methods(mut self, methods: &str) -> Self {
        self.methods = HeaderValue::from_str(methods).unwrap_or(self.methods);
        self
    }

    /// The response headers the page may read (`Access-Control-Expose-Headers`).
    pub fn expose_headers(mut self, headers: &str) -> Self {
        self.expose = HeaderValue::from_str(headers).ok();
        self
    }

    /// How long a browser may cache a preflight, in seconds (default 600).
    pub fn max_age(mut self, secs: u32) -> Self {
        self.max_age = HeaderValue::from(secs);
        self
    }

    /// Whether `origin` may read answers, given config.
    fn allows(&self, config: &impl Config, origin: &str) -> bool {
        let matches = |list: &str| {
            list.split([',', ' ']).any(|o| o == "*" || o.trim_end_matches('/') == origin)
        };
        match &self.origins {
            Origins::Config(name) => config.var(name).is_some_and(|list| matches(&list)),
            Origins::Fixed(list) => list.iter().any(|o| matches(o)),
        }
    }

    /// The CORS headers of an answer to `origin`.
    fn mark(&self, res: &mut Response, origin: HeaderValue) {
        let headers = res.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        if self.credentials {
            headers
                .insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
        }
        if let Some(expose) = &self.expose {
            headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, expose.clone());
        }
    }
}

fn vary_origin(res: &mut Response) {
    res.headers_mut().append(header::VARY, HeaderValue::from_static("Origin"));
}

impl<H: Host, S: 'static> Middleware<H, S> for Cors {
    fn call<'a>(
        &'a self,
        req: Request,
        ctx: Ctx<H, S>,
        next: Next<'a, H, S>,
    ) -> LocalBoxFuture<'a, Response> {
        let Some(origin) = req.headers().get(header::ORIGIN).cloned() else {
            return next.run(req, ctx);
        };
        let allowed = origin.to_str().is_ok_and(|o| self.allows(ctx.config(), o));
        let preflight = req.method() == Method::OPTIONS
            && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
        if preflight {
            let mut res = if allowed {
                let mut res = http::StatusCode::NO_CONTENT.into_response();
                let headers = res.headers_mut();
                headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, self.methods.clone());
                headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, self.headers.clone());
                headers.insert(header::ACCESS_CONTROL_MAX_AGE, self.max_age.clone());
                self.mark(&mut res, origin);
                res
            } else {
                Error::forbidden("this origin is not allowed to call this API (CORS)")
                    .into_response()
            };
            vary_origin(&mut res);
            return Box::pin(std::future::ready(res));
        }
        Box::pin(async move {
            let mut res = next.run(req, ctx).await;
            if allowed {
                self.mark(&mut res, origin);
            }
            vary_origin(&mut res);
            res
        })
    }
}
