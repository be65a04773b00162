//! Transform routes (feature `transform`): the embedded `anyedge.toml`
//! compiles, bad configs are reported with file, route and position, and
//! configured routes serve requests with the documented statuses.
#![cfg(feature = "transform")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::rc::Rc;

use anyedge_core::testing::{MemoryConfig, ScriptedClient, TestHost};
use anyedge_core::transform::{ConfigError, Routes, EMBEDDED_FILE, EMBEDDED_TEXT};
use anyedge_core::{reference, Response, Router};
use serde_json::{json, Value};

/// The test that catches a broken `anyedge.toml`: it loads the same text the
/// reference app embeds and compiles every filter.
#[test]
fn embedded_routes_file_loads_and_every_filter_compiles() {
    assert_eq!(EMBEDDED_FILE, "anyedge.toml");
    let routes = Routes::embedded().unwrap_or_else(|e| panic!("{e}"));
    routes.check().unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = routes.names().collect();
    assert_eq!(
        names,
        [
            "list-users",
            "user-profile",
            "quote",
            "normalize-signup",
            "forward-event"
        ]
    );
    assert!(EMBEDDED_TEXT.contains("[origins]"));
}

fn config_err(text: &str) -> ConfigError {
    let routes = Routes::from_toml("routes.toml", text);
    match routes {
        Err(e) => e,
        Ok(routes) => routes.check().expect_err("expected a config error"),
    }
}

const ORIGINS: &str = "[origins]\ndata = \"DATA_URL\"\n";

fn route(body: &str) -> String {
    format!("{ORIGINS}[[route]]\nname = \"r\"\nmethod = \"GET\"\npath = \"/r/{{id}}\"\n{body}\n")
}

#[test]
fn a_bad_filter_is_reported_with_file_route_field_and_position() {
    let e = config_err(&route(
        "upstream = { origin = \"data\", path = \"/x\" }\nresponse_filter = '.a | $x'",
    ));
    assert_eq!(
        e.to_string(),
        "routes.toml: route \"r\": response_filter: line 1, column 6: undefined variable $x"
    );
    let e = config_err(&route(
        "upstream = { origin = \"data\", path = \"/x\" }\nrequest_filter = '''\n{a: 1}\n| nosuch(.a)'''",
    ));
    assert_eq!(
        e.to_string(),
        "routes.toml: route \"r\": request_filter: line 2, column 3: undefined filter nosuch/1"
    );
    let e = config_err(&route("response_filter = '{a: (1 + }'"));
    assert_eq!(e.field.as_deref(), Some("response_filter"));
    assert!(e.message.starts_with("line 1, column "), "{e}");
}

#[test]
fn bad_configs_are_reported() {
    let cases: &[(&str, &str)] = &[
        (
            "upstream = { origin = \"nope\", path = \"/x\" }",
            "routes.toml: route \"r\": upstream.origin: unknown origin `nope`; declared in [origins]: data",
        ),
        (
            "upstream = { origin = \"data\", path = \"/x/{other}\" }",
            "routes.toml: route \"r\": upstream.path: `{other}` is not a parameter of the route's path",
        ),
        (
            "upstream = { origin = \"data\", path = \"/x?q=1\" }",
            "routes.toml: route \"r\": upstream.path: `/x?q=1` in `/x?q=1`: only unreserved characters, `/` and `{param}` are allowed (no query)",
        ),
        (
            "request_filter = '.'\nresponse_filter = '.'",
            "routes.toml: route \"r\": request_filter: needs an upstream; a route without one transforms the request body with response_filter",
        ),
        (
            "",
            "routes.toml: route \"r\": response_filter: is required for a route without an upstream",
        ),
        (
            "response_filter = '  '",
            "routes.toml: route \"r\": response_filter: is empty",
        ),
    ];
    for (body, want) in cases {
        assert_eq!(config_err(&route(body)).to_string(), *want, "{body}");
    }

    let path = |p: &str| {
        config_err(&format!(
            "[[route]]\nname = \"r\"\nmethod = \"GET\"\npath = \"{p}\"\nresponse_filter = '.'\n"
        ))
        .to_string()
    };
    assert_eq!(
        path("users"),
        "routes.toml: route \"r\": path: `users` must start with `/`"
    );
    assert!(path("/a/{}").contains("not a valid parameter name"));
    assert!(path("/a/{*rest}/b").contains("must be the last segment"));
    assert!(path("/a/x{id}").contains("a parameter is a whole segment"));

    let method = config_err(
        "[[route]]\nname = \"r\"\nmethod = \"get\"\npath = \"/r\"\nresponse_filter = '.'\n",
    );
    assert_eq!(method.field.as_deref(), Some("method"));

    let twice =
        "[[route]]\nname = \"a\"\nmethod = \"POST\"\npath = \"/r\"\nresponse_filter = '.'\n";
    let e = config_err(&format!("{twice}{}", twice.replace("\"a\"", "\"b\"")));
    assert_eq!(
        e.to_string(),
        "routes.toml: route \"b\": path: POST /r is also declared by route \"a\""
    );
    let e = config_err(&format!("{twice}{twice}"));
    assert_eq!(e.to_string(), "routes.toml: two routes are named \"a\"");

    let e = config_err(
        "[[route]]\nname = \"r\"\nmethod = \"GET\"\npath = \"/r\"\nresponse_filtr = '.'\n",
    );
    assert!(
        e.to_string()
            .starts_with("routes.toml: line 5, column 1: unknown field `response_filtr`"),
        "{e}"
    );
    let e = config_err("[origins]\ndata = \"http://example.test\"\n");
    assert!(
        e.to_string().contains("not a configuration variable name"),
        "{e}"
    );
}

async fn call(
    host: TestHost,
    router: &Router<TestHost>,
    req: http::Request<bytes::Bytes>,
) -> (u16, Value, Response) {
    let res = router.handle(req, Rc::new(host)).await;
    let body = serde_json::from_slice(res.body()).unwrap_or(Value::Null);
    (res.status().as_u16(), body, res)
}

fn data_host(client: ScriptedClient) -> TestHost {
    TestHost::new()
        .with_config(MemoryConfig::new().with_var("DATA_URL", "http://data.test/base/"))
        .with_client(client)
}

fn post(path: &str, body: &str) -> http::Request<bytes::Bytes> {
    http::Request::post(path)
        .header("content-type", "application/json")
        .body(body.to_owned().into())
        .unwrap()
}

fn get(path: &str) -> http::Request<bytes::Bytes> {
    http::Request::get(path).body(Default::default()).unwrap()
}

#[test]
fn reference_app_serves_the_configured_routes() {
    futures_executor::block_on(async {
        let app = reference::app::<TestHost>();
        let users = r#"{"users":[
            {"id":"2","first_name":"B","last_name":"Z","role":"admin","active":true,"signed_up":"2024"},
            {"id":"1","first_name":"A","last_name":"Y","role":"member","active":true,"signed_up":"2023"},
            {"id":"3","first_name":"C","last_name":"X","role":"admin","active":false,"signed_up":"2022"}]}"#;
        let client = ScriptedClient::new().respond_json(200, users);
        let (status, body, _) =
            call(data_host(client.clone()), &app, get("/users?role=admin")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body,
            json!({"count": 1, "users": [{"id": "2", "name": "B Z", "role": "admin", "since": "2024"}]})
        );
        let sent = &client.requests()[0];
        assert_eq!(sent.method, http::Method::GET);
        assert_eq!(sent.uri, "http://data.test/base/data/users");
        assert_eq!(sent.limits.timeout, std::time::Duration::from_millis(5000));

        // The path parameter is one encoded segment upstream.
        let client = ScriptedClient::new().respond_json(404, r#"{"error":"no such data"}"#);
        let (status, body, _) = call(
            data_host(client.clone()),
            &app,
            get("/users/a%2F..%2Fb/profile"),
        )
        .await;
        assert_eq!(
            client.requests()[0].uri,
            "http://data.test/base/data/users/a%2F%2E%2E%2Fb"
        );
        assert_eq!(
            (status, body["type"].as_str()),
            (502, Some("https://anyedge.dev/problems/upstream-status"))
        );
    });
}

#[test]
fn request_filter_output_is_posted_upstream() {
    futures_executor::block_on(async {
        let app = reference::app::<TestHost>();
        let client = ScriptedClient::new()
            .respond_json(200, r#"{"method":"POST","body":"{\"kind\":\"click\",\"user\":\"u1\",\"props\":{\"x\":1}}"}"#);
        let (status, body, _) = call(
            data_host(client.clone()),
            &app,
            post("/events/click", r#"{"user":{"id":"u1"},"x":1}"#),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["forwarded"]["kind"], "click");
        let sent = &client.requests()[0];
        assert_eq!(sent.method, http::Method::POST);
        assert_eq!(sent.headers["content-type"], "application/json");
        let sent_body: Value = serde_json::from_slice(&sent.body).unwrap();
        assert_eq!(
            sent_body,
            json!({"kind": "click", "user": "u1", "props": {"x": 1}})
        );

        // A request-side `{field, reason}` error is a 422, and nothing goes upstream.
        let client = ScriptedClient::new();
        let (status, body, _) =
            call(data_host(client.clone()), &app, post("/events/click", "{}")).await;
        assert_eq!((status, body["field"].as_str()), (422, Some("user.id")));
        assert!(client.requests().is_empty());
    });
}

#[test]
fn errors_map_to_statuses() {
    futures_executor::block_on(async {
        let app = reference::app::<TestHost>();
        let slug = |b: &Value| {
            b["type"]
                .as_str()
                .unwrap_or("")
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_owned()
        };

        // Not JSON: 400 with the position; wrong content type: 415.
        let (status, body, _) = call(
            TestHost::new(),
            &app,
            post("/signups/normalize", "{\"email\": "),
        )
        .await;
        assert_eq!((status, slug(&body).as_str()), (400, "invalid-json"));
        let req = http::Request::post("/signups/normalize")
            .header("content-type", "text/plain")
            .body("{}".into())
            .unwrap();
        let (status, _, _) = call(TestHost::new(), &app, req).await;
        assert_eq!(status, 415);

        // A filter's error on the request body: 400 with its message.
        let (status, body, _) = call(
            TestHost::new(),
            &app,
            post("/signups/normalize", r#"{"email": 5, "name": "x"}"#),
        )
        .await;
        assert_eq!(
            (status, slug(&body).as_str()),
            (400, "bad-request"),
            "{body}"
        );
        assert!(body["detail"]
            .as_str()
            .unwrap()
            .contains("response_filter failed on the request body"));

        // A filter's error on the upstream's answer: 502.
        let client = ScriptedClient::new().respond_json(200, r#"{"contact":{"email":null}}"#);
        let (status, body, _) = call(data_host(client), &app, get("/users/u-legacy/profile")).await;
        assert_eq!(
            (status, slug(&body).as_str()),
            (502, "upstream-invalid-body"),
            "{body}"
        );
        assert!(
            body["detail"].as_str().unwrap().contains("must be strings"),
            "{body}"
        );

        // Upstream answer not JSON: 502; DATA_URL missing: 500.
        let client = ScriptedClient::new().respond(
            http::Response::builder()
                .status(200)
                .body("nope".into())
                .unwrap(),
        );
        let (status, body, _) = call(data_host(client), &app, get("/users")).await;
        assert_eq!(
            (status, slug(&body).as_str()),
            (502, "upstream-invalid-body")
        );
        let (status, body, _) = call(TestHost::new(), &app, get("/users")).await;
        assert_eq!((status, slug(&body).as_str()), (500, "configuration"));

        // Bad query encoding: 400; another method on a configured path: 405.
        let (status, _, _) = call(TestHost::new(), &app, get("/users?role=%ff")).await;
        assert_eq!(status, 400);
        let (status, _, res) = call(TestHost::new(), &app, get("/quote")).await;
        assert_eq!(
            (status, &res.headers()["allow"]),
            (405, &"POST, OPTIONS".parse::<http::HeaderValue>().unwrap())
        );
    });
}

#[test]
fn filters_that_give_no_or_many_values_or_halt_are_500s() {
    futures_executor::block_on(async {
        let routes = Routes::from_toml(
            "t.toml",
            "[[route]]\nname = \"none\"\nmethod = \"POST\"\npath = \"/none\"\nresponse_filter = 'empty'\n\
             [[route]]\nname = \"many\"\nmethod = \"POST\"\npath = \"/many\"\nresponse_filter = '1, 2'\n\
             [[route]]\nname = \"halt\"\nmethod = \"POST\"\npath = \"/halt\"\nresponse_filter = 'halt_error(3)'\n\
             [[route]]\nname = \"broken\"\nmethod = \"POST\"\npath = \"/broken\"\nresponse_filter = '$nope'\n",
        )
        .unwrap();
        let app = routes.install(Router::<TestHost>::new());
        for path in ["/none", "/many", "/halt", "/broken"] {
            let (status, body, _) = call(TestHost::new(), &app, post(path, "{}")).await;
            assert_eq!(status, 500, "{path}: {body}");
        }
        let (_, body, _) = call(TestHost::new(), &app, post("/broken", "{}")).await;
        assert!(
            body["detail"].as_str().unwrap().contains("t.toml: route \"broken\": response_filter: line 1, column 1: undefined variable $nope"),
            "{body}"
        );
    });
}
