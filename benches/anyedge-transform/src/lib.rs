//! The heavy-JSON bench app for workerd: the reference app's routes plus
//! `POST /transform`, which reads an array of records, keeps those with
//! `active: true`, and answers them reshaped to `{id, name, total}`. The
//! same transform is in `benches/js/plain.js` and `benches/js/hono.js`.

use anyedge_core::{json, Ctx, Host, Request, Response, Result, Router};
use serde::{Deserialize, Serialize};

/// A record of the input; other fields are ignored.
#[derive(Deserialize)]
pub struct Record {
    /// Kept.
    pub id: u64,
    /// Kept.
    pub name: String,
    /// Filter: only active records are answered.
    pub active: bool,
    /// Kept.
    pub total: f64,
}

/// A record of the answer.
#[derive(Serialize)]
pub struct Projected<'a> {
    /// From the input.
    pub id: u64,
    /// From the input.
    pub name: &'a str,
    /// From the input.
    pub total: f64,
}

/// `POST /transform`: filter and reshape.
pub async fn transform<H: Host, S>(req: Request, _ctx: Ctx<H, S>) -> Result<Response> {
    json::check_content_type(req.headers())?;
    let records: Vec<Record> = json::parse(req.body())?;
    let out: Vec<Projected<'_>> = records
        .iter()
        .filter(|r| r.active)
        .map(|r| Projected {
            id: r.id,
            name: &r.name,
            total: r.total,
        })
        .collect();
    json::response(http::StatusCode::OK, &out)
}

/// `POST /transform-floor`: the same with plain `serde_json::from_slice`
/// instead of [`json::parse`] (which tracks the field path of every value
/// through `serde_path_to_error`, for its 400 details): how much that costs.
pub async fn transform_floor<H: Host, S>(req: Request, _ctx: Ctx<H, S>) -> Result<Response> {
    json::check_content_type(req.headers())?;
    let records: Vec<Record> = serde_json::from_slice(req.body())
        .map_err(|e| anyedge_core::Error::BadRequest(e.to_string()))?;
    let out: Vec<Projected<'_>> = records
        .iter()
        .filter(|r| r.active)
        .map(|r| Projected {
            id: r.id,
            name: &r.name,
            total: r.total,
        })
        .collect();
    json::response(http::StatusCode::OK, &out)
}

/// The reference app plus `POST /transform` and `POST /transform-floor`,
/// bodies up to 8 MiB.
pub fn routes<H: Host>() -> Router<H, anyedge_reference::AppState> {
    anyedge_reference::app::<H>()
        .post("/transform", transform)
        .post("/transform-floor", transform_floor)
        .max_body_bytes(8 * 1024 * 1024)
}

#[cfg(target_arch = "wasm32")]
anyedge_cloudflare::main!(routes());
