//! Tests of the report: its blocks, both renderings, and every identifier scanner.

use super::identifiers::eleven_test;
use super::render::{esc_lines, md_cell, one_line};
use super::*;
use crate::cases::analysis::{
    ContributingFactor, FactorLevel, Finding, FollowUp, KeyPracticeEpisode, Participant, ParticipantGroup,
    PatternCategory, Precision, Recommendation, Scope, Source, SourceKind, TimelineEntry,
};
use crate::records::time::CalendarDate;
use crate::referrals::call::ReviewTheme;

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
    for (id, kind) in [("s1", SourceKind::Interview), ("s2", SourceKind::Interview), ("s3", SourceKind::FileExtract)] {
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
        let e = TimelineEntry { date: Some(day), what: format!("event-{i:03}. m{i}@x.nl"), ..TimelineEntry::default() };
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
    // As Dutch people write them: the area code in brackets, the +31 (0) form, an en dash, spaced dashes.
    for phone in [
        "(020) 123 4567",
        "(020) 1234567",
        "(0252) 12 34 56",
        "(06) 12345678",
        "(020)-1234567",
        "+31 (0)20 123 4567",
        "+31 (0) 6 12345678",
        "+31(0)6-12345678",
        "+31 (0)6 123 456 78",
        "+31 6 1234 5678",
        "+31 (0)6 1234 5678",
        "+31 20 1234 567",
        "020\u{2013}1234567",
        "06 \u{2013} 12345678",
        "020 - 123 45 67",
        "06 - 123 456 78",
        "0252 - 123456",
    ] {
        assert_eq!(found(&format!("Bel {phone} vandaag")), one(Phone, phone), "{phone}");
        assert_eq!(found(&format!("tel.: {phone}.")), one(Phone, phone), "{phone} at a sentence's end");
    }
    // Not phone numbers: a date with a dash, a range of years, a time span, too few digits in brackets.
    for text in ["12-03-2015 - 0612", "1998 - 2004", "(020) 123", "van 09:00 - 17:00", "+31 (1)20 123 4567"] {
        assert!(!found(text).iter().any(|(k, _)| *k == Phone), "{text}: {:?}", found(text));
    }
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
