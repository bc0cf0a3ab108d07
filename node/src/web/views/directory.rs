//! The directory: search the reviewers this node knows with the same filters as `directory search`, the
//! results as cards, and one reviewer's full profile.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use samenloop_protocol::directory::expertise::VOCABULARY;
use samenloop_protocol::{AccreditationLevel, AccreditationStatus, CalendarDate, DirectoryQuery, PeerId};

use super::{Chrome, PageLang, SignedIn, page, see_other};
use crate::NodeError;
use crate::api::types::ProfileView;
use crate::web::i18n::Tr;

/// The search form as typed: kept as text, so nothing typed is lost on a problem.
#[derive(Default)]
pub(crate) struct SearchForm {
    expertise: Vec<String>,
    region: String,
    language: String,
    available_on: String,
    min_hours: String,
    text: String,
}

impl SearchForm {
    fn parse(query: Option<&str>) -> SearchForm {
        let mut f = SearchForm::default();
        for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let v = v.trim().to_string();
            match k.as_ref() {
                "expertise" if !v.is_empty() => f.expertise.push(v),
                "region" => f.region = v,
                "language" => f.language = v,
                "available_on" => f.available_on = v,
                "min_hours" => f.min_hours = v,
                "text" => f.text = v,
                _ => {}
            }
        }
        f
    }

    fn is_empty(&self) -> bool {
        self.expertise.is_empty()
            && self.region.is_empty()
            && self.language.is_empty()
            && self.available_on.is_empty()
            && self.min_hours.is_empty()
            && self.text.is_empty()
    }
}

/// A tag the form offers as a choice.
pub(crate) struct TagChoice {
    tag: &'static str,
    checked: bool,
}

/// A reviewer as a search result card.
pub(crate) struct Card {
    peer: String,
    name: String,
    accreditation: String,
    verified: bool,
    expertise: String,
    regions: String,
    hours: String,
    availability: String,
}

/// The search page.
#[derive(Template)]
#[template(path = "directory.html")]
pub(crate) struct DirectoryPage {
    chrome: Chrome,
    form: SearchForm,
    tags: Vec<TagChoice>,
    /// Tags typed that are not in the vocabulary (kept as free text).
    other_tags: String,
    date_error: String,
    hours_error: String,
    searched: bool,
    cards: Vec<Card>,
    directory_size: usize,
}

fn level(t: Tr, level: AccreditationLevel) -> String {
    t.get(match level {
        AccreditationLevel::Trainee => "level-trainee",
        AccreditationLevel::Accredited => "level-accredited",
        AccreditationLevel::Supervisor => "level-supervisor",
    })
}

fn availability(t: Tr, from: Option<CalendarDate>, until: Option<CalendarDate>) -> String {
    match (from, until) {
        (None, None) => t.get("availability-open"),
        (Some(f), None) => t.arg("availability-from", "date", t.date(f)),
        (None, Some(u)) => t.arg("availability-until", "date", t.date(u)),
        (Some(f), Some(u)) => t.arg("availability-between", "period", format!("{} – {}", t.date(f), t.date(u))),
    }
}

fn card(t: Tr, p: &ProfileView) -> Card {
    Card {
        peer: p.peer_id.clone(),
        name: p.name.clone(),
        accreditation: level(t, p.accreditation.level),
        verified: p.accreditation.status.is_verified(),
        expertise: p.expertise.join(", "),
        regions: p.regions.join(", "),
        hours: t.count("hours-per-month", "hours", usize::from(p.hours_per_month)),
        availability: availability(t, p.available_from, p.available_until),
    }
}

/// `GET /directory?expertise=..&region=..&language=..&available_on=..&min_hours=..&text=..`.
pub(crate) async fn search(
    State(service): State<Arc<crate::service::Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    let form = SearchForm::parse(query.as_deref());
    let mut p = DirectoryPage {
        chrome: Chrome::new(lang, true, true),
        tags: VOCABULARY
            .iter()
            .map(|k| TagChoice { tag: k.tag, checked: form.expertise.iter().any(|e| e == k.tag) })
            .collect(),
        other_tags: form
            .expertise
            .iter()
            .filter(|e| !VOCABULARY.iter().any(|k| k.tag == e.as_str()))
            .cloned()
            .collect::<Vec<_>>()
            .join(", "),
        date_error: String::new(),
        hours_error: String::new(),
        searched: false,
        cards: Vec::new(),
        directory_size: 0,
        form,
    };
    let mut query = DirectoryQuery {
        expertise: p.form.expertise.iter().flat_map(|e| e.split(',')).map(|e| e.trim().to_lowercase()).collect(),
        region: Some(p.form.region.clone()).filter(|r| !r.is_empty()),
        language: Some(p.form.language.clone()).filter(|l| !l.is_empty()),
        text: Some(p.form.text.clone()).filter(|x| !x.is_empty()),
        ..DirectoryQuery::default()
    };
    query.expertise.retain(|e| !e.is_empty());
    if !p.form.available_on.is_empty() {
        match p.form.available_on.parse::<CalendarDate>() {
            Ok(d) => query.available_on = Some(d),
            Err(_) => p.date_error = t.get("search-date-invalid"),
        }
    }
    if !p.form.min_hours.is_empty() {
        match p.form.min_hours.parse::<u16>() {
            Ok(h) => query.min_hours = Some(h),
            Err(_) => p.hours_error = t.get("search-hours-invalid"),
        }
    }
    if p.date_error.is_empty() && p.hours_error.is_empty() {
        match client.search(query).await {
            Ok(found) => {
                p.searched = !p.form.is_empty();
                p.directory_size = found.directory_size;
                p.cards = found.results.iter().map(|r| card(t, r)).collect();
            }
            Err(e) => return super::failure(lang, &e),
        }
    }
    let status = if p.date_error.is_empty() && p.hours_error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page(status, &p)
}

/// One affiliation as the profile shows it.
pub(crate) struct AffiliationRow {
    organisation: String,
    period: String,
}

/// A reviewer's full profile.
#[derive(Template)]
#[template(path = "reviewer.html")]
pub(crate) struct ReviewerPage {
    chrome: Chrome,
    name: String,
    bio: String,
    accreditation: String,
    verified: bool,
    facts: Vec<(String, String)>,
    affiliations: Vec<AffiliationRow>,
    peer: String,
    revision: u64,
    valid_until: String,
}

/// `GET /directory/{peer}`.
pub(crate) async fn reviewer(
    State(service): State<Arc<crate::service::Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path(peer): Path<String>,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    let Ok(peer) = peer.parse::<PeerId>() else { return super::not_found(lang) };
    let p = match client.profile(peer).await {
        Ok(p) => p,
        Err(NodeError::NotFound(_) | NodeError::NoProfile) => return super::not_found(lang),
        Err(e) => return super::failure(lang, &e),
    };
    let mut facts = vec![
        (t.get("profile-expertise"), p.expertise.join(", ")),
        (t.get("profile-regions"), p.regions.join(", ")),
        (t.get("profile-languages"), p.languages.join(", ")),
        (t.get("profile-hours"), t.count("hours-per-month", "hours", usize::from(p.hours_per_month))),
        (t.get("profile-availability"), availability(t, p.available_from, p.available_until)),
    ];
    if let Some(rate) = p.rate_eur {
        facts
            .push((t.get("profile-rate"), t.arg("profile-rate-value", "rate", format!("{rate:.2}").replace('.', ","))));
    }
    let affiliations = p
        .affiliations
        .iter()
        .map(|a| AffiliationRow {
            organisation: a.organisation.clone(),
            period: match (a.from, a.until) {
                (None, None) => String::new(),
                (Some(f), None) => t.arg("affiliation-since", "date", t.date(f)),
                (None, Some(u)) => t.arg("affiliation-until", "date", t.date(u)),
                (Some(f), Some(u)) => format!("{} – {}", t.date(f), t.date(u)),
            },
        })
        .collect();
    let verified = p.accreditation.status.is_verified();
    let accreditation = match &p.accreditation.status {
        AccreditationStatus::Trainee => level(t, AccreditationLevel::Trainee),
        AccreditationStatus::Verified { .. } => {
            t.arg("accreditation-verified", "level", level(t, p.accreditation.level))
        }
        AccreditationStatus::SelfDeclared { .. } => {
            t.arg("accreditation-self-declared", "level", level(t, p.accreditation.level))
        }
    };
    let valid_until = p.expires_at.get(..10).and_then(|d| d.parse().ok()).map(|d| t.date(d)).unwrap_or_default();
    page(
        StatusCode::OK,
        &ReviewerPage {
            chrome: Chrome::new(lang, true, true),
            name: p.name,
            bio: p.bio,
            accreditation,
            verified,
            facts,
            affiliations,
            peer: p.peer_id,
            revision: p.revision,
            valid_until,
        },
    )
}
