//! The routes file: TOML structure and the checks done when it is loaded.

use std::collections::BTreeMap;
use std::fmt;

use http::Method;
use serde::Deserialize;

use super::handler::{FilterSlot, RouteSpec, Segment, Upstream};

/// A routes file that cannot be used: which file, route and field, and why.
///
/// Its `Display` is one line, e.g.
/// `anyedge.toml: route "list-users": response_filter: line 1, column 7: undefined variable $x`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, as given to [`super::Routes::from_toml`].
    pub file: String,
    /// The route's name, when the error is in one route.
    pub route: Option<String>,
    /// The field at fault (`path`, `upstream.origin`, `response_filter`, …).
    pub field: Option<String>,
    /// What is wrong (for a filter: `line L, column C: …`, relative to the filter text).
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.file)?;
        if let Some(route) = &self.route {
            write!(f, "route {route:?}: ")?;
        }
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    #[serde(default)]
    origins: BTreeMap<String, String>,
    #[serde(default)]
    route: Vec<RouteToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteToml {
    name: String,
    method: String,
    path: String,
    upstream: Option<UpstreamToml>,
    request_filter: Option<String>,
    response_filter: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpstreamToml {
    origin: String,
    path: String,
    method: Option<String>,
}

struct At<'a> {
    file: &'a str,
    route: &'a str,
}

impl At<'_> {
    fn err(&self, field: &str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.to_owned(),
            route: Some(self.route.to_owned()),
            field: Some(field.to_owned()),
            message: message.into(),
        }
    }
}

fn is_var_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

fn method(at: &At<'_>, field: &str, text: &str) -> Result<Method, ConfigError> {
    let ok = !text.is_empty() && text.bytes().all(|b| b.is_ascii_uppercase());
    match Method::from_bytes(text.as_bytes()) {
        Ok(m) if ok && m != Method::HEAD && m != Method::OPTIONS && m != Method::CONNECT => Ok(m),
        _ => Err(at.err(
            field,
            format!("`{text}` is not a method a route can declare (GET, POST, PUT, PATCH, DELETE, …, in capitals)"),
        )),
    }
}

/// Checks a route path in the router's syntax; returns its parameter names.
fn route_params(at: &At<'_>, path: &str) -> Result<Vec<String>, ConfigError> {
    let pattern = crate::router::Pattern::parse(path).map_err(|e| at.err("path", e))?;
    Ok(pattern.param_names().map(str::to_owned).collect())
}

/// Parses an upstream path template: literal text and `{param}`s of the route.
fn template(at: &At<'_>, path: &str, params: &[String]) -> Result<Vec<Segment>, ConfigError> {
    const FIELD: &str = "upstream.path";
    if !path.starts_with('/') {
        return Err(at.err(FIELD, format!("`{path}` must start with `/`")));
    }
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('{') {
            let Some(end) = after.find('}') else {
                return Err(at.err(FIELD, format!("`{{` without `}}` in `{path}`")));
            };
            let name = &after[..end];
            if !params.iter().any(|p| p == name) {
                return Err(
                    at.err(FIELD, format!("`{{{name}}}` is not a parameter of the route's path"))
                );
            }
            out.push(Segment::Param(name.to_owned()));
            rest = &after[end + 1..];
        } else {
            let end = rest.find('{').unwrap_or(rest.len());
            let literal = &rest[..end];
            let ok = literal
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b));
            if !ok || literal.contains('}') {
                return Err(at.err(
                    FIELD,
                    format!("`{literal}` in `{path}`: only unreserved characters, `/` and `{{param}}` are allowed (no query)"),
                ));
            }
            out.push(Segment::Literal(literal.to_owned()));
            rest = &rest[end..];
        }
    }
    Ok(out)
}

fn filter(
    at: &At<'_>,
    field: &'static str,
    code: Option<String>,
) -> Result<Option<FilterSlot>, ConfigError> {
    match code {
        Some(code) if code.trim().is_empty() => Err(at.err(field, "is empty")),
        Some(code) => Ok(Some(FilterSlot::new(at.file, at.route, field, code))),
        None => Ok(None),
    }
}

/// Parses and checks `text`; filters are not compiled here.
pub(crate) fn parse(file: &str, text: &str) -> Result<Vec<RouteSpec>, ConfigError> {
    let whole =
        |message: String| ConfigError { file: file.to_owned(), route: None, field: None, message };
    let parsed: FileToml = toml::from_str(text).map_err(|e| {
        let message = e.message().to_owned();
        match e.span() {
            Some(span) => {
                let (line, column) = super::filter::position(text, span.start);
                whole(format!("line {line}, column {column}: {message}"))
            }
            None => whole(message),
        }
    })?;
    for (name, var) in &parsed.origins {
        if !is_var_name(var) {
            return Err(whole(format!(
                "origin `{name}`: `{var}` is not a configuration variable name (A-Z, 0-9, _)"
            )));
        }
    }
    let mut specs: Vec<RouteSpec> = Vec::new();
    for r in parsed.route {
        if r.name.trim().is_empty() {
            return Err(whole("a route has an empty name".into()));
        }
        if specs.iter().any(|s| s.name == r.name) {
            return Err(whole(format!("two routes are named {:?}", r.name)));
        }
        let at = At { file, route: &r.name };
        let route_method = method(&at, "method", &r.method)?;
        let params = route_params(&at, &r.path)?;
        if let Some(other) = specs.iter().find(|s| s.method == route_method && s.path == r.path) {
            return Err(at.err(
                "path",
                format!("{} {} is also declared by route {:?}", r.method, r.path, other.name),
            ));
        }
        let request_filter = filter(&at, "request_filter", r.request_filter)?;
        let response_filter = filter(&at, "response_filter", r.response_filter)?;
        let upstream = match r.upstream {
            None => {
                if request_filter.is_some() {
                    return Err(at.err(
                        "request_filter",
                        "needs an upstream; a route without one transforms the request body with response_filter",
                    ));
                }
                if response_filter.is_none() {
                    return Err(
                        at.err("response_filter", "is required for a route without an upstream")
                    );
                }
                None
            }
            Some(u) => {
                let Some(var) = parsed.origins.get(&u.origin) else {
                    let known: Vec<&str> = parsed.origins.keys().map(String::as_str).collect();
                    return Err(at.err(
                        "upstream.origin",
                        format!(
                            "unknown origin `{}`; declared in [origins]: {}",
                            u.origin,
                            if known.is_empty() { "none".to_owned() } else { known.join(", ") }
                        ),
                    ));
                };
                let default = if request_filter.is_some() { Method::POST } else { Method::GET };
                let upstream_method = match &u.method {
                    Some(m) => method(&at, "upstream.method", m)?,
                    None => default,
                };
                Some(Upstream {
                    var: var.clone(),
                    path: template(&at, &u.path, &params)?,
                    method: upstream_method,
                })
            }
        };
        specs.push(RouteSpec {
            name: r.name,
            method: route_method,
            path: r.path,
            upstream,
            request_filter,
            response_filter,
        });
    }
    Ok(specs)
}
