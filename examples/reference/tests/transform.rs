//! The reference app's transform routes (feature `transform`): its
//! `anyedge.toml` loads and every filter compiles, and the routes serve
//! requests with the documented statuses.
#![cfg(feature = "transform")]
#![expect(clippy::unwrap_used, reason = "tests")]

use std::rc::Rc;

use anyedge_core::testing::{MemoryConfig, ScriptedClient, TestHost};
use anyedge_core::{Response, Router};
use serde_json::{json, Value};

/// The test that catches a broken `anyedge.toml`: it loads the same text the
/// reference app embeds and compiles every filter.
#[test]
fn embedded_routes_file_loads_and_every_filter_compiles() {
    let routes = anyedge_reference::transform_routes().unwrap_or_else(|e| panic!("{e}"));
    routes.check().unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = routes.names().collect();
    assert_eq!(names, ["list-users", "user-profile", "quote", "normalize-signup", "forward-event"]);
    assert!(anyedge_reference::ROUTES_FILE.contains("[origins]"));
}

async fn call(
    host: TestHost,
    router: &Router<TestHost, anyedge_reference::AppState>,
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
        let app = anyedge_reference::app::<TestHost>();
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
        let (status, body, _) =
            call(data_host(client.clone()), &app, get("/users/a%2F..%2Fb/profile")).await;
        assert_eq!(client.requests()[0].uri, "http://data.test/base/data/users/a%2F%2E%2E%2Fb");
        assert_eq!(
            (status, body["type"].as_str()),
            (502, Some("https://anyedge.dev/problems/upstream-status"))
        );
    });
}

#[test]
fn request_filter_output_is_posted_upstream() {
    futures_executor::block_on(async {
        let app = anyedge_reference::app::<TestHost>();
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
        assert_eq!(sent_body, json!({"kind": "click", "user": "u1", "props": {"x": 1}}));

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
        let app = anyedge_reference::app::<TestHost>();
        let slug = |b: &Value| {
            b["type"].as_str().unwrap_or("").rsplit('/').next().unwrap_or("").to_owned()
        };

        // Not JSON: 400 with the position; wrong content type: 415.
        let (status, body, _) =
            call(TestHost::new(), &app, post("/signups/normalize", "{\"email\": ")).await;
        assert_eq!((status, slug(&body).as_str()), (400, "invalid-json"));
        let req = http::Request::post("/signups/normalize")
            .header("content-type", "text/plain")
            .body("{}".into())
            .unwrap();
        let (status, _, _) = call(TestHost::new(), &app, req).await;
        assert_eq!(status, 415);

        // A filter's error on the request body: 400 with its message.
        let (status, body, _) =
            call(TestHost::new(), &app, post("/signups/normalize", r#"{"email": 5, "name": "x"}"#))
                .await;
        assert_eq!((status, slug(&body).as_str()), (400, "bad-request"), "{body}");
        assert!(body["detail"]
            .as_str()
            .unwrap()
            .contains("response_filter failed on the request body"));

        // A filter's error on the upstream's answer: 502.
        let client = ScriptedClient::new().respond_json(200, r#"{"contact":{"email":null}}"#);
        let (status, body, _) = call(data_host(client), &app, get("/users/u-legacy/profile")).await;
        assert_eq!((status, slug(&body).as_str()), (502, "upstream-invalid-body"), "{body}");
        assert!(body["detail"].as_str().unwrap().contains("must be strings"), "{body}");

        // Upstream answer not JSON: 502; DATA_URL missing: 500.
        let client = ScriptedClient::new()
            .respond(http::Response::builder().status(200).body("nope".into()).unwrap());
        let (status, body, _) = call(data_host(client), &app, get("/users")).await;
        assert_eq!((status, slug(&body).as_str()), (502, "upstream-invalid-body"));
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
