//! The analysis beyond the timeline, on one page in the method's order: participants (by pseudonym, with
//! role, organisation and group), sources, key practice episodes (linking timeline entries; the appraisal
//! without hindsight, the explanation, good practice), contributing factors at their six levels, findings
//! (with the pattern category and the questions for the organisations) and recommendations.
//!
//! Each kind of entity is described once, as a list of fields ([`FieldSpec`]); the page, the forms and the
//! patch an edit sends are all drawn from that description. As on the timeline, an edit sends only the
//! fields the user changed.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use samenloop_protocol::CalendarDate;
use samenloop_protocol::cases::ledger::CaseId;
use serde_json::{Map, Value};

use super::{CaseHead, ask, load};
use crate::NodeError;
use crate::cases::commands::{CaseCommand, EntityKind};
use crate::network::Client;
use crate::service::Service;
use crate::web::i18n::{Lang, Tr};
use crate::web::views::{Chrome, PageLang, SignedIn, page, see_other};

/// How a field is entered and stored.
#[derive(Clone, Copy)]
enum Input {
    /// One line of text.
    Line,
    /// A few lines of text.
    Text,
    /// A date (stored as YYYY-MM-DD, or null).
    Date,
    /// One of fixed values (stored as the value).
    Choice(&'static [&'static str]),
    /// One of fixed values, or none (stored as the value or null).
    MaybeChoice(&'static [&'static str]),
    /// Any of fixed values (stored as a list).
    Choices(&'static [&'static str]),
    /// Yes or no.
    Check,
    /// A list of texts, one per line.
    Lines,
    /// Links to other entities of the case (stored as their ids).
    Links(EntityKind),
}

/// One field of an entity kind.
#[derive(Clone, Copy)]
struct FieldSpec {
    name: &'static str,
    input: Input,
}

const fn f(name: &'static str, input: Input) -> FieldSpec {
    FieldSpec { name, input }
}

const GROUPS: &[&str] = &["case-group", "review-team", "family"];
const SOURCE_KINDS: &[&str] = &["interview", "file-extract", "meeting", "individual-timeline"];
const LEVELS: &[&str] = &["personal", "professional", "client-family", "team", "organisation", "chain"];
const PATTERNS: &[&str] = &[
    "incidents-and-crises",
    "longer-term-work",
    "human-tool",
    "human-management-system",
    "family-professional",
    "innate-human-biases",
];
const THEMES: &[&str] = &[
    "parent-child-dilemma",
    "professional-practice",
    "chain-cooperation",
    "youth-care-context",
    "good-practice",
    "other",
];
const FOLLOW_UP: &[&str] = &["open", "agreed", "in-progress", "done", "declined"];

/// The kinds on this page, in the method's order, with their fields (the first names an item in lists).
const KINDS: &[(&str, EntityKind, &[FieldSpec])] = &[
    (
        "participant",
        EntityKind::Participant,
        &[
            f("pseudonym", Input::Line),
            f("role", Input::Line),
            f("organisation", Input::Line),
            f("group", Input::Choice(GROUPS)),
        ],
    ),
    (
        "source",
        EntityKind::Source,
        &[
            f("description", Input::Text),
            f("kind", Input::Choice(SOURCE_KINDS)),
            f("provided_by", Input::Line),
            f("date", Input::Date),
        ],
    ),
    (
        "episode",
        EntityKind::Episode,
        &[
            f("title", Input::Line),
            f("period_from", Input::Date),
            f("period_to", Input::Date),
            f("timeline_entries", Input::Links(EntityKind::Timeline)),
            f("appraisal", Input::Text),
            f("explanation", Input::Text),
            f("good_practice", Input::Check),
        ],
    ),
    (
        "factor",
        EntityKind::Factor,
        &[
            f("description", Input::Text),
            f("level", Input::Choice(LEVELS)),
            f("episodes", Input::Links(EntityKind::Episode)),
            f("evidence", Input::Text),
            f("pattern", Input::MaybeChoice(PATTERNS)),
        ],
    ),
    (
        "finding",
        EntityKind::Finding,
        &[
            f("title", Input::Line),
            f("pattern", Input::MaybeChoice(PATTERNS)),
            f("themes", Input::Choices(THEMES)),
            f("in_this_case", Input::Text),
            f("beyond_the_case", Input::Text),
            f("questions", Input::Lines),
        ],
    ),
    (
        "recommendation",
        EntityKind::Recommendation,
        &[f("text", Input::Text), f("addressee", Input::Line), f("follow_up", Input::Choice(FOLLOW_UP))],
    ),
];

fn kind_of(slug: &str) -> Option<(&'static str, EntityKind, &'static [FieldSpec])> {
    KINDS.iter().find(|(s, ..)| *s == slug).copied()
}

/// A field's stored value as the text a form shows (lists one per line, yes/no as "true"/"false").
fn as_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Array(items) => items.iter().map(as_text).collect::<Vec<_>>().join("\n"),
        other => other.to_string(),
    }
}

/// A field's text from a form, as the value to store; `None` with a problem when it is not one.
fn as_value(spec: &FieldSpec, text: &str, t: Tr) -> Result<Value, String> {
    let text = text.trim();
    let lines = || -> Vec<Value> {
        text.lines().map(str::trim).filter(|l| !l.is_empty()).map(|l| Value::String(l.to_string())).collect()
    };
    Ok(match spec.input {
        Input::Line | Input::Text => Value::String(text.replace("\r\n", "\n")),
        Input::Date if text.is_empty() => Value::Null,
        Input::Date => Value::String(text.parse::<CalendarDate>().map_err(|_| t.get("form-date-invalid"))?.to_string()),
        Input::Choice(values) => Value::String(
            values.iter().find(|v| **v == text).copied().unwrap_or(values.first().copied().unwrap_or("")).into(),
        ),
        Input::MaybeChoice(values) => match values.iter().find(|v| **v == text) {
            Some(v) => Value::String((*v).into()),
            None => Value::Null,
        },
        Input::Check => Value::Bool(text == "true" || text == "on"),
        Input::Choices(_) | Input::Lines | Input::Links(_) => Value::Array(lines()),
    })
}

/// An input of a form as the template draws it.
pub(crate) struct InputView {
    name: &'static str,
    label: String,
    /// `line`, `text`, `date`, `select`, `check`, `checks`, `lines`.
    control: &'static str,
    value: String,
    checked: bool,
    options: Vec<(String, String, bool)>,
    error: String,
}

/// A field shown in an item.
pub(crate) struct Shown {
    label: String,
    value: String,
}

/// One entity on the page.
pub(crate) struct ItemView {
    id: String,
    title: String,
    shown: Vec<Shown>,
    inputs: Vec<InputView>,
    /// The values the form was drawn with, as hidden fields.
    was: Vec<(&'static str, String)>,
    open: bool,
}

/// One kind of entity on the page.
pub(crate) struct SectionView {
    slug: &'static str,
    title: String,
    hint: String,
    items: Vec<ItemView>,
    new_inputs: Vec<InputView>,
    new_open: bool,
}

/// The analysis page.
#[derive(Template)]
#[template(path = "case_analysis.html")]
pub(crate) struct AnalysisPage {
    chrome: Chrome,
    head: CaseHead,
    sections: Vec<SectionView>,
    flash: String,
    error: String,
}

/// A form that came back with problems: the kind, the entity ("" for a new one), what was typed, problems.
type Returned = (&'static str, String, BTreeMap<String, String>, BTreeMap<String, String>);

/// The options of a link field: the entities of that kind by their first field.
async fn link_options(client: &Client, case: CaseId, kind: EntityKind, t: Tr) -> Vec<(String, String)> {
    let items: Vec<Value> = ask(client, CaseCommand::ListEntities { case, entity: kind }).await.unwrap_or_default();
    items
        .iter()
        .filter_map(|v| {
            let id = v["id"].as_str()?.to_string();
            let label = match kind {
                EntityKind::Timeline => {
                    let when = v["date"].as_str().and_then(|d| d.parse().ok()).map(|d| t.date(d)).unwrap_or_default();
                    let what: String = v["what"].as_str().unwrap_or("").chars().take(70).collect();
                    format!("{when}: {what}")
                }
                _ => v["title"].as_str().unwrap_or(&id).to_string(),
            };
            Some((id, label))
        })
        .collect()
}

fn inputs(
    slug: &str,
    fields: &[FieldSpec],
    values: &BTreeMap<String, String>,
    errors: &BTreeMap<String, String>,
    links: &BTreeMap<&'static str, Vec<(String, String)>>,
    t: Tr,
) -> Vec<InputView> {
    fields
        .iter()
        .map(|spec| {
            let value = values.get(spec.name).cloned().unwrap_or_default();
            let chosen: Vec<&str> = value.lines().map(str::trim).collect();
            let option = |v: &str| t.get(&format!("option-{v}"));
            let (control, options) = match spec.input {
                Input::Line => ("line", Vec::new()),
                Input::Text => ("text", Vec::new()),
                Input::Date => ("date", Vec::new()),
                Input::Check => ("check", Vec::new()),
                Input::Lines => ("lines", Vec::new()),
                Input::Choice(vs) => {
                    ("select", vs.iter().map(|v| (v.to_string(), option(v), *v == value.as_str())).collect())
                }
                Input::MaybeChoice(vs) => {
                    let mut o = vec![(String::new(), t.get("option-none"), value.is_empty())];
                    o.extend(vs.iter().map(|v| (v.to_string(), option(v), *v == value.as_str())));
                    ("select", o)
                }
                Input::Choices(vs) => {
                    ("checks", vs.iter().map(|v| (v.to_string(), option(v), chosen.contains(v))).collect())
                }
                Input::Links(_) => (
                    "checks",
                    links
                        .get(spec.name)
                        .map(|l| {
                            l.iter()
                                .map(|(id, label)| (id.clone(), label.clone(), chosen.contains(&id.as_str())))
                                .collect()
                        })
                        .unwrap_or_default(),
                ),
            };
            InputView {
                name: spec.name,
                label: t.get(&format!("field-{slug}-{}", spec.name)),
                control,
                checked: value == "true",
                value,
                options,
                error: errors.get(spec.name).cloned().unwrap_or_default(),
            }
        })
        .collect()
}

async fn analysis_page(
    client: &Client,
    lang: Lang,
    id: &str,
    returned: Option<Returned>,
) -> Result<AnalysisPage, Response> {
    let t = Tr::new(lang);
    let (case, _, head) = load(client, lang, id, "analysis").await?;
    let mut links: BTreeMap<&'static str, Vec<(String, String)>> = BTreeMap::new();
    if head.analysis_problem.is_empty() {
        for spec in KINDS.iter().flat_map(|(_, _, fields)| fields.iter()) {
            if let Input::Links(kind) = spec.input {
                links.insert(spec.name, link_options(client, case, kind, t).await);
            }
        }
    }
    let mut sections = Vec::new();
    for (slug, kind, fields) in KINDS {
        let listed: Vec<Value> = if head.analysis_problem.is_empty() {
            match ask(client, CaseCommand::ListEntities { case, entity: *kind }).await {
                Ok(v) => v,
                Err(e) => return Err(crate::web::views::failure(lang, &e)),
            }
        } else {
            Vec::new()
        };
        let back = returned.as_ref().filter(|(s, ..)| s == slug);
        let mut items = Vec::new();
        for v in &listed {
            let Some(item_id) = v["id"].as_str() else { continue };
            let stored: BTreeMap<String, String> =
                fields.iter().map(|spec| (spec.name.to_string(), as_text(&v[spec.name]))).collect();
            let shown = fields
                .iter()
                .skip(1)
                .filter_map(|spec| {
                    let text = stored.get(spec.name).cloned().unwrap_or_default();
                    let value = match spec.input {
                        _ if text.is_empty() || text == "false" => return None,
                        Input::Check => t.get("option-yes"),
                        Input::Date => text.parse().map(|d| t.date(d)).unwrap_or(text),
                        Input::Choice(_) | Input::MaybeChoice(_) => t.get(&format!("option-{text}")),
                        Input::Choices(_) => {
                            text.lines().map(|v| t.get(&format!("option-{v}"))).collect::<Vec<_>>().join(", ")
                        }
                        Input::Links(_) => text
                            .lines()
                            .map(|l| {
                                links
                                    .get(spec.name)
                                    .and_then(|o| o.iter().find(|(i, _)| i == l))
                                    .map(|(_, label)| label.clone())
                                    .unwrap_or_else(|| t.get("analysis-link-gone"))
                            })
                            .collect::<Vec<_>>()
                            .join("\n"),
                        _ => text,
                    };
                    Some(Shown { label: t.get(&format!("field-{slug}-{}", spec.name)), value })
                })
                .collect();
            let (values, errors, open) = match back.filter(|(_, e, ..)| e == item_id) {
                Some((_, _, typed, errors)) => (typed.clone(), errors.clone(), true),
                None => (stored.clone(), BTreeMap::new(), false),
            };
            let title = stored.get(fields[0].name).cloned().unwrap_or_default();
            items.push(ItemView {
                id: item_id.to_string(),
                title: if title.is_empty() { t.get("analysis-untitled") } else { title },
                shown,
                inputs: inputs(slug, fields, &values, &errors, &links, t),
                was: fields
                    .iter()
                    .map(|spec| (spec.name, stored.get(spec.name).cloned().unwrap_or_default()))
                    .collect(),
                open,
            });
        }
        let (new_values, new_errors, new_open) = match back.filter(|(_, e, ..)| e.is_empty()) {
            Some((_, _, typed, errors)) => (typed.clone(), errors.clone(), true),
            None => (BTreeMap::new(), BTreeMap::new(), false),
        };
        sections.push(SectionView {
            slug,
            title: t.get(&format!("analysis-{slug}s")),
            hint: t.get(&format!("analysis-{slug}s-hint")),
            new_inputs: inputs(slug, fields, &new_values, &new_errors, &links, t),
            items,
            new_open,
        });
    }
    Ok(AnalysisPage {
        chrome: Chrome::new(lang, true, true),
        head,
        sections,
        flash: String::new(),
        error: String::new(),
    })
}

/// `GET /cases/{id}/analysis`.
pub(crate) async fn show(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    match analysis_page(&client, lang, &id, None).await {
        Ok(mut p) => {
            if query.as_deref() == Some("saved") {
                p.flash = p.chrome.t.get("timeline-saved");
            }
            page(StatusCode::OK, &p)
        }
        Err(r) => r,
    }
}

/// The posted form: what was typed (lists from repeated checkboxes joined one per line), and the `was-`
/// values it was drawn with.
fn read_form(body: &str, fields: &[FieldSpec]) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let (mut typed, mut was) = (BTreeMap::<String, String>::new(), BTreeMap::<String, String>::new());
    for (k, v) in form_urlencoded::parse(body.as_bytes()) {
        let (map, name) = match k.strip_prefix("was-") {
            Some(n) => (&mut was, n.to_string()),
            None => (&mut typed, k.to_string()),
        };
        let Some(spec) = fields.iter().find(|s| s.name == name) else { continue };
        let v = v.replace("\r\n", "\n");
        match (spec.input, map.get_mut(&name)) {
            (Input::Choices(_) | Input::Links(_), Some(existing)) => {
                existing.push('\n');
                existing.push_str(&v);
            }
            _ => {
                map.insert(name, v);
            }
        }
    }
    // An unticked box is not posted at all.
    for spec in fields {
        if matches!(spec.input, Input::Check) {
            typed.entry(spec.name.into()).or_insert_with(|| "false".into());
        }
    }
    (typed, was)
}

/// The fields that differ from the form's `was-` values, as a patch; problems by field.
fn patch(
    fields: &[FieldSpec],
    typed: &BTreeMap<String, String>,
    was: &BTreeMap<String, String>,
    t: Tr,
) -> (Map<String, Value>, BTreeMap<String, String>) {
    let (mut patch, mut errors) = (Map::new(), BTreeMap::new());
    for spec in fields {
        let now = typed.get(spec.name).map(String::as_str).unwrap_or("");
        let then = was.get(spec.name).map(String::as_str).unwrap_or("");
        let same = match spec.input {
            Input::Check => (now == "true" || now == "on") == (then == "true"),
            _ => now.trim() == then.trim(),
        };
        if same {
            continue;
        }
        match as_value(spec, now, t) {
            Ok(v) => {
                patch.insert(spec.name.into(), v);
            }
            Err(problem) => {
                errors.insert(spec.name.into(), problem);
            }
        }
    }
    (patch, errors)
}

async fn refused(client: &Client, lang: Lang, id: &str, returned: Returned, message: String) -> Response {
    match analysis_page(client, lang, id, Some(returned)).await {
        Ok(mut p) => {
            p.error = message;
            page(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
        Err(r) => r,
    }
}

/// `POST /cases/{id}/analysis/{kind}`: adds an entity.
pub(crate) async fn add(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path((id, slug)): Path<(String, String)>,
    body: String,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    let (Ok(case), Some((slug, kind, fields))) = (id.parse::<CaseId>(), kind_of(&slug)) else {
        return crate::web::views::not_found(lang);
    };
    let (typed, _) = read_form(&body, fields);
    let (fields_patch, mut errors) = patch(fields, &typed, &BTreeMap::new(), t);
    if typed.get(fields[0].name).is_none_or(|v| v.trim().is_empty()) {
        errors.insert(fields[0].name.into(), t.get("problem-required"));
    }
    if !errors.is_empty() {
        return refused(&client, lang, &id, (slug, String::new(), typed, errors), t.get("timeline-not-saved")).await;
    }
    match client.case(CaseCommand::Add { case, entity: kind, fields: fields_patch }).await {
        Ok(_) => see_other(&format!("/cases/{id}/analysis?saved#{slug}s")),
        Err(e) => {
            let message = t.arg("timeline-refused", "reason", e);
            refused(&client, lang, &id, (slug, String::new(), typed, BTreeMap::new()), message).await
        }
    }
}

/// `POST /cases/{id}/analysis/{kind}/{entity}`: saves the fields the user changed.
pub(crate) async fn edit(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path((id, slug, entity)): Path<(String, String, String)>,
    body: String,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    let (Ok(case), Some((slug, kind, fields))) = (id.parse::<CaseId>(), kind_of(&slug)) else {
        return crate::web::views::not_found(lang);
    };
    let (typed, was) = read_form(&body, fields);
    let (fields_patch, errors) = patch(fields, &typed, &was, t);
    if !errors.is_empty() {
        return refused(&client, lang, &id, (slug, entity, typed, errors), t.get("timeline-not-saved")).await;
    }
    if fields_patch.is_empty() {
        return see_other(&format!("/cases/{id}/analysis#{slug}-{entity}"));
    }
    match client.case(CaseCommand::Edit { case, entity: kind, id: entity.clone(), fields: fields_patch }).await {
        Ok(_) => see_other(&format!("/cases/{id}/analysis?saved#{slug}-{entity}")),
        Err(e) => gone_or(&client, lang, &id, case, kind, (slug, entity, typed), e).await,
    }
}

/// After a refused edit or removal: if a co-member removed the entity meanwhile, say so (nothing changed).
async fn gone_or(
    client: &Client,
    lang: Lang,
    id: &str,
    case: CaseId,
    kind: EntityKind,
    (slug, entity, typed): (&'static str, String, BTreeMap<String, String>),
    e: NodeError,
) -> Response {
    let t = Tr::new(lang);
    let listed: Vec<Value> = ask(client, CaseCommand::ListEntities { case, entity: kind }).await.unwrap_or_default();
    if !listed.iter().any(|v| v["id"].as_str() == Some(entity.as_str())) {
        return refused(
            client,
            lang,
            id,
            (slug, String::new(), BTreeMap::new(), BTreeMap::new()),
            t.get("analysis-gone"),
        )
        .await;
    }
    refused(client, lang, id, (slug, entity, typed, BTreeMap::new()), t.arg("timeline-refused", "reason", e)).await
}

/// `POST /cases/{id}/analysis/{kind}/{entity}/remove`.
pub(crate) async fn remove(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path((id, slug, entity)): Path<(String, String, String)>,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let (Ok(case), Some((slug, kind, _))) = (id.parse::<CaseId>(), kind_of(&slug)) else {
        return crate::web::views::not_found(lang);
    };
    match client.case(CaseCommand::Remove { case, entity: kind, id: entity.clone() }).await {
        Ok(_) => see_other(&format!("/cases/{id}/analysis?saved#{slug}s")),
        Err(e) => gone_or(&client, lang, &id, case, kind, (slug, entity, BTreeMap::new()), e).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_a_label_and_every_option_a_name_in_both_languages() {
        for lang in [Lang::Nl, Lang::En] {
            let t = Tr::new(lang);
            for (slug, _, fields) in KINDS {
                for key in [format!("analysis-{slug}s"), format!("analysis-{slug}s-hint")] {
                    assert!(!t.get(&key).contains('⟦'), "{key}");
                }
                for spec in *fields {
                    let key = format!("field-{slug}-{}", spec.name);
                    assert!(!t.get(&key).contains('⟦'), "{key}");
                    if let Input::Choice(vs) | Input::MaybeChoice(vs) | Input::Choices(vs) = spec.input {
                        for v in vs {
                            assert!(!t.get(&format!("option-{v}")).contains('⟦'), "option-{v}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn only_changed_fields_are_patched_and_lists_come_one_per_line() {
        let (_, _, fields) = kind_of("finding").unwrap();
        let body = "title=Zicht+op+veiligheid&was-title=Zicht+op+veiligheid&themes=chain-cooperation&themes=other\
                    &was-themes=chain-cooperation&questions=Wie+deelt%3F%0D%0AWanneer%3F&was-questions=Wie+deelt%3F";
        let (typed, was) = read_form(body, fields);
        let (p, errors) = patch(fields, &typed, &was, Tr::new(Lang::Nl));
        assert!(errors.is_empty());
        let keys: Vec<&str> = p.keys().map(String::as_str).collect();
        assert_eq!(keys, ["questions", "themes"]);
        assert_eq!(p["themes"], serde_json::json!(["chain-cooperation", "other"]));
        assert_eq!(p["questions"], serde_json::json!(["Wie deelt?", "Wanneer?"]));
    }

    #[test]
    fn an_unticked_box_is_a_change_and_a_bad_date_is_named() {
        let (_, _, fields) = kind_of("episode").unwrap();
        let (typed, was) = read_form("title=A&was-title=A&was-good_practice=true&period_from=morgen", fields);
        let (p, errors) = patch(fields, &typed, &was, Tr::new(Lang::Nl));
        assert_eq!(p["good_practice"], Value::Bool(false));
        assert!(errors.contains_key("period_from"));
    }
}
