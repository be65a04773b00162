//! What a handler may return: anything [`IntoResponse`].
//!
//! ```
//! use anyedge_core::{Ctx, Error, Host, Json, Request, Router};
//! use http::StatusCode;
//!
//! #[derive(serde::Serialize)]
//! struct Item { id: u32 }
//!
//! async fn item<H: Host>(_req: Request, ctx: Ctx<H>) -> Result<Json<Item>, Error> {
//!     let id = ctx.param("id").unwrap_or_default().parse()
//!         .map_err(|_| Error::validation("id", "must be a number"))?;
//!     Ok(Json(Item { id }))
//! }
//!
//! async fn create<H: Host>(_req: Request, _ctx: Ctx<H>) -> (StatusCode, Json<Item>) {
//!     (StatusCode::CREATED, Json(Item { id: 7 }))
//! }
//!
//! fn app<H: Host>() -> Router<H> {
//!     Router::new().get("/items/{id}", item).post("/items", create)
//! }
//! ```

use bytes::Bytes;
use http::{header, HeaderValue, StatusCode};
use serde::Serialize;

use crate::{json, Error, Response};

/// A value a handler can answer with: a [`Response`], a [`Json`] value, an
/// [`Error`] (its problem+json response), a `Result` of those, a
/// `(StatusCode, T)` pair, a bare [`StatusCode`], or text.
pub trait IntoResponse {
    /// The response for this value.
    fn into_response(self) -> Response;
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }
}

impl IntoResponse for Error {
    /// The problem+json response; a 5xx is also logged (target `anyedge`).
    fn into_response(self) -> Response {
        if self.status().is_server_error() {
            log::error!(target: "anyedge", "{} {}", self.status().as_u16(), self);
        }
        self.to_response()
    }
}

impl<T: IntoResponse, E: Into<Error>> IntoResponse for Result<T, E> {
    fn into_response(self) -> Response {
        match self {
            Ok(value) => value.into_response(),
            Err(err) => err.into().into_response(),
        }
    }
}

/// A JSON body (`application/json`), 200 unless paired with a status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        json::response(StatusCode::OK, &self.0).into_response()
    }
}

impl<T: IntoResponse> IntoResponse for (StatusCode, T) {
    fn into_response(self) -> Response {
        let mut res = self.1.into_response();
        *res.status_mut() = self.0;
        res
    }
}

impl IntoResponse for StatusCode {
    /// An empty response with this status.
    fn into_response(self) -> Response {
        let mut res = Response::new(Bytes::new());
        *res.status_mut() = self;
        res
    }
}

impl IntoResponse for String {
    /// A `text/plain; charset=utf-8` response.
    fn into_response(self) -> Response {
        let mut res = Response::new(Bytes::from(self));
        let text = HeaderValue::from_static("text/plain; charset=utf-8");
        res.headers_mut().insert(header::CONTENT_TYPE, text);
        res
    }
}

impl IntoResponse for &'static str {
    /// A `text/plain; charset=utf-8` response.
    fn into_response(self) -> Response {
        self.to_owned().into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_become_responses() {
        let res = Json(serde_json::json!({"a": 1})).into_response();
        assert_eq!((res.status(), res.body().as_ref()), (StatusCode::OK, &b"{\"a\":1}"[..]));
        assert_eq!(res.headers()["content-type"], "application/json");
        let res = (StatusCode::CREATED, Json(1)).into_response();
        assert_eq!(res.status(), StatusCode::CREATED);
        let res: Result<Json<u8>, Error> = Err(Error::BadRequest("no".into()));
        assert_eq!(res.into_response().status(), StatusCode::BAD_REQUEST);
        assert_eq!(StatusCode::NO_CONTENT.into_response().body().len(), 0);
        let res = "hi".into_response();
        assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
    }
}
