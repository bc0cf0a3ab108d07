//! Signing in and out: the one-time link from the command line, the page shown to a browser without a
//! session, sign-out, and the language switch.

use std::sync::Arc;
use std::time::Instant;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

use super::{Chrome, PageLang, SignedIn, page, see_other};
use crate::service::Service;
use crate::web::i18n::Lang;
use crate::web::session::{LinkRefusal, cleared_session_cookie, lang_cookie, session_cookie};

/// A page that only says something: no session, a used link.
#[derive(Template)]
#[template(path = "message.html")]
pub(crate) struct MessagePage {
    pub(crate) chrome: Chrome,
    pub(crate) title: String,
    pub(crate) lines: Vec<String>,
}

/// The page for a browser without a session.
pub(crate) fn needed(lang: Lang, status: StatusCode) -> Response {
    let chrome = Chrome::new(lang, false, false);
    let t = chrome.t;
    page(status, &MessagePage { title: t.get("signin-needed-title"), lines: vec![t.get("signin-needed-body")], chrome })
}

/// `GET /login/{token}`: uses up the link, sets the session cookie, and redirects to a URL without it.
pub(crate) async fn redeem(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    Path(token): Path<String>,
) -> Response {
    match service.sessions.redeem(&token, Instant::now()) {
        Ok(session) => {
            let mut r = see_other("/");
            if let Ok(v) = HeaderValue::from_str(&session_cookie(&session)) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            r
        }
        Err(refusal) => {
            let chrome = Chrome::new(lang, false, false);
            let t = chrome.t;
            let why = match refusal {
                LinkRefusal::Unknown => t.get("signin-link-used"),
                LinkRefusal::Expired => t.get("signin-link-expired"),
            };
            page(
                StatusCode::UNAUTHORIZED,
                &MessagePage {
                    title: t.get("signin-link-title"),
                    lines: vec![why, t.get("signin-needed-body")],
                    chrome,
                },
            )
        }
    }
}

/// `POST /sign-out`.
pub(crate) async fn sign_out(State(service): State<Arc<Service>>, PageLang(lang): PageLang, who: SignedIn) -> Response {
    service.sessions.end(&who.session);
    let chrome = Chrome::new(lang, false, false);
    let t = chrome.t;
    let mut r = page(
        StatusCode::OK,
        &MessagePage { title: t.get("signed-out-title"), lines: vec![t.get("signin-needed-body")], chrome },
    );
    if let Ok(v) = HeaderValue::from_str(&cleared_session_cookie()) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// The language form.
#[derive(Deserialize)]
pub(crate) struct LanguageForm {
    lang: String,
    #[serde(default)]
    back: String,
}

/// `POST /language`: remembers the choice in a cookie and goes back to the page it came from.
pub(crate) async fn choose_language(Form(form): Form<LanguageForm>) -> Response {
    let lang = Lang::from_tag(&form.lang).unwrap_or(Lang::Nl);
    // Only a path of this app: never an open redirect.
    let back = if form.back.starts_with('/') && !form.back.starts_with("//") && !form.back.contains('\\') {
        form.back.as_str()
    } else {
        "/"
    };
    let mut r = see_other(back);
    if let Ok(v) = HeaderValue::from_str(&lang_cookie(lang.code())) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}
