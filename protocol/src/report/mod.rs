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

use crate::cases::analysis::{AnalysisDoc, AnalysisError};
use crate::records::time::CalendarDate;

mod build;
mod identifiers;
mod render;
#[cfg(test)]
mod tests;

use build::build;
use identifiers::{name_patterns, scan_chars};
use render::{render_html, render_markdown};

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
