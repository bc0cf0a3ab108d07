//! Requests, the requester's side: the list of requests made from this node, the new-request form that
//! asks the 14 orientation questions in the method's own words and order, and one request with its
//! referrals, the match (every score reason and every exclusion with its reason), the ways to refer
//! (the proposed pair, the next candidate, reviewers chosen by name), withdrawal, and the signed history.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use samenloop_protocol::directory::expertise::VOCABULARY;
use samenloop_protocol::referrals::history::verify_history;
use samenloop_protocol::referrals::referral::ReferralState;
use samenloop_protocol::{
    AccreditationLevel, CalendarDate, Exclusion, InvolvedOrganisation, MatchResult, OrganisationKind, PriorOutcome,
    ReviewRequest, ReviewVariant, ScoreReason,
};

use super::profile::{Choice, LANGUAGES};
use super::{Chrome, PageLang, SignedIn, page, see_other};
use crate::NodeError;
use crate::network::{Client, now};
use crate::referrals::records::RequestRecord;
use crate::service::Service;
use crate::web::i18n::{Lang, Tr};

/// Empty organisation rows offered below the filled ones.
const SPARE_ORGANISATIONS: usize = 2;
/// Days a reviewer gets to answer unless the requester says otherwise.
const DEFAULT_RESPOND_DAYS: i64 = 7;

// ---------------------------------------------------------------------------------------------------------
// The request as read: shared with the reviewer's referral page.

/// One orientation question and the request's answers to it.
pub(crate) struct Question {
    pub(crate) title: String,
    pub(crate) answers: Vec<String>,
}

pub(crate) fn organisation_kind(t: Tr, kind: OrganisationKind) -> String {
    let name = OrganisationKind::ALL.iter().find(|(_, k)| *k == kind).map(|(n, _)| *n).unwrap_or("other");
    t.get(&format!("organisation-{name}"))
}

/// The request's answers under the 14 orientation questions, in the method's order.
pub(crate) fn questions(t: Tr, r: &ReviewRequest) -> Vec<Question> {
    let q = |n: u8, answers: Vec<String>| Question { title: t.get(&format!("q{n}")), answers };
    let orgs = r.organisations.iter().map(|o| format!("{} ({})", o.name, organisation_kind(t, o.kind))).collect();
    vec![
        q(1, vec![r.reason.clone()]),
        q(
            2,
            vec![
                r.learning_question.clone(),
                t.arg("request-period", "period", format!("{} – {}", t.date(r.period_from), t.date(r.period_until))),
            ],
        ),
        q(3, orgs),
        q(4, vec![r.municipality.clone()]),
        q(5, vec![r.inspectorate.clone()]),
        q(6, vec![r.context.clone()]),
        q(7, vec![r.available_information.clone()]),
        q(8, vec![r.family_involvement.clone()]),
        q(9, vec![r.privacy.clone()]),
        q(
            10,
            vec![t.arg("request-when", "period", format!("{} – {}", t.date(r.desired_start), t.date(r.desired_end)))],
        ),
        q(11, vec![r.contact.clone()]),
        q(12, vec![r.costs.clone(), t.count("request-budget", "hours", usize::from(r.budget_hours))]),
        q(13, vec![r.expected_result.clone()]),
        q(14, vec![r.report_addressee.clone()]),
    ]
}

/// The matching needs of a request, as label and value.
pub(crate) fn facts(t: Tr, r: &ReviewRequest) -> Vec<(String, String)> {
    let mut f = vec![
        (t.get("request-variant"), t.get(&format!("variant-{}", r.variant.as_str()))),
        (t.get("request-reviewers"), r.reviewers.to_string()),
        (t.get("request-expertise"), r.expertise.join(", ")),
        (t.get("request-language"), language_name(t, &r.language)),
    ];
    if let Some(region) = &r.region {
        f.push((t.get("request-region"), region.clone()));
    }
    f
}

/// A language code as its name, when the app knows it (`nl` -> "Nederlands").
pub(crate) fn language_name(t: Tr, code: &str) -> String {
    if LANGUAGES.contains(&code) { t.get(&format!("language-{code}")) } else { code.to_string() }
}

/// A request's title in lists: whom it is for.
fn title(t: Tr, r: &ReviewRequest) -> String {
    t.arg("request-title", "municipality", &r.municipality)
}

// ---------------------------------------------------------------------------------------------------------
// The list.

/// A request in the list.
pub(crate) struct RequestRow {
    id: String,
    title: String,
    question: String,
    created: String,
    status: String,
}

/// The requester's requests.
#[derive(Template)]
#[template(path = "requests.html")]
pub(crate) struct RequestsPage {
    chrome: Chrome,
    rows: Vec<RequestRow>,
}

/// Where a request stands, in one phrase.
fn status(t: Tr, r: &RequestRecord) -> String {
    let count = |f: fn(&ReferralState) -> bool| r.referrals.iter().filter(|x| f(&x.state)).count();
    let accepted = count(|s| matches!(s, ReferralState::Accepted { .. }));
    let open = count(|s| matches!(s, ReferralState::Offered));
    if r.referrals.is_empty() {
        t.get("request-status-new")
    } else if accepted >= usize::from(r.request.reviewers) {
        t.get("request-status-complete")
    } else {
        t.count("request-status-open", "n", open) + " · " + &t.count("request-status-accepted", "n", accepted)
    }
}

/// `GET /requests`.
pub(crate) async fn list(State(service): State<Arc<Service>>, PageLang(lang): PageLang, _: SignedIn) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    let mut records = match client.requests().await {
        Ok(r) => r,
        Err(e) => return super::failure(lang, &e),
    };
    records.sort_by_key(|r| std::cmp::Reverse(r.created_at));
    let rows = records
        .iter()
        .map(|r| RequestRow {
            id: r.id.clone(),
            title: title(t, &r.request),
            question: r.request.learning_question.clone(),
            created: t.day_of(r.created_at),
            status: status(t, r),
        })
        .collect();
    page(StatusCode::OK, &RequestsPage { chrome: Chrome::new(lang, true, true), rows })
}

// ---------------------------------------------------------------------------------------------------------
// The new-request form.

/// One organisation row, as typed.
#[derive(Clone, Default)]
pub(crate) struct OrganisationRow {
    name: String,
    kind: String,
}

/// The request form, every field as typed so nothing is lost. Field names are the command line's, so a
/// problem the domain names lands beside its field.
#[derive(Clone, Default)]
pub(crate) struct RequestForm {
    fields: BTreeMap<String, String>,
    organisations: Vec<OrganisationRow>,
    expertise: Vec<String>,
}

/// The free-text and date fields of the form, by question.
const TEXT_FIELDS: [&str; 20] = [
    "reason",
    "learning-question",
    "period-from",
    "period-until",
    "municipality",
    "inspectorate",
    "context",
    "available-information",
    "family-involvement",
    "privacy",
    "desired-start",
    "desired-end",
    "contact",
    "costs",
    "budget-hours",
    "expected-result",
    "report-addressee",
    "other-tags",
    "region",
    "language",
];

impl RequestForm {
    fn fresh() -> RequestForm {
        let mut f = RequestForm::default();
        f.fields.insert("language".into(), "nl".into());
        f.fields.insert("variant".into(), "full".into());
        f.fields.insert("reviewers".into(), "2".into());
        f
    }

    fn get(&self, name: &str) -> &str {
        self.fields.get(name).map(String::as_str).unwrap_or("")
    }

    /// Reads the posted form (`expertise` repeats; organisation rows are `org-N` and `kind-N`).
    fn parse(body: &str) -> RequestForm {
        let mut f = RequestForm::default();
        let mut rows: BTreeMap<usize, OrganisationRow> = BTreeMap::new();
        for (k, v) in form_urlencoded::parse(body.as_bytes()) {
            let v = v.replace("\r\n", "\n");
            match k.as_ref() {
                "expertise" => f.expertise.push(v),
                key if TEXT_FIELDS.contains(&key) || key == "variant" || key == "reviewers" => {
                    f.fields.insert(key.to_string(), v);
                }
                key => {
                    let Some((what, n)) = key.rsplit_once('-') else { continue };
                    let Ok(n) = n.parse::<usize>() else { continue };
                    if n >= 64 {
                        continue;
                    }
                    let row = rows.entry(n).or_default();
                    match what {
                        "org" => row.name = v,
                        "kind" => row.kind = v,
                        _ => {}
                    }
                }
            }
        }
        f.organisations = rows.into_values().filter(|r| !r.name.trim().is_empty()).collect();
        f
    }

    /// The request, or the problems of shape (dates, numbers) by field.
    fn request(&self, t: Tr, errors: &mut BTreeMap<String, String>) -> Option<ReviewRequest> {
        let mut date = |field: &str| -> Option<CalendarDate> {
            let text = self.get(field).trim();
            if text.is_empty() {
                errors.insert(field.into(), t.get("form-date-missing"));
                return None;
            }
            text.parse().map_err(|_| errors.insert(field.into(), t.get("form-date-invalid"))).ok()
        };
        let (period_from, period_until) = (date("period-from"), date("period-until"));
        let (desired_start, desired_end) = (date("desired-start"), date("desired-end"));
        let budget_hours = match self.get("budget-hours").trim() {
            "" => {
                errors.insert("budget-hours".into(), t.get("problem-required"));
                None
            }
            h => h.parse::<u16>().map_err(|_| errors.insert("budget-hours".into(), t.get("form-number-invalid"))).ok(),
        };
        let text = |field: &str| self.get(field).trim().to_string();
        let mut expertise = self.expertise.clone();
        expertise.extend(self.get("other-tags").split(',').map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()));
        let organisations = self
            .organisations
            .iter()
            .map(|o| InvolvedOrganisation {
                name: o.name.trim().to_string(),
                kind: OrganisationKind::ALL
                    .iter()
                    .find(|(n, _)| *n == o.kind)
                    .map(|(_, k)| *k)
                    .unwrap_or(OrganisationKind::Other),
            })
            .collect();
        let variant = ReviewVariant::ALL
            .iter()
            .find(|(n, _)| *n == self.get("variant"))
            .map(|(_, v)| *v)
            .unwrap_or(ReviewVariant::Full);
        let region = text("region");
        Some(ReviewRequest {
            reason: text("reason"),
            learning_question: text("learning-question"),
            period_from: period_from?,
            period_until: period_until?,
            organisations,
            municipality: text("municipality"),
            inspectorate: text("inspectorate"),
            context: text("context"),
            available_information: text("available-information"),
            family_involvement: text("family-involvement"),
            privacy: text("privacy"),
            desired_start: desired_start?,
            desired_end: desired_end?,
            contact: text("contact"),
            costs: text("costs"),
            budget_hours: budget_hours?,
            expected_result: text("expected-result"),
            report_addressee: text("report-addressee"),
            expertise,
            region: if region.is_empty() { None } else { Some(region) },
            language: text("language").to_lowercase(),
            variant,
            reviewers: self.get("reviewers").parse().unwrap_or(2),
        })
    }
}

/// What one question of the form asks for.
pub(crate) enum Input {
    /// A few lines of text.
    Text { name: &'static str, label: String },
    /// One line of text.
    Line { name: &'static str, label: String },
    /// A date.
    Date { name: &'static str, label: String },
    /// A whole number.
    Number { name: &'static str, label: String },
    /// The organisation rows.
    Organisations,
}

/// One orientation question in the form: its words, its explanation, its inputs.
pub(crate) struct FormQuestion {
    n: u8,
    title: String,
    hints: Vec<String>,
    inputs: Vec<Input>,
}

/// The new-request form.
#[derive(Template)]
#[template(path = "request_new.html")]
pub(crate) struct NewRequestPage {
    chrome: Chrome,
    form: RequestForm,
    questions: Vec<FormQuestion>,
    rows: Vec<(usize, OrganisationRow)>,
    kinds: Vec<(String, String)>,
    tags: Vec<Choice>,
    languages: Vec<(String, String)>,
    variants: Vec<(String, String)>,
    errors: BTreeMap<String, String>,
}

impl NewRequestPage {
    /// The problem with `field`, or "".
    fn error(&self, field: &str) -> &str {
        self.errors.get(field).map(String::as_str).unwrap_or("")
    }

    /// What the user typed in `field`.
    fn value(&self, field: &str) -> &str {
        self.form.get(field)
    }
}

fn form_questions(t: Tr) -> Vec<FormQuestion> {
    let text = |name: &'static str, key: &str| Input::Text { name, label: t.get(key) };
    let line = |name: &'static str, key: &str| Input::Line { name, label: t.get(key) };
    let date = |name: &'static str, key: &str| Input::Date { name, label: t.get(key) };
    let inputs: [Vec<Input>; 14] = [
        vec![text("reason", "form-answer")],
        vec![
            text("learning-question", "form-learning-question"),
            date("period-from", "form-period-from"),
            date("period-until", "form-period-until"),
        ],
        vec![Input::Organisations],
        vec![line("municipality", "form-municipality")],
        vec![text("inspectorate", "form-answer")],
        vec![text("context", "form-answer")],
        vec![text("available-information", "form-answer")],
        vec![text("family-involvement", "form-answer")],
        vec![text("privacy", "form-answer")],
        vec![date("desired-start", "form-desired-start"), date("desired-end", "form-desired-end")],
        vec![text("contact", "form-answer")],
        vec![text("costs", "form-answer"), Input::Number { name: "budget-hours", label: t.get("form-budget-hours") }],
        vec![text("expected-result", "form-answer")],
        vec![text("report-addressee", "form-answer")],
    ];
    inputs
        .into_iter()
        .enumerate()
        .map(|(i, inputs)| {
            let n = i as u8 + 1;
            FormQuestion {
                n,
                title: t.get(&format!("q{n}")),
                hints: t.get(&format!("q{n}-hint")).lines().map(str::to_string).collect(),
                inputs,
            }
        })
        .collect()
}

fn new_request_page(lang: Lang, form: RequestForm, errors: BTreeMap<String, String>) -> NewRequestPage {
    let t = Tr::new(lang);
    let mut rows: Vec<(usize, OrganisationRow)> = form.organisations.iter().cloned().enumerate().collect();
    for i in 0..SPARE_ORGANISATIONS.max(3usize.saturating_sub(rows.len())) {
        rows.push((form.organisations.len() + i, OrganisationRow::default()));
    }
    NewRequestPage {
        chrome: Chrome::new(lang, true, true),
        questions: form_questions(t),
        rows,
        kinds: OrganisationKind::ALL.iter().map(|(n, k)| (n.to_string(), organisation_kind(t, *k))).collect(),
        tags: VOCABULARY.iter().map(|k| Choice::new(k.tag, k.tag, form.expertise.iter().any(|e| e == k.tag))).collect(),
        languages: LANGUAGES.iter().map(|l| (l.to_string(), t.get(&format!("language-{l}")))).collect(),
        variants: ReviewVariant::ALL.iter().map(|(n, _)| (n.to_string(), t.get(&format!("variant-{n}")))).collect(),
        form,
        errors,
    }
}

/// `GET /requests/new`.
pub(crate) async fn new_form(State(service): State<Arc<Service>>, PageLang(lang): PageLang, _: SignedIn) -> Response {
    if service.client().is_none() {
        return see_other("/");
    }
    page(StatusCode::OK, &new_request_page(lang, RequestForm::fresh(), BTreeMap::new()))
}

/// `POST /requests/new`: stores the request and shows it, or every problem beside its field.
pub(crate) async fn create(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    body: String,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    let form = RequestForm::parse(&body);
    let mut errors = BTreeMap::new();
    let request = form.request(t, &mut errors);
    if let Some(request) = request.filter(|_| errors.is_empty()) {
        match client.create_request(request).await {
            Ok(record) => return see_other(&format!("/requests/{}", record.id)),
            Err(NodeError::InvalidProfile(problems)) => {
                for p in &problems {
                    let field = if p.field == "organisation" { "organisations" } else { p.field.as_str() };
                    errors.entry(field.to_string()).or_insert_with(|| t.problem(p));
                }
            }
            Err(e) => return super::failure(lang, &e),
        }
    } else if let Some(request) = &request_for_checks(&form, t) {
        // A date is missing or malformed: the domain's other problems are still named at once.
        if let Err(problems) = request.validate() {
            for p in &problems {
                let field = if p.field == "organisation" { "organisations" } else { p.field.as_str() };
                errors.entry(field.to_string()).or_insert_with(|| t.problem(p));
            }
        }
    }
    page(StatusCode::UNPROCESSABLE_ENTITY, &new_request_page(lang, form, errors))
}

/// The form as a request with placeholder dates and budget, to name every other problem in one go.
fn request_for_checks(form: &RequestForm, t: Tr) -> Option<ReviewRequest> {
    let mut patched = form.clone();
    let today = CalendarDate::from_days_since_epoch((now().0 / 86_400) as i64).to_string();
    for field in ["period-from", "period-until", "desired-start", "desired-end"] {
        let bad = patched.get(field).trim().parse::<CalendarDate>().is_err();
        if bad {
            patched.fields.insert(field.into(), today.clone());
        }
    }
    if patched.get("budget-hours").trim().parse::<u16>().is_err() {
        patched.fields.insert("budget-hours".into(), "1".into());
    }
    patched.request(t, &mut BTreeMap::new())
}

// ---------------------------------------------------------------------------------------------------------
// One request.

/// A referral of this request, as the requester sees it.
pub(crate) struct OutgoingRow {
    reviewer: String,
    issued: String,
    respond_by: String,
    state: String,
    detail: String,
    undelivered: bool,
    at_mailbox: bool,
}

/// A candidate from the match.
pub(crate) struct CandidateCard {
    peer: String,
    name: String,
    score: i32,
    level: String,
    reasons: Vec<(String, String)>,
}

/// Someone the match excludes, with every reason.
pub(crate) struct ExcludedRow {
    peer: String,
    name: String,
    reasons: Vec<String>,
}

/// The proposed pair.
pub(crate) struct PairCard {
    names: String,
    reasons: Vec<String>,
}

/// One line of the signed history.
pub(crate) struct HistoryLine {
    date: String,
    text: String,
    detail: String,
}

/// One request.
#[derive(Template)]
#[template(path = "request.html")]
pub(crate) struct RequestPage {
    chrome: Chrome,
    id: String,
    title: String,
    created: String,
    status: String,
    facts: Vec<(String, String)>,
    questions: Vec<Question>,
    referrals: Vec<OutgoingRow>,
    can_withdraw: bool,
    complete: bool,
    pair: Option<PairCard>,
    candidates: Vec<CandidateCard>,
    excluded: Vec<ExcludedRow>,
    match_problem: String,
    respond_by: String,
    history: Vec<HistoryLine>,
    history_verified: bool,
    flash: String,
    form_error: String,
    created_now: bool,
}

fn level_name(t: Tr, level: AccreditationLevel) -> String {
    t.get(&format!("level-{}", level.as_str()))
}

/// A score reason in the user's language, with its points.
fn reason_text(t: Tr, r: &ScoreReason) -> (String, String) {
    let text = match r {
        ScoreReason::Expertise { covered, wanted, .. } => {
            t.args("reason-expertise", &[("covered", covered), ("wanted", wanted)])
        }
        ScoreReason::Region { .. } => t.get("reason-region"),
        ScoreReason::Nationwide { .. } => t.get("reason-nationwide"),
        ScoreReason::Accreditation { level, verified, needs_lead, .. } => match (level, verified) {
            (AccreditationLevel::Trainee, _) if *needs_lead => t.get("reason-trainee-needs-lead"),
            (AccreditationLevel::Trainee, _) => level_name(t, *level),
            (level, true) => t.arg("accreditation-verified", "level", level_name(t, *level)),
            (level, false) => t.arg("accreditation-self-declared", "level", level_name(t, *level)),
        },
        ScoreReason::Capacity { offered, needed, .. } => {
            t.args("reason-capacity", &[("offered", offered), ("needed", needed)])
        }
        ScoreReason::PartialAvailability { percent, .. } => t.arg("reason-partial", "percent", percent),
        ScoreReason::Interest { .. } => t.get("reason-interest"),
        ScoreReason::Fairness { recent, .. } => t.count("reason-fairness", "n", *recent as usize),
    };
    (format!("{:+}", r.points()), text)
}

fn outcome_text(t: Tr, o: PriorOutcome) -> String {
    let key = match o {
        PriorOutcome::Offered => "outcome-offered",
        PriorOutcome::Accepted => "outcome-accepted",
        PriorOutcome::Declined => "outcome-declined",
        PriorOutcome::Expired => "outcome-expired",
        PriorOutcome::Withdrawn => "outcome-withdrawn",
    };
    t.get(key)
}

/// An exclusion in the user's language.
fn exclusion_text(t: Tr, e: &Exclusion) -> String {
    match e {
        Exclusion::Requester => t.get("excluded-requester"),
        Exclusion::ConflictOfInterest { organisation, affiliation, until: None } => {
            t.args("excluded-conflict", &[("affiliation", affiliation), ("organisation", organisation)])
        }
        Exclusion::ConflictOfInterest { organisation, affiliation, until: Some(u) } => t.args(
            "excluded-conflict-past",
            &[("affiliation", affiliation), ("organisation", organisation), ("until", &t.date(*u))],
        ),
        Exclusion::NoSharedLanguage { wanted } => t.arg("excluded-language", "language", language_name(t, wanted)),
        Exclusion::NotAvailable { .. } => t.get("excluded-not-available"),
        Exclusion::TooFewHours { offered, needed } => {
            t.args("excluded-hours", &[("offered", offered), ("needed", needed)])
        }
        Exclusion::AlreadyReferred { outcome } => t.arg("excluded-referred", "outcome", outcome_text(t, *outcome)),
    }
}

/// A referral's state, from the requester's side.
fn outgoing_state(t: Tr, s: &ReferralState) -> (String, String) {
    match s {
        ReferralState::Offered => (t.get("outgoing-offered"), String::new()),
        ReferralState::Accepted { at, conflict } => (
            t.arg("outgoing-accepted", "date", t.day_of(*at)),
            conflict.as_ref().map(|c| t.arg("outgoing-conflict", "conflict", c)).unwrap_or_default(),
        ),
        ReferralState::Declined { at, reason } => {
            (t.arg("outgoing-declined", "date", t.day_of(*at)), t.arg("outgoing-reason", "reason", reason))
        }
        ReferralState::Expired { at } => (t.arg("outgoing-expired", "date", t.day_of(*at)), String::new()),
        ReferralState::Withdrawn { at } => (t.arg("outgoing-withdrawn", "date", t.day_of(*at)), String::new()),
    }
}

fn pair_card(t: Tr, m: &MatchResult) -> Option<PairCard> {
    let pair = m.pair.as_ref()?;
    let name = |peer: &str| {
        m.candidates.iter().find(|c| c.peer.to_string() == peer).map(|c| c.name.clone()).unwrap_or_default()
    };
    let (a, b) = (name(&pair.reviewers[0]), name(&pair.reviewers[1]));
    let why = &pair.why;
    let mut reasons = vec![t.args("pair-score", &[("total", &why.total), ("bonus", &why.bonus)])];
    if why.wanted > 0 {
        reasons.push(t.args(
            "pair-covers",
            &[("covered", &why.covered.len()), ("wanted", &why.wanted), ("tags", &why.covered.join(", "))],
        ));
    }
    let level = level_name(t, why.lead_level);
    reasons.push(if why.lead_verified {
        t.args("pair-lead-verified", &[("name", &a), ("level", &level)])
    } else {
        t.args("pair-lead-self-declared", &[("name", &a), ("level", &level)])
    });
    Some(PairCard { names: t.args("pair-names", &[("a", &a), ("b", &b)]), reasons })
}

async fn request_page(client: &Client, lang: Lang, id: &str) -> Result<RequestPage, Response> {
    let t = Tr::new(lang);
    let record = match client.request(id).await {
        Ok(r) => r,
        Err(NodeError::NotFound(_)) => return Err(super::not_found(lang)),
        Err(e) => return Err(super::failure(lang, &e)),
    };
    let me = client.status().await.ok().and_then(|s| s.peer_id.parse().ok());
    let history_verified = me.is_some_and(|me| verify_history(&me, &record.id, &record.history).is_ok());
    let name_of = |peer: &str| {
        record.referrals.iter().find(|r| r.reviewer == peer).map(|r| r.reviewer_name.clone()).unwrap_or_default()
    };
    let accepted = record.referrals.iter().filter(|r| matches!(r.state, ReferralState::Accepted { .. })).count();
    let complete = accepted >= usize::from(record.request.reviewers);
    let (pair, candidates, excluded, match_problem) = if complete {
        (None, Vec::new(), Vec::new(), String::new())
    } else {
        match client.match_request(id).await {
            Ok(m) => (
                pair_card(t, &m),
                m.candidates
                    .iter()
                    .map(|c| CandidateCard {
                        peer: c.peer.to_string(),
                        name: c.name.clone(),
                        score: c.score,
                        level: level_name(t, c.level),
                        reasons: c.reasons.iter().map(|r| reason_text(t, r)).collect(),
                    })
                    .collect(),
                m.excluded
                    .iter()
                    .map(|e| ExcludedRow {
                        peer: e.peer.to_string(),
                        name: e.name.clone(),
                        reasons: e.reasons.iter().map(|r| exclusion_text(t, r)).collect(),
                    })
                    .collect(),
                String::new(),
            ),
            Err(e) => (None, Vec::new(), Vec::new(), t.arg("match-failed", "reason", e)),
        }
    };
    let history = record
        .history
        .iter()
        .map(|h| {
            let who = h.reviewer.as_deref().map(name_of).unwrap_or_default();
            HistoryLine {
                date: t.day_of(h.at),
                text: t.arg(&format!("history-{}", history_key(&h.event)), "reviewer", &who),
                detail: h.detail.clone().unwrap_or_default(),
            }
        })
        .collect();
    let respond_by = CalendarDate::from_days_since_epoch((now().0 / 86_400) as i64 + DEFAULT_RESPOND_DAYS).to_string();
    Ok(RequestPage {
        chrome: Chrome::new(lang, true, true),
        id: record.id.clone(),
        title: title(t, &record.request),
        created: t.day_of(record.created_at),
        status: status(t, &record),
        facts: facts(t, &record.request),
        questions: questions(t, &record.request),
        referrals: record
            .referrals
            .iter()
            .map(|r| {
                let (state, detail) = outgoing_state(t, &r.state);
                OutgoingRow {
                    reviewer: r.reviewer_name.clone(),
                    issued: t.day_of(r.issued_at),
                    respond_by: t.day_of(r.respond_by),
                    state,
                    detail,
                    undelivered: !r.delivered && r.state == ReferralState::Offered,
                    at_mailbox: !r.delivered && r.at_mailbox && r.state == ReferralState::Offered,
                }
            })
            .collect(),
        can_withdraw: record.referrals.iter().any(|r| r.state == ReferralState::Offered),
        complete,
        pair,
        candidates,
        excluded,
        match_problem,
        respond_by,
        history,
        history_verified,
        flash: String::new(),
        form_error: String::new(),
        created_now: false,
    })
}

/// The history events the app knows; anything else reads as "changed".
fn history_key(event: &str) -> &str {
    match event {
        "created" | "offered" | "delivered" | "refused" | "accepted" | "declined" | "expired" | "withdrawn"
        | "call" | "interest" => event,
        _ => "other",
    }
}

/// `GET /requests/{id}` (`?referred` and `?withdrawn` after those actions).
pub(crate) async fn show(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path(id): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    match request_page(&client, lang, &id).await {
        Ok(mut p) => {
            p.flash = match query.as_deref() {
                Some("referred") => t.get("request-referred"),
                Some("withdrawn") => t.get("request-withdrawn"),
                _ => String::new(),
            };
            p.created_now = query.as_deref() == Some("created");
            page(StatusCode::OK, &p)
        }
        Err(r) => r,
    }
}

/// `POST /requests/{id}/refer`: `how` is `pair`, `next` or `chosen` (with `to` repeated); `respond_by` a date.
pub(crate) async fn refer(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    let (mut how, mut to, mut respond_by) = (String::new(), Vec::new(), String::new());
    for (k, v) in form_urlencoded::parse(body.as_bytes()) {
        match k.as_ref() {
            "how" => how = v.into_owned(),
            "to" => to.push(v.into_owned()),
            "respond_by" => respond_by = v.into_owned(),
            _ => {}
        }
    }
    let refuse = async |message: String| match request_page(&client, lang, &id).await {
        Ok(mut p) => {
            p.form_error = message;
            page(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
        Err(r) => r,
    };
    let respond_by = match respond_by.trim() {
        "" => None,
        d => match d.parse::<CalendarDate>() {
            // The whole day counts.
            Ok(d) => Some(d.start().plus_secs(86_400 - 1)),
            Err(_) => return refuse(t.get("refer-date-invalid")).await,
        },
    };
    let peers = match to.iter().map(|p| p.parse()).collect::<Result<Vec<_>, _>>() {
        Ok(p) => p,
        Err(_) => return refuse(t.get("refer-choose")).await,
    };
    let (pair, next) = match how.as_str() {
        "pair" => (true, false),
        "next" => (false, true),
        _ if peers.is_empty() => return refuse(t.get("refer-choose")).await,
        _ => (false, false),
    };
    let peers = if pair || next { Vec::new() } else { peers };
    match client.refer(&id, peers, pair, next, respond_by).await {
        Ok(_) => see_other(&format!("/requests/{id}?referred")),
        Err(NodeError::NotFound(_)) if client.request(&id).await.is_err() => super::not_found(lang),
        Err(e) => refuse(t.arg("refer-refused", "reason", e)).await,
    }
}

/// `POST /requests/{id}/withdraw`: withdraws every open referral of the request.
pub(crate) async fn withdraw(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    match client.withdraw(&id).await {
        Ok(_) => see_other(&format!("/requests/{id}?withdrawn")),
        Err(NodeError::NotFound(_)) => super::not_found(lang),
        Err(e) => super::failure(lang, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisation_rows_and_repeated_tags_are_read() {
        let f = RequestForm::parse(
            "org-1=Veilig+Thuis&kind-1=veilig-thuis&org-0=GI&kind-0=child-protection&org-2=&expertise=a&expertise=b&reason=x%0D%0Ay",
        );
        let names: Vec<_> = f.organisations.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["GI", "Veilig Thuis"]);
        assert_eq!(f.expertise, ["a", "b"]);
        assert_eq!(f.get("reason"), "x\ny");
    }

    #[test]
    fn missing_dates_and_hours_are_named_beside_their_fields() {
        let f = RequestForm::parse("reason=x&period-from=2026-01-01&period-until=morgen&budget-hours=veel");
        let mut errors = BTreeMap::new();
        assert!(f.request(Tr::new(Lang::Nl), &mut errors).is_none());
        for field in ["period-until", "desired-start", "desired-end", "budget-hours"] {
            assert!(errors.contains_key(field), "{field}: {errors:?}");
        }
        assert!(!errors.contains_key("period-from"));
    }
}
