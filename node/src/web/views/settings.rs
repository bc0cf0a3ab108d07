//! Settings: the language, and the passphrase (the key file re-encrypted, never left half-written).

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::start::{MIN_PASSPHRASE_CHARS, check_new_passphrase};
use super::{Chrome, PageLang, SignedIn, page, see_other};
use crate::keystore::Passphrase;
use crate::service::{Service, UnlockError};
use crate::web::i18n::{Lang, Tr};

/// The settings page.
#[derive(Template)]
#[template(path = "settings.html")]
pub(crate) struct SettingsPage {
    chrome: Chrome,
    saved: bool,
    current_error: String,
    new_error: String,
    repeat_error: String,
    form_error: String,
    min_chars: usize,
}

fn settings_page(lang: Lang) -> SettingsPage {
    SettingsPage {
        chrome: Chrome::new(lang, true, true),
        saved: false,
        current_error: String::new(),
        new_error: String::new(),
        repeat_error: String::new(),
        form_error: String::new(),
        min_chars: MIN_PASSPHRASE_CHARS,
    }
}

/// `GET /settings` (`?saved` after a passphrase change).
pub(crate) async fn show(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    RawQuery(query): RawQuery,
) -> Response {
    if service.client().is_none() {
        return see_other("/");
    }
    let mut p = settings_page(lang);
    p.saved = query.as_deref() == Some("saved");
    page(StatusCode::OK, &p)
}

/// The passphrase form.
#[derive(Deserialize)]
pub(crate) struct PassphraseForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

/// `POST /settings/passphrase`.
pub(crate) async fn change_passphrase(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Form(form): Form<PassphraseForm>,
) -> Response {
    if service.client().is_none() {
        return see_other("/");
    }
    let t = Tr::new(lang);
    let mut p = settings_page(lang);
    if form.current.is_empty() {
        p.current_error = t.get("unlock-passphrase-missing");
    }
    (p.new_error, p.repeat_error) = check_new_passphrase(t, &form.new, &form.repeat);
    if !(p.current_error.is_empty() && p.new_error.is_empty() && p.repeat_error.is_empty()) {
        return page(StatusCode::UNPROCESSABLE_ENTITY, &p);
    }
    let (Ok(current), Ok(new)) = (Passphrase::new(form.current), Passphrase::new(form.new)) else {
        p.new_error = t.get("welcome-passphrase-missing");
        return page(StatusCode::UNPROCESSABLE_ENTITY, &p);
    };
    match service.change_passphrase(current, new).await {
        Ok(()) => see_other("/settings?saved"),
        Err(UnlockError::WrongPassphrase) => {
            p.current_error = t.get("settings-current-wrong");
            page(StatusCode::UNAUTHORIZED, &p)
        }
        Err(e) => {
            tracing::error!("passphrase change failed: {e}");
            p.form_error = t.arg("settings-passphrase-failed", "reason", e);
            page(StatusCode::INTERNAL_SERVER_ERROR, &p)
        }
    }
}
