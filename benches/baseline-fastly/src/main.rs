//! The reference app's `POST /greet`, written directly against `fastly` 0.13
//! (no anyedge): the baseline `cargo xtask bench` measures anyedge against.
//! Same logic and config as `anyedge-fastly`'s binary: JSON body `{"name"}`
//! (415 / 400 / 422 on bad input), a GET of config `API_URL` (Config Store
//! `anyedge_config`) on backend `origin` with `Accept: application/json` (and
//! `Authorization: Bearer` from `API_TOKEN` in Secret Store
//! `anyedge_secrets`), one line to log endpoint `anyedge_log`, and
//! `{"message":"Hello, <name>!","upstream":<the upstream's JSON>}`.

use std::io::Write;

use fastly::http::{Method, StatusCode};
use fastly::{ConfigStore, Error, Request, Response, SecretStore};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

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

fn problem(status: StatusCode, detail: &str) -> Result<Response, Error> {
    Ok(Response::from_status(status)
        .with_body_json(&json!({ "status": status.as_u16(), "detail": detail }))?)
}

#[fastly::main]
fn main(mut req: Request) -> Result<Response, Error> {
    if req.get_path() != "/greet" {
        return problem(StatusCode::NOT_FOUND, "not found");
    }
    if req.get_method() != Method::POST {
        return problem(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
    }
    let json_type = req.get_header_str("content-type").is_some_and(|t| {
        t.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case("application/json")
    });
    if !json_type {
        return problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "expected application/json");
    }
    let input: GreetRequest = match serde_json::from_slice(&req.take_body_bytes()) {
        Ok(input) => input,
        Err(e) => return problem(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid name");
    }
    let config = ConfigStore::open("anyedge_config");
    let Some(url) = config.get("API_URL") else {
        return problem(StatusCode::INTERNAL_SERVER_ERROR, "API_URL is not set");
    };
    let mut upstream = Request::get(url).with_header("accept", "application/json");
    if let Some(token) = SecretStore::open("anyedge_secrets")
        .ok()
        .and_then(|s| s.get("API_TOKEN"))
    {
        let token = String::from_utf8_lossy(&token.plaintext()).into_owned();
        upstream.set_header("authorization", format!("Bearer {token}"));
    }
    let mut res = match upstream.send("origin") {
        Ok(res) => res,
        Err(e) => return problem(StatusCode::BAD_GATEWAY, &e.to_string()),
    };
    let status = res.get_status();
    if !status.is_success() {
        return problem(StatusCode::BAD_GATEWAY, "upstream error");
    }
    let upstream: Value = match serde_json::from_slice(&res.take_body_bytes()) {
        Ok(v) => v,
        Err(_) => return problem(StatusCode::BAD_GATEWAY, "upstream body is not JSON"),
    };
    let mut log = fastly::log::Endpoint::from_name("anyedge_log");
    let _ = writeln!(
        log,
        "greet: name of {} chars, upstream answered {}",
        name.chars().count(),
        status.as_u16()
    );
    Ok(Response::from_status(StatusCode::OK).with_body_json(&GreetResponse {
        message: format!("Hello, {name}!"),
        upstream,
    })?)
}
