//! The checks every request to the node's loopback server passes, API and app alike, and the security
//! headers on every response.
//!
//! - **Host**: the request must name the node itself (`127.0.0.1:PORT`, `localhost:PORT`, `[::1]:PORT`).
//!   A page on another site that re-points its own name at 127.0.0.1 (DNS rebinding) sends its own name
//!   and is refused with 403 before anything else runs.
//! - **Origin**: a request that changes state (any method but GET, HEAD, OPTIONS) from a browser must come
//!   from the app's own origin. Browsers send `Origin` on such requests; one from another origin, or one
//!   that a browser marks cross-site (`Sec-Fetch-Site`), is refused. A request without `Origin` is accepted
//!   only with the bearer token, which no browser attaches by itself (the command line's way in).
//! - **Headers**: a Content-Security-Policy of `default-src 'self'` with no inline script or style, no
//!   framing, no MIME sniffing, and a referrer only to the app itself (`same-origin`: with `no-referrer`
//!   a browser sends `Origin: null` on the app's own form posts, which the Origin check must refuse).

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The Content-Security-Policy of every response: nothing from any other origin, no inline script.
pub(crate) const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// What the guard needs to know: the port the server is bound to.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Guard {
    port: u16,
}

impl Guard {
    /// The guard for a server on `port`.
    pub(crate) fn new(port: u16) -> Guard {
        Guard { port }
    }

    /// Whether `host` (a `Host` header's value) names this server.
    pub(crate) fn is_own_host(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        let port = self.port.to_string();
        ["127.0.0.1", "localhost", "[::1]"]
            .iter()
            .any(|name| host.strip_prefix(name).and_then(|rest| rest.strip_prefix(':')).is_some_and(|p| p == port))
    }

    /// Whether `origin` (an `Origin` header's value) is the app's own.
    pub(crate) fn is_own_origin(&self, origin: &str) -> bool {
        origin.strip_prefix("http://").is_some_and(|host| !host.contains('/') && self.is_own_host(host))
    }

    /// Why this request must be refused, if it must.
    pub(crate) fn check(&self, method: &Method, headers: &HeaderMap) -> Result<(), Refusal> {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).ok_or(Refusal::ForeignHost)?;
        if !self.is_own_host(host) {
            return Err(Refusal::ForeignHost);
        }
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            return Ok(());
        }
        if headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|site| !matches!(site, "same-origin" | "none"))
        {
            return Err(Refusal::CrossOrigin);
        }
        match headers.get(header::ORIGIN).map(|o| o.to_str()) {
            Some(Ok(origin)) if self.is_own_origin(origin) => Ok(()),
            Some(_) => Err(Refusal::CrossOrigin),
            None if headers.contains_key(header::AUTHORIZATION) => Ok(()),
            None => Err(Refusal::CrossOrigin),
        }
    }
}

/// Why the guard refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The `Host` header names another server (DNS rebinding) or is missing.
    ForeignHost,
    /// A state-changing request from another origin, or from a browser without an `Origin`.
    CrossOrigin,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (code, message) = match self {
            Refusal::ForeignHost => {
                ("forbidden-host", "this server answers only to its own loopback address (127.0.0.1 or localhost)")
            }
            Refusal::CrossOrigin => ("cross-origin", "a request that changes something must come from the app itself"),
        };
        let body = crate::api::types::ErrorBody { code: code.into(), message: message.into(), problems: Vec::new() };
        (StatusCode::FORBIDDEN, axum::Json(body)).into_response()
    }
}

/// The middleware: refuses what [`Guard::check`] refuses, and adds the security headers to every answer.
pub(crate) async fn guard(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let mut response = match guard.check(request.method(), request.headers()) {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            tracing::warn!(?refusal, method = %request.method(), path = request.uri().path(), "request refused");
            refusal.into_response()
        }
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn only_the_nodes_own_names_are_accepted_as_host() {
        let g = Guard::new(7878);
        for ok in ["127.0.0.1:7878", "localhost:7878", "LOCALHOST:7878", "[::1]:7878"] {
            assert!(g.is_own_host(ok), "{ok}");
        }
        for bad in ["evil.example:7878", "127.0.0.1:7879", "127.0.0.1", "localhost", "127.0.0.1:7878.evil", ""] {
            assert!(!g.is_own_host(bad), "{bad}");
        }
        assert_eq!(g.check(&Method::GET, &headers(&[("host", "rebind.example:7878")])), Err(Refusal::ForeignHost));
        assert_eq!(g.check(&Method::GET, &headers(&[])), Err(Refusal::ForeignHost));
    }

    #[test]
    fn state_changes_need_the_apps_own_origin_or_the_token() {
        let g = Guard::new(7878);
        let post = Method::POST;
        assert_eq!(
            g.check(&post, &headers(&[("host", "127.0.0.1:7878"), ("origin", "http://127.0.0.1:7878")])),
            Ok(())
        );
        assert_eq!(
            g.check(&post, &headers(&[("host", "127.0.0.1:7878"), ("origin", "http://127.0.0.1:9999")])),
            Err(Refusal::CrossOrigin)
        );
        assert_eq!(
            g.check(&post, &headers(&[("host", "127.0.0.1:7878"), ("origin", "null")])),
            Err(Refusal::CrossOrigin)
        );
        assert_eq!(g.check(&post, &headers(&[("host", "127.0.0.1:7878")])), Err(Refusal::CrossOrigin));
        assert_eq!(g.check(&post, &headers(&[("host", "127.0.0.1:7878"), ("authorization", "Bearer x")])), Ok(()));
        assert_eq!(
            g.check(
                &post,
                &headers(&[
                    ("host", "127.0.0.1:7878"),
                    ("origin", "http://127.0.0.1:7878"),
                    ("sec-fetch-site", "cross-site")
                ])
            ),
            Err(Refusal::CrossOrigin)
        );
        assert_eq!(g.check(&Method::GET, &headers(&[("host", "localhost:7878"), ("origin", "http://evil")])), Ok(()));
    }
}
