//! What every baseline's `POST /greet` computes, apart from its provider's
//! I/O: the checks, the answers, and problem+json bodies with the same
//! `type`, `title` and members as anyedge's (RFC 9457). The baselines in
//! `benches/baseline-*` call these around their own request, config, fetch
//! and logging code; `cargo xtask bench` checks that each answers the greet
//! conformance cases as anyedge does.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Largest request body read.
pub const MAX_BODY: usize = 1 << 20;
/// Largest upstream body read.
pub const MAX_UPSTREAM_BODY: usize = 1 << 20;
/// Methods of `/greet`.
pub const ALLOW: &str = "POST, OPTIONS";
/// Upstream timeout when `UPSTREAM_TIMEOUT_MS` is not set.
pub const DEFAULT_TIMEOUT_MS: u32 = 5000;

/// An error answer: its status and problem+json body (`Allow` goes with 405).
pub struct Problem {
    /// HTTP status.
    pub status: u16,
    /// The problem+json document.
    pub body: Vec<u8>,
}

impl Problem {
    /// Media type of [`Problem::body`].
    pub const CONTENT_TYPE: &'static str = "application/problem+json";
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GreetRequest {
    name: String,
}

#[derive(Serialize)]
struct GreetResponse<'a> {
    message: String,
    upstream: &'a Value,
}

fn problem(
    status: u16,
    slug: &str,
    title: &str,
    detail: &str,
    extra: Vec<(&str, Value)>,
) -> Problem {
    let mut p = Map::new();
    p.insert(
        "type".into(),
        format!("https://anyedge.dev/problems/{slug}").into(),
    );
    p.insert("title".into(), title.into());
    p.insert("status".into(), status.into());
    p.insert("detail".into(), detail.into());
    for (k, v) in extra {
        p.insert(k.into(), v);
    }
    Problem {
        status,
        body: serde_json::to_vec(&p).unwrap_or_default(),
    }
}

/// 404 for any path but `/greet`.
pub fn not_found(path: &str) -> Problem {
    problem(
        404,
        "not-found",
        "Not Found",
        &format!("no route matches path {path}"),
        Vec::new(),
    )
}

/// 405 for a method other than `POST` and `OPTIONS`.
pub fn method_not_allowed(method: &str) -> Problem {
    let detail = format!("method {method} is not allowed on this route; allowed: {ALLOW}");
    problem(
        405,
        "method-not-allowed",
        "Method Not Allowed",
        &detail,
        vec![("allow", ALLOW.into())],
    )
}

/// 413 for a body over [`MAX_BODY`].
pub fn too_large() -> Problem {
    let detail = format!("request body is larger than the limit of {MAX_BODY} bytes");
    problem(
        413,
        "payload-too-large",
        "Payload Too Large",
        &detail,
        vec![("limit", MAX_BODY.into())],
    )
}

/// A `Content-Length` value as a number.
pub fn content_length(value: Option<&[u8]>) -> Option<u64> {
    std::str::from_utf8(value?).ok()?.trim().parse().ok()
}

/// 415 unless `content_type` is `application/json` or `*/*+json`.
pub fn check_content_type(content_type: Option<&[u8]>) -> Result<(), Problem> {
    let essence = content_type
        .and_then(|t| std::str::from_utf8(t).ok())
        .and_then(|t| t.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase());
    let json = essence.as_deref().is_some_and(|e| {
        e == "application/json" || (e.ends_with("+json") && e.contains('/') && !e.starts_with('/'))
    });
    if json {
        return Ok(());
    }
    let detail = match content_type {
        None => "missing Content-Type; expected application/json".to_owned(),
        Some(t) => format!(
            "Content-Type `{}` is not JSON; expected application/json",
            String::from_utf8_lossy(t)
        ),
    };
    Err(problem(
        415,
        "unsupported-media-type",
        "Unsupported Media Type",
        &detail,
        Vec::new(),
    ))
}

/// The trimmed name of a greet body, or its 400 (bad JSON: line, column,
/// field) or 422 (bad name).
pub fn parse_greet(body: &[u8]) -> Result<String, Problem> {
    let input: GreetRequest = serde_json::from_slice(body).map_err(|_| invalid_json(body))?;
    let name = input.name.trim();
    let invalid = |reason: &str| {
        let detail = format!("invalid field `name`: {reason}");
        problem(
            422,
            "validation",
            "Validation Failed",
            &detail,
            vec![("field", "name".into())],
        )
    };
    if name.is_empty() {
        return Err(invalid("must not be empty"));
    }
    if name.chars().count() > 100 {
        return Err(invalid("must be at most 100 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid("must not contain control characters"));
    }
    Ok(name.to_owned())
}

fn invalid_json(bytes: &[u8]) -> Problem {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        let detail = "invalid JSON at line 1, column 0: the body is empty; expected a JSON value";
        return problem(
            400,
            "invalid-json",
            "Invalid JSON",
            detail,
            vec![("line", 1.into()), ("column", 0.into())],
        );
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let (e, path) = match serde_path_to_error::deserialize::<_, GreetRequest>(&mut de) {
        Err(e) => {
            let path = e.path().to_string();
            (e.into_inner(), path)
        }
        Ok(_) => match serde_json::from_slice::<GreetRequest>(bytes) {
            Err(e) => (e, String::new()),
            Ok(_) => {
                return problem(
                    500,
                    "internal",
                    "Internal Error",
                    "internal error",
                    Vec::new(),
                )
            }
        },
    };
    let full = e.to_string();
    let message = full
        .rfind(" at line ")
        .map_or(full.as_str(), |i| &full[..i]);
    let mut extra = vec![("line", e.line().into()), ("column", e.column().into())];
    let field = if path.is_empty() || path == "." {
        String::new()
    } else {
        format!(" (field `{path}`)")
    };
    let detail = format!(
        "invalid JSON at line {}, column {}{field}: {message}",
        e.line(),
        e.column()
    );
    if !field.is_empty() {
        extra.push(("field", path.into()));
    }
    problem(400, "invalid-json", "Invalid JSON", &detail, extra)
}

/// 500 for a configuration value that is missing or wrong.
pub fn config(name: &str, what: &str) -> Problem {
    let detail = format!("configuration `{name}` is {what}");
    problem(
        500,
        "configuration",
        "Configuration Error",
        &detail,
        Vec::new(),
    )
}

/// 500 for an `API_URL` that is not an absolute http(s) URL.
pub fn bad_url() -> Problem {
    config(
        "API_URL",
        "not an absolute http(s) URL (without a query when paths are appended)",
    )
}

/// `UPSTREAM_TIMEOUT_MS`, or [`DEFAULT_TIMEOUT_MS`] when it is not set.
pub fn timeout_ms(value: Option<String>) -> Result<u32, Problem> {
    match value {
        None => Ok(DEFAULT_TIMEOUT_MS),
        Some(ms) => ms
            .trim()
            .parse()
            .map_err(|_| config("UPSTREAM_TIMEOUT_MS", "not a whole number of milliseconds")),
    }
}

/// 504: no complete answer in time.
pub fn upstream_timeout(ms: u32) -> Problem {
    let detail = format!("upstream request failed: no complete answer within {ms} ms");
    problem(
        504,
        "upstream-timeout",
        "Upstream Timeout",
        &detail,
        Vec::new(),
    )
}

/// 502: the upstream could not be reached.
pub fn upstream_unreachable(why: &str) -> Problem {
    let detail = format!("upstream request failed: {why}");
    problem(
        502,
        "upstream-unreachable",
        "Upstream Unreachable",
        &detail,
        Vec::new(),
    )
}

/// 502 for a redirect (not followed) or an error status.
pub fn check_upstream_status(status: u16) -> Result<(), Problem> {
    if (300..400).contains(&status) {
        let detail = format!("upstream answered {status}; redirects are not followed");
        return Err(problem(
            502,
            "upstream-redirect",
            "Upstream Redirect",
            &detail,
            Vec::new(),
        ));
    }
    if !(200..300).contains(&status) {
        let detail = format!("upstream answered {status}");
        return Err(problem(
            502,
            "upstream-status",
            "Upstream Error Status",
            &detail,
            Vec::new(),
        ));
    }
    Ok(())
}

/// 502: the upstream body is over [`MAX_UPSTREAM_BODY`].
pub fn upstream_too_large() -> Problem {
    let detail =
        format!("upstream request failed: upstream body is larger than {MAX_UPSTREAM_BODY} bytes");
    problem(
        502,
        "upstream-too-large",
        "Upstream Body Too Large",
        &detail,
        Vec::new(),
    )
}

/// The upstream's JSON, or a 502.
pub fn upstream_json(body: &[u8]) -> Result<Value, Problem> {
    serde_json::from_slice(body).map_err(|e| {
        let detail = format!("upstream body is not JSON: {e}");
        problem(
            502,
            "upstream-invalid-body",
            "Upstream Invalid Body",
            &detail,
            Vec::new(),
        )
    })
}

/// The log line of a greet.
pub fn log_line(name: &str, status: u16) -> String {
    format!(
        "INFO anyedge: greet: name of {} chars, upstream answered {status}",
        name.chars().count()
    )
}

/// The answer: `{"message":"Hello, <name>!","upstream":<its JSON>}`.
pub fn greeting(name: &str, upstream: &Value) -> Vec<u8> {
    serde_json::to_vec(&GreetResponse {
        message: format!("Hello, {name}!"),
        upstream,
    })
    .unwrap_or_default()
}
