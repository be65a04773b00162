//! Data sets served under `/data/...` for the transform examples.

use serde_json::Value;

/// The answer for `path` (raw, not decoded) and `query`, or `None` when the
/// path is not a data path.
pub(crate) fn respond(path: &str, _query: &str) -> Option<(u16, Value)> {
    let _ = path.strip_prefix("/data/")?;
    None
}
