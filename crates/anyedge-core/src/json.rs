//! Reading JSON bodies as typed values, and writing typed values as JSON.

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde::{de::DeserializeOwned, Serialize};

use crate::error::JsonError;
use crate::{Error, Request, Response, Result};

/// Media type of JSON bodies.
pub const APPLICATION_JSON: &str = "application/json";

/// Reads the request body as a `T`.
///
/// - 415 unless `Content-Type` is `application/json` or `*/*+json`;
/// - 400 for an empty body, malformed JSON, or JSON of the wrong shape, with
///   the line, column and field path of the fault.
///
/// The size limit is the router's ([`crate::Router::max_body_bytes`]).
///
/// ```
/// use anyedge_core::{json, Error, Request};
/// #[derive(serde::Deserialize)]
/// struct Input { name: String }
///
/// let req = http::Request::post("/").header("content-type", "application/json")
///     .body(r#"{"name": 7}"#.into()).unwrap();
/// let Err(Error::InvalidJson(e)) = json::read::<Input>(&req) else { panic!() };
/// assert_eq!((e.line, e.column, e.path.as_str()), (1, 10, "name"));
/// ```
pub fn read<T: DeserializeOwned>(req: &Request) -> Result<T> {
    check_content_type(req.headers())?;
    parse(req.body())
}

/// Parses `bytes` as a `T`, with [`read`]'s errors but no content-type check.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::InvalidJson(JsonError {
            line: 1,
            column: 0,
            path: String::new(),
            message: "the body is empty; expected a JSON value".into(),
        }));
    }
    // The fast path is plain serde_json; only a body that fails is parsed
    // again with path tracking, to say which field is at fault.
    match serde_json::from_slice(bytes) {
        Ok(value) => Ok(value),
        Err(plain) => Err(locate_error::<T>(bytes, &plain)),
    }
}

/// Parses `bytes` again, tracking the path, to name the field `plain` is about.
fn locate_error<T: DeserializeOwned>(bytes: &[u8], plain: &serde_json::Error) -> Error {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(e) => {
            let path = e.path().to_string();
            json_error(e.inner(), path)
        }
        // The value parsed: what failed is what follows it (trailing characters).
        Ok(_) => json_error(plain, String::new()),
    }
}

fn json_error(e: &serde_json::Error, path: String) -> Error {
    // serde_json appends " at line L column C"; we report those as fields.
    let full = e.to_string();
    let message = match full.rfind(" at line ") {
        Some(i) => full[..i].to_owned(),
        None => full,
    };
    Error::InvalidJson(JsonError {
        line: e.line(),
        column: e.column(),
        path: if path == "." { String::new() } else { path },
        message,
    })
}

/// 415 unless the headers declare a JSON body.
pub fn check_content_type(headers: &HeaderMap) -> Result<()> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Err(Error::UnsupportedMediaType(
            "missing Content-Type; expected application/json".into(),
        ));
    };
    let essence = value
        .to_str()
        .ok()
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if is_json_media_type(&essence) {
        Ok(())
    } else {
        Err(Error::UnsupportedMediaType(format!(
            "Content-Type `{}` is not JSON; expected application/json",
            String::from_utf8_lossy(value.as_bytes())
        )))
    }
}

/// True for `application/json` and `type/subtype+json` (lower-case, no parameters).
pub fn is_json_media_type(essence: &str) -> bool {
    essence == APPLICATION_JSON
        || (essence.ends_with("+json") && essence.contains('/') && !essence.starts_with('/'))
}

/// A JSON response with `status` and the serialised `value`.
///
/// ```
/// let res = anyedge_core::json::response(http::StatusCode::CREATED, &serde_json::json!({"id": 1})).unwrap();
/// assert_eq!(res.status(), 201);
/// assert_eq!(res.headers()["content-type"], "application/json");
/// ```
pub fn response<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Result<Response> {
    let body = serde_json::to_vec(value)
        .map_err(|e| Error::Internal(format!("could not serialise the response: {e}")))?;
    let mut res = Response::new(Bytes::from(body));
    *res.status_mut() = status;
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(APPLICATION_JSON));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "fields are read by serde only")]
    struct Outer {
        items: Vec<Inner>,
    }
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "fields are read by serde only")]
    struct Inner {
        id: u32,
    }

    fn json_err(body: &str) -> JsonError {
        match parse::<Outer>(body.as_bytes()) {
            Err(Error::InvalidJson(e)) => e,
            other => panic!("expected InvalidJson, got {other:?}"),
        }
    }

    #[test]
    fn wrong_type_names_the_nested_field() {
        let e = json_err("{\"items\": [{\"id\": 1},\n {\"id\": \"x\"}]}");
        assert_eq!(e.path, "items[1].id");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("invalid type"), "{}", e.message);
    }

    #[test]
    fn syntax_empty_trailing_unknown_and_deep_nesting() {
        assert_eq!(json_err("{\"items\": [").line, 1);
        assert!(json_err("").message.contains("empty"));
        assert!(json_err("{\"items\": []} x").message.contains("trailing"));
        assert!(json_err("{\"items\": [], \"extra\": 1}")
            .message
            .contains("unknown field `extra`"));
        let deep = "[".repeat(100_000);
        match parse::<serde_json::Value>(deep.as_bytes()) {
            Err(Error::InvalidJson(e)) => assert!(e.message.contains("recursion limit")),
            other => panic!("expected InvalidJson, got {other:?}"),
        }
    }

    #[test]
    fn invalid_utf8_is_a_400() {
        let body = b"{\"items\": [{\"id\": \"\xff\"}]}";
        assert!(matches!(parse::<Outer>(body), Err(Error::InvalidJson(_))));
    }

    #[test]
    fn content_types() {
        let mut h = HeaderMap::new();
        assert!(check_content_type(&h).is_err());
        for ok in
            ["application/json", "Application/JSON; charset=utf-8", "application/problem+json"]
        {
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ok));
            assert!(check_content_type(&h).is_ok(), "{ok}");
        }
        for bad in ["text/plain", "application/jsonx", "+json"] {
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(bad));
            assert!(check_content_type(&h).is_err(), "{bad}");
        }
    }
}
