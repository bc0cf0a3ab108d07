//! Review requests: what a requester (a municipality or youth-care organisation) asks the network for.
//!
//! A request holds the answers to the method's orientation questions and the matching needs. It is
//! confidential: it names organisations and describes a case, so it only ever leaves the requester's node
//! sealed to the reviewers it is referred to. [`ReviewRequest::validate`] lists every problem at once, by
//! field, because a requester fills in a long form and should fix it in one go.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::directory::expertise::check_tag;
use crate::directory::profile::{FieldProblem, ProblemKind};
use crate::records::time::CalendarDate;

/// How large a review is (the method's proportionate variants).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewVariant {
    /// The full method: case group and review team, many conversations, 4-6 months.
    Full,
    /// About six conversations or fewer.
    MidRange,
    /// A one-day event.
    Focused,
    /// Several cases around one theme.
    Themed,
}

impl ReviewVariant {
    /// All variants, as named on the command line.
    pub const ALL: [(&'static str, ReviewVariant); 4] = [
        ("full", ReviewVariant::Full),
        ("mid-range", ReviewVariant::MidRange),
        ("focused", ReviewVariant::Focused),
        ("themed", ReviewVariant::Themed),
    ];

    /// The name used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        ReviewVariant::ALL.iter().find(|(_, v)| *v == self).map(|(n, _)| *n).unwrap_or("full")
    }

    /// Whether the variant needs an accredited lead (the larger reviews do).
    pub fn needs_accredited_lead(self) -> bool {
        matches!(self, ReviewVariant::Full | ReviewVariant::MidRange | ReviewVariant::Themed)
    }
}

impl fmt::Display for ReviewVariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ReviewVariant {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReviewVariant::ALL
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s.trim()))
            .map(|(_, v)| *v)
            .ok_or_else(|| format!("unknown review variant `{s}`: expected full, mid-range, focused or themed"))
    }
}

/// What kind of organisation was involved; used in the anonymised call (as a theme) and in reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OrganisationKind {
    /// Youth care provider (ambulatory, residential, foster care).
    YouthCare,
    /// Certified institution: child protection and youth probation.
    ChildProtection,
    /// Veilig Thuis.
    VeiligThuis,
    /// Municipal neighbourhood or youth team.
    NeighbourhoodTeam,
    /// Mental health care.
    MentalHealth,
    /// Preventive youth health care.
    YouthHealth,
    /// School or other education.
    Education,
    /// Police.
    Police,
    /// Justice: prosecution, courts, Raad voor de Kinderbescherming.
    Justice,
    /// General practice, hospital.
    HealthCare,
    /// The municipality itself.
    Municipality,
    /// Anything else.
    Other,
}

impl OrganisationKind {
    /// All kinds, as named on the command line.
    pub const ALL: [(&'static str, OrganisationKind); 12] = [
        ("youth-care", OrganisationKind::YouthCare),
        ("child-protection", OrganisationKind::ChildProtection),
        ("veilig-thuis", OrganisationKind::VeiligThuis),
        ("neighbourhood-team", OrganisationKind::NeighbourhoodTeam),
        ("mental-health", OrganisationKind::MentalHealth),
        ("youth-health", OrganisationKind::YouthHealth),
        ("education", OrganisationKind::Education),
        ("police", OrganisationKind::Police),
        ("justice", OrganisationKind::Justice),
        ("health-care", OrganisationKind::HealthCare),
        ("municipality", OrganisationKind::Municipality),
        ("other", OrganisationKind::Other),
    ];
}

impl FromStr for OrganisationKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrganisationKind::ALL.iter().find(|(n, _)| n.eq_ignore_ascii_case(s.trim())).map(|(_, k)| *k).ok_or_else(|| {
            let names: Vec<_> = OrganisationKind::ALL.iter().map(|(n, _)| *n).collect();
            format!("unknown organisation type `{s}`: expected one of {}", names.join(", "))
        })
    }
}

/// An organisation involved in the case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvolvedOrganisation {
    /// Its name, as its people use it; matched against reviewers' affiliations.
    pub name: String,
    /// What kind of organisation it is.
    pub kind: OrganisationKind,
}

/// A review request: the orientation answers and the matching needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRequest {
    /// 1. Why a review is considered (incident, theme, chain cooperation, learning; external cause?).
    pub reason: String,
    /// 2. The learning question.
    pub learning_question: String,
    /// 2. First day of the period the review covers.
    pub period_from: CalendarDate,
    /// 2. Last day of that period.
    pub period_until: CalendarDate,
    /// 3. The organisations involved, directly or otherwise.
    pub organisations: Vec<InvolvedOrganisation>,
    /// 4. The municipality (gemeente) and its role: aware, involved, supportive.
    pub municipality: String,
    /// 5. Involvement of the youth inspectorates: reported, report available, supportive.
    pub inspectorate: String,
    /// 6. Context and sensitivities: blame or disciplinary investigations, conflicts.
    pub context: String,
    /// 7. Information already available, and what is still to be gathered by whom.
    pub available_information: String,
    /// 8. Whether family members can be involved, and the support they need.
    pub family_involvement: String,
    /// 9. Privacy arrangements: client consent, anonymisation.
    pub privacy: String,
    /// 10. When the review can start.
    pub desired_start: CalendarDate,
    /// 10. When it must be finished.
    pub desired_end: CalendarDate,
    /// 11. Contact person(s) for documents and scheduling.
    pub contact: String,
    /// 12. Cost arrangements: who pays what, invoice address.
    pub costs: String,
    /// 12. Budgeted reviewer hours, all reviewers together.
    pub budget_hours: u16,
    /// 13. When the review is a success; how the learning will be used.
    pub expected_result: String,
    /// 14. To whom the final report is addressed, and whether it will be spread further.
    pub report_addressee: String,
    /// Expertise wanted (normalised tags).
    pub expertise: Vec<String>,
    /// Region of the case.
    pub region: Option<String>,
    /// Language the review is conducted in.
    pub language: String,
    /// The review variant.
    pub variant: ReviewVariant,
    /// How many reviewers (the method works in pairs: default 2).
    pub reviewers: u8,
}

/// Longest free-text answer accepted, in characters.
pub const MAX_ANSWER_CHARS: usize = 4000;
/// Most organisations per request.
pub const MAX_ORGANISATIONS: usize = 32;

impl ReviewRequest {
    /// Checks every field and returns every problem at once, each naming its field as on the command line.
    pub fn validate(&self) -> Result<(), Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let mut bad =
            |field: &str, kind: ProblemKind, problem: String| problems.push(FieldProblem::new(field, kind, problem));
        let required = [
            ("reason", &self.reason),
            ("learning-question", &self.learning_question),
            ("municipality", &self.municipality),
            ("contact", &self.contact),
            ("expected-result", &self.expected_result),
            ("report-addressee", &self.report_addressee),
        ];
        for (field, value) in required {
            if value.trim().is_empty() {
                bad(field, ProblemKind::Required, "is required".into());
            }
        }
        let texts = [
            ("reason", &self.reason),
            ("learning-question", &self.learning_question),
            ("municipality", &self.municipality),
            ("inspectorate", &self.inspectorate),
            ("context", &self.context),
            ("available-information", &self.available_information),
            ("family-involvement", &self.family_involvement),
            ("privacy", &self.privacy),
            ("contact", &self.contact),
            ("costs", &self.costs),
            ("expected-result", &self.expected_result),
            ("report-addressee", &self.report_addressee),
        ];
        for (field, value) in texts {
            if value.chars().count() > MAX_ANSWER_CHARS {
                bad(
                    field,
                    ProblemKind::TooLong { max: MAX_ANSWER_CHARS },
                    format!("longer than {MAX_ANSWER_CHARS} characters"),
                );
            }
            if value.chars().any(|c| c.is_control() && c != '\n') {
                bad(field, ProblemKind::ControlCharacters, "contains control characters".into());
            }
        }
        if self.period_from > self.period_until {
            bad(
                "period-until",
                ProblemKind::EndsBeforeStart,
                format!("{} is before period-from {}", self.period_until, self.period_from),
            );
        }
        if self.desired_start > self.desired_end {
            bad(
                "desired-end",
                ProblemKind::EndsBeforeStart,
                format!("{} is before the desired start {}", self.desired_end, self.desired_start),
            );
        }
        if self.organisations.is_empty() {
            bad("organisation", ProblemKind::Required, "at least one involved organisation is required".into());
        }
        if self.organisations.len() > MAX_ORGANISATIONS {
            bad(
                "organisation",
                ProblemKind::TooMany { max: MAX_ORGANISATIONS },
                format!("more than {MAX_ORGANISATIONS} organisations"),
            );
        }
        for o in &self.organisations {
            if o.name.trim().is_empty() || o.name.chars().count() > 200 {
                bad(
                    "organisation",
                    ProblemKind::InvalidItem { max: 200 },
                    format!("`{}` must be 1-200 characters", o.name.chars().take(40).collect::<String>()),
                );
            }
        }
        if self.budget_hours == 0 {
            bad("budget-hours", ProblemKind::TooLow { min: 1 }, "must be more than 0".into());
        }
        for tag in &self.expertise {
            if let Err(e) = check_tag(tag) {
                bad("expertise", ProblemKind::InvalidTag, e.to_string());
            }
        }
        if self.language.trim().is_empty() {
            bad("language", ProblemKind::Required, "is required".into());
        }
        if !(1..=4).contains(&self.reviewers) {
            bad("reviewers", ProblemKind::Other, "must be 1 to 4".into());
        }
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }

    /// Hours per reviewer per month the request asks for: the budget spread over the reviewers and the
    /// months between desired start and end (at least one month).
    pub fn hours_per_reviewer_month(&self) -> f64 {
        let days = (self.desired_end.days_since_epoch() - self.desired_start.days_since_epoch()).max(0) as f64 + 1.0;
        let months = (days / 30.44).max(1.0);
        f64::from(self.budget_hours) / f64::from(self.reviewers.max(1)) / months
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> ReviewRequest {
        ReviewRequest {
            reason: "A serious incident after five placements in two years".into(),
            learning_question: "How did the chain lose sight of the child?".into(),
            period_from: "2024-01-01".parse().unwrap(),
            period_until: "2025-12-31".parse().unwrap(),
            organisations: vec![InvolvedOrganisation {
                name: "GI Midden".into(),
                kind: OrganisationKind::ChildProtection,
            }],
            municipality: "Utrecht, aware and supportive".into(),
            inspectorate: String::new(),
            context: String::new(),
            available_information: String::new(),
            family_involvement: String::new(),
            privacy: String::new(),
            desired_start: "2027-01-01".parse().unwrap(),
            desired_end: "2027-06-30".parse().unwrap(),
            contact: "J. de Vries".into(),
            costs: String::new(),
            budget_hours: 120,
            expected_result: "Concrete improvements in the chain".into(),
            report_addressee: "The boards of the organisations".into(),
            expertise: vec!["jeugdbescherming".into()],
            region: Some("Utrecht".into()),
            language: "nl".into(),
            variant: ReviewVariant::MidRange,
            reviewers: 2,
        }
    }

    #[test]
    fn every_problem_is_listed_by_field() {
        assert_eq!(sample().validate(), Ok(()));
        let mut r = sample();
        r.learning_question = " ".into();
        r.contact = String::new();
        r.organisations.clear();
        r.budget_hours = 0;
        r.desired_end = "2026-01-01".parse().unwrap();
        r.reviewers = 0;
        let fields: Vec<String> = r.validate().unwrap_err().into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            ["learning-question", "contact", "desired-end", "organisation", "budget-hours", "reviewers"]
        );
    }

    #[test]
    fn hours_are_spread_over_reviewers_and_months() {
        let r = sample(); // 120 hours, 2 reviewers, ~6 months
        let h = r.hours_per_reviewer_month();
        assert!((9.0..11.0).contains(&h), "{h}");
        assert_eq!("mid-range".parse::<ReviewVariant>(), Ok(ReviewVariant::MidRange));
        assert!("huge".parse::<ReviewVariant>().is_err());
    }
}
