//! The app's own style and script, compiled into the binary: no build step, no request to any other
//! origin. Served with their content type and a short cache; nothing here is secret.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The style sheet.
pub(crate) const APP_CSS: &str = include_str!("../../assets/app.css");
/// The script: progressive enhancement only; every page works without it.
pub(crate) const APP_JS: &str = include_str!("../../assets/app.js");

/// `GET /assets/{name}`.
pub(crate) async fn serve(Path(name): Path<String>) -> Response {
    let (body, kind) = match name.as_str() {
        "app.css" => (APP_CSS, "text/css; charset=utf-8"),
        "app.js" => (APP_JS, "text/javascript; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=300"));
    response
}
