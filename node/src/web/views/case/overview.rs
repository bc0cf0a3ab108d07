//! A case's overview: what the review is about (the scope from the request), the six steps of the method
//! as a progress bar with the day each was reached, and the members with their roles. The lead invites
//! reviewers and supervisors chosen by name from the directory, removes a member (whose keys are rotated),
//! and hands the lead role over.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use samenloop_protocol::DirectoryQuery;
use samenloop_protocol::cases::ledger::Role;
use serde::Deserialize;

use super::{CaseHead, ask, load, role_name};
use crate::NodeError;
use crate::cases::commands::{CaseCommand, MemberView};
use crate::network::Client;
use crate::service::Service;
use crate::web::i18n::{Lang, Tr};
use crate::web::views::{Chrome, PageLang, SignedIn, page, see_other};

/// One of the six steps.
pub(crate) struct StepView {
    n: u64,
    name: String,
    date: String,
    done: bool,
    current: bool,
}

/// A member of the case.
pub(crate) struct MemberRow {
    peer: String,
    name: String,
    role: String,
    since: String,
    is_lead: bool,
    is_me: bool,
    co_reviewer: bool,
}

/// The overview page.
#[derive(Template)]
#[template(path = "case_overview.html")]
pub(crate) struct OverviewPage {
    chrome: Chrome,
    head: CaseHead,
    question: String,
    period: String,
    organisations: String,
    steps: Vec<StepView>,
    members: Vec<MemberRow>,
    /// Reviewers from the directory who can be invited: peer id and name.
    invitable: Vec<(String, String)>,
    flash: String,
    error: String,
}

async fn overview_page(client: &Client, lang: Lang, id: &str) -> Result<OverviewPage, Response> {
    let t = Tr::new(lang);
    let (case, show, head) = load(client, lang, id, "overview").await?;
    let me = client.status().await.map(|s| s.peer_id).unwrap_or_default();
    let members: Vec<MemberView> = ask(client, CaseCommand::Members { case }).await.unwrap_or_default();
    let scope = show.scope.unwrap_or_default();
    let period = match (scope.period_from, scope.period_to) {
        (Some(a), Some(b)) => format!("{} – {}", t.date(a), t.date(b)),
        (Some(a), None) => t.arg("availability-from", "date", t.date(a)),
        _ => String::new(),
    };
    let steps = (1..=6)
        .map(|n| StepView {
            n,
            name: t.get(&format!("step-{n}")),
            date: show
                .step_dates
                .iter()
                .find(|d| d.step == n)
                .and_then(|d| d.date.parse().ok())
                .map(|d| t.date(d))
                .unwrap_or_default(),
            done: n <= show.summary.step,
            current: n == show.summary.step,
        })
        .collect();
    let invitable = if head.lead {
        let all = client.search(DirectoryQuery::default()).await.map(|r| r.results).unwrap_or_default();
        let mut v: Vec<(String, String)> = all
            .into_iter()
            .filter(|p| p.peer_id != me && !members.iter().any(|m| m.peer == p.peer_id))
            .map(|p| (p.peer_id, p.name))
            .collect();
        v.sort_by_key(|p| p.1.to_lowercase());
        v
    } else {
        Vec::new()
    };
    let mut rows: Vec<MemberRow> = members
        .iter()
        .map(|m| MemberRow {
            name: super::member_name(t, m.name.as_deref()),
            role: role_name(t, Some(m.role)),
            since: t.day_of(m.since),
            is_lead: m.role == Role::Lead,
            is_me: m.peer == me,
            co_reviewer: m.role == Role::CoReviewer,
            peer: m.peer.clone(),
        })
        .collect();
    rows.sort_by_key(|m| (!m.is_lead, !m.co_reviewer, m.name.to_lowercase()));
    Ok(OverviewPage {
        chrome: Chrome::new(lang, true, true),
        head,
        question: scope.learning_question,
        period,
        organisations: scope.organisations.join(", "),
        steps,
        members: rows,
        invitable,
        flash: String::new(),
        error: String::new(),
    })
}

/// `GET /cases/{id}` (`?invited`, `?removed`, `?lead`, `?step` after those actions).
pub(crate) async fn show(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path(id): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    match overview_page(&client, lang, &id).await {
        Ok(mut p) => {
            p.flash = match query.as_deref() {
                Some("invited") => t.get("case-invited"),
                Some("removed") => t.get("case-removed"),
                Some("lead") => t.get("case-lead-handed"),
                Some("step") => t.get("case-step-saved"),
                _ => String::new(),
            };
            page(StatusCode::OK, &p)
        }
        Err(r) => r,
    }
}

async fn refused(client: &Client, lang: Lang, id: &str, message: String) -> Response {
    match overview_page(client, lang, id).await {
        Ok(mut p) => {
            p.error = message;
            page(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
        Err(r) => r,
    }
}

/// What a member form posts.
#[derive(Deserialize, Default)]
pub(crate) struct MemberForm {
    #[serde(default)]
    peer: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    step: String,
}

/// Runs a membership command and returns to the overview, or names why it could not be done.
async fn act(client: &Client, lang: Lang, id: &str, command: CaseCommand, done: &str) -> Response {
    let t = Tr::new(lang);
    match client.case(command).await {
        Ok(_) => see_other(&format!("/cases/{id}?{done}")),
        Err(NodeError::Forbidden(_)) => refused(client, lang, id, t.get("case-only-lead")).await,
        Err(e) => refused(client, lang, id, t.arg("case-action-refused", "reason", e)).await,
    }
}

/// `POST /cases/{id}/invite`: the reviewer is chosen from a list of names.
pub(crate) async fn invite(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<MemberForm>,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    let Ok(case) = id.parse() else { return crate::web::views::not_found(lang) };
    let role = match form.role.as_str() {
        "supervisor" => Role::Supervisor,
        "co-reviewer" => Role::CoReviewer,
        _ => return refused(&client, lang, &id, t.get("case-invite-role")).await,
    };
    if form.peer.is_empty() {
        return refused(&client, lang, &id, t.get("case-invite-choose")).await;
    }
    act(&client, lang, &id, CaseCommand::Invite { case, peer: form.peer, role }, "invited").await
}

/// `POST /cases/{id}/remove`.
pub(crate) async fn remove(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<MemberForm>,
) -> Response {
    on_member(&service, lang, &id, |case| CaseCommand::RemoveMember { case, peer: form.peer }, "removed").await
}

/// `POST /cases/{id}/lead`.
pub(crate) async fn hand_lead(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<MemberForm>,
) -> Response {
    on_member(&service, lang, &id, |case| CaseCommand::HandLead { case, peer: form.peer }, "lead").await
}

/// A membership command on a member chosen from the list.
async fn on_member(
    service: &Service,
    lang: Lang,
    id: &str,
    command: impl FnOnce(samenloop_protocol::cases::ledger::CaseId) -> CaseCommand,
    done: &str,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let Ok(case) = id.parse() else { return crate::web::views::not_found(lang) };
    act(&client, lang, id, command(case), done).await
}

/// `POST /cases/{id}/step`: moves the case to a step of the method, dated today.
pub(crate) async fn step(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<MemberForm>,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    let Ok(case) = id.parse() else { return crate::web::views::not_found(lang) };
    let Some(step) = form.step.parse::<u64>().ok().filter(|s| (1..=6).contains(s)) else {
        return refused(&client, lang, &id, t.get("case-step-choose")).await;
    };
    act(&client, lang, &id, CaseCommand::Step { case, step, date: None }, "step").await
}
