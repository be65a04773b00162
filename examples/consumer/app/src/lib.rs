//! The consumer project's app: `POST /quote` prices a basket, `GET /health`.
//!
//! Generic over [`Host`], so the same routes run natively, on Cloudflare
//! (`../worker`) and on Fastly (`../compute`), and are tested here with
//! anyedge-core's test doubles. The price list is the app state
//! ([`Catalog`], built once with the router); [`RequestId`] gives every
//! request an `X-Request-Id` and puts it in the log lines.

use std::collections::HashMap;

use anyedge_core::middleware::RequestId;
use anyedge_core::{json, Config, Ctx, Error, Host, Json, Logger, Request, Result, Router};
use serde::{Deserialize, Serialize};

/// Body of `POST /quote`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    /// Lines of the basket: 1 to 50.
    pub items: Vec<Line>,
}

/// One line of a basket.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    /// A SKU from the price list.
    pub sku: String,
    /// 1 to 1000.
    pub qty: u32,
}

/// Answer of `POST /quote`.
#[derive(Debug, Serialize, PartialEq)]
pub struct Quote {
    /// ISO currency code, from config `CURRENCY` (default `EUR`).
    pub currency: String,
    /// Sum of the lines, in cents.
    pub subtotal_cents: u64,
    /// Tax at config `TAX_PERCENT` (default 20), rounded down, in cents.
    pub tax_cents: u64,
    /// `subtotal_cents + tax_cents`.
    pub total_cents: u64,
}

/// The app state: the price list, in cents, by SKU.
#[derive(Debug, Clone)]
pub struct Catalog {
    prices: HashMap<&'static str, u64>,
}

impl Catalog {
    /// This shop's price list.
    pub fn new() -> Self {
        Catalog { prices: HashMap::from([("tea", 450), ("cake", 325), ("scone", 280)]) }
    }
}

impl Default for Catalog {
    fn default() -> Self {
        Self::new()
    }
}

/// `POST /quote`.
pub async fn quote<H: Host>(req: Request, ctx: Ctx<H, Catalog>) -> Result<Json<Quote>> {
    let input: QuoteRequest = json::read(&req)?;
    if input.items.is_empty() || input.items.len() > 50 {
        return Err(Error::validation("items", "must have 1 to 50 lines"));
    }
    let mut subtotal = 0u64;
    for (i, line) in input.items.iter().enumerate() {
        let price = ctx.state().prices.get(line.sku.as_str()).copied().ok_or_else(|| {
            Error::validation(format!("items[{i}].sku"), "is not on the price list")
        })?;
        if !(1..=1000).contains(&line.qty) {
            return Err(Error::validation(format!("items[{i}].qty"), "must be 1 to 1000"));
        }
        subtotal += price * u64::from(line.qty);
    }
    let config = ctx.config();
    let currency = config.var("CURRENCY").unwrap_or_else(|| "EUR".into());
    let tax_percent: u64 = match config.var("TAX_PERCENT") {
        None => 20,
        Some(v) => v.trim().parse().map_err(|_| Error::Config {
            name: "TAX_PERCENT".into(),
            problem: "not a whole number".into(),
        })?,
    };
    let tax = subtotal * tax_percent / 100;
    ctx.logger().info(&format!("quote: {} lines", input.items.len()));
    Ok(Json(Quote {
        currency,
        subtotal_cents: subtotal,
        tax_cents: tax,
        total_cents: subtotal + tax,
    }))
}

/// `GET /health`.
pub async fn health<H: Host>(_req: Request, _ctx: Ctx<H, Catalog>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// This project's routes, with the catalog as state and request ids;
/// bodies up to 64 KiB.
pub fn routes<H: Host>() -> Router<H, Catalog> {
    Router::with_state(Catalog::new())
        .layer(RequestId::new())
        .get("/health", health)
        .post("/quote", quote)
        .max_body_bytes(64 * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyedge_core::testing::{CapturingLogger, MemoryConfig, TestHost};
    use std::rc::Rc;

    #[test]
    fn the_route_table_checks() {
        routes::<TestHost>().check().unwrap();
    }

    fn post(body: &str, host: TestHost) -> (u16, serde_json::Value) {
        let req = http::Request::post("/quote")
            .header("content-type", "application/json")
            .body(body.to_owned().into())
            .unwrap();
        let res = futures_executor::block_on(routes().handle(req, Rc::new(host)));
        (res.status().as_u16(), serde_json::from_slice(res.body()).unwrap())
    }

    #[test]
    fn prices_a_basket_with_configured_tax() {
        let logger = CapturingLogger::new();
        let host = TestHost::new().with_logger(logger.clone()).with_config(
            MemoryConfig::new().with_var("CURRENCY", "GBP").with_var("TAX_PERCENT", "10"),
        );
        let (status, body) =
            post(r#"{"items":[{"sku":"tea","qty":2},{"sku":"scone","qty":1}]}"#, host);
        assert_eq!(status, 200);
        assert_eq!(
            body,
            serde_json::json!({"currency":"GBP","subtotal_cents":1180,"tax_cents":118,"total_cents":1298})
        );
        let lines = logger.lines();
        assert_eq!(lines.len(), 1);
        assert!(lines[0].starts_with("INFO anyedge: ["), "{lines:?}");
        assert!(lines[0].ends_with("] quote: 2 lines"), "{lines:?}");
    }

    #[test]
    fn bad_baskets_are_client_errors() {
        let (status, body) = post(r#"{"items":[{"sku":"coffee","qty":1}]}"#, TestHost::new());
        assert_eq!((status, body["field"].as_str()), (422, Some("items[0].sku")));
        let (status, body) = post(r#"{"items":[{"sku":"tea","qty":"2"}]}"#, TestHost::new());
        assert_eq!((status, body["field"].as_str()), (400, Some("items[0].qty")));
        let (status, _) = post(r#"{"items":[]}"#, TestHost::new());
        assert_eq!(status, 422);
    }
}
