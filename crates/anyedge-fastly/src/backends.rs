//! Which Fastly backend serves a request: origins map to backend names.
//!
//! Fastly sends every request to a named *backend*. Apps name upstreams by
//! URL (`API_URL = "http://127.0.0.1:18080/hello"`), so the adapter maps the
//! URL's origin (scheme, host, port) to a backend:
//!
//! 1. **Static backends** (the default): config variable `BACKENDS` lists
//!    `origin=backend` pairs, separated by commas or whitespace, e.g.
//!    `BACKENDS = "http://127.0.0.1:18080=origin, https://api.example.com=api"`.
//!    The backends themselves are declared on the service (and under
//!    `[local_server.backends]` in `fastly.toml` for Viceroy).
//! 2. **Dynamic backends** (opt-in): with `DYNAMIC_BACKENDS = "true"`, an
//!    origin with no static backend gets one registered at run time, named by
//!    [`dynamic_name`]. Dynamic backends must be enabled on the Fastly service.
//!
//! An origin matched by neither is an error that says which origin and how
//! to map it.

use http::Uri;

/// The origin of an absolute `http(s)` URI as `scheme://host:port`, lowercase,
/// with the default port written out; `None` for other URIs.
///
/// ```
/// use anyedge_fastly::backends::origin_of;
/// let uri = "HTTP://Example.COM/a?b".parse().unwrap();
/// assert_eq!(origin_of(&uri).as_deref(), Some("http://example.com:80"));
/// ```
pub fn origin_of(uri: &Uri) -> Option<String> {
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let host = uri.host()?.to_ascii_lowercase();
    if host.is_empty() {
        return None;
    }
    let port = uri.port_u16().unwrap_or(default_port);
    Some(format!("{scheme}://{host}:{port}"))
}

/// Static origin → backend mappings, parsed from the `BACKENDS` variable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackendMap {
    entries: Vec<(String, String)>,
}

/// An entry of `BACKENDS` that is not `origin=backend`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadEntry(pub String);

impl std::fmt::Display for BadEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` is not `http(s)://host[:port]=backend_name`",
            self.0
        )
    }
}

impl BackendMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `origin=backend` pairs separated by commas or whitespace.
    ///
    /// ```
    /// use anyedge_fastly::backends::BackendMap;
    /// let map = BackendMap::parse("http://127.0.0.1:18080=origin, https://api.test=api").unwrap();
    /// assert_eq!(map.backend_for(&"http://127.0.0.1:18080/hello".parse().unwrap()), Some("origin"));
    /// assert_eq!(map.backend_for(&"https://api.test:443/v1".parse().unwrap()), Some("api"));
    /// assert_eq!(map.backend_for(&"http://api.test/v1".parse().unwrap()), None);
    /// assert!(BackendMap::parse("origin").is_err());
    /// ```
    pub fn parse(spec: &str) -> Result<Self, BadEntry> {
        let mut map = BackendMap::new();
        for entry in spec
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|e| !e.is_empty())
        {
            let bad = || BadEntry(entry.to_owned());
            let (origin, backend) = entry.rsplit_once('=').ok_or_else(bad)?;
            let uri: Uri = origin.parse().map_err(|_| bad())?;
            let origin = origin_of(&uri).ok_or_else(bad)?;
            if backend.is_empty() || !backend.chars().all(is_backend_char) {
                return Err(bad());
            }
            map = map.with(&origin, backend);
        }
        Ok(map)
    }

    /// Adds (or replaces) the mapping of `origin` (already in
    /// [`origin_of`] form) to `backend`.
    pub fn with(mut self, origin: &str, backend: &str) -> Self {
        self.entries.retain(|(o, _)| o != origin);
        self.entries.push((origin.to_owned(), backend.to_owned()));
        self
    }

    /// The backend mapped to `uri`'s origin.
    pub fn backend_for(&self, uri: &Uri) -> Option<&str> {
        let origin = origin_of(uri)?;
        self.entries
            .iter()
            .find(|(o, _)| *o == origin)
            .map(|(_, b)| b.as_str())
    }

    /// True when nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn is_backend_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// The name a dynamic backend for `origin` (in [`origin_of`] form) gets:
/// `anyedge_` followed by the origin with every character outside
/// `[A-Za-z0-9]` replaced by `_`, e.g. `anyedge_https___api_test_443`.
///
/// ```
/// assert_eq!(anyedge_fastly::backends::dynamic_name("https://api.test:443"), "anyedge_https___api_test_443");
/// ```
pub fn dynamic_name(origin: &str) -> String {
    let mut name = String::from("anyedge_");
    name.extend(
        origin
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }),
    );
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> Uri {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn origins_are_normalised() {
        assert_eq!(
            origin_of(&uri("https://API.test/x")).as_deref(),
            Some("https://api.test:443")
        );
        assert_eq!(
            origin_of(&uri("http://127.0.0.1:18080/hello")).as_deref(),
            Some("http://127.0.0.1:18080")
        );
        assert_eq!(origin_of(&uri("/relative")), None);
        assert_eq!(origin_of(&uri("ftp://host/")), None);
    }

    #[test]
    fn parse_accepts_commas_whitespace_and_default_ports() {
        let map = BackendMap::parse(" http://a.test=a ,\nhttps://b.test:8443=b_2 ");
        let map = map.unwrap_or_default();
        assert_eq!(map.backend_for(&uri("http://a.test:80/p")), Some("a"));
        assert_eq!(map.backend_for(&uri("https://b.test:8443/")), Some("b_2"));
        assert_eq!(map.backend_for(&uri("https://b.test/")), None);
        assert_eq!(BackendMap::parse(""), Ok(BackendMap::new()));
    }

    #[test]
    fn parse_rejects_bad_entries_by_name() {
        assert_eq!(
            BackendMap::parse("http://a.test=a,nonsense"),
            Err(BadEntry("nonsense".into()))
        );
        assert!(BackendMap::parse("http://a.test=").is_err());
        assert!(BackendMap::parse("http://a.test=bad name!").is_err());
        assert!(BackendMap::parse("/path=a").is_err());
    }

    #[test]
    fn later_entries_replace_earlier_ones() {
        let map = BackendMap::parse("http://a.test=one http://a.test:80=two").unwrap_or_default();
        assert_eq!(map.backend_for(&uri("http://a.test/")), Some("two"));
    }
}
