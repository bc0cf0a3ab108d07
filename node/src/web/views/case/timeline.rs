//! The integrated timeline as a story: entries in time order, grouped by month, each with when (and how
//! precisely that is known), who and which agency (pseudonyms), what happened, what was known or believed
//! then, the decision and its rationale, the sources, and whether it is contested. Reviewers add entries
//! and edit them in place; filters by agency and actor; a page holds at most
//! [`crate::cases::commands::TIMELINE_PAGE`] entries, paged by the node, so a long timeline never travels
//! whole, to the app or to the browser.
//!
//! An edit sends only the fields the user changed (each form carries the values it was drawn with), so two
//! reviewers editing different fields of one entry both keep their change, and one text field merges.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use samenloop_protocol::CalendarDate;
use samenloop_protocol::cases::analysis::{Precision, TimelineEntry};
use samenloop_protocol::cases::ledger::CaseId;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{CaseHead, ask, load};
use crate::NodeError;
use crate::cases::commands::{CaseCommand, EntityKind};
use crate::network::Client;
use crate::service::Service;
use crate::web::i18n::{Lang, Tr};
use crate::web::views::{Chrome, PageLang, SignedIn, page, see_other};

/// The text fields of an entry, in the order the form shows them.
const TEXT_FIELDS: [&str; 7] = ["actor", "agency", "what", "known_then", "decision", "rationale", "perspective"];

/// A page of the timeline as the node answers it.
#[derive(Deserialize)]
struct PageOfEntries {
    total: usize,
    matching: usize,
    page: usize,
    pages: usize,
    found: Option<String>,
    agencies: Vec<String>,
    actors: Vec<String>,
    items: Vec<Listed>,
}

impl Default for PageOfEntries {
    fn default() -> Self {
        PageOfEntries {
            total: 0,
            matching: 0,
            page: 1,
            pages: 1,
            found: None,
            agencies: Vec::new(),
            actors: Vec::new(),
            items: Vec::new(),
        }
    }
}

/// An entry as the case command lists it.
#[derive(Deserialize)]
struct Listed {
    id: String,
    #[serde(flatten)]
    entry: TimelineEntry,
    #[serde(default)]
    comments: Vec<super::comments::Listed>,
}

/// An entry's fields as text, as a form shows and posts them.
#[derive(Clone, Default, Debug, PartialEq)]
pub(crate) struct EntryForm {
    fields: BTreeMap<String, String>,
    contested: bool,
}

impl EntryForm {
    fn of(e: &TimelineEntry) -> EntryForm {
        let mut fields = BTreeMap::new();
        for (k, v) in [
            ("actor", &e.actor),
            ("agency", &e.agency),
            ("what", &e.what),
            ("known_then", &e.known_then),
            ("decision", &e.decision),
            ("rationale", &e.rationale),
            ("perspective", &e.perspective),
        ] {
            fields.insert(k.to_string(), v.clone());
        }
        fields.insert("date".into(), e.date.map(|d| d.to_string()).unwrap_or_default());
        fields.insert("precision".into(), precision_code(e.precision.unwrap_or_default()).into());
        fields.insert("sources".into(), e.sources.join(", "));
        EntryForm { fields, contested: e.contested }
    }

    /// The form as posted (`prefix` "" for what the user typed, "was-" for the values it was drawn with).
    fn parse(body: &str, prefix: &str) -> EntryForm {
        let mut f = EntryForm::default();
        for (k, v) in form_urlencoded::parse(body.as_bytes()) {
            let Some(name) = k.strip_prefix(prefix) else { continue };
            if prefix.is_empty() && name.starts_with("was-") {
                continue;
            }
            match name {
                "contested" => f.contested = v == "on" || v == "true",
                name if TEXT_FIELDS.contains(&name) || ["date", "precision", "sources"].contains(&name) => {
                    f.fields.insert(name.to_string(), v.replace("\r\n", "\n"));
                }
                _ => {}
            }
        }
        f
    }

    fn get(&self, name: &str) -> &str {
        self.fields.get(name).map(String::as_str).unwrap_or("")
    }

    /// The fields that differ from `was`, as a patch for the node; a date that is not one is named.
    fn patch(&self, was: &EntryForm, t: Tr, errors: &mut BTreeMap<String, String>) -> Map<String, Value> {
        let mut patch = Map::new();
        for name in TEXT_FIELDS {
            if self.get(name) != was.get(name) {
                patch.insert(name.into(), Value::String(self.get(name).trim().to_string()));
            }
        }
        if self.get("date").trim() != was.get("date").trim() {
            match self.get("date").trim() {
                "" => {
                    patch.insert("date".into(), Value::Null);
                }
                d => match d.parse::<CalendarDate>() {
                    Ok(d) => {
                        patch.insert("date".into(), Value::String(d.to_string()));
                    }
                    Err(_) => {
                        errors.insert("date".into(), t.get("form-date-invalid"));
                    }
                },
            }
        }
        if self.get("precision") != was.get("precision") {
            let p = PRECISIONS.iter().find(|p| precision_code(**p) == self.get("precision")).copied();
            patch.insert("precision".into(), Value::String(precision_code(p.unwrap_or_default()).into()));
        }
        if self.get("sources") != was.get("sources") {
            let sources: Vec<Value> = self
                .get("sources")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.into()))
                .collect();
            patch.insert("sources".into(), Value::Array(sources));
        }
        if self.contested != was.contested {
            patch.insert("contested".into(), Value::Bool(self.contested));
        }
        patch
    }
}

const PRECISIONS: [Precision; 4] = [Precision::Day, Precision::Month, Precision::Year, Precision::Approximate];

fn precision_code(p: Precision) -> &'static str {
    match p {
        Precision::Day => "day",
        Precision::Month => "month",
        Precision::Year => "year",
        Precision::Approximate => "approximate",
    }
}

/// When an entry happened, as precisely as it is known.
fn when(t: Tr, e: &TimelineEntry) -> String {
    let Some(d) = e.date else { return t.get("timeline-undated") };
    let (y, m, _) = d.ymd();
    match e.precision.unwrap_or_default() {
        Precision::Day => t.date(d),
        Precision::Month => format!("{} {y}", t.get(&format!("month-{m}"))),
        Precision::Year => y.to_string(),
        Precision::Approximate => t.arg("timeline-around", "date", t.date(d)),
    }
}

/// The period an entry is grouped under: its month, or its year when only the year is known.
fn period(t: Tr, e: &TimelineEntry) -> String {
    let Some(d) = e.date else { return t.get("timeline-undated") };
    let (y, m, _) = d.ymd();
    match e.precision.unwrap_or_default() {
        Precision::Year => y.to_string(),
        _ => format!("{} {y}", t.get(&format!("month-{m}"))),
    }
}

/// One entry on the page.
pub(crate) struct EntryView {
    id: String,
    when: String,
    actor: String,
    agency: String,
    what: String,
    known_then: String,
    decision: String,
    rationale: String,
    perspective: String,
    contested: bool,
    sources: String,
    comments: Vec<super::comments::CommentView>,
    /// Points on this entry not yet resolved.
    open_points: usize,
    form: EntryForm,
    /// The values the form was drawn with (kept when the form comes back with a problem).
    was: EntryForm,
    /// The edit form is open (it came back with a problem).
    open: bool,
    errors: BTreeMap<String, String>,
}

/// A month (or a year) of the story.
pub(crate) struct PeriodView {
    label: String,
    entries: Vec<EntryView>,
}

/// The timeline page.
#[derive(Template)]
#[template(path = "case_timeline.html")]
pub(crate) struct TimelinePage {
    chrome: Chrome,
    head: CaseHead,
    periods: Vec<PeriodView>,
    total: usize,
    matching: usize,
    page: usize,
    pages: usize,
    agencies: Vec<String>,
    actors: Vec<String>,
    agency: String,
    actor: String,
    precisions: Vec<(String, String)>,
    new_form: EntryForm,
    new_errors: BTreeMap<String, String>,
    new_open: bool,
    flash: String,
    error: String,
}

impl TimelinePage {
    /// "Page 2 of 5".
    fn page_of(&self) -> String {
        self.chrome.t.args("timeline-page-of", &[("page", &self.page), ("pages", &self.pages)])
    }

    /// The address of page `n` with the current filters.
    fn page_link(&self, n: usize) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if !self.agency.is_empty() {
            q.append_pair("agency", &self.agency);
        }
        if !self.actor.is_empty() {
            q.append_pair("actor", &self.actor);
        }
        q.append_pair("page", &n.to_string());
        format!("/cases/{}/timeline?{}", self.head.id, q.finish())
    }
}

/// The filters and the page asked for.
#[derive(Deserialize, Default, Clone)]
pub(crate) struct TimelineQuery {
    #[serde(default)]
    agency: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    page: Option<usize>,
    #[serde(default)]
    done: Option<String>,
    /// The start of an entry's id (from the report's identifier check): its page opens with its editor.
    #[serde(default)]
    find: Option<String>,
}

/// The timeline as the node lists it, each entry still as JSON: a page reads into entries only the 50 it
/// shows, and filters the rest on two strings.
async fn entries(client: &Client, case: CaseId) -> Result<Vec<Value>, NodeError> {
    ask(client, CaseCommand::ListEntities { case, entity: EntityKind::Timeline }).await
}

fn text<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field].as_str().unwrap_or("")
}

/// Builds the page; `editing` is an entry's form that came back with problems (or the new-entry form,
/// under the id "").
async fn timeline_page(
    client: &Client,
    lang: Lang,
    id: &str,
    query: &TimelineQuery,
    editing: Option<(String, EntryForm, EntryForm, BTreeMap<String, String>)>,
) -> Result<TimelinePage, Response> {
    let t = Tr::new(lang);
    let (case, _, head) = load(client, lang, id, "timeline").await?;
    let listed: PageOfEntries = if head.analysis_problem.is_empty() {
        let command = CaseCommand::TimelinePage {
            case,
            agency: query.agency.clone(),
            actor: query.actor.clone(),
            page: query.page.unwrap_or(1),
            find: query.find.clone().unwrap_or_default(),
        };
        match ask(client, command).await {
            Ok(p) => p,
            Err(e) => return Err(crate::web::views::failure(lang, &e)),
        }
    } else {
        PageOfEntries::default()
    };
    let members: Vec<crate::cases::commands::MemberView> =
        ask(client, CaseCommand::Members { case }).await.unwrap_or_default();
    let names: BTreeMap<String, String> =
        members.into_iter().filter_map(|m| Some((m.peer, m.name.filter(|n| !n.is_empty())?))).collect();
    let PageOfEntries { total, matching, page: page_no, pages, found, agencies, actors, items: shown } = listed;
    let mut periods: Vec<PeriodView> = Vec::new();
    let (mut new_form, mut new_errors, mut new_open) = (EntryForm::default(), BTreeMap::new(), false);
    let mut editing = editing;
    if let Some((eid, form, _, errors)) = editing.as_ref().filter(|(eid, ..)| eid.is_empty()) {
        let _ = eid;
        new_form = form.clone();
        new_errors = errors.clone();
        new_open = true;
        editing = None;
    }
    for l in &shown {
        let e = &l.entry;
        let mut view = EntryView {
            id: l.id.clone(),
            when: when(t, e),
            actor: e.actor.clone(),
            agency: e.agency.clone(),
            what: e.what.clone(),
            known_then: e.known_then.clone(),
            decision: e.decision.clone(),
            rationale: e.rationale.clone(),
            perspective: e.perspective.clone(),
            contested: e.contested,
            sources: e.sources.join(", "),
            comments: super::comments::thread(t, &l.comments, &names),
            open_points: l
                .comments
                .iter()
                .filter(|c| c.comment.replies_to.is_none() && !c.comment.resolved)
                .filter(|c| c.comment.kind != samenloop_protocol::cases::comments::CommentKind::Approval)
                .count(),
            form: EntryForm::of(e),
            was: EntryForm::of(e),
            open: false,
            errors: BTreeMap::new(),
        };
        view.open = found.as_deref() == Some(l.id.as_str());
        if let Some((_, form, was, errors)) = editing.as_ref().filter(|(eid, ..)| *eid == l.id) {
            view.form = form.clone();
            view.was = was.clone();
            view.errors = errors.clone();
            view.open = true;
        }
        let label = period(t, e);
        match periods.last_mut() {
            Some(p) if p.label == label => p.entries.push(view),
            _ => periods.push(PeriodView { label, entries: vec![view] }),
        }
    }
    Ok(TimelinePage {
        chrome: Chrome::new(lang, true, true),
        head,
        periods,
        total,
        matching,
        page: page_no,
        pages,
        agencies,
        actors,
        agency: query.agency.clone(),
        actor: query.actor.clone(),
        precisions: PRECISIONS
            .iter()
            .map(|p| (precision_code(*p).to_string(), t.get(&format!("precision-{}", precision_code(*p)))))
            .collect(),
        new_open: new_open || total == 0,
        new_form,
        new_errors,
        flash: String::new(),
        error: String::new(),
    })
}

/// `GET /cases/{id}/timeline?agency=&actor=&page=`.
pub(crate) async fn show(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path(id): Path<String>,
    Query(query): Query<TimelineQuery>,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    match timeline_page(&client, lang, &id, &query, None).await {
        Ok(mut p) => {
            p.flash = match query.done.as_deref() {
                Some("added") => t.get("timeline-added"),
                Some("saved") => t.get("timeline-saved"),
                Some("removed") => t.get("timeline-removed"),
                _ => String::new(),
            };
            page(StatusCode::OK, &p)
        }
        Err(r) => r,
    }
}

/// Shows the page again with a message (and a form that came back), nothing changed.
async fn refused(
    client: &Client,
    lang: Lang,
    id: &str,
    editing: Option<(String, EntryForm, EntryForm, BTreeMap<String, String>)>,
    message: String,
) -> Response {
    match timeline_page(client, lang, id, &TimelineQuery::default(), editing).await {
        Ok(mut p) => {
            p.error = message;
            page(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
        Err(r) => r,
    }
}

/// `POST /cases/{id}/timeline`: adds an entry.
pub(crate) async fn add(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    let Ok(case) = id.parse::<CaseId>() else { return crate::web::views::not_found(lang) };
    let form = EntryForm::parse(&body, "");
    let mut errors = BTreeMap::new();
    let fields = form.patch(&EntryForm::default(), t, &mut errors);
    if form.get("what").trim().is_empty() {
        errors.insert("what".into(), t.get("timeline-what-missing"));
    }
    if !errors.is_empty() {
        let message = t.get("timeline-not-saved");
        return refused(&client, lang, &id, Some((String::new(), form, EntryForm::default(), errors)), message).await;
    }
    match client.case(CaseCommand::Add { case, entity: EntityKind::Timeline, fields }).await {
        Ok(_) => see_other(&format!("/cases/{id}/timeline?done=added")),
        Err(e) => {
            let message = t.arg("timeline-refused", "reason", e);
            refused(&client, lang, &id, Some((String::new(), form, EntryForm::default(), BTreeMap::new())), message)
                .await
        }
    }
}

/// `POST /cases/{id}/timeline/{entry}`: saves the fields the user changed.
pub(crate) async fn edit(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path((id, entry)): Path<(String, String)>,
    body: String,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    let Ok(case) = id.parse::<CaseId>() else { return crate::web::views::not_found(lang) };
    let (form, was) = (EntryForm::parse(&body, ""), EntryForm::parse(&body, "was-"));
    let mut errors = BTreeMap::new();
    let fields = form.patch(&was, t, &mut errors);
    if !errors.is_empty() {
        let message = t.get("timeline-not-saved");
        return refused(&client, lang, &id, Some((entry, form, was, errors)), message).await;
    }
    if fields.is_empty() {
        return see_other(&format!("/cases/{id}/timeline#entry-{entry}"));
    }
    match client.case(CaseCommand::Edit { case, entity: EntityKind::Timeline, id: entry.clone(), fields }).await {
        Ok(_) => see_other(&format!("/cases/{id}/timeline?done=saved#entry-{entry}")),
        Err(e) => {
            let gone = entries(&client, case).await.is_ok_and(|all| !all.iter().any(|l| text(l, "id") == entry));
            let message = if gone { t.get("timeline-gone") } else { t.arg("timeline-refused", "reason", e) };
            refused(&client, lang, &id, if gone { None } else { Some((entry, form, was, BTreeMap::new())) }, message)
                .await
        }
    }
}

/// `POST /cases/{id}/timeline/{entry}/remove`.
pub(crate) async fn remove(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path((id, entry)): Path<(String, String)>,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    let Ok(case) = id.parse::<CaseId>() else { return crate::web::views::not_found(lang) };
    match client.case(CaseCommand::Remove { case, entity: EntityKind::Timeline, id: entry.clone() }).await {
        Ok(_) => see_other(&format!("/cases/{id}/timeline?done=removed")),
        Err(e) => {
            let gone = entries(&client, case).await.is_ok_and(|all| !all.iter().any(|l| text(l, "id") == entry));
            let message = if gone { t.get("timeline-gone") } else { t.arg("timeline-refused", "reason", e) };
            refused(&client, lang, &id, None, message).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_fields_the_user_changed_are_sent() {
        let was = EntryForm::parse("was-what=Huisbezoek&was-actor=GI-1&was-date=2024-03-02&was-precision=day", "was-");
        let now = EntryForm::parse(
            "what=Huisbezoek+door+GI-1&actor=GI-1&date=2024-03-02&precision=day&contested=on&was-what=Huisbezoek",
            "",
        );
        let mut errors = BTreeMap::new();
        let patch = now.patch(&was, Tr::new(Lang::Nl), &mut errors);
        assert!(errors.is_empty());
        let keys: Vec<&str> = patch.keys().map(String::as_str).collect();
        assert_eq!(keys, ["contested", "what"]);
        assert_eq!(patch["what"], "Huisbezoek door GI-1");
    }

    #[test]
    fn a_date_that_is_not_one_is_named_and_an_emptied_one_is_cleared() {
        let was = EntryForm::parse("was-date=2024-03-02", "was-");
        let mut errors = BTreeMap::new();
        EntryForm::parse("date=2+maart", "").patch(&was, Tr::new(Lang::Nl), &mut errors);
        assert!(errors.contains_key("date"));
        let cleared = EntryForm::parse("date=", "").patch(&was, Tr::new(Lang::Nl), &mut BTreeMap::new());
        assert_eq!(cleared["date"], Value::Null);
    }
}
