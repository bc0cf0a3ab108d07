//! The final report of a review (step 5) and the identifier check that must pass before it is written.
//!
//! The final report is the only document of a case that is kept after the review: the working documents
//! are destroyed, and the report goes to the commissioning boards. So it must be drawn from the analysis
//! alone, show people by pseudonym and role only, and carry no identifier that lets a reader find the
//! family or the professionals.
//!
//! Data flow: [`ReportInput`] -> one private pass (`build`) that reads the analysis and produces a small
//! list of blocks (headings, paragraphs, lists, tables) *and*, at the same moment, records every piece of
//! free text it put into a block together with where it came from. [`render_report`] only formats those
//! blocks as Markdown or HTML; [`scan_identifiers`] only scans the recorded texts. Because both read the
//! same pass, the scan covers exactly the text the report shows, no more and no less.
//!
//! The scanners are hand-written (no regex engine): they work on `char` slices, so no text can make them
//! slice inside a UTF-8 sequence or panic. They prefer a false alarm to a miss, and [`check_report`] lets
//! the reviewers allow a hit they have judged harmless.
//!
//! Everything here is pure: the date the report is drawn up comes in as an argument.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::analysis::{
    AnalysisDoc, AnalysisError, FactorLevel, FollowUp, ParticipantGroup, PatternCategory, Precision, SourceKind,
    TimelineEntry,
};
use crate::call::ReviewTheme;
use crate::time::CalendarDate;

/// Above this many timeline entries the report shows only the first and last [`TIMELINE_EDGE`] entries,
/// so that a long case still gives a readable summary.
pub const MAX_TIMELINE_ROWS: usize = 200;

/// How many entries of a long timeline are shown at each end (see [`MAX_TIMELINE_ROWS`]).
pub const TIMELINE_EDGE: usize = 100;

/// A member of the review team as the report shows them: by role and pseudonym only, so the report never
/// carries a reviewer's name or peer id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportMember {
    /// "lead", "co-reviewer" or "supervisor" (anything else is shown as a member of the team).
    pub role: String,
    /// How the member appears in the report, e.g. "Reviewer A".
    pub pseudonym: String,
}

/// Everything the final report is drawn from. The analysis is read, never written; the rest is what the
/// case knows outside the analysis document.
#[derive(Clone)]
pub struct ReportInput<'a> {
    /// The case's analysis document.
    pub analysis: &'a AnalysisDoc,
    /// The review team, by role and pseudonym.
    pub members: Vec<ReportMember>,
    /// The follow-up agreed with the commissioning organisations at step 5 (may be empty).
    pub follow_up: String,
    /// The day the report is drawn up (the protocol reads no clock).
    pub generated_on: CalendarDate,
}

/// The two forms of the report: Markdown for editing and archiving as text, HTML for reading and printing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReportFormat {
    /// CommonMark with pipe tables.
    Markdown,
    /// A complete, self-contained HTML document.
    Html,
}

/// Why a string names no [`ReportFormat`]; the caller (a command line or API request) supplied it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown report format `{0}`: expected md or html")]
pub struct UnknownReportFormat(
    /// The text given (at most 40 characters of it).
    pub String,
);

impl FromStr for ReportFormat {
    type Err = UnknownReportFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "md" | "markdown" => Ok(ReportFormat::Markdown),
            "html" => Ok(ReportFormat::Html),
            _ => Err(UnknownReportFormat(s.chars().take(40).collect())),
        }
    }
}

impl fmt::Display for ReportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReportFormat::Markdown => "md",
            ReportFormat::Html => "html",
        })
    }
}

/// The kinds of identifier that must not reach the final report, because each can single out a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentifierKind {
    /// A real name kept in the notes (the full name or the surname).
    RealName,
    /// An e-mail address.
    Email,
    /// A Dutch telephone number.
    Phone,
    /// A citizen service number (burgerservicenummer) that passes the eleven-test.
    Bsn,
    /// A postcode next to a house number: an address.
    PostcodeWithHouseNumber,
    /// A date after a marker such as "born" or "geboren".
    DateOfBirth,
}

impl fmt::Display for IdentifierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdentifierKind::RealName => "real name",
            IdentifierKind::Email => "e-mail address",
            IdentifierKind::Phone => "phone number",
            IdentifierKind::Bsn => "citizen service number (BSN)",
            IdentifierKind::PostcodeWithHouseNumber => "postcode with house number",
            IdentifierKind::DateOfBirth => "date of birth",
        })
    }
}

/// One identifier found in a text that would go into the report, with where it is, so the reviewers can
/// fix the analysis (or allow the hit) before the report is written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentifierHit {
    /// What kind of identifier it looks like.
    pub kind: IdentifierKind,
    /// The text as it stands in the document.
    pub text: String,
    /// Where: the entity and field, e.g. "timeline entry 3f2a9c01…: what" or "finding 'Title': questions[1]"
    /// (list positions count from 0).
    pub location: String,
}

/// Renders the final report of the case in `format`. It shows what the analysis holds, by pseudonym and
/// role only; run [`check_report`] first, since this function does not refuse identifiers.
pub fn render_report(input: &ReportInput<'_>, format: ReportFormat) -> Result<String, AnalysisError> {
    let built = build(input)?;
    Ok(match format {
        ReportFormat::Markdown => render_markdown(&built),
        ReportFormat::Html => render_html(&built),
    })
}

/// Scans every text that goes into the report for identifiers: the `real_names` kept in the notes
/// (pseudonym, name), e-mail addresses, Dutch phone numbers, BSNs, postcodes with house numbers and dates
/// of birth. Hits come in report order.
pub fn scan_identifiers(
    input: &ReportInput<'_>,
    real_names: &[(String, String)],
) -> Result<Vec<IdentifierHit>, AnalysisError> {
    let built = build(input)?;
    let names = name_patterns(real_names);
    let mut out = Vec::new();
    for located in &built.texts {
        let chars: Vec<char> = located.text.chars().collect();
        for hit in scan_chars(&chars, &names) {
            out.push(IdentifierHit {
                kind: hit.kind,
                text: chars.get(hit.start..hit.end).unwrap_or_default().iter().collect(),
                location: located.location.clone(),
            });
        }
    }
    Ok(out)
}

/// The gate before a report is written: the identifier hits that remain after removing those whose text
/// the reviewers have `allowed` (compared trimmed and case-insensitively), e.g. a surname that is also a
/// place name. An empty result means the report may be written.
pub fn check_report(
    input: &ReportInput<'_>,
    real_names: &[(String, String)],
    allowed: &[String],
) -> Result<Vec<IdentifierHit>, AnalysisError> {
    Ok(check_report_overrides(input, real_names, allowed)?.0)
}

/// [`check_report`], also returning the hits that `allowed` overrode: what the audit trail records.
pub fn check_report_overrides(
    input: &ReportInput<'_>,
    real_names: &[(String, String)],
    allowed: &[String],
) -> Result<(Vec<IdentifierHit>, Vec<IdentifierHit>), AnalysisError> {
    let allowed: Vec<String> = allowed.iter().map(|a| a.trim().to_lowercase()).collect();
    let hits = scan_identifiers(input, real_names)?;
    Ok(hits.into_iter().partition(|h| !allowed.contains(&h.text.trim().to_lowercase())))
}

// ---------------------------------------------------------------------------------------------------------
// The report as blocks, built once for rendering and scanning.

/// A run of inline text.
enum Span {
    /// Ordinary text.
    Plain(String),
    /// A fixed label, shown in bold.
    Strong(String),
}

/// A block of the report.
enum Block {
    /// A heading of level 1-3.
    Heading(u8, String),
    /// A paragraph (its text may hold line breaks).
    Para(Vec<Span>),
    /// A bulleted list.
    List(Vec<Vec<Span>>),
    /// A table with a fixed header.
    Table(&'static [&'static str], Vec<Vec<String>>),
}

/// A free text that goes into the report, and where it comes from.
struct Located {
    location: String,
    text: String,
}

/// The report's blocks and the free texts in them.
#[derive(Default)]
struct Built {
    title: String,
    blocks: Vec<Block>,
    texts: Vec<Located>,
}

impl Built {
    /// Records `text` (trimmed) as going into the report at `location`, and returns it for a block.
    fn text(&mut self, location: impl Into<String>, text: &str) -> String {
        let text = text.trim();
        if !text.is_empty() {
            self.texts.push(Located { location: location.into(), text: text.to_string() });
        }
        text.to_string()
    }

    fn heading(&mut self, level: u8, text: impl Into<String>) {
        self.blocks.push(Block::Heading(level, text.into()));
    }

    fn para(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Para(vec![Span::Plain(text.into())]));
    }

    /// A paragraph "**Label** value".
    fn field(&mut self, label: &str, value: impl Into<String>) {
        self.blocks.push(Block::Para(vec![Span::Strong(label.to_string()), Span::Plain(format!(" {}", value.into()))]));
    }
}

/// `text`, or `fallback` when it is empty.
fn or(text: String, fallback: &str) -> String {
    if text.is_empty() { fallback.to_string() } else { text }
}

/// An id shortened for a location: enough to find the entity, short enough to read.
fn short_id(id: &str) -> String {
    if id.chars().count() > 8 { format!("{}…", id.chars().take(8).collect::<String>()) } else { id.to_string() }
}

/// A title quoted for a location (shortened when long); the id when there is no title.
fn named(title: &str, id: &str) -> String {
    let title = one_line(title.trim());
    if title.is_empty() {
        short_id(id)
    } else if title.chars().count() > 40 {
        format!("'{}…'", title.chars().take(40).collect::<String>())
    } else {
        format!("'{title}'")
    }
}

fn period(from: Option<CalendarDate>, to: Option<CalendarDate>) -> String {
    match (from, to) {
        (Some(f), Some(t)) => format!("{f} to {t}"),
        (Some(f), None) => format!("from {f}"),
        (None, Some(t)) => format!("until {t}"),
        (None, None) => "not recorded".to_string(),
    }
}

fn month_name(m: u32) -> &'static str {
    match m {
        1 => "January",
        2 => "February",
        3 => "March",
        4 => "April",
        5 => "May",
        6 => "June",
        7 => "July",
        8 => "August",
        9 => "September",
        10 => "October",
        11 => "November",
        _ => "December",
    }
}

/// When a timeline entry happened, as precisely as it is known.
fn when(e: &TimelineEntry) -> String {
    let Some(d) = e.date else { return "undated".to_string() };
    let (y, m, _) = d.ymd();
    match e.precision.unwrap_or_default() {
        Precision::Day => d.to_string(),
        Precision::Month => format!("{} {y}", month_name(m)),
        Precision::Year => y.to_string(),
        Precision::Approximate => format!("around {d}"),
    }
}

fn step_name(n: u64) -> &'static str {
    match n {
        1 => "orientation",
        2 => "exploration",
        3 => "dialogue",
        4 => "translating insights",
        5 => "reporting",
        6 => "follow-up",
        _ => "unknown step",
    }
}

fn theme_label(t: ReviewTheme) -> &'static str {
    match t {
        ReviewTheme::ParentChildDilemma => "parent/child dilemma",
        ReviewTheme::ProfessionalPractice => "professional practice",
        ReviewTheme::ChainCooperation => "chain cooperation",
        ReviewTheme::YouthCareContext => "youth-care context",
        ReviewTheme::GoodPractice => "good practice",
        ReviewTheme::Other => "other",
    }
}

fn themes_label(themes: &[ReviewTheme]) -> String {
    themes.iter().map(|t| theme_label(*t)).collect::<Vec<_>>().join(", ")
}

fn pattern_label(p: PatternCategory) -> &'static str {
    match p {
        PatternCategory::IncidentsAndCrises => "multi-agency working in response to incidents and crises",
        PatternCategory::LongerTermWork => "multi-agency working in longer-term work",
        PatternCategory::HumanTool => "human-tool operation",
        PatternCategory::HumanManagementSystem => "human-management system operation",
        PatternCategory::FamilyProfessional => "family-professional interaction",
        PatternCategory::InnateHumanBiases => "innate human biases",
    }
}

const LEVELS: [FactorLevel; 6] = [
    FactorLevel::Personal,
    FactorLevel::Professional,
    FactorLevel::ClientFamily,
    FactorLevel::Team,
    FactorLevel::Organisation,
    FactorLevel::Chain,
];

fn level_label(l: FactorLevel) -> &'static str {
    match l {
        FactorLevel::Personal => "Personal",
        FactorLevel::Professional => "Professional",
        FactorLevel::ClientFamily => "Client and family",
        FactorLevel::Team => "Team",
        FactorLevel::Organisation => "Organisation, management and culture",
        FactorLevel::Chain => "Chain of organisations",
    }
}

fn group_label(g: ParticipantGroup) -> &'static str {
    match g {
        ParticipantGroup::CaseGroup => "case group",
        ParticipantGroup::ReviewTeam => "review team",
        ParticipantGroup::Family => "family",
    }
}

fn follow_up_label(f: FollowUp) -> &'static str {
    match f {
        FollowUp::Open => "open",
        FollowUp::Agreed => "agreed",
        FollowUp::InProgress => "in progress",
        FollowUp::Done => "done",
        FollowUp::Declined => "declined",
    }
}

fn source_kinds(kind: SourceKind, n: usize) -> String {
    let (one, many) = match kind {
        SourceKind::Interview => ("interview", "interviews"),
        SourceKind::FileExtract => ("file extract", "file extracts"),
        SourceKind::Meeting => ("meeting", "meetings"),
        SourceKind::IndividualTimeline => ("individual timeline", "individual timelines"),
    };
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The member's role as the report names it, and its rank in the team list.
fn member_role(role: &str) -> (u8, &'static str) {
    match role.trim().to_ascii_lowercase().as_str() {
        "lead" | "lead reviewer" => (0, "Lead reviewer"),
        "co-reviewer" | "coreviewer" | "co reviewer" => (1, "Co-reviewer"),
        "supervisor" => (2, "Supervisor"),
        _ => (3, "Member of the review team"),
    }
}

/// Reads the analysis once and lays out the report.
fn build(input: &ReportInput<'_>) -> Result<Built, AnalysisError> {
    let a = input.analysis;
    let mut b = Built::default();

    let title = b.text("title", &a.title()?);
    b.title = or(title, "Learning review");
    b.heading(1, b.title.clone());
    b.para(format!("Final report of a Learning Together case review, drawn up on {}.", input.generated_on));

    // 1. What the review is about.
    let scope = a.scope()?;
    b.heading(2, "1. Learning question and scope");
    let question = b.text("learning question", &scope.learning_question);
    b.field("Learning question:", or(question, "not recorded"));
    b.field("Period under review:", period(scope.period_from, scope.period_to));
    let organisations: Vec<String> = scope
        .organisations
        .iter()
        .enumerate()
        .map(|(i, o)| b.text(format!("organisations[{i}]"), o))
        .filter(|o| !o.is_empty())
        .collect();
    if organisations.is_empty() {
        b.field("Organisations involved:", "not recorded");
    } else {
        b.field("Organisations involved:", "");
        b.blocks.push(Block::List(organisations.into_iter().map(|o| vec![Span::Plain(o)]).collect()));
    }
    let themes = a.themes()?;
    if !themes.is_empty() {
        b.field("Themes:", themes_label(&themes));
    }

    // 2. How the review was done.
    b.heading(2, "2. How the review was done");
    b.para(
        "The review followed the six steps of the Learning Together method. The team reconstructed how the case \
         looked to those involved at the time, without hindsight, and looked for the contributing factors and \
         the patterns behind it. People appear in this report by pseudonym and role only.",
    );
    b.heading(3, "Steps");
    let current = a.step()?;
    let dates = a.step_dates()?;
    let mut steps = Vec::new();
    for n in 1..=6u64 {
        let reached = match dates.iter().find(|(s, _)| *s == n) {
            Some((_, d)) => format!("reached on {d}"),
            None if n <= current => "date not recorded".to_string(),
            None => "not reached".to_string(),
        };
        let mark = if n == current { " (current step)" } else { "" };
        steps.push(vec![Span::Plain(format!("Step {n}, {}: {reached}{mark}", step_name(n)))]);
    }
    b.blocks.push(Block::List(steps));
    b.field("Current step:", format!("{current}, {}", step_name(current)));

    b.heading(3, "Review team");
    let mut members: Vec<(usize, &ReportMember)> = input.members.iter().enumerate().collect();
    members.sort_by_key(|(i, m)| (member_role(&m.role).0, *i));
    let mut team = Vec::new();
    for (i, m) in members {
        let pseudonym = b.text(format!("review team[{i}]: pseudonym"), &m.pseudonym);
        team.push(vec![Span::Plain(format!("{}: {}", member_role(&m.role).1, or(pseudonym, "(no pseudonym)")))]);
    }
    if team.is_empty() {
        b.para("No review team members recorded.");
    } else {
        b.blocks.push(Block::List(team));
    }

    b.heading(3, "Participants");
    let mut rows = Vec::new();
    for (id, p) in a.participants()? {
        let loc = format!("participant {}", short_id(&id));
        rows.push(vec![
            b.text(format!("{loc}: pseudonym"), &p.pseudonym),
            b.text(format!("{loc}: role"), &p.role),
            b.text(format!("{loc}: organisation"), &p.organisation),
            group_label(p.group).to_string(),
        ]);
    }
    if rows.is_empty() {
        b.para("No participants recorded.");
    } else {
        b.blocks.push(Block::Table(&["Pseudonym", "Role", "Organisation", "Group"], rows));
    }

    b.heading(3, "Sources");
    let sources = a.sources()?;
    let counts: Vec<String> =
        [SourceKind::Interview, SourceKind::FileExtract, SourceKind::Meeting, SourceKind::IndividualTimeline]
            .into_iter()
            .filter_map(|k| {
                let n = sources.iter().filter(|(_, s)| s.kind == k).count();
                (n > 0).then(|| source_kinds(k, n))
            })
            .collect();
    if counts.is_empty() {
        b.para("No sources recorded.");
    } else {
        b.para(format!("The analysis rests on {}.", counts.join(", ")));
    }

    // 3. The integrated timeline.
    b.heading(2, "3. The integrated timeline");
    let mut timeline = a.timeline()?;
    // The document lists in time order already; sorting again (stably) keeps the report right regardless.
    timeline.sort_by_key(|(_, e)| (e.sort_day().is_none(), e.sort_day()));
    let n = timeline.len();
    let timeline_row = |b: &mut Built, id: &str, e: &TimelineEntry| {
        let loc = format!("timeline entry {}", short_id(id));
        let actor = b.text(format!("{loc}: actor"), &e.actor);
        let agency = b.text(format!("{loc}: agency"), &e.agency);
        let who = match (actor.is_empty(), agency.is_empty()) {
            (false, false) => format!("{actor} ({agency})"),
            (false, true) => actor,
            (true, false) => agency,
            (true, true) => String::new(),
        };
        let mut what = b.text(format!("{loc}: what"), &e.what);
        if e.contested {
            what.push_str(" (contested)");
        }
        vec![when(e), who, what]
    };
    const TIMELINE_HEAD: &[&str] = &["When", "Who", "What"];
    if n == 0 {
        b.para("No timeline entries recorded.");
    } else if n <= MAX_TIMELINE_ROWS {
        b.para(format!("{n} {}, in time order.", if n == 1 { "entry" } else { "entries" }));
        let rows: Vec<Vec<String>> = timeline.iter().map(|(id, e)| timeline_row(&mut b, id, e)).collect();
        b.blocks.push(Block::Table(TIMELINE_HEAD, rows));
    } else {
        let left_out = n - 2 * TIMELINE_EDGE;
        b.para(format!(
            "The integrated timeline has {n} entries. The first {TIMELINE_EDGE} and the last {TIMELINE_EDGE} are \
             shown here in time order; the {left_out} in between are left out of this summary."
        ));
        let first: Vec<Vec<String>> =
            timeline.iter().take(TIMELINE_EDGE).map(|(id, e)| timeline_row(&mut b, id, e)).collect();
        b.blocks.push(Block::Table(TIMELINE_HEAD, first));
        b.para(format!("… {left_out} entries left out …"));
        let last: Vec<Vec<String>> =
            timeline.iter().skip(n - TIMELINE_EDGE).map(|(id, e)| timeline_row(&mut b, id, e)).collect();
        b.blocks.push(Block::Table(TIMELINE_HEAD, last));
    }

    // 4. Key practice episodes.
    b.heading(2, "4. Key practice episodes");
    let episodes = a.episodes()?;
    if episodes.is_empty() {
        b.para("No key practice episodes recorded.");
    }
    for (i, (id, e)) in episodes.iter().enumerate() {
        let loc = format!("key practice episode {}", named(&e.title, id));
        let title = b.text(format!("{loc}: title"), &e.title);
        b.heading(3, format!("Episode {}: {}", i + 1, or(title, "untitled")));
        b.field("Period:", period(e.period_from, e.period_to));
        b.field("Good practice:", if e.good_practice { "yes, an example of good practice" } else { "no" });
        let appraisal = b.text(format!("{loc}: appraisal"), &e.appraisal);
        b.field("Appraisal:", or(appraisal, "not recorded"));
        let explanation = b.text(format!("{loc}: explanation"), &e.explanation);
        b.field("Explanation:", or(explanation, "not recorded"));
    }

    // 5. Contributing factors, from the person out to the chain.
    b.heading(2, "5. Contributing factors");
    let factors = a.factors()?;
    if factors.is_empty() {
        b.para("No contributing factors recorded.");
    }
    for level in LEVELS {
        let mut items = Vec::new();
        for (id, f) in factors.iter().filter(|(_, f)| f.level == level) {
            let loc = format!("contributing factor {}", short_id(id));
            let description = b.text(format!("{loc}: description"), &f.description);
            let mut item = vec![Span::Plain(or(description, "(no description)"))];
            let evidence = b.text(format!("{loc}: evidence"), &f.evidence);
            if !evidence.is_empty() {
                item.push(Span::Strong(" Evidence:".into()));
                item.push(Span::Plain(format!(" {evidence}")));
            }
            if let Some(p) = f.pattern {
                item.push(Span::Strong(" Pattern:".into()));
                item.push(Span::Plain(format!(" {}", pattern_label(p))));
            }
            let numbers: Vec<String> = f
                .episodes
                .iter()
                .filter_map(|r| episodes.iter().position(|(e, _)| e == r).map(|p| (p + 1).to_string()))
                .collect();
            if !numbers.is_empty() {
                let label = if numbers.len() == 1 { " Episode:" } else { " Episodes:" };
                item.push(Span::Strong(label.into()));
                item.push(Span::Plain(format!(" {}", numbers.join(", "))));
            }
            items.push(item);
        }
        if !items.is_empty() {
            b.heading(3, level_label(level));
            b.blocks.push(Block::List(items));
        }
    }

    // 6. Findings.
    b.heading(2, "6. Findings");
    let findings = a.findings()?;
    if findings.is_empty() {
        b.para("No findings recorded.");
    }
    for (id, f) in &findings {
        let loc = format!("finding {}", named(&f.title, id));
        let title = b.text(format!("{loc}: title"), &f.title);
        b.heading(3, or(title, "Untitled finding"));
        b.field("Pattern:", f.pattern.map_or("not decided", pattern_label));
        b.field("Themes:", or(themes_label(&f.themes), "none"));
        let in_case = b.text(format!("{loc}: in_this_case"), &f.in_this_case);
        b.field("In this case:", or(in_case, "not recorded"));
        let beyond = b.text(format!("{loc}: beyond_the_case"), &f.beyond_the_case);
        b.field("Beyond this case:", or(beyond, "not recorded"));
        let questions: Vec<Vec<Span>> = f
            .questions
            .iter()
            .enumerate()
            .map(|(i, q)| b.text(format!("{loc}: questions[{i}]"), q))
            .filter(|q| !q.is_empty())
            .map(|q| vec![Span::Plain(q)])
            .collect();
        if questions.is_empty() {
            b.field("Questions for the commissioning organisations:", "none recorded");
        } else {
            b.field("Questions for the commissioning organisations:", "");
            b.blocks.push(Block::List(questions));
        }
    }

    // 7. Recommendations.
    b.heading(2, "7. Recommendations");
    let mut rows = Vec::new();
    for (id, r) in a.recommendations()? {
        let loc = format!("recommendation {}", short_id(&id));
        rows.push(vec![
            b.text(format!("{loc}: addressee"), &r.addressee),
            b.text(format!("{loc}: text"), &r.text),
            follow_up_label(r.follow_up).to_string(),
        ]);
    }
    if rows.is_empty() {
        b.para("No recommendations recorded.");
    } else {
        b.blocks.push(Block::Table(&["Addressee", "Recommendation", "Follow-up"], rows));
    }

    // 8. Follow-up.
    b.heading(2, "8. Follow-up");
    let follow_up = b.text("agreed follow-up", &input.follow_up);
    b.para(or(follow_up, "No follow-up agreed."));
    Ok(b)
}

// ---------------------------------------------------------------------------------------------------------
// Rendering.

fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// `s` on one line: each run of line breaks becomes one space (other spacing is kept as written).
fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_break = false;
    for c in s.chars() {
        if is_line_break(c) {
            if !in_break {
                out.push(' ');
            }
            in_break = true;
        } else {
            out.push(c);
            in_break = false;
        }
    }
    out
}

/// A Markdown table cell: one line, and no `|` (replaced by `/`), so no text can break the table.
fn md_cell(s: &str) -> String {
    one_line(s).replace('|', "/")
}

fn md_spans(spans: &[Span], single_line: bool) -> String {
    let mut out = String::new();
    for span in spans {
        match span {
            Span::Strong(s) => {
                // Keep a leading space outside the markers: "** x**" is not bold in CommonMark.
                let trimmed = s.trim_start();
                out.push_str(&s[..s.len() - trimmed.len()]);
                out.push_str(&format!("**{}**", one_line(trimmed)));
            }
            Span::Plain(s) if single_line => out.push_str(&one_line(s)),
            Span::Plain(s) => out.push_str(s),
        }
    }
    out.trim_end().to_string()
}

fn render_markdown(built: &Built) -> String {
    let mut out = String::new();
    for block in &built.blocks {
        match block {
            Block::Heading(level, text) => {
                out.push_str(&"#".repeat(usize::from(*level)));
                out.push(' ');
                out.push_str(&one_line(text));
                out.push_str("\n\n");
            }
            Block::Para(spans) => {
                out.push_str(&md_spans(spans, false));
                out.push_str("\n\n");
            }
            Block::List(items) => {
                for item in items {
                    out.push_str("- ");
                    out.push_str(&md_spans(item, true));
                    out.push('\n');
                }
                out.push('\n');
            }
            Block::Table(head, rows) => {
                out.push_str(&format!("| {} |\n", head.join(" | ")));
                out.push_str(&format!("|{}\n", " --- |".repeat(head.len())));
                for row in rows {
                    let cells: Vec<String> = row.iter().map(|c| md_cell(c)).collect();
                    out.push_str(&format!("| {} |\n", cells.join(" | ")));
                }
                out.push('\n');
            }
        }
    }
    format!("{}\n", out.trim_end())
}

/// `s` escaped for HTML text and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// `s` escaped, with its line breaks kept as `<br>`.
fn esc_lines(s: &str) -> String {
    let lines: Vec<String> = s.lines().map(esc).collect();
    lines.join("<br>\n")
}

fn html_spans(spans: &[Span]) -> String {
    let mut out = String::new();
    for span in spans {
        match span {
            Span::Strong(s) => {
                let trimmed = s.trim_start();
                out.push_str(&s[..s.len() - trimmed.len()]);
                out.push_str(&format!("<strong>{}</strong>", esc(trimmed)));
            }
            Span::Plain(s) => out.push_str(&esc_lines(s)),
        }
    }
    out.trim_end().to_string()
}

const CSS: &str = "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;line-height:1.4}\
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #999;padding:.3em .5em;text-align:left;\
vertical-align:top}th{background:#eee}";

fn render_html(built: &Built) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!("<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n", esc(&one_line(&built.title))));
    for block in &built.blocks {
        match block {
            Block::Heading(level, text) => {
                out.push_str(&format!("<h{level}>{}</h{level}>\n", esc(&one_line(text))));
            }
            Block::Para(spans) => out.push_str(&format!("<p>{}</p>\n", html_spans(spans))),
            Block::List(items) => {
                out.push_str("<ul>\n");
                for item in items {
                    out.push_str(&format!("<li>{}</li>\n", html_spans(item)));
                }
                out.push_str("</ul>\n");
            }
            Block::Table(head, rows) => {
                out.push_str("<table>\n<thead><tr>");
                for h in head.iter() {
                    out.push_str(&format!("<th>{}</th>", esc(h)));
                }
                out.push_str("</tr></thead>\n<tbody>\n");
                for row in rows {
                    out.push_str("<tr>");
                    for cell in row {
                        out.push_str(&format!("<td>{}</td>", esc_lines(cell)));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</tbody>\n</table>\n");
            }
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

// ---------------------------------------------------------------------------------------------------------
// Identifier scanners. Each works on the text's chars (and a lower-cased copy of the same length) and
// reports half-open char ranges.

/// One hit inside one text, as a char range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Hit {
    start: usize,
    end: usize,
    kind: IdentifierKind,
}

/// A real name to look for: its words, lower-cased.
type NamePattern = Vec<Vec<char>>;

/// One char lower-cased to one char, so the lower-cased copy lines up with the original.
fn lower(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// The patterns for the real names: each full name, and its surname (last word) when that has at least 3
/// letters. First names alone are not searched: they are too common to block on.
fn name_patterns(real_names: &[(String, String)]) -> Vec<NamePattern> {
    let mut out: Vec<NamePattern> = Vec::new();
    for (_, name) in real_names {
        let words: NamePattern = name.split_whitespace().map(|w| w.chars().map(lower).collect()).collect();
        let Some(last) = words.last().cloned() else { continue };
        if words.len() > 1
            && last.iter().filter(|c| c.is_alphabetic()).count() >= 3
            && !out.contains(&vec![last.clone()])
        {
            out.push(vec![last]);
        }
        if !out.contains(&words) {
            out.push(words);
        }
    }
    out
}

/// Every identifier in one text, in text order.
fn scan_chars(chars: &[char], names: &[NamePattern]) -> Vec<Hit> {
    let low: Vec<char> = chars.iter().map(|c| lower(*c)).collect();
    let mut hits = Vec::new();
    find_names(&low, names, &mut hits);
    find_emails(chars, &mut hits);
    let runs = digit_runs(chars);
    find_phones(chars, &runs, &mut hits);
    find_bsns(chars, &runs, &mut hits);
    find_postcodes(chars, &runs, &mut hits);
    find_dates_of_birth(chars, &low, &mut hits);
    hits.sort();
    hits.dedup();
    hits
}

fn is_alnum_at(chars: &[char], i: usize) -> bool {
    chars.get(i).is_some_and(|c| c.is_alphanumeric())
}

fn is_digit_at(chars: &[char], i: usize) -> bool {
    chars.get(i).is_some_and(char::is_ascii_digit)
}

/// Whether the char before `i` (if any) is alphanumeric.
fn alnum_before(chars: &[char], i: usize) -> bool {
    i > 0 && is_alnum_at(chars, i - 1)
}

/// `words` matched at `start` (separated by any whitespace); the end of the match.
fn match_words(low: &[char], start: usize, words: &[Vec<char>]) -> Option<usize> {
    let mut pos = start;
    for (k, w) in words.iter().enumerate() {
        if k > 0 {
            let ws = low.get(pos..)?.iter().take_while(|c| c.is_whitespace()).count();
            if ws == 0 {
                return None;
            }
            pos += ws;
        }
        let end = pos.checked_add(w.len())?;
        if low.get(pos..end)? != w.as_slice() {
            return None;
        }
        pos = end;
    }
    Some(pos)
}

/// Real names as whole words, case-insensitively. A surname inside a full-name hit is not reported twice.
fn find_names(low: &[char], names: &[NamePattern], hits: &mut Vec<Hit>) {
    let mut found: Vec<Hit> = Vec::new();
    for pattern in names {
        let Some(first) = pattern.first().and_then(|w| w.first()) else { continue };
        for (i, c) in low.iter().enumerate() {
            if c != first || alnum_before(low, i) {
                continue;
            }
            if let Some(end) = match_words(low, i, pattern)
                && !is_alnum_at(low, end)
            {
                found.push(Hit { start: i, end, kind: IdentifierKind::RealName });
            }
        }
    }
    let all = found.clone();
    found.retain(|h| !all.iter().any(|o| o != h && o.start <= h.start && h.end <= o.end));
    hits.extend(found);
}

fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn is_domain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-')
}

/// local@domain.tld, with a top-level domain of at least two letters.
fn find_emails(chars: &[char], hits: &mut Vec<Hit>) {
    for (at, c) in chars.iter().enumerate() {
        if *c != '@' {
            continue;
        }
        let mut l = at;
        while l > 0 && is_local_char(chars[l - 1]) {
            l -= 1;
        }
        while l < at && chars[l] == '.' {
            l += 1;
        }
        if l == at {
            continue;
        }
        let mut r = at + 1;
        while r < chars.len() && is_domain_char(chars[r]) {
            r += 1;
        }
        while r > at + 1 && matches!(chars[r - 1], '.' | '-') {
            r -= 1;
        }
        let domain: String = chars[at + 1..r].iter().collect();
        let labels: Vec<&str> = domain.split('.').collect();
        let tld_ok = labels.last().is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()));
        if labels.len() >= 2 && labels.iter().all(|l| !l.is_empty()) && tld_ok {
            hits.push(Hit { start: l, end: r, kind: IdentifierKind::Email });
        }
    }
}

/// A maximal run of ASCII digits, as a char range.
#[derive(Clone, Copy)]
struct Run {
    start: usize,
    end: usize,
}

impl Run {
    fn len(self) -> usize {
        self.end - self.start
    }
}

fn digit_runs(chars: &[char]) -> Vec<Run> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            runs.push(Run { start, end: i });
        } else {
            i += 1;
        }
    }
    runs
}

/// The one separator char between run `k` and run `k + 1`, if they are that close.
fn link(chars: &[char], runs: &[Run], k: usize) -> Option<char> {
    let (a, b) = (runs.get(k)?, runs.get(k + 1)?);
    (a.end + 1 == b.start).then(|| chars[a.end])
}

/// The separator before run `k` (None for the first run).
fn link_before(chars: &[char], runs: &[Run], k: usize) -> Option<char> {
    k.checked_sub(1).and_then(|p| link(chars, runs, p))
}

fn digits_of(chars: &[char], run: Run) -> Vec<u8> {
    chars[run.start..run.end].iter().filter_map(|c| c.to_digit(10)).filter_map(|d| u8::try_from(d).ok()).collect()
}

fn overlaps(hits: &[Hit], start: usize, end: usize) -> bool {
    hits.iter().any(|h| h.start < end && start < h.end)
}

/// Dutch phone numbers: 10 digits starting with 0 (not 00), +31 and 9 digits, or 0031 and 9 digits, with
/// single spaces or dashes between groups. Dates (dd-mm-yyyy ...), times and longer numbers are refused.
fn find_phones(chars: &[char], runs: &[Run], hits: &mut Vec<Hit>) {
    for (k, run) in runs.iter().enumerate() {
        let first = digits_of(chars, *run);
        let plus = run.start > 0 && chars[run.start - 1] == '+';
        let start = if plus { run.start - 1 } else { run.start };
        if alnum_before(chars, start) {
            continue;
        }
        // (digits wanted, how many leading digits are the prefix before the subscriber's first digit)
        let (target, prefix) = if plus {
            if !first.starts_with(&[3, 1]) {
                continue;
            }
            (11, 2)
        } else if first.starts_with(&[0, 0, 3, 1]) {
            (13, 4)
        } else if first.first() == Some(&0) {
            (10, 1)
        } else {
            continue;
        };
        if !plus && matches!(link_before(chars, runs, k), Some(c) if c != ' ') {
            continue; // part of a longer number or a date
        }
        let mut digits = first;
        let mut lens = vec![run.len()];
        let mut j = k;
        while digits.len() < target {
            match link(chars, runs, j) {
                Some(' ' | '-') => {
                    j += 1;
                    digits.extend(digits_of(chars, runs[j]));
                    lens.push(runs[j].len());
                }
                _ => break,
            }
        }
        if digits.len() != target || digits.get(prefix).is_none_or(|d| *d == 0) {
            continue;
        }
        let end = runs[j].end;
        if matches!(link(chars, runs, j), Some(c) if c != ' ') || chars.get(end).is_some_and(|c| c.is_alphabetic()) {
            continue;
        }
        // "02-03-2024 12": a date followed by a number, not a phone number.
        if lens.len() >= 3 && lens[0] <= 2 && lens[1] <= 2 && lens[2] == 4 {
            continue;
        }
        hits.push(Hit { start, end, kind: IdentifierKind::Phone });
    }
}

/// The eleven-test of the BSN: 9*d1 + 8*d2 + ... + 2*d8 - 1*d9 is a multiple of 11 (and not all zeros).
fn eleven_test(d: &[u8]) -> bool {
    if d.len() != 9 || d.iter().all(|x| *x == 0) {
        return false;
    }
    let mut sum: i64 = 0;
    for (i, x) in d.iter().enumerate() {
        let weight = if i == 8 { -1 } else { 9 - i as i64 };
        sum += weight * i64::from(*x);
    }
    sum.rem_euclid(11) == 0
}

/// BSNs: 9 digits, bare or as 3-3-3 groups separated by dots or spaces, passing the eleven-test. Digits
/// already part of a phone number or an e-mail address, and parts of longer numbers, are skipped.
fn find_bsns(chars: &[char], runs: &[Run], hits: &mut Vec<Hit>) {
    let taken: Vec<Hit> = hits.clone();
    let alpha_around = |start: usize, end: usize| {
        (start > 0 && chars[start - 1].is_alphabetic()) || chars.get(end).is_some_and(|c| c.is_alphabetic())
    };
    for (k, &run) in runs.iter().enumerate() {
        if run.len() == 9
            && !matches!(link_before(chars, runs, k), Some(c) if c != ' ')
            && !matches!(link(chars, runs, k), Some(c) if c != ' ')
            && !alpha_around(run.start, run.end)
            && !overlaps(&taken, run.start, run.end)
            && eleven_test(&digits_of(chars, run))
        {
            hits.push(Hit { start: run.start, end: run.end, kind: IdentifierKind::Bsn });
        }
        let Some(group) = runs.get(k..k + 3) else { continue };
        let sep = link(chars, runs, k);
        if group.iter().any(|r| r.len() != 3) || !matches!(sep, Some('.' | ' ')) || link(chars, runs, k + 1) != sep {
            continue;
        }
        // A neighbouring group joined the same way (or by a decimal mark) makes it part of a longer number.
        let joins = |l: Option<char>, neighbour: Option<&Run>| match l {
            Some('.' | ',') => true,
            Some(c) => Some(c) == sep && neighbour.is_some_and(|r| r.len() == 3),
            None => false,
        };
        let (start, end) = (group[0].start, group[2].end);
        if joins(link_before(chars, runs, k), k.checked_sub(1).and_then(|p| runs.get(p)))
            || joins(link(chars, runs, k + 2), runs.get(k + 3))
            || alpha_around(start, end)
            || overlaps(&taken, start, end)
        {
            continue;
        }
        let digits: Vec<u8> = group.iter().flat_map(|r| digits_of(chars, *r)).collect();
        if eleven_test(&digits) {
            hits.push(Hit { start, end, kind: IdentifierKind::Bsn });
        }
    }
}

/// A house number right after a postcode ("1234 AB 5", "1234 AB, 12a"); the end of the match.
fn house_number_after(chars: &[char], from: usize) -> Option<usize> {
    let mut q = from;
    if chars.get(q) == Some(&',') {
        q += 1;
    }
    while chars.get(q) == Some(&' ') {
        q += 1;
    }
    if q == from {
        return None;
    }
    let digits = q;
    while is_digit_at(chars, q) {
        q += 1;
    }
    if q == digits || q - digits > 5 || chars[digits] == '0' {
        return None;
    }
    if chars.get(q).is_some_and(char::is_ascii_alphabetic) && !is_alnum_at(chars, q + 1) {
        q += 1; // "12a"
    } else if is_alnum_at(chars, q) {
        return None;
    }
    if matches!(chars.get(q), Some(':' | '.' | ',')) && is_digit_at(chars, q + 1) {
        return None; // a time or a decimal, not a house number
    }
    Some(q)
}

/// A house number right before a postcode ("Kerkstraat 12, 1234 AB"); the start of the match.
fn house_number_before(chars: &[char], postcode: usize) -> Option<usize> {
    let mut q = postcode;
    while q > 0 && chars[q - 1] == ' ' {
        q -= 1;
    }
    if q > 0 && chars[q - 1] == ',' {
        q -= 1;
        while q > 0 && chars[q - 1] == ' ' {
            q -= 1;
        }
    }
    if q == postcode {
        return None;
    }
    if q > 1 && chars[q - 1].is_ascii_alphabetic() && chars[q - 2].is_ascii_digit() {
        q -= 1; // "12a"
    }
    let end = q;
    while q > 0 && chars[q - 1].is_ascii_digit() {
        q -= 1;
    }
    if q == end || end - q > 5 || chars[q] == '0' {
        return None;
    }
    if q > 0 && (chars[q - 1].is_alphanumeric() || matches!(chars[q - 1], '.' | ':' | '/' | '-' | ',')) {
        return None;
    }
    Some(q)
}

/// Postcodes (1000-9999, optional space, two capitals other than SA, SD and SS) with a house number right
/// before or after them. A postcode alone (a neighbourhood) is not reported.
fn find_postcodes(chars: &[char], runs: &[Run], hits: &mut Vec<Hit>) {
    for (k, run) in runs.iter().enumerate() {
        if run.len() != 4 || chars[run.start] == '0' || alnum_before(chars, run.start) {
            continue;
        }
        if matches!(link_before(chars, runs, k), Some('.' | '-' | '/' | ':')) {
            continue;
        }
        let mut p = run.end;
        if chars.get(p) == Some(&' ') {
            p += 1;
        }
        let (Some(a), Some(b)) = (chars.get(p), chars.get(p + 1)) else { continue };
        if !a.is_ascii_uppercase() || !b.is_ascii_uppercase() || is_alnum_at(chars, p + 2) {
            continue;
        }
        if matches!((a, b), ('S', 'A' | 'D' | 'S')) {
            continue;
        }
        let after = house_number_after(chars, p + 2);
        let before = house_number_before(chars, run.start);
        if after.is_none() && before.is_none() {
            continue;
        }
        hits.push(Hit {
            start: before.unwrap_or(run.start),
            end: after.unwrap_or(p + 2),
            kind: IdentifierKind::PostcodeWithHouseNumber,
        });
    }
}

/// Markers that announce a date of birth, lower-cased.
const BIRTH_MARKERS: &[&str] = &["date of birth", "geboortedatum", "geboren", "born", "geb.", "dob"];

/// How far after a marker the date may start, in chars.
const BIRTH_WINDOW: usize = 30;

const MONTHS: &[(&str, u32)] = &[
    ("januari", 1),
    ("january", 1),
    ("jan", 1),
    ("februari", 2),
    ("february", 2),
    ("feb", 2),
    ("maart", 3),
    ("march", 3),
    ("mrt", 3),
    ("mar", 3),
    ("april", 4),
    ("apr", 4),
    ("mei", 5),
    ("may", 5),
    ("juni", 6),
    ("june", 6),
    ("jun", 6),
    ("juli", 7),
    ("july", 7),
    ("jul", 7),
    ("augustus", 8),
    ("august", 8),
    ("aug", 8),
    ("september", 9),
    ("sept", 9),
    ("sep", 9),
    ("oktober", 10),
    ("october", 10),
    ("okt", 10),
    ("oct", 10),
    ("november", 11),
    ("nov", 11),
    ("december", 12),
    ("dec", 12),
];

/// The digits at `i` as a number, if there are `min..=max` of them (and no more).
fn number_at(chars: &[char], i: usize, min: usize, max: usize) -> Option<(u32, usize)> {
    let mut end = i;
    let mut value: u32 = 0;
    while let Some(d) = chars.get(end).filter(|c| c.is_ascii_digit()).and_then(|c| c.to_digit(10)) {
        value = value.saturating_mul(10).saturating_add(d);
        end += 1;
    }
    (min..=max).contains(&(end - i)).then_some((value, end))
}

/// A month name at `i` (then an optional dot); its number and the end.
fn month_at(low: &[char], i: usize) -> Option<(u32, usize)> {
    let mut end = i;
    while low.get(end).is_some_and(|c| c.is_alphabetic()) {
        end += 1;
    }
    let word: String = low.get(i..end)?.iter().collect();
    let (_, month) = MONTHS.iter().find(|(name, _)| *name == word)?;
    if low.get(end) == Some(&'.') {
        end += 1;
    }
    Some((*month, end))
}

fn spaces_at(chars: &[char], i: usize) -> usize {
    chars.get(i..).map_or(0, |rest| rest.iter().take_while(|c| **c == ' ').count())
}

fn valid_dm(day: u32, month: u32) -> bool {
    (1..=31).contains(&day) && (1..=12).contains(&month)
}

/// A date starting at `i`: dd-mm-yyyy (or / or .), yyyy-mm-dd, "12 maart 2015" or "March 12, 2015".
fn date_at(chars: &[char], low: &[char], i: usize) -> Option<usize> {
    let year_end = |at: usize| number_at(chars, at, 4, 4).map(|(_, e)| e);
    if let Some((_, e)) = number_at(chars, i, 4, 4) {
        if chars.get(e) != Some(&'-') {
            return None;
        }
        let (m, e) = number_at(chars, e + 1, 2, 2)?;
        if chars.get(e) != Some(&'-') {
            return None;
        }
        let (d, e) = number_at(chars, e + 1, 2, 2)?;
        return valid_dm(d, m).then_some(e);
    }
    if let Some((day, e)) = number_at(chars, i, 1, 2) {
        let sep = *chars.get(e)?;
        if matches!(sep, '-' | '/' | '.') {
            let (m, e2) = number_at(chars, e + 1, 1, 2)?;
            if chars.get(e2) != Some(&sep) {
                return None;
            }
            let end = year_end(e2 + 1)?;
            return valid_dm(day, m).then_some(end);
        }
        let s = spaces_at(chars, e);
        if s == 0 {
            return None;
        }
        let (m, e) = month_at(low, e + s)?;
        let s = spaces_at(chars, e);
        if s == 0 {
            return None;
        }
        let end = year_end(e + s)?;
        return valid_dm(day, m).then_some(end);
    }
    // "March 12, 2015"
    let (m, e) = month_at(low, i)?;
    let s = spaces_at(chars, e);
    if s == 0 {
        return None;
    }
    let (day, mut e) = number_at(chars, e + s, 1, 2)?;
    if chars.get(e) == Some(&',') {
        e += 1;
    }
    let s = spaces_at(chars, e);
    if s == 0 {
        return None;
    }
    let end = year_end(e + s)?;
    valid_dm(day, m).then_some(end)
}

/// A date starting within [`BIRTH_WINDOW`] chars after a birth marker.
fn find_dates_of_birth(chars: &[char], low: &[char], hits: &mut Vec<Hit>) {
    let markers: Vec<Vec<char>> = BIRTH_MARKERS.iter().map(|m| m.chars().collect()).collect();
    for i in 0..low.len() {
        if alnum_before(low, i) {
            continue;
        }
        let Some(marker) = markers.iter().find(|m| low.get(i..i + m.len()) == Some(m.as_slice())) else {
            continue;
        };
        let end = i + marker.len();
        if marker.last().is_some_and(|c| c.is_alphanumeric()) && is_alnum_at(low, end) {
            continue; // "borne", "Bornholm"
        }
        for s in end..=(end + BIRTH_WINDOW).min(chars.len()) {
            if alnum_before(chars, s) {
                continue;
            }
            if let Some(date_end) = date_at(chars, low, s)
                && !is_digit_at(chars, date_end)
            {
                hits.push(Hit { start: s, end: date_end, kind: IdentifierKind::DateOfBirth });
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{
        ContributingFactor, Finding, KeyPracticeEpisode, Participant, Recommendation, Scope, Source,
    };

    fn d(s: &str) -> CalendarDate {
        s.parse().unwrap()
    }

    fn entry(date: &str, precision: Precision, what: &str) -> TimelineEntry {
        TimelineEntry {
            date: Some(d(date)),
            precision: Some(precision),
            actor: "GI-1".into(),
            agency: "Jeugdbescherming".into(),
            what: what.into(),
            ..TimelineEntry::default()
        }
    }

    fn real_names() -> Vec<(String, String)> {
        vec![("GI-1".into(), "Jan Jansen".into()), ("M1".into(), "Maria de Vries".into())]
    }

    fn members() -> Vec<ReportMember> {
        vec![
            ReportMember { role: "supervisor".into(), pseudonym: "Reviewer C".into() },
            ReportMember { role: "co-reviewer".into(), pseudonym: "Reviewer B".into() },
            ReportMember { role: "lead".into(), pseudonym: "Reviewer A".into() },
        ]
    }

    /// A case with something in every section; the timeline is added out of order.
    fn fixture() -> AnalysisDoc {
        let mut a = AnalysisDoc::new("Case Noord: five placements in two years", &[1; 16]).unwrap();
        a.set_scope(&Scope {
            learning_question: "How did the organisations keep a stable place for the young person in view?".into(),
            period_from: Some(d("2023-01-01")),
            period_to: Some(d("2024-12-31")),
            organisations: vec!["Jeugdzorg Noord".into(), "Gemeente Zuid".into()],
        })
        .unwrap();
        a.set_themes(&[ReviewTheme::YouthCareContext]).unwrap();
        a.set_step(1, d("2026-01-05")).unwrap();
        a.set_step(2, d("2026-02-02")).unwrap();
        a.set_step(3, d("2026-03-09")).unwrap();
        a.set_step(4, d("2026-04-20")).unwrap();
        a.add_participant(
            "p1",
            &Participant {
                pseudonym: "GI-1".into(),
                role: "family guardian".into(),
                organisation: "Jeugdbescherming".into(),
                group: ParticipantGroup::CaseGroup,
            },
        )
        .unwrap();
        a.add_participant(
            "p2",
            &Participant {
                pseudonym: "M1".into(),
                role: "mother".into(),
                organisation: String::new(),
                group: ParticipantGroup::Family,
            },
        )
        .unwrap();
        for (id, kind) in
            [("s1", SourceKind::Interview), ("s2", SourceKind::Interview), ("s3", SourceKind::FileExtract)]
        {
            a.add_source(id, &Source { kind, provided_by: "GI-1".into(), ..Source::default() }).unwrap();
        }
        a.add_timeline_entry("t-late", &entry("2024-03-28", Precision::Day, "Placement ends")).unwrap();
        a.add_timeline_entry("t-month", &entry("2024-03-01", Precision::Month, "Waiting list for a foster family"))
            .unwrap();
        a.add_timeline_entry(
            "t-early",
            &entry("2024-03-02", Precision::Day, "Note said <script>alert('x')</script> & \"more\""),
        )
        .unwrap();
        a.add_timeline_entry("t-year", &entry("2023-01-01", Precision::Year, "Second placement")).unwrap();
        let mut approx = entry("2024-02-10", Precision::Approximate, "School reports absence | twice\nthen more");
        approx.contested = true;
        a.add_timeline_entry("t-approx", &approx).unwrap();
        a.add_episode(
            "ep1",
            &KeyPracticeEpisode {
                title: "The first move".into(),
                period_from: Some(d("2023-02-01")),
                period_to: Some(d("2023-03-15")),
                timeline_entries: vec!["t-year".into()],
                appraisal: "Reasonable given the waiting lists".into(),
                explanation: "No other place was free".into(),
                good_practice: false,
            },
        )
        .unwrap();
        a.add_episode(
            "ep2",
            &KeyPracticeEpisode {
                title: "Keeping school going".into(),
                period_from: Some(d("2024-02-01")),
                good_practice: true,
                ..KeyPracticeEpisode::default()
            },
        )
        .unwrap();
        a.add_factor(
            "f1",
            &ContributingFactor {
                episodes: vec!["ep1".into()],
                level: FactorLevel::Chain,
                description: "No shared waiting-list overview".into(),
                evidence: "Interviews".into(),
                pattern: Some(PatternCategory::LongerTermWork),
            },
        )
        .unwrap();
        a.add_factor(
            "f2",
            &ContributingFactor {
                episodes: vec!["ep1".into(), "ep2".into()],
                level: FactorLevel::Professional,
                description: "Guardian new to the case".into(),
                ..ContributingFactor::default()
            },
        )
        .unwrap();
        a.add_finding(
            "fi1",
            &Finding {
                pattern: Some(PatternCategory::LongerTermWork),
                themes: vec![ReviewTheme::YouthCareContext, ReviewTheme::ChainCooperation],
                title: "Moves decided one at a time".into(),
                in_this_case: "Each placement was chosen from what was free that week".into(),
                beyond_the_case: "Scarcity turns planning into reacting".into(),
                questions: vec!["Who owns the long view?".into(), "How is continuity measured?".into()],
            },
        )
        .unwrap();
        a.add_recommendation(
            "r1",
            &Recommendation {
                addressee: "Gemeente Zuid".into(),
                text: "Keep one placement overview".into(),
                follow_up: FollowUp::Agreed,
            },
        )
        .unwrap();
        a
    }

    fn input(a: &AnalysisDoc) -> ReportInput<'_> {
        ReportInput {
            analysis: a,
            members: members(),
            follow_up: "A follow-up meeting after six months".into(),
            generated_on: d("2026-05-01"),
        }
    }

    /// The positions of `needles` in `hay`, asserting each is present and they come in order.
    fn assert_in_order(hay: &str, needles: &[&str]) {
        let mut last = 0;
        for n in needles {
            let pos = hay[last..].find(n).unwrap_or_else(|| panic!("`{n}` missing or out of order in:\n{hay}"));
            last += pos + n.len();
        }
    }

    const SECTIONS: [&str; 8] = [
        "1. Learning question and scope",
        "2. How the review was done",
        "3. The integrated timeline",
        "4. Key practice episodes",
        "5. Contributing factors",
        "6. Findings",
        "7. Recommendations",
        "8. Follow-up",
    ];

    #[test]
    fn markdown_has_every_section_in_order_with_its_content() {
        let a = fixture();
        let md = render_report(&input(&a), ReportFormat::Markdown).unwrap();
        let headings: Vec<String> = SECTIONS.iter().map(|s| format!("\n## {s}\n")).collect();
        let mut needles: Vec<&str> = vec!["# Case Noord: five placements in two years\n", "drawn up on 2026-05-01"];
        needles.extend(headings.iter().map(String::as_str));
        assert_in_order(&md, &needles);
        assert_in_order(
            &md,
            &[
                "**Learning question:** How did the organisations",
                "**Period under review:** 2023-01-01 to 2024-12-31",
                "- Jeugdzorg Noord",
                "**Themes:** youth-care context",
                "- Step 1, orientation: reached on 2026-01-05",
                "- Step 4, translating insights: reached on 2026-04-20 (current step)",
                "- Step 5, reporting: not reached",
                "**Current step:** 4, translating insights",
                "- Lead reviewer: Reviewer A\n- Co-reviewer: Reviewer B\n- Supervisor: Reviewer C",
                "| GI-1 | family guardian | Jeugdbescherming | case group |",
                "| M1 | mother |  | family |",
                "2 interviews, 1 file extract",
                "| When | Who | What |",
                "### Episode 1: The first move",
                "**Period:** 2023-02-01 to 2023-03-15",
                "**Appraisal:** Reasonable given the waiting lists",
                "### Episode 2: Keeping school going",
                "**Good practice:** yes",
                "**Explanation:** not recorded",
                "### Professional\n\n- Guardian new to the case **Episodes:** 1, 2",
                "### Chain of organisations\n\n- No shared waiting-list overview **Evidence:** Interviews \
                 **Pattern:** multi-agency working in longer-term work **Episode:** 1",
                "### Moves decided one at a time",
                "**Pattern:** multi-agency working in longer-term work",
                "**Themes:** youth-care context, chain cooperation",
                "**In this case:** Each placement",
                "**Beyond this case:** Scarcity",
                "**Questions for the commissioning organisations:**\n\n- Who owns the long view?\n- How is continuity",
                "| Gemeente Zuid | Keep one placement overview | agreed |",
                "A follow-up meeting after six months",
            ],
        );
        assert!(md.ends_with("six months\n"), "{md}");
    }

    #[test]
    fn the_timeline_is_in_time_order_with_its_precision_shown() {
        let a = fixture();
        let md = render_report(&input(&a), ReportFormat::Markdown).unwrap();
        assert_in_order(
            &md,
            &[
                "5 entries, in time order.",
                "| 2023 | GI-1 (Jeugdbescherming) | Second placement |",
                "| around 2024-02-10 | GI-1 (Jeugdbescherming) | School reports absence / twice then more (contested) |",
                "| 2024-03-02 |",
                "| March 2024 | GI-1 (Jeugdbescherming) | Waiting list for a foster family |",
                "| 2024-03-28 |",
            ],
        );
    }

    #[test]
    fn markdown_table_cells_hold_no_pipes_or_line_breaks() {
        let a = fixture();
        let md = render_report(&input(&a), ReportFormat::Markdown).unwrap();
        for line in md.lines().filter(|l| l.starts_with('|')) {
            let cells = line.matches('|').count();
            assert!(cells == 4 || cells == 5, "a cell broke its table: {line}");
        }
        assert!(!md.contains("absence | twice"));
        // Markdown escapes nothing else: the text stays as written.
        assert!(md.contains("<script>alert('x')</script> & \"more\""));
    }

    #[test]
    fn html_is_a_complete_document_with_every_text_escaped() {
        let a = fixture();
        let html = render_report(&input(&a), ReportFormat::Html).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"));
        assert!(html.contains("<title>Case Noord: five placements in two years</title>"));
        assert!(html.trim_end().ends_with("</body>\n</html>"));
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("Note said &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;more&quot;"));
        assert!(html.contains("School reports absence | twice<br>\nthen more (contested)"));
        let headings: Vec<String> = SECTIONS.iter().map(|s| format!("<h2>{s}</h2>")).collect();
        let mut needles = vec!["<h1>Case Noord: five placements in two years</h1>"];
        needles.extend(headings.iter().map(String::as_str));
        assert_in_order(&html, &needles);
        assert_in_order(&html, &["<td>2023</td>", "<td>around 2024-02-10</td>", "<td>March 2024</td>"]);
        assert!(html.contains("<p><strong>Learning question:</strong> How did"));
        // Tags balance: every opened element is closed.
        for tag in ["p", "ul", "li", "table", "tr", "td", "th", "h2", "h3", "strong"] {
            let open = html.matches(&format!("<{tag}>")).count();
            let close = html.matches(&format!("</{tag}>")).count();
            assert_eq!(open, close, "<{tag}>");
        }
    }

    #[test]
    fn a_hostile_title_is_escaped_everywhere() {
        let a = AnalysisDoc::new("<b onclick=\"x\">'T' & co</b>\nline two", &[1; 16]).unwrap();
        let html = render_report(&input(&a), ReportFormat::Html).unwrap();
        assert!(!html.contains("<b "));
        assert!(html.contains("<title>&lt;b onclick=&quot;x&quot;&gt;&#39;T&#39; &amp; co&lt;/b&gt; line two</title>"));
        let md = render_report(&input(&a), ReportFormat::Markdown).unwrap();
        assert!(md.starts_with("# <b onclick=\"x\">'T' & co</b> line two\n"), "{md}");
    }

    #[test]
    fn empty_sections_say_so() {
        let a = AnalysisDoc::new("", &[1; 16]).unwrap();
        let empty =
            ReportInput { analysis: &a, members: Vec::new(), follow_up: "  ".into(), generated_on: d("2026-05-01") };
        for format in [ReportFormat::Markdown, ReportFormat::Html] {
            let out = render_report(&empty, format).unwrap();
            assert_in_order(
                &out,
                &[
                    "Learning review",
                    "not recorded",
                    "Step 1, orientation: date not recorded (current step)",
                    "No review team members recorded.",
                    "No participants recorded.",
                    "No sources recorded.",
                    "No timeline entries recorded.",
                    "No key practice episodes recorded.",
                    "No contributing factors recorded.",
                    "No findings recorded.",
                    "No recommendations recorded.",
                    "No follow-up agreed.",
                ],
            );
        }
        assert!(scan_identifiers(&empty, &real_names()).unwrap().is_empty());
    }

    #[test]
    fn a_long_timeline_shows_its_count_and_both_ends() {
        let mut a = AnalysisDoc::new("Long", &[1; 16]).unwrap();
        let start = d("2020-01-01").days_since_epoch();
        for i in 0..250i64 {
            let day = CalendarDate::from_days_since_epoch(start + i);
            let e =
                TimelineEntry { date: Some(day), what: format!("event-{i:03}. m{i}@x.nl"), ..TimelineEntry::default() };
            // Ids in reverse, so the list order is the documents's, not the ids'.
            a.add_timeline_entry(&format!("id{:03}", 999 - i), &e).unwrap();
        }
        let md = render_report(&input(&a), ReportFormat::Markdown).unwrap();
        assert!(md.contains("The integrated timeline has 250 entries. The first 100 and the last 100"));
        assert!(md.contains("the 50 in between are left out"));
        assert_in_order(&md, &["event-000.", "event-099.", "… 50 entries left out …", "event-150.", "event-249."]);
        for hidden in ["event-100.", "event-149."] {
            assert!(!md.contains(hidden), "{hidden}");
        }
        assert_eq!(md.matches("| event-").count(), 200);
        // Exactly what the report shows is scanned.
        let hits = scan_identifiers(&input(&a), &[]).unwrap();
        assert_eq!(hits.len(), 200);
        assert!(hits.iter().any(|h| h.text == "m99@x.nl") && hits.iter().any(|h| h.text == "m150@x.nl"));
        assert!(!hits.iter().any(|h| h.text == "m100@x.nl" || h.text == "m149@x.nl"));
    }

    #[test]
    fn members_appear_by_role_and_pseudonym_never_by_name_or_peer_id() {
        let a = fixture();
        let peer = crate::Identity::from_secrets([7; 32], [8; 32]).peer_id().to_string();
        for format in [ReportFormat::Markdown, ReportFormat::Html] {
            let out = render_report(&input(&a), format).unwrap();
            for (_, name) in real_names() {
                assert!(!out.to_lowercase().contains(&name.to_lowercase()), "{name}");
            }
            assert!(!out.contains("Jansen") && !out.contains("Vries"));
            assert!(!out.contains(&peer) && !out.contains("12D3Koo"));
            assert!(!out.contains("0101010101"), "no actor id");
            assert!(out.contains("Lead reviewer: Reviewer A"));
        }
        assert!(check_report(&input(&a), &real_names(), &[]).unwrap().is_empty());
    }

    #[test]
    fn the_eleven_test() {
        // 111222333: 9+8+7 + 2*(6+5+4) + 3*(3+2) - 3 = 66 = 6 * 11.
        assert!(eleven_test(&[1, 1, 1, 2, 2, 2, 3, 3, 3]));
        assert!(eleven_test(&[1, 2, 3, 4, 5, 6, 7, 8, 2]));
        assert!(!eleven_test(&[1, 2, 3, 4, 5, 6, 7, 8, 9])); // 147, remainder 4
        assert!(!eleven_test(&[1, 1, 1, 2, 2, 2, 3, 3, 4]));
        assert!(!eleven_test(&[0; 9]));
        assert!(!eleven_test(&[1, 2, 3]));
    }

    /// The kinds and texts found in one text.
    fn found(text: &str) -> Vec<(IdentifierKind, String)> {
        let chars: Vec<char> = text.chars().collect();
        scan_chars(&chars, &name_patterns(&real_names()))
            .into_iter()
            .map(|h| (h.kind, chars[h.start..h.end].iter().collect()))
            .collect()
    }

    fn one(kind: IdentifierKind, text: &str) -> Vec<(IdentifierKind, String)> {
        vec![(kind, text.to_string())]
    }

    #[test]
    fn a_planted_bsn_is_found_with_its_location_and_an_invalid_one_is_not() {
        let mut a = fixture();
        let mut e = a.timeline_entry("t-late").unwrap();
        e.what = "Placement ends; file lists BSN 111222333 and case number 123456789".into();
        a.edit_timeline_entry("t-late", &e).unwrap();
        let hits = scan_identifiers(&input(&a), &real_names()).unwrap();
        assert_eq!(
            hits,
            [IdentifierHit {
                kind: IdentifierKind::Bsn,
                text: "111222333".into(),
                location: "timeline entry t-late: what".into(),
            }]
        );
        assert_eq!(hits[0].kind.to_string(), "citizen service number (BSN)");
        assert_eq!(found("BSN 123.456.782."), one(IdentifierKind::Bsn, "123.456.782"));
        assert_eq!(found("bsn: 111 222 333"), one(IdentifierKind::Bsn, "111 222 333"));
        assert!(found("nummer 123.456.789").is_empty());
    }

    #[test]
    fn every_other_kind_is_found() {
        use IdentifierKind::*;
        assert_eq!(found("mail g.devos-2@jeugdzorg.example.nl."), one(Email, "g.devos-2@jeugdzorg.example.nl"));
        // A surname inside an address is a real name as well.
        assert_eq!(found("jan.jansen@x.nl"), [(Email, "jan.jansen@x.nl".into()), (RealName, "jansen".into())]);
        for phone in ["06-12345678", "0612345678", "+31 6 12345678", "+31612345678", "020-1234567", "010 123 4567"] {
            assert_eq!(found(&format!("Bel {phone} vandaag")), one(Phone, phone), "{phone}");
        }
        assert_eq!(found("tel. 06 12 34 56 78."), one(Phone, "06 12 34 56 78"));
        assert_eq!(found("(0031 6 12345678)"), one(Phone, "0031 6 12345678"));
        assert_eq!(found("Adres: 1234 AB 5"), one(PostcodeWithHouseNumber, "1234 AB 5"));
        assert_eq!(found("1234AB 12a, Utrecht"), one(PostcodeWithHouseNumber, "1234AB 12a"));
        assert_eq!(found("Kerkstraat 12, 1234 AB Dorp"), one(PostcodeWithHouseNumber, "12, 1234 AB"));
        assert_eq!(found("Kerkstraat 7b 1234 AB"), one(PostcodeWithHouseNumber, "7b 1234 AB"));
        for (text, date) in [
            ("born 12-03-2015", "12-03-2015"),
            ("Geboren op 12 maart 2015 in Zwolle", "12 maart 2015"),
            ("the child (born on 12 March 2015)", "12 March 2015"),
            ("geb. 3/4/2016", "3/4/2016"),
            ("Date of birth: 2015-03-12", "2015-03-12"),
            ("geboortedatum 01.02.2014", "01.02.2014"),
            ("DOB March 12, 2015", "March 12, 2015"),
        ] {
            assert_eq!(found(text), one(DateOfBirth, date), "{text}");
        }
        assert_eq!(found("Jan Jansen belde"), one(RealName, "Jan Jansen"));
        assert_eq!(found("MARIA DE VRIES"), one(RealName, "MARIA DE VRIES"));
        assert_eq!(found("Mevrouw de Vries"), one(RealName, "Vries"));
        let kinds = [RealName, Email, Phone, Bsn, PostcodeWithHouseNumber, DateOfBirth];
        let words: Vec<String> = kinds.iter().map(ToString::to_string).collect();
        assert_eq!(
            words,
            [
                "real name",
                "e-mail address",
                "phone number",
                "citizen service number (BSN)",
                "postcode with house number",
                "date of birth"
            ]
        );
    }

    #[test]
    fn names_match_whole_words_only() {
        assert!(found("In January the guardian, Jan, called").is_empty(), "first names alone are not searched");
        assert_eq!(found("In January mevrouw Jansen called"), one(IdentifierKind::RealName, "Jansen"));
        assert!(found("Jansens and Janssen are other words").is_empty());
        assert!(found("Devries, Vriesland").is_empty());
        // A short surname is only found as part of the full name.
        let short = name_patterns(&[("X".into(), "Li Wu".into())]);
        let chars: Vec<char> = "Wu said; Li Wu said".chars().collect();
        let hits = scan_chars(&chars, &short);
        assert_eq!(hits.len(), 1);
        assert_eq!(chars[hits[0].start..hits[0].end].iter().collect::<String>(), "Li Wu");
    }

    #[test]
    fn findings_report_their_locations_and_allowed_texts_remove_exactly_those_hits() {
        let mut a = fixture();
        let mut f = a.finding("fi1").unwrap();
        f.questions[1] = "Should Jansen have called 06-12345678?".into();
        a.edit_finding("fi1", &f).unwrap();
        let scope = Scope { learning_question: "What did Jansen see?".into(), ..a.scope().unwrap() };
        a.set_scope(&scope).unwrap();
        let hits = scan_identifiers(&input(&a), &real_names()).unwrap();
        let summary: Vec<(IdentifierKind, &str, &str)> =
            hits.iter().map(|h| (h.kind, h.text.as_str(), h.location.as_str())).collect();
        assert_eq!(
            summary,
            [
                (IdentifierKind::RealName, "Jansen", "learning question"),
                (IdentifierKind::RealName, "Jansen", "finding 'Moves decided one at a time': questions[1]"),
                (IdentifierKind::Phone, "06-12345678", "finding 'Moves decided one at a time': questions[1]"),
            ]
        );
        let left = check_report(&input(&a), &real_names(), &["  06-12345678 ".into()]).unwrap();
        assert_eq!(left, hits[..2]);
        let left = check_report(&input(&a), &real_names(), &["JANSEN".into()]).unwrap();
        assert_eq!(left, hits[2..]);
        assert!(check_report(&input(&a), &real_names(), &["jansen".into(), "06-12345678".into()]).unwrap().is_empty());
    }

    #[test]
    fn every_text_that_goes_into_the_report_is_scanned() {
        let mut a = AnalysisDoc::new("t0@x.nl", &[1; 16]).unwrap();
        a.set_scope(&Scope {
            learning_question: "t1@x.nl".into(),
            organisations: vec!["t2@x.nl".into()],
            ..Scope::default()
        })
        .unwrap();
        a.add_participant(
            "p",
            &Participant {
                pseudonym: "t3@x.nl".into(),
                role: "t4@x.nl".into(),
                organisation: "t5@x.nl".into(),
                ..Participant::default()
            },
        )
        .unwrap();
        let mut e = entry("2024-01-01", Precision::Day, "t8@x.nl");
        e.actor = "t6@x.nl".into();
        e.agency = "t7@x.nl".into();
        a.add_timeline_entry("e", &e).unwrap();
        a.add_episode(
            "ep",
            &KeyPracticeEpisode {
                title: "t9@x.nl".into(),
                appraisal: "t10@x.nl".into(),
                explanation: "t11@x.nl".into(),
                ..KeyPracticeEpisode::default()
            },
        )
        .unwrap();
        a.add_factor(
            "f",
            &ContributingFactor {
                description: "t12@x.nl".into(),
                evidence: "t13@x.nl".into(),
                ..ContributingFactor::default()
            },
        )
        .unwrap();
        a.add_finding(
            "fi",
            &Finding {
                title: "t14@x.nl".into(),
                in_this_case: "t15@x.nl".into(),
                beyond_the_case: "t16@x.nl".into(),
                questions: vec!["t17@x.nl".into()],
                ..Finding::default()
            },
        )
        .unwrap();
        a.add_recommendation(
            "r",
            &Recommendation { addressee: "t18@x.nl".into(), text: "t19@x.nl".into(), ..Recommendation::default() },
        )
        .unwrap();
        let inp = ReportInput {
            analysis: &a,
            members: vec![ReportMember { role: "lead".into(), pseudonym: "t20@x.nl".into() }],
            follow_up: "t21@x.nl".into(),
            generated_on: d("2026-05-01"),
        };
        let hits = scan_identifiers(&inp, &[]).unwrap();
        let texts: Vec<&str> = hits.iter().map(|h| h.text.as_str()).collect();
        let md = render_report(&inp, ReportFormat::Markdown).unwrap();
        for i in 0..=21 {
            let planted = format!("t{i}@x.nl");
            assert!(md.contains(&planted), "{planted} is in the report");
            assert!(texts.contains(&planted.as_str()), "{planted} is scanned");
        }
        assert_eq!(hits.len(), 22, "{hits:#?}");
        let locations: Vec<&str> = hits.iter().map(|h| h.location.as_str()).collect();
        for expected in [
            "title",
            "learning question",
            "organisations[0]",
            "review team[0]: pseudonym",
            "participant p: role",
            "timeline entry e: agency",
            "key practice episode 't9@x.nl': explanation",
            "contributing factor f: evidence",
            "finding 't14@x.nl': questions[0]",
            "recommendation r: addressee",
            "agreed follow-up",
        ] {
            assert!(locations.contains(&expected), "{expected} in {locations:?}");
        }
    }

    #[test]
    fn long_ids_are_shortened_in_locations() {
        let mut a = AnalysisDoc::new("Case", &[1; 16]).unwrap();
        a.add_timeline_entry("3f2a9c01d4e5", &entry("2024-01-01", Precision::Day, "info@example.org")).unwrap();
        let hits = scan_identifiers(&input(&a), &[]).unwrap();
        assert_eq!(hits[0].location, "timeline entry 3f2a9c01…: what");
    }

    #[test]
    fn false_positives_are_avoided() {
        for text in [
            "In 2023 and 2024 the family moved twice",
            "On 12-03-2015 the school called; on 2015-03-12 and 12 maart 2015 again",
            "Costs: EUR 1.234.567 and 123.456.789 and 1.250,00",
            "Meeting at 12:30, then 09:30 and 10:00-11:00",
            "Case number 123456789 and file 2024-0001",
            "Postcode 1234 AB Amsterdam, wijk 5678",
            "1234 SA 5 and 1234 SS 12 are not postcodes",
            "Between 01-02-2024 12 and 03-04-2024 13",
            "Reference NL91ABNA0417164300 and 0612345678901",
            "She was born in 2015.",
            "a reborn 12-03-2015",
            "Bornholm 12-03-2015",
            "born, as the notes say much later and far away, 12-03-2015",
            "user@localhost and @mention and a@b.c",
            "Period 2023-2024, weeks 10-12, 0.5 FTE",
            "1.111.222.333 and 111.222.333.444 are not BSNs",
            "The 4 children had 1234 AB points",
        ] {
            assert!(found(text).is_empty(), "{text}: {:?}", found(text));
        }
    }

    #[test]
    fn no_text_makes_a_scanner_panic() {
        let names = name_patterns(&[
            ("A".into(), "İlker Öztürk".into()),
            ("B".into(), "ß".into()),
            ("C".into(), "  ".into()),
            ("D".into(), "ﬀoo Bar-Baz".into()),
        ]);
        let mut texts: Vec<String> = vec![
            String::new(),
            "@".into(),
            "x@".into(),
            "@x.nl".into(),
            "+".into(),
            "+3".into(),
            "+31".into(),
            "0".into(),
            "geb.".into(),
            "born 12".into(),
            "born 12 ".into(),
            "born 12 maart".into(),
            "born 2015-".into(),
            "1234 A".into(),
            "1234 AB,".into(),
            ", 1234 AB".into(),
            "a 1234AB".into(),
            "İSTANBUL İlker öztürk é@é.é 😀1234 AB 5😀 born 😀12-03-2015".into(),
            "\u{0}\u{2028}\r\n|<>&\"'".into(),
        ];
        let digits = "0123456789 .-+@:/,ABSa";
        let mut seed: u64 = 42;
        for _ in 0..300 {
            let len = (seed % 40) as usize;
            let mut s = String::new();
            for _ in 0..len {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let i = ((seed >> 33) as usize) % digits.len();
                s.push_str(&digits[i..=i]);
            }
            seed = seed.wrapping_add(7);
            texts.push(s);
        }
        for t in &texts {
            let chars: Vec<char> = t.chars().collect();
            for h in scan_chars(&chars, &names) {
                assert!(h.start < h.end && h.end <= chars.len(), "{t:?}");
            }
            let _ = one_line(t);
            let _ = md_cell(t);
            let _ = esc_lines(t);
        }
        let chars: Vec<char> = "İlker ÖZTÜRK".chars().collect();
        assert_eq!(scan_chars(&chars, &names).len(), 1);
    }

    #[test]
    fn formats_parse() {
        assert_eq!("md".parse::<ReportFormat>().unwrap(), ReportFormat::Markdown);
        assert_eq!(" HTML ".parse::<ReportFormat>().unwrap(), ReportFormat::Html);
        assert_eq!("markdown".parse::<ReportFormat>().unwrap(), ReportFormat::Markdown);
        let e = "pdf".parse::<ReportFormat>().unwrap_err();
        assert_eq!(e.to_string(), "unknown report format `pdf`: expected md or html");
        assert_eq!(ReportFormat::Html.to_string(), "html");
    }
}
