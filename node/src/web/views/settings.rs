//! Settings: the language, notifications, the network (the founding supervisors whose attestations this
//! node trusts, chosen by name, and the nodes it joins through; effective at once and kept in
//! `config.toml`), and the passphrase (the key file re-encrypted, never left half-written).

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use samenloop_protocol::{AccreditationLevel, DirectoryQuery, PeerId};
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
    /// Supervisors the node knows (and any trusted one it does not): peer id, name, trusted.
    supervisors: Vec<(String, String, bool)>,
    /// The bootstrap addresses, one per line (as typed, after a problem).
    bootstrap: String,
    bootstrap_error: String,
    network_saved: bool,
    /// How this computer is reached, in plain words (no addresses or ids).
    reach: Vec<String>,
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
        supervisors: Vec::new(),
        bootstrap: String::new(),
        bootstrap_error: String::new(),
        network_saved: false,
        reach: Vec::new(),
    }
}

/// How this computer is reached, said for a person: reachable or behind a router (and through what),
/// connected colleagues (how many through the relay), and whether messages wait at a mailbox while it is off.
fn reach_lines(t: &crate::web::i18n::Tr, s: &crate::api::types::NodeStatus) -> Vec<String> {
    let r = &s.reach;
    let mut lines = vec![match (r.nat.as_str(), r.relayed_via.is_empty()) {
        ("public", _) => t.get("reach-public"),
        ("behind-nat", false) => t.get("reach-behind-router-relayed"),
        ("behind-nat", true) => t.get("reach-behind-router-alone"),
        _ => t.get("reach-unknown"),
    }];
    let connected = r.direct_peers.len() + r.relayed_peers.len();
    let mut connected_line = t.count("reach-connected", "n", connected);
    if !r.relayed_peers.is_empty() {
        connected_line = format!("{connected_line} {}", t.count("reach-relayed", "n", r.relayed_peers.len()));
    }
    lines.push(connected_line);
    lines.push(if r.mailboxes.is_empty() { t.get("reach-no-mailbox") } else { t.get("reach-mailbox") });
    if r.serving_relay || r.serving_mailbox {
        lines.push(t.get("reach-serving"));
    }
    lines
}

/// Fills in the network section: the supervisors by name, and the bootstrap addresses.
async fn with_network(mut p: SettingsPage, client: &crate::Client, typed: Option<String>) -> SettingsPage {
    let t = p.chrome.t;
    let settings = client.network().await.unwrap_or_default();
    let known = client.search(DirectoryQuery::default()).await.map(|r| r.results).unwrap_or_default();
    let mut supervisors: Vec<(String, String, bool)> = known
        .iter()
        .filter(|v| v.accreditation.level == AccreditationLevel::Supervisor)
        .map(|v| {
            (v.peer_id.clone(), v.name.clone(), settings.trusted_accreditors.iter().any(|p| p.to_string() == v.peer_id))
        })
        .collect();
    for peer in &settings.trusted_accreditors {
        if !supervisors.iter().any(|s| s.0 == peer.to_string()) {
            supervisors.push((peer.to_string(), t.get("settings-unknown-supervisor"), true));
        }
    }
    supervisors.sort_by_key(|s| s.1.to_lowercase());
    p.supervisors = supervisors;
    p.bootstrap =
        typed.unwrap_or_else(|| settings.bootstrap.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"));
    if let Ok(status) = client.status().await {
        p.reach = reach_lines(&t, &status);
    }
    p
}

/// `GET /settings` (`?saved` after a passphrase change).
pub(crate) async fn show(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let mut p = with_network(settings_page(lang), &client, None).await;
    p.saved = query.as_deref() == Some("saved");
    p.network_saved = query.as_deref() == Some("network");
    page(StatusCode::OK, &p)
}

/// `POST /settings/network`: `trusted` repeats (peer ids chosen from the list), `bootstrap` one address a
/// line. Takes effect at once and is kept in `config.toml`.
pub(crate) async fn save_network(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    body: String,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    let (mut trusted, mut bootstrap_text) = (Vec::new(), String::new());
    for (k, v) in form_urlencoded::parse(body.as_bytes()) {
        match k.as_ref() {
            "trusted" => trusted.extend(v.parse::<PeerId>().ok()),
            "bootstrap" => bootstrap_text = v.replace("\r\n", "\n"),
            _ => {}
        }
    }
    let mut bootstrap = Vec::new();
    for line in bootstrap_text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match line.parse::<libp2p::Multiaddr>() {
            Ok(a) => bootstrap.push(a),
            Err(_) => {
                let mut p = with_network(settings_page(lang), &client, Some(bootstrap_text.clone())).await;
                p.bootstrap_error = t.arg("settings-bootstrap-invalid", "address", line);
                return page(StatusCode::UNPROCESSABLE_ENTITY, &p);
            }
        }
    }
    let settings = match client.set_network(trusted, bootstrap).await {
        Ok(s) => s,
        Err(e) => return super::failure(lang, &e),
    };
    if let Err(e) = crate::config::save_network(service.home(), &settings) {
        tracing::error!("network settings not saved: {e}");
        let mut p = with_network(settings_page(lang), &client, None).await;
        p.bootstrap_error = t.arg("settings-network-not-kept", "reason", e);
        return page(StatusCode::INTERNAL_SERVER_ERROR, &p);
    }
    see_other("/settings?network")
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
    let mut p = match service.client() {
        Some(client) => with_network(settings_page(lang), &client, None).await,
        None => settings_page(lang),
    };
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
