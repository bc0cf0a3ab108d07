//! A case, the heart of the app: what every case page shares (the case's head: title, this node's role,
//! the step, the tabs), and one module per page: [`overview`] (scope, the six steps, members) and
//! [`timeline`] (the integrated timeline as a story, added to and edited in place), [`report`] (the final
//! report with the identifier check) and [`destruction`] (destroy, the confirmations, the audit trail).
//!
//! Pages read the case through the same case commands as the JSON API and change it only through them,
//! by patch: an edit sends the fields the user changed, never a stale copy of the others.

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use samenloop_protocol::cases::analysis::Scope;
use samenloop_protocol::cases::ledger::{CaseId, Role};
use serde::Deserialize;

use super::{PageLang, SignedIn, page, see_other};
use crate::NodeError;
use crate::cases::commands::{CaseCommand, CaseSummary};
use crate::network::Client;
use crate::service::Service;
use crate::web::i18n::{Lang, Tr};

pub(crate) mod analysis;
pub(crate) mod comments;
pub(crate) mod destruction;
pub(crate) mod notes;
pub(crate) mod overview;
pub(crate) mod report;
pub(crate) mod timeline;

/// A step reached, with the day it was reached.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct StepDate {
    pub(crate) step: u64,
    pub(crate) date: String,
}

/// `show` as the case command answers it.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct CaseShow {
    #[serde(flatten)]
    pub(crate) summary: CaseSummary,
    #[serde(default)]
    pub(crate) scope: Option<Scope>,
    #[serde(default)]
    pub(crate) step_dates: Vec<StepDate>,
}

/// What every page of a case shows at its top.
pub(crate) struct CaseHead {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) role: String,
    pub(crate) step: u64,
    pub(crate) step_name: String,
    /// Which tab is open (`overview`, `timeline`).
    pub(crate) tab: &'static str,
    /// A reviewer (lead or co-reviewer) may edit the analysis and read the notes.
    pub(crate) reviewer: bool,
    pub(crate) lead: bool,
    pub(crate) removed: bool,
    /// Set when the analysis has not arrived or cannot be read, in words.
    pub(crate) analysis_problem: String,
}

/// The name of a role in the user's language.
pub(crate) fn role_name(t: Tr, role: Option<Role>) -> String {
    t.get(match role {
        Some(Role::Lead) => "role-lead",
        Some(Role::CoReviewer) => "role-co-reviewer",
        Some(Role::Supervisor) => "role-supervisor",
        None => "role-removed",
    })
}

/// A member's name from the directory, or a neutral word when the directory does not know them.
pub(crate) fn member_name(t: Tr, name: Option<&str>) -> String {
    name.filter(|n| !n.is_empty()).map(str::to_string).unwrap_or_else(|| t.get("case-member-unknown"))
}

/// Reads what a page shows: something that is not (or no longer) on this node is the not-found page, any
/// other failure the failure page.
#[allow(clippy::result_large_err)] // the error is the page to answer with, handed straight back
pub(crate) fn shown<T>(lang: Lang, answer: Result<T, NodeError>) -> Result<T, Response> {
    match answer {
        Ok(v) => Ok(v),
        Err(NodeError::NotFound(_)) => Err(super::not_found(lang)),
        Err(e) => Err(super::failure(lang, &e)),
    }
}

/// Runs a case command and reads its answer as `T`.
pub(crate) async fn ask<T: serde::de::DeserializeOwned>(client: &Client, command: CaseCommand) -> Result<T, NodeError> {
    let value = client.case(command).await?;
    serde_json::from_value(value).map_err(|e| NodeError::Storage(format!("unexpected answer from the node: {e}")))
}

/// Loads the case behind `id` for a page: a case id that is malformed or not on this node is "not found".
pub(crate) async fn load(
    client: &Client,
    lang: Lang,
    id: &str,
    tab: &'static str,
) -> Result<(CaseId, CaseShow, CaseHead), Response> {
    let t = Tr::new(lang);
    let Ok(case) = id.parse::<CaseId>() else { return Err(super::not_found(lang)) };
    let show: CaseShow = shown(lang, ask(client, CaseCommand::Show { case }).await)?;
    let s = &show.summary;
    let analysis_problem = match s.documents.get("analysis").map(String::as_str) {
        Some("ok") | None => String::new(),
        Some("not yet arrived") => t.get("case-analysis-not-arrived"),
        Some(other) => t.arg("case-analysis-unreadable", "reason", other.trim_start_matches("unreadable: ")),
    };
    let head = CaseHead {
        id: s.id.clone(),
        title: if s.title.is_empty() { t.get("home-case-untitled") } else { s.title.clone() },
        role: role_name(t, s.role),
        step: s.step,
        step_name: t.get(&format!("step-{}", s.step.clamp(1, 6))),
        tab,
        reviewer: matches!(s.role, Some(Role::Lead | Role::CoReviewer)) && !s.removed,
        lead: s.role == Some(Role::Lead) && !s.removed,
        removed: s.removed,
        analysis_problem,
    };
    Ok((case, show, head))
}

/// The form that opens a case: from an accepted referral, or with a title.
#[derive(Deserialize, Default)]
pub(crate) struct OpenForm {
    #[serde(default)]
    referral: String,
    #[serde(default)]
    title: String,
}

/// `POST /cases/open`: opens a case with this node as lead and shows it.
pub(crate) async fn open(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Form(form): Form<OpenForm>,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    let referral = Some(form.referral.trim().to_string()).filter(|r| !r.is_empty());
    let mut title = Some(form.title.trim().to_string()).filter(|r| !r.is_empty());
    if let (Some(id), None) = (&referral, &title) {
        // The title in the user's language (the node's own default is the command line's English).
        if let Ok(view) = client.referral(id).await {
            title = Some(t.arg("case-default-title", "municipality", &view.request.municipality));
        }
    }
    if referral.is_none() && title.is_none() {
        return super::message(lang, StatusCode::UNPROCESSABLE_ENTITY, t.get("case-open-title-missing"));
    }
    match ask::<CaseSummary>(&client, CaseCommand::Open { title, referral }).await {
        Ok(s) => see_other(&format!("/cases/{}", s.id)),
        Err(e) => super::failure(lang, &e),
    }
}

/// `GET /cases`: every case on this node.
pub(crate) async fn list(State(service): State<Arc<Service>>, PageLang(lang): PageLang, _: SignedIn) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    let cases: Vec<CaseSummary> = match ask(&client, CaseCommand::List).await {
        Ok(c) => c,
        Err(e) => return super::failure(lang, &e),
    };
    let rows = cases
        .into_iter()
        .map(|c| CaseRow {
            title: if c.title.is_empty() { t.get("home-case-untitled") } else { c.title },
            step_name: t.get(&format!("step-{}", c.step.clamp(1, 6))),
            role: role_name(t, c.role),
            id: c.id,
            step: c.step,
            members: c.members,
            removed: c.removed,
        })
        .collect();
    page(StatusCode::OK, &CasesPage { chrome: super::Chrome::new(lang, true, true), rows })
}

/// A case in a list.
pub(crate) struct CaseRow {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) step: u64,
    pub(crate) step_name: String,
    pub(crate) role: String,
    pub(crate) members: usize,
    pub(crate) removed: bool,
}

/// Every case on this node.
#[derive(askama::Template)]
#[template(path = "cases.html")]
pub(crate) struct CasesPage {
    chrome: super::Chrome,
    rows: Vec<CaseRow>,
}
