//! First run and unlock: the two pages a node shows before it runs. The first-run page creates the
//! identity exactly as `samenloop init` does; the unlock page opens the key file. Until one of them
//! succeeds the network is not started and nothing of the directory or cases is served.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::{Chrome, PageLang, SignedIn, page, see_other};
use crate::keystore::{KeyStoreError, Passphrase};
use crate::service::{Phase, Service, UnlockError};
use crate::web::i18n::{Lang, Tr};

/// The shortest passphrase the app accepts: it guards every case on this computer.
pub(crate) const MIN_PASSPHRASE_CHARS: usize = 10;

/// How strong a passphrase looks, for the hint beside the field (the script shows the same live).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Strength {
    /// Too short to accept.
    TooShort,
    /// Acceptable, but longer would be better.
    Fair,
    /// Long, or long enough and varied.
    Strong,
}

/// The strength of `passphrase`: its length in characters, and how many kinds of character it mixes.
pub(crate) fn strength(passphrase: &str) -> Strength {
    let len = passphrase.chars().count();
    let kinds = [
        passphrase.chars().any(|c| c.is_lowercase()),
        passphrase.chars().any(|c| c.is_uppercase()),
        passphrase.chars().any(|c| c.is_numeric()),
        passphrase.chars().any(|c| !c.is_alphanumeric()),
    ]
    .iter()
    .filter(|k| **k)
    .count();
    if len < MIN_PASSPHRASE_CHARS {
        Strength::TooShort
    } else if len >= 20 || (len >= 14 && kinds >= 3) {
        Strength::Strong
    } else {
        Strength::Fair
    }
}

/// Checks a new passphrase typed twice, as the first-run and settings pages ask for it: the problem with
/// the passphrase, then with its repetition ("" where there is none).
pub(crate) fn check_new_passphrase(t: Tr, new: &str, repeat: &str) -> (String, String) {
    let first = match strength(new) {
        Strength::TooShort if new.is_empty() => t.get("welcome-passphrase-missing"),
        Strength::TooShort => t.count("welcome-passphrase-short", "min", MIN_PASSPHRASE_CHARS),
        Strength::Fair | Strength::Strong => String::new(),
    };
    let second = if first.is_empty() && repeat != new { t.get("welcome-repeat-differs") } else { String::new() };
    (first, second)
}

/// The first-run page.
#[derive(Template)]
#[template(path = "welcome.html")]
pub(crate) struct WelcomePage {
    chrome: Chrome,
    /// What the user typed as name (kept on an error; passphrases never are).
    name: String,
    /// Problems by field: `name`, `passphrase`, `repeat`; and one for the whole form.
    name_error: String,
    passphrase_error: String,
    repeat_error: String,
    form_error: String,
    min_chars: usize,
}

/// The unlock page.
#[derive(Template)]
#[template(path = "unlock.html")]
pub(crate) struct UnlockPage {
    chrome: Chrome,
    error: String,
}

/// `GET /welcome`.
pub(crate) async fn welcome(State(service): State<Arc<Service>>, PageLang(lang): PageLang, _: SignedIn) -> Response {
    match service.phase() {
        Phase::NoIdentity => page(StatusCode::OK, &welcome_page(lang, String::new())),
        Phase::Locked => see_other("/unlock"),
        Phase::Running => see_other("/"),
    }
}

fn welcome_page(lang: Lang, name: String) -> WelcomePage {
    WelcomePage {
        chrome: Chrome::new(lang, false, true),
        name,
        name_error: String::new(),
        passphrase_error: String::new(),
        repeat_error: String::new(),
        form_error: String::new(),
        min_chars: MIN_PASSPHRASE_CHARS,
    }
}

/// The first-run form.
#[derive(Deserialize)]
pub(crate) struct WelcomeForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    passphrase: String,
    #[serde(default)]
    repeat: String,
    #[serde(default)]
    lang: String,
}

/// `POST /welcome`: checks every field, names each problem beside its field, and creates the identity.
pub(crate) async fn create(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Form(form): Form<WelcomeForm>,
) -> Response {
    let lang = Lang::from_tag(&form.lang).unwrap_or(lang);
    let t = Tr::new(lang);
    let mut p = welcome_page(lang, form.name.trim().to_string());
    if p.name.is_empty() {
        p.name_error = t.get("welcome-name-missing");
    }
    (p.passphrase_error, p.repeat_error) = check_new_passphrase(t, &form.passphrase, &form.repeat);
    if !(p.name_error.is_empty() && p.passphrase_error.is_empty() && p.repeat_error.is_empty()) {
        return page(StatusCode::UNPROCESSABLE_ENTITY, &p);
    }
    let passphrase = match Passphrase::new(form.passphrase) {
        Ok(pass) => pass,
        Err(_) => {
            p.passphrase_error = t.get("welcome-passphrase-missing");
            return page(StatusCode::UNPROCESSABLE_ENTITY, &p);
        }
    };
    match service.create(p.name.clone(), passphrase).await {
        Ok(()) => {
            let mut r = see_other("/");
            if let Ok(v) = axum::http::HeaderValue::from_str(&crate::web::session::lang_cookie(lang.code())) {
                r.headers_mut().append(axum::http::header::SET_COOKIE, v);
            }
            r
        }
        Err(UnlockError::InvalidName(why)) => {
            p.name_error = t.arg("welcome-name-invalid", "reason", why);
            page(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
        Err(UnlockError::AlreadyExists) => see_other("/unlock"),
        Err(e) => {
            tracing::error!("first run failed: {e}");
            p.form_error = t.arg("welcome-failed", "reason", e);
            page(StatusCode::INTERNAL_SERVER_ERROR, &p)
        }
    }
}

/// `GET /unlock`.
pub(crate) async fn unlock_page(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
) -> Response {
    match service.phase() {
        Phase::Locked => {
            page(StatusCode::OK, &UnlockPage { chrome: Chrome::new(lang, false, true), error: String::new() })
        }
        Phase::NoIdentity => see_other("/welcome"),
        Phase::Running => see_other("/"),
    }
}

/// The unlock form.
#[derive(Deserialize)]
pub(crate) struct UnlockForm {
    #[serde(default)]
    passphrase: String,
}

/// `POST /unlock`: a wrong passphrase gets a clear message (after a delay that grows with each failure)
/// and leaves the key file untouched.
pub(crate) async fn unlock(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Form(form): Form<UnlockForm>,
) -> Response {
    let t = Tr::new(lang);
    let failed = |error: String, status| page(status, &UnlockPage { chrome: Chrome::new(lang, false, true), error });
    let Ok(passphrase) = Passphrase::new(form.passphrase) else {
        return failed(t.get("unlock-passphrase-missing"), StatusCode::UNPROCESSABLE_ENTITY);
    };
    match service.unlock(passphrase).await {
        Ok(()) => see_other("/"),
        Err(UnlockError::WrongPassphrase) => failed(t.get("unlock-wrong"), StatusCode::UNAUTHORIZED),
        Err(UnlockError::KeyStore(
            e @ (KeyStoreError::Corrupted { .. }
            | KeyStoreError::WrongLength { .. }
            | KeyStoreError::KdfOutOfRange { .. }),
        )) => {
            tracing::error!("unlock refused: {e}");
            let path = match &e {
                KeyStoreError::Corrupted { path, .. }
                | KeyStoreError::WrongLength { path, .. }
                | KeyStoreError::KdfOutOfRange { path: Some(path), .. } => path.display().to_string(),
                _ => String::new(),
            };
            let reason = e.to_string();
            failed(t.args("unlock-damaged", &[("path", &path), ("reason", &reason)]), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => {
            tracing::error!("unlock failed: {e}");
            failed(t.arg("unlock-failed", "reason", e), StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strength_is_length_first() {
        assert_eq!(strength(""), Strength::TooShort);
        assert_eq!(strength("kort"), Strength::TooShort);
        assert_eq!(strength("lange zin!"), Strength::Fair);
        assert_eq!(strength("Een Lange Zin 42"), Strength::Strong);
        assert_eq!(strength("een hele lange zin zonder meer"), Strength::Strong);
    }
}
