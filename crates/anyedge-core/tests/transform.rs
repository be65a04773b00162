//! Transform routes (feature `transform`): bad configs are reported with
//! file, route and position, and filters that cannot answer are 500s. The
//! reference app (`examples/reference`) tests its own routes file.
#![cfg(feature = "transform")]
#![expect(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::rc::Rc;

use anyedge_core::testing::TestHost;
use anyedge_core::transform::{ConfigError, Routes};
use anyedge_core::{Response, Router};
use serde_json::Value;

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
    assert_eq!(path("users"), "routes.toml: route \"r\": path: `users` must start with `/`");
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
        e.to_string().starts_with("routes.toml: line 5, column 1: unknown field `response_filtr`"),
        "{e}"
    );
    let e = config_err("[origins]\ndata = \"http://example.test\"\n");
    assert!(e.to_string().contains("not a configuration variable name"), "{e}");
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

fn post(path: &str, body: &str) -> http::Request<bytes::Bytes> {
    http::Request::post(path)
        .header("content-type", "application/json")
        .body(body.to_owned().into())
        .unwrap()
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
