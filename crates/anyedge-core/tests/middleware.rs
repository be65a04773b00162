//! The built-in middleware, through a router and the test doubles.

#![expect(clippy::unwrap_used, reason = "tests")]

use std::rc::Rc;
use std::time::Duration;

use anyedge_core::middleware::{
    from_fn, with, ApiKey, BearerAuth, Cors, Next, RequestId, SecurityHeaders, Timing,
};
use anyedge_core::testing::{CapturingLogger, ManualClock, MemoryConfig, ScriptedClient, TestHost};
use anyedge_core::{upstream, Bytes, Ctx, Error, HttpClient, Logger, Request, Response, Router};
use futures_executor::block_on;
use http::{HeaderName, StatusCode};

fn req(method: &str, path: &str, headers: &[(&str, &str)]) -> Request {
    let mut b = http::Request::builder().method(method).uri(path);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Bytes::new()).unwrap()
}

fn call(router: &Router<TestHost>, host: TestHost, req: Request) -> Response {
    block_on(router.handle(req, Rc::new(host)))
}

async fn ok(_req: Request, _ctx: Ctx<TestHost>) -> &'static str {
    "ok"
}

#[test]
fn layers_run_in_order_and_can_answer_early() {
    let router = Router::<TestHost>::new()
        .layer(from_fn(async |req: Request, ctx: Ctx<TestHost>, next: Next<'_, TestHost>| {
            let mut res = next.run(req, ctx).await;
            res.headers_mut().append("x-order", "outer".parse().unwrap());
            res
        }))
        .layer(from_fn(async |req: Request, ctx: Ctx<TestHost>, next: Next<'_, TestHost>| {
            if req.headers().contains_key("x-stop") {
                return Error::too_many_requests("slow down", Some(Duration::from_millis(1500)))
                    .to_response();
            }
            let mut res = next.run(req, ctx).await;
            res.headers_mut().append("x-order", "inner".parse().unwrap());
            res
        }))
        .get("/", ok);
    let res = call(&router, TestHost::new(), req("GET", "/", &[]));
    let order: Vec<_> = res.headers().get_all("x-order").iter().collect();
    assert_eq!(order, ["inner", "outer"]);
    let res = call(&router, TestHost::new(), req("GET", "/", &[("x-stop", "1")]));
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "2");
    assert_eq!(res.headers().get_all("x-order").iter().count(), 1);
}

#[test]
fn cors_preflight_simple_and_refused() {
    let config = || MemoryConfig::new().with_var("CORS_ORIGINS", "https://a.test, https://b.test/");
    let host = || TestHost::new().with_config(config());
    let router = Router::<TestHost>::new()
        .layer(
            Cors::from_config("CORS_ORIGINS")
                .allow_credentials(true)
                .expose_headers("x-request-id"),
        )
        .post("/items", ok);
    let pre = |origin: &str| {
        req("OPTIONS", "/items", &[("origin", origin), ("access-control-request-method", "POST")])
    };
    let res = call(&router, host(), pre("https://b.test"));
    assert_eq!(res.status(), 204);
    let h = res.headers();
    assert_eq!(h["access-control-allow-origin"], "https://b.test");
    assert_eq!(h["access-control-allow-credentials"], "true");
    assert_eq!(h["vary"], "Origin");
    assert!(h.contains_key("access-control-allow-methods"));
    let res = call(&router, host(), pre("https://evil.test"));
    assert_eq!(res.status(), 403);
    assert!(!res.headers().contains_key("access-control-allow-origin"));
    let res = call(&router, host(), req("POST", "/items", &[("origin", "https://a.test")]));
    assert_eq!(
        (res.status(), &res.headers()["access-control-allow-origin"]),
        (StatusCode::OK, &"https://a.test".parse::<http::HeaderValue>().unwrap())
    );
    assert_eq!(res.headers()["access-control-expose-headers"], "x-request-id");
    let res = call(&router, host(), req("POST", "/items", &[("origin", "https://evil.test")]));
    assert_eq!(res.status(), 200);
    assert!(!res.headers().contains_key("access-control-allow-origin"));
    assert_eq!(res.headers()["vary"], "Origin");
    // Unset config: no origin is allowed; no Origin header: untouched.
    let res = call(&router, TestHost::new(), pre("https://a.test"));
    assert_eq!(res.status(), 403);
    let res = call(&router, TestHost::new(), req("POST", "/items", &[]));
    assert!(!res.headers().contains_key("vary"));
    // A wildcard list allows any origin.
    let any = Router::<TestHost>::new().layer(Cors::origins(["*"])).post("/items", ok);
    let res = call(&any, TestHost::new(), req("POST", "/items", &[("origin", "https://x.test")]));
    assert_eq!(res.headers()["access-control-allow-origin"], "https://x.test");
}

async fn call_upstream(_req: Request, ctx: Ctx<TestHost>) -> anyedge_core::Result<Response> {
    ctx.logger().info("calling");
    let uri = upstream::url(ctx.config(), "API_URL", "")?;
    let req = upstream::request(ctx.config(), http::Method::GET, uri, None)?;
    Ok(ctx.client().send(req).await?)
}

#[test]
fn request_ids_are_kept_generated_sent_and_logged() {
    let router = Router::<TestHost>::new().layer(RequestId::new()).get("/", call_upstream);
    let run = |headers: &[(&str, &str)]| {
        let client = ScriptedClient::new().respond_json(200, "{}");
        let logger = CapturingLogger::new();
        let host = TestHost::new()
            .with_client(client.clone())
            .with_logger(logger.clone())
            .with_config(MemoryConfig::new().with_var("API_URL", "https://api.test/"));
        let res = call(&router, host, req("GET", "/", headers));
        let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        let sent = client.requests()[0].headers["x-request-id"].to_str().unwrap().to_owned();
        (id, sent, logger.lines())
    };
    let (id, sent, lines) = run(&[("x-request-id", "abc-1")]);
    assert_eq!((id.as_str(), sent.as_str()), ("abc-1", "abc-1"));
    assert_eq!(lines, ["INFO anyedge: [abc-1] calling"]);
    for bad in ["has space", "\"quoted\"", &"a".repeat(129)] {
        let (id, sent, _) = run(&[("x-request-id", bad)]);
        assert_eq!(id.len(), 32, "{bad} → {id}");
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(id, sent);
    }
    let plain = Router::<TestHost>::new().layer(RequestId::new()).get("/", ok);
    let host = Rc::new(TestHost::new());
    let id = |host: &Rc<TestHost>| {
        let res = block_on(plain.handle(req("GET", "/", &[]), host.clone()));
        res.headers()["x-request-id"].to_str().unwrap().to_owned()
    };
    let (a, b) = (id(&host), id(&host));
    assert_eq!(a.len(), 32);
    assert_ne!(a, b, "each request gets a fresh id");
}

#[test]
fn timing_adds_server_timing_and_one_line() {
    let clock = ManualClock::new();
    let logger = CapturingLogger::new();
    let slow_clock = clock.clone();
    let router = Router::<TestHost>::new().layer(Timing::new()).get(
        "/slow",
        move |_req: Request, _ctx: Ctx<TestHost>| {
            slow_clock.advance(Duration::from_millis(25));
            async { StatusCode::ACCEPTED }
        },
    );
    let host = TestHost::new().with_clock(clock).with_logger(logger.clone());
    let res = call(&router, host, req("GET", "/slow?token=secret", &[]));
    assert_eq!(res.headers()["server-timing"], "total;dur=25.0");
    assert_eq!(logger.lines(), ["INFO anyedge: GET /slow 202 25.0 ms"]);
}

#[test]
fn bearer_auth_missing_wrong_right_and_unset() {
    let router = Router::<TestHost>::new()
        .get("/open", ok)
        .get("/admin", with(BearerAuth::secret("ADMIN_TOKEN"), ok));
    let logger = CapturingLogger::new();
    let host = || {
        TestHost::new()
            .with_logger(logger.clone())
            .with_config(MemoryConfig::new().with_secret("ADMIN_TOKEN", "s3cr3t-token"))
    };
    let res = call(&router, host(), req("GET", "/admin", &[]));
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer realm=\"anyedge\"");
    let res = call(&router, host(), req("GET", "/admin", &[("authorization", "Bearer nope")]));
    assert_eq!(res.status(), 403);
    assert!(!res.headers().contains_key("www-authenticate"));
    let res =
        call(&router, host(), req("GET", "/admin", &[("authorization", "bearer s3cr3t-token")]));
    assert_eq!(res.status(), 200);
    assert_eq!(call(&router, host(), req("GET", "/open", &[])).status(), 200);
    let res =
        call(&router, TestHost::new(), req("GET", "/admin", &[("authorization", "Bearer x")]));
    assert_eq!(res.status(), 500);
    let body = String::from_utf8_lossy(res.body()).into_owned();
    assert!(body.contains("ADMIN_TOKEN"), "{body}");
    assert!(logger.lines().iter().all(|l| !l.contains("s3cr3t-token")));
}

#[test]
fn api_key_auth() {
    let router = Router::<TestHost>::new()
        .layer(ApiKey::secret(HeaderName::from_static("x-api-key"), "API_KEY"))
        .get("/", ok);
    let host = || TestHost::new().with_config(MemoryConfig::new().with_secret("API_KEY", "k1"));
    let res = call(&router, host(), req("GET", "/", &[]));
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "ApiKey header=\"x-api-key\"");
    assert_eq!(call(&router, host(), req("GET", "/", &[("x-api-key", "k2")])).status(), 403);
    assert_eq!(call(&router, host(), req("GET", "/", &[("x-api-key", "k1")])).status(), 200);
}

#[test]
fn security_headers_fill_what_the_handler_left() {
    let router = Router::<TestHost>::new()
        .layer(SecurityHeaders::new().hsts(31_536_000))
        .get("/", ok)
        .get("/framed", |_req: Request, _ctx: Ctx<TestHost>| async {
            let mut res = Response::new(Bytes::new());
            res.headers_mut().insert("x-frame-options", "SAMEORIGIN".parse().unwrap());
            res
        });
    let res = call(&router, TestHost::new(), req("GET", "/", &[]));
    let h = res.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["strict-transport-security"], "max-age=31536000; includeSubDomains");
    let res = call(&router, TestHost::new(), req("GET", "/framed", &[]));
    assert_eq!(res.headers()["x-frame-options"], "SAMEORIGIN");
}

#[test]
fn errors_of_any_status() {
    let err = Error::unauthorized("log in")
        .with_header(http::header::WWW_AUTHENTICATE, http::HeaderValue::from_static("Bearer"));
    let res = err.to_response();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    assert_eq!(err.problem()["type"], "https://anyedge.dev/problems/unauthorized");
    let err = Error::service_unavailable("maintenance", Some(Duration::from_secs(30)));
    assert_eq!(
        (err.status().as_u16(), err.slug(), err.title()),
        (503, "service-unavailable", "Service Unavailable")
    );
    assert_eq!(err.to_response().headers()["retry-after"], "30");
    let err = Error::conflict("changed").with_type("edit-conflict", "Edit Conflict");
    assert_eq!((err.status().as_u16(), err.slug()), (409, "edit-conflict"));
    // A 405's Allow survives a change of type.
    let err = Error::MethodNotAllowed { method: http::Method::PUT, allow: vec![http::Method::GET] }
        .with_type("nope", "Nope");
    assert_eq!(err.to_response().headers()["allow"], "GET");
    // A status that is not an error is answered as 500.
    assert_eq!(Error::new(StatusCode::OK, "fine").status(), 500);
    // Transport errors keep their source.
    let source = anyedge_core::HttpError::new(anyedge_core::HttpErrorKind::Refused, "refused");
    let err = Error::from(source.clone());
    let got = std::error::Error::source(&err).map(ToString::to_string);
    assert_eq!(got.as_deref(), Some("refused"));
}

#[test]
fn logger_trait_is_in_scope_for_ctx() {
    // `Ctx::logger` returns a wrapper that is itself a Logger.
    let logger = CapturingLogger::new();
    logger.warn("plain");
    assert_eq!(logger.lines(), ["WARN anyedge: plain"]);
}
