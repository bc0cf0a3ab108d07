//! Comments: a supervisor's questions, challenges and approvals beside the entity they target, the
//! reviewers' answers beneath them, and resolving (or reopening) a point. Supervisors and reviewers both
//! comment; the node sets who wrote a comment and when.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use samenloop_protocol::cases::comments::{Comment, CommentKind};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::cases::commands::{CaseCommand, EntityKind};
use crate::service::Service;
use crate::web::i18n::Tr;
use crate::web::views::{PageLang, SignedIn, see_other};

/// A comment as a case command lists it beside its entity.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Listed {
    pub(crate) id: String,
    #[serde(flatten)]
    pub(crate) comment: Comment,
}

/// A comment on a page.
pub(crate) struct CommentView {
    pub(crate) id: String,
    pub(crate) kind: String,
    pub(crate) kind_code: &'static str,
    pub(crate) text: String,
    pub(crate) author: String,
    pub(crate) date: String,
    pub(crate) resolved: bool,
    pub(crate) answer: bool,
}

pub(crate) fn kind_code(kind: CommentKind) -> &'static str {
    match kind {
        CommentKind::Question => "question",
        CommentKind::Challenge => "challenge",
        CommentKind::Approval => "approval",
        CommentKind::Answer => "answer",
    }
}

/// The comments on one entity, each point followed by its answers; `names` maps peer ids to names.
pub(crate) fn thread(t: Tr, comments: &[Listed], names: &BTreeMap<String, String>) -> Vec<CommentView> {
    let view = |l: &Listed| CommentView {
        id: l.id.clone(),
        kind: t.get(&format!("comment-{}", kind_code(l.comment.kind))),
        kind_code: kind_code(l.comment.kind),
        text: l.comment.text.clone(),
        author: names.get(&l.comment.author).cloned().unwrap_or_else(|| t.get("case-member-unknown")),
        date: l.comment.written.map(|d| t.date(d)).unwrap_or_default(),
        resolved: l.comment.resolved,
        answer: l.comment.replies_to.is_some(),
    };
    let mut points: Vec<&Listed> = comments.iter().filter(|c| c.comment.replies_to.is_none()).collect();
    points.sort_by_key(|c| (c.comment.written, c.id.clone()));
    let mut out = Vec::new();
    for p in points {
        out.push(view(p));
        let mut answers: Vec<&Listed> =
            comments.iter().filter(|c| c.comment.replies_to.as_deref() == Some(p.id.as_str())).collect();
        answers.sort_by_key(|c| (c.comment.written, c.id.clone()));
        out.extend(answers.into_iter().map(view));
    }
    // Answers whose point is gone still show.
    let orphans =
        comments.iter().filter(|c| c.comment.replies_to.as_ref().is_some_and(|r| !comments.iter().any(|p| &p.id == r)));
    out.extend(orphans.map(view));
    out
}

/// What a comment form posts.
#[derive(Deserialize, Default)]
pub(crate) struct CommentForm {
    #[serde(default)]
    target: String,
    #[serde(default)]
    target_kind: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    replies_to: String,
    /// Where to return (a page of this case).
    #[serde(default)]
    back: String,
}

/// Only pages of this case are returned to.
fn back_to(id: &str, back: &str, anchor: &str) -> String {
    let base = format!("/cases/{id}");
    let path =
        if back.starts_with(&base) && !back.contains("//") { back.to_string() } else { format!("{base}/timeline") };
    let path = path.split('#').next().unwrap_or_default().to_string();
    if anchor.is_empty() { path } else { format!("{path}#{anchor}") }
}

/// `POST /cases/{id}/comments`: a new point or an answer.
pub(crate) async fn add(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<CommentForm>,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    let Ok(case) = id.parse() else { return crate::web::views::not_found(lang) };
    if form.text.trim().is_empty() {
        return crate::web::views::message(lang, StatusCode::UNPROCESSABLE_ENTITY, t.get("comment-text-missing"));
    }
    let kind = if form.replies_to.is_empty() {
        match form.kind.as_str() {
            "challenge" => "challenge",
            "approval" => "approval",
            _ => "question",
        }
    } else {
        "answer"
    };
    let mut fields = Map::new();
    fields.insert("target".into(), Value::String(form.target.clone()));
    fields.insert("target_kind".into(), Value::String(form.target_kind.clone()));
    fields.insert("kind".into(), Value::String(kind.into()));
    fields.insert("text".into(), Value::String(form.text.trim().replace("\r\n", "\n")));
    if !form.replies_to.is_empty() {
        fields.insert("replies_to".into(), Value::String(form.replies_to.clone()));
    }
    match client.case(CaseCommand::Add { case, entity: EntityKind::Comment, fields }).await {
        Ok(_) => see_other(&back_to(&id, &form.back, &format!("entry-{}", form.target))),
        Err(e) => crate::web::views::failure(lang, &e),
    }
}

/// What resolving posts.
#[derive(Deserialize, Default)]
pub(crate) struct ResolveForm {
    #[serde(default)]
    resolved: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    back: String,
}

/// `POST /cases/{id}/comments/{comment}/resolve`: resolves or reopens a point.
pub(crate) async fn resolve(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path((id, comment)): Path<(String, String)>,
    axum::Form(form): axum::Form<ResolveForm>,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let Ok(case) = id.parse() else { return crate::web::views::not_found(lang) };
    let resolved = form.resolved != "false";
    match client.case(CaseCommand::ResolveComment { case: Some(case), id: comment, resolved }).await {
        Ok(_) => see_other(&back_to(&id, &form.back, &format!("entry-{}", form.target))),
        Err(e) => crate::web::views::failure(lang, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_returns_only_to_a_page_of_its_own_case() {
        assert_eq!(back_to("c1", "/cases/c1/timeline?page=2", "entry-x"), "/cases/c1/timeline?page=2#entry-x");
        assert_eq!(back_to("c1", "https://evil.example/", ""), "/cases/c1/timeline");
        assert_eq!(back_to("c1", "/cases/c2/timeline", ""), "/cases/c1/timeline");
        assert_eq!(back_to("c1", "/cases/c1//evil.example", ""), "/cases/c1/timeline");
    }
}
