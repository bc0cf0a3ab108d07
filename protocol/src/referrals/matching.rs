//! Matching: which reviewers in the directory suit a request, in what order, and why.
//!
//! This is what the foundation's coordinator used to do by phone. It is deterministic and explainable:
//! every excluded reviewer carries the rule that excluded them, and every candidate carries a score and the
//! reasons behind it, so the requester can see (and challenge) why the network proposes whom it proposes.
//!
//! Hard exclusions: the requester themselves; a conflict of interest (an affiliation with an involved
//! organisation now or within the last three years: independence is the method's hard rule); no shared
//! language; no availability in the requested window; too few hours; an earlier decline or expiry for this
//! request. Ranking: expertise overlap, region, accreditation fit for the variant, capacity headroom,
//! coverage of the window, signalled interest, and fairness (fewer recent referrals first).

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::directory::accreditation::{AccreditationLevel, AccreditationStatus};
use crate::directory::index::Directory;
use crate::directory::profile::{Affiliation, SignedProfile};
use crate::records::identity::PeerId;
use crate::records::time::{CalendarDate, UnixTime};
use crate::referrals::request::ReviewRequest;

/// How long a past affiliation still counts as a conflict of interest.
pub const CONFLICT_YEARS: i64 = 3;
/// How many of the best candidates the pair proposal considers.
const PAIR_POOL: usize = 25;

/// What already happened between this request and a reviewer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PriorOutcome {
    /// The reviewer has an open referral for this request.
    Offered,
    /// The reviewer accepted.
    Accepted,
    /// The reviewer declined.
    Declined,
    /// The referral expired unanswered.
    Expired,
    /// The requester withdrew the referral.
    Withdrawn,
}

impl fmt::Display for PriorOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PriorOutcome::Offered => "offered, not yet answered",
            PriorOutcome::Accepted => "accepted",
            PriorOutcome::Declined => "declined",
            PriorOutcome::Expired => "expired unanswered",
            PriorOutcome::Withdrawn => "withdrawn",
        })
    }
}

/// Why a reviewer cannot be proposed for this request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "kebab-case")]
pub enum Exclusion {
    /// The reviewer is the requester.
    Requester,
    /// Works or worked (within [`CONFLICT_YEARS`]) for an involved organisation.
    ConflictOfInterest {
        /// The involved organisation.
        organisation: String,
        /// The reviewer's affiliation that matches it.
        affiliation: String,
        /// When the affiliation ended; `None` means ongoing.
        until: Option<CalendarDate>,
    },
    /// Does not speak the request's language.
    NoSharedLanguage {
        /// The language asked for.
        wanted: String,
    },
    /// Not available at any time in the requested window.
    NotAvailable {
        /// The reviewer's first available day.
        from: Option<CalendarDate>,
        /// The reviewer's last available day.
        until: Option<CalendarDate>,
    },
    /// Offers fewer hours per month than the request needs per reviewer.
    TooFewHours {
        /// Hours per month offered.
        offered: u16,
        /// Hours per month needed.
        needed: u16,
    },
    /// Already has (or had) a referral for this request.
    AlreadyReferred {
        /// What happened to it.
        outcome: PriorOutcome,
    },
}

impl fmt::Display for Exclusion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exclusion::Requester => write!(f, "is the requester"),
            Exclusion::ConflictOfInterest { organisation, affiliation, until } => match until {
                None => write!(f, "conflict of interest: works for {affiliation} (involved: {organisation})"),
                Some(u) => write!(
                    f,
                    "conflict of interest: worked for {affiliation} until {u}, less than {CONFLICT_YEARS} years ago (involved: {organisation})"
                ),
            },
            Exclusion::NoSharedLanguage { wanted } => write!(f, "does not list the language `{wanted}`"),
            Exclusion::NotAvailable { from, until } => {
                let d = |d: &Option<CalendarDate>| d.map(|d| d.to_string()).unwrap_or_else(|| "open".into());
                write!(f, "not available in the requested window (available {} to {})", d(from), d(until))
            }
            Exclusion::TooFewHours { offered, needed } => {
                write!(f, "offers {offered} hours a month, the request needs about {needed} per reviewer")
            }
            Exclusion::AlreadyReferred { outcome } => write!(f, "already referred for this request ({outcome})"),
        }
    }
}

/// One contribution to a candidate's score. Structured (not text) so that matching 10 000 profiles does
/// not format 50 000 strings; `Display` renders it for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ScoreReason {
    /// Covers `covered` of the `wanted` expertise tags.
    Expertise {
        /// Points.
        points: i32,
        /// Wanted tags covered.
        covered: u8,
        /// Tags wanted.
        wanted: u8,
    },
    /// Works in the request's region.
    Region {
        /// Points.
        points: i32,
    },
    /// Works nationwide.
    Nationwide {
        /// Points.
        points: i32,
    },
    /// Accreditation and its verdict.
    Accreditation {
        /// Points.
        points: i32,
        /// The claimed level.
        level: AccreditationLevel,
        /// Whether it is verified.
        verified: bool,
        /// Whether the variant needs an accredited lead (relevant for trainees).
        needs_lead: bool,
    },
    /// Spare capacity beyond what the request needs.
    Capacity {
        /// Points.
        points: i32,
        /// Hours a month offered.
        offered: u16,
        /// Hours a month needed.
        needed: u16,
    },
    /// Available for only part of the window.
    PartialAvailability {
        /// Points (negative).
        points: i32,
        /// Percentage of the window covered.
        percent: u8,
    },
    /// Answered the anonymised call.
    Interest {
        /// Points.
        points: i32,
    },
    /// Recently referred: fairness spreads work across the network.
    Fairness {
        /// Points (negative).
        points: i32,
        /// Recent referrals.
        recent: u32,
    },
}

impl ScoreReason {
    /// The points this reason adds (negative: subtracts).
    pub fn points(&self) -> i32 {
        match self {
            ScoreReason::Expertise { points, .. }
            | ScoreReason::Region { points }
            | ScoreReason::Nationwide { points }
            | ScoreReason::Accreditation { points, .. }
            | ScoreReason::Capacity { points, .. }
            | ScoreReason::PartialAvailability { points, .. }
            | ScoreReason::Interest { points }
            | ScoreReason::Fairness { points, .. } => *points,
        }
    }
}

impl fmt::Display for ScoreReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:+} ", self.points())?;
        match self {
            ScoreReason::Expertise { covered, wanted, .. } => write!(f, "expertise: {covered} of {wanted} wanted"),
            ScoreReason::Region { .. } => write!(f, "works in the region"),
            ScoreReason::Nationwide { .. } => write!(f, "works nationwide"),
            ScoreReason::Accreditation { level, verified, needs_lead, .. } => match (level, verified) {
                (AccreditationLevel::Trainee, _) if *needs_lead => {
                    write!(f, "trainee: needs an accredited lead beside them")
                }
                (AccreditationLevel::Trainee, _) => write!(f, "trainee"),
                (level, true) => write!(f, "{level} (verified)"),
                (level, false) => write!(f, "{level} (self-declared)"),
            },
            ScoreReason::Capacity { offered, needed, .. } => {
                write!(f, "capacity: {offered} hours a month, about {needed} needed")
            }
            ScoreReason::PartialAvailability { percent, .. } => {
                write!(f, "available for {percent}% of the requested window")
            }
            ScoreReason::Interest { .. } => write!(f, "answered the call for reviewers"),
            ScoreReason::Fairness { recent, .. } => write!(f, "fairness: {recent} recent referral(s)"),
        }
    }
}

/// A reviewer who can be proposed, with the score and the reasons behind it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The reviewer.
    #[serde(with = "crate::records::identity::peer_id_text")]
    pub peer: PeerId,
    /// Display name.
    pub name: String,
    /// Higher is better: the sum of the reasons' points.
    pub score: i32,
    /// Each contribution to the score.
    pub reasons: Vec<ScoreReason>,
    /// Claimed level.
    pub level: AccreditationLevel,
    /// Whether the level is verified (or, for trainees, needs no verification).
    pub verified: bool,
    /// The wanted expertise this reviewer covers.
    pub covers: Vec<String>,
}

/// A reviewer who cannot be proposed, with every rule that excludes them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Excluded {
    /// The reviewer.
    #[serde(with = "crate::records::identity::peer_id_text")]
    pub peer: PeerId,
    /// Display name.
    pub name: String,
    /// Why.
    pub reasons: Vec<Exclusion>,
}

/// Two reviewers proposed together.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProposedPair {
    /// The pair, the accredited (or higher-scoring) one first.
    pub reviewers: [String; 2],
    /// The same two, as ids.
    #[serde(skip)]
    pub ids: Option<[PeerId; 2]>,
    /// Why this pair, in English words (the command line's).
    pub reasons: Vec<String>,
    /// The same reasons as data, for an interface in another language.
    #[serde(default)]
    pub why: PairReasons,
}

/// Why a pair is proposed, as data.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairReasons {
    /// The two scores together plus the complementarity bonus.
    pub total: i32,
    /// Points for covering more of the wanted expertise together than either alone.
    pub bonus: i32,
    /// The wanted expertise the two cover together.
    pub covered: Vec<String>,
    /// How many tags the request wants.
    pub wanted: usize,
    /// The first reviewer's accreditation level.
    pub lead_level: AccreditationLevel,
    /// Whether that level is verified (false: no verified pair was available).
    pub lead_verified: bool,
}

/// The outcome of matching one request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MatchResult {
    /// Candidates, best first.
    pub candidates: Vec<Candidate>,
    /// Everyone excluded, with reasons.
    pub excluded: Vec<Excluded>,
    /// The proposed pair, if the request wants two or more reviewers and a valid pair exists.
    pub pair: Option<ProposedPair>,
}

/// What matching needs to know besides the request and the directory.
#[derive(Clone, Debug, Default)]
pub struct MatchContext {
    /// The requester's own id, never proposed.
    pub requester: Option<PeerId>,
    /// Earlier referrals of this request.
    pub prior: HashMap<PeerId, PriorOutcome>,
    /// Reviewers who answered the anonymised call for this request.
    pub interested: HashSet<PeerId>,
    /// Referrals each reviewer received recently (any request), for fairness.
    pub recent_referrals: HashMap<PeerId, u32>,
}

/// Normalises an organisation name for comparison: lowercase words of letters and digits.
fn organisation_words(name: &str) -> Vec<String> {
    name.to_lowercase().split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

/// Whether an affiliation names an involved organisation: the same words, or one name's words appearing
/// as a run in the other ("GGZ Centraal" and "GGZ Centraal Amersfoort"). Erring towards a conflict is the
/// safe side: the requester sees the reason and may refer anyway.
fn same_organisation(a: &[String], b: &[String]) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let meaningful = short.len() >= 2 || short[0].chars().count() >= 4;
    short == long || (meaningful && long.windows(short.len()).any(|w| w == short))
}

fn conflict(
    affiliations: &[Affiliation],
    involved: &[(String, Vec<String>)],
    today: CalendarDate,
) -> Option<Exclusion> {
    let horizon = today.days_since_epoch() - CONFLICT_YEARS * 365 - 1;
    for a in affiliations {
        if a.until.is_some_and(|u| u.days_since_epoch() < horizon) {
            continue; // ended long enough ago
        }
        let words = organisation_words(&a.organisation);
        for (name, org_words) in involved {
            if same_organisation(&words, org_words) {
                return Some(Exclusion::ConflictOfInterest {
                    organisation: name.clone(),
                    affiliation: a.organisation.clone(),
                    until: a.until,
                });
            }
        }
    }
    None
}

/// Matches `request` against every profile in `directory`. `status` gives the node's accreditation
/// verdict for a profile (it depends on the node's trusted accreditors).
pub fn match_reviewers(
    request: &ReviewRequest,
    directory: &Directory,
    context: &MatchContext,
    status: impl Fn(&SignedProfile) -> AccreditationStatus,
    now: UnixTime,
) -> MatchResult {
    let today = now.date();
    let involved: Vec<(String, Vec<String>)> =
        request.organisations.iter().map(|o| (o.name.clone(), organisation_words(&o.name))).collect();
    let needed = request.hours_per_reviewer_month();
    let needed_whole = needed.ceil() as u16;
    let window = (request.desired_start.days_since_epoch(), request.desired_end.days_since_epoch());
    let window_days = (window.1 - window.0 + 1) as f64;
    let region = request.region.as_deref().map(|r| r.trim().to_lowercase());
    let language = request.language.trim().to_lowercase();

    let mut candidates = Vec::new();
    let mut excluded = Vec::new();
    for profile in directory.profiles() {
        if profile.expires_at() <= now {
            continue;
        }
        let peer = *profile.peer();
        let p = profile.profile();
        let mut out = Vec::new();
        if context.requester == Some(peer) {
            out.push(Exclusion::Requester);
        }
        if let Some(c) = conflict(&p.affiliations, &involved, today) {
            out.push(c);
        }
        if !p.languages.contains(&language) {
            out.push(Exclusion::NoSharedLanguage { wanted: request.language.clone() });
        }
        let from = p.available_from.map_or(i64::MIN, CalendarDate::days_since_epoch);
        let until = p.available_until.map_or(i64::MAX, CalendarDate::days_since_epoch);
        let overlap = (until.min(window.1) - from.max(window.0) + 1).max(0) as f64;
        if overlap <= 0.0 {
            out.push(Exclusion::NotAvailable { from: p.available_from, until: p.available_until });
        }
        if f64::from(p.hours_per_month) < needed || p.hours_per_month == 0 {
            out.push(Exclusion::TooFewHours { offered: p.hours_per_month, needed: needed_whole.max(1) });
        }
        if let Some(&outcome) = context.prior.get(&peer) {
            out.push(Exclusion::AlreadyReferred { outcome });
        }
        if !out.is_empty() {
            excluded.push(Excluded { peer, name: p.name.clone(), reasons: out });
            continue;
        }

        let mut reasons = Vec::new();
        let covers: Vec<String> = request.expertise.iter().filter(|t| p.expertise.contains(t)).cloned().collect();
        if !request.expertise.is_empty() {
            reasons.push(ScoreReason::Expertise {
                points: 30 * covers.len() as i32,
                covered: covers.len() as u8,
                wanted: request.expertise.len().min(255) as u8,
            });
        }
        if let Some(r) = &region {
            if p.regions.iter().any(|x| x.trim().eq_ignore_ascii_case(r)) {
                reasons.push(ScoreReason::Region { points: 15 });
            } else if p.regions.iter().any(|x| x.trim().eq_ignore_ascii_case("landelijk")) {
                reasons.push(ScoreReason::Nationwide { points: 10 });
            }
        }
        let verified = status(profile).is_verified();
        let needs_lead = request.variant.needs_accredited_lead();
        let points = match (p.accreditation, verified) {
            (AccreditationLevel::Trainee, _) if needs_lead => -10,
            (AccreditationLevel::Trainee, _) => 0,
            (_, true) => 20,
            (_, false) => 5,
        };
        reasons.push(ScoreReason::Accreditation { points, level: p.accreditation, verified, needs_lead });
        let headroom = ((f64::from(p.hours_per_month) - needed) / needed.max(1.0) * 10.0).clamp(0.0, 10.0) as i32;
        if headroom > 0 {
            reasons.push(ScoreReason::Capacity { points: headroom, offered: p.hours_per_month, needed: needed_whole });
        }
        let coverage = overlap / window_days;
        if coverage < 0.999 {
            let penalty = (20.0 * (1.0 - coverage)).round() as i32;
            reasons.push(ScoreReason::PartialAvailability { points: -penalty, percent: (coverage * 100.0) as u8 });
        }
        if context.interested.contains(&peer) {
            reasons.push(ScoreReason::Interest { points: 15 });
        }
        let recent = context.recent_referrals.get(&peer).copied().unwrap_or(0);
        if recent > 0 {
            reasons.push(ScoreReason::Fairness { points: -((5 * recent).min(25) as i32), recent });
        }
        let score = reasons.iter().map(ScoreReason::points).sum();
        candidates.push((
            recent,
            Candidate { peer, name: p.name.clone(), score, reasons, level: p.accreditation, verified, covers },
        ));
    }
    candidates.sort_unstable_by(|(ra, a), (rb, b)| {
        b.score.cmp(&a.score).then(ra.cmp(rb)).then_with(|| a.name.cmp(&b.name)).then_with(|| a.peer.cmp(&b.peer))
    });
    let candidates: Vec<Candidate> = candidates.into_iter().map(|(_, c)| c).collect();
    excluded.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.peer.cmp(&b.peer)));
    let expertise_of = |peer: &PeerId| directory.get(peer).map(|p| p.profile().expertise.clone()).unwrap_or_default();
    let pair = if request.reviewers >= 2 { propose_pair(request, &candidates, expertise_of) } else { None };
    MatchResult { candidates, excluded, pair }
}

/// The best pair among the top candidates: highest combined score plus a bonus for complementary
/// expertise, with at least one accredited reviewer (verified if any verified pair exists).
fn propose_pair(
    request: &ReviewRequest,
    candidates: &[Candidate],
    expertise_of: impl Fn(&PeerId) -> Vec<String>,
) -> Option<ProposedPair> {
    let pool = &candidates[..candidates.len().min(PAIR_POOL)];
    let expertise: Vec<Vec<String>> = pool.iter().map(|c| expertise_of(&c.peer)).collect();
    let accredited = |c: &Candidate, need_verified: bool| {
        c.level >= AccreditationLevel::Accredited && (c.verified || !need_verified)
    };
    for need_verified in [true, false] {
        let mut best: Option<(i32, usize, usize, i32)> = None;
        for i in 0..pool.len() {
            for j in i + 1..pool.len() {
                let (a, b) = (&pool[i], &pool[j]);
                if !accredited(a, need_verified) && !accredited(b, need_verified) {
                    continue;
                }
                let covered: HashSet<&String> = a.covers.iter().chain(&b.covers).collect();
                let extra_coverage = covered.len() as i32 - a.covers.len().max(b.covers.len()) as i32;
                let (ea, eb) = (&expertise[i], &expertise[j]);
                let distinct: HashSet<&String> = ea.iter().chain(eb).collect();
                let shared = ea.iter().filter(|t| eb.contains(t)).count() as i32;
                let bonus = 15 * extra_coverage + 2 * (distinct.len() as i32 - shared).min(10);
                let total = a.score + b.score + bonus;
                if best.is_none_or(|(t, ..)| total > t) {
                    best = Some((total, i, j, bonus));
                }
            }
        }
        if let Some((total, i, j, bonus)) = best {
            let (a, b) = (&pool[i], &pool[j]);
            let (first, second) =
                if accredited(a, need_verified) || !accredited(b, need_verified) { (a, b) } else { (b, a) };
            let covered: Vec<&String> =
                request.expertise.iter().filter(|t| a.covers.contains(t) || b.covers.contains(t)).collect();
            let mut reasons = vec![format!("combined score {total} (complementarity bonus {bonus})")];
            if !request.expertise.is_empty() {
                reasons.push(format!(
                    "together they cover {} of {} wanted expertise{}",
                    covered.len(),
                    request.expertise.len(),
                    if covered.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", covered.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))
                    }
                ));
            }
            reasons.push(format!(
                "{} is {}{}",
                first.name,
                first.level,
                if need_verified { " (verified)" } else { " (self-declared: no verified pair available)" }
            ));
            return Some(ProposedPair {
                reviewers: [first.peer.to_string(), second.peer.to_string()],
                ids: Some([first.peer, second.peer]),
                reasons,
                why: PairReasons {
                    total,
                    bonus,
                    covered: covered.into_iter().cloned().collect(),
                    wanted: request.expertise.len(),
                    lead_level: first.level,
                    lead_verified: need_verified,
                },
            });
        }
    }
    None
}
