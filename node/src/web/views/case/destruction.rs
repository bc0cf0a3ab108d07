//! The end of a case's working documents: destroy (the lead, from step 5) after a confirmation that names
//! what will be deleted on every member's node, then the confirmations as they come in; and the audit
//! trail with its verification result, which outlives the case.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use samenloop_protocol::UnixTime;
use serde::Deserialize;
use serde_json::Value;

use super::{CaseHead, ask, load};
use crate::cases::commands::{CaseCommand, MemberView};
use crate::network::Client;
use crate::service::Service;
use crate::web::i18n::{Lang, Tr};
use crate::web::views::{Chrome, PageLang, SignedIn, page, see_other};

/// The step from which the lead may destroy the working documents.
const DESTROY_FROM_STEP: u64 = 5;

/// The confirmation page before destroying.
#[derive(Template)]
#[template(path = "case_destroy.html")]
pub(crate) struct DestroyPage {
    chrome: Chrome,
    head: CaseHead,
    members: Vec<String>,
    too_early: bool,
    error: String,
}

/// `GET /cases/{id}/destroy`.
pub(crate) async fn confirm(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    match destroy_page(&client, lang, &id).await {
        Ok(p) => page(StatusCode::OK, &p),
        Err(r) => r,
    }
}

async fn destroy_page(client: &Client, lang: Lang, id: &str) -> Result<DestroyPage, Response> {
    let t = Tr::new(lang);
    let (case, _, head) = load(client, lang, id, "report").await?;
    if !head.lead {
        return Err(crate::web::views::message(lang, StatusCode::FORBIDDEN, t.get("case-only-lead")));
    }
    let members: Vec<MemberView> = ask(client, CaseCommand::Members { case }).await.unwrap_or_default();
    let members = members
        .iter()
        .map(|m| {
            let name = super::member_name(t, m.name.as_deref());
            format!("{name} ({})", super::role_name(t, Some(m.role)))
        })
        .collect();
    Ok(DestroyPage {
        chrome: Chrome::new(lang, true, true),
        too_early: head.step < DESTROY_FROM_STEP,
        head,
        members,
        error: String::new(),
    })
}

/// What the confirmation posts.
#[derive(Deserialize, Default)]
pub(crate) struct DestroyForm {
    #[serde(default)]
    understood: String,
}

/// `POST /cases/{id}/destroy`: only with the box ticked; the report that outlives the case (the last one
/// drawn up, from the audit trail) is named in the destruction record.
pub(crate) async fn destroy(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<DestroyForm>,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    let Ok(case) = id.parse() else { return crate::web::views::not_found(lang) };
    let refuse = async |message: String| match destroy_page(&client, lang, &id).await {
        Ok(mut p) => {
            p.error = message;
            page(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
        Err(r) => r,
    };
    if form.understood != "on" {
        return refuse(t.get("destroy-tick")).await;
    }
    let report_sha256 = ask::<Value>(&client, CaseCommand::Audit { case }).await.ok().and_then(|a| {
        a["entries"]
            .as_array()?
            .iter()
            .rev()
            .find(|e| e["kind"] == "reported")
            .and_then(|e| e["detail"]["sha256"].as_str().map(str::to_string))
    });
    match client.case(CaseCommand::Destroy { case, report_sha256 }).await {
        Ok(_) => see_other(&format!("/cases/{id}/destruction")),
        Err(e) => refuse(t.arg("case-action-refused", "reason", e)).await,
    }
}

/// A member and when they confirmed.
#[derive(Deserialize)]
struct Who {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    at: Option<UnixTime>,
}

/// The destruction record as the case command shows it.
#[derive(Deserialize)]
struct Destruction {
    destroyed_at: UnixTime,
    lead: Who,
    confirmed: Vec<Who>,
    missing: Vec<Who>,
}

/// The destruction page.
#[derive(Template)]
#[template(path = "case_destruction.html")]
pub(crate) struct DestructionPage {
    chrome: Chrome,
    id: String,
    when: String,
    lead: String,
    confirmed: Vec<(String, String)>,
    missing: Vec<String>,
}

impl DestructionPage {
    /// "Anna destroyed the working documents on 29 November 2026."
    fn done_line(&self) -> String {
        self.chrome.t.args("destruction-done", &[("lead", &self.lead), ("date", &self.when)])
    }
}

/// `GET /cases/{id}/destruction`: live, so confirmations appear as they come in.
pub(crate) async fn record(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    let Ok(case) = id.parse() else { return crate::web::views::not_found(lang) };
    let d: Destruction = match super::shown(lang, ask(&client, CaseCommand::Destruction { case }).await) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let name = |w: &Who| super::member_name(t, w.name.as_deref());
    let p = DestructionPage {
        chrome: Chrome::new(lang, true, true),
        id,
        when: t.day_of(d.destroyed_at),
        lead: name(&d.lead),
        confirmed: d.confirmed.iter().map(|w| (name(w), w.at.map(|a| t.day_of(a)).unwrap_or_default())).collect(),
        missing: d.missing.iter().map(name).collect(),
    };
    page(StatusCode::OK, &p)
}

/// One line of the audit trail, in words.
pub(crate) struct AuditRow {
    date: String,
    who: String,
    what: String,
}

/// The audit trail page.
#[derive(Template)]
#[template(path = "case_audit.html")]
pub(crate) struct AuditPage {
    chrome: Chrome,
    id: String,
    title: String,
    verified: bool,
    problem: String,
    destroyed: bool,
    rows: Vec<AuditRow>,
}

/// An audit line in the user's language, from its kind and details.
fn describe(t: Tr, entry: &Value) -> String {
    let s = |key: &str| entry["detail"][key].as_str().unwrap_or("").to_string();
    let role = |r: &str| {
        t.get(match r {
            "lead" => "role-lead",
            "supervisor" => "role-supervisor",
            _ => "role-co-reviewer",
        })
    };
    match entry["kind"].as_str().unwrap_or("") {
        "opened" => t.get("audit-opened"),
        "invited" => t.args("audit-invited", &[("member", &s("member")), ("role", &role(&s("role")))]),
        "removed" => t.arg("audit-removed", "member", s("member")),
        "lead-handed-over" => t.arg("audit-lead", "member", s("to")),
        "destroyed" => t.get("audit-destroyed"),
        "exported" => t.args("audit-exported", &[("doc", &s("doc")), ("format", &s("format"))]),
        "reported" => {
            let overrides = entry["detail"]["overrides"].as_array().map(Vec::len).unwrap_or(0);
            let base = t.arg("audit-reported", "format", s("format"));
            if overrides == 0 { base } else { format!("{base} {}", t.count("audit-overrides", "n", overrides)) }
        }
        "confirmed" => t.get("audit-confirmed"),
        other => other.to_string(),
    }
}

/// `GET /cases/{id}/audit`: the verified trail; also for a destroyed case.
pub(crate) async fn audit(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    let Ok(case) = id.parse() else { return crate::web::views::not_found(lang) };
    let trail: Value = match super::shown(lang, ask(&client, CaseCommand::Audit { case }).await) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let title = match ask::<super::CaseShow>(&client, CaseCommand::Show { case }).await {
        Ok(s) if !s.summary.title.is_empty() => s.summary.title,
        _ => t.get("audit-case"),
    };
    let rows = trail["entries"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|e| AuditRow {
                    date: e["at"].as_u64().map(|at| t.day_of(UnixTime(at))).unwrap_or_default(),
                    who: e["actor"]["name"]
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| t.get("case-member-unknown")),
                    what: describe(t, e),
                })
                .collect()
        })
        .unwrap_or_default();
    let p = AuditPage {
        chrome: Chrome::new(lang, true, true),
        id,
        title,
        verified: trail["verified"].as_bool().unwrap_or(false),
        problem: trail["problem"].as_str().unwrap_or("").to_string(),
        destroyed: trail["destroyed"].as_bool().unwrap_or(false),
        rows,
    };
    page(StatusCode::OK, &p)
}
