//! The web app: what a reviewer, requester or supervisor uses, served by the node on its loopback API
//! address, in Dutch (the default) and English.
//!
//! Server-rendered HTML from compile-time-checked templates (askama, `node/templates/`), one module per
//! screen under [`views`], plain CSS and a small script embedded in the binary ([`assets`]), and messages
//! from Fluent catalogues ([`i18n`], `node/locales/`). The app reaches the node only through the same
//! [`crate::Client`] as the JSON API (via [`crate::service::Service`]), so no rule of the domain is
//! written here.
//!
//! Security ([`guard`], [`session`]): every request's `Host` must be the node's own loopback name, every
//! state-changing request must come from the app's own origin, every response carries a strict
//! Content-Security-Policy, and a browser gets in only through a one-time link that the command line asks
//! for with the API token.
//!
//! Data flows one way: a request -> the guard -> the session -> a view, which asks the node through its
//! client -> a template -> HTML.

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::service::Service;

pub(crate) mod assets;
pub(crate) mod guard;
pub mod i18n;
mod live;
pub(crate) mod session;
#[cfg(test)]
mod tests;
mod views;

/// The whole server (API and app, behind the guard) for a running node, with a signed-in session: for
/// tests that drive every page in-process. Returns the router, the `Host` it answers to, and the
/// session's `Cookie` header.
#[cfg(feature = "test-support")]
pub fn router_for_tests(home: &crate::Home, client: crate::Client) -> (Router, String, String) {
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], 7878).into();
    let service = Arc::new(Service::running(home.clone(), crate::NodeConfig::default(), client));
    let now = std::time::Instant::now();
    let link = service.sessions.new_link(now);
    let session = service.sessions.redeem(&link, now).unwrap_or_default();
    let router = crate::api::server::app(service, "test-support".into(), addr);
    (router, addr.to_string(), format!("{}={session}", session::SESSION_COOKIE))
}

/// The app's routes (the guard is applied by the server around the app and the API together).
pub(crate) fn router(service: Arc<Service>) -> Router {
    Router::new()
        .route("/", get(views::home::show))
        .route("/login/{token}", get(views::sign_in::redeem))
        .route("/sign-out", post(views::sign_in::sign_out))
        .route("/language", post(views::sign_in::choose_language))
        .route("/profile", get(views::profile::show).post(views::profile::save))
        .route("/settings", get(views::settings::show))
        .route("/settings/passphrase", post(views::settings::change_passphrase))
        .route("/settings/network", post(views::settings::save_network))
        .route("/directory", get(views::directory::search))
        .route("/directory/{peer}", get(views::directory::reviewer))
        .route("/cases", get(views::case::list))
        .route("/cases/open", post(views::case::open))
        .route("/cases/{id}", get(views::case::overview::show))
        .route("/cases/{id}/invite", post(views::case::overview::invite))
        .route("/cases/{id}/remove", post(views::case::overview::remove))
        .route("/cases/{id}/lead", post(views::case::overview::hand_lead))
        .route("/cases/{id}/step", post(views::case::overview::step))
        .route("/cases/{id}/timeline", get(views::case::timeline::show).post(views::case::timeline::add))
        .route("/cases/{id}/timeline/{entry}", post(views::case::timeline::edit))
        .route("/cases/{id}/timeline/{entry}/remove", post(views::case::timeline::remove))
        .route("/cases/{id}/analysis", get(views::case::analysis::show))
        .route("/cases/{id}/analysis/{kind}", post(views::case::analysis::add))
        .route("/cases/{id}/analysis/{kind}/{entity}", post(views::case::analysis::edit))
        .route("/cases/{id}/analysis/{kind}/{entity}/remove", post(views::case::analysis::remove))
        .route("/cases/{id}/notes", get(views::case::notes::show).post(views::case::notes::add))
        .route("/cases/{id}/comments", post(views::case::comments::add))
        .route("/cases/{id}/comments/{comment}/resolve", post(views::case::comments::resolve))
        .route("/cases/{id}/report", get(views::case::report::show).post(views::case::report::download))
        .route("/cases/{id}/destroy", get(views::case::destruction::confirm).post(views::case::destruction::destroy))
        .route("/cases/{id}/destruction", get(views::case::destruction::record))
        .route("/cases/{id}/audit", get(views::case::destruction::audit))
        .route("/requests", get(views::requests::list))
        .route("/requests/new", get(views::requests::new_form).post(views::requests::create))
        .route("/requests/{id}", get(views::requests::show))
        .route("/requests/{id}/refer", post(views::requests::refer))
        .route("/requests/{id}/withdraw", post(views::requests::withdraw))
        .route("/referrals", get(views::referrals::list))
        .route("/referrals/{id}", get(views::referrals::show))
        .route("/referrals/{id}/accept", post(views::referrals::accept))
        .route("/referrals/{id}/decline", post(views::referrals::decline))
        .route("/welcome", get(views::start::welcome).post(views::start::create))
        .route("/unlock", get(views::start::unlock_page).post(views::start::unlock))
        .route("/assets/{name}", get(assets::serve))
        .route("/events", get(live::events))
        .with_state(service)
}
