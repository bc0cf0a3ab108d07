//! The final report: a preview drawn up from the analysis, with every identifier the check finds marked
//! where it occurs, each with "remove" (to the field it stands in) or "allow" (recorded in the audit trail
//! when the report is drawn up), and the download as Markdown or HTML once no hit is left.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{CaseHead, ask, load};
use crate::NodeError;
use crate::cases::commands::CaseCommand;
use crate::network::Client;
use crate::service::Service;
use crate::web::i18n::{Lang, Tr};
use crate::web::views::{Chrome, PageLang, SignedIn, page, see_other};

/// An identifier the check found, as the case command reports it.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Hit {
    kind: String,
    text: String,
    location: String,
}

/// The report command's answer.
#[derive(Debug, Deserialize)]
struct Drawn {
    report: Option<String>,
    #[serde(default)]
    hits: Vec<Hit>,
}

/// A hit on the page: what, where, and where to remove it.
pub(crate) struct HitView {
    n: usize,
    kind: String,
    text: String,
    location: String,
    /// A link to the field, when the app has a page for its entity.
    fix: String,
}

/// A piece of the report text: plain, or the identifier hit number `n`.
pub(crate) struct Piece {
    text: String,
    hit: Option<usize>,
}

/// The report page.
#[derive(Template)]
#[template(path = "case_report.html")]
pub(crate) struct ReportPage {
    chrome: Chrome,
    head: CaseHead,
    pieces: Vec<Piece>,
    hits: Vec<HitView>,
    allowed: Vec<String>,
    error: String,
}

/// The texts allowed so far, from the query or the form (`allow` repeats).
fn allowed(query: &str) -> Vec<String> {
    let mut v: Vec<String> = form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == "allow")
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect();
    v.dedup();
    v
}

fn kind_name(t: Tr, kind: &str) -> String {
    match kind {
        "real-name" | "email" | "phone" | "bsn" | "postcode-with-house-number" | "date-of-birth" => {
            t.get(&format!("identifier-{kind}"))
        }
        other => other.to_string(),
    }
}

/// Splits the report into plain text and the hits, in order, so each hit is marked where it occurs.
fn pieces(text: &str, hits: &[Hit]) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        let next = hits
            .iter()
            .enumerate()
            .filter(|(_, h)| !h.text.is_empty())
            .filter_map(|(i, h)| rest.find(h.text.as_str()).map(|at| (at, i, h.text.len())))
            .min_by_key(|(at, i, _)| (*at, *i));
        match next {
            Some((at, i, len)) => {
                if at > 0 {
                    out.push(Piece { text: rest[..at].to_string(), hit: None });
                }
                out.push(Piece { text: rest[at..at + len].to_string(), hit: Some(i + 1) });
                rest = &rest[at + len..];
            }
            None => {
                if !rest.is_empty() {
                    out.push(Piece { text: rest.to_string(), hit: None });
                }
                return out;
            }
        }
    }
}

/// Where to remove a hit: the timeline entry it stands in ("timeline entry 3f2a9c01…: what").
fn fix_link(case: &str, location: &str) -> String {
    location
        .strip_prefix("timeline entry ")
        .and_then(|rest| rest.split([':', '…']).next())
        .filter(|prefix| !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|prefix| format!("/cases/{case}/timeline?find={prefix}"))
        .unwrap_or_default()
}

async fn report_page(client: &Client, lang: Lang, id: &str, allow: Vec<String>) -> Result<ReportPage, Response> {
    let t = Tr::new(lang);
    let (case, _, head) = load(client, lang, id, "report").await?;
    let command =
        CaseCommand::Report { case, format: "md".into(), allow: allow.clone(), follow_up: None, preview: true };
    let drawn: Drawn = match ask(client, command).await {
        Ok(d) => d,
        Err(NodeError::Forbidden(_)) => {
            return Err(crate::web::views::message(lang, StatusCode::FORBIDDEN, t.get("report-reviewers-only")));
        }
        Err(e) => return Err(crate::web::views::failure(lang, &e)),
    };
    let text = drawn.report.unwrap_or_default();
    let hits = drawn
        .hits
        .iter()
        .enumerate()
        .map(|(i, h)| HitView {
            n: i + 1,
            kind: kind_name(t, &h.kind),
            text: h.text.clone(),
            location: h.location.clone(),
            fix: fix_link(&head.id, &h.location),
        })
        .collect();
    Ok(ReportPage {
        chrome: Chrome::new(lang, true, true),
        pieces: pieces(&text, &drawn.hits),
        head,
        hits,
        allowed: allow,
        error: String::new(),
    })
}

/// `GET /cases/{id}/report?allow=...`.
pub(crate) async fn show(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    match report_page(&client, lang, &id, allowed(query.as_deref().unwrap_or(""))).await {
        Ok(p) => page(StatusCode::OK, &p),
        Err(r) => r,
    }
}

/// `POST /cases/{id}/report`: draws up the report (recorded in the audit trail with every allowed hit)
/// and hands it to the browser as a file, or shows the hits that remain.
pub(crate) async fn download(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    let Ok(case) = id.parse() else { return crate::web::views::not_found(lang) };
    let allow = allowed(&body);
    let format = match form_urlencoded::parse(body.as_bytes()).find(|(k, _)| k == "format").map(|(_, v)| v) {
        Some(f) if f == "html" => "html",
        _ => "md",
    };
    let command =
        CaseCommand::Report { case, format: format.into(), allow: allow.clone(), follow_up: None, preview: false };
    match ask::<Drawn>(&client, command).await {
        Ok(Drawn { report: Some(text), .. }) => {
            let (mime, ext) = if format == "html" {
                ("text/html; charset=utf-8", "html")
            } else {
                ("text/markdown; charset=utf-8", "md")
            };
            let mut r = (StatusCode::OK, text).into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
            let name = format!("attachment; filename=\"eindrapport-{}.{ext}\"", &id[..id.len().min(8)]);
            if let Ok(v) = HeaderValue::from_str(&name) {
                r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            r
        }
        Ok(Drawn { report: None, hits }) => match report_page(&client, lang, &id, allow).await {
            Ok(mut p) => {
                p.error = t.count("report-blocked", "n", hits.len());
                page(StatusCode::UNPROCESSABLE_ENTITY, &p)
            }
            Err(r) => r,
        },
        Err(e) => crate::web::views::failure(lang, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(text: &str) -> Hit {
        Hit { kind: "bsn".into(), text: text.into(), location: String::new() }
    }

    #[test]
    fn every_hit_is_marked_where_it_occurs() {
        let p = pieces("a 123 b 456 c 123", &[hit("123"), hit("456")]);
        let marked: Vec<(&str, Option<usize>)> = p.iter().map(|p| (p.text.as_str(), p.hit)).collect();
        assert_eq!(
            marked,
            [("a ", None), ("123", Some(1)), (" b ", None), ("456", Some(2)), (" c ", None), ("123", Some(1))]
        );
    }

    #[test]
    fn a_hit_in_a_timeline_entry_links_to_it() {
        assert_eq!(fix_link("c", "timeline entry 3f2a9c01…: what"), "/cases/c/timeline?find=3f2a9c01");
        assert_eq!(fix_link("c", "timeline entry 3f2a: what"), "/cases/c/timeline?find=3f2a");
        assert_eq!(fix_link("c", "finding 'Titel': questions[1]"), "");
    }
}
