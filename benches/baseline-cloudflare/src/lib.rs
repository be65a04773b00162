//! The reference app's `POST /greet`, written directly against `worker` 0.8
//! (no anyedge): the baseline `cargo xtask bench` measures anyedge against.
//! Same logic: JSON body `{"name"}` (415 / 400 / 422 on bad input), a GET of
//! `API_URL` with `Accept: application/json` (and `Authorization: Bearer`
//! from secret `API_TOKEN` when set), one log line, and
//! `{"message":"Hello, <name>!","upstream":<the upstream's JSON>}`.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{console_log, event, Context, Env, Fetch, Headers, Method, Request, RequestInit, Response, Result};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GreetRequest {
    name: String,
}

#[derive(Serialize)]
struct GreetResponse {
    message: String,
    upstream: Value,
}

fn problem(status: u16, detail: &str) -> Result<Response> {
    Ok(Response::from_json(&json!({ "status": status, "detail": detail }))?.with_status(status))
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> Result<Response> {
    if req.path() != "/greet" {
        return problem(404, "not found");
    }
    if req.method() != Method::Post {
        return problem(405, "method not allowed");
    }
    let json_type = req
        .headers()
        .get("content-type")?
        .is_some_and(|t| t.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/json"));
    if !json_type {
        return problem(415, "expected application/json");
    }
    let body = req.bytes().await?;
    let input: GreetRequest = match serde_json::from_slice(&body) {
        Ok(input) => input,
        Err(e) => return problem(400, &e.to_string()),
    };
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return problem(422, "invalid name");
    }
    let url = env.var("API_URL")?.to_string();
    let headers = Headers::new();
    headers.set("accept", "application/json")?;
    if let Ok(token) = env.secret("API_TOKEN") {
        headers.set("authorization", &format!("Bearer {}", token.to_string()))?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers);
    let mut upstream = match Fetch::Request(Request::new_with_init(&url, &init)?).send().await {
        Ok(res) => res,
        Err(e) => return problem(502, &e.to_string()),
    };
    let status = upstream.status_code();
    if !(200..300).contains(&status) {
        return problem(502, "upstream error");
    }
    let upstream: Value = match serde_json::from_slice(&upstream.bytes().await?) {
        Ok(v) => v,
        Err(_) => return problem(502, "upstream body is not JSON"),
    };
    console_log!("greet: name of {} chars, upstream answered {status}", name.chars().count());
    Response::from_json(&GreetResponse {
        message: format!("Hello, {name}!"),
        upstream,
    })
}
