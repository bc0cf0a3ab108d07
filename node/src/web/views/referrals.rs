//! Referrals, the reviewer's side: the inbox, one referral with the request as the reviewer may read it
//! (the 14 orientation questions in the method's own order), and the answer: accept with the
//! conflict-of-interest declaration, or decline with a reason.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use samenloop_protocol::referrals::referral::{Answer, ReferralState};
use serde::Deserialize;

use super::requests::{Question, facts, questions};
use super::{Chrome, PageLang, SignedIn, page, see_other};
use crate::NodeError;
use crate::network::{Client, now};
use crate::referrals::records::ReceivedReferral;
use crate::service::Service;
use crate::web::i18n::{Lang, Tr};

/// A referral in the inbox.
pub(crate) struct ReferralRow {
    id: String,
    requester: String,
    received: String,
    respond_by: String,
    overdue: bool,
    state: String,
}

/// The inbox.
#[derive(Template)]
#[template(path = "referrals.html")]
pub(crate) struct ReferralsPage {
    chrome: Chrome,
    waiting: Vec<ReferralRow>,
    answered: Vec<ReferralRow>,
}

/// One referral, with the request and the answer forms.
#[derive(Template)]
#[template(path = "referral.html")]
pub(crate) struct ReferralPage {
    chrome: Chrome,
    id: String,
    request_id: String,
    requester_id: String,
    requester: String,
    received: String,
    respond_by: String,
    overdue: bool,
    state: String,
    offered: bool,
    accepted: bool,
    facts: Vec<(String, String)>,
    questions: Vec<Question>,
    /// The answer forms as typed (kept on an error).
    declaration: String,
    conflict: String,
    reason: String,
    conflict_error: String,
    reason_error: String,
    form_error: String,
}

/// The requester's name from the directory, or a neutral word.
pub(crate) async fn requester_name(client: &Client, t: Tr, peer: &str) -> String {
    let name = match peer.parse() {
        Ok(peer) => client.profile(peer).await.map(|p| p.name).unwrap_or_default(),
        Err(_) => String::new(),
    };
    if name.is_empty() { t.get("home-unknown-requester") } else { name }
}

/// Where a referral stands, in words.
fn state_text(t: Tr, state: &ReferralState) -> String {
    match state {
        ReferralState::Offered => t.get("referral-state-offered"),
        ReferralState::Accepted { at, .. } => t.arg("referral-state-accepted", "date", t.day_of(*at)),
        ReferralState::Declined { at, .. } => t.arg("referral-state-declined", "date", t.day_of(*at)),
        ReferralState::Expired { at } => t.arg("referral-state-expired", "date", t.day_of(*at)),
        ReferralState::Withdrawn { at } => t.arg("referral-state-withdrawn", "date", t.day_of(*at)),
    }
}

async fn row(client: &Client, t: Tr, r: &ReceivedReferral) -> ReferralRow {
    ReferralRow {
        id: r.referral_id.clone(),
        requester: requester_name(client, t, &r.requester).await,
        received: t.day_of(r.received_at),
        respond_by: t.day_of(r.respond_by),
        overdue: r.state == ReferralState::Offered && r.respond_by < now(),
        state: state_text(t, &r.state),
    }
}

/// `GET /referrals`.
pub(crate) async fn list(State(service): State<Arc<Service>>, PageLang(lang): PageLang, _: SignedIn) -> Response {
    // Before unlock, home sends the browser to the page that gets the node running.
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    let mut all = client.referrals().await.unwrap_or_default();
    all.sort_by_key(|r| std::cmp::Reverse(r.received_at));
    let (mut waiting, mut answered) = (Vec::new(), Vec::new());
    for r in &all {
        if r.state == ReferralState::Offered {
            waiting.push((r.respond_by, row(&client, t, r).await));
        } else {
            answered.push(row(&client, t, r).await);
        }
    }
    waiting.sort_by_key(|(by, _)| *by);
    let waiting = waiting.into_iter().map(|(_, r)| r).collect();
    page(StatusCode::OK, &ReferralsPage { chrome: Chrome::new(lang, true, true), waiting, answered })
}

/// The answer forms as typed.
#[derive(Deserialize, Default)]
pub(crate) struct AnswerForm {
    #[serde(default)]
    declaration: String,
    #[serde(default)]
    conflict: String,
    #[serde(default)]
    reason: String,
}

async fn referral_page(client: &Client, lang: Lang, id: &str, form: AnswerForm) -> Result<ReferralPage, Response> {
    let t = Tr::new(lang);
    let view = match client.referral(id).await {
        Ok(v) => v,
        Err(NodeError::NotFound(_)) => return Err(super::not_found(lang)),
        Err(e) => return Err(super::failure(lang, &e)),
    };
    let r = &view.referral;
    Ok(ReferralPage {
        chrome: Chrome::new(lang, true, true),
        id: r.referral_id.clone(),
        request_id: r.request_id.clone(),
        requester_id: r.requester.clone(),
        requester: requester_name(client, t, &r.requester).await,
        received: t.day_of(r.received_at),
        respond_by: t.day_of(r.respond_by),
        overdue: r.state == ReferralState::Offered && r.respond_by < now(),
        state: state_text(t, &r.state),
        offered: r.state == ReferralState::Offered,
        accepted: matches!(r.state, ReferralState::Accepted { .. }),
        facts: facts(t, &view.request),
        questions: questions(t, &view.request),
        declaration: if form.declaration.is_empty() { "none".into() } else { form.declaration },
        conflict: form.conflict,
        reason: form.reason,
        conflict_error: String::new(),
        reason_error: String::new(),
        form_error: String::new(),
    })
}

/// `GET /referrals/{id}`.
pub(crate) async fn show(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path(id): Path<String>,
) -> Response {
    // Before unlock, home sends the browser to the page that gets the node running.
    let Some(client) = service.client() else { return see_other("/") };
    match referral_page(&client, lang, &id, AnswerForm::default()).await {
        Ok(p) => page(StatusCode::OK, &p),
        Err(r) => r,
    }
}

/// `POST /referrals/{id}/accept`: with "a possible conflict" the description is required.
pub(crate) async fn accept(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<AnswerForm>,
) -> Response {
    // Before unlock, home sends the browser to the page that gets the node running.
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    let conflict = match form.declaration.as_str() {
        "none" => None,
        "possible" if form.conflict.trim().is_empty() => {
            return answer_refused(&client, lang, &id, form, |p| p.conflict_error = t.get("referral-conflict-missing"))
                .await;
        }
        "possible" => Some(form.conflict.trim().to_string()),
        _ => {
            return answer_refused(&client, lang, &id, form, |p| p.conflict_error = t.get("referral-conflict-choose"))
                .await;
        }
    };
    answer(&client, lang, &id, Answer::Accept { conflict }, form).await
}

/// `POST /referrals/{id}/decline`: the reason is required.
pub(crate) async fn decline(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<AnswerForm>,
) -> Response {
    // Before unlock, home sends the browser to the page that gets the node running.
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    if form.reason.trim().is_empty() {
        return answer_refused(&client, lang, &id, form, |p| p.reason_error = t.get("referral-reason-missing")).await;
    }
    let reason = form.reason.trim().to_string();
    answer(&client, lang, &id, Answer::Decline { reason }, form).await
}

async fn answer(client: &Client, lang: Lang, id: &str, answer: Answer, form: AnswerForm) -> Response {
    match client.answer_referral(id, answer).await {
        Ok(_) => see_other(&format!("/referrals/{id}")),
        Err(NodeError::NotFound(_)) => super::not_found(lang),
        Err(e) => {
            let t = Tr::new(lang);
            answer_refused(client, lang, id, form, |p| p.form_error = t.arg("referral-answer-refused", "reason", &e))
                .await
        }
    }
}

async fn answer_refused(
    client: &Client,
    lang: Lang,
    id: &str,
    form: AnswerForm,
    mark: impl FnOnce(&mut ReferralPage),
) -> Response {
    match referral_page(client, lang, id, form).await {
        Ok(mut p) => {
            mark(&mut p);
            page(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
        Err(r) => r,
    }
}
