//! The app's screens, one module each, and what they share: the user's language, the session check, and
//! turning a template into a response.

use std::sync::Arc;
use std::time::Instant;

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::i18n::{Lang, Tr};
use super::session::{LANG_COOKIE, SESSION_COOKIE, cookie};
use crate::service::Service;

pub(crate) mod case;
pub(crate) mod directory;
pub(crate) mod home;
pub(crate) mod profile;
pub(crate) mod referrals;
pub(crate) mod requests;
pub(crate) mod settings;
pub(crate) mod sign_in;
pub(crate) mod start;

/// The user's language: their choice (a cookie) if they made one, else the browser's `Accept-Language`,
/// else Dutch.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PageLang(pub(crate) Lang);

impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let chosen = cookie(&parts.headers, LANG_COOKIE).and_then(Lang::from_tag);
        let accept = parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
        Ok(PageLang(chosen.unwrap_or_else(|| Lang::negotiate(accept))))
    }
}

/// A request from a signed-in browser: its session cookie names a live session.
pub(crate) struct SignedIn {
    /// The session id (to end it at sign-out).
    pub(crate) session: String,
}

impl FromRequestParts<Arc<Service>> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, service: &Arc<Service>) -> Result<Self, Self::Rejection> {
        match cookie(&parts.headers, SESSION_COOKIE) {
            Some(id) if service.sessions.touch(id, Instant::now()) => Ok(SignedIn { session: id.to_string() }),
            _ => {
                let PageLang(lang) = PageLang::from_request_parts(parts, service).await.unwrap_or(PageLang(Lang::Nl));
                Err(sign_in::needed(lang, StatusCode::UNAUTHORIZED))
            }
        }
    }
}

/// Renders a page with `status`. A template that fails to render is a bug: the user sees a short
/// message, the log the detail.
pub(crate) fn page<T: Template>(status: StatusCode, template: &T) -> Response {
    match template.render() {
        Ok(html) => {
            let mut r = (status, Html(html)).into_response();
            r.headers_mut().insert(header::CONTENT_LANGUAGE, HeaderValue::from_static("nl, en"));
            r
        }
        Err(e) => {
            tracing::error!("page did not render: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error: the page could not be shown").into_response()
        }
    }
}

/// The page for something that is not (or no longer) on this node.
pub(crate) fn not_found(lang: Lang) -> Response {
    let chrome = Chrome::new(lang, true, true);
    let t = chrome.t;
    page(
        StatusCode::NOT_FOUND,
        &sign_in::MessagePage { title: t.get("not-found-title"), lines: vec![t.get("not-found-body")], chrome },
    )
}

/// The page for a request the node could not carry out; the node's own words go underneath.
pub(crate) fn failure(lang: Lang, error: &crate::NodeError) -> Response {
    tracing::warn!("page failed: {error}");
    let chrome = Chrome::new(lang, true, true);
    let t = chrome.t;
    let status = match error {
        crate::NodeError::Stopped => StatusCode::SERVICE_UNAVAILABLE,
        crate::NodeError::Storage(_) => StatusCode::INSUFFICIENT_STORAGE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    page(
        status,
        &sign_in::MessagePage {
            title: t.get("failure-title"),
            lines: vec![t.get("failure-body"), t.arg("failure-detail", "detail", error)],
            chrome,
        },
    )
}

/// A page with one message under the failure title, for a request that cannot be carried out as asked.
pub(crate) fn message(lang: Lang, status: StatusCode, line: String) -> Response {
    let chrome = Chrome::new(lang, true, true);
    let t = chrome.t;
    page(status, &sign_in::MessagePage { title: t.get("failure-title"), lines: vec![line], chrome })
}

/// A redirect after a form (303: the browser follows with GET).
pub(crate) fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// What every page shows around its content: the language and the translator.
pub(crate) struct Chrome {
    /// The translator.
    pub(crate) t: Tr,
    /// Whether the node runs (the navigation is shown only then).
    pub(crate) running: bool,
    /// Whether the browser is signed in (the sign-out button is shown only then).
    pub(crate) signed_in: bool,
}

impl Chrome {
    pub(crate) fn new(lang: Lang, running: bool, signed_in: bool) -> Chrome {
        Chrome { t: Tr::new(lang), running, signed_in }
    }

    /// `nl` or `en`, for `<html lang>`.
    pub(crate) fn lang(&self) -> &'static str {
        self.t.lang.code()
    }

    /// The other language, offered by the switch.
    pub(crate) fn other_lang(&self) -> &'static str {
        match self.t.lang {
            Lang::Nl => "en",
            Lang::En => "nl",
        }
    }
}
