//! Per-request cost of transform routes, printed as a table (not a timed
//! test: nothing is asserted about time). Run it in release mode:
//!
//! ```text
//! cargo test --release -p anyedge-reference \
//!     --test transform_cost -- --ignored --nocapture
//! ```
//!
//! For each route of the embedded `anyedge.toml`, with a scripted upstream:
//! - `parse`: `anyedge_reference::transform_routes()` (TOML parse and checks, no filter compiled);
//! - `cold`: a new instance's first request: parse, install, compile the
//!   route's filters, run them (what a Fastly instance pays on every request);
//! - `warm`: a later request on the same instance (filters already compiled);
//! - `compile` ≈ cold − warm − parse.
#![cfg(feature = "transform")]
#![expect(clippy::unwrap_used, clippy::panic, reason = "a measurement")]

use std::rc::Rc;
use std::time::{Duration, Instant};

use anyedge_core::testing::{MemoryConfig, ScriptedClient, TestHost};
use anyedge_core::Router;

const USERS: &str = r#"{"total":3,"users":[
 {"id":"u-1001","first_name":"Ada","last_name":"Lovelace","email":"ada@example.org","phone":"+44","role":"admin","active":true,"signed_up":"2023-01-15","address":{"street":"x","city":"London","postcode":"SW1","country":"GB"}},
 {"id":"u-1002","first_name":"Grace","last_name":"Hopper","email":"g@example.com","phone":"+1","role":"member","active":true,"signed_up":"2023-03-02","address":{"street":"y","city":"Arlington","postcode":"22202","country":"US"}},
 {"id":"u-1003","first_name":"Alan","last_name":"Turing","email":"a@example.net","phone":"+44","role":"member","active":false,"signed_up":"2022-11-30","address":{"street":"z","city":"Wilmslow","postcode":"SK9","country":"GB"}}]}"#;
const USER: &str = r#"{"id":"u-1002","name":"Grace Hopper","role":"member","date_of_birth":"1906-12-09",
 "contact":{"email":"grace@example.com","phone":"+1 202 555 0102"},
 "address":{"street":"1 Navy Way","city":"Arlington","postcode":"22202","country":"US"},
 "orders":[{"id":"o-1","total":42.5,"ship_to":{"street":"1 Navy Way","city":"Arlington"}}]}"#;
const PRICES: &str = r#"{"currency":"EUR","prices":[{"sku":"A-100","name":"Widget","unit_price":2.5},{"sku":"B-200","name":"Gadget","unit_price":10}]}"#;
const ECHO: &str =
    r#"{"method":"POST","body":"{\"kind\":\"signup\",\"user\":\"u-1\",\"props\":{}}"}"#;

fn request(route: &str) -> (http::Request<bytes::Bytes>, Option<&'static str>) {
    let post = |path: &str, body: &str| {
        http::Request::post(path)
            .header("content-type", "application/json")
            .body(body.to_owned().into())
            .unwrap()
    };
    let get = |path: &str| http::Request::get(path).body(Default::default()).unwrap();
    match route {
        "list-users" => (get("/users?role=admin"), Some(USERS)),
        "user-profile" => (get("/users/u-1002/profile"), Some(USER)),
        "quote" => (
            post(
                "/quote",
                r#"{"customer":"c","items":[{"sku":"A-100","qty":2},{"sku":"B-200","qty":1}]}"#,
            ),
            Some(PRICES),
        ),
        "normalize-signup" => (
            post("/signups/normalize", r#"{"email":" A@B.C ","name":" Ada ","tags":["X","y"]}"#),
            None,
        ),
        "forward-event" => (post("/events/signup", r#"{"user":{"id":"u-1"}}"#), Some(ECHO)),
        other => panic!("no sample request for route {other}"),
    }
}

fn host(answer: Option<&str>, n: usize) -> TestHost {
    let mut client = ScriptedClient::new();
    if let Some(body) = answer {
        for _ in 0..n {
            client = client.respond_json(200, body);
        }
    }
    TestHost::new()
        .with_config(MemoryConfig::new().with_var("DATA_URL", "http://data.test"))
        .with_client(client)
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

#[test]
#[ignore = "a measurement: run with --release -- --ignored --nocapture"]
fn transform_cost_table() {
    const N: usize = 41;
    let parse = median(
        (0..N)
            .map(|_| {
                let t = Instant::now();
                let routes = anyedge_reference::transform_routes().unwrap();
                let d = t.elapsed();
                drop(routes);
                d
            })
            .collect(),
    );
    println!();
    println!("| route | parse (whole file) | cold request | warm request | ≈ compile |");
    println!("|---|---:|---:|---:|---:|");
    let names: Vec<String> =
        anyedge_reference::transform_routes().unwrap().names().map(str::to_owned).collect();
    for name in names {
        let mut cold = Vec::new();
        let mut warm = Vec::new();
        futures_executor::block_on(async {
            for _ in 0..N {
                let (req, answer) = request(&name);
                let host = Rc::new(host(answer, 2));
                let t = Instant::now();
                let router = anyedge_reference::transform_routes()
                    .unwrap()
                    .install(Router::<TestHost>::new());
                let res = router.handle(req, Rc::clone(&host)).await;
                cold.push(t.elapsed());
                assert_eq!(res.status(), 200, "{name}: {:?}", res.body());
                let (req, _) = request(&name);
                let t = Instant::now();
                let res = router.handle(req, host).await;
                warm.push(t.elapsed());
                assert_eq!(res.status(), 200);
            }
        });
        let (cold, warm) = (median(cold), median(warm));
        let compile = cold.saturating_sub(warm).saturating_sub(parse);
        println!("| {name} | {} | {} | {} | {} |", us(parse), us(cold), us(warm), us(compile));
    }
}
