//! Building upstream URLs from untrusted input without letting it steer the
//! call: every value is percent-encoded into one path segment or one query
//! value, so it cannot change the scheme, host, port or path depth.

use crate::{Error, Result};

/// Bytes left as they are: RFC 3986 unreserved characters except `.`, which
/// is encoded so that `.` and `..` runs cannot form a dot segment.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~')
}

fn encode(value: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in value.as_bytes() {
        if is_unreserved(b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
}

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
        return Err(Error::BadRequest(format!(
            "`{value}` is not allowed as a path segment"
        )));
    }
    let mut out = String::with_capacity(value.len());
    encode(value, &mut out);
    Ok(out)
}

/// Percent-encodes `value` for use as a query name or value (`&`, `=`, `+`,
/// `#` and line breaks included).
///
/// ```
/// assert_eq!(anyedge_core::url::encode_query_value("a&b=c\r\n"), "a%26b%3Dc%0D%0A");
/// ```
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    encode(value, &mut out);
    out
}

/// The decoded value of query parameter `name` in `query` (`a=1&b=2`), or
/// `None`; `+` means a space. A 400 for an invalid percent-encoding.
///
/// ```
/// use anyedge_core::url::query_param;
/// assert_eq!(query_param("a=1&fields=id%2Cname", "fields").unwrap().as_deref(), Some("id,name"));
/// assert_eq!(query_param("a=1", "fields").unwrap(), None);
/// ```
pub fn query_param(query: &str, name: &str) -> Result<Option<String>> {
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k == name {
            let v = v.replace('+', " ");
            return crate::router::percent_decode(&v).map(Some).ok_or_else(|| {
                Error::BadRequest(format!(
                    "query parameter `{name}` is not valid percent-encoded UTF-8"
                ))
            });
        }
    }
    Ok(None)
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
    fn query_params() {
        assert_eq!(
            query_param("q=a+b%21", "q").unwrap().as_deref(),
            Some("a b!")
        );
        assert!(query_param("q=%ff", "q").is_err());
    }
}
