//! [`BearerAuth`] and [`ApiKey`]: a request must carry a secret from config.

use http::{header, HeaderName, HeaderValue};
use subtle::ConstantTimeEq;

use super::{LocalBoxFuture, Middleware, Next};
use crate::{Config, Ctx, Error, Host, IntoResponse, Request, Response};

/// Lets a request through only with `Authorization: Bearer <token>` where
/// the token equals the secret named at construction (compared in constant
/// time). Without the header: 401 with `WWW-Authenticate: Bearer
/// realm="anyedge"`; with another token: 403. The secret is read from the
/// host's config on each request; when it is not set, a 500 names it. The
/// token never appears in a response or a log line.
///
/// ```
/// use anyedge_core::middleware::{with, BearerAuth};
/// use anyedge_core::{testing::{MemoryConfig, TestHost}, Router};
/// async fn reload(_req: anyedge_core::Request, _ctx: anyedge_core::Ctx<TestHost>) -> &'static str { "reloaded" }
/// let app = Router::<TestHost>::new().post("/admin/reload", with(BearerAuth::secret("ADMIN_TOKEN"), reload));
/// # futures_executor::block_on(async {
/// let host = std::rc::Rc::new(TestHost::new().with_config(MemoryConfig::new().with_secret("ADMIN_TOKEN", "t0k")));
/// let req = |auth: &str| http::Request::post("/admin/reload").header("authorization", auth).body(Default::default()).unwrap();
/// assert_eq!(app.handle(req("Bearer t0k"), host.clone()).await.status(), 200);
/// assert_eq!(app.handle(req("Bearer nope"), host.clone()).await.status(), 403);
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct BearerAuth {
    secret: String,
}

impl BearerAuth {
    /// Checks tokens against the secret `name` of the host's config.
    pub fn secret(name: impl Into<String>) -> Self {
        BearerAuth { secret: name.into() }
    }
}

/// Lets a request through only when header `header` equals the secret named
/// at construction (constant time). Without the header: 401 with
/// `WWW-Authenticate: ApiKey header="<header>"`; with another value: 403.
#[derive(Debug, Clone)]
pub struct ApiKey {
    header: HeaderName,
    secret: String,
}

impl ApiKey {
    /// Checks header `header` (e.g. `x-api-key`) against the secret `name`.
    pub fn secret(header: HeaderName, name: impl Into<String>) -> Self {
        ApiKey { header, secret: name.into() }
    }
}

/// What a credential check decided.
enum Verdict {
    Pass,
    Missing,
    Wrong,
    NoSecret,
}

fn check(config: &impl Config, secret: &str, given: Option<&[u8]>) -> Verdict {
    let Some(expected) = config.secret(secret) else {
        return Verdict::NoSecret;
    };
    match given {
        None => Verdict::Missing,
        Some(given) if bool::from(given.ct_eq(expected.expose().as_bytes())) => Verdict::Pass,
        Some(_) => Verdict::Wrong,
    }
}

/// Runs `next` on a pass; answers the refusal otherwise.
fn decide<'a, H: Host, S: 'static>(
    verdict: Verdict,
    secret: &str,
    challenge: String,
    (req, ctx, next): (Request, Ctx<H, S>, Next<'a, H, S>),
) -> LocalBoxFuture<'a, Response> {
    let refusal = match verdict {
        Verdict::Pass => return next.run(req, ctx),
        Verdict::NoSecret => Error::missing_config(secret),
        Verdict::Missing => Error::unauthorized("this route needs credentials"),
        Verdict::Wrong => Error::forbidden("the credentials are not valid for this route"),
    };
    let mut res = refusal.into_response();
    if res.status() == http::StatusCode::UNAUTHORIZED {
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
    }
    Box::pin(std::future::ready(res))
}

impl<H: Host, S: 'static> Middleware<H, S> for BearerAuth {
    fn call<'a>(
        &'a self,
        req: Request,
        ctx: Ctx<H, S>,
        next: Next<'a, H, S>,
    ) -> LocalBoxFuture<'a, Response> {
        let token = req.headers().get(header::AUTHORIZATION).and_then(|v| {
            let v = v.as_bytes();
            let scheme = v.get(..7)?;
            scheme.eq_ignore_ascii_case(b"bearer ").then(|| v[7..].trim_ascii())
        });
        let verdict = check(ctx.config(), &self.secret, token);
        decide(verdict, &self.secret, "Bearer realm=\"anyedge\"".into(), (req, ctx, next))
    }
}

impl<H: Host, S: 'static> Middleware<H, S> for ApiKey {
    fn call<'a>(
        &'a self,
        req: Request,
        ctx: Ctx<H, S>,
        next: Next<'a, H, S>,
    ) -> LocalBoxFuture<'a, Response> {
        let given = req.headers().get(&self.header).map(HeaderValue::as_bytes);
        let verdict = check(ctx.config(), &self.secret, given);
        let challenge = format!("ApiKey header=\"{}\"", self.header);
        decide(verdict, &self.secret, challenge, (req, ctx, next))
    }
}
