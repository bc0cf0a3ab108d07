//! My profile: every field of `profile set`, with the expertise vocabulary as choices and free tags, the
//! organisations the reviewer works or worked for (what conflicts of interest are checked against), and
//! the accreditation level with the verdict on it. Saving signs and publishes the profile at once.
//! Each problem is named beside its field in the user's language; nothing typed is lost.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use samenloop_protocol::directory::expertise::VOCABULARY;
use samenloop_protocol::{AccreditationLevel, Affiliation, CalendarDate, FieldProblem, Profile};

use super::{Chrome, PageLang, SignedIn, page, see_other};
use crate::NodeError;
use crate::api::types::{ProfileField, ProfileUpdate};
use crate::service::Service;
use crate::web::i18n::{Lang, Tr};

/// Languages offered as choices; others can be typed.
pub(crate) const LANGUAGES: [&str; 7] = ["nl", "en", "de", "fr", "ar", "tr", "pl"];
/// Empty organisation rows offered below the filled ones.
const SPARE_AFFILIATIONS: usize = 2;

/// A choice in a list of checkboxes.
pub(crate) struct Choice {
    pub(crate) value: String,
    pub(crate) label: String,
    pub(crate) checked: bool,
}

impl Choice {
    pub(crate) fn new(value: &str, label: &str, checked: bool) -> Choice {
        Choice { value: value.into(), label: label.into(), checked }
    }
}

/// One organisation row, as typed.
#[derive(Clone, Default)]
pub(crate) struct AffiliationRow {
    organisation: String,
    from: String,
    until: String,
}

/// The profile form, every field as text so nothing typed is lost.
#[derive(Clone, Default)]
pub(crate) struct ProfileForm {
    name: String,
    bio: String,
    expertise: Vec<String>,
    other_tags: String,
    regions: String,
    languages: Vec<String>,
    other_languages: String,
    hours: String,
    available_from: String,
    available_until: String,
    rate: String,
    level: String,
    affiliations: Vec<AffiliationRow>,
}

impl ProfileForm {
    fn of(p: &Profile) -> ProfileForm {
        let (known, other): (Vec<_>, Vec<_>) =
            p.expertise.iter().cloned().partition(|t| VOCABULARY.iter().any(|k| k.tag == t.as_str()));
        let (langs, other_langs): (Vec<_>, Vec<_>) =
            p.languages.iter().cloned().partition(|l| LANGUAGES.contains(&l.as_str()));
        ProfileForm {
            name: p.name.clone(),
            bio: p.bio.clone(),
            expertise: known,
            other_tags: other.join(", "),
            regions: p.regions.join(", "),
            languages: langs,
            other_languages: other_langs.join(", "),
            hours: p.hours_per_month.to_string(),
            available_from: p.available_from.map(|d| d.to_string()).unwrap_or_default(),
            available_until: p.available_until.map(|d| d.to_string()).unwrap_or_default(),
            rate: p.rate_eur_cents.map(|c| format!("{},{:02}", c / 100, c % 100)).unwrap_or_default(),
            level: p.accreditation.as_str().into(),
            affiliations: p
                .affiliations
                .iter()
                .map(|a| AffiliationRow {
                    organisation: a.organisation.clone(),
                    from: a.from.map(|d| d.to_string()).unwrap_or_default(),
                    until: a.until.map(|d| d.to_string()).unwrap_or_default(),
                })
                .collect(),
        }
    }

    /// Reads the posted form (`expertise`, `language` repeat; organisation rows are `org-N`, `from-N`,
    /// `until-N`).
    fn parse(body: &str) -> ProfileForm {
        let mut f = ProfileForm::default();
        let mut rows: BTreeMap<usize, AffiliationRow> = BTreeMap::new();
        for (k, v) in form_urlencoded::parse(body.as_bytes()) {
            let v = v.into_owned();
            match k.as_ref() {
                "name" => f.name = v,
                "bio" => f.bio = v.replace("\r\n", "\n"),
                "expertise" => f.expertise.push(v),
                "other_tags" => f.other_tags = v,
                "regions" => f.regions = v,
                "language" => f.languages.push(v),
                "other_languages" => f.other_languages = v,
                "hours" => f.hours = v,
                "available_from" => f.available_from = v,
                "available_until" => f.available_until = v,
                "rate" => f.rate = v,
                "level" => f.level = v,
                key => {
                    let Some((what, n)) = key.rsplit_once('-') else { continue };
                    let Ok(n) = n.parse::<usize>() else { continue };
                    if n >= 64 {
                        continue;
                    }
                    let row = rows.entry(n).or_default();
                    match what {
                        "org" => row.organisation = v,
                        "from" => row.from = v,
                        "until" => row.until = v,
                        _ => {}
                    }
                }
            }
        }
        f.affiliations = rows
            .into_values()
            .filter(|r| !(r.organisation.trim().is_empty() && r.from.is_empty() && r.until.is_empty()))
            .collect();
        f
    }
}

/// The profile page.
#[derive(Template)]
#[template(path = "profile.html")]
pub(crate) struct ProfilePage {
    chrome: Chrome,
    form: ProfileForm,
    tags: Vec<Choice>,
    languages: Vec<Choice>,
    /// Rows to show: the typed ones and a few empty ones.
    rows: Vec<(usize, AffiliationRow)>,
    /// Problems by field name (`name`, `hours-per-month`, ...), in the user's language.
    errors: BTreeMap<String, String>,
    saved: bool,
    published: bool,
    verdict: String,
}

impl ProfilePage {
    /// The problem with `field`, or "".
    fn error(&self, field: &str) -> &str {
        self.errors.get(field).map(String::as_str).unwrap_or("")
    }
}

fn page_for(lang: Lang, form: ProfileForm, published: bool, verdict: String) -> ProfilePage {
    let t = Tr::new(lang);
    let tags = VOCABULARY
        .iter()
        .map(|k| Choice {
            value: k.tag.into(),
            label: k.tag.into(),
            checked: form.expertise.iter().any(|e| e == k.tag),
        })
        .collect();
    let languages = LANGUAGES
        .iter()
        .map(|l| Choice {
            value: (*l).into(),
            label: t.get(&format!("language-{l}")),
            checked: form.languages.iter().any(|x| x == l),
        })
        .collect();
    let mut rows: Vec<(usize, AffiliationRow)> = form.affiliations.iter().cloned().enumerate().collect();
    for i in 0..SPARE_AFFILIATIONS {
        rows.push((form.affiliations.len() + i, AffiliationRow::default()));
    }
    ProfilePage {
        chrome: Chrome::new(lang, true, true),
        form,
        tags,
        languages,
        rows,
        errors: BTreeMap::new(),
        saved: false,
        published,
        verdict,
    }
}

async fn verdict(client: &crate::Client, t: Tr) -> (bool, String) {
    match client.own_profile().await {
        Ok(v) => {
            let text = if v.accreditation.status.is_verified() {
                t.get("profile-verdict-verified")
            } else {
                t.get("profile-verdict-self-declared")
            };
            (true, text)
        }
        Err(_) => (false, String::new()),
    }
}

/// `GET /profile` (`?saved` after a successful save).
pub(crate) async fn show(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    let profile = match client.editable_profile().await {
        Ok(p) => p,
        Err(e) => return super::failure(lang, &e),
    };
    let (published, verdict) = verdict(&client, t).await;
    let mut p = page_for(lang, ProfileForm::of(&profile), published, verdict);
    p.saved = query.as_deref() == Some("saved");
    page(StatusCode::OK, &p)
}

fn date(t: Tr, text: &str, field: &str, errors: &mut BTreeMap<String, String>) -> Option<CalendarDate> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match text.parse() {
        Ok(d) => Some(d),
        Err(_) => {
            errors.insert(field.into(), t.get("form-date-invalid"));
            None
        }
    }
}

fn list(text: &str) -> Vec<String> {
    text.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

/// Builds the update from the form, naming each problem of shape (numbers, dates) beside its field.
fn update_of(t: Tr, f: &ProfileForm, errors: &mut BTreeMap<String, String>) -> ProfileUpdate {
    let mut u = ProfileUpdate { name: Some(f.name.trim().to_string()), ..ProfileUpdate::default() };
    let mut clear = Vec::new();
    if f.bio.trim().is_empty() {
        clear.push(ProfileField::Bio);
    } else {
        u.bio = Some(f.bio.trim().to_string());
    }
    let mut tags = f.expertise.clone();
    tags.extend(list(&f.other_tags));
    if tags.is_empty() {
        clear.push(ProfileField::Expertise)
    } else {
        u.expertise = Some(tags)
    }
    let regions = list(&f.regions);
    if regions.is_empty() {
        clear.push(ProfileField::Region)
    } else {
        u.regions = Some(regions)
    }
    let mut languages = f.languages.clone();
    languages.extend(list(&f.other_languages).into_iter().map(|l| l.to_lowercase()));
    if languages.is_empty() {
        clear.push(ProfileField::Language)
    } else {
        u.languages = Some(languages)
    }
    match f.hours.trim() {
        "" => u.hours_per_month = Some(0),
        h => match h.parse::<u16>() {
            Ok(h) => u.hours_per_month = Some(h),
            Err(_) => {
                errors.insert("hours-per-month".into(), t.get("form-number-invalid"));
            }
        },
    }
    match date(t, &f.available_from, "available-from", errors) {
        Some(d) => u.available_from = Some(d),
        None if f.available_from.trim().is_empty() => clear.push(ProfileField::AvailableFrom),
        None => {}
    }
    match date(t, &f.available_until, "available-until", errors) {
        Some(d) => u.available_until = Some(d),
        None if f.available_until.trim().is_empty() => clear.push(ProfileField::AvailableUntil),
        None => {}
    }
    match f.rate.trim() {
        "" => clear.push(ProfileField::Rate),
        r => match parse_euros(r) {
            Some(cents) => u.rate_eur_cents = Some(cents),
            None => {
                errors.insert("rate".into(), t.get("form-amount-invalid"));
            }
        },
    }
    u.accreditation = match f.level.as_str() {
        "accredited" => Some(AccreditationLevel::Accredited),
        "supervisor" => Some(AccreditationLevel::Supervisor),
        _ => Some(AccreditationLevel::Trainee),
    };
    let mut affiliations = Vec::new();
    for row in &f.affiliations {
        let from = date(t, &row.from, "affiliation", errors);
        let until = date(t, &row.until, "affiliation", errors);
        affiliations.push(Affiliation { organisation: row.organisation.trim().to_string(), from, until });
    }
    if affiliations.is_empty() {
        clear.push(ProfileField::Affiliation)
    } else {
        u.affiliations = Some(affiliations)
    }
    u.clear = clear;
    u
}

/// "130", "130,50", "130.5", "€ 130" -> cents.
fn parse_euros(text: &str) -> Option<u32> {
    let text = text.trim().trim_start_matches('€').trim().replace(' ', "");
    let (whole, frac) = match text.split_once([',', '.']) {
        Some((w, f)) => (w, f),
        None => (text.as_str(), ""),
    };
    if whole.is_empty()
        || frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: u32 = whole.parse().ok()?;
    let frac: u32 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().ok()? };
    whole.checked_mul(100)?.checked_add(frac)
}

/// `POST /profile`: signs and publishes the profile, or shows every problem beside its field.
pub(crate) async fn save(
    State(service): State<Arc<Service>>,
    PageLang(lang): PageLang,
    _: SignedIn,
    body: String,
) -> Response {
    let Some(client) = service.client() else { return see_other("/") };
    let t = Tr::new(lang);
    let form = ProfileForm::parse(&body);
    let mut errors = BTreeMap::new();
    let update = update_of(t, &form, &mut errors);
    if errors.is_empty() {
        match client.set_profile(update).await {
            Ok(_) => return see_other("/profile?saved"),
            Err(NodeError::InvalidProfile(problems)) => {
                for p in &problems {
                    errors.entry(field_of(p)).or_insert_with(|| t.problem(p));
                }
            }
            Err(e) => return super::failure(lang, &e),
        }
    }
    let (published, verdict) = verdict(&client, t).await;
    let mut p = page_for(lang, form, published, verdict);
    p.errors = errors;
    page(StatusCode::UNPROCESSABLE_ENTITY, &p)
}

/// The form field a problem belongs to (the domain names fields as the command line does).
fn field_of(p: &FieldProblem) -> String {
    match p.field.as_str() {
        "region" => "regions".into(),
        "language" => "languages".into(),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_as_people_write_them() {
        assert_eq!(parse_euros("130"), Some(13_000));
        assert_eq!(parse_euros("130,5"), Some(13_050));
        assert_eq!(parse_euros("€ 130,50"), Some(13_050));
        assert_eq!(parse_euros("130.05"), Some(13_005));
        for bad in ["", "abc", "1,234", "-5", "1,2,3", "99999999999"] {
            assert_eq!(parse_euros(bad), None, "{bad}");
        }
    }

    #[test]
    fn organisation_rows_are_read_in_order_and_empty_ones_dropped() {
        let f = ProfileForm::parse("name=A&org-1=Twee&from-1=2020-01-01&org-0=Een&until-0=&org-2=&from-2=");
        let names: Vec<_> = f.affiliations.iter().map(|a| a.organisation.as_str()).collect();
        assert_eq!(names, ["Een", "Twee"]);
        assert_eq!(f.affiliations[1].from, "2020-01-01");
    }
}
