//! The reviewers' notes: interview notes and file extracts, raw material that may name people and so
//! never leaves the reviewers' own document. The page does not exist for a supervisor, whose node does not
//! hold the notes at all.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use samenloop_protocol::cases::notes::{Note, NoteKind};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{CaseHead, ask, load};
use crate::cases::commands::{CaseCommand, EntityKind};
use crate::network::Client;
use crate::service::Service;
use crate::web::i18n::{Lang, Tr};
use crate::web::views::{Chrome, PageLang, SignedIn, page, see_other};

/// A note as the case command lists it.
#[derive(Deserialize)]
struct Listed {
    id: String,
    #[serde(flatten)]
    note: Note,
}

/// A note on the page.
pub(crate) struct NoteView {
    id: String,
    kind: String,
    title: String,
    participant: String,
    date: String,
    text: String,
}

/// The notes page.
#[derive(Template)]
#[template(path = "case_notes.html")]
pub(crate) struct NotesPage {
    chrome: Chrome,
    head: CaseHead,
    notes: Vec<NoteView>,
    error: String,
    flash: String,
}

fn kind_code(kind: NoteKind) -> &'static str {
    match kind {
        NoteKind::Interview => "interview",
        NoteKind::FileExtract => "file-extract",
        NoteKind::Other => "other",
    }
}

async fn notes_page(client: &Client, lang: Lang, id: &str) -> Result<NotesPage, Response> {
    let t = Tr::new(lang);
    let (case, _, head) = load(client, lang, id, "notes").await?;
    // For a supervisor the page does not exist: their node holds no notes.
    if !head.reviewer {
        return Err(crate::web::views::not_found(lang));
    }
    let listed: Vec<Listed> =
        ask(client, CaseCommand::ListEntities { case, entity: EntityKind::Note }).await.unwrap_or_default();
    let notes = listed
        .into_iter()
        .map(|l| NoteView {
            id: l.id,
            kind: t.get(&format!("note-{}", kind_code(l.note.kind))),
            title: l.note.title,
            participant: l.note.participant.unwrap_or_default(),
            date: l.note.date.map(|d| t.date(d)).unwrap_or_default(),
            text: l.note.text,
        })
        .collect();
    Ok(NotesPage { chrome: Chrome::new(lang, true, true), head, notes, error: String::new(), flash: String::new() })
}

/// `GET /cases/{id}/notes`.
pub(crate) async fn show(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path(id): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    match notes_page(&client, lang, &id).await {
        Ok(mut p) => {
            if query.as_deref() == Some("added") {
                p.flash = p.chrome.t.get("note-added");
            }
            page(StatusCode::OK, &p)
        }
        Err(r) => r,
    }
}

/// What the note form posts.
#[derive(Deserialize, Default)]
pub(crate) struct NoteForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    participant: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    text: String,
}

/// `POST /cases/{id}/notes`.
pub(crate) async fn add(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<NoteForm>,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    let Ok(case) = id.parse() else { return crate::web::views::not_found(lang) };
    let refuse = async |message: String| match notes_page(&client, lang, &id).await {
        Ok(mut p) => {
            p.error = message;
            page(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
        Err(r) => r,
    };
    if form.title.trim().is_empty() && form.text.trim().is_empty() {
        return refuse(t.get("note-empty")).await;
    }
    let mut fields = Map::new();
    let kind = match form.kind.as_str() {
        "interview" => "interview",
        "file-extract" => "file-extract",
        _ => "other",
    };
    fields.insert("kind".into(), Value::String(kind.into()));
    fields.insert("title".into(), Value::String(form.title.trim().into()));
    fields.insert("text".into(), Value::String(form.text.trim().replace("\r\n", "\n")));
    if !form.participant.trim().is_empty() {
        fields.insert("participant".into(), Value::String(form.participant.trim().into()));
    }
    match form.date.trim() {
        "" => {}
        d => match d.parse::<samenloop_protocol::CalendarDate>() {
            Ok(d) => {
                fields.insert("date".into(), Value::String(d.to_string()));
            }
            Err(_) => return refuse(t.get("form-date-invalid")).await,
        },
    }
    match client.case(CaseCommand::Add { case, entity: EntityKind::Note, fields }).await {
        Ok(_) => see_other(&format!("/cases/{id}/notes?added")),
        Err(e) => refuse(t.arg("timeline-refused", "reason", e)).await,
    }
}
