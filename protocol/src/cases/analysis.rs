//! The case's `analysis` document: a typed API over an Automerge document, so that no code outside this
//! module touches Automerge paths. It holds what the review team builds together in steps 1-6: the scope
//! taken over from the referral, the participants and sources, the integrated timeline, the key practice
//! episodes, the contributing factors behind them, the findings and the recommendations.
//!
//! Layout (schema 1; every map below ROOT is keyed by a random id chosen by the writer):
//!
//! ```text
//! ROOT { schema: 1, kind: "analysis", title: Text,
//!        learning_question: Text, period_from, period_to: "YYYY-MM-DD" | null,
//!        organisations: [str], themes: [review theme],
//!        step: { current: u64, dates: { "1".."6": "YYYY-MM-DD" } },
//!        timeline: { <id>: { date, precision: "day"|"month"|"year"|"approximate",
//!                            actor, agency, what, known_then, decision, rationale, perspective: Text,
//!                            contested: bool, sources: [str] } },
//!        participants: { <id>: { pseudonym, role, organisation: Text, group } },
//!        sources: { <id>: { kind, provided_by: Text, date, description: Text } },
//!        episodes: { <id>: { title: Text, period_from, period_to, timeline_entries: [timeline id],
//!                            appraisal, explanation: Text, good_practice: bool } },
//!        factors: { <id>: { episodes: [episode id], level, description, evidence: Text, pattern | null } },
//!        findings: { <id>: { pattern | null, themes: [review theme], title, in_this_case,
//!                            beyond_the_case: Text, questions: [str] } },
//!        recommendations: { <id>: { addressee, text: Text, follow_up } } }
//! ```
//!
//! Enums are stored as kebab-case strings. Entities live in maps under random ids, so concurrent additions
//! never conflict, and every free-text field is an Automerge Text edited by diff, so concurrent edits to one
//! field merge character-wise and edits to different fields of one entity both survive (the shared
//! machinery is in `document.rs`).
//!
//! Documents written before `kind` and the entity maps existed are still schema 1: they load, the missing
//! maps read as empty, and the first write creates them.

use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc, ScalarValue, Value};
use serde::{Deserialize, Serialize};

pub use automerge::ChangeHash;

use crate::cases::document::{
    DocError, Document, Entity, Field, Reader, Record, Tag, document_api, entity_api, tag_enum,
};
use crate::records::time::CalendarDate;
use crate::referrals::call::ReviewTheme;

/// The `kind` written into ROOT, so an analysis is never mistaken for the reviewers' notes.
const KIND: &str = "analysis";

tag_enum! {
    /// How precisely the moment of a timeline entry is known.
    pub enum Precision {
        /// The exact day.
        #[default]
        Day = "day",
        /// The month (the date's day is ignored).
        Month = "month",
        /// The year.
        Year = "year",
        /// Roughly around the date.
        Approximate = "approximate",
    }
}

tag_enum! {
    /// Which group a participant belongs to: the case group is interviewed and meets in the reflection
    /// sessions, the review team writes the analysis, and the family takes part on its own terms. An
    /// unknown stored value reads as the case group.
    pub enum ParticipantGroup {
        /// The professionals involved in the case.
        #[default]
        CaseGroup = "case-group",
        /// The reviewers (and their supervisor).
        ReviewTeam = "review-team",
        /// The child, the parents and other family members.
        Family = "family",
    }
}

tag_enum! {
    /// What kind of material a source is, so the team can see what the timeline rests on. An unknown
    /// stored value reads as an interview.
    pub enum SourceKind {
        /// A conversation with a participant.
        #[default]
        Interview = "interview",
        /// An extract from a case file.
        FileExtract = "file-extract",
        /// A meeting, such as a reflection session with the case group.
        Meeting = "meeting",
        /// A timeline drawn up by one participant or organisation.
        IndividualTimeline = "individual-timeline",
    }
}

tag_enum! {
    /// At which level a contributing factor works, from the person to the chain of organisations. An
    /// unknown stored value reads as personal.
    pub enum FactorLevel {
        /// The individual professional as a person (workload, experience, emotions).
        #[default]
        Personal = "personal",
        /// Professional practice: knowledge, methods, judgement.
        Professional = "professional",
        /// The client and the family.
        ClientFamily = "client-family",
        /// The team.
        Team = "team",
        /// The organisation: management, culture, policy.
        Organisation = "organisation",
        /// The chain: cooperation between organisations.
        Chain = "chain",
    }
}

tag_enum! {
    /// The underlying pattern categories of the English "Learning Together" model, which let findings of
    /// one case be compared with other cases. An unknown stored value reads as no category.
    pub enum PatternCategory {
        /// Multi-agency working in response to incidents and crises.
        #[default]
        IncidentsAndCrises = "incidents-and-crises",
        /// Multi-agency working in longer-term work.
        LongerTermWork = "longer-term-work",
        /// Human-tool operation.
        HumanTool = "human-tool",
        /// Human-management system operation.
        HumanManagementSystem = "human-management-system",
        /// Family-professional interaction.
        FamilyProfessional = "family-professional",
        /// Innate human biases.
        InnateHumanBiases = "innate-human-biases",
    }
}

tag_enum! {
    /// Where a recommendation stands, so the commissioning organisations' follow-up can be tracked. An
    /// unknown stored value reads as open.
    pub enum FollowUp {
        /// Not yet answered.
        #[default]
        Open = "open",
        /// The addressee agreed to act on it.
        Agreed = "agreed",
        /// Being acted on.
        InProgress = "in-progress",
        /// Done.
        Done = "done",
        /// The addressee declined.
        Declined = "declined",
    }
}

// The themes of a call are stored in the case with the same names as their serde form.
impl Tag for ReviewTheme {
    const ALL: &'static [Self] = &[
        ReviewTheme::ParentChildDilemma,
        ReviewTheme::ProfessionalPractice,
        ReviewTheme::ChainCooperation,
        ReviewTheme::YouthCareContext,
        ReviewTheme::GoodPractice,
        ReviewTheme::Other,
    ];

    fn as_str(self) -> &'static str {
        match self {
            ReviewTheme::ParentChildDilemma => "parent-child-dilemma",
            ReviewTheme::ProfessionalPractice => "professional-practice",
            ReviewTheme::ChainCooperation => "chain-cooperation",
            ReviewTheme::YouthCareContext => "youth-care-context",
            ReviewTheme::GoodPractice => "good-practice",
            ReviewTheme::Other => "other",
        }
    }
}

/// What the review is about, as agreed with the commissioning organisations: a case opened from a referral
/// carries over the request's learning question, period and organisations.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// The learning question the review answers.
    pub learning_question: String,
    /// The start of the period under review.
    pub period_from: Option<CalendarDate>,
    /// The end of the period under review.
    pub period_to: Option<CalendarDate>,
    /// The organisations involved (names as in the request).
    pub organisations: Vec<String>,
}

impl Record for Scope {
    fn fields(&self) -> Vec<(&'static str, Field<'_>)> {
        vec![
            ("learning_question", Field::Text(&self.learning_question)),
            ("period_from", Field::date(self.period_from)),
            ("period_to", Field::date(self.period_to)),
            ("organisations", Field::list(&self.organisations)),
        ]
    }

    fn read(r: &Reader<'_>) -> Result<Self, automerge::AutomergeError> {
        Ok(Scope {
            learning_question: r.text("learning_question")?,
            period_from: r.date("period_from")?,
            period_to: r.date("period_to")?,
            organisations: r.set("organisations")?,
        })
    }
}

/// One entry of the integrated timeline: what happened, and what was known and believed then.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// When (see `precision`).
    pub date: Option<CalendarDate>,
    /// How precisely `date` is known.
    pub precision: Option<Precision>,
    /// Who acted (a pseudonym such as "GI-1").
    pub actor: String,
    /// Their organisation.
    pub agency: String,
    /// What happened.
    pub what: String,
    /// What was known or believed then (the view from then, without hindsight).
    pub known_then: String,
    /// The decision or action taken.
    pub decision: String,
    /// Its rationale.
    pub rationale: String,
    /// Whose perspective this entry tells.
    pub perspective: String,
    /// Whether the entry is contested between sources.
    pub contested: bool,
    /// Source references.
    pub sources: Vec<String>,
}

impl TimelineEntry {
    /// The day this entry sorts on: a month-level entry in the middle of its month, a year-level one in the
    /// middle of its year, so that "March 2024" sorts after "2 March" and before "28 March".
    pub fn sort_day(&self) -> Option<i64> {
        let d = self.date?;
        let (y, m, _) = d.ymd();
        Some(match self.precision.unwrap_or(Precision::Day) {
            Precision::Day | Precision::Approximate => d.days_since_epoch(),
            Precision::Month => {
                CalendarDate::from_ymd(y, m, 15).map(CalendarDate::days_since_epoch).unwrap_or(d.days_since_epoch())
            }
            Precision::Year => {
                CalendarDate::from_ymd(y, 7, 1).map(CalendarDate::days_since_epoch).unwrap_or(d.days_since_epoch())
            }
        })
    }
}

impl Record for TimelineEntry {
    fn fields(&self) -> Vec<(&'static str, Field<'_>)> {
        vec![
            ("actor", Field::Text(&self.actor)),
            ("agency", Field::Text(&self.agency)),
            ("what", Field::Text(&self.what)),
            ("known_then", Field::Text(&self.known_then)),
            ("decision", Field::Text(&self.decision)),
            ("rationale", Field::Text(&self.rationale)),
            ("perspective", Field::Text(&self.perspective)),
            ("date", Field::date(self.date)),
            ("precision", Field::tag(self.precision.unwrap_or_default())),
            ("contested", Field::Bool(self.contested)),
            ("sources", Field::list(&self.sources)),
        ]
    }

    fn read(r: &Reader<'_>) -> Result<Self, automerge::AutomergeError> {
        Ok(TimelineEntry {
            date: r.date("date")?,
            precision: r.tag("precision")?,
            actor: r.text("actor")?,
            agency: r.text("agency")?,
            what: r.text("what")?,
            known_then: r.text("known_then")?,
            decision: r.text("decision")?,
            rationale: r.text("rationale")?,
            perspective: r.text("perspective")?,
            contested: r.bool("contested")?,
            sources: r.list("sources")?,
        })
    }
}

impl Entity for TimelineEntry {
    const MAP: &'static str = "timeline";
    const NAME: &'static str = "timeline entry";
    // Undated entries last, then by sort day, then precision.
    type Key = (bool, Option<i64>, Option<Precision>);

    fn sort_key(&self) -> Self::Key {
        (self.sort_day().is_none(), self.sort_day(), self.precision)
    }
}

/// Someone taking part in the review, known only by a pseudonym: real names never appear in the analysis
/// (they may be kept in the reviewers' notes).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    /// The pseudonym code used throughout the analysis and the report, e.g. "M1" or "GI-1".
    pub pseudonym: String,
    /// Their role in the case, e.g. "family guardian".
    pub role: String,
    /// Their organisation.
    pub organisation: String,
    /// Which group they belong to.
    pub group: ParticipantGroup,
}

impl Record for Participant {
    fn fields(&self) -> Vec<(&'static str, Field<'_>)> {
        vec![
            ("pseudonym", Field::Text(&self.pseudonym)),
            ("role", Field::Text(&self.role)),
            ("organisation", Field::Text(&self.organisation)),
            ("group", Field::tag(self.group)),
        ]
    }

    fn read(r: &Reader<'_>) -> Result<Self, automerge::AutomergeError> {
        Ok(Participant {
            pseudonym: r.text("pseudonym")?,
            role: r.text("role")?,
            organisation: r.text("organisation")?,
            group: r.tag("group")?.unwrap_or_default(),
        })
    }
}

impl Entity for Participant {
    const MAP: &'static str = "participants";
    const NAME: &'static str = "participant";
    type Key = String;

    fn sort_key(&self) -> String {
        self.pseudonym.to_lowercase()
    }
}

/// A piece of material the analysis rests on, so every statement can be traced to where it came from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// What kind of material it is.
    pub kind: SourceKind,
    /// Who provided it (a pseudonym).
    pub provided_by: String,
    /// When it was made or obtained.
    pub date: Option<CalendarDate>,
    /// What it is, in a few words (no real names).
    pub description: String,
}

impl Record for Source {
    fn fields(&self) -> Vec<(&'static str, Field<'_>)> {
        vec![
            ("kind", Field::tag(self.kind)),
            ("provided_by", Field::Text(&self.provided_by)),
            ("date", Field::date(self.date)),
            ("description", Field::Text(&self.description)),
        ]
    }

    fn read(r: &Reader<'_>) -> Result<Self, automerge::AutomergeError> {
        Ok(Source {
            kind: r.tag("kind")?.unwrap_or_default(),
            provided_by: r.text("provided_by")?,
            date: r.date("date")?,
            description: r.text("description")?,
        })
    }
}

impl Entity for Source {
    const MAP: &'static str = "sources";
    const NAME: &'static str = "source";
    // Undated sources last.
    type Key = (bool, Option<CalendarDate>);

    fn sort_key(&self) -> Self::Key {
        (self.date.is_none(), self.date)
    }
}

/// A key practice episode ("cruciaal moment"): a stretch of the timeline where practice made a difference,
/// appraised as it looked then, without hindsight.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyPracticeEpisode {
    /// A short title.
    pub title: String,
    /// When the episode starts.
    pub period_from: Option<CalendarDate>,
    /// When it ends.
    pub period_to: Option<CalendarDate>,
    /// The ids of the timeline entries it spans.
    pub timeline_entries: Vec<String>,
    /// The appraisal of practice, without hindsight.
    pub appraisal: String,
    /// The explanation: why it made sense to those involved at the time.
    pub explanation: String,
    /// Whether this is an example of good practice.
    pub good_practice: bool,
}

impl Record for KeyPracticeEpisode {
    fn fields(&self) -> Vec<(&'static str, Field<'_>)> {
        vec![
            ("title", Field::Text(&self.title)),
            ("period_from", Field::date(self.period_from)),
            ("period_to", Field::date(self.period_to)),
            ("timeline_entries", Field::list(&self.timeline_entries)),
            ("appraisal", Field::Text(&self.appraisal)),
            ("explanation", Field::Text(&self.explanation)),
            ("good_practice", Field::Bool(self.good_practice)),
        ]
    }

    fn read(r: &Reader<'_>) -> Result<Self, automerge::AutomergeError> {
        Ok(KeyPracticeEpisode {
            title: r.text("title")?,
            period_from: r.date("period_from")?,
            period_to: r.date("period_to")?,
            timeline_entries: r.set("timeline_entries")?,
            appraisal: r.text("appraisal")?,
            explanation: r.text("explanation")?,
            good_practice: r.bool("good_practice")?,
        })
    }
}

impl Entity for KeyPracticeEpisode {
    const MAP: &'static str = "episodes";
    const NAME: &'static str = "key practice episode";
    // In time order, undated episodes last.
    type Key = (bool, Option<CalendarDate>);

    fn sort_key(&self) -> Self::Key {
        (self.period_from.is_none(), self.period_from)
    }
}

/// Something that made practice in one or more episodes more or less likely: the step from what happened
/// to why, and from there to patterns beyond the case.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributingFactor {
    /// The ids of the episodes it contributed to.
    pub episodes: Vec<String>,
    /// The level it works at.
    pub level: FactorLevel,
    /// What the factor is.
    pub description: String,
    /// What shows it (references to sources and timeline entries, in words).
    pub evidence: String,
    /// The underlying pattern it points to, once the team has decided.
    pub pattern: Option<PatternCategory>,
}

impl Record for ContributingFactor {
    fn fields(&self) -> Vec<(&'static str, Field<'_>)> {
        vec![
            ("episodes", Field::list(&self.episodes)),
            ("level", Field::tag(self.level)),
            ("description", Field::Text(&self.description)),
            ("evidence", Field::Text(&self.evidence)),
            ("pattern", Field::opt_tag(self.pattern)),
        ]
    }

    fn read(r: &Reader<'_>) -> Result<Self, automerge::AutomergeError> {
        Ok(ContributingFactor {
            episodes: r.set("episodes")?,
            level: r.tag("level")?.unwrap_or_default(),
            description: r.text("description")?,
            evidence: r.text("evidence")?,
            pattern: r.tag("pattern")?,
        })
    }
}

impl Entity for ContributingFactor {
    const MAP: &'static str = "factors";
    const NAME: &'static str = "contributing factor";
    // From the person outwards to the chain.
    type Key = FactorLevel;

    fn sort_key(&self) -> FactorLevel {
        self.level
    }
}

/// A finding: an underlying pattern, how it showed in this case and why it matters beyond it, with the
/// questions it raises for the commissioning organisations.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The underlying pattern category.
    pub pattern: Option<PatternCategory>,
    /// The recurring themes it touches.
    pub themes: Vec<ReviewTheme>,
    /// A short title.
    pub title: String,
    /// How the pattern showed in this case.
    pub in_this_case: String,
    /// Why it matters beyond this case.
    pub beyond_the_case: String,
    /// Questions for the commissioning organisations.
    pub questions: Vec<String>,
}

impl Record for Finding {
    fn fields(&self) -> Vec<(&'static str, Field<'_>)> {
        vec![
            ("pattern", Field::opt_tag(self.pattern)),
            ("themes", Field::tags(&self.themes)),
            ("title", Field::Text(&self.title)),
            ("in_this_case", Field::Text(&self.in_this_case)),
            ("beyond_the_case", Field::Text(&self.beyond_the_case)),
            ("questions", Field::list(&self.questions)),
        ]
    }

    fn read(r: &Reader<'_>) -> Result<Self, automerge::AutomergeError> {
        Ok(Finding {
            pattern: r.tag("pattern")?,
            themes: r.tags("themes")?,
            title: r.text("title")?,
            in_this_case: r.text("in_this_case")?,
            beyond_the_case: r.text("beyond_the_case")?,
            questions: r.list("questions")?,
        })
    }
}

impl Entity for Finding {
    const MAP: &'static str = "findings";
    const NAME: &'static str = "finding";
    type Key = String;

    fn sort_key(&self) -> String {
        self.title.to_lowercase()
    }
}

/// A recommendation to one organisation, with its follow-up status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    /// The organisation it is addressed to.
    pub addressee: String,
    /// The recommendation.
    pub text: String,
    /// Where it stands.
    pub follow_up: FollowUp,
}

impl Record for Recommendation {
    fn fields(&self) -> Vec<(&'static str, Field<'_>)> {
        vec![
            ("addressee", Field::Text(&self.addressee)),
            ("text", Field::Text(&self.text)),
            ("follow_up", Field::tag(self.follow_up)),
        ]
    }

    fn read(r: &Reader<'_>) -> Result<Self, automerge::AutomergeError> {
        Ok(Recommendation {
            addressee: r.text("addressee")?,
            text: r.text("text")?,
            follow_up: r.tag("follow_up")?.unwrap_or_default(),
        })
    }
}

impl Entity for Recommendation {
    const MAP: &'static str = "recommendations";
    const NAME: &'static str = "recommendation";
    type Key = String;

    fn sort_key(&self) -> String {
        self.addressee.to_lowercase()
    }
}

/// Errors of the analysis document.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// Automerge refused an operation or the bytes do not load (damaged or not Automerge at all).
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    /// The document does not have the expected shape: another schema version, another kind of case
    /// document (the notes), or damaged.
    #[error("the analysis document is malformed: {0}")]
    Schema(&'static str),
    /// The caller asked for a timeline entry that does not exist (or no longer does).
    #[error("no timeline entry {0}")]
    NoEntry(String),
    /// The caller asked for another entity that does not exist (or no longer does).
    #[error("no {what} `{id}`")]
    NotFound {
        /// What kind of entity.
        what: &'static str,
        /// The id asked for.
        id: String,
    },
    /// The caller tried to add an entity under an id already taken (ids must be fresh random ones).
    #[error("there already is a {what} `{id}`")]
    Exists {
        /// What kind of entity.
        what: &'static str,
        /// The id.
        id: String,
    },
    /// The caller supplied an empty id or one over 64 characters.
    #[error("ids must be 1 to 64 characters: `{0}`")]
    BadId(String),
    /// The caller asked for a step outside 1-6.
    #[error("step must be 1 to 6")]
    BadStep,
    /// The JSON view could not be built (a bug, not bad input).
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// The bytes are not well-formed parted bytes (see [`crate::cases::parts`]), or are for a document with
    /// another number of parts.
    #[error("the analysis document's parts: {0}")]
    Parts(#[from] crate::cases::parts::PartsError),
}

impl From<DocError> for AnalysisError {
    fn from(e: DocError) -> AnalysisError {
        match e {
            DocError::Automerge(e) => AnalysisError::Automerge(e),
            DocError::Schema(s) => AnalysisError::Schema(s),
            DocError::NotFound { what: TimelineEntry::NAME, id } => AnalysisError::NoEntry(id),
            DocError::NotFound { what, id } => AnalysisError::NotFound { what, id },
            DocError::Exists { what, id } => AnalysisError::Exists { what, id },
            DocError::BadId(id) => AnalysisError::BadId(id),
            DocError::Json(e) => AnalysisError::Json(e),
            DocError::Parts(e) => AnalysisError::Parts(e),
        }
    }
}

/// The `analysis` document of a case.
pub struct AnalysisDoc {
    inner: Document,
}

impl AnalysisDoc {
    /// A new document with `title`, written by `actor` (the member's stable Automerge actor id). Every map
    /// and text is created here, so that all members later edit the same objects.
    pub fn new(title: &str, actor: &[u8]) -> Result<AnalysisDoc, AnalysisError> {
        let mut inner = Document::new(KIND, actor)?;
        inner.write_field(&ROOT, "title", &Field::Text(title))?;
        inner.write_record(&ROOT, None, &Scope::default())?;
        inner.write_field(&ROOT, "themes", &Field::List(Vec::new()))?;
        let step = inner.doc.put_object(ROOT, "step", ObjType::Map)?;
        inner.doc.put(&step, "current", 1u64)?;
        inner.doc.put_object(&step, "dates", ObjType::Map)?;
        for map in [
            TimelineEntry::MAP,
            Participant::MAP,
            Source::MAP,
            KeyPracticeEpisode::MAP,
            ContributingFactor::MAP,
            Finding::MAP,
            Recommendation::MAP,
        ] {
            inner.doc.put_object(ROOT, map, ObjType::Map)?;
        }
        Ok(AnalysisDoc { inner: inner.into_parts(crate::cases::parts::NEW_DOCUMENT_PARTS) })
    }

    /// Loads a saved document, checking its shape; `actor` is who will write to it here. Refuses the notes
    /// document and anything that is not a case document; accepts analyses written before `kind` existed.
    pub fn load(bytes: &[u8], actor: &[u8]) -> Result<AnalysisDoc, AnalysisError> {
        let inner = Document::load(bytes, actor, KIND, true)?;
        for key in ["step", TimelineEntry::MAP] {
            if !matches!(inner.doc.get(ROOT, key)?, Some((Value::Object(ObjType::Map), _))) {
                return Err(AnalysisError::Schema("a top-level map is missing"));
            }
        }
        Ok(AnalysisDoc { inner })
    }

    document_api!(AnalysisDoc, AnalysisError);

    fn step_map(&self) -> Result<automerge::ObjId, AnalysisError> {
        match self.inner.doc.get(ROOT, "step")? {
            Some((Value::Object(ObjType::Map), id)) => Ok(id),
            _ => Err(AnalysisError::Schema("a top-level map is missing")),
        }
    }

    /// The title.
    pub fn title(&self) -> Result<String, AnalysisError> {
        Ok(self.inner.text_at(&ROOT, "title")?)
    }

    /// Renames the case (by diff, so a concurrent edit of the title merges).
    pub fn set_title(&mut self, title: &str) -> Result<(), AnalysisError> {
        if self.title()? != title {
            self.inner.write_field(&ROOT, "title", &Field::Text(title))?;
        }
        Ok(())
    }

    /// What the review is about: learning question, period and organisations.
    pub fn scope(&self) -> Result<Scope, AnalysisError> {
        Ok(Scope::read(&self.inner.reader(&ROOT))?)
    }

    /// Sets the scope (typically from the referral the case was opened from), writing only what changed.
    pub fn set_scope(&mut self, scope: &Scope) -> Result<(), AnalysisError> {
        let old = self.scope()?;
        self.inner.write_record(&ROOT, Some(&old), scope)?;
        Ok(())
    }

    /// The recurring themes of the case as a whole (a case may carry the theme of its call).
    pub fn themes(&self) -> Result<Vec<ReviewTheme>, AnalysisError> {
        Ok(self.inner.reader(&ROOT).tags("themes")?)
    }

    /// Sets the case's themes (duplicates are ignored).
    pub fn set_themes(&mut self, themes: &[ReviewTheme]) -> Result<(), AnalysisError> {
        let mut new: Vec<ReviewTheme> = Vec::new();
        for t in themes {
            if !new.contains(t) {
                new.push(*t);
            }
        }
        if self.themes()? != new {
            self.inner.write_field(&ROOT, "themes", &Field::tags(&new))?;
        }
        Ok(())
    }

    /// The current step (1-6).
    pub fn step(&self) -> Result<u64, AnalysisError> {
        let step = self.step_map()?;
        Ok(match self.inner.doc.get(&step, "current")? {
            Some((Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Uint(n) => *n,
                ScalarValue::Int(n) => u64::try_from(*n).unwrap_or(1),
                _ => 1,
            },
            _ => 1,
        })
    }

    /// The day each step was reached, in step order (for the review's own timeline and the report).
    pub fn step_dates(&self) -> Result<Vec<(u64, CalendarDate)>, AnalysisError> {
        let step = self.step_map()?;
        let Some((Value::Object(ObjType::Map), dates)) = self.inner.doc.get(&step, "dates")? else {
            return Ok(Vec::new());
        };
        let r = self.inner.reader(&dates);
        let mut out = Vec::new();
        for n in 1..=6u64 {
            if let Some(d) = r.date(&n.to_string())? {
                out.push((n, d));
            }
        }
        Ok(out)
    }

    /// Moves the case to `step` on `date`.
    pub fn set_step(&mut self, step: u64, date: CalendarDate) -> Result<(), AnalysisError> {
        if !(1..=6).contains(&step) {
            return Err(AnalysisError::BadStep);
        }
        let s = self.step_map()?;
        self.inner.doc.put(&s, "current", step)?;
        let dates = self.inner.ensure_map(&s, "dates")?;
        self.inner.doc.put(&dates, step.to_string(), date.to_string())?;
        Ok(())
    }

    entity_api!(
        AnalysisError,
        TimelineEntry,
        "timeline entry",
        "in time order (by sort day, so approximate dates are placed sensibly; undated entries last; then \
         precision)",
        add_timeline_entry,
        edit_timeline_entry,
        remove_timeline_entry,
        timeline_entry,
        timeline
    );

    entity_api!(
        AnalysisError,
        Participant,
        "participant",
        "by pseudonym",
        add_participant,
        edit_participant,
        remove_participant,
        participant,
        participants
    );

    entity_api!(
        AnalysisError,
        Source,
        "source",
        "by date (undated last)",
        add_source,
        edit_source,
        remove_source,
        source,
        sources
    );

    entity_api!(
        AnalysisError,
        KeyPracticeEpisode,
        "key practice episode",
        "by start of period (undated last)",
        add_episode,
        edit_episode,
        remove_episode,
        episode,
        episodes
    );

    entity_api!(
        AnalysisError,
        ContributingFactor,
        "contributing factor",
        "by level, from personal out to the chain",
        add_factor,
        edit_factor,
        remove_factor,
        factor,
        factors
    );

    entity_api!(
        AnalysisError,
        Finding,
        "finding",
        "by title",
        add_finding,
        edit_finding,
        remove_finding,
        finding,
        findings
    );

    entity_api!(
        AnalysisError,
        Recommendation,
        "recommendation",
        "by addressee",
        add_recommendation,
        edit_recommendation,
        remove_recommendation,
        recommendation,
        recommendations
    );
    /// The ids of the timeline's entries, without reading them (a count, a reference check).
    pub fn timeline_ids(&self) -> Result<std::collections::BTreeSet<String>, AnalysisError> {
        Ok(self.inner.ids::<TimelineEntry>()?)
    }

    /// References that point nowhere: an episode naming a timeline entry, or a factor naming an episode,
    /// that does not exist (removed, or not yet synced). They are allowed, since members edit concurrently,
    /// but the team should see them before the report is drawn up. One sentence each, in list order.
    pub fn dangling_references(&self) -> Result<Vec<String>, AnalysisError> {
        let entries = self.timeline_ids()?;
        let episodes = self.episodes()?;
        let mut out = Vec::new();
        for (id, episode) in &episodes {
            for r in episode.timeline_entries.iter().filter(|r| !entries.contains(*r)) {
                out.push(format!("key practice episode `{id}` refers to timeline entry `{r}`, which does not exist"));
            }
        }
        for (id, factor) in self.factors()? {
            for r in factor.episodes.iter().filter(|r| !episodes.iter().any(|(e, _)| e == *r)) {
                out.push(format!(
                    "contributing factor `{id}` refers to key practice episode `{r}`, which does not exist"
                ));
            }
        }
        Ok(out)
    }

    /// The whole document as JSON, the same bytes on every replica that has the same changes: the view that
    /// exports, the report draft and tests are built from. Entity lists are arrays of objects with an `"id"`
    /// beside the fields, in list order.
    pub fn to_json(&self) -> Result<serde_json::Value, AnalysisError> {
        use serde_json::Value as Json;
        let dates: serde_json::Map<String, Json> =
            self.step_dates()?.into_iter().map(|(n, d)| (n.to_string(), Json::String(d.to_string()))).collect();
        let mut step = serde_json::Map::new();
        step.insert("current".into(), Json::from(self.step()?));
        step.insert("dates".into(), Json::Object(dates));
        // serde_json sorts the keys (or keeps this order with its `preserve_order` feature): deterministic.
        let mut out = serde_json::Map::new();
        out.insert("schema".into(), Json::from(crate::cases::document::SCHEMA));
        out.insert("kind".into(), Json::from(KIND));
        out.insert("title".into(), Json::String(self.title()?));
        out.insert("scope".into(), serde_json::to_value(self.scope()?)?);
        out.insert("themes".into(), serde_json::to_value(self.themes()?)?);
        out.insert("step".into(), Json::Object(step));
        out.insert("participants".into(), self.inner.list_json::<Participant>()?);
        out.insert("sources".into(), self.inner.list_json::<Source>()?);
        out.insert("timeline".into(), self.inner.list_json::<TimelineEntry>()?);
        out.insert("episodes".into(), self.inner.list_json::<KeyPracticeEpisode>()?);
        out.insert("factors".into(), self.inner.list_json::<ContributingFactor>()?);
        out.insert("findings".into(), self.inner.list_json::<Finding>()?);
        out.insert("recommendations".into(), self.inner.list_json::<Recommendation>()?);
        Ok(Json::Object(out))
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::parts;
    use automerge::AutoCommit;
    use automerge::transaction::Transactable;

    fn entry(date: &str, precision: Precision, what: &str) -> TimelineEntry {
        TimelineEntry {
            date: Some(date.parse().unwrap()),
            precision: Some(precision),
            actor: "GI-1".into(),
            agency: "GI".into(),
            what: what.into(),
            ..TimelineEntry::default()
        }
    }

    #[test]
    fn concurrent_edits_to_one_entry_both_survive_and_text_merges_characterwise() {
        let mut a = AnalysisDoc::new("Case 12", &[1; 16]).unwrap();
        a.add_timeline_entry("e1", &entry("2024-03-02", Precision::Day, "Home visit by the family guardian")).unwrap();
        let mut b = a.fork(&[2; 16]);

        // a edits `what` (inserting in the middle); b edits `decision` and appends to `what`.
        let mut ea = a.timeline_entry("e1").unwrap();
        ea.what = "Unannounced home visit by the family guardian".into();
        a.edit_timeline_entry("e1", &ea).unwrap();
        let mut eb = b.timeline_entry("e1").unwrap();
        eb.decision = "No safety plan drawn up".into();
        eb.what = "Home visit by the family guardian, mother present".into();
        b.edit_timeline_entry("e1", &eb).unwrap();

        a.merge(&mut b).unwrap();
        b.merge(&mut a).unwrap();
        assert_eq!(a.heads(), b.heads());
        let merged = a.timeline_entry("e1").unwrap();
        assert_eq!(merged.decision, "No safety plan drawn up");
        assert_eq!(merged.what, "Unannounced home visit by the family guardian, mother present");
        assert_eq!(b.timeline().unwrap(), a.timeline().unwrap());
    }

    #[test]
    fn entities_live_in_parts_that_merge_into_one_automerge_document() {
        let mut a = AnalysisDoc::new("Case", &[1; 16]).unwrap();
        let mut b = AnalysisDoc::load(&a.save(), &[2; 16]).unwrap();
        for i in 0..40 {
            let (d, who) = if i % 2 == 0 { (&mut a, "a") } else { (&mut b, "b") };
            d.add_timeline_entry(&format!("e{i}"), &entry("2024-03-01", Precision::Day, &format!("{who} {i}")))
                .unwrap();
        }
        a.add_participant("p1", &Participant { pseudonym: "M1".into(), ..Participant::default() }).unwrap();
        // Changes reach the other member as parted bytes and land in the same parts there.
        let heads = b.heads();
        b.apply(&a.save_after(&heads)).unwrap();
        a.merge(&mut b).unwrap();
        assert_eq!(a.heads(), b.heads());
        assert_eq!(a.timeline().unwrap().len(), 40);
        // Every entity part holds some of the entries, part 0 none.
        let held: Vec<usize> = (0..parts::NEW_DOCUMENT_PARTS)
            .map(|k| {
                let doc = a.inner.part(k);
                doc.get(ROOT, "timeline").unwrap().map(|(_, m)| doc.length(&m)).unwrap_or(0)
            })
            .collect();
        assert_eq!(held[0], 0, "{held:?}");
        assert!(held[1..].iter().all(|n| *n > 0), "{held:?}");

        // Merged, the parts are one document with one timeline map: a plain Automerge load sees every entry,
        // and read back as a (one-part) analysis it has the same content and history.
        let whole = a.save_whole().unwrap();
        let raw = automerge::AutoCommit::load(&whole).unwrap();
        let Some((_, timeline)) = raw.get(ROOT, "timeline").unwrap() else { panic!("no timeline") };
        assert_eq!(raw.length(&timeline), 40);
        assert_eq!(raw.get_all(ROOT, "timeline").unwrap().len(), 1);
        let mut one = AnalysisDoc::load(&whole, &[3; 16]).unwrap();
        assert_eq!(one.to_json().unwrap(), a.to_json().unwrap());
        // A one-part document keeps working: edits and new entities go to its only part.
        let mut e = one.timeline_entry("e3").unwrap();
        e.what = "edited after export".into();
        one.edit_timeline_entry("e3", &e).unwrap();
        one.add_timeline_entry("new", &entry("2024-04-01", Precision::Day, "new")).unwrap();
        assert_eq!(one.timeline().unwrap().len(), 41);
        // Parted bytes do not go into a one-part document that already has content: the error says why.
        let err = one.apply(&a.save()).unwrap_err();
        assert!(err.to_string().contains("5 parts applied to one of 1"), "{err}");
    }

    #[test]
    fn a_large_document_loads_its_parts_on_threads_into_the_same_document() {
        // Enough hard-to-compress text that the saved parts exceed the parallel-load line.
        let mut seed = 1u64;
        let mut text = |n: usize| -> String {
            (0..n)
                .map(|_| {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                    char::from(b'a' + (seed >> 59) as u8 % 26)
                })
                .collect()
        };
        let mut a = AnalysisDoc::new("Large", &[1; 16]).unwrap();
        for i in 0..8 {
            a.add_timeline_entry(&format!("e{i}"), &entry("2024-01-01", Precision::Day, &text(60_000))).unwrap();
        }
        let saved = a.save();
        assert!(saved.len() >= parts::PARALLEL_LOAD_BYTES, "{} bytes", saved.len());
        assert!(parts::decode(&saved).unwrap().sections.len() >= 3);
        let mut b = AnalysisDoc::load(&saved, &[2; 16]).unwrap();
        assert_eq!(b.heads(), a.heads());
        assert_eq!(b.to_json().unwrap(), a.to_json().unwrap());
        let mut c = AnalysisDoc::blank(&[3; 16]);
        c.apply(&saved).unwrap();
        assert_eq!(c.heads(), a.heads());
        // What the loaded copy writes reaches the original.
        let heads = b.heads();
        b.set_title("Large, loaded").unwrap();
        a.apply(&b.save_after(&heads)).unwrap();
        assert_eq!(a.title().unwrap(), "Large, loaded");
    }

    #[test]
    fn a_change_in_a_part_must_be_by_that_parts_actor() {
        let author = [7u8; 32];
        let mut d = AnalysisDoc::new("Case", &author).unwrap();
        let heads = d.heads();
        d.add_timeline_entry("e1", &TimelineEntry::default()).unwrap();
        let delta = d.save_after(&heads);
        assert_eq!(crate::cases::doc_log::check_changes(&delta, &author), Ok(1));
        // The same change framed as if for another part is refused: its actor is that of its own part.
        let s = parts::decode(&delta).unwrap();
        let (k, bytes) = s.sections[0];
        let mut moved = vec![Vec::new(); s.count];
        moved[if k == 1 { 2 } else { 1 }] = bytes.to_vec();
        assert!(crate::cases::doc_log::check_changes(&parts::encode(&moved), &author).is_err());
        // A later change by the ROOT part's actor is refused outside part 0 (only the first change is shared).
        let heads = d.heads();
        d.set_title("Renamed").unwrap();
        let title = d.save_after(&heads);
        let mut moved = vec![Vec::new(); parts::NEW_DOCUMENT_PARTS];
        moved[3] = parts::decode(&title).unwrap().sections[0].1.to_vec();
        assert!(crate::cases::doc_log::check_changes(&parts::encode(&moved), &author).is_err());
    }

    #[test]
    fn timeline_lists_in_time_order_with_approximate_dates_placed_sensibly() {
        let mut d = AnalysisDoc::new("Case", &[1; 16]).unwrap();
        d.add_timeline_entry("late", &entry("2024-03-28", Precision::Day, "late March")).unwrap();
        d.add_timeline_entry("month", &entry("2024-03-01", Precision::Month, "some time in March")).unwrap();
        d.add_timeline_entry("early", &entry("2024-03-02", Precision::Day, "2 March")).unwrap();
        d.add_timeline_entry("year", &entry("2023-01-01", Precision::Year, "during 2023")).unwrap();
        let mut undated = entry("2024-01-01", Precision::Day, "undated");
        undated.date = None;
        d.add_timeline_entry("undated", &undated).unwrap();
        let order: Vec<String> = d.timeline().unwrap().into_iter().map(|(id, _)| id).collect();
        assert_eq!(order, ["year", "early", "month", "late", "undated"]);
        d.remove_timeline_entry("late").unwrap();
        assert!(matches!(d.timeline_entry("late"), Err(AnalysisError::NoEntry(_))));
    }

    #[test]
    fn saves_loads_and_applies_incremental_changes() {
        let mut a = AnalysisDoc::new("Case 7", &[1; 16]).unwrap();
        a.set_step(2, "2026-11-22".parse().unwrap()).unwrap();
        let base = a.save();
        let heads = a.heads();
        let mut e = entry("2024-05-05", Precision::Approximate, "School reports absence");
        e.sources = vec!["interview M1".into(), "file extract 3".into()];
        e.contested = true;
        a.add_timeline_entry("e1", &e).unwrap();
        let delta = a.save_after(&heads);
        let mut b = AnalysisDoc::load(&base, &[2; 16]).unwrap();
        b.apply(&delta).unwrap();
        assert_eq!(b.timeline_entry("e1").unwrap(), e);
        assert_eq!(b.step().unwrap(), 2);
        assert_eq!(b.title().unwrap(), "Case 7");
        assert_eq!(a.heads(), b.heads());
        // Any Automerge implementation can load the whole document, with the entry in the one timeline map.
        let raw = automerge::AutoCommit::load(&a.save_whole().unwrap()).unwrap();
        let Some((_, timeline)) = raw.get(ROOT, "timeline").unwrap() else { panic!("no timeline") };
        assert!(raw.get(&timeline, "e1").unwrap().is_some());
        assert!(matches!(a.set_step(7, "2026-11-22".parse().unwrap()), Err(AnalysisError::BadStep)));
        assert!(AnalysisDoc::load(b"not automerge", &[1; 16]).is_err());
    }

    fn date(s: &str) -> Option<CalendarDate> {
        Some(s.parse().unwrap())
    }

    type Add<E> = fn(&mut AnalysisDoc, &str, &E) -> Result<(), AnalysisError>;
    type Get<E> = fn(&AnalysisDoc, &str) -> Result<E, AnalysisError>;
    type List<E> = fn(&AnalysisDoc) -> Result<Vec<(String, E)>, AnalysisError>;
    type Remove = fn(&mut AnalysisDoc, &str) -> Result<(), AnalysisError>;

    /// Adds `first` under "b" and `second` under "a" (`first` must sort first), edits "a" into `edited`,
    /// and checks listing, reading, saving, removing and the id rules.
    fn round_trip<E: Clone + PartialEq + std::fmt::Debug>(
        (add, edit, remove, get, list): (Add<E>, Add<E>, Remove, Get<E>, List<E>),
        first: E,
        second: E,
        edited: E,
    ) {
        let mut d = AnalysisDoc::new("Case", &[1; 16]).unwrap();
        add(&mut d, "b", &first).unwrap();
        add(&mut d, "a", &second).unwrap();
        assert_eq!(list(&d).unwrap(), [("b".to_string(), first.clone()), ("a".to_string(), second.clone())]);
        edit(&mut d, "a", &edited).unwrap();
        assert_eq!(get(&d, "a").unwrap(), edited);
        let heads = d.heads();
        edit(&mut d, "a", &edited).unwrap();
        assert_eq!(d.heads(), heads, "an edit that changes nothing writes nothing");

        let mut loaded = AnalysisDoc::load(&d.save(), &[2; 16]).unwrap();
        assert_eq!(list(&loaded).unwrap(), list(&d).unwrap());
        remove(&mut loaded, "b").unwrap();
        assert_eq!(list(&loaded).unwrap(), [("a".to_string(), edited.clone())]);
        assert!(matches!(get(&loaded, "b"), Err(AnalysisError::NotFound { .. })));
        assert!(matches!(edit(&mut loaded, "b", &first), Err(AnalysisError::NotFound { .. })));
        assert!(matches!(remove(&mut loaded, "b"), Err(AnalysisError::NotFound { .. })));
        assert!(matches!(add(&mut loaded, "a", &first), Err(AnalysisError::Exists { .. })));
        assert!(matches!(add(&mut loaded, "", &first), Err(AnalysisError::BadId(_))));
        assert!(matches!(add(&mut loaded, &"x".repeat(65), &first), Err(AnalysisError::BadId(_))));
        add(&mut loaded, &"x".repeat(64), &first).unwrap();
    }

    #[test]
    fn participants_round_trip() {
        let m1 = Participant {
            pseudonym: "GI-1".into(),
            role: "family guardian".into(),
            organisation: "GI".into(),
            group: ParticipantGroup::CaseGroup,
        };
        let m2 = Participant {
            pseudonym: "m1".into(),
            role: "mother".into(),
            group: ParticipantGroup::Family,
            ..m1.clone()
        };
        let edited = Participant { organisation: String::new(), role: "mother of J.".into(), ..m2.clone() };
        round_trip(
            (
                AnalysisDoc::add_participant,
                AnalysisDoc::edit_participant,
                AnalysisDoc::remove_participant,
                AnalysisDoc::participant,
                AnalysisDoc::participants,
            ),
            m1,
            m2,
            edited,
        );
    }

    #[test]
    fn sources_round_trip() {
        let s1 = Source {
            kind: SourceKind::FileExtract,
            provided_by: "GI-1".into(),
            date: date("2026-01-10"),
            description: "Case file of the guardian, 2023-2024".into(),
        };
        let s2 =
            Source { kind: SourceKind::Interview, date: None, description: "Interview with M1".into(), ..s1.clone() };
        let edited = Source { kind: SourceKind::IndividualTimeline, date: date("2026-03-01"), ..s2.clone() };
        round_trip(
            (
                AnalysisDoc::add_source,
                AnalysisDoc::edit_source,
                AnalysisDoc::remove_source,
                AnalysisDoc::source,
                AnalysisDoc::sources,
            ),
            s1,
            s2,
            edited,
        );
    }

    #[test]
    fn episodes_round_trip() {
        let e1 = KeyPracticeEpisode {
            title: "The first safety assessment".into(),
            period_from: date("2024-03-01"),
            period_to: date("2024-03-20"),
            timeline_entries: vec!["t1".into(), "t2".into()],
            appraisal: "Reasonable given what was known".into(),
            explanation: "No report from school had arrived".into(),
            good_practice: false,
        };
        let e2 = KeyPracticeEpisode { title: "Placement".into(), period_from: date("2024-06-01"), ..e1.clone() };
        let edited = KeyPracticeEpisode {
            timeline_entries: vec!["t2".into(), "t5".into()],
            good_practice: true,
            period_to: None,
            ..e2.clone()
        };
        round_trip(
            (
                AnalysisDoc::add_episode,
                AnalysisDoc::edit_episode,
                AnalysisDoc::remove_episode,
                AnalysisDoc::episode,
                AnalysisDoc::episodes,
            ),
            e1,
            e2,
            edited,
        );
    }

    #[test]
    fn factors_round_trip() {
        let f1 = ContributingFactor {
            episodes: vec!["ep1".into()],
            level: FactorLevel::Professional,
            description: "Risk assessment tool used as a checklist".into(),
            evidence: "Interviews GI-1, GI-2".into(),
            pattern: Some(PatternCategory::HumanTool),
        };
        let f2 = ContributingFactor { level: FactorLevel::Chain, pattern: None, ..f1.clone() };
        let edited = ContributingFactor {
            episodes: vec!["ep1".into(), "ep2".into()],
            pattern: Some(PatternCategory::LongerTermWork),
            ..f2.clone()
        };
        round_trip(
            (
                AnalysisDoc::add_factor,
                AnalysisDoc::edit_factor,
                AnalysisDoc::remove_factor,
                AnalysisDoc::factor,
                AnalysisDoc::factors,
            ),
            f1,
            f2,
            edited,
        );
    }

    #[test]
    fn findings_round_trip() {
        let f1 = Finding {
            pattern: Some(PatternCategory::FamilyProfessional),
            themes: vec![ReviewTheme::ParentChildDilemma],
            title: "Agreeable parents".into(),
            in_this_case: "The mother's cooperation was taken as safety".into(),
            beyond_the_case: "Cooperation is often read as safety".into(),
            questions: vec!["How do teams test cooperation?".into()],
        };
        let f2 = Finding { title: "Handovers".into(), themes: Vec::new(), pattern: None, ..f1.clone() };
        let edited = Finding {
            themes: vec![ReviewTheme::ChainCooperation, ReviewTheme::YouthCareContext],
            questions: vec!["Who owns the handover?".into(), "What is handed over?".into()],
            ..f2.clone()
        };
        round_trip(
            (
                AnalysisDoc::add_finding,
                AnalysisDoc::edit_finding,
                AnalysisDoc::remove_finding,
                AnalysisDoc::finding,
                AnalysisDoc::findings,
            ),
            f1,
            f2,
            edited,
        );
    }

    #[test]
    fn recommendations_round_trip() {
        let r1 = Recommendation {
            addressee: "Gemeente".into(),
            text: "Fund a chain coordinator".into(),
            follow_up: FollowUp::Open,
        };
        let r2 = Recommendation { addressee: "Jeugdbescherming".into(), ..r1.clone() };
        let edited =
            Recommendation { follow_up: FollowUp::InProgress, text: "Fund a coordinator".into(), ..r2.clone() };
        round_trip(
            (
                AnalysisDoc::add_recommendation,
                AnalysisDoc::edit_recommendation,
                AnalysisDoc::remove_recommendation,
                AnalysisDoc::recommendation,
                AnalysisDoc::recommendations,
            ),
            r1,
            r2,
            edited,
        );
    }

    #[test]
    fn concurrent_episode_edits_merge_fieldwise_and_characterwise() {
        let mut a = AnalysisDoc::new("Case 12", &[1; 16]).unwrap();
        let episode = KeyPracticeEpisode {
            title: "Safety assessment".into(),
            period_from: date("2024-03-01"),
            timeline_entries: vec!["t1".into()],
            ..KeyPracticeEpisode::default()
        };
        a.add_episode("ep1", &episode).unwrap();
        let mut b = a.fork(&[2; 16]);

        let mut ea = a.episode("ep1").unwrap();
        ea.title = "First safety assessment".into();
        ea.appraisal = "Sound, given what was known".into();
        ea.timeline_entries.push("t2".into());
        a.edit_episode("ep1", &ea).unwrap();
        let mut eb = b.episode("ep1").unwrap();
        eb.title = "Safety assessment at home".into();
        eb.explanation = "The school report had not arrived".into();
        eb.good_practice = true;
        eb.timeline_entries.push("t3".into());
        b.edit_episode("ep1", &eb).unwrap();

        a.merge(&mut b).unwrap();
        b.merge(&mut a).unwrap();
        assert_eq!(a.heads(), b.heads());
        let merged = a.episode("ep1").unwrap();
        assert_eq!(merged.title, "First safety assessment at home");
        assert_eq!(merged.appraisal, "Sound, given what was known");
        assert_eq!(merged.explanation, "The school report had not arrived");
        assert!(merged.good_practice);
        assert_eq!(merged.timeline_entries.len(), 3, "both appended references survive: {merged:?}");
        assert_eq!(merged.timeline_entries[0], "t1");
        assert_eq!(a.to_json().unwrap(), b.to_json().unwrap());
        assert_eq!(a.to_json().unwrap().to_string(), b.to_json().unwrap().to_string());
    }

    /// An analysis as written before `kind`, scope and the entity maps existed.
    fn older_doc() -> Vec<u8> {
        let mut doc = AutoCommit::new();
        doc.set_actor(automerge::ActorId::from(&[9u8; 16][..]));
        doc.put(ROOT, "schema", 1u64).unwrap();
        let t = doc.put_object(ROOT, "title", ObjType::Text).unwrap();
        doc.update_text(&t, "Old case").unwrap();
        let step = doc.put_object(ROOT, "step", ObjType::Map).unwrap();
        doc.put(&step, "current", 3u64).unwrap();
        doc.put_object(&step, "dates", ObjType::Map).unwrap();
        let timeline = doc.put_object(ROOT, "timeline", ObjType::Map).unwrap();
        let e = doc.put_object(&timeline, "t1", ObjType::Map).unwrap();
        doc.put(&e, "date", "2024-03-02").unwrap();
        let w = doc.put_object(&e, "what", ObjType::Text).unwrap();
        doc.update_text(&w, "Home visit").unwrap();
        doc.save()
    }

    #[test]
    fn an_older_document_loads_lists_empty_and_grows_the_new_maps_safely() {
        let bytes = older_doc();
        let mut a = AnalysisDoc::load(&bytes, &[1; 16]).unwrap();
        assert_eq!(a.title().unwrap(), "Old case");
        assert_eq!(a.step().unwrap(), 3);
        assert_eq!(a.timeline().unwrap().len(), 1);
        assert!(a.participants().unwrap().is_empty());
        assert!(a.sources().unwrap().is_empty());
        assert!(a.episodes().unwrap().is_empty());
        assert!(a.factors().unwrap().is_empty());
        assert!(a.findings().unwrap().is_empty());
        assert!(a.recommendations().unwrap().is_empty());
        assert_eq!(a.scope().unwrap(), Scope::default());
        assert!(a.themes().unwrap().is_empty());
        assert!(a.dangling_references().unwrap().is_empty());
        assert_eq!(a.to_json().unwrap()["participants"], serde_json::json!([]));

        // Two members upgrade the same old document at once: both create `participants`; nothing is lost.
        let mut b = a.fork(&[2; 16]);
        let p = |code: &str| Participant { pseudonym: code.into(), ..Participant::default() };
        a.add_participant("pa", &p("M1")).unwrap();
        b.add_participant("pb", &p("GI-1")).unwrap();
        a.merge(&mut b).unwrap();
        b.merge(&mut a).unwrap();
        assert_eq!(a.heads(), b.heads());
        let ids: Vec<String> = a.participants().unwrap().into_iter().map(|(id, _)| id).collect();
        assert_eq!(ids, ["pb", "pa"]);
        // Both remain editable and removable, wherever they live.
        a.edit_participant("pb", &Participant { role: "guardian".into(), ..p("GI-1") }).unwrap();
        a.remove_participant("pa").unwrap();
        assert_eq!(
            a.participants().unwrap(),
            [("pb".to_string(), Participant { role: "guardian".into(), ..p("GI-1") })]
        );
        assert_eq!(b.to_json().unwrap()["participants"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn scope_and_themes_come_over_from_the_referral_and_merge() {
        let mut a = AnalysisDoc::new("Case", &[1; 16]).unwrap();
        let scope = Scope {
            learning_question: "How did the organisations weigh the signals?".into(),
            period_from: date("2023-01-01"),
            period_to: date("2024-12-31"),
            organisations: vec!["GI".into(), "Veilig Thuis".into()],
        };
        a.set_scope(&scope).unwrap();
        a.set_themes(&[ReviewTheme::ChainCooperation, ReviewTheme::ChainCooperation]).unwrap();
        assert_eq!(a.scope().unwrap(), scope);
        assert_eq!(a.themes().unwrap(), [ReviewTheme::ChainCooperation]);

        let mut b = a.fork(&[2; 16]);
        let mut sa = scope.clone();
        sa.learning_question = "How did the organisations weigh the early signals?".into();
        a.set_scope(&sa).unwrap();
        let mut sb = scope.clone();
        sb.organisations.push("School".into());
        sb.period_to = date("2025-03-31");
        b.set_scope(&sb).unwrap();
        b.set_title("Case 12").unwrap();
        a.merge(&mut b).unwrap();
        let merged = a.scope().unwrap();
        assert_eq!(merged.learning_question, sa.learning_question);
        assert_eq!(merged.organisations, ["GI", "Veilig Thuis", "School"]);
        assert_eq!(merged.period_to, date("2025-03-31"));
        assert_eq!(a.title().unwrap(), "Case 12");
        let json = a.to_json().unwrap();
        assert_eq!(json["scope"]["period_to"], "2025-03-31");
        assert_eq!(json["themes"], serde_json::json!(["chain-cooperation"]));
    }

    #[test]
    fn dangling_references_are_described() {
        let mut d = AnalysisDoc::new("Case", &[1; 16]).unwrap();
        d.add_timeline_entry("t1", &entry("2024-03-02", Precision::Day, "visit")).unwrap();
        let ep =
            KeyPracticeEpisode { timeline_entries: vec!["t1".into(), "t9".into()], ..KeyPracticeEpisode::default() };
        d.add_episode("ep1", &ep).unwrap();
        let f = ContributingFactor { episodes: vec!["ep1".into(), "ep7".into()], ..ContributingFactor::default() };
        d.add_factor("f1", &f).unwrap();
        let dangling = d.dangling_references().unwrap();
        assert_eq!(dangling.len(), 2, "{dangling:?}");
        assert!(dangling[0].contains("ep1") && dangling[0].contains("t9"));
        assert!(dangling[1].contains("f1") && dangling[1].contains("ep7"));
        d.remove_episode("ep1").unwrap();
        assert_eq!(d.dangling_references().unwrap().len(), 2);
    }

    #[test]
    fn to_json_shows_the_whole_document_in_a_fixed_order() {
        let mut a = AnalysisDoc::new("Case 3", &[1; 16]).unwrap();
        a.set_step(2, "2026-02-01".parse().unwrap()).unwrap();
        a.add_timeline_entry("t2", &entry("2024-05-01", Precision::Day, "later")).unwrap();
        a.add_timeline_entry("t1", &entry("2024-04-01", Precision::Day, "earlier")).unwrap();
        a.add_participant("p1", &Participant { pseudonym: "M1".into(), ..Participant::default() }).unwrap();
        a.add_finding("f1", &Finding { pattern: Some(PatternCategory::InnateHumanBiases), ..Finding::default() })
            .unwrap();
        let mut b = AnalysisDoc::load(&a.save(), &[2; 16]).unwrap();
        let json = a.to_json().unwrap();
        assert_eq!(json, b.to_json().unwrap());
        assert_eq!(json["kind"], "analysis");
        assert_eq!(json["title"], "Case 3");
        assert_eq!(json["step"], serde_json::json!({ "current": 2, "dates": { "2": "2026-02-01" } }));
        assert_eq!(json["timeline"][0]["id"], "t1");
        assert_eq!(json["timeline"][1]["what"], "later");
        assert_eq!(
            json["participants"][0],
            serde_json::json!({ "id": "p1", "pseudonym": "M1", "role": "",
            "organisation": "", "group": "case-group" })
        );
        assert_eq!(json["findings"][0]["pattern"], "innate-human-biases");
        b.set_step(3, "2026-03-01".parse().unwrap()).unwrap();
        assert_ne!(b.to_json().unwrap(), json);
    }

    #[test]
    fn stored_enum_names_match_their_serde_names_and_unknown_ones_survive() {
        fn check<T: Tag + Serialize>() {
            for t in T::ALL {
                assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
                assert!(T::parse(t.as_str()) == Some(*t));
            }
            assert!(T::parse("no-such-value").is_none());
        }
        check::<Precision>();
        check::<ParticipantGroup>();
        check::<SourceKind>();
        check::<FactorLevel>();
        check::<PatternCategory>();
        check::<FollowUp>();
        check::<ReviewTheme>();
        for t in ReviewTheme::ALL {
            assert_eq!(t.as_str().parse::<ReviewTheme>().unwrap(), *t);
        }

        // A value written by a newer version reads as the default and is kept when other fields change.
        let mut d = AnalysisDoc::new("Case", &[1; 16]).unwrap();
        d.add_participant("p1", &Participant { pseudonym: "M1".into(), ..Participant::default() }).unwrap();
        let (part, obj) = d.inner.find::<Participant>("p1").unwrap().unwrap();
        d.inner.part_mut(part).put(&obj, "group", "future-group").unwrap();
        let mut p = d.participant("p1").unwrap();
        assert_eq!(p.group, ParticipantGroup::CaseGroup);
        p.role = "teacher".into();
        d.edit_participant("p1", &p).unwrap();
        let (part, _) = d.inner.find::<Participant>("p1").unwrap().unwrap();
        assert_eq!(d.inner.part_reader(part, &obj).str("group").unwrap().as_deref(), Some("future-group"));
    }

    #[test]
    fn garbage_gives_errors_not_panics() {
        let mut good = AnalysisDoc::new("Case", &[1; 16]).unwrap();
        good.add_episode("ep1", &KeyPracticeEpisode { title: "x".into(), ..KeyPracticeEpisode::default() }).unwrap();
        let bytes = good.save();
        let mut inputs: Vec<Vec<u8>> = vec![Vec::new(), b"not automerge".to_vec(), vec![0; 64], vec![0x85; 300]];
        inputs.push(AutoCommit::new().save());
        inputs.extend((1..bytes.len()).step_by(7).map(|n| bytes[..n].to_vec()));
        for i in (0..bytes.len()).step_by(5) {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0x5a;
            inputs.push(flipped);
        }
        for input in &inputs {
            if let Ok(d) = AnalysisDoc::load(input, &[2; 16]) {
                // A flip that keeps the document valid must still read without panicking.
                let _ = d.to_json();
            }
            let mut target = AnalysisDoc::new("Other", &[3; 16]).unwrap();
            let _ = target.apply(input);
        }
        assert!(AnalysisDoc::load(&[], &[2; 16]).is_err());
        assert!(matches!(AnalysisDoc::load(&AutoCommit::new().save(), &[2; 16]), Err(AnalysisError::Schema(_))));
    }
}
