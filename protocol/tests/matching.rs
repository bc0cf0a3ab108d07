//! Matching a request against the directory: exclusions with reasons, ranking, fairness, the pair.

use std::collections::HashMap;

use samenloop_protocol::*;

const NOW: UnixTime = UnixTime(1_795_305_600); // 2026-11-22
const WEEK: u64 = 7 * 24 * 3600;

fn date(s: &str) -> CalendarDate {
    s.parse().unwrap()
}

fn request() -> ReviewRequest {
    ReviewRequest {
        reason: "Incident".into(),
        learning_question: "How did the chain lose sight of the child?".into(),
        period_from: date("2024-01-01"),
        period_until: date("2025-12-31"),
        organisations: vec![
            InvolvedOrganisation { name: "GI Midden-Nederland".into(), kind: OrganisationKind::ChildProtection },
            InvolvedOrganisation { name: "GGZ Centraal".into(), kind: OrganisationKind::MentalHealth },
        ],
        municipality: "Utrecht".into(),
        inspectorate: String::new(),
        context: String::new(),
        available_information: String::new(),
        family_involvement: String::new(),
        privacy: String::new(),
        desired_start: date("2027-01-01"),
        desired_end: date("2027-06-30"),
        contact: "J. de Vries".into(),
        costs: String::new(),
        budget_hours: 120,
        expected_result: "Improvements".into(),
        report_addressee: "Boards".into(),
        expertise: vec!["jeugdbescherming".into(), "ggz".into()],
        region: Some("Utrecht".into()),
        language: "nl".into(),
        variant: ReviewVariant::MidRange,
        reviewers: 2,
    }
}

struct Reviewer {
    id: Identity,
    name: &'static str,
}

fn reviewer(n: u8, name: &'static str, dir: &mut Directory, edit: impl FnOnce(&mut Profile)) -> Reviewer {
    let id = Identity::from_secrets([n; 32], [n; 32]);
    let mut p = Profile::named(name);
    p.languages = vec!["nl".into()];
    p.regions = vec!["Utrecht".into()];
    p.hours_per_month = 16;
    p.accreditation = AccreditationLevel::Accredited;
    edit(&mut p);
    dir.offer(SignedProfile::sign(&id, p, 1, NOW, WEEK).unwrap());
    Reviewer { id, name }
}

#[test]
fn exclusions_carry_their_reasons_and_ranking_follows_expertise_and_availability() {
    let mut dir = Directory::new();
    let anna = reviewer(1, "Anna", &mut dir, |p| p.expertise = vec!["jeugdbescherming".into(), "ggz".into()]);
    let bram = reviewer(2, "Bram", &mut dir, |p| p.expertise = vec!["ggz".into()]);
    let _chantal = reviewer(3, "Chantal", &mut dir, |p| {
        p.expertise = vec!["jeugdbescherming".into()];
        p.accreditation = AccreditationLevel::Trainee;
        p.regions = vec!["Gelderland".into()];
    });
    let dirk = reviewer(4, "Dirk", &mut dir, |p| {
        p.expertise = vec!["jeugdbescherming".into(), "ggz".into()];
        p.affiliations = vec![Affiliation {
            organisation: "GGZ Centraal Amersfoort".into(),
            from: Some(date("2015-01-01")),
            until: Some(date("2025-01-31")),
        }];
    });
    let eva = reviewer(5, "Eva", &mut dir, |p| {
        p.expertise = vec!["jeugdbescherming".into()];
        p.affiliations = vec![Affiliation {
            organisation: "GI Midden-Nederland".into(),
            from: None,
            until: Some(date("2020-06-30")),
        }];
    });
    let _frank = reviewer(6, "Frank", &mut dir, |p| p.languages = vec!["en".into()]);
    let _gert = reviewer(7, "Gert", &mut dir, |p| p.available_until = Some(date("2026-12-01")));
    let _hanna = reviewer(8, "Hanna", &mut dir, |p| p.hours_per_month = 4);
    let ivo = reviewer(9, "Ivo", &mut dir, |p| p.expertise = vec!["ggz".into(), "jeugdbescherming".into()]);
    let jan = reviewer(10, "Jan", &mut dir, |p| {
        p.expertise = vec!["jeugdbescherming".into(), "ggz".into()];
        p.available_until = Some(date("2027-03-31"));
    });
    let requester = reviewer(11, "Requester", &mut dir, |_| {});

    let context = MatchContext {
        requester: Some(requester.id.peer_id()),
        prior: HashMap::from([(ivo.id.peer_id(), PriorOutcome::Declined)]),
        ..MatchContext::default()
    };
    let verified = anna.id.peer_id();
    let status = |p: &SignedProfile| {
        if *p.peer() == verified {
            AccreditationStatus::Verified { attested_by: "founder".into() }
        } else {
            AccreditationStatus::SelfDeclared { reason: "no attestation".into() }
        }
    };
    let result = match_reviewers(&request(), &dir, &context, status, NOW);

    let excluded: HashMap<&str, &Vec<Exclusion>> =
        result.excluded.iter().map(|e| (e.name.as_str(), &e.reasons)).collect();
    let rule = |name: &str| excluded.get(name).map(|r| r[0].clone());
    assert!(
        matches!(rule("Dirk"), Some(Exclusion::ConflictOfInterest { ref organisation, .. }) if organisation == "GGZ Centraal"),
        "{:?}",
        rule("Dirk")
    );
    assert!(excluded["Dirk"][0].to_string().contains("conflict of interest"));
    assert!(matches!(rule("Frank"), Some(Exclusion::NoSharedLanguage { .. })));
    assert!(matches!(rule("Gert"), Some(Exclusion::NotAvailable { .. })));
    assert!(matches!(rule("Hanna"), Some(Exclusion::TooFewHours { offered: 4, .. })));
    assert!(matches!(rule("Ivo"), Some(Exclusion::AlreadyReferred { outcome: PriorOutcome::Declined })));
    assert!(matches!(rule("Requester"), Some(Exclusion::Requester)));
    assert!(!excluded.contains_key("Eva"), "an affiliation that ended more than three years ago is no conflict");

    let order: Vec<&str> = result.candidates.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(order[0], "Anna", "verified, both wanted tags, region: {order:?}");
    let pos = |n: &str| order.iter().position(|x| *x == n).unwrap();
    assert!(pos("Jan") < pos("Bram"), "two wanted tags beat one, even with partial availability");
    assert!(pos("Bram") < pos("Chantal"), "a trainee in another region ranks below");
    let jan_c = &result.candidates[pos("Jan")];
    assert!(jan_c.reasons.iter().any(|r| r.to_string().contains("% of the requested window")), "{:?}", jan_c.reasons);
    assert_eq!(jan_c.score, jan_c.reasons.iter().map(ScoreReason::points).sum::<i32>());
    assert!(result.candidates.iter().all(|c| !c.reasons.is_empty()));
    assert_eq!(result.candidates.len() + result.excluded.len(), dir.len());

    let pair = result.pair.expect("a pair");
    assert_eq!(pair.reviewers[0], anna.id.peer_id().to_string(), "the verified accredited reviewer leads the pair");
    assert!(pair.reasons.iter().any(|r| r.contains("cover 2 of 2")), "{:?}", pair.reasons);
    let _ = (bram, dirk, eva, jan, requester.name);
}

#[test]
fn fairness_and_interest_move_candidates() {
    let mut dir = Directory::new();
    let a = reviewer(1, "A", &mut dir, |p| p.expertise = vec!["ggz".into()]);
    let b = reviewer(2, "B", &mut dir, |p| p.expertise = vec!["ggz".into()]);
    let status = |_: &SignedProfile| AccreditationStatus::SelfDeclared { reason: String::new() };
    let names = |ctx: &MatchContext| -> Vec<String> {
        match_reviewers(&request(), &dir, ctx, status, NOW).candidates.into_iter().map(|c| c.name).collect()
    };
    assert_eq!(names(&MatchContext::default()), ["A", "B"], "ties break by name");
    let busy = MatchContext { recent_referrals: HashMap::from([(a.id.peer_id(), 2)]), ..MatchContext::default() };
    assert_eq!(names(&busy), ["B", "A"], "fewer recent referrals first");
    let keen = MatchContext { interested: [a.id.peer_id()].into(), ..busy };
    assert_eq!(names(&keen), ["A", "B"], "signalled interest outweighs two recent referrals");
    let _ = b;
}

#[test]
fn no_pair_without_an_accredited_reviewer() {
    let mut dir = Directory::new();
    for (n, name) in [(1, "T1"), (2, "T2")] {
        reviewer(n, name, &mut dir, |p| p.accreditation = AccreditationLevel::Trainee);
    }
    let status = |_: &SignedProfile| AccreditationStatus::Trainee;
    let result = match_reviewers(&request(), &dir, &MatchContext::default(), status, NOW);
    assert_eq!(result.candidates.len(), 2);
    assert!(result.pair.is_none());
}
