//! The report as blocks, built once for rendering and scanning: one pass over the analysis that lays out
//! headings, paragraphs, lists and tables, and records every free text it puts in with where it came from.

use crate::cases::analysis::{
    AnalysisError, FactorLevel, FollowUp, ParticipantGroup, PatternCategory, Precision, SourceKind, TimelineEntry,
};
use crate::records::time::CalendarDate;
use crate::referrals::call::ReviewTheme;

use super::render::one_line;
use super::{MAX_TIMELINE_ROWS, ReportInput, ReportMember, TIMELINE_EDGE};

/// A run of inline text.
pub(super) enum Span {
    /// Ordinary text.
    Plain(String),
    /// A fixed label, shown in bold.
    Strong(String),
}

/// A block of the report.
pub(super) enum Block {
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
pub(super) struct Located {
    pub(super) location: String,
    pub(super) text: String,
}

/// The report's blocks and the free texts in them.
#[derive(Default)]
pub(super) struct Built {
    pub(super) title: String,
    pub(super) blocks: Vec<Block>,
    pub(super) texts: Vec<Located>,
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
pub(super) fn build(input: &ReportInput<'_>) -> Result<Built, AnalysisError> {
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
