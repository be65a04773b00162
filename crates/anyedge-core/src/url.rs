//! Building upstream URLs from untrusted input without letting it steer the
//! call, and reading query strings: every value is percent-encoded into one
//! path segment or one query value, so it cannot change the scheme, host,
//! port or path depth. Encoding and decoding are `percent-encoding`'s.

use std::borrow::Cow;

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::{Error, Result};

/// Bytes encoded: all but RFC 3986's unreserved characters, and `.` too, so
/// that `.` and `..` runs cannot form a dot segment.
const ENCODED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'~');

/// Percent-encodes `value` as exactly one path segment. `/`, `?`, `#`, `@`,
/// `:`, `%`, `.`, CR, LF and every other byte outside `A-Z a-z 0-9 - _ ~` are
/// encoded. Empty values and dot segments (`.`, `..`) are a 400: URL parsers
/// (WHATWG's included) resolve them even when encoded as `%2E`.
///
/// ```
/// use anyedge_core::url::encode_segment;
/// assert_eq!(encode_segment("a/b?c").unwrap(), "a%2Fb%3Fc");
/// assert_eq!(encode_segment("@evil.example:80").unwrap(), "%40evil%2Eexample%3A80");
/// assert!(encode_segment("..").is_err());
/// ```
pub fn encode_segment(value: &str) -> Result<String> {
    if value.is_empty() || value == "." || value == ".." {
        return Err(Error::BadRequest(format!("`{value}` is not allowed as a path segment")));
    }
    Ok(utf8_percent_encode(value, ENCODED).to_string())
}

/// Percent-encodes `value` for use as a query name or value (`&`, `=`, `+`,
/// `#` and line breaks included).
///
/// ```
/// assert_eq!(anyedge_core::url::encode_query_value("a&b=c\r\n"), "a%26b%3Dc%0D%0A");
/// ```
pub fn encode_query_value(value: &str) -> String {
    utf8_percent_encode(value, ENCODED).to_string()
}

/// Decodes `%XX` escapes; `None` when the result is not UTF-8. A `%` not
/// followed by two hex digits is kept as it is (as WHATWG URL parsers do).
///
/// ```
/// use anyedge_core::url::decode;
/// assert_eq!(decode("a%2Fb").as_deref(), Some("a/b"));
/// assert_eq!(decode("%ff"), None);
/// ```
pub fn decode(value: &str) -> Option<Cow<'_, str>> {
    percent_decode_str(value).decode_utf8().ok()
}

/// Every `name=value` pair of `query` (`a=1&b=2`), decoded (`+` is a space),
/// in order, repeated names kept. A 400 when a name or value is not
/// percent-encoded UTF-8.
///
/// ```
/// use anyedge_core::url::query_pairs;
/// let pairs = query_pairs("role=admin&q=a+b%21&flag").unwrap();
/// assert_eq!(pairs, [("role".into(), "admin".into()), ("q".into(), "a b!".into()), ("flag".into(), "".into())]);
/// assert!(query_pairs("q=%ff").is_err());
/// ```
pub fn query_pairs(query: &str) -> Result<Vec<(String, String)>> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode_query(name)?, decode_query(value)?))
        })
        .collect()
}

/// The decoded value of the first query parameter `name` in `query`, or
/// `None` (see [`query_pairs`]).
///
/// ```
/// use anyedge_core::url::query_param;
/// assert_eq!(query_param("a=1&fields=id%2Cname", "fields").unwrap().as_deref(), Some("id,name"));
/// assert_eq!(query_param("a=1", "fields").unwrap(), None);
/// ```
pub fn query_param(query: &str, name: &str) -> Result<Option<String>> {
    Ok(query_pairs(query)?.into_iter().find(|(k, _)| k == name).map(|(_, v)| v))
}

/// The origin of an absolute `http(s)` URI as `scheme://host:port`,
/// lower-case, with the default port written out; `None` for other URIs.
///
/// ```
/// let uri = "HTTP://Example.COM/a?b".parse().unwrap();
/// assert_eq!(anyedge_core::url::origin(&uri).as_deref(), Some("http://example.com:80"));
/// ```
pub fn origin(uri: &http::Uri) -> Option<String> {
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let host = uri.host().filter(|h| !h.is_empty())?.to_ascii_lowercase();
    let port = uri.port_u16().unwrap_or(default_port);
    Some(format!("{scheme}://{host}:{port}"))
}

fn decode_query(text: &str) -> Result<String> {
    let spaced = text.replace('+', " ");
    decode(&spaced).map(Cow::into_owned).ok_or_else(|| {
        Error::BadRequest("the query string is not valid percent-encoded UTF-8".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_segments_stay_one_segment() {
        for (input, want) in [
            ("ok-1_~", "ok-1_~"),
            ("a/../b", "a%2F%2E%2E%2Fb"),
            ("%2F", "%252F"),
            ("x\r\nHost: evil", "x%0D%0AHost%3A%20evil"),
            ("http://evil/", "http%3A%2F%2Fevil%2F"),
            ("ü", "%C3%BC"),
            ("...", "%2E%2E%2E"),
        ] {
            assert_eq!(encode_segment(input).unwrap(), want, "{input}");
        }
        for bad in ["", ".", ".."] {
            assert!(encode_segment(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn origins_are_normalised() {
        let o = |s: &str| origin(&s.parse().unwrap());
        assert_eq!(o("https://API.test/x").as_deref(), Some("https://api.test:443"));
        assert_eq!(o("http://127.0.0.1:18080/hello").as_deref(), Some("http://127.0.0.1:18080"));
        assert_eq!(o("/relative"), None);
        assert_eq!(o("ftp://host/"), None);
    }

    #[test]
    fn query_params() {
        assert_eq!(query_param("q=a+b%21", "q").unwrap().as_deref(), Some("a b!"));
        assert_eq!(query_param("q%20x=1", "q x").unwrap().as_deref(), Some("1"));
        assert!(query_param("q=%ff", "q").is_err());
        assert_eq!(query_pairs("").unwrap(), []);
        assert_eq!(query_pairs("&&a=1&").unwrap().len(), 1);
    }
}
